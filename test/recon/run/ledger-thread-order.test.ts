/**
 * REC-PERF-1: `reconcile` reads a large ledger file on a helper thread while it reads the
 * statements, and the outcome is the one of reading the ledger first (LEDGERLINE_MAIN_THREAD=1,
 * and every small ledger): a bad ledger is quarantined and nothing else, even when a statement is
 * bad too, or every statement is a re-upload, or the account registry is missing; a good ledger
 * with a bad statement quarantines the statement; a good run writes the same result bytes.
 */
import { appendFileSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEDGER_THREAD_MIN_BYTES, readsOnThread } from '../../../src/adapters/embedded/recon-ledger-source';
import { reconcile, ReconcileConfigError, RejectedInputError, type ReconcileOptions } from '../../../src/recon/run/reconcile';
import { tempDir } from '../../support/runtime';
import { BAI2, BAI2_UNKNOWN, CAMT053, CAMT_WRONG, LEDGER_ROWS, listing, MT940, writeLedger } from './helpers';

jest.setTimeout(120_000);

const root = tempDir('recon-ledger-thread-');

/** The fixtures' ledger rows, then enough rows of an account no statement names to pass the thread's threshold. */
function largeLedger(name: string, lastRow?: string): string {
  const filler: string[] = [];
  for (let i = 0, bytes = 0; bytes < LEDGER_THREAD_MIN_BYTES + 4096; i += 1) {
    const row = `F-${String(i).padStart(8, '0')},GB33BUKB20201555555555,EUR,${i % 1000}.${String(i % 100).padStart(2, '0')},2015-01-02,2015-01-02,FILL${i},filler row ${i % 50}`;
    filler.push(row);
    bytes += row.length + 1;
  }
  const path = writeLedger(root, [...LEDGER_ROWS, ...filler], name);
  if (lastRow) appendFileSync(path, `${lastRow}\n`);
  return path;
}

const goodLedger = largeLedger('good-ledger.csv');
// The fault is on the last line: the statements are long read when the thread finds it.
const badLedger = largeLedger('bad-ledger.csv', 'Z-LAST,NL26VAYB8060476890,EUR,1.234,2015-01-02,2015-01-02,x,too many decimals');
const STATEMENTS = [CAMT053, MT940, BAI2];
let outs = 0;

type Mode = 'thread' | 'main thread';

async function run(mode: Mode, options: Omit<ReconcileOptions, 'out'> & { out?: string }) {
  const saved = process.env.LEDGERLINE_MAIN_THREAD;
  if (mode === 'main thread') process.env.LEDGERLINE_MAIN_THREAD = '1';
  else delete process.env.LEDGERLINE_MAIN_THREAD;
  const out = options.out ?? join(root, `out-${(outs += 1)}`);
  const progress: string[] = [];
  try {
    expect(readsOnThread(goodLedger)).toBe(mode === 'thread');
    const outcome = await reconcile({ asOf: '2017-01-31', ...options, out, progress: (message) => progress.push(message) });
    return { out, outcome, progress };
  } catch (error) {
    return { out, error: error as Error, progress };
  } finally {
    if (saved === undefined) delete process.env.LEDGERLINE_MAIN_THREAD;
    else process.env.LEDGERLINE_MAIN_THREAD = saved;
  }
}

/** What a user sees of a rejected run: the error, the file blamed, the quarantine and everything in --out. */
async function rejected(mode: Mode, options: Omit<ReconcileOptions, 'out'> & { out?: string }) {
  const { out, error, progress } = await run(mode, options);
  expect(error).toBeInstanceOf(RejectedInputError);
  const { badInput, quarantined } = error as RejectedInputError;
  return {
    message: badInput.message,
    file: badInput.file,
    kind: badInput.kind,
    quarantined: [quarantined.file, quarantined.reasonFile].map((p) => p.slice(out.length)),
    listing: listing(out),
    progress: progress.map((line) => line.split(out).join('<out>')),
  };
}

const both = async <T>(look: (mode: Mode) => Promise<T>): Promise<T> => {
  const [thread, main] = [await look('thread'), await look('main thread')];
  expect(thread).toEqual(main);
  return thread;
};

describe('reconcile with the ledger file on its helper thread', () => {
  it('a bad ledger and a bad statement: only the ledger is quarantined, as when the ledger is read first', async () => {
    for (const bad of [CAMT_WRONG, BAI2_UNKNOWN]) {
      const seen = await both((mode) => rejected(mode, { statements: [bad, ...STATEMENTS], ledger: { file: badLedger } }));
      expect(seen.file).toBe(badLedger);
      expect(seen.message).toMatch(/bad-ledger\.csv line \d+: field "amount"/);
      expect(seen.listing).toEqual(['quarantine/', 'quarantine/bad-ledger.csv', 'quarantine/bad-ledger.csv.reason.txt']);
      expect(seen.progress.filter((line) => line.startsWith('quarantined'))).toHaveLength(1);
    }
  });

  it('a bad ledger and good statements: the ledger is quarantined, nothing recorded', async () => {
    const seen = await both((mode) => rejected(mode, { statements: STATEMENTS, ledger: { file: badLedger } }));
    expect(seen.file).toBe(badLedger);
    expect(seen.listing).toEqual(['quarantine/', 'quarantine/bad-ledger.csv', 'quarantine/bad-ledger.csv.reason.txt']);
  });

  it('a bad ledger and a missing account registry: the ledger is quarantined (it is read first)', async () => {
    const seen = await both((mode) => rejected(mode, { statements: STATEMENTS, ledger: { file: badLedger, accounts: join(root, 'no-such-registry.csv') } }));
    expect(seen.file).toBe(badLedger);
    // A good ledger with the same registry: the registry's usage error.
    for (const mode of ['thread', 'main thread'] as const) {
      const { error } = await run(mode, { statements: STATEMENTS, ledger: { file: goodLedger, accounts: join(root, 'no-such-registry.csv') } });
      expect(error).toBeInstanceOf(ReconcileConfigError);
    }
  });

  it('a good ledger and a bad statement: the statement is quarantined, as before', async () => {
    const seen = await both((mode) => rejected(mode, { statements: [...STATEMENTS, CAMT_WRONG], ledger: { file: goodLedger } }));
    expect(seen.file).toBe(CAMT_WRONG);
    expect(seen.listing).toEqual(['quarantine/', 'quarantine/camt053.v2.wrong.xml', 'quarantine/camt053.v2.wrong.xml.reason.txt']);
  });

  it('a missing ledger file stays a usage error', async () => {
    for (const mode of ['thread', 'main thread'] as const) {
      const { error, out } = await run(mode, { statements: STATEMENTS, ledger: { file: join(root, 'missing.csv') } });
      expect(error).toBeInstanceOf(ReconcileConfigError);
      expect(error!.message).toMatch(/ledger file does not exist/);
      expect(listing(out)).toEqual([]);
    }
  });

  it('a good run writes the same results; a re-upload against a bad ledger quarantines the ledger, not "nothing new"', async () => {
    const results = await both(async (mode) => {
      const { out, outcome, error } = await run(mode, { statements: STATEMENTS, ledger: { file: goodLedger } });
      expect(error).toBeUndefined();
      expect(outcome!.committed).toBe(true);
      const files = Object.fromEntries(['matches.csv', 'exceptions.csv', 'summary.json'].map((file) => [file, readFileSync(join(out, 'current', file), 'utf8')]));
      // Every statement again, now against a bad ledger (copied under the good one's name: the same run scope).
      const badAsGood = join(out, 'ledger-now-bad.csv');
      copyFileSync(badLedger, badAsGood);
      const again = await run(mode, { out, statements: STATEMENTS, ledger: { file: badAsGood } });
      expect(again.error).toBeInstanceOf(RejectedInputError);
      expect((again.error as RejectedInputError).badInput.file).toBe(badAsGood);
      return { files, progress: again.progress.filter((line) => line.startsWith('quarantined')).map((line) => line.split(out).join('<out>')) };
    });
    expect(results.files['matches.csv']!.split('\n').length).toBeGreaterThan(5);
    expect(results.progress).toHaveLength(1);
  });
});
