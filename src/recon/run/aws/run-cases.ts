/**
 * The workbench cases of one AWS reconciliation run, `matches/runs/<runId>/cases.json`: written
 * by summarise from the very rows of exceptions.csv / matches.csv (casesFromRun), read back by the
 * RaiseCases step (importCasesStep in ./steps.ts), which imports them into the DynamoDB workbench.
 */
import { dayNumber } from '../../matching/rows';
import type { StatementLine } from '../../types';
import { casesFromRun, type ExceptionCase, type ExceptionRow, type MatchRow, type StatementLineFacts } from '../../workbench/cases';
import { EXCEPTION_COLUMNS, MATCH_COLUMNS } from '../results';

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
}

/** The run cannot be imported: its cases.json is missing fields or belongs to another run (the message names the object). */
export class RunCasesFileError extends Error {
  override name = 'RunCasesFileError';
}

function record<Column extends string>(columns: readonly Column[], cells: readonly string[]): Record<Column, string> {
  return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? ''])) as Record<Column, string>;
}

function exceptionRow(cells: readonly string[]): ExceptionRow {
  const row = record(EXCEPTION_COLUMNS, cells);
  if (row.side !== 'statement' && row.side !== 'ledger') throw new Error(`exception row ${row.id}: side must be statement or ledger, got "${row.side}"`);
  return { ...row, side: row.side };
}

/** A statement line's account, currency, exact amount and age on `asOf` (booking date, else value date; 0 without either), as the matcher ages it. */
export function statementLineFacts(line: StatementLine, asOf: string): StatementLineFacts {
  const date = line.bookingDate ?? line.valueDate;
  const age = date === null ? Number.NaN : dayNumber(asOf) - dayNumber(date);
  return { accountId: line.accountId, currency: line.currency, amount: line.amount, ageDays: Number.isSafeInteger(age) ? age : 0 };
}

/**
 * The run's cases file. `exceptionCells` / `matchCells` are the rows summarise writes to
 * exceptions.csv / matches.csv (exceptionRows / matchRows of src/recon/run/results.ts, in
 * EXCEPTION_COLUMNS / MATCH_COLUMNS order).
 */
export function runCasesFile(
  run: { runId: string; asOf: string; at: string; statementAccounts: readonly string[]; lines: readonly StatementLine[] },
  exceptionCells: readonly (readonly string[])[],
  matchCells: readonly (readonly string[])[],
): RunCasesFile {
  const lineById = new Map(run.lines.map((line) => [line.statementLineId, line]));
  const facts = (statementLineId: string): StatementLineFacts | undefined => {
    const line = lineById.get(statementLineId);
    return line ? statementLineFacts(line, run.asOf) : undefined;
  };
  const matches: MatchRow[] = matchCells.map((cells) => record(MATCH_COLUMNS, cells));
  return {
    runId: run.runId,
    at: run.at,
    coveredAccounts: [...new Set(run.statementAccounts)].sort(),
    cases: casesFromRun(run.runId, exceptionCells.map(exceptionRow), matches, run.at, facts),
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
  if (problems.length > 0) throw new RunCasesFileError(`${uri}: ${problems.join('; ')}`);
  return file as RunCasesFile;
}
