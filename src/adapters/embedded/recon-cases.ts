/**
 * The embedded case sink (ports/reconciliation.ts, REC-RUN-1, REC-CASE-1): a committed run hands
 * its result, lines and entries straight to the workbench store in <out>/workbench.db, so finance's
 * cases and dashboard figures are there when the workbench opens; nothing is read back from the
 * files the run wrote. The import is once per run (the store's run marker), so the workbench's own
 * catch-up import of the same run directory changes nothing.
 */
import type { CaseSink, RecordedRun } from '../../ports/reconciliation';
import { importRunResult } from '../../recon/workbench/import-cases';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from './workbench-store';

export function workbenchCaseSink(out: string): CaseSink {
  return {
    async record(run: RecordedRun): Promise<void> {
      const lines = new Map(run.statementLines.map((line) => [line.statementLineId, line]));
      const entries = new Map(run.ledgerEntries.map((entry) => [entry.entryId, entry]));
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
          coveredAccounts: new Set(run.statementLines.map((line) => line.accountId)),
        });
      } finally {
        db.close();
      }
    },
  };
}
