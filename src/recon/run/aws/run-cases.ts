/**
 * The workbench cases of one AWS reconciliation run, `matches/runs/<runId>/cases.json`: written
 * by summarise from the run's result (casesFromResult, the one case builder the embedded run
 * uses too), read back by the RaiseCases step (importCasesStep in ./steps.ts), which imports them
 * into the DynamoDB workbench.
 */
import type { LedgerEntry, MatchResult, StatementLine } from '../../types';
import { casesFromResult, type ExceptionCase, type ExceptionRow, type MatchRow, resultFromRows, rowLookups } from '../../workbench/cases';
import { type RunStats, runStatsOf } from '../../workbench/dashboard';
import { importRunCases, type ImportOutcome } from '../../workbench/import-cases';
import type { WorkbenchStore } from '../../workbench/ports';
import { EXCEPTION_COLUMNS, MATCH_COLUMNS } from '../results';

/** The one age rule of a statement line (src/recon/workbench/cases.ts). */
export { statementLineFacts } from '../../workbench/cases';

export const RUN_CASES_FILE = 'cases.json';

export interface RunCasesFile {
  runId: string;
  /**
   * When summarise raised the cases (their `updatedAt`). The import uses it too, so a retried
   * RaiseCases step plans the very same events.
   */
  at: string;
  /** The accounts of the run's statements: their cases the run no longer reports are cleared. */
  coveredAccounts: string[];
  cases: ExceptionCase[];
  /** REC-DASH-1: the run's statistics for the workbench dashboards (absent in files written before them). */
  stats?: RunStats;
}

/** The run cannot be imported: its cases.json is missing fields or belongs to another run (the message names the object). */
export class RunCasesFileError extends Error {
  override name = 'RunCasesFileError';
}

function record<Column extends string>(columns: readonly Column[], cells: readonly string[]): Record<Column, string> {
  return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? ''])) as Record<Column, string>;
}

function exceptionRow(cells: readonly string[]): ExceptionRow {
  // The last column, the exception's case group (REC-CASE-1), is '' for one that stands alone (or absent in an older row).
  const { group, ...row } = record(EXCEPTION_COLUMNS, cells);
  if (row.side !== 'statement' && row.side !== 'ledger') throw new Error(`exception row ${row.id}: side must be statement or ledger, got "${row.side}"`);
  return { ...row, side: row.side, ...(group ? { group } : {}) };
}

interface RunFacts {
  runId: string;
  asOf: string;
  at: string;
  statementAccounts: readonly string[];
  lines: readonly StatementLine[];
}

/** The run's cases file from its match result and its own lines and ledger entries. */
export function runCasesFileOfResult(run: RunFacts, result: MatchResult, ledgerEntry: (id: string) => Pick<LedgerEntry, 'entryId' | 'accountId' | 'currency' | 'amount'> | undefined): RunCasesFile {
  const lineById = new Map(run.lines.map((line) => [line.statementLineId, line]));
  const statementLine = (id: string) => lineById.get(id);
  return {
    runId: run.runId,
    at: run.at,
    coveredAccounts: [...new Set(run.statementAccounts)].sort(),
    cases: casesFromResult(run, result, { statementLine, ledgerEntry }),
    stats: runStatsOf({ runId: run.runId, asOf: run.asOf, recordedAt: run.at }, result, statementLine),
  };
}

/**
 * The run's cases file from the rows summarise writes to exceptions.csv / matches.csv
 * (exceptionRows / matchRows of src/recon/run/results.ts, in EXCEPTION_COLUMNS / MATCH_COLUMNS
 * order): read as the result they came from, then the same case builder.
 */
export function runCasesFile(run: RunFacts, exceptionCells: readonly (readonly string[])[], matchCells: readonly (readonly string[])[]): RunCasesFile {
  const matches: MatchRow[] = matchCells.map((cells) => record(MATCH_COLUMNS, cells));
  const rows = resultFromRows(exceptionCells.map(exceptionRow), matches);
  const lineById = new Map(run.lines.map((line) => [line.statementLineId, line]));
  const lookups = rowLookups((id) => lineById.get(id), rows);
  return {
    runId: run.runId,
    at: run.at,
    coveredAccounts: [...new Set(run.statementAccounts)].sort(),
    cases: casesFromResult(run, rows.result, lookups),
    stats: runStatsOf({ runId: run.runId, asOf: run.asOf, recordedAt: run.at }, rows.result, (id) => lineById.get(id)),
  };
}

/** Checks the parsed cases.json of `runId` (read from `uri`) has the shape RaiseCases needs. */
export function checkRunCasesFile(value: unknown, runId: string, uri: string): RunCasesFile {
  const file = (value ?? {}) as Partial<RunCasesFile>;
  const problems: string[] = [];
  if (file.runId !== runId) problems.push(`runId is ${JSON.stringify(file.runId)}, not "${runId}"`);
  if (typeof file.at !== 'string' || Number.isNaN(Date.parse(file.at))) problems.push('at is not a timestamp');
  if (!Array.isArray(file.coveredAccounts) || file.coveredAccounts.some((account) => typeof account !== 'string')) problems.push('coveredAccounts is not a list of account ids');
  if (!Array.isArray(file.cases)) problems.push('cases is not a list');
  if (file.stats !== undefined && (typeof file.stats !== 'object' || file.stats === null || file.stats.runId !== runId || !Array.isArray(file.stats.volumes))) {
    problems.push('stats is not the statistics of this run');
  }
  if (problems.length > 0) throw new RunCasesFileError(`${uri}: ${problems.join('; ')}`);
  return file as RunCasesFile;
}

/** RaiseCases: imports a checked cases file (its cases and, when it has them, its statistics) once per run. */
export function importRunCasesFile(store: WorkbenchStore, file: RunCasesFile): Promise<ImportOutcome> {
  return importRunCases(store, { runId: file.runId, coveredAccounts: new Set(file.coveredAccounts), at: file.at }, file.cases, file.stats);
}
