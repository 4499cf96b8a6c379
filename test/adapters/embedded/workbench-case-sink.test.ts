/**
 * REC-CASE-1, REC-DASH-1, REC-PERF-1: the embedded case sink raises a recorded run's cases and
 * statistics in <out>/workbench.db over the run's own index of its lines and entries
 * (RecordedRun.statementLine / ledgerEntry). Checked against the plain path (importRunResult over
 * maps of the run's lines and entries, and the accounts of every line) on generated runs: the same
 * cases, history and run statistics, byte for byte; the same run recorded again changes nothing;
 * a later run of fewer exceptions clears the rest in both.
 *
 * `prepare` (a large run's cases written on their own thread while the run records its results):
 * once committed, the same store as `record`; nothing of the run is visible to another reader
 * before the commit; an abort leaves the store as it was (and no workbench where there was none); a
 * thread that fails is reported at commit, never as an abort's failure.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CASE_BATCH, workbenchCaseSink } from '../../../src/adapters/embedded/recon-cases';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import type { PreparedCases, RecordedRun } from '../../../src/ports/reconciliation';
import { ledgerRowsOf } from '../../../src/recon/ledger-rows';
import type { RunSummary } from '../../../src/recon/run/results';
import { StatementColumnsBuilder, statementRowsOf } from '../../../src/recon/statement-rows';
import type { ExceptionReason, LedgerEntry, Match, StatementLine, UnmatchedItem } from '../../../src/recon/types';
import { importRunResult, runCasesOf } from '../../../src/recon/workbench/import-cases';

const ACCOUNTS = ['GB29NWBK60161331926819', 'NL26VAYB8060476890', '4111111111111111'];
const REASONS: ExceptionReason[] = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE'];

interface Fate {
  kind: 'confirmed' | 'proposed' | 'exception' | 'grouped';
  account: number;
  cents: number;
  withCandidate: boolean;
}

const fateArb = fc.record({
  kind: fc.constantFrom<Fate['kind']>('confirmed', 'proposed', 'exception', 'grouped'),
  account: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }),
  cents: fc.integer({ min: -10_000_000, max: 10_000_000 }),
  withCandidate: fc.boolean(),
});

/** A recorded run as the use case hands it over: lines, entries, a result over them and one index (counting its lookups). */
function recordedRun(runId: string, fates: readonly Fate[], keep: (i: number) => boolean = () => true): RecordedRun & { lookups: () => number } {
  const statementLines: StatementLine[] = [];
  const ledgerEntries: LedgerEntry[] = [];
  const matches: Match[] = [];
  const unmatched: UnmatchedItem[] = [];
  fates.forEach((fate, i) => {
    const amount = `${fate.cents < 0 ? '-' : ''}${Math.floor(Math.abs(fate.cents) / 100)}.${String(Math.abs(fate.cents) % 100).padStart(2, '0')}`;
    const line = {
      statementLineId: `0123456789ab:0:${i}`,
      format: 'mt940',
      statementId: 'S1',
      accountId: ACCOUNTS[fate.account]!,
      currency: 'EUR',
      amount,
      bookingDate: `2025-06-${String(1 + (i % 28)).padStart(2, '0')}`,
      valueDate: null,
      bankReference: `REF${i}`,
      position: { file: 'statement.sta', line: i + 1 },
    } as StatementLine;
    const entry = { entryId: `LE${i}`, accountId: ACCOUNTS[fate.account]!, currency: 'EUR', amount, bookingDate: line.bookingDate, valueDate: null, reference: `REF${i}` } as unknown as LedgerEntry;
    statementLines.push(line);
    ledgerEntries.push(entry);
    if (fate.kind === 'confirmed' || fate.kind === 'proposed' || !keep(i)) {
      matches.push({
        matchId: `M${i}`,
        ruleId: 'exact',
        confidence: fate.kind === 'proposed' ? 0.75 : 1,
        status: fate.kind === 'proposed' ? 'proposed' : 'confirmed',
        statementLineIds: [line.statementLineId],
        ledgerEntryIds: [entry.entryId],
      });
      return;
    }
    const item: UnmatchedItem = { side: 'statement', id: line.statementLineId, reason: REASONS[i % REASONS.length]!, ageDays: i % 40 };
    if (fate.withCandidate) item.candidateId = entry.entryId;
    if (fate.kind === 'grouped') {
      item.group = `batch:${fate.account}`;
      unmatched.push(item, { side: 'ledger', id: entry.entryId, reason: 'UNMATCHED', ageDays: i % 40, candidateId: line.statementLineId, group: `batch:${fate.account}` });
    } else unmatched.push(item);
  });
  let lookups = 0;
  const lines = new Map(statementLines.map((line) => [line.statementLineId, line]));
  const entries = new Map(ledgerEntries.map((entry) => [entry.entryId, entry]));
  return {
    runId,
    asOf: '2025-07-01',
    recordedAt: new Date('2025-07-01T06:00:00.000Z'),
    summary: { runId, asOf: '2025-07-01', balanceChecks: [] } as unknown as RunSummary,
    result: { matches, unmatched },
    statementLines: statementRowsOf(statementLines),
    ledgerEntries: ledgerRowsOf(ledgerEntries),
    fileOf: () => 'statement.sta',
    statementLine: (id) => ((lookups += 1), lines.get(id)),
    ledgerEntry: (id) => ((lookups += 1), entries.get(id)),
    audit: [],
    lookups: () => lookups,
  };
}

/** The run with its lines as columns (StatementColumnsBuilder, as a large run holds them: REC-PERF-1), looked up there. */
function asColumns<Run extends RecordedRun>(run: Run): Run {
  const columns = new StatementColumnsBuilder();
  for (const line of run.statementLines.toArray()) columns.push(line);
  const rows = columns.finish();
  const rowOf = new Map<string, number>();
  for (let row = 0; row < rows.length; row += 1) rowOf.set(rows.statementLineId(row), row);
  return {
    ...run,
    statementLines: rows,
    statementLine: (id: string) => {
      const row = rowOf.get(id);
      return row === undefined ? undefined : rows.line(row);
    },
    // As the run's lookups answer (runLookups.statementRow): the statistics read a named line's fields from its row.
    statementRow: (id: string) => rowOf.get(id) ?? -1,
  };
}

/** The run with the lines `out` names left out of its result (lines kept out of matching: the result does not name them). */
function withLinesOutOfMatching<Run extends RecordedRun>(run: Run, out: (statementLineId: string) => boolean): Run {
  return {
    ...run,
    result: {
      matches: run.result.matches.filter((match) => !match.statementLineIds.some(out)),
      unmatched: run.result.unmatched.filter((item) => item.side !== 'statement' || !out(item.id)),
    },
  };
}

/** What the sink hands the case builder of a recorded run (its own rows and index). */
const casesOf = (run: RecordedRun) =>
  runCasesOf({
    runId: run.runId,
    asOf: run.asOf,
    recordedAt: run.recordedAt.toISOString(),
    summary: run.summary,
    result: run.result,
    statementLine: (id) => run.statementLine(id),
    ledgerEntry: (id) => run.ledgerEntry(id),
    statementLines: run.statementLines,
    ...(run.statementRow ? { statementRow: run.statementRow } : {}),
  });

/** The plain path: maps of the run's lines and entries, the accounts of every line. */
async function plainImport(out: string, run: RecordedRun): Promise<void> {
  const lines = new Map(run.statementLines.toArray().map((line) => [line.statementLineId, line]));
  const entries = new Map(run.ledgerEntries.toArray().map((entry) => [entry.entryId, entry]));
  const db = openWorkbenchDatabase(out);
  try {
    await importRunResult(new SqliteWorkbenchStore(db), {
      runId: run.runId,
      asOf: run.asOf,
      recordedAt: run.recordedAt.toISOString(),
      summary: run.summary,
      result: run.result,
      statementLine: (id) => lines.get(id),
      ledgerEntry: (id) => entries.get(id),
      coveredAccounts: new Set(run.statementLines.toArray().map((line) => line.accountId)),
    });
  } finally {
    db.close();
  }
}

/** The files a new workbench's build left in `out` (./workbench-build.ts names them workbench.db.build-<pid>-<thread>-<n>). */
const buildFiles = (out: string): string[] => (existsSync(out) ? readdirSync(out).filter((name) => name.startsWith('workbench.db.build-')) : []);

/** Everything the workbench shows of the store (the import marker's own timestamp aside). */
function dump(out: string): string {
  const db = openWorkbenchDatabase(out);
  try {
    new SqliteWorkbenchStore(db); // the schema, for a store nothing was imported into yet
    return JSON.stringify([
      db.prepare('SELECT * FROM cases ORDER BY case_id').all(),
      db.prepare('SELECT * FROM case_events ORDER BY case_id, version').all(),
      db.prepare('SELECT * FROM run_stats ORDER BY run_id').all(),
      db.prepare('SELECT run_id FROM imported_runs ORDER BY run_id').all(),
    ]);
  } finally {
    db.close();
  }
}

describe('the embedded case sink (workbench.db)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'workbench-case-sink-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('property: the same cases, history and statistics as the plain path; again changes nothing; a later run clears in both', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fateArb, { minLength: 0, maxLength: 40 }), fc.integer({ min: 2, max: 5 }), async (fates, every) => {
        n += 1;
        const sinkOut = join(root, `sink-${n}`);
        const plainOut = join(root, `plain-${n}`);
        const first = recordedRun('run-1', fates);
        const later = recordedRun('run-2', fates, (i) => i % every !== 0);
        const sink = workbenchCaseSink(sinkOut);
        await sink.record(first);
        await plainImport(plainOut, first);
        expect(dump(sinkOut)).toBe(dump(plainOut));
        const once = dump(sinkOut);
        await sink.record(first);
        expect(dump(sinkOut)).toBe(once);
        await sink.record(later);
        await plainImport(plainOut, later);
        expect(dump(sinkOut)).toBe(dump(plainOut));
      }),
      { numRuns: 40 },
    );
  });

  it('property (REC-PERF-1): lines as columns raise the same cases and statistics as the same lines as objects, lines out of matching too', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fateArb, { minLength: 0, maxLength: 40 }), fc.integer({ min: 2, max: 5 }), async (fates, every) => {
        n += 1;
        const named = recordedRun('run-1', fates);
        // Some lines the result does not name: the statistics then find each named line among the rows.
        const partly = withLinesOutOfMatching(recordedRun('run-2', fates), (id) => Number(id.slice(id.lastIndexOf(':') + 1)) % every === 0);
        for (const run of [named, partly]) {
          const columns = asColumns(run);
          expect(columns.statementLines.toArray()).toEqual(run.statementLines.toArray());
          const fromObjects = casesOf(run);
          const fromColumns = casesOf(columns);
          expect(JSON.stringify(fromColumns)).toBe(JSON.stringify(fromObjects));
          expect(JSON.stringify(fromColumns.stats)).toBe(JSON.stringify(casesOf({ ...run, statementLines: statementRowsOf([]) }).stats));
        }
        const objectsOut = join(root, `objects-${n}`);
        const columnsOut = join(root, `columns-${n}`);
        const plainOut = join(root, `plain-${n}`);
        for (const run of [named, partly]) {
          await workbenchCaseSink(objectsOut).record(run);
          await workbenchCaseSink(columnsOut).record(asColumns(run));
          await plainImport(plainOut, run);
        }
        expect(dump(columnsOut)).toBe(dump(objectsOut));
        expect(dump(columnsOut)).toBe(dump(plainOut));
      }),
      { numRuns: 40 },
    );
  });

  it("what a killed build of a new workbench left is removed by the next run's sink, whichever way it writes", async () => {
    for (const [i, options] of [{}, { buildNew: false }, { threadFrom: 0, env: {} }].entries()) {
      const out = join(root, `left-${i}`);
      const sink = workbenchCaseSink(out, options);
      const fates: Fate[] = [
        { kind: 'exception', account: 0, cents: 100, withCandidate: false },
        { kind: 'exception', account: 1, cents: -100, withCandidate: false },
      ];
      await sink.record(recordedRun('run-0', fates.slice(0, 1)));
      // A pid far above any pid_max (2^22) names no process; the live one is this process's.
      const dead = ['workbench.db.build-99999999-0', 'workbench.db.build-99999999-0-journal'];
      const live = `workbench.db.build-${process.pid}-99`;
      for (const name of [...dead, live]) writeFileSync(join(out, name), 'left by a build');
      const prepared = sink.prepare!(recordedRun('run-1', fates));
      await prepared.commit();
      expect(buildFiles(out)).toEqual([live]);
      expect((JSON.parse(dump(out)) as unknown[][])[0]).toHaveLength(2);
    }
  });

  it('where a new workbench cannot be linked into place, the cases are written through the WAL instead', async () => {
    const link = jest.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    });
    try {
      const run = recordedRun('run-1', fc.sample(fateArb, { numRuns: 30, seed: 5 }));
      const out = join(root, 'no-links');
      await workbenchCaseSink(out).record(run);
      expect(link).toHaveBeenCalled();
      await workbenchCaseSink(join(root, 'wal'), { buildNew: false }).record(run);
      expect(buildFiles(out)).toEqual([]);
      expect(dump(out)).toBe(dump(join(root, 'wal')));
    } finally {
      link.mockRestore();
    }
  });

  it('reads the run through its own index, and a run recorded before is not built again', async () => {
    const fates: Fate[] = Array.from({ length: 30 }, (_, i) => ({
      kind: (['confirmed', 'proposed', 'exception', 'grouped'] as const)[i % 4]!,
      account: i % 3,
      cents: i * 101 - 1000,
      withCandidate: i % 2 === 0,
    }));
    const run = recordedRun('run-1', fates);
    const sink = workbenchCaseSink(join(root, 'out'));
    await sink.record(run);
    const used = run.lookups();
    expect(used).toBeGreaterThan(0);
    await sink.record(run);
    expect(run.lookups()).toBe(used);
  });
});

describe('prepare: the cases written beside the recording, visible only at commit (REC-PERF-1)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'workbench-case-prepare-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Whether another connection can take the store's write lock now (the thread holds it while its cases are uncommitted). */
  const writeLockFree = (out: string): boolean => {
    // Never creates the store: before the thread has, the lock is free (and the store is the thread's to create).
    if (!existsSync(join(out, 'workbench.db'))) return true;
    const db = new Database(join(out, 'workbench.db'), { timeout: 0, fileMustExist: true });
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      return true;
    } catch (error) {
      // SQLITE_BUSY, or an extended busy code (SQLITE_BUSY_RECOVERY while the thread opens its new WAL).
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
      throw error;
    } finally {
      db.close();
    }
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  /**
   * Until the thread holds the write lock, then as long as it keeps holding it (at most `hold` ms): a thread that
   * committed early lets go. A thread that never takes it has failed, which only its commit reports: that is said.
   */
  async function whileHeld(out: string, hold: number, prepared: PreparedCases): Promise<void> {
    for (const until = Date.now() + 30_000; writeLockFree(out);) {
      if (Date.now() > until) {
        const why = await prepared.commit().then(
          () => 'its commit then succeeded',
          (error: unknown) => `its commit then failed: ${(error as Error).message}`,
        );
        throw new Error(`the case thread never took the write lock (${why})`);
      }
      await sleep(10);
    }
    for (const until = Date.now() + hold; Date.now() < until && !writeLockFree(out);) await sleep(25);
  }

  // Three generated runs (a fixed seed): each thread costs a start-up, so fewer than the property above.
  const runs = fc.sample(fc.array(fateArb, { minLength: 5, maxLength: 40 }), { numRuns: 3, seed: 2026 });

  it.each([
    ['on its own thread', 0],
    ["on the run's thread (under the threshold)", 1_000_000],
  ])('%s: committed, the store is the one record() makes; before the commit another reader sees none of it', async (_where, threadFrom) => {
    for (const [i, fates] of runs.entries()) {
      const sinkOut = join(root, `prepared-${threadFrom}-${i}`);
      const plainOut = join(root, `recorded-${threadFrom}-${i}`);
      const earlier = recordedRun('run-0', fates.slice(0, 3));
      const run = recordedRun('run-1', fates);
      const sink = workbenchCaseSink(sinkOut, { threadFrom, env: {} });
      await sink.record(earlier);
      await workbenchCaseSink(plainOut).record(earlier);
      const before = dump(sinkOut);
      const prepared = sink.prepare!(run);
      // While the run records its results, a reader (the workbench) still sees the store as it was.
      if (threadFrom === 0) {
        await whileHeld(sinkOut, 600, prepared);
        expect(writeLockFree(sinkOut)).toBe(false);
      }
      expect(dump(sinkOut)).toBe(before);
      await prepared.commit();
      await workbenchCaseSink(plainOut).record(run);
      expect(dump(sinkOut)).toBe(dump(plainOut));
    }
  });

  it('aborted: an existing store stays as it was; where there was no workbench, none is left', async () => {
    const out = join(root, 'existing');
    const sink = workbenchCaseSink(out, { threadFrom: 0, env: {} });
    await sink.record(recordedRun('run-0', runs[0]!));
    const before = dump(out);
    const prepared = sink.prepare!(recordedRun('run-1', runs[1]!));
    await prepared.abort();
    expect(dump(out)).toBe(before);

    const fresh = join(root, 'fresh');
    mkdirSync(fresh);
    const abandoned = workbenchCaseSink(fresh, { threadFrom: 0, env: {} }).prepare!(recordedRun('run-1', runs[2]!));
    await abandoned.abort();
    expect(existsSync(join(fresh, 'workbench.db'))).toBe(false);
    expect(buildFiles(fresh)).toEqual([]);
  });

  it('a thread that cannot write is reported at commit, and an abort of it still settles', async () => {
    // --out lies under a plain file: the thread cannot create the store.
    writeFileSync(join(root, 'plain'), 'not a directory');
    const out = join(root, 'plain', 'out');
    const sink = workbenchCaseSink(out, { threadFrom: 0, env: {} });
    await expect(sink.prepare!(recordedRun('run-1', runs[0]!)).commit()).rejects.toThrow(/ENOTDIR|not a directory|unable to open/i);
    await expect(sink.prepare!(recordedRun('run-2', runs[1]!)).abort()).resolves.toBeUndefined();
  });

  it.each([
    ['LEDGERLINE_MAIN_THREAD=1', { threadFrom: 0, env: { LEDGERLINE_MAIN_THREAD: '1' } }],
    ['a run of more rows than threadUpToRows (memory: REC-PERF-1)', { threadFrom: 0, threadUpToRows: 9, env: {} }],
  ])("%s: the cases are built and written on the run's thread at commit, the store the same as record() makes", async (_why, options) => {
    const out = join(root, 'on-commit');
    const recorded = join(root, 'recorded');
    mkdirSync(out);
    const run = recordedRun('run-1', runs[0]!);
    expect(run.statementLines.length + run.ledgerEntries.length).toBeGreaterThan(9);
    const prepared = workbenchCaseSink(out, options).prepare!(run);
    // Nothing was built ahead: no lookup of the run's lines or entries before the commit.
    expect(run.lookups()).toBe(0);
    await sleep(300);
    // A thread would have started the new workbench by now; the run's thread writes it only at commit.
    expect(existsSync(join(out, 'workbench.db'))).toBe(false);
    expect(buildFiles(out)).toEqual([]);
    await prepared.commit();
    await workbenchCaseSink(recorded).record(run);
    expect(dump(out)).toBe(dump(recorded));
  });

  it('a run of at most threadUpToRows rows goes on the thread', async () => {
    const out = join(root, 'within');
    mkdirSync(out);
    const run = recordedRun('run-1', runs[0]!);
    const prepared = workbenchCaseSink(out, { threadFrom: 0, threadUpToRows: run.statementLines.length + run.ledgerEntries.length, buildNew: false, env: {} }).prepare!(run);
    // The thread takes the store's write lock (the run's thread would not, before the commit).
    await whileHeld(out, 0, prepared);
    await prepared.commit();
    expect((JSON.parse(dump(out)) as unknown[][])[3]).toEqual([{ run_id: 'run-1' }]);
  });

  it('into an --out without a workbench, the thread builds a new one, visible only once committed', async () => {
    const out = join(root, 'new');
    mkdirSync(out);
    const run = recordedRun('run-1', runs[0]!);
    const prepared = workbenchCaseSink(out, { threadFrom: 0, env: {} }).prepare!(run);
    // The thread holds its cases in a build file, ready, waiting for the run's decision: no workbench.db yet.
    for (const until = Date.now() + 30_000; buildFiles(out).length === 0;) {
      if (Date.now() > until) throw new Error('the case thread never started a new workbench');
      await sleep(10);
    }
    await sleep(300);
    expect(existsSync(join(out, 'workbench.db'))).toBe(false);
    await prepared.commit();
    expect(buildFiles(out)).toEqual([]);
    const recorded = join(root, 'new-recorded');
    await workbenchCaseSink(recorded, { buildNew: false }).record(run);
    expect(dump(out)).toBe(dump(recorded));
  });

  it('a workbench that appears while the thread builds a new one gets the cases instead (never replaced)', async () => {
    const out = join(root, 'appeared');
    mkdirSync(out);
    const earlier = recordedRun('run-0', runs[1]!);
    const run = recordedRun('run-1', runs[0]!);
    const prepared = workbenchCaseSink(out, { threadFrom: 0, env: {} }).prepare!(run);
    for (const until = Date.now() + 30_000; buildFiles(out).length === 0;) {
      if (Date.now() > until) throw new Error('the case thread never started a new workbench');
      await sleep(10);
    }
    // Meanwhile the workbench is opened elsewhere and an earlier run imported into it.
    await workbenchCaseSink(out, { buildNew: false }).record(earlier);
    await prepared.commit();
    expect(buildFiles(out)).toEqual([]);
    const recorded = join(root, 'appeared-recorded');
    await workbenchCaseSink(recorded, { buildNew: false }).record(earlier);
    await workbenchCaseSink(recorded, { buildNew: false }).record(run);
    expect(dump(out)).toBe(dump(recorded));
  });

  it(`a run of more cases than several batches (CASE_BATCH, ${CASE_BATCH}) reaches the thread whole: the store is the one record() makes`, async () => {
    const fates = fc.sample(fateArb, { numRuns: 3 * CASE_BATCH, seed: 7 }).map((fate, i) => ({ ...fate, kind: (['exception', 'proposed', 'exception', 'grouped'] as const)[i % 4]! }));
    const run = recordedRun('run-1', fates);
    const threaded = join(root, 'batches-thread');
    const recorded = join(root, 'batches-recorded');
    const prepared = workbenchCaseSink(threaded, { threadFrom: 0, env: {} }).prepare!(run);
    await prepared.commit();
    await workbenchCaseSink(recorded).record(run);
    const cases = (JSON.parse(dump(threaded)) as unknown[][])[0]!;
    expect(cases.length).toBeGreaterThan(2 * CASE_BATCH);
    expect(dump(threaded)).toBe(dump(recorded));
  });

  it('a case the run cannot build (after batches went to the thread) is reported at commit, and nothing is left of it', async () => {
    const fates = fc.sample(fateArb, { numRuns: CASE_BATCH + 500, seed: 11 }).map((fate) => ({ ...fate, kind: 'exception' as const, withCandidate: true }));
    const healthy = recordedRun('run-1', fates);
    // The last exception's line cannot be read: the stream fails after its first batch went to the thread.
    const failing = {
      ...healthy,
      statementLine: (id: string) => {
        if (id === `0123456789ab:0:${fates.length - 1}`) throw new Error('line store unreadable');
        return healthy.statementLine(id);
      },
    };
    const fresh = join(root, 'unbuildable-fresh');
    mkdirSync(fresh);
    await expect(workbenchCaseSink(fresh, { threadFrom: 0, env: {} }).prepare!(failing).commit()).rejects.toThrow('line store unreadable');
    expect(existsSync(join(fresh, 'workbench.db'))).toBe(false);
    expect(buildFiles(fresh)).toEqual([]);

    const existing = join(root, 'unbuildable-existing');
    const sink = workbenchCaseSink(existing, { threadFrom: 0, env: {} });
    await sink.record(recordedRun('run-0', runs[0]!));
    const before = dump(existing);
    const prepared = sink.prepare!(failing);
    await expect(prepared.commit()).rejects.toThrow('line store unreadable');
    await expect(prepared.abort()).resolves.toBeUndefined();
    expect(dump(existing)).toBe(before);
    // The store is free again: the same run, readable now, is imported in full.
    await sink.record(healthy);
    expect((JSON.parse(dump(existing)) as unknown[][])[3]).toContainEqual({ run_id: 'run-1' });
  });
});
