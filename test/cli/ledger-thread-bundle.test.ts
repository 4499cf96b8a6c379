/**
 * REC-PERF-1: the ledger file's helper thread (src/adapters/embedded/ledger-file.thread.ts) has its
 * own prebuilt bundle, and `reconcile` through bin/ledgerline.js writes byte-identical results with
 * a ledger file large enough to be read on that thread: from the bundle, from the TypeScript
 * sources, and with every command on one thread (LEDGERLINE_MAIN_THREAD=1). A bad large ledger
 * fails the same way in all three, quarantined, with the same exit status and message.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { generateLabelledSet } from '../../src/recon/matching';
import { LEDGER_FILE_THREAD, LEDGER_THREAD_MIN_BYTES } from '../../src/adapters/embedded/recon-ledger-source';
import { bundleCli, CLI_BUNDLE_DIR } from '../../scripts/bundle-cli';
import { statementsOf, writeMt940 } from '../../bench/statement-files';
import { BIN } from '../support/cli';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freshBundle } = require('../../bin/fresh-bundle') as { freshBundle: (name: string) => string | null };

jest.setTimeout(180_000);

let dir: string;
let threadInputs: string[];

/**
 * The ledger thread's bundle and the sources it holds: the build in dist/cli while it is fresh (as
 * Jest's globalSetup and `npm ci` leave it, and as bin/thread.js then runs it), else a build now.
 */
async function threadBundleInputs(): Promise<string[]> {
  const name = basename(LEDGER_FILE_THREAD, '.ts');
  if (freshBundle(name) !== null && freshBundle('ledgerline') !== null) {
    const listed = JSON.parse(readFileSync(join(CLI_BUNDLE_DIR, `${name}.inputs.json`), 'utf8')) as { entry: string; inputs: string[] };
    expect(listed.entry).toBe(LEDGER_FILE_THREAD);
    return listed.inputs;
  }
  const built = await bundleCli();
  return built.threads.find((thread) => thread.entry === LEDGER_FILE_THREAD)?.inputs ?? [];
}

beforeAll(async () => {
  threadInputs = await threadBundleInputs();
  dir = mkdtempSync(join(tmpdir(), 'cli-ledger-thread-'));
  const set = generateLabelledSet({ seed: 5, statementLines: 400 });
  writeMt940(join(dir, 'statement.sta'), statementsOf(set), '2025-06-30');
  const csv = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const rows = set.ledgerEntries.map((e) => [e.entryId, e.accountId, e.currency, e.amount, e.bookingDate, e.valueDate, csv(e.reference), csv(e.description)].join(','));
  // Entries of an account no statement names, up to the size read on the helper thread.
  for (let i = 0, bytes = 0; bytes < LEDGER_THREAD_MIN_BYTES + 4096; i += 1) {
    const row = `ZZ-${String(i).padStart(8, '0')},GB33BUKB20201555555555,EUR,${i % 997}.${String(i % 100).padStart(2, '0')},2025-06-02,2025-06-02,FILL${i},"filler, ${i % 40}"`;
    rows.push(row);
    bytes += row.length + 1;
  }
  const header = 'entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n';
  writeFileSync(join(dir, 'ledger.csv'), `${header}${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'bad-ledger.csv'), `${header}${rows.join('\n')}\nZZ-LAST,GB33BUKB20201555555555,EUR,1.005,2025-06-02,2025-06-02,x,y\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WAYS = { bundle: { LEDGERLINE_FROM_SOURCE: '0' }, sources: { LEDGERLINE_FROM_SOURCE: '1' }, 'one thread': { LEDGERLINE_FROM_SOURCE: '0', LEDGERLINE_MAIN_THREAD: '1' } };

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

it('the helper thread has its own bundle, listing the ledger reader among its sources', () => {
  expect(existsSync(join(CLI_BUNDLE_DIR, 'ledger-file.thread.js'))).toBe(true);
  expect(threadInputs).toEqual(expect.arrayContaining([LEDGER_FILE_THREAD, resolve(__dirname, '../../src/recon/run/ledger-file.ts')]));
});

it('reconcile with a ledger read on the helper thread writes the same bytes from the bundle, the sources and one thread', async () => {
  const results: Record<string, Record<string, string>> = {};
  for (const [way, env] of Object.entries(WAYS)) {
    const out = join(dir, `out-${way.replace(' ', '-')}`);
    const result = await run(['reconcile', '--statement', join(dir, 'statement.sta'), '--ledger', join(dir, 'ledger.csv'), '--out', out, '--as-of', '2025-06-30', '--json'], env);
    expect({ way, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ way, status: 0, stderr: '' });
    results[way] = Object.fromEntries(['matches.csv', 'exceptions.csv', 'summary.json'].map((file) => [file, readFileSync(join(out, 'current', file), 'utf8')]));
  }
  expect(results.bundle!['matches.csv']!.length).toBeGreaterThan(100);
  expect(results.sources).toEqual(results.bundle);
  expect(results['one thread']).toEqual(results.bundle);
});

it('a bad large ledger fails the same way from the bundle, the sources and one thread: quarantined, exit 2', async () => {
  const seen: Record<string, { status: number | null; stderr: string; reason: string }> = {};
  for (const [way, env] of Object.entries(WAYS)) {
    const out = join(dir, `bad-${way.replace(' ', '-')}`);
    const result = await run(['reconcile', '--statement', join(dir, 'statement.sta'), '--ledger', join(dir, 'bad-ledger.csv'), '--out', out], env);
    seen[way] = {
      status: result.status,
      stderr: result.stderr.split(out).join('<out>'),
      reason: readFileSync(join(out, 'quarantine', 'bad-ledger.csv.reason.txt'), 'utf8').replace(/^quarantinedAt: .*$/m, ''),
    };
  }
  expect(seen.bundle!.status).toBe(2);
  expect(seen.bundle!.stderr).toMatch(/bad-ledger\.csv line \d+: field "amount"/);
  expect(seen.sources).toEqual(seen.bundle);
  expect(seen['one thread']).toEqual(seen.bundle);
});
