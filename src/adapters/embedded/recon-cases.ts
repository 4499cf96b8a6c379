/**
 * The embedded case sink (ports/reconciliation.ts, REC-RUN-1, REC-CASE-1): a committed run hands
 * its result, lines and entries straight to the workbench store in <out>/workbench.db, so finance's
 * cases and dashboard figures are there when the workbench opens; nothing is read back from the
 * files the run wrote. The import is once per run (the store's run marker), so the workbench's own
 * catch-up import of the same run directory changes nothing.
 *
 * REC-PERF-1: the cases are built over the run's one index of its lines and entries
 * (RecordedRun.statementLine / ledgerEntry), never a second one; a run the store already imported
 * is not built again. `stage` builds them on this thread and inserts them on another
 * (case-import-worker.ts) while the run records, in a transaction committed after the registry's.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CaseSink, RecordedRun, StagedCases } from '../../ports/reconciliation';
import { importRunResult, runCasesOf, type RunResultForCases } from '../../recon/workbench/import-cases';
import type { CaseImportWorkerData, FromCaseImport, ToCaseImport } from './case-import-worker';
import { openWorkbenchDatabase, SqliteWorkbenchStore, WORKBENCH_DB_FILE } from './workbench-store';

/** The accounts of the run's statements (a handful of distinct strings, one pass). */
function statementAccounts(run: RecordedRun): Set<string> {
  const accounts = new Set<string>();
  let last: string | undefined;
  for (const line of run.statementLines) {
    if (line.accountId === last) continue;
    last = line.accountId;
    accounts.add(last);
  }
  return accounts;
}

function forCases(run: RecordedRun): RunResultForCases {
  return {
    runId: run.runId,
    asOf: run.asOf,
    recordedAt: run.recordedAt.toISOString(),
    summary: run.summary,
    result: run.result,
    statementLine: (id) => run.statementLine(id),
    ledgerEntry: (id) => run.ledgerEntry(id),
    statementLines: run.statementLines,
    coveredAccounts: statementAccounts(run),
  };
}

function imported(out: string, runId: string): boolean {
  const db = openWorkbenchDatabase(out);
  try {
    return new SqliteWorkbenchStore(db).hasImported(runId);
  } finally {
    db.close();
  }
}

/** One case import thread: each request answered in turn. */
function caseImportThread(out: string): { ask(message: ToCaseImport): Promise<FromCaseImport>; end(): Promise<void> } {
  const worker = new Worker(join(__dirname, 'case-import-worker-entry.js'), { workerData: { out } satisfies CaseImportWorkerData });
  let waiting: { resolve(reply: FromCaseImport): void; reject(error: Error): void } | undefined;
  let gone: Error | undefined;
  const fail = (error: Error): void => {
    gone ??= error;
    waiting?.reject(error);
    waiting = undefined;
  };
  worker.on('message', (reply: FromCaseImport) => {
    waiting?.resolve(reply);
    waiting = undefined;
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the case import thread ended (exit code ${code})`)));
  return {
    ask: (message) =>
      gone
        ? Promise.reject(gone)
        : new Promise((resolve, reject) => {
            waiting = { resolve, reject };
            worker.postMessage(message);
          }),
    end: async () => {
      await worker.terminate();
    },
  };
}

export function workbenchCaseSink(out: string): CaseSink {
  return {
    async record(run: RecordedRun): Promise<void> {
      const db = openWorkbenchDatabase(out);
      try {
        const store = new SqliteWorkbenchStore(db);
        // The run marker decides (applyImport is once per run); this only spares building a run's cases twice.
        if (store.hasImported(run.runId)) return;
        await importRunResult(store, forCases(run));
      } finally {
        db.close();
      }
    },
    async stage(run: RecordedRun): Promise<StagedCases> {
      const database = join(out, WORKBENCH_DB_FILE);
      // A run that does not commit leaves no workbench.db where there was none (an --out it fails into stays empty).
      const existed = existsSync(database);
      if (existed && imported(out, run.runId)) return { commit: async () => undefined, abort: async () => undefined };
      const payload = JSON.stringify(runCasesOf(forCases(run)));
      const thread = caseImportThread(out);
      const checked = (reply: FromCaseImport, expected: FromCaseImport['kind']): void => {
        if (reply.kind === 'failed') throw new Error(reply.message);
        if (reply.kind !== expected) throw new Error(`the case import thread answered ${reply.kind}, expected ${expected}`);
      };
      // The inserts run while the run records; commit waits for them.
      let settled = false;
      const staged = thread.ask({ kind: 'import', payload }).then((reply) => checked(reply, 'staged'));
      staged.then(
        () => (settled = true),
        () => (settled = true),
      );
      let ended = false;
      return {
        async commit() {
          if (ended) return;
          try {
            await staged;
            checked(await thread.ask({ kind: 'commit' }), 'committed');
          } finally {
            ended = true;
            await thread.end();
          }
        },
        async abort() {
          if (ended) return;
          ended = true;
          try {
            // Staged: roll back and close. Still inserting: ending the thread closes its connection, and SQLite
            // rolls back a transaction whose connection closes (never committed).
            if (settled) await thread.ask({ kind: 'abort' }).catch(() => undefined);
          } finally {
            await thread.end();
            if (!existed) for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${database}${suffix}`, { force: true });
          }
        },
      };
    },
  };
}
