/**
 * The embedded analytical store: DuckDB at <out>/recon.duckdb, whose views runs, statement_lines,
 * ledger_entries, matches and exceptions (every row carries its run_id) read the Parquet files of
 * the committed runs (<out>/runs/<runId>/parquet/<table>.parquet).
 *
 * A run writes each table's Parquet file once, while it is staged: the rows go to a CSV load
 * file through the one formula-safe writer (REC-OUT-1; matches.csv and exceptions.csv are their
 * own load files), and DuckDB's CSV reader turns it into Parquet with
 * `COPY (SELECT … FROM read_csv(…)) TO … (FORMAT PARQUET)`, decoding every cell back exactly: no
 * table insert, no per-row call into the engine (REC-PERF-1). Text values are cast by DuckDB to the
 * column types: amounts DECIMAL(38,6) from their decimal strings, never floats.
 *
 * It moves with the atomic commit (REC-OUT-3): the views are recreated listing exactly the
 * committed runs (the registry's) only after the registry committed the run, in one DuckDB
 * transaction, so an interrupted run — a failure, SIGINT or kill -9 at any step — is never
 * visible: its Parquet files sit in a staging or uncommitted run directory no view lists. Every
 * later look at the store (a run, or a run with nothing new) lists the registry's runs again: a
 * run the registry does not hold leaves the views, and a committed run they lack (a crash between
 * the two commits) joins them. A store written by an older version (tables, not views) becomes
 * views over the same runs' Parquet copies.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { redactPans } from '../../domain/pan';
import type { LedgerEntry, MatchResult, StatementLine } from '../types';
import { writeChunksAsync } from './chunk-file';
import { csvTable, textCell } from './csv-writer';
import { exceptionsCsvRecords, isPlainPanFreeCell, type Lookups, matchesCsvRecords, mayHoldPan, type RunSummary } from './results';

export const DUCKDB_FILE = 'recon.duckdb';
export const ANALYTICS_TABLES = ['runs', 'statement_lines', 'ledger_entries', 'matches', 'exceptions'] as const;
type Table = (typeof ANALYTICS_TABLES)[number];

/** The store's record of the runs its views list (changed in the same transaction as the views). */
const LISTED = 'listed_runs';

const SCHEMA: Record<Table, [name: string, type: string][]> = {
  runs: [
    ['run_id', 'VARCHAR'],
    ['as_of', 'DATE'],
    ['recorded_at', 'TIMESTAMP'],
    ['rule_set', 'VARCHAR'],
    ['statement_lines', 'BIGINT'],
    ['ledger_entries', 'BIGINT'],
    ['matched', 'BIGINT'],
    ['unmatched_statement', 'BIGINT'],
    ['unmatched_ledger', 'BIGINT'],
    ['summary', 'VARCHAR'],
  ],
  statement_lines: [
    ['run_id', 'VARCHAR'],
    ['statement_line_id', 'VARCHAR'],
    ['file', 'VARCHAR'],
    ['format', 'VARCHAR'],
    ['statement_id', 'VARCHAR'],
    ['account_id', 'VARCHAR'],
    ['currency', 'VARCHAR'],
    ['amount', 'DECIMAL(38,6)'],
    ['booking_date', 'DATE'],
    ['value_date', 'DATE'],
    ['end_to_end_id', 'VARCHAR'],
    ['bank_reference', 'VARCHAR'],
    ['customer_reference', 'VARCHAR'],
    ['remittance_information', 'VARCHAR'],
    ['counterparty', 'VARCHAR'],
    ['type_code', 'VARCHAR'],
    ['status', 'VARCHAR'],
    ['batch_item_count', 'INTEGER'],
  ],
  ledger_entries: [
    ['run_id', 'VARCHAR'],
    ['entry_id', 'VARCHAR'],
    ['account_id', 'VARCHAR'],
    ['currency', 'VARCHAR'],
    ['amount', 'DECIMAL(38,6)'],
    ['booking_date', 'DATE'],
    ['value_date', 'DATE'],
    ['reference', 'VARCHAR'],
    ['description', 'VARCHAR'],
  ],
  matches: [
    ['run_id', 'VARCHAR'],
    ['match_id', 'VARCHAR'],
    ['statement_line_id', 'VARCHAR'],
    ['bank_reference', 'VARCHAR'],
    ['ledger_entry_id', 'VARCHAR'],
    ['rule_id', 'VARCHAR'],
    ['confidence', 'DECIMAL(5,4)'],
    ['status', 'VARCHAR'],
  ],
  exceptions: [
    ['run_id', 'VARCHAR'],
    ['side', 'VARCHAR'],
    ['id', 'VARCHAR'],
    ['reason', 'VARCHAR'],
    ['age_days', 'INTEGER'],
    ['statement_line_id', 'VARCHAR'],
    ['bank_reference', 'VARCHAR'],
    ['ledger_entry_id', 'VARCHAR'],
    ['account_id', 'VARCHAR'],
    ['currency', 'VARCHAR'],
    ['amount', 'DECIMAL(38,6)'],
    ['detail', 'VARCHAR'],
    // REC-CASE-1: the case group the exception is worked in (exceptions.csv `group`); NULL when it stands alone.
    ['case_group', 'VARCHAR'],
  ],
};

type Cell = string | undefined | null;

export interface RunForAnalytics {
  runId: string;
  recordedAt: Date;
  summary: RunSummary;
  statementLines: readonly StatementLine[];
  /** statementLineId → file name. */
  fileOf(statementLineId: string): string;
  ledgerEntries: readonly LedgerEntry[];
  result: MatchResult;
  lookups: Lookups;
  /** Directory the run's Parquet files are written to. */
  parquetDir: string;
  /**
   * The run's matches.csv and exceptions.csv, already written (results.ts, through the one CSV
   * writer): read back as the matches and exceptions load files. Absent: rendered from `result`.
   */
  resultFiles?: { matches: string; exceptions: string };
}

export interface AnalyticsLoad {
  /** Lists the run in the store's views (call after the registry committed the run). */
  commit(): Promise<void>;
  /** The run did not commit: the store is not touched (its Parquet files go with its directory). Safe after commit. */
  rollback(): Promise<void>;
}

/** The committed runs the store must hold: the registry's, each with its directory under <out>/runs. */
export interface CommittedRuns {
  runIds: ReadonlySet<string>;
  /** The run's directory (its `parquet/` files), if this --out holds it. */
  runDir(runId: string): string | undefined;
}

export interface StoreSync {
  /** Runs the views listed that the registry does not hold: no longer listed. */
  removed: string[];
  /** Committed runs the views lacked (a crash between the two commits): listed again from their Parquet files. */
  restored: string[];
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** PCI-3 at the store too (the readers mask already): identifiers under identifier evidence, free text under free-text evidence. */
const id = (value: string | undefined): Cell => (value === undefined || value === '' ? null : mayHoldPan(value) ? redactPans(value, 'identifier') : value);
const text = (value: string | undefined): Cell => (value === undefined || value === '' ? null : mayHoldPan(value) ? redactPans(value) : value);

/** A table's load-file columns: every column but run_id. */
const loadColumns = (table: Table): string[] => SCHEMA[table].filter(([name]) => name !== 'run_id').map(([name]) => name);

/** The statement_lines and ledger_entries load files' header lines, through the one CSV writer. */
const STATEMENT_LINES_HEADER = csvTable(loadColumns('statement_lines')).header();
const LEDGER_ENTRIES_HEADER = csvTable(loadColumns('ledger_entries')).header();

/** A load-file cell: textCell of the stored value (a NULL is an empty cell). */
const cell = (value: Cell): string => (value === null || value === undefined ? '' : textCell(value));
/** cell(id(value)) and cell(text(value)), in one scan for the common plain value (REC-PERF-1). */
const idCell = (value: string | undefined): string => (value !== undefined && isPlainPanFreeCell(value) ? value : cell(id(value)));
const textOnlyCell = (value: string | undefined): string => (value !== undefined && isPlainPanFreeCell(value) ? value : cell(text(value)));

/** Whether a cell as written holds a value that starts with an apostrophe (bare, or first inside quotes): one to decode. */
const apostrophe = (written: string): boolean => written.charCodeAt(0) === 0x27 || (written.charCodeAt(0) === 0x22 && written.charCodeAt(1) === 0x27);

/**
 * A load file's columns whose values, as written, need the decoding of decodedColumn (a leading
 * apostrophe to drop): filled while the file is rendered. A column no value of which starts with
 * an apostrophe is read as it is (REC-PERF-1: DuckDB spends a third of a copy on the decoding).
 */
class Decoding {
  private readonly needed: boolean[];
  constructor(private readonly columns: readonly string[]) {
    this.needed = columns.map(() => false);
  }
  /** The written cell of column `index`, noted. */
  note(index: number, written: string): string {
    if (!this.needed[index] && written.length > 0 && apostrophe(written)) this.needed[index] = true;
    return written;
  }
  /** The columns read as they are. */
  plain(): Set<string> {
    return new Set(this.columns.filter((_, index) => !this.needed[index]));
  }
}

/**
 * The statement_lines load file, one piece per record: the same text as the table's csvTable
 * renders from the rows [statementLineId, text(file), format, id(statementId), …] (every cell a
 * text cell through textCell), without an array per row (REC-PERF-1: a million lines). A file
 * name's cell is worked out once per run of lines from the same file.
 */
function* statementLineRecords(run: Pick<RunForAnalytics, 'statementLines' | 'fileOf'>, d: Decoding): Generator<string> {
  yield STATEMENT_LINES_HEADER;
  let lastName: string | undefined;
  let file = '';
  for (const l of run.statementLines) {
    const lineId = l.statementLineId;
    const name = run.fileOf(lineId);
    if (name !== lastName) {
      lastName = name;
      file = d.note(1, cell(text(name)));
    }
    yield `${d.note(0, textCell(lineId))},${file},${d.note(2, cell(l.format))},${d.note(3, idCell(l.statementId))},${d.note(4, idCell(l.accountId))},${d.note(5, cell(l.currency))},${d.note(6, cell(l.amount))},${d.note(7, cell(l.bookingDate))},${d.note(8, cell(l.valueDate))},${d.note(9, idCell(l.endToEndId))},${d.note(10, idCell(l.bankReference))},${d.note(11, idCell(l.customerReference))},${d.note(12, textOnlyCell(l.remittanceInformation))},${d.note(13, textOnlyCell(l.counterparty))},${d.note(14, idCell(l.typeCode))},${d.note(15, idCell(l.status))},${l.batchItemCount === undefined ? '' : d.note(16, cell(String(l.batchItemCount)))}\n`;
  }
}

/** The ledger_entries load file, one piece per record (the same text as the table's csvTable renders). */
function* ledgerEntryRecords(entries: readonly LedgerEntry[], d: Decoding): Generator<string> {
  yield LEDGER_ENTRIES_HEADER;
  for (const e of entries) {
    yield `${d.note(0, idCell(e.entryId))},${d.note(1, idCell(e.accountId))},${d.note(2, cell(e.currency))},${d.note(3, cell(e.amount))},${d.note(4, cell(e.bookingDate))},${d.note(5, cell(e.valueDate))},${d.note(6, idCell(e.reference))},${d.note(7, textOnlyCell(e.description))}\n`;
  }
}

/**
 * SQL of one load-file column back to the stored value: '' is NULL, one leading apostrophe (the
 * writer's neutralisation) dropped, cast to the column type. A `plain` column has no value with a
 * leading apostrophe: read as it is (read_csv reads an empty cell, quoted or not, as NULL).
 */
function decodedColumn(name: string, type: string, plain = false): string {
  const text = plain ? name : `CASE WHEN starts_with(${name}, '''') THEN substr(${name}, 2) ELSE nullif(${name}, '') END`;
  if (type === 'VARCHAR') return text;
  // Text → DECIMAL(38,6) is DuckDB's slow cast (128-bit): through DECIMAL(18,6) whenever the value fits (exactly the
  // same value, same scale), the wide cast only for what does not fit — about 3× faster on a million amounts.
  if (type === 'DECIMAL(38,6)') return `COALESCE(CAST(TRY_CAST(${text} AS DECIMAL(18,6)) AS DECIMAL(38,6)), CAST(${text} AS DECIMAL(38,6)))`;
  return `CAST(${text} AS ${type})`;
}

/** The table's columns as an empty, typed relation (a view's shape when no run has the table, or lacks a later column). */
function emptyRelation(table: Table): string {
  return `SELECT ${SCHEMA[table].map(([name, type]) => `CAST(NULL AS ${type}) AS ${name}`).join(', ')} WHERE false`;
}

const parquetFile = (dir: string, table: Table): string => join(dir, `${table}.parquet`);

/** The SELECT that reads a load file (CSV, header, every column but run_id) back as the table's typed rows of `runId`. */
function fromLoadFile(table: Table, runId: string, path: string, plain: ReadonlySet<string> = new Set()): string {
  const columns = SCHEMA[table].filter(([name]) => name !== 'run_id');
  const types = `{${columns.map(([name]) => `${sqlString(name)}: 'VARCHAR'`).join(', ')}}`;
  const select = SCHEMA[table].map(([name, type]) => (name === 'run_id' ? `${sqlString(runId)} AS run_id` : `${decodedColumn(name, type, plain.has(name))} AS ${name}`)).join(', ');
  return `SELECT ${select} FROM read_csv(${sqlString(path)}, header = true, auto_detect = false, columns = ${types}, delim = ',', quote = '"', escape = '"', new_line = '\\n', strict_mode = true)`;
}

function literal(value: string, type: string): string {
  return `CAST(${sqlString(value)} AS ${type})`;
}

/**
 * Rows per Parquet row group (REC-PERF-1). DuckDB holds a row group in memory while it writes it:
 * at its default (122,880 rows) the copies of a 1M × 1M run took the process's resident memory up
 * by about 260 MB, its peak; at 32,768 by about 40–140 MB (measured: peak 1.62–1.65 GiB against
 * 1.84–1.88). Still far above Parquet's useful minimum for the analytics queries.
 */
export const PARQUET_ROW_GROUP_ROWS = 32_768;

/**
 * Writes the run's Parquet files (one per table, `COPY (…) TO … (FORMAT PARQUET)`) into
 * run.parquetDir. Each table's load file is converted by DuckDB's thread while the next one is
 * rendered here; the load files the run does not keep are removed.
 */
export async function writeRunParquet(run: RunForAnalytics): Promise<void> {
  const { runId, parquetDir } = run;
  mkdirSync(parquetDir, { recursive: true });
  // REC-PERF-1: one DuckDB thread, one copy at a time. This thread renders the next load file
  // meanwhile, so the machine's second core is DuckDB's; more threads or copies side by side only
  // add CSV buffers and Parquet row groups in flight (memory) and contention (CPU).
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connections: DuckDBConnection[] = [];
  const scratch: string[] = [];
  const pending: Promise<void>[] = [];
  let previous: Promise<void> = Promise.resolve();
  const copy = (table: Table, select: string): void => {
    const after = previous;
    const promise = (async () => {
      // The copies run in order; one that failed stops the rest (the first failure is thrown below).
      await after;
      const connection = await instance.connect();
      connections.push(connection);
      await connection.run(`COPY (${select}) TO ${sqlString(parquetFile(parquetDir, table))} (FORMAT PARQUET, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_ROWS})`);
    })();
    // Awaited below; meanwhile a failure is never unhandled.
    promise.catch(() => undefined);
    pending.push(promise);
    previous = promise;
  };
  // REC-PERF-1: the load file's writes go to libuv's pool while the next rows are rendered.
  const loadFile = async (name: string, pieces: Iterable<string>): Promise<string> => {
    const path = join(parquetDir, `${name}.load.csv`);
    scratch.push(path);
    await writeChunksAsync(path, pieces);
    return path;
  };
  try {
    const s = run.summary;
    const runsRow: string[] = [
      runId,
      s.asOf,
      run.recordedAt.toISOString().replace('T', ' ').replace('Z', ''),
      `${s.ruleSet.ruleSetId}@${s.ruleSet.version}`,
      String(s.statementLines),
      String(s.ledgerEntries),
      String(s.matched.total),
      String(s.unmatchedStatement),
      String(s.unmatchedLedger),
      JSON.stringify(s),
    ];
    copy('runs', `SELECT ${SCHEMA.runs.map(([name, type], i) => `${literal(runsRow[i]!, type)} AS ${name}`).join(', ')}`);
    const files = run.resultFiles ?? {
      matches: await loadFile('matches', matchesCsvRecords(run.result, run.lookups)),
      exceptions: await loadFile('exceptions', exceptionsCsvRecords(run.result, run.lookups)),
    };
    copy('matches', fromLoadFile('matches', runId, files.matches));
    copy('exceptions', fromLoadFile('exceptions', runId, files.exceptions));
    const lineColumns = new Decoding(loadColumns('statement_lines'));
    const lines = await loadFile('statement_lines', statementLineRecords(run, lineColumns));
    copy('statement_lines', fromLoadFile('statement_lines', runId, lines, lineColumns.plain()));
    const entryColumns = new Decoding(loadColumns('ledger_entries'));
    const entries = await loadFile('ledger_entries', ledgerEntryRecords(run.ledgerEntries, entryColumns));
    copy('ledger_entries', fromLoadFile('ledger_entries', runId, entries, entryColumns.plain()));
    await Promise.all(pending);
  } catch (error) {
    await Promise.allSettled(pending);
    throw error;
  } finally {
    for (const connection of connections) connection.closeSync();
    instance.closeSync();
    for (const path of scratch) rmSync(path, { force: true });
  }
}

/** The committed runs whose directory holds every table's Parquet file, by run id. */
function listable(committed: CommittedRuns): { runId: string; parquet: string }[] {
  return [...committed.runIds]
    .flatMap((runId) => {
      const dir = committed.runDir(runId);
      if (!dir) return [];
      const parquet = join(dir, 'parquet');
      const files = existsSync(parquet) ? readdirSync(parquet) : [];
      return ANALYTICS_TABLES.every((table) => files.includes(`${table}.parquet`)) ? [{ runId, parquet }] : [];
    })
    .sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}

/** The runs the views list (an older version's tables: the runs they hold); undefined for a store without views yet. */
async function listedRuns(connection: DuckDBConnection): Promise<{ runIds: string[]; tables: Set<string> } | undefined> {
  const objects = await connection.runAndReadAll(`SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'`);
  const rows = objects.getRowObjectsJson() as { table_name: string; table_type: string }[];
  const tables = new Set(rows.filter((row) => row.table_type === 'BASE TABLE').map((row) => row.table_name));
  const runIds = async (sql: string): Promise<string[]> => ((await connection.runAndReadAll(sql)).getRowObjectsJson() as { run_id: string }[]).map((row) => row.run_id).sort();
  // An older version's store: tables holding each run's rows (its run directory has the same rows as Parquet copies).
  if (tables.has('runs')) return { runIds: await runIds('SELECT DISTINCT run_id FROM runs'), tables };
  if (!tables.has(LISTED)) return undefined;
  return { runIds: await runIds(`SELECT run_id FROM ${LISTED}`), tables };
}

/**
 * Makes the views list exactly `committed`'s runs that have their Parquet files, in one
 * transaction (every view and the record of listed runs change together). Runs in `quiet` (the
 * run being committed) are not reported as restored.
 */
async function listRuns(connection: DuckDBConnection, committed: CommittedRuns, quiet: ReadonlySet<string> = new Set()): Promise<StoreSync> {
  const before = await listedRuns(connection);
  const runs = listable(committed);
  const ids = runs.map((run) => run.runId);
  const listedBefore = new Set(before?.runIds ?? []);
  const removed = (before?.runIds ?? []).filter((runId) => !ids.includes(runId));
  const restored = ids.filter((runId) => !listedBefore.has(runId) && !quiet.has(runId));
  if (before && !before.tables.has('runs') && removed.length === 0 && ids.length === listedBefore.size && ids.every((runId) => listedBefore.has(runId))) return { removed, restored };
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const table of ANALYTICS_TABLES) {
      if (before?.tables.has(table)) await connection.run(`DROP TABLE ${table}`);
      const files = runs.map((run) => sqlString(parquetFile(run.parquet, table)));
      // Typed and ordered by the schema whatever the files hold (a run written before a column was added reads NULL there).
      const view = files.length === 0 ? emptyRelation(table) : `SELECT * FROM (${emptyRelation(table)}) UNION ALL BY NAME SELECT * FROM read_parquet([${files.join(', ')}], union_by_name = true)`;
      await connection.run(`CREATE OR REPLACE VIEW ${table} AS ${view}`);
    }
    await connection.run(`CREATE TABLE IF NOT EXISTS ${LISTED} (run_id VARCHAR)`);
    await connection.run(`DELETE FROM ${LISTED}`);
    if (ids.length > 0) await connection.run(`INSERT INTO ${LISTED} VALUES ${ids.map((runId) => `(${sqlString(runId)})`).join(', ')}`);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { removed, restored };
}

async function withStore<T>(out: string, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  mkdirSync(out, { recursive: true });
  const instance = await DuckDBInstance.create(join(out, DUCKDB_FILE));
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Writes the run's Parquet files (run.parquetDir); commit() lists the run in the store's views
 * with the other committed runs — call it once the registry committed the run; rollback() leaves
 * the store as it is. `committed` is the registry's runs; `onSync` hears of other runs the
 * commit removed from or restored to the views.
 */
export async function loadRun(out: string, run: RunForAnalytics, committed: CommittedRuns, onSync?: (sync: StoreSync) => void): Promise<AnalyticsLoad> {
  await writeRunParquet(run);
  let ended = false;
  return {
    commit: async () => {
      if (ended) return;
      ended = true;
      const withRun: CommittedRuns = { runIds: new Set([...committed.runIds, run.runId]), runDir: (runId) => committed.runDir(runId) };
      const sync = await withStore(out, (connection) => listRuns(connection, withRun, new Set([run.runId])));
      if (sync.removed.length > 0 || sync.restored.length > 0) onSync?.(sync);
    },
    rollback: async () => {
      ended = true;
    },
  };
}

/**
 * Brings the store in line with the committed runs (the registry's) without a new run, as every
 * commit does. Returns what changed; no store is created while there is no committed run to list.
 */
export async function syncAnalyticsStore(out: string, committed: CommittedRuns): Promise<StoreSync> {
  if (!existsSync(join(out, DUCKDB_FILE)) && listable(committed).length === 0) return { removed: [], restored: [] };
  return withStore(out, (connection) => listRuns(connection, committed));
}
