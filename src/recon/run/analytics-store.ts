/**
 * The embedded analytical store: DuckDB at <out>/recon.duckdb (tables runs, statement_lines,
 * ledger_entries, matches, exceptions; every row carries its run_id), plus Parquet copies of the
 * run's rows written with DuckDB `COPY ... TO ... (FORMAT PARQUET)`.
 *
 * The run's rows are bulk-loaded inside one transaction: each table's rows are written once to a
 * CSV load file in the staging directory (through the one formula-safe writer, REC-OUT-1; decoded
 * back exactly on the way in), read by DuckDB's own parallel CSV reader with `INSERT … SELECT …
 * FROM read_csv(…)`, and the file is removed: no per-row call into the engine (REC-PERF-1). Text
 * values are cast by DuckDB to the column types: amounts DECIMAL(38,6) from their decimal strings,
 * never floats. The one-row `runs` table goes through the appender. The run's rows are deleted
 * first, so re-loading a run id never duplicates; the Parquet copies are written from the same
 * transaction.
 *
 * It moves with the atomic commit (REC-OUT-3): the load's transaction stays open while the run
 * is committed and is committed only after the registry (the record of committed runs), so an
 * interrupted run — a failure, SIGINT or kill -9 at any step — leaves no rows behind. Opening the
 * store for a load first brings it in line with the registry: rows of a run the registry does not
 * hold are deleted (left by an older version, or another registry), and a committed run the store
 * lacks (a crash between the two commits) is loaded again from its Parquet copies.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { redactPans } from '../../domain/pan';
import type { LedgerEntry, MatchResult, StatementLine } from '../types';
import { csvTable } from './csv-writer';
import { exceptionRows, type Lookups, matchRows, type RunSummary } from './results';

export const DUCKDB_FILE = 'recon.duckdb';
export const ANALYTICS_TABLES = ['runs', 'statement_lines', 'ledger_entries', 'matches', 'exceptions'] as const;

const SCHEMA: Record<(typeof ANALYTICS_TABLES)[number], [name: string, type: string][]> = {
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
}

export interface AnalyticsLoad {
  /** Commits the run's rows (call after the registry committed the run). Closes. */
  commit(): Promise<void>;
  /** Rolls the run's rows back (the run did not commit); a store file this run created is removed. Closes. Safe after commit. */
  rollback(): Promise<void>;
}

/** The committed runs the store must hold: the registry's, each with its directory under <out>/runs (for a reload). */
export interface CommittedRuns {
  runIds: ReadonlySet<string>;
  /** The run's directory (its `parquet/` copies), if this --out holds it. */
  runDir(runId: string): string | undefined;
}

export interface StoreSync {
  /** Runs whose rows were deleted: the registry does not hold them. */
  removed: string[];
  /** Committed runs loaded again from their Parquet copies. */
  restored: string[];
}

function removeStore(path: string): void {
  for (const suffix of ['', '.wal']) rmSync(`${path}${suffix}`, { force: true });
}

/** PCI-3 at the store too (the readers mask already): identifiers under identifier evidence, free text under free-text evidence. */
const id = (value: string | undefined): Cell => (value === undefined || value === '' ? null : redactPans(value, 'identifier'));
const text = (value: string | undefined): Cell => (value === undefined || value === '' ? null : redactPans(value));

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

async function createTables(connection: DuckDBConnection): Promise<void> {
  for (const table of ANALYTICS_TABLES) {
    await connection.run(`CREATE TABLE IF NOT EXISTS ${table} (${SCHEMA[table].map(([name, type]) => `${name} ${type}`).join(', ')})`);
  }
}

async function append(connection: DuckDBConnection, table: string, rows: Iterable<Cell[]>): Promise<void> {
  const appender = await connection.createAppender(table);
  try {
    for (const row of rows) {
      for (const cell of row) {
        if (cell === null || cell === undefined) appender.appendNull();
        else appender.appendVarchar(cell);
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** Bytes gathered before one write of a load file. */
const LOAD_CHUNK = 1 << 20;

/**
 * Writes a table's rows (every column but run_id) to a CSV load file through the one CSV writer
 * (REC-OUT-1: text cells formula-neutralised, reversibly), in ~1 MB writes. Returns the row count.
 */
function writeLoadFile(path: string, columns: readonly string[], rows: Iterable<Cell[]>): number {
  const table = csvTable(columns);
  const fd = openSync(path, 'w');
  let count = 0;
  try {
    let buffer = table.header();
    for (const row of rows) {
      buffer += table.row(row);
      count += 1;
      if (buffer.length >= LOAD_CHUNK) {
        writeSync(fd, buffer);
        buffer = '';
      }
    }
    if (buffer.length > 0) writeSync(fd, buffer);
  } finally {
    closeSync(fd);
  }
  return count;
}

/** SQL of one load-file column back to the stored value: '' is NULL, one leading apostrophe (the writer's neutralisation) dropped, cast to the column type. */
function decodedColumn(name: string, type: string): string {
  const text = `CASE WHEN starts_with(${name}, '''') THEN substr(${name}, 2) ELSE nullif(${name}, '') END`;
  if (type === 'VARCHAR') return text;
  // Text → DECIMAL(38,6) is DuckDB's slow cast (128-bit): through DECIMAL(18,6) whenever the value fits (exactly the
  // same value, same scale), the wide cast only for what does not fit — about 3× faster on a million amounts.
  if (type === 'DECIMAL(38,6)') return `COALESCE(CAST(TRY_CAST(${text} AS DECIMAL(18,6)) AS DECIMAL(38,6)), CAST(${text} AS DECIMAL(38,6)))`;
  return `CAST(${text} AS ${type})`;
}

/**
 * Bulk-loads a table's rows of the run through DuckDB's own CSV reader (parallel, no per-row
 * call into the engine): the rows are written once to `<dir>/<table>.load.csv`, inserted with
 * `INSERT … SELECT … FROM read_csv(…)` in the open transaction, and the file is removed.
 */
async function bulkLoad(connection: DuckDBConnection, table: (typeof ANALYTICS_TABLES)[number], runId: string, dir: string, rows: Iterable<Cell[]>): Promise<void> {
  const columns = SCHEMA[table].filter(([name]) => name !== 'run_id');
  const path = join(dir, `${table}.load.csv`);
  try {
    const count = writeLoadFile(
      path,
      columns.map(([name]) => name),
      rows,
    );
    if (count === 0) return;
    const types = `{${columns.map(([name]) => `${sqlString(name)}: 'VARCHAR'`).join(', ')}}`;
    const select = SCHEMA[table].map(([name, type]) => (name === 'run_id' ? sqlString(runId) : decodedColumn(name, type))).join(', ');
    await connection.run(
      `INSERT INTO ${table} SELECT ${select} FROM read_csv(${sqlString(path)}, header = true, auto_detect = false, columns = ${types}, delim = ',', quote = '"', escape = '"', new_line = '\\n', strict_mode = true)`,
    );
  } finally {
    rmSync(path, { force: true });
  }
}

async function storeRunIds(connection: DuckDBConnection): Promise<string[]> {
  // A run's rows are loaded in one transaction, so its `runs` row says whether it is there.
  const reader = await connection.runAndReadAll('SELECT DISTINCT run_id FROM runs');
  return (reader.getRowObjectsJson() as { run_id: string }[]).map((row) => row.run_id).sort();
}

/** Brings the store in line with the committed runs (one transaction): deletes the rows of other runs, reloads missing committed ones from Parquet. */
async function syncStore(connection: DuckDBConnection, committed: CommittedRuns): Promise<StoreSync> {
  const present = await storeRunIds(connection);
  const removed = present.filter((runId) => !committed.runIds.has(runId));
  const restored: string[] = [];
  const missing = [...committed.runIds].filter((runId) => !present.includes(runId));
  const reloadable = missing.flatMap((runId) => {
    const dir = committed.runDir(runId);
    if (!dir) return [];
    const parquet = join(dir, 'parquet');
    const files = existsSync(parquet) ? readdirSync(parquet) : [];
    return ANALYTICS_TABLES.every((table) => files.includes(`${table}.parquet`)) ? [{ runId, parquet }] : [];
  });
  if (removed.length === 0 && reloadable.length === 0) return { removed, restored };
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const runId of removed) for (const table of ANALYTICS_TABLES) await connection.run(`DELETE FROM ${table} WHERE run_id = ${sqlString(runId)}`);
    for (const { runId, parquet } of reloadable) {
      for (const table of ANALYTICS_TABLES) {
        await connection.run(`DELETE FROM ${table} WHERE run_id = ${sqlString(runId)}`);
        await connection.run(`INSERT INTO ${table} SELECT * FROM read_parquet(${sqlString(join(parquet, `${table}.parquet`))}) WHERE run_id = ${sqlString(runId)}`);
      }
      restored.push(runId);
    }
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { removed, restored };
}

/**
 * Loads the run inside a transaction that stays open: commit() it once the registry committed
 * the run, rollback() otherwise. Before the load the store is brought in line with `committed`.
 */
export async function loadRun(out: string, run: RunForAnalytics, committed: CommittedRuns, onSync?: (sync: StoreSync) => void): Promise<AnalyticsLoad> {
  const path = join(out, DUCKDB_FILE);
  const created = !existsSync(path);
  mkdirSync(out, { recursive: true });
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    connection.closeSync();
    instance.closeSync();
  };
  const runId = run.runId;
  let open = false;
  try {
    await createTables(connection);
    const sync = await syncStore(connection, committed);
    if (sync.removed.length > 0 || sync.restored.length > 0) onSync?.(sync);
    const s = run.summary;
    mkdirSync(run.parquetDir, { recursive: true });
    await connection.run('BEGIN TRANSACTION');
    open = true;
    for (const table of ANALYTICS_TABLES) await connection.run(`DELETE FROM ${table} WHERE run_id = ${sqlString(runId)}`);
    await append(connection, 'runs', [
      [
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
      ],
    ]);
    await bulkLoad(
      connection,
      'statement_lines',
      runId,
      run.parquetDir,
      (function* () {
        for (const l of run.statementLines) {
          yield [
            l.statementLineId,
            text(run.fileOf(l.statementLineId)),
            l.format,
            id(l.statementId),
            id(l.accountId),
            l.currency,
            l.amount,
            l.bookingDate,
            l.valueDate,
            id(l.endToEndId),
            id(l.bankReference),
            id(l.customerReference),
            text(l.remittanceInformation),
            text(l.counterparty),
            id(l.typeCode),
            id(l.status),
            l.batchItemCount === undefined ? null : String(l.batchItemCount),
          ];
        }
      })(),
    );
    await bulkLoad(
      connection,
      'ledger_entries',
      runId,
      run.parquetDir,
      (function* () {
        for (const e of run.ledgerEntries) yield [id(e.entryId), id(e.accountId), e.currency, e.amount, e.bookingDate, e.valueDate, id(e.reference), text(e.description)];
      })(),
    );
    await bulkLoad(connection, 'matches', runId, run.parquetDir, matchRows(run.result, run.lookups));
    await bulkLoad(connection, 'exceptions', runId, run.parquetDir, exceptionRows(run.result, run.lookups));
    for (const table of ANALYTICS_TABLES) {
      const target = join(run.parquetDir, `${table}.parquet`);
      await connection.run(`COPY (SELECT * FROM ${table} WHERE run_id = ${sqlString(runId)}) TO ${sqlString(target)} (FORMAT PARQUET)`);
    }
  } catch (error) {
    if (open) await connection.run('ROLLBACK').catch(() => undefined);
    close();
    if (created) removeStore(path);
    throw error;
  }
  let ended = false;
  return {
    commit: async () => {
      if (ended) return;
      ended = true;
      try {
        await connection.run('COMMIT');
      } finally {
        close();
      }
    },
    rollback: async () => {
      if (ended) return;
      ended = true;
      try {
        await connection.run('ROLLBACK');
      } finally {
        close();
        if (created) removeStore(path);
      }
    },
  };
}

/**
 * Brings an existing store in line with the committed runs (the registry's) without a new run:
 * what a load does first. Returns what changed; nothing when there is no store.
 */
export async function syncAnalyticsStore(out: string, committed: CommittedRuns): Promise<StoreSync> {
  const path = join(out, DUCKDB_FILE);
  if (!existsSync(path)) return { removed: [], restored: [] };
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await createTables(connection);
    return await syncStore(connection, committed);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Opens the store read-only for queries (tests, tools). */
export async function queryStore<T = Record<string, unknown>>(out: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(join(out, DUCKDB_FILE), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as T[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
