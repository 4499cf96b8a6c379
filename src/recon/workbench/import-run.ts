/**
 * Imports the committed reconciliation runs of a `--out` directory into the workbench (every run
 * not imported yet, oldest first, or just the latest):
 * exceptions.csv and matches.csv are read back as the run's result (resultFromRows) and become
 * cases through the one case builder (casesFromResult); the statement lines (dates, amounts) and
 * the run's covered accounts come from its statement_lines.parquet (DuckDB), and planImport decides
 * what is raised, refreshed and cleared (importRunCases). The store applies the plan atomically,
 * once per run.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { boundedLines } from '../run/bounded-lines';
import { CSV_LIMITS } from '../parsers/limits';
import { currencyExponent, isKnownCurrency } from '../../domain/money';
import { csvRecords } from '../run/csv';
import { decodeCsvText } from '../run/csv-writer';
import { EXCEPTION_COLUMNS, MATCH_COLUMNS } from '../run/results';
import { casesFromResult, type CaseStatementLine, type ExceptionRow, type MatchRow, resultFromRows, rowLookups } from './cases';
import { runStatsOf } from './dashboard';
import { importRunCases, type ImportOutcome } from './import-cases';
import type { Clock, WorkbenchStore } from './ports';

/** The `--out` directory holds no committed run, or one of its files is malformed (the message names it). */
export class RunImportError extends Error {
  override name = 'RunImportError';
}

/**
 * The rows of a results CSV with exactly `columns`, or `columns` followed by `optional` (a later
 * writer's extra columns, e.g. the exceptions' case group): an optional column absent from the
 * header reads as ''.
 */
async function readCsv<Column extends string, Optional extends string = never>(
  file: string,
  columns: readonly Column[],
  optional: readonly Optional[] = [],
): Promise<(Record<Column, string> & Partial<Record<Optional, string>>)[]> {
  const lines = boundedLines(file, CSV_LIMITS.record);
  const rows: (Record<Column, string> & Partial<Record<Optional, string>>)[] = [];
  let header = true;
  let present: readonly string[] = columns;
  try {
    for await (const record of csvRecords(lines)) {
      const cells = header ? record.cells.map((cell, i) => (i === 0 ? cell.replace(/^\uFEFF/, '') : cell)) : record.cells;
      if (header) {
        const accepted = [columns, ...optional.map((_, n) => [...columns, ...optional.slice(0, n + 1)])].find((candidate) => candidate.join(',') === cells.join(','));
        if (!accepted) throw new RunImportError(`${file} line 1: expected the header "${columns.join(',')}", got "${cells.join(',')}"`);
        present = accepted;
        header = false;
        continue;
      }
      if (cells.length !== present.length) throw new RunImportError(`${file} line ${record.line}: expected ${present.length} cells, got ${cells.length}`);
      // The writer neutralised formula-like text with a leading apostrophe (REC-OUT-1): the cases get the original text.
      rows.push(Object.fromEntries(present.map((column, i) => [column, decodeCsvText(cells[i]!)])) as Record<Column, string> & Partial<Record<Optional, string>>);
    }
  } catch (error) {
    if (error instanceof RunImportError) throw error;
    throw new RunImportError(`${file}: ${(error as Error).message}`);
  }
  if (header) throw new RunImportError(`${file}: the file is empty (expected the header "${columns.join(',')}")`);
  return rows;
}

/**
 * The columns every exceptions.csv has; `group` (REC-CASE-1) is read when the writer adds it
 * (after them), so run directories written before it still import.
 */
const EXCEPTION_BASE_COLUMNS = EXCEPTION_COLUMNS.filter((column) => (column as string) !== 'group') as Exclude<(typeof EXCEPTION_COLUMNS)[number], 'group'>[];

function exceptionRowsOf(file: string, rows: (Record<(typeof EXCEPTION_BASE_COLUMNS)[number], string> & { group?: string })[]): ExceptionRow[] {
  return rows.map((row, i) => {
    if (row.side !== 'statement' && row.side !== 'ledger') throw new RunImportError(`${file} row ${i + 1}: side must be statement or ledger, got "${row.side}"`);
    if (!/^-?[0-9]+$/.test(row.ageDays)) throw new RunImportError(`${file} row ${i + 1}: ageDays must be a whole number, got "${row.ageDays}"`);
    const { group, ...rest } = row;
    return { ...rest, side: row.side, ...(group ? { group } : {}) };
  });
}

/** DuckDB prints DECIMAL(38,6) with six decimals: back to the currency's own scale ("115.000000" CAD → "115.00"). */
function atCurrencyScale(amount: string, currency: string): string {
  const [whole, fraction = ''] = amount.split('.');
  const scale = isKnownCurrency(currency) ? currencyExponent(currency) : 0;
  let kept = fraction;
  while (kept.length > scale && kept.endsWith('0')) kept = kept.slice(0, -1);
  return kept.length ? `${whole}.${kept}` : whole!;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The run's statement lines (account, currency, exact amount, dates, bank reference) by id, and the accounts the run covered. */
async function statementLinesOf(file: string): Promise<{ lines: Map<string, CaseStatementLine>; coveredAccounts: Set<string> }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT statement_line_id, account_id, currency, CAST(amount AS VARCHAR) AS amount,
              CAST(booking_date AS VARCHAR) AS booking_date, CAST(value_date AS VARCHAR) AS value_date, bank_reference
       FROM read_parquet(${sqlString(file)})`,
    );
    const lines = new Map<string, CaseStatementLine>();
    const coveredAccounts = new Set<string>();
    type Row = { statement_line_id: string; account_id: string; currency: string; amount: string; booking_date: string | null; value_date: string | null; bank_reference: string | null };
    for (const row of reader.getRowObjectsJson() as Row[]) {
      lines.set(row.statement_line_id, {
        statementLineId: row.statement_line_id,
        accountId: row.account_id,
        currency: row.currency,
        amount: atCurrencyScale(row.amount, row.currency),
        bookingDate: row.booking_date,
        valueDate: row.value_date,
        ...(row.bank_reference ? { bankReference: row.bank_reference } : {}),
      });
      coveredAccounts.add(row.account_id);
    }
    return { lines, coveredAccounts };
  } catch (error) {
    throw new RunImportError(`${file}: ${(error as Error).message}`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function readSummary(file: string): { runId: string; asOf: string } {
  let summary: unknown;
  try {
    summary = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RunImportError(`${file}: not a readable JSON summary (${(error as Error).message})`);
  }
  const { runId, asOf } = (summary ?? {}) as { runId?: unknown; asOf?: unknown };
  if (typeof runId !== 'string' || runId === '') throw new RunImportError(`${file}: field "runId" is missing`);
  if (typeof asOf !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new RunImportError(`${file}: field "asOf" must be a date YYYY-MM-DD`);
  return { runId, asOf };
}

/**
 * The directory of the latest committed run of `outDir` (`current` resolved, so a reconcile
 * committing meanwhile swaps the link, not the files read); throws RunImportError if there is none.
 */
export function latestRunDir(outDir: string): string {
  const current = join(outDir, 'current');
  if (!existsSync(join(current, 'summary.json'))) {
    throw new RunImportError(`"${outDir}" holds no committed reconciliation run (${join(current, 'summary.json')} is missing); run \`ledgerline reconcile --out ${outDir} ...\` first`);
  }
  return realpathSync(current);
}

/** When a committed run started, from the first line of its audit trail (`run.started`). */
function startedAt(runDir: string): string {
  const file = join(runDir, 'audit.ndjson');
  try {
    const first = readFileSync(file, 'utf8').split('\n', 1)[0]!;
    const event = JSON.parse(first) as { type?: unknown; at?: unknown };
    if (event.type === 'run.started' && typeof event.at === 'string') return event.at;
  } catch (error) {
    throw new RunImportError(`${file}: not a readable audit trail (${(error as Error).message})`);
  }
  throw new RunImportError(`${file} line 1: expected the run.started event`);
}

/**
 * Every committed run of `outDir` the store has not imported, oldest first (by the time each
 * started), so that a later run of the same accounts clears what an earlier one raised. Several
 * runs can commit between two looks (an inbox with several files): none is skipped.
 */
export async function importNewRuns(outDir: string, store: WorkbenchStore & { hasImported(runId: string): boolean }, clock: Clock): Promise<ImportOutcome[]> {
  latestRunDir(outDir);
  const runsDir = join(outDir, 'runs');
  const pending = readdirSync(runsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !store.hasImported(entry.name) && existsSync(join(runsDir, entry.name, 'summary.json')))
    .map((entry) => ({ dir: join(runsDir, entry.name), runId: entry.name, startedAt: startedAt(join(runsDir, entry.name)) }))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.runId < b.runId ? -1 : 1));
  const outcomes: ImportOutcome[] = [];
  for (const run of pending) outcomes.push(await importRunDir(run.dir, store, clock));
  return outcomes;
}

/** Imports one committed run directory (`runs/<runId>`); re-importing the same run changes nothing. */
export async function importRunDir(runDir: string, store: WorkbenchStore, clock: Clock): Promise<ImportOutcome> {
  const { runId, asOf } = readSummary(join(runDir, 'summary.json'));
  const exceptionsFile = join(runDir, 'exceptions.csv');
  const exceptions = exceptionRowsOf(exceptionsFile, await readCsv(exceptionsFile, EXCEPTION_BASE_COLUMNS, ['group']));
  const matches: MatchRow[] = await readCsv(join(runDir, 'matches.csv'), MATCH_COLUMNS);
  const { lines, coveredAccounts } = await statementLinesOf(join(runDir, 'parquet', 'statement_lines.parquet'));

  const at = clock.now().toISOString();
  const rows = resultFromRows(exceptions, matches);
  const incoming = casesFromResult(
    { runId, asOf, at },
    rows.result,
    rowLookups((id) => lines.get(id), rows),
  );
  // REC-DASH-1: the run's statistics, dated by when the run started (its audit trail).
  const stats = runStatsOf({ runId, asOf, recordedAt: startedAt(runDir) }, rows.result, (id) => lines.get(id));
  return importRunCases(store, { runId, coveredAccounts, at }, incoming, stats);
}
