/**
 * Versioned Redshift migrations (REC-2): redshift/migrations/NNNN_<name>.sql, applied in version
 * order, each once, each in ONE transaction together with its row in the ledger table
 * public.schema_migrations (version, name, sha256 of the file, applied_at). The same code drives
 * Redshift (Data API BatchExecuteStatement) and the PostgreSQL stand-in (pg), through SqlExecutor.
 *
 *   - A migration already recorded is skipped; its file must still hash to the recorded checksum
 *     (an edited applied migration is an error naming it: add a new migration instead).
 *   - A recorded migration whose file is gone, or a pending one older than the newest recorded
 *     one, is an error: the history would no longer be the one the database went through.
 *   - Each migration's transaction takes the ledger's lock first and re-checks that its version is
 *     still unrecorded (a concurrent deploy that got there first makes it fail, naming it), so two
 *     deploys never apply one migration twice.
 *
 * Migration SQL is Redshift SQL restricted to what PostgreSQL also accepts, Redshift-only clauses
 * limited to the substitutions of redshift/dialect.ts (checked when the files are loaded).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { redshiftCompatibilityFaults, toPostgres } from './dialect';
import { lineAndColumn, splitStatements } from './sql';

export const MIGRATIONS_DIR = resolve(__dirname, 'migrations');
export const LEDGER_TABLE = 'public.schema_migrations';
/** The Data API's BatchExecuteStatement takes at most 40 SQL statements. */
export const MAX_BATCH_STATEMENTS = 40;
/** Statements the runner adds around a migration's own: LOCK, the re-check, the ledger INSERT. */
const FRAME = 3;

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** A failed statement of a batch (one transaction, rolled back). */
export class BatchError extends Error {
  override name = 'BatchError';
  constructor(
    /** 0-based index of the failing statement in the batch, when the engine says which. */
    readonly index: number | undefined,
    /** The engine's error message. */
    readonly reason: string,
  ) {
    super(index === undefined ? reason : `statement ${index + 1}: ${reason}`);
  }
}

/** Where the migrations run: Redshift (Data API) or PostgreSQL (pg). Values come back as text. */
export interface SqlExecutor {
  /** For messages, e.g. "Redshift workgroup ledgerline-dev, database ledgerline". */
  readonly target: string;
  /** One statement outside a transaction block; its rows with every value as text (or null). */
  query(sql: string): Promise<Record<string, string | null>[]>;
  /** The statements as ONE transaction: all or nothing. A failure throws BatchError. */
  batch(sqls: readonly string[], label: string): Promise<void>;
  close(): Promise<void>;
}

export interface Migration {
  version: number;
  /** File name without .sql, e.g. 0001_reconciliation_tables. */
  name: string;
  file: string;
  /** sha256 (hex) of the file with CRLF line ends read as LF. */
  checksum: string;
  /** The migration's statements, in order, without their semicolons. */
  statements: string[];
  /** 1-based line of each statement in the file (for error messages). */
  lines: number[];
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: string;
}

/** sha256 of a migration's text; CRLF counts as LF, so a Windows checkout is not a tampered file. */
export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/** Reads, orders and checks the migration files of `dir` (default redshift/migrations). */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  if (!existsSync(dir)) throw new MigrationError(`migrations directory ${dir} does not exist`);
  const migrations: Migration[] = [];
  for (const fileName of readdirSync(dir).sort()) {
    if (!fileName.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(fileName);
    if (!match) throw new MigrationError(`migration file ${join(dir, fileName)}: the name must be NNNN_<lower_case_name>.sql`);
    const file = join(dir, fileName);
    const text = readFileSync(file, 'utf8');
    const version = Number(match[1]);
    if (version === 0) throw new MigrationError(`migration file ${file}: versions start at 0001`);
    const twin = migrations.find((m) => m.version === version);
    if (twin) throw new MigrationError(`migration files ${twin.file} and ${file} have the same version ${match[1]}`);
    const parsed = splitStatements(text, file);
    if (parsed.length === 0) throw new MigrationError(`migration file ${file} has no SQL statement`);
    if (parsed.length > MAX_BATCH_STATEMENTS - FRAME)
      throw new MigrationError(`migration file ${file} has ${parsed.length} statements; one Data API batch takes ${MAX_BATCH_STATEMENTS - FRAME} besides the runner's ${FRAME}: split it`);
    for (const statement of parsed) {
      const where = `migration ${fileName} ${lineAndColumn(text, statement.offset)}`;
      const faults = redshiftCompatibilityFaults(statement.text, where);
      if (faults.length > 0) throw new MigrationError(`${where}: not portable between Redshift and PostgreSQL: ${faults.join('; ')}`);
      toPostgres(statement.text, where); // every Redshift-only clause has a documented substitution
    }
    migrations.push({
      version,
      name: fileName.slice(0, -'.sql'.length),
      file,
      checksum: checksumOf(text),
      statements: parsed.map((statement) => statement.text),
      lines: parsed.map((statement) => Number(/^line (\d+)/.exec(lineAndColumn(text, statement.offset))![1])),
    });
  }
  return migrations;
}

/** The ledger table (created by the runner before anything else; Redshift and PostgreSQL alike). */
export const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
  version INTEGER NOT NULL,
  name VARCHAR(128) NOT NULL,
  checksum VARCHAR(64) NOT NULL,
  applied_at TIMESTAMP NOT NULL
)`;

/** The recorded migrations, or undefined when the ledger table does not exist yet. */
export async function readLedger(executor: SqlExecutor): Promise<AppliedMigration[] | undefined> {
  const exists = await executor.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'schema_migrations'");
  if (Number(exists[0]?.n ?? 0) === 0) return undefined;
  const rows = await executor.query(`SELECT version, name, checksum, applied_at FROM ${LEDGER_TABLE} ORDER BY version`);
  return rows.map((row) => ({ version: Number(row.version), name: String(row.name), checksum: String(row.checksum), appliedAt: String(row.applied_at) }));
}

export interface Plan {
  applied: Migration[];
  pending: Migration[];
}

/**
 * Compares the files with the ledger: which are applied (unchanged) and which are pending. A
 * changed applied migration, a recorded one without its file, a renamed one, or a pending one older
 * than the newest applied one is a MigrationError naming it.
 */
export function planMigrations(migrations: readonly Migration[], ledger: readonly AppliedMigration[]): Plan {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const recorded = new Set<number>();
  const problems: string[] = [];
  for (const row of ledger) {
    recorded.add(row.version);
    const migration = byVersion.get(row.version);
    if (!migration) {
      problems.push(`migration ${row.name} (version ${row.version}) is recorded as applied on ${row.appliedAt} but its file is missing from redshift/migrations`);
    } else if (migration.name !== row.name) {
      problems.push(`migration ${migration.name}.sql has version ${row.version}, which is recorded as applied under the name ${row.name}: a renamed migration`);
    } else if (migration.checksum !== row.checksum) {
      problems.push(
        `migration ${migration.name}.sql was changed after it was applied on ${row.appliedAt} (recorded sha256 ${row.checksum}, file sha256 ${migration.checksum}): restore it and add a new migration instead`,
      );
    }
  }
  const newest = Math.max(0, ...recorded);
  const pending = migrations.filter((m) => !recorded.has(m.version));
  for (const migration of pending) {
    if (migration.version < newest) problems.push(`migration ${migration.name}.sql is pending but a newer migration (version ${newest}) is already applied: give it a version after ${newest}`);
  }
  if (problems.length > 0) throw new MigrationError(problems.join('\n'));
  return { applied: migrations.filter((m) => recorded.has(m.version)), pending };
}

const sqlText = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** "YYYY-MM-DD HH:MM:SS" (UTC): a TIMESTAMP literal both engines read the same way. */
function timestamp(at: Date): string {
  return at.toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * One migration as one transaction: lock the ledger, re-check the version is unrecorded (fails with
 * "invalid input syntax for type integer" / "Invalid digit" when a concurrent deploy recorded it), the
 * migration's statements, record it.
 */
export function migrationBatch(migration: Migration, appliedAt: Date): string[] {
  return [
    `LOCK TABLE ${LEDGER_TABLE}`,
    `SELECT CAST(CASE WHEN COUNT(*) = 0 THEN '0' ELSE ${sqlText(`migration ${migration.name} is already applied`)} END AS INTEGER) FROM ${LEDGER_TABLE} WHERE version = ${migration.version}`,
    ...migration.statements,
    `INSERT INTO ${LEDGER_TABLE} (version, name, checksum, applied_at) VALUES (${migration.version}, ${sqlText(migration.name)}, ${sqlText(migration.checksum)}, ${sqlText(timestamp(appliedAt))})`,
  ];
}

/** Explains a failed migration batch: which statement (file line), and the engine's error. */
function describeFailure(migration: Migration, error: unknown, target: string): MigrationError {
  if (!(error instanceof BatchError)) return new MigrationError(`migration ${migration.name}.sql on ${target} failed: ${error instanceof Error ? error.message : String(error)}`);
  const { index, reason } = error;
  const last = migration.statements.length + 2;
  let what: string;
  if (index === undefined) what = 'failed';
  else if (index === 0) what = `could not lock ${LEDGER_TABLE}`;
  else if (index === 1) what = 'was applied by another deploy while this one ran (its ledger row appeared)';
  else if (index === last) what = `could not be recorded in ${LEDGER_TABLE}`;
  else what = `failed at its statement ${index - 1} (line ${migration.lines[index - 2]})`;
  return new MigrationError(`migration ${migration.name}.sql ${what} on ${target}; nothing of it was applied. Error: ${reason}`);
}

export interface MigrateOptions {
  dir?: string;
  /** List what is pending; change nothing (not even the ledger table). */
  dryRun?: boolean;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface MigrateOutcome {
  /** Applied before this call (and unchanged). */
  alreadyApplied: string[];
  /** Applied by this call (dry run: none). */
  applied: string[];
  /** Pending after this call (dry run: what would be applied). */
  pending: string[];
}

/** Applies the pending migrations in order (each in its own transaction with its ledger row). */
export async function migrate(executor: SqlExecutor, options: MigrateOptions = {}): Promise<MigrateOutcome> {
  const migrations = loadMigrations(options.dir);
  const log = options.log ?? (() => undefined);
  let ledger = await readLedger(executor);
  if (ledger === undefined && !options.dryRun) {
    await executor.query(LEDGER_DDL);
    ledger = [];
  }
  const plan = planMigrations(migrations, ledger ?? []);
  const alreadyApplied = plan.applied.map((m) => m.name);
  if (options.dryRun) {
    for (const m of plan.pending) log(`pending ${m.name} (${m.statements.length} statement${m.statements.length === 1 ? '' : 's'}, sha256 ${m.checksum})`);
    if (plan.pending.length === 0) log(`nothing pending on ${executor.target} (${alreadyApplied.length} applied)`);
    return { alreadyApplied, applied: [], pending: plan.pending.map((m) => m.name) };
  }
  const applied: string[] = [];
  for (const migration of plan.pending) {
    try {
      await executor.batch(migrationBatch(migration, options.now?.() ?? new Date()), migration.name);
    } catch (error) {
      throw describeFailure(migration, error, executor.target);
    }
    applied.push(migration.name);
    log(`applied ${migration.name} on ${executor.target}`);
  }
  if (applied.length === 0) log(`nothing pending on ${executor.target} (${alreadyApplied.length} applied)`);
  return { alreadyApplied, applied, pending: [] };
}
