/**
 * REC-PERF-1: bin/ledgerline.js runs the batch commands (`reconcile`, `inbox`) on a worker thread with
 * a larger young generation. That must change nothing a user sees: the same result bytes, the same
 * --json on stdout, the same exit status and message for every class of failure, as the same command
 * on the main thread (LEDGERLINE_MAIN_THREAD=1).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLabelledSet } from '../../src/recon/matching';
import { statementsOf, writeMt940 } from '../../bench/statement-files';
import { BIN } from '../support/cli';

jest.setTimeout(120_000);

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-batch-thread-'));
  const set = generateLabelledSet({ seed: 11, statementLines: 300 });
  writeMt940(join(dir, 'statement.sta'), statementsOf(set), '2025-06-30');
  const csv = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  writeFileSync(
    join(dir, 'ledger.csv'),
    'entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n' +
      set.ledgerEntries.map((e) => [e.entryId, e.accountId, e.currency, e.amount, e.bookingDate, e.valueDate, csv(e.reference), csv(e.description)].join(',')).join('\n') +
      '\n',
  );
  writeFileSync(join(dir, 'broken.sta'), ':20:NO-HEADER\n:61:garbage\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], mainThread: boolean): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, LEDGERLINE_MAIN_THREAD: mainThread ? '1' : '0' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Both threads at once, each into its own --out (given as `{out}` in args). */
function both(args: string[]) {
  return Promise.all(
    [true, false].map(async (mainThread) => {
      const out = join(dir, `out-${args.join('-').replace(/\W+/g, '_').slice(0, 60)}-${mainThread ? 'main' : 'worker'}`);
      const result = await run(
        args.map((a) => (a === '{out}' ? out : a)),
        mainThread,
      );
      const text = (s: string): string => s.split(out).join('<out>');
      return { out, status: result.status, stdout: text(result.stdout), stderr: text(result.stderr) };
    }),
  );
}

it('reconcile --json: the same result files, the same stdout, exit 0', async () => {
  const [main, worker] = await both(['reconcile', '--statement', join(dir, 'statement.sta'), '--ledger', join(dir, 'ledger.csv'), '--out', '{out}', '--as-of', '2025-06-30', '--json']);
  expect(worker!.status).toBe(0);
  expect(main!.status).toBe(0);
  const summary = JSON.parse(worker!.stdout) as { matched?: { total?: number } };
  expect(summary.matched?.total).toBeGreaterThan(0);
  // Only the matcher's own elapsed time may differ.
  const timeless = (stdout: string): string => stdout.replace(/"elapsedMs":\d+/, '"elapsedMs":0');
  expect(timeless(worker!.stdout)).toBe(timeless(main!.stdout));
  for (const file of ['matches.csv', 'exceptions.csv', 'summary.json']) {
    const [a, b] = [main!, worker!].map((r) => readFileSync(join(r.out, 'current', file)));
    expect(b!.length).toBeGreaterThan(0);
    expect(b!.equals(a!)).toBe(true);
  }
});

const FAILURES: [label: string, args: string[]][] = [
  ['a missing ledger', ['reconcile', '--statement', '{statement}', '--ledger', '/nonexistent/ledger.csv', '--out', '{out}']],
  ['a statement that is not a statement', ['reconcile', '--statement', '{broken}', '--ledger', '{ledger}', '--out', '{out}']],
  ['an unknown option', ['reconcile', '--bogus']],
  ['a missing required option', ['reconcile', '--ledger', '{ledger}']],
  ['inbox without its directory', ['inbox', '--ledger', '{ledger}']],
];

it('every class of failure: the same exit status and message on either thread', async () => {
  const results = await Promise.all(
    FAILURES.map(async ([label, template]) => {
      const args = template.map((a) => (a === '{statement}' ? join(dir, 'statement.sta') : a === '{broken}' ? join(dir, 'broken.sta') : a === '{ledger}' ? join(dir, 'ledger.csv') : a));
      const [main, worker] = await both(args);
      return { label, main: main!, worker: worker! };
    }),
  );
  for (const { label, main, worker } of results) {
    expect([label, main.status === 0]).toEqual([label, false]);
    expect([label, worker.status]).toEqual([label, main.status]);
    expect([label, worker.stderr.length > 0]).toEqual([label, true]);
    expect([label, worker.stderr]).toEqual([label, main.stderr]);
    expect([label, worker.stdout]).toEqual([label, main.stdout]);
  }
});

it('--help is the same on either thread', async () => {
  const [main, worker] = await both(['reconcile', '--help']);
  expect(worker!.status).toBe(0);
  expect(worker!.stdout).toContain('Usage: ledgerline reconcile');
  expect(worker!.stdout).toBe(main!.stdout);
});
