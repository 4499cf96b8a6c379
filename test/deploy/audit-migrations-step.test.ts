/**
 * DEP-2 / AUDIT-1: the deploy-time step "audit migrations". The audit cluster has its Data API on
 * and outputs its master secret's ARN; the deploy role may use the Data API on exactly that
 * cluster and read exactly that cluster's secret; the step's command is one the script accepts;
 * the script applies the shipped migrations through the Data API (a stand-in RDSDataClient on a
 * real PostgreSQL server), once, and a failing migration exits 1 naming the file.
 */
import { App, Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENTS } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { AUDIT_SECRET_OUTPUT, AuditTrailDatabase, auditClusterArn, auditClusterIdentifier } from '../../stacks/lib/audit-db';
import { deployPolicyGroups } from '../../stacks/bootstrap-stack';
import type { PolicyStatement } from '../../stacks/lib/iam';
import { deployTimeSteps } from '../../scripts/post-deploy';
import { main, type CliOptions } from '../../scripts/audit-migrate';
import { dataApiTransactions } from '../../src/adapters/aws/audit-data-api';
import { readAuditMigrations } from '../../src/adapters/postgres/audit-migrations';
import { describeWithPostgres, useThrowAwayPostgres } from '../support/postgres';
import { FakeRdsDataClient } from '../audit/migrations-fake-data-api';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s', (_name, config) => {
  const names = Names.of(config);

  test("the audit cluster has the Data API on and outputs its master secret's ARN under the step's name", () => {
    const app = new App({ skipValidation: true });
    const stack = new TerraformStack(app, `audit-${config.name}`);
    new AwsProvider(stack, 'aws', { region: config.region });
    new AuditTrailDatabase(stack, 'audit', { names, sizing: config.audit, vpcId: 'vpc-1', privateSubnetIds: ['subnet-a'], dataKeyArn: 'arn:aws:kms:eu-west-2:1:key/k', protect: false });
    const json = JSON.parse(Testing.synth(stack)) as Json;
    const clusters = Object.entries(json.resource.aws_rds_cluster as Record<string, Json>);
    expect(clusters).toHaveLength(1);
    const [id, cluster] = clusters[0]!;
    expect(cluster.enable_http_endpoint).toBe(true);
    expect(cluster.cluster_identifier).toBe(auditClusterIdentifier(names));
    expect(json.output[AUDIT_SECRET_OUTPUT].value).toBe(`\${aws_rds_cluster.${id}.master_user_secret[0].secret_arn}`);
    expect(auditClusterArn(names)).toBe(`arn:aws:rds:${config.region}:${config.account}:cluster:${names.prefix}-audit`);
  });

  test('the deploy role may use the Data API on exactly that cluster and read exactly its secret', () => {
    const groups = deployPolicyGroups(names, 'ledgerline', { bucket: 'state', region: config.region, lockTable: 'lock' } as never);
    const all: PolicyStatement[] = Object.values(groups).flat();
    const granting = (prefix: string) => all.filter((statement) => asList(statement.Action as string | string[]).some((action) => action.startsWith(prefix)));
    const dataApi = granting('rds-data:');
    expect(dataApi).toHaveLength(1);
    expect(asList(dataApi[0]!.Action as string[]).sort()).toEqual(
      ['rds-data:BatchExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction', 'rds-data:ExecuteStatement', 'rds-data:RollbackTransaction'].sort(),
    );
    expect(asList(dataApi[0]!.Resource as string[])).toEqual([auditClusterArn(names)]);
    const secretReads = all.filter(
      (statement) => asList(statement.Action as string[]).includes('secretsmanager:GetSecretValue') && asList(statement.Resource as string[]).some((r) => r.includes(':secret:rds!')),
    );
    expect(secretReads).toHaveLength(1);
    expect(secretReads[0]!.Condition).toEqual({ StringEquals: { 'secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn': auditClusterArn(names) } });
    const httpEndpoint = granting('rds:EnableHttpEndpoint');
    expect(httpEndpoint).toHaveLength(1);
    expect(asList(httpEndpoint[0]!.Resource as string[])).toContain(`arn:aws:rds:${config.region}:${config.account}:cluster:${names.prefix}-*`);
  });

  test("the step's command is one the script accepts, naming the environment's cluster, secret, database and region", async () => {
    const step = deployTimeSteps(config.name).find((candidate) => candidate.name === 'audit migrations')!;
    const [script, ...args] = step.command({ auditSecretArn: 'arn:aws:secretsmanager:r:1:secret:rds!cluster-x' });
    expect(script).toBe('scripts/audit-migrate.ts');
    let seen: CliOptions | undefined;
    const out: string[] = [];
    const status = await main(args, {
      out: (line) => out.push(line),
      err: (line) => out.push(line),
      connect: (options) => {
        seen = options;
        return { label: 'nowhere', inTransaction: async () => [] as never };
      },
    });
    expect(status).toBe(0);
    expect(seen).toMatchObject({ clusterArn: auditClusterArn(names), secretArn: 'arn:aws:secretsmanager:r:1:secret:rds!cluster-x', database: 'ledgerline_audit', region: config.region });
  });
});

describe('audit-migrate usage', () => {
  test.each([
    ['no cluster', ['--secret-arn', 's', '--database', 'd']],
    ['no secret', ['--cluster-arn', 'c', '--database', 'd']],
    ['no database', ['--cluster-arn', 'c', '--secret-arn', 's']],
    ['an unknown option', ['--cluster-arn', 'c', '--secret-arn', 's', '--database', 'd', '--force']],
  ])('%s is bad usage (exit 2), named', async (_name, args) => {
    const err: string[] = [];
    expect(await main(args, { out: () => undefined, err: (line) => err.push(line) })).toBe(2);
    expect(err.join('\n')).toMatch(/required option|unknown option/);
  });

  test('a migrations directory that does not exist exits 1, naming it', async () => {
    const err: string[] = [];
    const status = await main(['--cluster-arn', 'c', '--secret-arn', 's', '--database', 'd', '--migrations', '/nonexistent/audit'], { out: () => undefined, err: (line) => err.push(line) });
    expect(status).toBe(1);
    expect(err.join('\n')).toContain('audit-migrate: audit migrations directory /nonexistent/audit does not exist');
  });
});

describeWithPostgres('audit-migrate through the Data API', () => {
  const pg = useThrowAwayPostgres();
  const target = { resourceArn: 'arn:aws:rds:eu-west-2:1:cluster:ledgerline-dev-audit', secretArn: 'arn:aws:secretsmanager:eu-west-2:1:secret:rds!cluster-1', database: 'ledgerline_audit' };
  const args = (extra: string[] = []) => ['--cluster-arn', target.resourceArn, '--secret-arn', target.secretArn, '--database', target.database, ...extra];

  test('applies the shipped migrations once; a second deploy applies none', async () => {
    const url = await pg.freshDatabase();
    const fake = new FakeRdsDataClient(pg.pool(url, 2), target);
    const io = () => {
      const out: string[] = [];
      return {
        out,
        io: {
          out: (line: string) => out.push(line),
          err: (line: string) => out.push(line),
          connect: (o: CliOptions) => dataApiTransactions(fake, { resourceArn: o.clusterArn, secretArn: o.secretArn, database: o.database }),
        },
      };
    };
    const shipped = readAuditMigrations();
    const first = io();
    expect(await main(args(), first.io)).toBe(0);
    expect(first.out).toEqual([...shipped.map((m) => `applied ${m.file}`), `audit migrations: ${shipped.length} applied, 0 already in place (Data API ${target.resourceArn}/${target.database})`]);
    const second = io();
    expect(await main(args(), second.io)).toBe(0);
    expect(second.out).toEqual([`audit migrations: 0 applied, ${shipped.length} already in place (Data API ${target.resourceArn}/${target.database})`]);
    const admin = await pg.client(url);
    expect((await admin.query('SELECT version FROM audit_migrations ORDER BY 1')).rows.map((row) => row.version)).toEqual(shipped.map((m) => m.version));
    expect(fake.openTransactions).toBe(0);
  });

  test('a failing migration exits 1, names the file and leaves nothing applied', async () => {
    const url = await pg.freshDatabase();
    const fake = new FakeRdsDataClient(pg.pool(url, 2), target);
    const dir = mkdtempSync(join(tmpdir(), 'audit-migrate-'));
    try {
      writeFileSync(join(dir, '0001_first.sql'), 'CREATE TABLE first_table (id int);');
      writeFileSync(join(dir, '0002_broken.sql'), 'CREATE TABLE second_table (id int);\nALTER TABLE no_such_table ADD COLUMN x int;');
      const lines: string[] = [];
      const status = await main(args(['--migrations', dir]), {
        out: (line) => lines.push(line),
        err: (line) => lines.push(line),
        connect: (o) => dataApiTransactions(fake, { resourceArn: o.clusterArn, secretArn: o.secretArn, database: o.database }),
      });
      expect(status).toBe(1);
      expect(lines.join('\n')).toContain(`audit-migrate: ${join(dir, '0002_broken.sql')}: statement 2 of 2 (line 2) failed`);
      expect(lines.join('\n')).toContain('relation "no_such_table" does not exist');
      const admin = await pg.client(url);
      expect((await admin.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows).toEqual([]);
      expect(fake.calls.at(-1)).toBe('RollbackTransaction');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
