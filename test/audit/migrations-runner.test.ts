/**
 * THE audit migration runner (src/use-cases/migrate-audit-store) through BOTH adapters of its port
 * on a real PostgreSQL server (node-postgres locally, the Data API on AWS, here over a stand-in
 * RDSDataClient executing on the same server): applying twice changes nothing; runners at once
 * apply each migration once; a failing migration leaves nothing applied and names the file; the
 * shipped migrations give the same schema statement by statement as the script run whole; applying
 * generated migration sets in any number of deploys gives the schema one deploy gives.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { readAuditMigrations } from '../../src/adapters/postgres/audit-migrations';
import { AuditMigrationError, runAuditMigrations, type AuditMigration } from '../../src/use-cases/migrate-audit-store/migrate-audit-store';
import { describeWithPostgres, useThrowAwayPostgres } from '../support/postgres';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { ADAPTERS, closeDatabases, connect, freshDatabase } from './migrations-adapters';

function migration(version: number, name: string, sql: string): AuditMigration {
  return { version, name, file: `/migrations/${String(version).padStart(4, '0')}_${name}.sql`, sql, sha256: createHash('sha256').update(sql).digest('hex') };
}

/** Everything a migration can change, as comparable rows (the runner's own ledger without its clock). */
async function schemaOf(client: Client, withLedger = true): Promise<unknown> {
  const q = async (sql: string) => (await client.query(sql)).rows;
  return {
    columns: await q("SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2").then((rows) =>
      withLedger ? rows : rows.filter((row) => row.table_name !== 'audit_migrations'),
    ),
    constraints: await q("SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2").then((rows) =>
      withLedger ? rows : rows.filter((row) => row.t !== 'audit_migrations'),
    ),
    indexes: await q("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1").then((rows) =>
      withLedger ? rows : rows.filter((row) => !String(row.indexname).startsWith('audit_migrations')),
    ),
    triggers: await q('SELECT tgrelid::regclass::text AS t, tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2'),
    functions: await q("SELECT proname, pg_get_functiondef(oid) AS def FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1"),
    grants: await q("SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants WHERE table_schema = 'public' AND grantee <> 'postgres' ORDER BY 1, 2, 3"),
    roles: await q("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'ledgerline_%' ORDER BY 1"),
    ledger: withLedger ? await q('SELECT version, name, sha256 FROM audit_migrations ORDER BY version').catch(() => 'absent') : undefined,
  };
}

describeWithPostgres('the audit migration runner', () => {
  const pg = useThrowAwayPostgres();
  const shipped = readAuditMigrations();
  afterEach(closeDatabases);
  const fresh = () => freshDatabase(pg);

  describe.each(ADAPTERS)('through %s', (adapter) => {
    it('applies the shipped migrations once: a second run applies nothing and changes nothing', async () => {
      const { url, admin } = await fresh();
      const { db } = await connect(pg, adapter, url);
      expect(await runAuditMigrations(db, shipped)).toEqual(shipped.map((m) => m.file));
      const after = await schemaOf(admin);
      const appliedAt = (await admin.query('SELECT version, applied_at FROM audit_migrations ORDER BY 1')).rows;
      expect(await runAuditMigrations(db, shipped)).toEqual([]);
      expect(await schemaOf(admin)).toEqual(after);
      expect((await admin.query('SELECT version, applied_at FROM audit_migrations ORDER BY 1')).rows).toEqual(appliedAt);
      expect((await admin.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename)).toEqual([
        'audit_cursors',
        'audit_heads',
        'audit_migrations',
        'audit_rows',
      ]);
    });

    it('the shipped migrations, statement by statement, give the schema of each script run whole', async () => {
      const split = await fresh();
      const whole = await fresh();
      const { db } = await connect(pg, adapter, split.url);
      await runAuditMigrations(db, shipped);
      for (const m of shipped) await whole.admin.query(m.sql); // the simple protocol runs a whole script
      expect(await schemaOf(split.admin, false)).toEqual(await schemaOf(whole.admin, false));
    });

    it('runners at once (2 to 4, each its own connection or Data API client) apply each migration exactly once', async () => {
      const extra = [migration(9001, 'extra_table', 'CREATE TABLE extra_a (id int PRIMARY KEY);\nINSERT INTO extra_a VALUES (1)'), migration(9002, 'extra_row', 'INSERT INTO extra_a VALUES (2)')];
      const all = [...shipped, ...extra];
      for (const runners of [2, 4]) {
        const { url, admin } = await fresh();
        const dbs = await Promise.all(Array.from({ length: runners }, () => connect(pg, adapter, url)));
        const results = await Promise.all(dbs.map(({ db }) => runAuditMigrations(db, all)));
        expect(results.flat().sort()).toEqual(all.map((m) => m.file).sort());
        expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
        expect((await admin.query('SELECT version FROM audit_migrations ORDER BY 1')).rows.map((r) => r.version)).toEqual(all.map((m) => m.version));
        // A migration that is not idempotent by itself (a plain INSERT) ran once.
        expect((await admin.query('SELECT id FROM extra_a ORDER BY 1')).rows.map((r) => r.id)).toEqual([1, 2]);
        await closeDatabases();
      }
    });

    it('a failing statement leaves nothing applied, names the file, the statement and its line; the fixed set then applies', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), async (before, after) => {
          const { url, admin } = await fresh();
          const { db } = await connect(pg, adapter, url);
          const good = (i: number) => `CREATE TABLE t2_${i} (id int)`;
          const statements = [...Array.from({ length: before }, (_, i) => good(i)), 'INSERT INTO missing_table VALUES (1)', ...Array.from({ length: after }, (_, i) => good(before + i))];
          const first = migration(1, 'first', 'CREATE TABLE t1 (id int);\nINSERT INTO t1 VALUES (1)');
          const broken = migration(2, 'broken', statements.join(';\n'));
          const error = await runAuditMigrations(db, [first, broken]).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(AuditMigrationError);
          expect((error as Error).message).toContain(`${broken.file}: statement ${before + 1} of ${statements.length} (line ${before + 1}) failed on ${db.label}:`);
          expect((error as Error).message).toContain('relation "missing_table" does not exist');
          // Nothing at all: not the first migration, not the broken one's earlier statements, not the ledger.
          expect((await admin.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows).toEqual([]);
          const fixed = migration(2, 'broken', statements.filter((s) => !s.includes('missing_table')).join(';\n') || 'SELECT 1');
          expect(await runAuditMigrations(db, [first, fixed])).toEqual([first.file, fixed.file]);
          await closeDatabases();
        }),
        { numRuns: fuzzRuns(4), seed: fuzzSeed(61_209) },
      );
    });

    it('generated migration sets applied over any number of deploys end as one deploy of the whole set', async () => {
      const columnArb = fc.constantFrom('int', 'text', 'boolean', 'bigint', "text NOT NULL DEFAULT 'a;b'", 'jsonb');
      const stepArb = fc.oneof(
        columnArb.map((type) => ({ kind: 'table' as const, type })),
        fc.constantFrom(`-- a comment; with a semicolon\nSELECT 1`, `DO $$ BEGIN PERFORM 1; END; $$`, `COMMENT ON SCHEMA public IS 'it''s; fine'`).map((sql) => ({ kind: 'sql' as const, sql })),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(stepArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
          fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }),
          async (sets, cuts) => {
            let table = 0;
            const migrations = sets.map((steps, i) =>
              migration(
                i + 1,
                `gen_${i + 1}`,
                steps
                  .map((step) => {
                    if (step.kind === 'sql') return step.sql;
                    table += 1;
                    return `CREATE TABLE g_${table} (c ${step.type});\nINSERT INTO g_${table} DEFAULT VALUES`;
                  })
                  .join(';\n'),
              ),
            );
            const once = await fresh();
            await runAuditMigrations((await connect(pg, adapter, once.url)).db, migrations);
            const stepwise = await fresh();
            const db = (await connect(pg, adapter, stepwise.url)).db;
            const applied: string[] = [];
            for (const cut of [...cuts.map((c) => Math.min(c, migrations.length)).sort((a, b) => a - b), migrations.length]) applied.push(...(await runAuditMigrations(db, migrations.slice(0, cut))));
            expect(applied).toEqual(migrations.map((m) => m.file));
            expect(await schemaOf(stepwise.admin)).toEqual(await schemaOf(once.admin));
            const rows = async (c: Client) => (await c.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'g\\_%'")).rows[0].n;
            expect(await rows(stepwise.admin)).toBe(table);
            await closeDatabases();
          },
        ),
        { numRuns: fuzzRuns(6), seed: fuzzSeed(61_210) },
      );
    }, 120_000);

    it('refuses a migration edited after it was applied, and a new one older than the newest applied, naming the file', async () => {
      const { url } = await fresh();
      const { db } = await connect(pg, adapter, url);
      const one = migration(1, 'one', 'CREATE TABLE one (id int)');
      const three = migration(3, 'three', 'CREATE TABLE three (id int)');
      await runAuditMigrations(db, [one, three]);
      const edited = migration(1, 'one', 'CREATE TABLE one (id int, extra int)');
      await expect(runAuditMigrations(db, [edited, three])).rejects.toThrow(`${edited.file}: changed after it was applied`);
      const two = migration(2, 'two', 'CREATE TABLE two (id int)');
      await expect(runAuditMigrations(db, [one, two, three])).rejects.toThrow(`${two.file}: version 2 is older than version 3, already applied`);
    });
  });

  it('refuses, before touching the database, a repeated version and a script it cannot cut, naming the file', async () => {
    const calls: string[] = [];
    const db = { label: 'nowhere', inTransaction: async () => void calls.push('inTransaction') } as never;
    await expect(runAuditMigrations(db, [migration(1, 'a', 'SELECT 1'), { ...migration(1, 'b', 'SELECT 2'), file: '/m/0001_b.sql' }])).rejects.toThrow('/m/0001_b.sql: version 1 is used twice');
    await expect(runAuditMigrations(db, [migration(1, 'a', "SELECT 'x")])).rejects.toThrow(/\/migrations\/0001_a\.sql line 1: unterminated string literal/);
    await expect(runAuditMigrations(db, [migration(1, 'a', 'BEGIN;\nSELECT 1;\nCOMMIT')])).rejects.toThrow(/0001_a\.sql line 1: transaction control/);
    expect(calls).toEqual([]);
  });
});
