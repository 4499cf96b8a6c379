/**
 * The prebuilt command (scripts/bundle-cli.ts, REC-PERF-1) is the same command as the TypeScript
 * sources: `reconcile` through bin/ledgerline.js writes byte-identical results whichever it runs,
 * a partitioned `post` (its workers from their own bundle) leaves the same ledger, bad input fails
 * the same way, and every source file each bundle holds is listed for the staleness check
 * bin/fresh-bundle.js makes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { generateLabelledSet } from '../../src/recon/matching';
import { bundleCli, CLI_BUNDLE, CLI_ENTRY, CLI_INPUTS, REPO_ROOT, WORKER_BUNDLE, WORKER_ENTRY, WORKER_INPUTS } from '../../scripts/bundle-cli';
import { statementsOf, writeCamt, writeMt940 } from '../../bench/statement-files';
import { BIN } from '../support/cli';
import { sampleLines } from '../support/runtime';

jest.setTimeout(120_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freshBundle } = require('../../bin/fresh-bundle') as { freshBundle: (name: string) => string | null };

let dir: string;
let inputs: string[];
let workerInputs: string[];

/**
 * The source lists of the command's and the partition worker's bundles, as this checkout's sources
 * and build script make them: the build in dist/cli while it is fresh (bin/fresh-bundle.js runs
 * it: every input older than its bundle) and newer than scripts/bundle-cli.ts, as the run's
 * globalSetup and `npm ci` leave it; else a build now (about 1.2 s of CPU, most of it esbuild's).
 */
async function cliBuild(): Promise<{ inputs: string[]; workerInputs: string[] }> {
  const script = statSync(join(REPO_ROOT, 'scripts', 'bundle-cli.ts')).mtimeMs;
  const fresh = (
    [
      ['ledgerline', CLI_BUNDLE],
      ['partition-worker', WORKER_BUNDLE],
    ] as const
  ).every(([name, bundle]) => freshBundle(name) === bundle && statSync(bundle).mtimeMs > script);
  if (fresh) {
    const listed = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { inputs: string[] }).inputs;
    return { inputs: listed(CLI_INPUTS), workerInputs: listed(WORKER_INPUTS) };
  }
  const built = await bundleCli();
  return { inputs: built.inputs, workerInputs: built.worker.inputs };
}

beforeAll(async () => {
  ({ inputs, workerInputs } = await cliBuild());
  dir = mkdtempSync(join(tmpdir(), 'cli-bundle-'));
  const set = generateLabelledSet({ seed: 7, statementLines: 400 });
  const statements = statementsOf(set);
  writeCamt(join(dir, 'statement.xml'), statements, '2025-06-30');
  writeMt940(join(dir, 'statement.sta'), statements, '2025-06-30');
  const csv = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  writeFileSync(
    join(dir, 'ledger.csv'),
    'entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n' +
      set.ledgerEntries.map((e) => [e.entryId, e.accountId, e.currency, e.amount, e.bookingDate, e.valueDate, csv(e.reference), csv(e.description)].join(',')).join('\n') +
      '\n',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], fromSource: boolean) {
  const env = { ...process.env, LEDGERLINE_FROM_SOURCE: fromSource ? '1' : '0' };
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
}

const RESULT_FILES = ['matches.csv', 'exceptions.csv', 'summary.json'];

it.each(['statement.sta'])('reconcile %s: the bundle and the sources write the same bytes', (statement) => {
  const outs = [true, false].map((fromSource) => {
    const out = join(dir, `out-${statement}-${fromSource ? 'source' : 'bundle'}`);
    const result = run(['reconcile', '--statement', join(dir, statement), '--ledger', join(dir, 'ledger.csv'), '--out', out, '--as-of', '2025-06-30'], fromSource);
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
    return out;
  });
  for (const file of RESULT_FILES) {
    const [source, bundle] = outs.map((out) => readFileSync(join(out, 'current', file)));
    expect(bundle!.length).toBeGreaterThan(0);
    expect(bundle!.equals(source!)).toBe(true);
  }
});

it('a two-partition post leaves the same ledger whether its workers run their bundle or the sources', () => {
  const input = join(dir, 'auths.ndjson');
  writeFileSync(input, `${sampleLines(600, 23).join('\n')}\n`);
  const ledgers = [true, false].map((fromSource) => {
    const state = join(dir, `state-${fromSource ? 'source' : 'bundle'}`);
    const post = run(['post', '--input', input, '--state', state, '--partitions', '2', '--json'], fromSource);
    expect({ status: post.status, stderr: post.status === 0 ? '' : post.stderr }).toEqual({ status: 0, stderr: '' });
    const ledger = run(['ledger', '--state', state, '--json'], fromSource);
    expect(ledger.status).toBe(0);
    return JSON.parse(ledger.stdout) as unknown;
  });
  expect(JSON.stringify(ledgers[0])).toContain('"balance');
  expect(ledgers[1]).toEqual(ledgers[0]);
});

it('bad input fails the same way from the bundle and the sources', () => {
  const bad = join(dir, 'bad.sta');
  writeFileSync(bad, ':20:X\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C250630EUR1,00\n:61:2506301306C1,00NTRFREF\n:62F:C250630EUR9,00\n-\n');
  const [source, bundle] = [true, false].map((fromSource) => run(['reconcile', '--statement', bad, '--ledger', join(dir, 'ledger.csv'), '--out', join(dir, `bad-${fromSource}`)], fromSource));
  expect(bundle!.status).not.toBe(0);
  expect({ status: bundle!.status, stderr: bundle!.stderr.replace(/bad-(true|false)/g, 'bad') }).toEqual({ status: source!.status, stderr: source!.stderr.replace(/bad-(true|false)/g, 'bad') });
});

it('lists every source file the command reaches, so an edit makes bin fall back to the sources', () => {
  const listed = new Set(inputs.map((input) => relative(REPO_ROOT, input)));
  expect(listed.has(relative(REPO_ROOT, CLI_ENTRY))).toBe(true);
  // The lazily required command modules are in the bundle too (an edit to them must be seen).
  for (const file of ['src/recon/run/reconcile.ts', 'src/recon/workbench/server.ts', 'src/adapters/embedded/recon-results.ts']) expect(listed.has(file)).toBe(true);
  for (const input of inputs) expect(resolve(input).startsWith(REPO_ROOT)).toBe(true);
  const worker = new Set(workerInputs.map((input) => relative(REPO_ROOT, input)));
  expect(worker.has(relative(REPO_ROOT, WORKER_ENTRY))).toBe(true);
  expect(worker.has('src/runtime/embedded-runtime.ts')).toBe(true);
});
