/**
 * Applies a reconciliation run's cases to a workbench store: reads the cases the store holds for
 * the run's accounts, plans the import (planImport: raise, reopen, refresh, clear) and applies it
 * atomically, once per run. The embedded import (import-run.ts) and the AWS RaiseCases step
 * (src/recon/run/aws/steps.ts) both end here; this module needs no DuckDB and no AWS SDK.
 */
import { type ExceptionCase, planImport } from './cases';
import type { WorkbenchStore } from './ports';

export interface ImportOutcome {
  runId: string;
  /** Cases the run raised (new). */
  raised: number;
  /** CLEARED cases the run reports again (OPEN again). */
  reopened: number;
  /** OPEN / PENDING_APPROVAL cases the run no longer reports. */
  cleared: number;
  /** The run was imported before: nothing changed. */
  alreadyImported: boolean;
}

/** Imports `incoming` (casesFromRun of the run) as of `at`; re-importing the same run changes nothing. */
export async function importRunCases(store: WorkbenchStore, run: { runId: string; coveredAccounts: ReadonlySet<string>; at: string }, incoming: readonly ExceptionCase[]): Promise<ImportOutcome> {
  const { runId, coveredAccounts, at } = run;
  const existing = await store.casesOfAccounts(new Set([...coveredAccounts, ...incoming.map((c) => c.accountId)]));
  const plan = planImport(existing, incoming, { runId, coveredAccounts }, at);
  const applied = await store.applyImport(runId, plan);
  return applied
    ? { runId, raised: plan.raised.length, reopened: plan.reopened.length, cleared: plan.cleared.length, alreadyImported: false }
    : { runId, raised: 0, reopened: 0, cleared: 0, alreadyImported: true };
}
