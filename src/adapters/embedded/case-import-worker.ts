/**
 * A run's case import in its own thread (REC-PERF-1, REC-CASE-1): the reconcile command builds the
 * run's cases from its own index (runCasesOf) and hands them here as JSON, so their SQLite inserts
 * run on the second core while the command writes its results and commits its registry. The import
 * is held in one open transaction of <out>/workbench.db until the run commits: `commit` makes it
 * visible, `abort` (or the thread ending) leaves nothing of it.
 *
 *   → { kind: 'import', payload }   ← { kind: 'staged' } | { kind: 'failed', message }
 *   → { kind: 'commit' }            ← { kind: 'committed' } | { kind: 'failed', message }
 *   → { kind: 'abort' }             ← { kind: 'aborted' }
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StateDatabase } from './database';
import { applyRunCases, type RunCases } from '../../recon/workbench/import-cases';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from './workbench-store';

export type ToCaseImport = { kind: 'import'; payload: string } | { kind: 'commit' } | { kind: 'abort' };
export type FromCaseImport = { kind: 'staged' } | { kind: 'committed' } | { kind: 'aborted' } | { kind: 'failed'; message: string };

export interface CaseImportWorkerData {
  out: string;
}

const port = parentPort!;
const { out } = workerData as CaseImportWorkerData;
let db: StateDatabase | undefined;

function end(outcome: 'COMMIT' | 'ROLLBACK'): void {
  const open = db;
  db = undefined;
  if (!open) return;
  try {
    if (open.inTransaction) open.exec(outcome);
  } finally {
    open.close();
  }
}

async function handle(message: ToCaseImport): Promise<FromCaseImport> {
  switch (message.kind) {
    case 'import': {
      db = openWorkbenchDatabase(out);
      const store = new SqliteWorkbenchStore(db);
      db.exec('BEGIN IMMEDIATE');
      await applyRunCases(store, JSON.parse(message.payload) as RunCases);
      return { kind: 'staged' };
    }
    case 'commit':
      if (!db?.inTransaction) throw new Error('no staged case import to commit');
      end('COMMIT');
      return { kind: 'committed' };
    case 'abort':
      end('ROLLBACK');
      return { kind: 'aborted' };
  }
}

port.on('message', (message: ToCaseImport) => {
  handle(message).then(
    (reply) => port.postMessage(reply),
    (error: Error) => {
      try {
        end('ROLLBACK');
      } catch {
        // The failure reported below is the one that matters.
      }
      port.postMessage({ kind: 'failed', message: error.message } satisfies FromCaseImport);
    },
  );
});
