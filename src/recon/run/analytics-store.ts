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
import type { MatchResult } from '../types';
import type { LedgerRows } from '../ledger-rows';
import type { StatementRows } from '../statement-rows';
import { writeChunksAsync } from './chunk-file';
import { CsvBytes, csvTable, textCell } from './csv-writer';
import { exceptionsCsvBytes, type Lookups, matchesCsvBytes, mayHoldPan, type RunSummary } from './results';

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
  /** The run's statement lines, read by field (REC-PERF-1: a large run's are columns, not objects). */
  statementLines: StatementRows;
  /** statementLineId → file name. */
  fileOf(statementLineId: string): string;
  ledgerEntries: LedgerRows;
  result: MatchResult;
  lookups: Lookups;
  /** Directory the run's Parquet files are written to. */
  parquetDir: string;
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
/** The full path of an identifier's and a free text's cell: the PAN guard, then the text writer (CsvBytes.guarded skips both for a common value they leave as it is). */
const idCell = (value: string | undefined): string => cell(id(value));
const textOnlyCell = (value: string | undefined): string => cell(text(value));

const COMMA = 0x2c;
const NEWLINE = 0x0a;

/**
 * A load file's columns whose values, as written, need the decoding of decodedColumn (a leading
 * apostrophe to drop): noted while the file is rendered (CsvBytes' cell writers say when a cell
 * starts with one). A column no value of which starts with an apostrophe is read as it is
 * (REC-PERF-1: DuckDB spends a third of a copy on the decoding).
 */
class Decoding {
  readonly needed: boolean[];
  constructor(
    private readonly columns: readonly string[],
    needed: readonly boolean[] = [],
  ) {
    this.needed = columns.map((_, index) => needed[index] === true);
  }
  /** The columns read as they are. */
  plain(): Set<string> {
    return new Set(this.columns.filter((_, index) => !this.needed[index]));
  }
}

/**
 * The statement_lines load file as ~1 MB pieces of bytes: the same text as the table's csvTable
 * renders from the rows [statementLineId, text(file), format, id(statementId), …] (every cell a
 * text cell through textCell), cell by cell (CsvBytes), with no string per record nor array per
 * row (REC-PERF-1: a million lines); the rows are read field by field (StatementRows), no line
 * object built. A file name's cell is worked out once per run of lines from the same file.
 */
function* statementLineBytes(run: Pick<RunForAnalytics, 'statementLines' | 'fileOf'>, d: Decoding): Generator<Uint8Array> {
  const out = new CsvBytes();
  const n = d.needed;
  const rows = run.statementLines;
  out.raw(STATEMENT_LINES_HEADER);
  let lastName: string | undefined;
  let file = '';
  for (let row = 0; row < rows.length; row += 1) {
    const lineId = rows.statementLineId(row);
    const name = run.fileOf(lineId);
    if (name !== lastName) {
      lastName = name;
      file = cell(text(name));
      if (file.charCodeAt(0) === 0x27 || (file.charCodeAt(0) === 0x22 && file.charCodeAt(1) === 0x27)) n[1] = true;
    }
    if (out.text(lineId)) n[0] = true;
    out.char(COMMA);
    out.raw(file);
    out.char(COMMA);
    if (out.text(rows.format(row))) n[2] = true;
    out.char(COMMA);
    if (out.guarded(rows.statementId(row), idCell)) n[3] = true;
    out.char(COMMA);
    if (out.guarded(rows.accountId(row), idCell)) n[4] = true;
    out.char(COMMA);
    if (out.text(rows.currency(row))) n[5] = true;
    out.char(COMMA);
    if (out.text(rows.amount(row))) n[6] = true;
    out.char(COMMA);
    if (out.text(rows.bookingDate(row))) n[7] = true;
    out.char(COMMA);
    if (out.text(rows.valueDate(row))) n[8] = true;
    out.char(COMMA);
    if (out.guarded(rows.endToEndId(row), idCell)) n[9] = true;
    out.char(COMMA);
    if (out.guarded(rows.bankReference(row), idCell)) n[10] = true;
    out.char(COMMA);
    if (out.guarded(rows.customerReference(row), idCell)) n[11] = true;
    out.char(COMMA);
    if (out.guarded(rows.remittanceInformation(row), textOnlyCell)) n[12] = true;
    out.char(COMMA);
    if (out.guarded(rows.counterparty(row), textOnlyCell)) n[13] = true;
    out.char(COMMA);
    if (out.guarded(rows.typeCode(row), idCell)) n[14] = true;
    out.char(COMMA);
    if (out.guarded(rows.status(row), idCell)) n[15] = true;
    out.char(COMMA);
    const batchItemCount = rows.batchItemCount(row);
    if (batchItemCount !== undefined && out.text(String(batchItemCount))) n[16] = true;
    out.char(NEWLINE);
    if (out.full) yield out.take();
  }
  yield out.take();
}

/** The ledger_entries load file as ~1 MB pieces of bytes (the same text as the table's csvTable renders; cell by cell, as statementLineBytes). */
function* ledgerEntryBytes(entries: LedgerRows, d: Decoding): Generator<Uint8Array> {
  const out = new CsvBytes();
  const n = d.needed;
  out.raw(LEDGER_ENTRIES_HEADER);
  for (let e = 0; e < entries.length; e += 1) {
    if (out.guarded(entries.entryId(e), idCell)) n[0] = true;
    out.char(COMMA);
    if (out.guarded(entries.accountId(e), idCell)) n[1] = true;
    out.char(COMMA);
    if (out.text(entries.currency(e))) n[2] = true;
    out.char(COMMA);
    if (out.text(entries.amount(e))) n[3] = true;
    out.char(COMMA);
    if (out.text(entries.bookingDate(e))) n[4] = true;
    out.char(COMMA);
    if (out.text(entries.valueDate(e))) n[5] = true;
    out.char(COMMA);
    if (out.guarded(entries.reference(e), idCell)) n[6] = true;
    out.char(COMMA);
    if (out.guarded(entries.description(e), textOnlyCell)) n[7] = true;
    out.char(NEWLINE);
    if (out.full) yield out.take();
  }
  yield out.take();
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
 * The COPY statements of a run, run by DuckDB in the order their load files are ready. Whatever is
 * ready while a copy runs goes next as ONE query of several statements, which DuckDB runs back to
 * back on its own: the next copy never waits for this thread to come back from other work (the
 * registry's stage, REC-PERF-1). The first failure stops the rest.
 */
class CopyQueue {
  private ready: string[] = [];
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly connection: Promise<DuckDBConnection>) {}

  /** Runs `statements` (in order, after those added before), in one batch if DuckDB is free. */
  add(...statements: string[]): void {
    this.ready.push(...statements);
    this.next();
  }

  private next(): void {
    if (this.running || this.failure || this.ready.length === 0) return;
    const batch = this.ready.join(';\n');
    this.ready = [];
    this.running = this.connection
      .then((connection) => connection.run(batch))
      .then(
        () => {
          this.running = undefined;
          this.next();
        },
        (error: unknown) => {
          this.failure ??= { error };
          this.running = undefined;
        },
      );
  }

  /** Every statement added so far run; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure.error;
  }
}

/** Writes a run's Parquet files into its parquet directory (runParquetWriter). */
export interface RunParquetWriter {
  /**
   * A results file the run wrote itself (matches.csv, exceptions.csv) as that table's load file: its
   * copy starts as soon as DuckDB is free. `decoded`: the columns (in the file's order) that hold a
   * cell written with a leading apostrophe (matchesCsvBytes / exceptionsCsvBytes note them); the
   * others are read as they are. Without it every column is decoded.
   */
  resultFile(table: 'matches' | 'exceptions', path: string, decoded?: readonly boolean[]): void;
  /**
   * Renders the load files of the tables a run's inputs fill (INPUT_TABLES: its ledger entries and
   * statement lines), each copied as soon as it is written, before the run has a result
   * (REC-PERF-1: their copies run beside the matching). Resolves once this thread's part is done.
   */
  writeInputs(run: RunInputsForAnalytics): Promise<void>;
  /**
   * Renders the load files of `tables` (default: every table) in that order, but for those written
   * already or given as results files; each is copied as soon as it is written. Resolves once this
   * thread's part is done.
   */
  write(run: RunForAnalytics, tables?: readonly Table[]): Promise<void>;
  /** Every copy done, DuckDB closed, the load files the run does not keep removed; throws the first failure. Call once, after write (or instead of it, to stop). */
  finish(): Promise<void>;
}

/**
 * The order the load files are written in (REC-PERF-1): this thread renders them one after the
 * other, DuckDB copies them one after the other, so the two finish soonest in Johnson's order for
 * two machines — first the files quicker to render than to copy, quickest to render first (ledger
 * entries, statement lines: DuckDB starts early and has the most to do), then the others, longest
 * to copy first (matches, then exceptions: what is left to copy at the end is small). Measured at
 * 1M × 1M: render / copy ≈ 0.8 / 1.0 s (ledger entries), 1.4 / 2.5 (statement lines), 2.2 / 1.6
 * (matches), 0.9 / 0.1 (exceptions, with the lookup of the unmatched entries).
 */
export const WRITE_ORDER: readonly Table[] = ['runs', 'ledger_entries', 'statement_lines', 'matches', 'exceptions'];

/** The tables a run's inputs fill, known before it matches (writeInputs), in WRITE_ORDER. */
export const INPUT_TABLES = ['ledger_entries', 'statement_lines'] as const;

/** What the input tables' load files are rendered from. */
export type RunInputsForAnalytics = Pick<RunForAnalytics, 'statementLines' | 'fileOf' | 'ledgerEntries'>;

/** The runs table's one row, as a SELECT of literals. */
function runsSelect(runId: string, run: RunForAnalytics): string {
  const s = run.summary;
  const row: string[] = [
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
  return `SELECT ${SCHEMA.runs.map(([name, type], i) => `${literal(row[i]!, type)} AS ${name}`).join(', ')}`;
}

/** A table's load file (every table but runs), its columns that need decoding noted in `columns`. */
function loadFileBytes(table: Exclude<Table, 'runs'>, run: RunForAnalytics, columns: Decoding): Iterable<Uint8Array> {
  switch (table) {
    case 'matches':
      return matchesCsvBytes(run.result, run.lookups, columns.needed);
    case 'exceptions':
      return exceptionsCsvBytes(run.result, run.lookups, columns.needed);
    case 'statement_lines':
    case 'ledger_entries':
      return inputLoadFileBytes(table, run, columns);
  }
}

function inputLoadFileBytes(table: (typeof INPUT_TABLES)[number], run: RunInputsForAnalytics, columns: Decoding): Iterable<Uint8Array> {
  return table === 'statement_lines' ? statementLineBytes(run, columns) : ledgerEntryBytes(run.ledgerEntries, columns);
}

/**
 * A run's Parquet writer (one file per table, `COPY (…) TO … (FORMAT PARQUET)`): DuckDB starts at
 * once and converts each load file while this thread renders the next one and then goes on with
 * the run (REC-PERF-1), in WRITE_ORDER. One DuckDB thread, one copy at a time: the machine's second core is DuckDB's; more
 * threads or copies side by side only add CSV buffers and Parquet row groups in flight (memory)
 * and contention (CPU).
 */
export function runParquetWriter(runId: string, parquetDir: string): RunParquetWriter {
  mkdirSync(parquetDir, { recursive: true });
  const instance = DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = instance.then((created) => created.connect());
  // Awaited by the queue and by finish(); meanwhile a failure is never unhandled.
  connection.catch(() => undefined);
  const queue = new CopyQueue(connection);
  const scratch: string[] = [];
  const copyStatement = (table: Table, select: string): string => `COPY (${select}) TO ${sqlString(parquetFile(parquetDir, table))} (FORMAT PARQUET, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_ROWS})`;
  const copy = (table: Table, select: string): void => queue.add(copyStatement(table, select));
  const given = new Set<Table>();
  // A table's load file (its writes go to libuv's pool while the next rows are rendered), and the
  // COPY of it; undefined for a table written already.
  const loadFile = async (table: Exclude<Table, 'runs'>, bytes: (columns: Decoding) => Iterable<Uint8Array>): Promise<string | undefined> => {
    if (given.has(table)) return undefined;
    given.add(table);
    const columns = new Decoding(loadColumns(table));
    const path = join(parquetDir, `${table}.load.csv`);
    scratch.push(path);
    await writeChunksAsync(path, bytes(columns));
    return copyStatement(table, fromLoadFile(table, runId, path, columns.plain()));
  };
  return {
    resultFile(table, path, decoded) {
      given.add(table);
      copy(table, fromLoadFile(table, runId, path, decoded ? new Decoding(loadColumns(table), decoded).plain() : new Set()));
    },
    async writeInputs(run) {
      // Both copies queued as one batch once both files are written: DuckDB goes from one to the
      // next on its own thread, even while this thread is busy matching (the queue moves on only
      // when this thread is free to take a finished copy's turn).
      const copies: string[] = [];
      for (const table of INPUT_TABLES) {
        const statement = await loadFile(table, (columns) => inputLoadFileBytes(table, run, columns));
        if (statement !== undefined) copies.push(statement);
      }
      queue.add(...copies);
    },
    async write(run, tables = WRITE_ORDER) {
      for (const table of tables) {
        if (table === 'runs') {
          if (given.has(table)) continue;
          given.add(table);
          copy('runs', runsSelect(runId, run));
          continue;
        }
        const statement = await loadFile(table, (columns) => loadFileBytes(table, run, columns));
        if (statement !== undefined) queue.add(statement);
      }
    },
    async finish() {
      try {
        await queue.drain();
      } finally {
        const opened = await connection.catch(() => undefined);
        opened?.closeSync();
        (await instance.catch(() => undefined))?.closeSync();
        for (const path of scratch) rmSync(path, { force: true });
      }
    },
  };
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
 * The run's listing in the store, once its Parquet files are written: commit() lists the run in the
 * store's views with the other committed runs — call it once the registry committed the run;
 * rollback() leaves the store as it is. `committed` is the registry's runs; `onSync` hears of
 * other runs the commit removed from or restored to the views.
 */
export function analyticsLoad(out: string, runId: string, committed: CommittedRuns, onSync?: (sync: StoreSync) => void): AnalyticsLoad {
  let ended = false;
  return {
    commit: async () => {
      if (ended) return;
      ended = true;
      const withRun: CommittedRuns = { runIds: new Set([...committed.runIds, runId]), runDir: (id) => committed.runDir(id) };
      const sync = await withStore(out, (connection) => listRuns(connection, withRun, new Set([runId])));
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
