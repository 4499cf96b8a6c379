/**
 * The audit store's schema (AUDIT-1) as shipped: versioned migrations
 * `db/audit/migrations/NNNN_<name>.sql`, read from the checkout, and applied on a node-postgres
 * connection by THE runner (src/use-cases/migrate-audit-store), the one the deploy step runs on
 * the RDS Data API.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClientBase } from './connect';
import { postgresTransactions } from './sql-transactions';
import { AuditMigrationError, runAuditMigrations, type AuditMigration } from '../../use-cases/migrate-audit-store/migrate-audit-store';

export { AuditMigrationError, type AuditMigration };

/**
 * The migrations shipped with the code: `db/audit/migrations` of the checkout, found upward from
 * this module (src/adapters/postgres/ in the sources, dist/cli/ in the prebuilt command).
 */
export const AUDIT_MIGRATIONS_DIR = findMigrationsDir(__dirname);

function findMigrationsDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'db', 'audit', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return join(from, '..', '..', '..', 'db', 'audit', 'migrations');
  }
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The migrations in `dir`, in version order; a misnamed file or a repeated version is an error naming it. */
export function readAuditMigrations(dir = AUDIT_MIGRATIONS_DIR): AuditMigration[] {
  if (!existsSync(dir)) throw new AuditMigrationError(`audit migrations directory ${dir} does not exist`);
  const migrations: AuditMigration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = MIGRATION_FILE.exec(file);
    if (!match) throw new AuditMigrationError(`${join(dir, file)}: a migration is named NNNN_<lower_case_name>.sql`);
    const sql = readFileSync(join(dir, file), 'utf8');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new AuditMigrationError(`${join(dir, file)}: version ${match[1]} is used twice`);
    migrations.push({ version, name: match[2]!, file: join(dir, file), sql, sha256: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

/** Applies the migrations not applied yet on this connection; returns the files it applied. */
export async function migrateAuditStore(client: ClientBase, migrations: readonly AuditMigration[] = readAuditMigrations()): Promise<string[]> {
  return runAuditMigrations(postgresTransactions(client), migrations);
}
