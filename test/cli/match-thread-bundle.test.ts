/**
 * REC-PERF-1: the matcher's helper thread (src/adapters/embedded/recon-match.thread.ts) has its own
 * prebuilt bundle, and `reconcile` through bin/ledgerline.js with statements large enough to match on
 * two threads, asked to (LEDGERLINE_MATCH_THREAD=1), uses it, and writes the same bytes from the
 * bundle, from the TypeScript sources, with every command on one thread (LEDGERLINE_MAIN_THREAD=1)
 * and without the matcher's thread. (A fault the matcher meets in the
 * helper thread's range: test/adapters/embedded/recon-match-thread.test.ts; the statement and ledger
 * readers let none through from files.)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateLabelledSet } from '../../src/recon/matching';
import { MATCH_THREAD_MIN_BYTES, RECON_MATCH_THREAD } from '../../src/adapters/embedded/recon-match';
import { bundleCli, CLI_BUNDLE_DIR } from '../../scripts/bundle-cli';
import { statementsOf, writeMt940 } from '../../bench/statement-files';
import { BIN } from '../support/cli';

jest.setTimeout(300_000);

let dir: string;
let threadInputs: string[];

beforeAll(async () => {
  const built = await bundleCli();
  threadInputs = built.threads.find((thread) => thread.entry === RECON_MATCH_THREAD)?.inputs ?? [];
  dir = mkdtempSync(join(tmpdir(), 'cli-match-thread-'));
  const set = generateLabelledSet({ seed: 9, statementLines: 72_000, accounts: 40 });
  writeMt940(join(dir, 'statement.sta'), statementsOf(set), '2025-06-30');
  const csv = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const rows = set.ledgerEntries.map((e) => [e.entryId, e.accountId, e.currency, e.amount, e.bookingDate, e.valueDate, csv(e.reference), csv(e.description)].join(','));
  const header = 'entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n';
  writeFileSync(join(dir, 'ledger.csv'), `${header}${rows.join('\n')}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WAYS = {
  bundle: { LEDGERLINE_FROM_SOURCE: '0', LEDGERLINE_MATCH_THREAD: '1' },
  sources: { LEDGERLINE_FROM_SOURCE: '1', LEDGERLINE_MATCH_THREAD: '1' },
  'one thread': { LEDGERLINE_FROM_SOURCE: '0', LEDGERLINE_MATCH_THREAD: '1', LEDGERLINE_MAIN_THREAD: '1' },
  'match thread off': { LEDGERLINE_FROM_SOURCE: '0' },
};
const HELPER = /matched \d+ partition\(s\), \d+ row\(s\), on a helper thread/;

function run(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LEDGERLINE_MAIN_THREAD: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

it('the helper thread has its own bundle, holding the one matcher and the codec', () => {
  expect(existsSync(join(CLI_BUNDLE_DIR, 'recon-match.thread.js'))).toBe(true);
  const matching = resolve(__dirname, '../../src/recon/matching');
  expect(threadInputs).toEqual(expect.arrayContaining([RECON_MATCH_THREAD, join(matching, 'partition.ts'), join(matching, 'partition-codec.ts'), join(matching, 'engine.ts')]));
  expect(statSync(join(dir, 'statement.sta')).size).toBeGreaterThanOrEqual(MATCH_THREAD_MIN_BYTES);
});

it('reconcile matching on two threads writes the same bytes from the bundle, the sources and one thread', async () => {
  const results: Record<string, Record<string, string>> = {};
  for (const [way, env] of Object.entries(WAYS)) {
    const out = join(dir, `out-${way.replace(' ', '-')}`);
    const result = await run(['reconcile', '--statement', join(dir, 'statement.sta'), '--ledger', join(dir, 'ledger.csv'), '--out', out, '--as-of', '2025-06-30'], env);
    expect({ way, status: result.status }).toEqual({ way, status: 0 });
    // The helper thread matched part of the run, only when asked, and never on one thread.
    expect({ way, helper: HELPER.test(result.stderr) }).toEqual({ way, helper: way === 'bundle' || way === 'sources' });
    results[way] = Object.fromEntries(
      ['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson'].map((file) => [
        file,
        readFileSync(join(out, 'current', file), 'utf8')
          .split(out)
          .join('<out>'),
      ]),
    );
  }
  expect(results.bundle!['matches.csv']!.split('\n').length).toBeGreaterThan(50_000);
  const comparable = (files: Record<string, string>): Record<string, string> => ({ ...files, 'audit.ndjson': files['audit.ndjson']!.replace(/"(at|elapsedMs)":("[^"]*"|\d+)/g, '"$1":0') });
  expect(comparable(results.sources!)).toEqual(comparable(results.bundle!));
  expect(comparable(results['one thread']!)).toEqual(comparable(results.bundle!));
  expect(comparable(results['match thread off']!)).toEqual(comparable(results.bundle!));
});
