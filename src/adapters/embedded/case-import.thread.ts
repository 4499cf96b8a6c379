/**
 * The embedded case sink's thread (REC-PERF-1, REC-CASE-1): applies a run's cases (RunCases, built
 * on the run's thread from its own index) to <out>/workbench.db inside one write transaction, and
 * holds it open until the run says whether its registry committed: `commit` makes the cases
 * visible, `abort` (or the run's thread going away) rolls them back. So the workbench's 10^5-case
 * import and its list and search indexes are written while the run stages its results and commits,
 * and are never visible for a run that was not committed.
 *
 * Into an --out without a workbench (workerData.fresh), the cases are applied to a new workbench
 * built in a file of its own (./workbench-build.ts), put in place as workbench.db at `commit` and
 * dropped at `abort`; if a workbench appeared meanwhile, they go into that one as above.
 *
 * Messages: in  workerData { out, header, pageCacheKib?, fresh? }; then the cases in batches,
 *               { batch } … { batch, end: 'complete' } (or end: 'abandoned': the run could not build
 *               them); then { decision: 'commit' | 'abort' }
 *           out { state: 'ready' } once applied; { state: 'done', committed } or { state: 'failed', message }
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ExceptionCase } from '../../recon/workbench/cases';
import type { RunCases } from '../../recon/workbench/import-cases';
import { applyRunCases } from '../../recon/workbench/import-cases';
import type { StateDatabase } from './database';
import { buildNewWorkbench } from './workbench-build';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from './workbench-store';

export type CaseImportReply = { state: 'ready' } | { state: 'done'; committed: boolean } | { state: 'failed'; message: string };
export type CaseImportDecision = { decision: 'commit' | 'abort' };
/** A batch of the run's cases; the last one says whether they are all there. */
export type CaseImportInput = { batch: ExceptionCase[]; end?: 'complete' | 'abandoned' };

/** The run's cases as its batches bring them; undefined if the run abandoned them or went away first. */
function incomingCases(): Promise<ExceptionCase[] | undefined> {
  return new Promise((resolve) => {
    const incoming: ExceptionCase[] = [];
    const finish = (cases: ExceptionCase[] | undefined): void => {
      parentPort!.off('message', onMessage);
      parentPort!.off('close', onClose);
      resolve(cases);
    };
    const onMessage = (message: CaseImportInput | CaseImportDecision): void => {
      // A decision before the last batch: the run went on without its cases (abort).
      if (!('batch' in message)) return finish(undefined);
      for (const c of message.batch) incoming.push(c);
      if (message.end !== undefined) finish(message.end === 'complete' ? incoming : undefined);
    };
    const onClose = (): void => finish(undefined);
    parentPort!.on('message', onMessage);
    parentPort!.on('close', onClose);
  });
}

function decision(): Promise<CaseImportDecision['decision']> {
  return new Promise((resolve) => {
    const onMessage = (message: CaseImportDecision): void => {
      parentPort!.off('message', onMessage);
      parentPort!.off('close', onClose);
      resolve(message.decision === 'commit' ? 'commit' : 'abort');
    };
    const onClose = (): void => resolve('abort');
    parentPort!.on('message', onMessage);
    parentPort!.on('close', onClose);
  });
}

/** What the thread reports when the run went on (or away) without its cases. */
const NOT_HANDED_OVER = new Error('the run did not hand over its cases');

/** Raised inside a new workbench's build when the run aborts: the build is dropped. */
class RunAborted extends Error {}

async function main(): Promise<void> {
  const port = parentPort!;
  const { out, header, pageCacheKib, fresh } = workerData as { out: string; header: Omit<RunCases, 'incoming'>; pageCacheKib?: number; fresh?: boolean };
  const fail = (error: unknown): void => port.postMessage({ state: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies CaseImportReply);
  // Once the cases are applied: say so, and wait for the run's decision (asked once).
  let decided: CaseImportDecision['decision'] | undefined;
  const readyFor = async (): Promise<CaseImportDecision['decision']> => {
    if (decided !== undefined) return decided;
    port.postMessage({ state: 'ready' } satisfies CaseImportReply);
    decided = await decision();
    return decided;
  };
  const pageCache = (db: StateDatabase): void => {
    // The run's budget, not the store's default (CASE_THREAD_PAGE_CACHE_KIB): spilled pages go to the WAL (or the new file), unseen until the commit.
    if (pageCacheKib !== undefined) db.pragma(`cache_size = -${Math.trunc(pageCacheKib)}`);
  };
  let incoming: ExceptionCase[] | undefined;
  if (fresh) {
    // An --out without a workbench: the cases go into a new one, put in place only at commit (./workbench-build.ts).
    incoming = await incomingCases();
    if (incoming === undefined) return fail(NOT_HANDED_OVER);
    const cases: RunCases = { ...header, incoming };
    try {
      const placed = await buildNewWorkbench(out, async (db) => {
        pageCache(db);
        await applyRunCases(new SqliteWorkbenchStore(db), cases);
        if ((await readyFor()) === 'abort') throw new RunAborted();
      });
      if (placed) return port.postMessage({ state: 'done', committed: true } satisfies CaseImportReply);
      // A workbench appeared meanwhile: the cases go into that one, as below.
    } catch (error) {
      if (error instanceof RunAborted) return port.postMessage({ state: 'done', committed: false } satisfies CaseImportReply);
      return fail(error);
    }
  }
  const db = openWorkbenchDatabase(out);
  pageCache(db);
  try {
    const store = new SqliteWorkbenchStore(db);
    db.exec('BEGIN IMMEDIATE');
    incoming ??= await incomingCases();
    if (incoming === undefined) {
      db.exec('ROLLBACK');
      return fail(NOT_HANDED_OVER);
    }
    // The run marker decides (the import is once per run); a run imported before changes nothing.
    if (!store.hasImported(header.runId)) await applyRunCases(store, { ...header, incoming });
    const what = await readyFor();
    db.exec(what === 'commit' ? 'COMMIT' : 'ROLLBACK');
    port.postMessage({ state: 'done', committed: what === 'commit' } satisfies CaseImportReply);
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    fail(error);
  } finally {
    db.close();
  }
}

void main();
