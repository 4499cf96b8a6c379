/**
 * The embedded case sink (ports/reconciliation.ts, REC-RUN-1, REC-CASE-1): a committed run hands
 * its result, lines and entries straight to the workbench store in <out>/workbench.db, so finance's
 * cases and dashboard figures are there when the workbench opens; nothing is read back from the
 * files the run wrote. The import is once per run (the store's run marker), so the workbench's own
 * catch-up import of the same run directory changes nothing.
 *
 * REC-PERF-1: the cases are built over the run's one index of its lines and entries
 * (RecordedRun.statementLine / ledgerEntry), never a second one; a run the store already imported
 * is not built again.
 */
import type { CaseSink, RecordedRun } from '../../ports/reconciliation';
import { importRunResult } from '../../recon/workbench/import-cases';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from './workbench-store';

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

export function workbenchCaseSink(out: string): CaseSink {
  return {
    async record(run: RecordedRun): Promise<void> {
      const db = openWorkbenchDatabase(out);
      try {
        const store = new SqliteWorkbenchStore(db);
        // The run marker decides (applyImport is once per run); this only spares building a run's cases twice.
        if (store.hasImported(run.runId)) return;
        await importRunResult(store, {
          runId: run.runId,
          asOf: run.asOf,
          recordedAt: run.recordedAt.toISOString(),
          summary: run.summary,
          result: run.result,
          statementLine: (id) => run.statementLine(id),
          ledgerEntry: (id) => run.ledgerEntry(id),
          statementLines: run.statementLines,
          coveredAccounts: statementAccounts(run),
        });
      } finally {
        db.close();
      }
    },
  };
}
