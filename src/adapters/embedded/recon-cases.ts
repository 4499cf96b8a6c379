/**
 * The embedded case sink (ports/reconciliation.ts, REC-RUN-1, REC-CASE-1): a committed run hands
 * its result, lines and entries straight to the workbench store in <out>/workbench.db, so finance's
 * cases and dashboard figures are there when the workbench opens; nothing is read back from the
 * files the run wrote. The import is once per run (the store's run marker), so the workbench's own
 * catch-up import of the same run directory changes nothing.
 *
 * REC-PERF-1:
 * - the cases are built over the run's one index of its lines and entries
 *   (RecordedRun.statementLine / ledgerEntry), never a second one; a run the store already imported
 *   is not built again;
 * - `prepare` writes a large run's cases on their own thread (./case-import.thread.ts) while the run
 *   stages its results and commits its registry: one write transaction, held open until the run
 *   says commit (the registry committed) or abort, so the cases are never visible for a run that
 *   was not committed. A run of fewer cases than `threadFrom` (where a thread costs more than it
 *   saves) is written on the run's thread at commit, as `record` does; so is a run of more rows
 *   than `threadUpToRows` (memory: see CASE_THREAD_UP_TO_ROWS), built only then;
 * - a run's first import into an --out without a workbench, on either thread, goes into a new
 *   workbench built in a file of its own and put in place whole (./workbench-build.ts): its pages
 *   are written once, not to the WAL and again at the checkpoint.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { CaseSink, PreparedCases, RecordedRun } from '../../ports/reconciliation';
import { caseCount, type ExceptionCase } from '../../recon/workbench/cases';
import { applyRunCases, runCaseParts, type RunCaseParts, type RunCases, wholeRunCases } from '../../recon/workbench/import-cases';
import type { CaseImportDecision, CaseImportInput, CaseImportReply } from './case-import.thread';
import { nextMessage, startThread } from './threads';
import { buildNewWorkbench, removeDeadBuilds } from './workbench-build';
import { openWorkbenchDatabase, SqliteWorkbenchStore, WORKBENCH_DB_FILE } from './workbench-store';

/** From this many cases a run's cases are written on their own thread (REC-PERF-1). */
export const CASE_THREAD_FROM = 20_000;
const CASE_IMPORT_THREAD = `${__dirname}/case-import.thread.ts`;

/** The accounts of the run's statements (a handful of distinct strings, one pass over the rows' accounts). */
function statementAccounts(run: RecordedRun): Set<string> {
  const accounts = new Set<string>();
  const rows = run.statementLines;
  let last: string | undefined;
  for (let row = 0; row < rows.length; row += 1) {
    const accountId = rows.accountId(row);
    if (accountId === last) continue;
    last = accountId;
    accounts.add(accountId);
  }
  return accounts;
}

/** Whether the store imported the run before (its run marker): then nothing is built for it. */
function importedBefore(out: string, run: RecordedRun): boolean {
  if (!existsSync(join(out, WORKBENCH_DB_FILE))) return false;
  const db = openWorkbenchDatabase(out);
  try {
    // The run marker decides (applyImport is once per run); this only spares building a run's cases twice.
    return new SqliteWorkbenchStore(db).hasImported(run.runId);
  } finally {
    db.close();
  }
}

/** The run's cases in parts (header, the cases as they come), built over its own index. */
function casePartsOf(run: RecordedRun): RunCaseParts {
  return runCaseParts({
    runId: run.runId,
    asOf: run.asOf,
    recordedAt: run.recordedAt.toISOString(),
    summary: run.summary,
    result: run.result,
    statementLine: (id) => run.statementLine(id),
    ledgerEntry: (id) => run.ledgerEntry(id),
    statementLines: run.statementLines,
    ...(run.statementRow ? { statementRow: (id: string) => run.statementRow!(id) } : {}),
    coveredAccounts: statementAccounts(run),
  });
}

/** The run's cases; undefined when the store imported the run before. */
function casesToImport(out: string, run: RecordedRun): RunCases | undefined {
  return importedBefore(out, run) ? undefined : wholeRunCases(casePartsOf(run));
}

/**
 * Applies the run's cases on this thread. Into an --out without a workbench (`buildNew`), they go
 * into a new one built in a file of its own and put in place whole (./workbench-build.ts).
 */
async function applyHere(out: string, cases: RunCases, buildNew: boolean): Promise<void> {
  if (buildNew && (await buildNewWorkbench(out, async (db) => void (await applyRunCases(new SqliteWorkbenchStore(db), cases))))) return;
  const db = openWorkbenchDatabase(out);
  try {
    await applyRunCases(new SqliteWorkbenchStore(db), cases);
  } finally {
    db.close();
  }
}

/** The workbench holds no case and no imported run (what a rolled-back first import leaves). */
function holdsNothing(out: string): boolean {
  const db = openWorkbenchDatabase(out);
  try {
    return db.prepare('SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM imported_runs)').pluck().get() === 0;
  } finally {
    db.close();
  }
}

const isReply = (message: unknown): message is CaseImportReply => typeof message === 'object' && message !== null && 'state' in message;

/** Cases handed to the thread per message (REC-PERF-1): each batch is built, copied to the thread and dropped, so the run's thread never holds them all. */
export const CASE_BATCH = 2_048;

/**
 * The cases applied on their own thread, held until commit or abort. An aborted run into an --out
 * that had no workbench yet leaves none (the thread created it). The cases are built here and
 * handed over in batches as they are built; a failure to build them aborts the thread and is
 * raised at commit, as record's would be.
 */
function preparedOnThread(out: string, parts: RunCaseParts, buildNew: boolean): PreparedCases {
  const file = join(out, WORKBENCH_DB_FILE);
  const created = !existsSync(file);
  const worker: Worker = startThread(
    CASE_IMPORT_THREAD,
    { out, header: parts.header, pageCacheKib: CASE_THREAD_PAGE_CACHE_KIB, fresh: buildNew && created },
    { resourceLimits: { maxYoungGenerationSizeMb: CASE_THREAD_YOUNG_GENERATION_MB } },
  );
  // The thread never keeps the process alive by itself: a run that ends without a decision rolls its cases back.
  worker.unref();
  const ready = nextMessage(worker, isReply);
  ready.catch(() => undefined);
  // The cases, in batches as they are built (the thread applies them at the end).
  let buildFailure: { error: unknown } | undefined;
  try {
    let batch: ExceptionCase[] = [];
    for (const c of parts.cases()) {
      batch.push(c);
      if (batch.length < CASE_BATCH) continue;
      worker.postMessage({ batch } satisfies CaseImportInput);
      batch = [];
    }
    worker.postMessage({ batch, end: 'complete' } satisfies CaseImportInput);
  } catch (error) {
    buildFailure = { error };
    worker.postMessage({ batch: [], end: 'abandoned' } satisfies CaseImportInput);
  }
  let decided: Promise<CaseImportReply> | undefined;
  const decide = (decision: CaseImportDecision['decision']): Promise<CaseImportReply> => {
    decided ??= (async () => {
      worker.ref();
      try {
        const first = await ready;
        if (first.state !== 'ready') return first;
        const reply = nextMessage(worker, isReply);
        worker.postMessage({ decision } satisfies CaseImportDecision);
        return await reply;
      } finally {
        worker.unref();
      }
    })();
    return decided;
  };
  const prepared: PreparedCases = {
    async commit() {
      const reply = await decide('commit');
      if (reply.state === 'failed') throw new Error(reply.message);
      if (reply.state !== 'done' || !reply.committed) throw new Error('the workbench import was not committed');
    },
    async abort() {
      await decide('abort').catch(() => undefined);
      await worker.terminate();
      // The thread created the workbench and its transaction was rolled back: remove what is left, if it holds nothing.
      if (created && existsSync(file) && holdsNothing(out)) for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    },
  };
  if (!buildFailure) return prepared;
  // Raised at commit, as record's failure would be (the run itself goes on); nothing is left.
  const failure = buildFailure.error;
  return {
    commit: async () => {
      await prepared.abort();
      throw failure;
    },
    abort: () => prepared.abort(),
  };
}

/**
 * Up to this many rows (statement lines + ledger entries) a run's cases may go on their own thread
 * (REC-PERF-1): the thread holds its own copy of the cases while the run renders its load files
 * and DuckDB writes its Parquet, at the run's memory peak. Measured at 1M × 1M (2M rows, 97k
 * cases), quiet, calibration 0.9 s: with the lean thread (CASE_THREAD_YOUNG_GENERATION_MB,
 * CASE_THREAD_PAGE_CACHE_KIB, batches) the run took 23.6–26.0 s against 26.9–28.1 s without, but
 * its peak RSS was 1.78–1.94 GB (one camt.053 run 1.93) against 1.66–1.75: too close to the 2 GB
 * budget to take. So a run of more rows raises its cases after the registry commit, as before;
 * at 300k × 300k (under 1 GB) the thread saves the cases' seconds.
 */
export const CASE_THREAD_UP_TO_ROWS = 1_200_000;

/**
 * The cases thread's young generation (MB) and SQLite page cache (KiB) (REC-PERF-1): it allocates
 * little that dies young (its cases arrive in batches and stay), and its one write transaction may
 * spill pages to the WAL (uncommitted, so unseen) rather than hold them all. Measured at 1M × 1M,
 * V8's default young generation and the store's 64 MiB cache took about 150 MB more at the peak.
 */
export const CASE_THREAD_YOUNG_GENERATION_MB = 8;
export const CASE_THREAD_PAGE_CACHE_KIB = 16_384;

/**
 * The case sink of `out`. `threadFrom`: from this many cases a run's cases are written on their own
 * thread (default CASE_THREAD_FROM), for a run of at most `threadUpToRows` rows (default
 * CASE_THREAD_UP_TO_ROWS); never with LEDGERLINE_MAIN_THREAD=1, which keeps every command on one
 * thread. A run that does not use the thread builds and writes its cases at commit. `buildNew`
 * (default true): into an --out without a workbench, the cases go into a new one built in a file
 * of its own and put in place whole (./workbench-build.ts); false writes them through the WAL of
 * a workbench.db created at once.
 */
export function workbenchCaseSink(out: string, options: { threadFrom?: number; threadUpToRows?: number; buildNew?: boolean; env?: NodeJS.ProcessEnv } = {}): CaseSink {
  const oneThread = (options.env ?? process.env).LEDGERLINE_MAIN_THREAD === '1';
  const buildNew = options.buildNew ?? true;
  const threadFrom = options.threadFrom ?? CASE_THREAD_FROM;
  const threadUpToRows = options.threadUpToRows ?? CASE_THREAD_UP_TO_ROWS;
  const sink = {
    async record(run: RecordedRun): Promise<void> {
      removeDeadBuilds(out);
      const cases = casesToImport(out, run);
      if (cases) await applyHere(out, cases, buildNew);
    },
    prepare(run: RecordedRun): PreparedCases {
      removeDeadBuilds(out);
      // Nothing is built ahead for a run that will not use the thread: its cases are not held through the recording.
      if (oneThread || run.statementLines.length + run.ledgerEntries.length > threadUpToRows) return { commit: () => sink.record(run), abort: () => Promise.resolve() };
      let parts: RunCaseParts;
      let here: RunCases | undefined;
      try {
        if (importedBefore(out, run)) return { commit: () => Promise.resolve(), abort: () => Promise.resolve() };
        parts = casePartsOf(run);
        if (caseCount(run.result) < threadFrom) here = wholeRunCases(parts);
      } catch (error) {
        // Raised at commit, as record's failure would be: the run itself goes on.
        return { commit: () => Promise.reject(error), abort: () => Promise.resolve() };
      }
      if (here) {
        const few = here;
        return { commit: () => applyHere(out, few, buildNew), abort: () => Promise.resolve() };
      }
      return preparedOnThread(out, parts, buildNew);
    },
  };
  return sink;
}
