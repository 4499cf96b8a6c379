/**
 * REC-PERF-1: the statement's helper thread (src/adapters/embedded/statement-part.thread.ts) has its
 * own prebuilt bundle, and `reconcile` through bin/ledgerline.js writes byte-identical results with a
 * camt.053 statement big enough to be parsed by two threads (and an MT940 one, which stays on one
 * thread): from the bundle, from the TypeScript sources, and with every command on one thread
 * (LEDGERLINE_MAIN_THREAD=1). A bad big camt.053 statement (a fault in its second part) fails the
 * same way in all three, quarantined, with the same exit status, message and reason.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateLabelledSet } from '../../src/recon/matching';
import { STATEMENT_PART_THREAD, STATEMENT_SPLIT_MIN_BYTES } from '../../src/adapters/embedded/statement-part';
import { bundleCli, CLI_BUNDLE_DIR } from '../../scripts/bundle-cli';
import { statementsOf, writeCamt, writeMt940 } from '../../bench/statement-files';
import { BIN } from '../support/cli';

jest.setTimeout(300_000);

let dir: string;
let threadInputs: string[];

beforeAll(async () => {
  const built = await bundleCli();
  threadInputs = built.threads.find((thread) => thread.entry === STATEMENT_PART_THREAD)?.inputs ?? [];
  dir = mkdtempSync(join(tmpdir(), 'cli-statement-thread-'));
  const camtSet = generateLabelledSet({ seed: 8, statementLines: 20_000, accounts: 24 });
  writeCamt(join(dir, 'statement.xml'), statementsOf(camtSet), '2025-06-30');
  const mtSet = generateLabelledSet({ seed: 9, statementLines: 80_000, accounts: 24 });
  writeMt940(join(dir, 'statement.sta'), statementsOf(mtSet), '2025-06-30');
  const csv = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const header = 'entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n';
  for (const [name, set] of [
    ['ledger-camt.csv', camtSet],
    ['ledger-mt940.csv', mtSet],
  ] as const) {
    const rows = set.ledgerEntries.map((e) => [e.entryId, e.accountId, e.currency, e.amount, e.bookingDate, e.valueDate, csv(e.reference), csv(e.description)].join(','));
    writeFileSync(join(dir, name), `${header}${rows.join('\n')}\n`);
  }
  // An amount with more decimals than its currency has, in the second part (three quarters into the file).
  const bytes = readFileSync(join(dir, 'statement.xml'));
  const at = bytes.indexOf('<Ntry><Amt Ccy="', Math.floor(bytes.length * 0.75));
  const amount = bytes.indexOf('</Amt>', at);
  writeFileSync(join(dir, 'bad-statement.xml'), Buffer.concat([bytes.subarray(0, amount), Buffer.from('001'), bytes.subarray(amount)]));
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

it('the helper thread has its own bundle, listing the two-part parse among its sources', () => {
  expect(existsSync(join(CLI_BUNDLE_DIR, 'statement-part.thread.js'))).toBe(true);
  expect(threadInputs).toEqual(expect.arrayContaining([STATEMENT_PART_THREAD, resolve(__dirname, '../../src/recon/parsers/parts.ts'), resolve(__dirname, '../../src/recon/parsers/part-transfer.ts')]));
});

it.each([
  ['camt.053', 'statement.xml', 'ledger-camt.csv'],
  ['MT940', 'statement.sta', 'ledger-mt940.csv'],
])('reconcile of a big %s statement writes the same bytes from the bundle, the sources and one thread', async (_format, statement, ledger) => {
  expect(statSync(join(dir, statement)).size).toBeGreaterThan(STATEMENT_SPLIT_MIN_BYTES);
  const results: Record<string, Record<string, string>> = {};
  for (const [way, env] of Object.entries(WAYS)) {
    const out = join(dir, `out-${statement}-${way.replace(' ', '-')}`);
    const result = await run(['reconcile', '--statement', join(dir, statement), '--ledger', join(dir, ledger), '--out', out, '--as-of', '2025-06-30', '--json'], env);
    expect({ way, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ way, status: 0, stderr: '' });
    // The audit trail less its clock readings and the output folder's name.
    const read = (file: string): string =>
      readFileSync(join(out, 'current', file), 'utf8')
        .replace(/"(at|elapsedMs)":("[^"]*"|[0-9]+)/g, '"$1":-')
        .split(out)
        .join('<out>');
    results[way] = Object.fromEntries(['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson'].filter((file) => existsSync(join(out, 'current', file))).map((file) => [file, read(file)]));
  }
  expect(results.bundle!['matches.csv']!.length).toBeGreaterThan(1000);
  expect(results.sources).toEqual(results.bundle);
  expect(results['one thread']).toEqual(results.bundle);
});

it('a bad big statement fails the same way from the bundle, the sources and one thread: quarantined, exit 2', async () => {
  const seen: Record<string, { status: number | null; stderr: string; reason: string }> = {};
  for (const [way, env] of Object.entries(WAYS)) {
    const out = join(dir, `bad-${way.replace(' ', '-')}`);
    const result = await run(['reconcile', '--statement', join(dir, 'bad-statement.xml'), '--ledger', join(dir, 'ledger-camt.csv'), '--out', out], env);
    seen[way] = {
      status: result.status,
      stderr: result.stderr.split(out).join('<out>'),
      reason: readFileSync(join(out, 'quarantine', 'bad-statement.xml.reason.txt'), 'utf8').replace(/^quarantinedAt: .*$/m, ''),
    };
  }
  expect(seen.bundle!.status).toBe(2);
  expect(seen.bundle!.stderr).toMatch(/bad-statement\.xml .*Ntry\[\d+\]\/Amt/);
  expect(seen.sources).toEqual(seen.bundle);
  expect(seen['one thread']).toEqual(seen.bundle);
});
