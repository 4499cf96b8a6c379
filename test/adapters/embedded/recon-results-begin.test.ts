/**
 * The embedded ResultSink's head start on a run (ResultSink.begin, REC-PERF-1): begin() stages the
 * run's statement lines and ledger entries (their load files, their Parquet copies queued) before
 * the run matches. stage() of the same run takes it, and the run's results are then byte for byte
 * (files) and row for row (Parquet) those of a run staged without begin(); a stage() of another
 * run drops it; abort() leaves nothing of it, and does nothing once stage() took it; a begin()
 * that fails leaves nothing either.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLedgerFile } from '../../support/ledger-columns';
import { currentRunId, outDirResultSink } from '../../../src/adapters/embedded/recon-results';
import type { RecordedRun, ResultSink, RunInputs } from '../../../src/ports/reconciliation';
import { columnLedgerRows, ledgerRowsOf, type LedgerRows } from '../../../src/recon/ledger-rows';
import { defaultRuleSet, generateLabelledSet, matchAll } from '../../../src/recon/matching';
import { ANALYTICS_TABLES } from '../../../src/recon/run/analytics-store';
import { RESULT_FILES } from '../../../src/recon/run/output-dir';
import { canonicalResult, countResult } from '../../../src/recon/run/results';
import { runLookups, unmatchedLedgerIds } from '../../../src/recon/run/run-lookups';
import { StatementColumnsBuilder, statementRowsOf, type StatementRows } from '../../../src/recon/statement-rows';
import type { LedgerEntry, StatementLine } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

jest.setTimeout(120_000);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ledgerline-results-begin-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
const freshOut = (name: string): string => join(root, `${name}-${(dirs += 1)}`);

/** Text a CSV cell or a spreadsheet treats specially (the load files encode it; DuckDB decodes it back). */
const HOSTILE = ["'", '=', '+', '-', '@', ',', '"', '\n', ' ', 'é', '€'];

interface RunSpec {
  seed: number;
  lines: number;
  entries: number;
  /** The ledger as a ledger file's columns (from its helper thread) instead of objects. */
  columns: boolean;
  /** The statement lines as columns (StatementColumnsBuilder, as a large file's are read) instead of objects. */
  statementColumns?: boolean;
  /** Prefixed to some texts of the rows (references, descriptions, remittance information, file names). */
  hostile: string;
}

const runSpec: fc.Arbitrary<RunSpec> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  lines: fc.integer({ min: 1, max: 30 }),
  entries: fc.integer({ min: 0, max: 30 }),
  columns: fc.boolean(),
  statementColumns: fc.boolean(),
  hostile: fc.array(fc.constantFrom(...HOSTILE), { maxLength: 4 }).map((chars) => chars.join('')),
});

/** A run built as the use case builds it (the one matcher, canonical order, the run's lookups). */
function recordedRun(runId: string, spec: RunSpec): RecordedRun {
  const set = generateLabelledSet({ seed: spec.seed, statementLines: spec.lines, ledgerEntries: spec.entries });
  const statementLines: StatementLine[] = set.statementLines.map((line, i) => (i % 2 === 0 ? { ...line, remittanceInformation: `${spec.hostile}${line.remittanceInformation ?? 'paid'}` } : line));
  const entries: LedgerEntry[] = set.ledgerEntries.map((entry, i) =>
    i % 2 === 1 ? { ...entry, description: `${spec.hostile}${entry.description}`, reference: `${spec.hostile}${entry.reference}` } : entry,
  );
  let ledgerEntries: LedgerRows = ledgerRowsOf(entries);
  if (spec.columns) {
    const { message } = encodeLedgerFile({ path: 'ledger.csv', format: 'csv', contentHash: 'h', entries }, { pieceChars: 16 });
    ledgerEntries = columnLedgerRows(message.rows, message.columns);
  }
  const result = canonicalResult(matchAll(statementLines, entries, defaultRuleSet(), set.asOf));
  let lineRows: StatementRows = statementRowsOf(statementLines);
  if (spec.statementColumns) {
    const builder = new StatementColumnsBuilder();
    for (const line of statementLines) builder.push(line);
    lineRows = builder.finish();
  }
  const lookups = runLookups(lineRows, ledgerEntries, unmatchedLedgerIds(result));
  const files = [`${spec.hostile}statement-a.xml`, 'statement-b.sta'];
  return {
    runId,
    asOf: set.asOf,
    recordedAt: new Date('2026-01-01T00:00:00Z'),
    summary: {
      runId,
      asOf: set.asOf,
      ruleSet: { ruleSetId: 'default', version: 1 },
      statementFiles: [],
      reuploaded: [],
      statementLines: statementLines.length,
      ledgerEntries: entries.length,
      ledgerEntriesAlreadyReconciled: 0,
      ...countResult(result),
      balanceChecks: [],
    },
    result,
    statementLines: lineRows,
    ledgerEntries,
    fileOf: (id) => files[Number(id.split(':').at(-1)) % 2]!,
    statementLine: lookups.statementLine,
    ledgerEntry: lookups.ledgerEntry,
    audit: [{ type: 'run.started', runId, note: `${spec.hostile}x` }],
  };
}

const inputsOf = (run: RecordedRun): RunInputs => ({ runId: run.runId, statementLines: run.statementLines, ledgerEntries: run.ledgerEntries, fileOf: run.fileOf });

/** stage → publish → settle → close, no registry; settle reports nothing. Returns where the run was published. */
async function stageAndPublish(sink: ResultSink, run: RecordedRun): Promise<string> {
  const staged = await sink.stage(run);
  const location = await staged.publish();
  const reports: string[] = [];
  await staged.settle((message) => reports.push(message));
  await staged.close();
  expect(reports).toEqual([]);
  return location;
}

/** A Parquet file's rows, as JSON, in a fixed order. */
async function parquetRows(path: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path.replace(/'/g, "''")}')`);
    return (reader.getRowObjectsJson() as unknown[]).map((row) => JSON.stringify(row)).sort();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The names under <out>/.staging that belong to `runId` (none when .staging is gone). */
function stagingOf(out: string, runId: string): string[] {
  const root = join(out, '.staging');
  return existsSync(root) ? readdirSync(root).filter((name) => name.startsWith(`${runId}-`)) : [];
}

const isLink = (path: string): boolean => {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
};

/** Nothing of `runId` in `out`: no staging directory, no run directory, no `current` or stable names. */
function expectNothingOf(out: string, runId: string): void {
  expect(stagingOf(out, runId)).toEqual([]);
  expect(existsSync(join(out, 'runs', runId))).toBe(false);
  expect(isLink(join(out, 'current'))).toBe(false);
  for (const name of RESULT_FILES) expect(isLink(join(out, name))).toBe(false);
}

/** The published run in `out` is the same, file for file and row for row, as in `reference`. */
async function expectSameRun(out: string, reference: string, run: RecordedRun): Promise<void> {
  const dir = join(out, 'runs', run.runId);
  const expected = join(reference, 'runs', run.runId);
  expect(currentRunId(out)).toBe(run.runId);
  expect(readlinkSync(join(out, 'current'))).toBe(join('runs', run.runId));
  for (const file of ['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson']) expect(readFileSync(join(dir, file)).equals(readFileSync(join(expected, file)))).toBe(true);
  const parquetFiles = readdirSync(join(dir, 'parquet')).sort();
  // Only the tables' Parquet files: no load file left behind.
  expect(parquetFiles).toEqual(ANALYTICS_TABLES.map((table) => `${table}.parquet`).sort());
  expect(readdirSync(join(expected, 'parquet')).sort()).toEqual(parquetFiles);
  for (const file of parquetFiles) expect(await parquetRows(join(dir, 'parquet', file))).toEqual(await parquetRows(join(expected, 'parquet', file)));
  // Not two empty tables: the inputs are all there, each under the run's id.
  const lines = await parquetRows(join(dir, 'parquet', 'statement_lines.parquet'));
  expect(lines).toHaveLength(run.statementLines.length);
  expect(lines.map((row) => (JSON.parse(row) as { statement_line_id: string }).statement_line_id).sort()).toEqual(
    Array.from({ length: run.statementLines.length }, (_, row) => run.statementLines.statementLineId(row)).sort(),
  );
  const entries = await parquetRows(join(dir, 'parquet', 'ledger_entries.parquet'));
  expect(entries).toHaveLength(run.ledgerEntries.length);
  for (const row of [...lines, ...entries]) expect((JSON.parse(row) as { run_id: string }).run_id).toBe(run.runId);
}

/** The run staged without begin() into a fresh out directory: what a begun run must equal. */
async function referenceOf(run: RecordedRun): Promise<string> {
  const reference = freshOut('reference');
  const sink = outDirResultSink(reference);
  await sink.align([]);
  await stageAndPublish(sink, run);
  expect(existsSync(join(reference, '.staging'))).toBe(false);
  return reference;
}

describe('outDirResultSink.begin (REC-PERF-1)', () => {
  it('begin → stage → publish → settle: the same files, byte for byte, and the same Parquet rows as a run staged without begin (generated runs)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(runSpec, async (spec) => {
        const run = recordedRun(`run-begin-${(n += 1)}`, spec);
        const reference = await referenceOf(run);
        const out = freshOut('begun');
        const sink = outDirResultSink(out);
        await sink.align([]);
        await sink.begin!(inputsOf(run));
        // Begun, not visible: the input tables' load files are in the run's staging directory.
        expect(stagingOf(out, run.runId)).toEqual([`${run.runId}-${process.pid}`]);
        const parquetDir = join(out, '.staging', `${run.runId}-${process.pid}`, 'parquet');
        expect(readdirSync(parquetDir).filter((name) => name.endsWith('.load.csv'))).toEqual(expect.arrayContaining(['ledger_entries.load.csv', 'statement_lines.load.csv']));
        expect(existsSync(join(out, 'runs'))).toBe(false);
        expect(currentRunId(out)).toBeNull();
        const location = await stageAndPublish(sink, run);
        expect(location).toBe(join(out, 'runs', run.runId));
        expect(stagingOf(out, run.runId)).toEqual([]);
        await expectSameRun(out, reference, run);
        rmSync(out, { recursive: true, force: true });
        rmSync(reference, { recursive: true, force: true });
      }),
      { numRuns: fuzzRuns(6), seed: fuzzSeed(2027) },
    );
  });

  it('begin → abort leaves nothing of the run (no staging, no run directory, no current); abort twice is fine; the run can then be staged afresh', async () => {
    const run = recordedRun('run-aborted', { seed: 7, lines: 12, entries: 9, columns: true, hostile: "'=" });
    const out = freshOut('aborted');
    const sink = outDirResultSink(out);
    await sink.align([]);
    const begun = await sink.begin!(inputsOf(run));
    expect(stagingOf(out, run.runId)).toHaveLength(1);
    await begun.abort();
    expectNothingOf(out, run.runId);
    await expect(begun.abort()).resolves.toBeUndefined();
    expectNothingOf(out, run.runId);
    // The sink holds nothing of the aborted run: a stage of it starts afresh and publishes the same results.
    await stageAndPublish(sink, run);
    await expectSameRun(out, await referenceOf(run), run);
    // An abort of the old begin now touches nothing.
    await begun.abort();
    expect(currentRunId(out)).toBe(run.runId);
    expect(existsSync(join(out, 'runs', run.runId, 'matches.csv'))).toBe(true);
  });

  it("begin(A) → stage(B): A's staging is gone, B is staged from B's own rows and publishes; A's abort then touches nothing", async () => {
    const a = recordedRun('run-a', { seed: 11, lines: 10, entries: 10, columns: false, hostile: '' });
    const b = recordedRun('run-b', { seed: 12, lines: 14, entries: 6, columns: true, statementColumns: true, hostile: '+' });
    const out = freshOut('other-run');
    const sink = outDirResultSink(out);
    await sink.align([]);
    const begunA = await sink.begin!(inputsOf(a));
    expect(stagingOf(out, a.runId)).toHaveLength(1);
    const staged = await sink.stage(b);
    expect(stagingOf(out, a.runId)).toEqual([]);
    expect(stagingOf(out, b.runId)).toHaveLength(1);
    await begunA.abort();
    expect(stagingOf(out, b.runId)).toHaveLength(1);
    expect(await staged.publish()).toBe(join(out, 'runs', b.runId));
    await staged.settle((message) => {
      throw new Error(`unexpected report: ${message}`);
    });
    await staged.close();
    expect(existsSync(join(out, 'runs', a.runId))).toBe(false);
    await expectSameRun(out, await referenceOf(b), b);
  });

  it('an abort after stage took the begun run does nothing: the staged run still publishes, whole', async () => {
    const run = recordedRun('run-taken', { seed: 21, lines: 16, entries: 12, columns: true, statementColumns: true, hostile: '@"' });
    const out = freshOut('taken');
    const sink = outDirResultSink(out);
    await sink.align([]);
    const begun = await sink.begin!(inputsOf(run));
    const staged = await sink.stage(run);
    await begun.abort();
    expect(stagingOf(out, run.runId)).toHaveLength(1);
    expect(await staged.publish()).toBe(join(out, 'runs', run.runId));
    await begun.abort();
    const reports: string[] = [];
    await staged.settle((message) => reports.push(message));
    await staged.close();
    expect(reports).toEqual([]);
    await expectSameRun(out, await referenceOf(run), run);
  });

  it('stage of the begun run takes what begin rendered: the input tables are not rendered again', async () => {
    const run = recordedRun('run-rendered-once', { seed: 41, lines: 9, entries: 11, columns: false, hostile: '' });
    let reads = 0;
    let fileOfCalls = 0;
    // The ledger's descriptions are read for its load file only (the results files read the run's lookups).
    const counted: LedgerRows = Object.assign(Object.create(run.ledgerEntries) as LedgerRows, {
      description: (row: number) => {
        reads += 1;
        return run.ledgerEntries.description(row);
      },
    });
    const countedRun: RecordedRun = {
      ...run,
      ledgerEntries: counted,
      fileOf: (id) => {
        fileOfCalls += 1;
        return run.fileOf(id);
      },
    };
    const out = freshOut('rendered-once');
    const sink = outDirResultSink(out);
    await sink.align([]);
    await sink.begin!(inputsOf(countedRun));
    expect(reads).toBe(run.ledgerEntries.length);
    expect(fileOfCalls).toBe(run.statementLines.length);
    await stageAndPublish(sink, countedRun);
    expect(reads).toBe(run.ledgerEntries.length);
    expect(fileOfCalls).toBe(run.statementLines.length);
    await expectSameRun(out, await referenceOf(run), run);
  });

  it('a begin whose load files fail to render rejects with that failure and leaves nothing; the sink then stages the run normally', async () => {
    const run = recordedRun('run-begin-fails', { seed: 31, lines: 8, entries: 8, columns: false, hostile: '' });
    const out = freshOut('begin-fails');
    const sink = outDirResultSink(out);
    await sink.align([]);
    const failure = new Error('no file for this line');
    // The statement lines' file is the second load file: the ledger entries' one is written by then.
    await expect(
      sink.begin!({
        ...inputsOf(run),
        fileOf: () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
    expectNothingOf(out, run.runId);
    expect(existsSync(join(out, '.staging'))).toBe(false);
    // A ledger whose rows cannot be read (the first load file) likewise.
    const unreadable: LedgerRows = Object.assign(Object.create(run.ledgerEntries) as LedgerRows, {
      description: () => {
        throw new Error('ledger row unreadable');
      },
    });
    expect(unreadable.length).toBe(8);
    await expect(sink.begin!({ ...inputsOf(run), ledgerEntries: unreadable })).rejects.toThrow('ledger row unreadable');
    expectNothingOf(out, run.runId);
    await stageAndPublish(sink, run);
    await expectSameRun(out, await referenceOf(run), run);
  });
});
