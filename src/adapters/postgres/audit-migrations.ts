/**
 * The audit store's schema (AUDIT-1): versioned migrations `db/audit/migrations/NNNN_<name>.sql`,
 * applied in order, each once, in one transaction under an advisory lock (two migrators at once
 * apply each migration once). Each applied migration's SHA-256 is kept: a migration edited after
 * it was applied is refused, naming the file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClientBase } from './connect';

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
/** pg_advisory_xact_lock key of the audit migrations (an arbitrary constant). */
const MIGRATION_LOCK = 7_104_202_611;

export interface AuditMigration {
  version: number;
  name: string;
  file: string;
  sql: string;
  sha256: string;
}

export class AuditMigrationError extends Error {
  override name = 'AuditMigrationError';
}

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

/** Applies the migrations not applied yet; returns the files it applied. */
export async function migrateAuditStore(client: ClientBase, migrations: readonly AuditMigration[] = readAuditMigrations()): Promise<string[]> {
  const applied: string[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS audit_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      sha256 char(64) NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Map((await client.query<{ version: number; sha256: string }>('SELECT version, sha256 FROM audit_migrations')).rows.map((row) => [Number(row.version), row.sha256]));
    for (const migration of migrations) {
      const sha = done.get(migration.version);
      if (sha !== undefined) {
        if (sha !== migration.sha256) throw new AuditMigrationError(`${migration.file}: changed after it was applied (applied sha256 ${sha}, file ${migration.sha256}); add a new migration instead`);
        continue;
      }
      try {
        await client.query(migration.sql);
      } catch (error) {
        throw new AuditMigrationError(`${migration.file}: ${(error as Error).message}`);
      }
      await client.query('INSERT INTO audit_migrations (version, name, sha256) VALUES ($1, $2, $3)', [migration.version, migration.name, migration.sha256]);
      applied.push(migration.file);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return applied;
}
