/**
 * THE audit store's migration runner (AUDIT-1), over the SQL-transactions port: `ledgerline audit
 * migrate` and `ledgerline serve` run it on node-postgres, the deploy step (scripts/audit-migrate.ts)
 * on the RDS Data API. Versioned migrations `NNNN_<name>.sql` are applied in version order, each
 * once, statement by statement, all pending ones in ONE transaction under a transaction-scoped
 * advisory lock: two runners at once apply each migration once, and a failing statement leaves
 * nothing applied (the error names the file, the statement and its line). Each applied migration's
 * SHA-256 is kept: a migration edited after it was applied is refused, naming the file, and so is a
 * new migration older than one already applied (the order would differ from a fresh database's).
 */
import type { SqlTransactions } from '../../ports/sql-transactions';
import { splitSqlStatements, SqlScriptError } from './sql-statements';

export interface AuditMigration {
  version: number;
  name: string;
  /** Where it came from (a path), for messages. */
  file: string;
  sql: string;
  sha256: string;
}

export class AuditMigrationError extends Error {
  override name = 'AuditMigrationError';
}

/** pg_advisory_xact_lock key of the audit migrations (an arbitrary constant). */
export const AUDIT_MIGRATION_LOCK = 7_104_202_611;

/** The migrations table (created by the runner, before any migration). */
const LEDGER_TABLE = `CREATE TABLE IF NOT EXISTS audit_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  sha256 char(64) NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Applies the migrations not applied yet; resolves to the files it applied, in order. */
export async function runAuditMigrations(db: SqlTransactions, migrations: readonly AuditMigration[]): Promise<string[]> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((migration, i) => {
    if (i > 0 && ordered[i - 1]!.version === migration.version) throw new AuditMigrationError(`${migration.file}: version ${migration.version} is used twice`);
  });
  // Every file is cut into statements before anything touches the database.
  const planned = ordered.map((migration) => {
    try {
      return { migration, statements: splitSqlStatements(migration.sql, migration.file) };
    } catch (error) {
      if (error instanceof SqlScriptError) throw new AuditMigrationError(error.message);
      throw error;
    }
  });
  return db.inTransaction(async (tx) => {
    // The lock is the transaction's: released by its commit or rollback, whatever happens to the runner.
    await tx.execute('SELECT count(*) AS locked FROM (SELECT pg_advisory_xact_lock(CAST($1 AS bigint))) AS lock', [AUDIT_MIGRATION_LOCK]);
    await tx.execute(LEDGER_TABLE);
    const done = new Map((await tx.execute('SELECT version, sha256 FROM audit_migrations')).map((row) => [Number(row.version), String(row.sha256)]));
    const newestApplied = Math.max(0, ...done.keys());
    const applied: string[] = [];
    for (const { migration, statements } of planned) {
      const sha = done.get(migration.version);
      if (sha !== undefined) {
        if (sha !== migration.sha256) throw new AuditMigrationError(`${migration.file}: changed after it was applied (applied sha256 ${sha}, file ${migration.sha256}); add a new migration instead`);
        continue;
      }
      if (migration.version < newestApplied) {
        throw new AuditMigrationError(`${migration.file}: version ${migration.version} is older than version ${newestApplied}, already applied; number a new migration after it`);
      }
      for (const [i, statement] of statements.entries()) {
        try {
          await tx.execute(statement.text);
        } catch (error) {
          throw new AuditMigrationError(`${migration.file}: statement ${i + 1} of ${statements.length} (line ${statement.line}) failed on ${db.label}: ${(error as Error).message}`);
        }
      }
      await tx.execute('INSERT INTO audit_migrations (version, name, sha256) VALUES ($1, $2, $3)', [migration.version, migration.name, migration.sha256]);
      applied.push(migration.file);
    }
    return applied;
  });
}
