/**
 * Applies a reconciliation run's cases to a workbench store: reads the cases the store holds for
 * the run's accounts, plans the import (planImport: raise, reopen, refresh, clear) and applies it
 * atomically, once per run. Three ways in, one case builder (casesFromResult):
 *   - importRunResult: the run hands over its result and its own lines and entries (the embedded
 *     case sink): nothing is read back from the files the run wrote;
 *   - the AWS RaiseCases step imports the cases summarise wrote to cases.json (importRunCases);
 *   - import-run.ts reads run directories written before (CSV + Parquet) into the same result.
 * This module needs no DuckDB and no AWS SDK.
 */
import type { RunSummary } from '../run/results';
import type { StatementRows } from '../statement-rows';
import type { LedgerEntry, MatchResult, StatementLine } from '../types';
import { caseStream, type ExceptionCase, type ImportPlan, planImport } from './cases';
import { type RunStats, runStatsOf } from './dashboard';
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

/**
 * Imports `incoming` (casesFromResult of the run) as of `at`, with the run's statistics for the
 * dashboards (REC-DASH-1) when given; re-importing the same run changes nothing.
 */
export async function importRunCases(
  store: WorkbenchStore,
  run: { runId: string; coveredAccounts: ReadonlySet<string>; at: string },
  incoming: readonly ExceptionCase[],
  stats?: RunStats,
): Promise<ImportOutcome> {
  const { runId, coveredAccounts, at } = run;
  const existing = await store.casesOfAccounts(new Set([...coveredAccounts, ...incoming.map((c) => c.accountId)]));
  const plan: ImportPlan = { ...planImport(existing, incoming, { runId, coveredAccounts }, at), ...(stats ? { stats } : {}) };
  const applied = await store.applyImport(runId, plan);
  return applied
    ? { runId, raised: plan.raised.length, reopened: plan.reopened.length, cleared: plan.cleared.length, alreadyImported: false }
    : { runId, raised: 0, reopened: 0, cleared: 0, alreadyImported: true };
}

/** What a finished run hands the workbench: its identity, summary, match result and its own lines and entries by id. */
export interface RunResultForCases {
  runId: string;
  /** YYYY-MM-DD: the ages of the run's exceptions are counted to it. */
  asOf: string;
  /** When the run was recorded (ISO timestamp): the raised cases' `updatedAt` and their events' time. */
  recordedAt: string;
  summary: RunSummary;
  result: MatchResult;
  statementLine(id: string): StatementLine | undefined;
  ledgerEntry(id: string): LedgerEntry | undefined;
  /** The run's statement lines as rows, when it holds them all (its statistics then read them in order, field by field: REC-PERF-1). */
  statementLines?: StatementRows;
  /** The row of a line among statementLines by its id, or -1 (the run's lookups: its statistics then read the row's fields). */
  statementRow?(id: string): number;
  /**
   * The accounts of the run's statements, whose cases the run no longer reports are cleared.
   * Default: the accounts of every statement line the result and the summary name.
   */
  coveredAccounts?: Iterable<string>;
}

/** The accounts a run covered: of every statement line its result names, its excluded lines and its balance checks. */
export function coveredAccountsOf(run: Pick<RunResultForCases, 'summary' | 'result' | 'statementLine' | 'coveredAccounts'>): Set<string> {
  if (run.coveredAccounts) return new Set(run.coveredAccounts);
  const accounts = new Set<string>();
  const add = (lineId: string): void => {
    const line = run.statementLine(lineId);
    if (line) accounts.add(line.accountId);
  };
  for (const match of run.result.matches) for (const lineId of match.statementLineIds) add(lineId);
  for (const item of run.result.unmatched) if (item.side === 'statement') add(item.id);
  for (const excluded of run.summary.excludedFromMatching?.lines ?? []) add(excluded.statementLineId);
  for (const check of run.summary.balanceChecks) accounts.add(check.accountId);
  return accounts;
}

/** What importing a run applies: its cases, its statistics and the accounts it covered (pure; the run's own index). */
export interface RunCases {
  runId: string;
  at: string;
  coveredAccounts: string[];
  incoming: ExceptionCase[];
  stats: RunStats;
}

export function runCasesOf(run: RunResultForCases): RunCases {
  return wholeRunCases(runCaseParts(run));
}

/**
 * What runCasesOf builds, in parts (REC-PERF-1): the run's header (identity, covered accounts,
 * statistics) and its cases one at a time (caseStream), so that a sink can hand them on in batches
 * without holding them all (caseCount tells how many there are).
 */
export interface RunCaseParts {
  header: Omit<RunCases, 'incoming'>;
  cases: () => Generator<ExceptionCase>;
}

/** The parts with every case built. */
export function wholeRunCases(parts: RunCaseParts): RunCases {
  return { ...parts.header, incoming: [...parts.cases()] };
}

export function runCaseParts(run: RunResultForCases): RunCaseParts {
  return {
    header: {
      runId: run.runId,
      at: run.recordedAt,
      coveredAccounts: [...coveredAccountsOf(run)],
      stats: runStatsOf(run, run.result, (id) => run.statementLine(id), run.statementLines, run.statementRow),
    },
    cases: () => caseStream({ runId: run.runId, asOf: run.asOf, at: run.recordedAt }, run.result, run),
  };
}

/** Applies what runCasesOf built (once per run). */
export async function applyRunCases(store: WorkbenchStore, cases: RunCases): Promise<ImportOutcome> {
  return importRunCases(store, { runId: cases.runId, coveredAccounts: new Set(cases.coveredAccounts), at: cases.at }, cases.incoming, cases.stats);
}

/**
 * The embedded case sink (REC-CASE-1, REC-1): a finished run's result becomes cases (one case per
 * group of exceptions, per lone exception, per proposed match) applied to the store once per run;
 * re-importing the same run changes nothing.
 */
export async function importRunResult(store: WorkbenchStore, run: RunResultForCases): Promise<ImportOutcome> {
  return applyRunCases(store, runCasesOf(run));
}
