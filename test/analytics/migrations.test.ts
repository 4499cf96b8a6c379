/**
 * The Redshift migrations (REC-2) on the PostgreSQL stand-in: they apply on a fresh database and
 * create exactly the tables the load writes (LOAD_TABLES' columns, in order, exact amounts);
 * re-applying is a no-op; an applied migration that changed, vanished or was overtaken is refused
 * naming it; a failing migration leaves nothing behind; a concurrent deploy cannot apply one twice.
 * The same runner through the Redshift Data API path (a mocked RedshiftDataClient routed to
 * PostgreSQL), the dialect layer, and the CLI.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchExecuteStatementCommand, CancelStatementCommand, DescribeStatementCommand, ExecuteStatementCommand, GetStatementResultCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { DialectError, parseRedshiftCopy, redshiftCompatibilityFaults, toPostgres } from '../../redshift/dialect';
import { connectPostgres, postgresExecutor, redshiftExecutor } from '../../redshift/executors';
import { checksumOf, loadMigrations, migrate, MIGRATIONS_DIR, planMigrations, readLedger, type SqlExecutor } from '../../redshift/migrations';
import { splitStatements, SqlSyntaxError } from '../../redshift/sql';
import { PostgresDataApi } from '../../rehearsal/redshift/data-api';
import { main } from '../../scripts/redshift-migrate';
import { LOAD_TABLES } from '../../src/recon/run/aws/redshift-load';
import { describePostgres, useCluster } from './support/postgres';

const FIRST = '0001_reconciliation_tables';
const SECOND = '0002_run_summary_by_reference';
const THIRD = '0003_exception_case_group';
const ALL = [FIRST, SECOND, THIRD];

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('dialect layer (Redshift → PostgreSQL)', () => {
  it('removes exactly the documented Redshift-only clauses D1-D5 and says which it applied', () => {
    const redshift = `CREATE TABLE s.t (
  a VARCHAR(10) NOT NULL ENCODE zstd,
  b INTEGER ENCODE az64 DISTKEY,
  c DATE SORTKEY
)
DISTSTYLE KEY
DISTKEY (a)
COMPOUND SORTKEY (a, b)
BACKUP NO`;
    const pg = toPostgres(redshift);
    expect(pg.text).toBe('CREATE TABLE s.t (\n  a VARCHAR(10) NOT NULL,\n  b INTEGER,\n  c DATE\n)');
    expect([...new Set(pg.substitutions)].sort()).toEqual(['D1', 'D2', 'D3', 'D4', 'D5']);
    expect(toPostgres('CREATE TABLE s.u (a INT) SORTKEY AUTO').text).toBe('CREATE TABLE s.u (a INT)');
    expect(toPostgres('CREATE TABLE s.v (a INT) INTERLEAVED SORTKEY (a)').text).toBe('CREATE TABLE s.v (a INT)');
  });

  it('leaves keywords inside literals, quoted identifiers and comments alone', () => {
    const sql = `INSERT INTO s.t ("encode", note) VALUES ('DISTKEY (x) ENCODE zstd', 'it''s') -- SORTKEY here`;
    expect(toPostgres(sql).text).toBe(sql);
  });

  it('refuses a Redshift-only word it has no substitution for, naming it', () => {
    expect(() => toPostgres("UNLOAD ('SELECT 1') TO 's3://b/k' IAM_ROLE DEFAULT", 'migration X')).toThrow(/migration X: Redshift-only UNLOAD is not covered/);
    expect(() => toPostgres('SELECT GETDATE()')).toThrow(DialectError);
    expect(() => toPostgres("COPY s.t FROM 's3://b/k' IAM_ROLE DEFAULT FORMAT AS CSV")).toThrow(/COPY is substituted by the load emulation/);
  });

  it('flags SQL that PostgreSQL accepts but Redshift rejects or reads differently', () => {
    const faults = (sql: string) => redshiftCompatibilityFaults(sql).join(' | ');
    expect(faults('CREATE TABLE t (a TEXT)')).toMatch(/TEXT: Redshift reads TEXT as VARCHAR\(256\)/);
    expect(faults('CREATE TABLE t (a DOUBLE PRECISION)')).toMatch(/money is exact/);
    expect(faults('CREATE TABLE t (a REAL)')).toMatch(/money is exact/);
    expect(faults('CREATE TABLE t (a NUMERIC)')).toMatch(/DECIMAL\(18,0\) in Redshift/);
    expect(faults('CREATE TABLE t (a VARCHAR)')).toMatch(/without a length/);
    expect(faults('CREATE TABLE t (a CHARACTER VARYING)')).toMatch(/without a length/);
    expect(faults('CREATE TABLE t (a INT PRIMARY KEY)')).toMatch(/does not enforce key or check constraints/);
    expect(faults('TRUNCATE t')).toMatch(/commits the open transaction/);
    expect(faults('VACUUM t')).toMatch(/cannot run inside a Redshift transaction block/);
    expect(faults('CREATE INDEX i ON t (a)')).toMatch(/no indexes/);
    expect(faults('CREATE TABLE t (a DECIMAL(38,6), b VARCHAR(4), c CHARACTER VARYING(8))')).toBe('');
    expect(faults('CREATE TABLE t (run_id VARCHAR(8), "offset" INTEGER, tag VARCHAR(4), percent DECIMAL(5,2))')).toBe(
      'column tag is a Redshift reserved word: rename it | column percent is a Redshift reserved word: rename it',
    );
  });

  it('refuses dollar quoting and backslashes in literals (the engines read them differently)', () => {
    expect(() => splitStatements('SELECT $$x$$', 'f.sql')).toThrow(/f.sql line 1 column 8: dollar quoting/);
    expect(() => splitStatements("SELECT 'a\\'b'", 'f.sql')).toThrow(SqlSyntaxError);
    expect(() => splitStatements('SELECT 1 /* open', 'f.sql')).toThrow(/unterminated/);
  });

  it('splits statements at top-level semicolons only', () => {
    const statements = splitStatements("-- head\nSELECT ';' AS a; SELECT 2 -- tail;\n;\n/* only a comment */;");
    expect(statements.map((s) => s.text)).toEqual(["SELECT ';' AS a", 'SELECT 2 -- tail;']);
  });

  it('reads the load COPY and refuses options it does not emulate', () => {
    expect(parseRedshiftCopy("COPY reconciliation.runs FROM 's3://b/k/runs.csv' IAM_ROLE DEFAULT FORMAT AS CSV")).toEqual({
      table: 'reconciliation.runs',
      source: 's3://b/k/runs.csv',
      options: ['IAM_ROLE', 'FORMAT AS CSV'],
      emptyAsNull: false,
    });
    expect(parseRedshiftCopy("COPY s.t FROM 's3://b/k' IAM_ROLE 'arn:aws:iam::1:role/r' CSV EMPTYASNULL")?.emptyAsNull).toBe(true);
    expect(() => parseRedshiftCopy("COPY s.t FROM 's3://b/k' IAM_ROLE DEFAULT FORMAT AS CSV GZIP")).toThrow(/COPY option GZIP is not emulated/);
    expect(() => parseRedshiftCopy("COPY s.t FROM 's3://b/k' IAM_ROLE DEFAULT FORMAT AS PARQUET")).toThrow(/FORMAT PARQUET is not emulated/);
    expect(() => parseRedshiftCopy("COPY s.t FROM '/local/file' FORMAT AS CSV")).toThrow(/not an s3:\/\/ URI/);
    expect(parseRedshiftCopy("DELETE FROM s.t WHERE run_id = 'r'")).toBeUndefined();
  });
});

describe('migration files', () => {
  it('are portable, ordered and hashed; the checksum ignores CRLF', () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.name)).toEqual(ALL);
    expect(migrations.map((m) => m.statements.length)).toEqual([4, 5, 1]);
    expect(migrations[0]!.checksum).toBe(checksumOf(readFileSync(migrations[0]!.file, 'utf8')));
    expect(checksumOf('a\r\nb\n')).toBe(checksumOf('a\nb\n'));
    expect(checksumOf('a\nb\n')).not.toBe(checksumOf('a\nb \n'));
  });

  it('refuses non-portable SQL, a bad file name and duplicate versions, naming the file', () => {
    const dir = copyOfMigrations();
    try {
      writeFileSync(join(dir, '0004_floats.sql'), 'CREATE TABLE reconciliation.x (\n  amount DOUBLE PRECISION\n);\n');
      expect(() => loadMigrations(dir)).toThrow(/migration 0004_floats.sql line 1 column 1: not portable between Redshift and PostgreSQL: DOUBLE: money is exact/);
      rmSync(join(dir, '0004_floats.sql'));
      writeFileSync(join(dir, '2_x.sql'), 'SELECT 1;');
      expect(() => loadMigrations(dir)).toThrow(/2_x.sql: the name must be NNNN_<lower_case_name>.sql/);
      rmSync(join(dir, '2_x.sql'));
      writeFileSync(join(dir, '0001_again.sql'), 'SELECT 1;');
      expect(() => loadMigrations(dir)).toThrow(/have the same version 0001/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('plans: a changed, missing, renamed or overtaken migration is an error naming it', () => {
    const [first] = loadMigrations();
    const second = { ...first!, version: 2, name: '0002_more', file: 'x/0002_more.sql', checksum: 'b'.repeat(64) };
    const row = (version: number, name: string, checksum: string) => ({ version, name, checksum, appliedAt: '2026-01-01 00:00:00' });
    expect(planMigrations([first!, second], [row(1, FIRST, first!.checksum)]).pending.map((m) => m.name)).toEqual(['0002_more']);
    expect(() => planMigrations([first!], [row(1, FIRST, 'a'.repeat(64))])).toThrow(new RegExp(`migration ${FIRST}.sql was changed after it was applied`));
    expect(() => planMigrations([first!], [row(1, FIRST, first!.checksum), row(2, '0002_more', 'c'.repeat(64))])).toThrow(/0002_more \(version 2\) is recorded as applied .* but its file is missing/);
    expect(() => planMigrations([first!], [row(1, '0001_old_name', first!.checksum)])).toThrow(/recorded as applied under the name 0001_old_name/);
    expect(() => planMigrations([first!, second], [row(2, '0002_more', second.checksum)])).toThrow(new RegExp(`${FIRST}.sql is pending but a newer migration \\(version 2\\) is already applied`));
  });
});

describePostgres('migrations on PostgreSQL', () => {
  const pg = useCluster();

  async function executorOn(url: string): Promise<SqlExecutor> {
    return postgresExecutor(await connectPostgres(url), 'PostgreSQL test');
  }

  it('apply on a fresh database: the load tables with the load files’ columns in order, exact amounts, the ledger row', async () => {
    const url = await pg.freshDatabase();
    const executor = await executorOn(url);
    try {
      const at = new Date('2026-03-04T05:06:07Z');
      expect(await migrate(executor, { now: () => at })).toEqual({ alreadyApplied: [], applied: ALL, pending: [] });
      const client = await pg.connect(url);
      for (const [table, definition] of Object.entries(LOAD_TABLES)) {
        const columns = await client.query(
          "SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = 'reconciliation' AND table_name = $1 ORDER BY ordinal_position",
          [table],
        );
        expect(columns.rows.map((c: { column_name: string }) => c.column_name)).toEqual([...definition.columns]);
        expect(columns.rows.filter((c: { data_type: string }) => /real|double|float/i.test(c.data_type))).toEqual([]);
      }
      const amount = await client.query(
        "SELECT data_type, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = 'reconciliation' AND table_name = 'exceptions' AND column_name = 'amount'",
      );
      expect(amount.rows).toEqual([{ data_type: 'numeric', numeric_precision: '38', numeric_scale: '6' }]);
      const ledger = await readLedger(executor);
      expect(ledger).toEqual(loadMigrations().map((m) => ({ version: m.version, name: m.name, checksum: m.checksum, appliedAt: '2026-03-04 05:06:07' })));
    } finally {
      await executor.close();
    }
  });

  it('re-applying is a no-op (nothing run, the ledger row untouched)', async () => {
    const url = await pg.freshDatabase();
    const executor = await executorOn(url);
    try {
      await migrate(executor, { now: () => new Date('2026-03-04T05:06:07Z') });
      const before = await readLedger(executor);
      const batches: string[] = [];
      const watching: SqlExecutor = { ...executor, target: executor.target, query: (sql) => executor.query(sql), batch: async (sqls, label) => void batches.push(label), close: async () => undefined };
      expect(await migrate(watching, { now: () => new Date('2027-01-01T00:00:00Z') })).toEqual({ alreadyApplied: ALL, applied: [], pending: [] });
      expect(batches).toEqual([]);
      expect(await migrate(executor)).toEqual({ alreadyApplied: ALL, applied: [], pending: [] });
      expect(await readLedger(executor)).toEqual(before);
    } finally {
      await executor.close();
    }
  });

  it('a tampered applied migration is refused, naming it; the database is left as it was', async () => {
    const url = await pg.freshDatabase();
    const dir = copyOfMigrations();
    const executor = await executorOn(url);
    try {
      await migrate(executor, { dir });
      const file = join(dir, `${FIRST}.sql`);
      writeFileSync(file, readFileSync(file, 'utf8').replace('VARCHAR(16384)', 'VARCHAR(20000)'));
      writeFileSync(join(dir, '0004_extra.sql'), 'CREATE TABLE reconciliation.extra (a INTEGER);\n');
      await expect(migrate(executor, { dir })).rejects.toThrow(new RegExp(`migration ${FIRST}.sql was changed after it was applied .*recorded sha256 [0-9a-f]{64}, file sha256 [0-9a-f]{64}`));
      const client = await pg.connect(url);
      expect((await client.query("SELECT to_regclass('reconciliation.extra') AS t")).rows).toEqual([{ t: null }]);
      expect((await readLedger(executor))!.map((row) => row.name)).toEqual(ALL);
      // The CLI says the same and exits 1.
      const err: string[] = [];
      expect(await main(['--target', 'postgres', '--url', url, '--migrations', dir], { out: () => undefined, err: (line) => err.push(line) })).toBe(1);
      expect(err.join('\n')).toMatch(new RegExp(`redshift-migrate: migration ${FIRST}.sql was changed after it was applied`));
    } finally {
      await executor.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing migration is rolled back whole and named with its statement and the engine error', async () => {
    const url = await pg.freshDatabase();
    const dir = copyOfMigrations();
    const executor = await executorOn(url);
    try {
      writeFileSync(join(dir, '0004_broken.sql'), 'CREATE TABLE reconciliation.first_half (a INTEGER);\n\nINSERT INTO reconciliation.missing_table VALUES (1);\n');
      await expect(migrate(executor, { dir })).rejects.toThrow(
        /migration 0004_broken.sql failed at its statement 2 \(line 3\) on PostgreSQL test; nothing of it was applied. Error: PostgreSQL: relation "reconciliation.missing_table" does not exist/,
      );
      const client = await pg.connect(url);
      expect((await client.query("SELECT to_regclass('reconciliation.first_half') AS t, to_regclass('reconciliation.runs') AS r")).rows).toEqual([{ t: null, r: 'reconciliation.runs' }]);
      expect((await readLedger(executor))!.map((row) => row.name)).toEqual(ALL);
    } finally {
      await executor.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two deploys racing: the one that loses the lock finds the ledger row and applies nothing', async () => {
    const url = await pg.freshDatabase();
    const executor = await executorOn(url);
    const other = await executorOn(url);
    try {
      let raced = false;
      const racing: SqlExecutor = {
        target: executor.target,
        query: (sql) => executor.query(sql),
        async batch(sqls, label) {
          if (!raced) {
            raced = true;
            await migrate(other); // the other deploy applies everything between our plan and our batch
          }
          return executor.batch(sqls, label);
        },
        close: async () => undefined,
      };
      await expect(migrate(racing)).rejects.toThrow(new RegExp(`migration ${FIRST}.sql was applied by another deploy while this one ran .*already applied`));
      expect((await readLedger(executor))!.map((row) => row.name)).toEqual(ALL);
    } finally {
      await executor.close();
      await other.close();
    }
  });

  it('--dry-run lists the pending migrations and changes nothing (not even the ledger table)', async () => {
    const url = await pg.freshDatabase();
    const out: string[] = [];
    expect(await main(['--target', 'postgres', '--url', url, '--dry-run'], { out: (line) => out.push(line), err: (line) => out.push(line) })).toBe(0);
    expect(out.join('\n')).toMatch(
      new RegExp(
        `pending ${FIRST} \\(4 statements, sha256 [0-9a-f]{64}\\)\\npending ${SECOND} \\(5 statements, sha256 [0-9a-f]{64}\\)\\npending ${THIRD} \\(1 statements?, sha256 [0-9a-f]{64}\\)\\n3 pending, 0 applied \\(dry run: nothing changed\\)`,
      ),
    );
    const client = await pg.connect(url);
    expect((await client.query("SELECT to_regclass('public.schema_migrations') AS l, to_regclass('reconciliation.runs') AS r")).rows).toEqual([{ l: null, r: null }]);
    out.length = 0;
    expect(await main(['--target', 'postgres', '--url', url], { out: (line) => out.push(line), err: (line) => out.push(line) })).toBe(0);
    expect(out.at(-1)).toBe('3 applied now, 0 applied before');
  });

  it('the Redshift Data API path (BatchExecuteStatement, DescribeStatement polling) against PostgreSQL', async () => {
    const url = await pg.freshDatabase();
    const api = new PostgresDataApi(url);
    const client = new RedshiftDataClient({ region: 'eu-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const mock = mockClient(client);
    const inputs: Record<string, unknown>[] = [];
    mock.on(ExecuteStatementCommand).callsFake((input) => (inputs.push(input), api.executeStatement(input)));
    mock.on(BatchExecuteStatementCommand).callsFake((input) => (inputs.push(input), api.batchExecuteStatement(input)));
    mock.on(DescribeStatementCommand).callsFake((input) => api.describeStatement(input));
    mock.on(GetStatementResultCommand).callsFake((input) => api.getStatementResult(input));
    mock.on(CancelStatementCommand).resolves({ Status: true });
    const target = { workgroup: 'ledgerline-dev', database: 'ledgerline', secretArn: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:ledgerline-dev/redshift-AbCdEf' };
    const executor = redshiftExecutor({ ...target, client, pollMs: 1, sleep: (ms) => new Promise((done) => setTimeout(done, ms)) });
    const dir = copyOfMigrations();
    try {
      expect((await migrate(executor, { dir })).applied).toEqual(ALL);
      const batch = inputs.find((input) => 'Sqls' in input) as { Sqls: string[]; WorkgroupName: string; Database: string; SecretArn: string; StatementName: string };
      expect(batch).toMatchObject({ WorkgroupName: target.workgroup, Database: target.database, SecretArn: target.secretArn, StatementName: `ledgerline-migrate-${FIRST}` });
      // The Redshift SQL itself went over the wire (the stand-in translated it): ENCODE, DISTSTYLE, SORTKEY.
      expect(batch.Sqls[0]).toBe('LOCK TABLE public.schema_migrations');
      expect(batch.Sqls.join('\n')).toMatch(/ENCODE zstd[\s\S]*DISTSTYLE ALL[\s\S]*COMPOUND SORTKEY \(run_id, statement_line_id\)/);
      expect(batch.Sqls.at(-1)).toMatch(/^INSERT INTO public.schema_migrations \(version, name, checksum, applied_at\) VALUES \(1, '0001_reconciliation_tables', '[0-9a-f]{64}', '/);
      expect((await migrate(executor, { dir })).applied).toEqual([]);

      writeFileSync(join(dir, '0004_bad.sql'), 'ALTER TABLE reconciliation.nowhere ADD COLUMN x INTEGER;\n');
      await expect(migrate(executor, { dir })).rejects.toThrow(
        /migration 0004_bad.sql failed at its statement 1 \(line 1\) on Redshift workgroup ledgerline-dev, database ledgerline; nothing of it was applied. Error: Redshift FAILED: relation "reconciliation.nowhere" does not exist/,
      );
      expect((await readLedger(executor))!.map((row) => row.name)).toEqual(ALL);
    } finally {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('redshift-migrate CLI usage', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const status = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
    return { status, out: out.join('\n'), err: err.join('\n') };
  };

  it('--help explains both targets and the options', async () => {
    const { status, out } = await run(['--help']);
    expect(status).toBe(0);
    for (const option of ['--target <target>', '--workgroup <name>', '--database <name>', '--secret-arn <arn>', '--url <url>', '--dry-run', 'choices: "redshift", "postgres"', 'BatchExecuteStatement'])
      expect(out).toContain(option);
  });

  it('names what is missing or wrong (exit 2), and never connects', async () => {
    const never = async (): Promise<SqlExecutor> => {
      throw new Error('must not connect');
    };
    expect(await main(['--target', 'redshift', '--workgroup', 'w'], { out: () => undefined, err: () => undefined, executor: never })).toBe(2);
    expect(await run(['--target', 'redshift', '--workgroup', 'w'])).toMatchObject({ status: 2, err: 'error: --target redshift needs --database, --secret-arn (see --help)' });
    expect(await run(['--target', 'postgres'])).toMatchObject({ status: 2, err: 'error: --target postgres needs --url (see --help)' });
    expect(await run(['--target', 'postgres', '--url', 'mysql://x'])).toMatchObject({ status: 2, err: 'error: --url mysql://x is not a postgres:// URL' });
    expect((await run(['--target', 'oracle'])).status).toBe(2);
    expect((await run([])).status).toBe(2);
  });
});
