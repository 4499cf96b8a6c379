/**
 * The audit trail's store and feed on AWS (AUDIT-1; stacks/lib/audit-db.ts), synthesized per
 * environment: Aurora PostgreSQL Serverless v2 sized from the environment, encrypted with the data
 * key, private, TLS forced, its master secret RDS-managed; PostgreSQL reachable from the
 * audit-stream function's group only; one stream mapping per audited table with bisect, partial
 * batch failures and an on-failure destination; the function's environment passes its own reader
 * and its grants name exactly its streams, its secret and its failure queue. Every bad sizing is
 * refused, named.
 */
import fc from 'fast-check';
import { App, Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ENVIRONMENTS } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { AUDITED_TABLES, AUDIT_DB_NAME, AUDIT_DB_PORT, AUDIT_FEED, AuditTrailDatabase, checkAuditSizing, type AuditedTableName } from '../../stacks/lib/audit-db';
import { AUDIT_DB_VARIABLES } from '../../functions/audit-stream/config';
import { TABLES } from '../../src/adapters/aws/tables';
import type { EnvironmentConfig } from '../../environments/types';
import type { PolicyStatement } from '../../stacks/lib/iam';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DATA_KEY = 'arn:aws:kms:eu-west-2:111111111111:key/data';

function synth(config: EnvironmentConfig): { json: Json; environment: Record<string, string>; statements: PolicyStatement[]; streams: Record<AuditedTableName, string> } {
  const app = new App({ skipValidation: true });
  const stack = new TerraformStack(app, `audit-${config.name}`);
  new AwsProvider(stack, 'aws', { region: config.region });
  const names = Names.of(config);
  const audit = new AuditTrailDatabase(stack, 'audit', {
    names,
    sizing: config.audit,
    vpcId: 'vpc-0123',
    privateSubnetIds: ['subnet-a', 'subnet-b'],
    dataKeyArn: DATA_KEY,
    protect: config.protectStatefulResources,
  });
  const streams = Object.fromEntries(AUDITED_TABLES.map((table) => [table, `${names.tableArn(table)}/stream/2026-01-01T00:00:00.000`])) as Record<AuditedTableName, string>;
  audit.feed(names.functionName('authorise'), streams);
  const environment = audit.functionEnvironment();
  const statements = audit.functionStatements(streams);
  return { json: JSON.parse(Testing.synth(stack)) as Json, environment, statements, streams };
}

const resources = (json: Json, type: string): [string, Json][] => Object.entries((json.resource?.[type] ?? {}) as Record<string, Json>);
const one = (json: Json, type: string): [string, Json] => {
  const all = resources(json, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]!;
};

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s', (_name, config) => {
  let built: ReturnType<typeof synth>;
  beforeAll(() => {
    built = synth(config);
  });

  test('the cluster: Aurora PostgreSQL Serverless v2 at the configured ACUs, encrypted with the data key, private, TLS forced, managed secret', () => {
    const [, cluster] = one(built.json, 'aws_rds_cluster');
    expect(cluster).toMatchObject({
      engine: 'aurora-postgresql',
      engine_mode: 'provisioned',
      database_name: AUDIT_DB_NAME,
      storage_encrypted: true,
      kms_key_id: DATA_KEY,
      manage_master_user_password: true,
      master_user_secret_kms_key_id: DATA_KEY,
      serverlessv2_scaling_configuration: { min_capacity: config.audit.minAcu, max_capacity: config.audit.maxAcu },
      deletion_protection: config.protectStatefulResources,
      skip_final_snapshot: !config.protectStatefulResources,
      backup_retention_period: config.audit.backupRetentionDays,
    });
    expect(cluster.master_password).toBeUndefined();
    const instances = resources(built.json, 'aws_rds_cluster_instance').map(([, instance]) => instance);
    expect(instances).toHaveLength(config.audit.instances);
    for (const instance of instances) expect(instance).toMatchObject({ instance_class: 'db.serverless', publicly_accessible: false, performance_insights_kms_key_id: DATA_KEY });
    const [, parameters] = one(built.json, 'aws_rds_cluster_parameter_group');
    expect(parameters.parameter).toContainEqual({ name: 'rds.force_ssl', value: '1' });
    const [, subnets] = one(built.json, 'aws_db_subnet_group');
    expect(subnets.subnet_ids).toEqual(['subnet-a', 'subnet-b']);
  });

  test("PostgreSQL is reachable from the audit-stream function's group only, and that group reaches nothing else", () => {
    const groups = resources(built.json, 'aws_security_group');
    const [dbId] = groups.find(([, group]) => String(group.name).endsWith('-audit-db'))!;
    const [fnId] = groups.find(([, group]) => String(group.name).endsWith('-audit-stream'))!;
    for (const [, group] of groups) {
      expect(group.ingress).toBeUndefined();
      expect(group.egress).toBeUndefined();
    }
    const ingress = resources(built.json, 'aws_vpc_security_group_ingress_rule').map(([, rule]) => rule);
    expect(ingress).toEqual([
      expect.objectContaining({
        security_group_id: `\${aws_security_group.${dbId}.id}`,
        referenced_security_group_id: `\${aws_security_group.${fnId}.id}`,
        from_port: AUDIT_DB_PORT,
        to_port: AUDIT_DB_PORT,
        ip_protocol: 'tcp',
      }),
    ]);
    const egress = resources(built.json, 'aws_vpc_security_group_egress_rule').map(([, rule]) => rule);
    expect(egress).toEqual([
      expect.objectContaining({
        security_group_id: `\${aws_security_group.${fnId}.id}`,
        referenced_security_group_id: `\${aws_security_group.${dbId}.id}`,
        from_port: AUDIT_DB_PORT,
        to_port: AUDIT_DB_PORT,
      }),
    ]);
    const [, cluster] = one(built.json, 'aws_rds_cluster');
    expect(cluster.vpc_security_group_ids).toEqual([`\${aws_security_group.${dbId}.id}`]);
  });

  test('one mapping per audited stream: bisect, partial batch failures, finite retries, an on-failure destination, in order', () => {
    const mappings = resources(built.json, 'aws_lambda_event_source_mapping').map(([, mapping]) => mapping);
    expect(mappings.map((mapping) => mapping.event_source_arn).sort()).toEqual(Object.values(built.streams).sort());
    const [queueId] = one(built.json, 'aws_sqs_queue');
    for (const mapping of mappings) {
      expect(mapping).toMatchObject({
        bisect_batch_on_function_error: true,
        function_response_types: ['ReportBatchItemFailures'],
        maximum_retry_attempts: AUDIT_FEED.maximumRetryAttempts,
        parallelization_factor: 1,
        starting_position: 'TRIM_HORIZON',
        destination_config: { on_failure: { destination_arn: `\${aws_sqs_queue.${queueId}.arn}` } },
      });
    }
  });

  test("the function's environment is its contract; its grants name exactly its streams, its secret and its failure queue", () => {
    const names = Names.of(config);
    expect(Object.keys(built.environment).sort()).toEqual(
      [TABLES.ledger.envVar, TABLES.transactions.envVar, TABLES.workbench.envVar, AUDIT_DB_VARIABLES.host, AUDIT_DB_VARIABLES.port, AUDIT_DB_VARIABLES.database, AUDIT_DB_VARIABLES.secretArn].sort(),
    );
    expect(built.environment[TABLES.ledger.envVar]).toBe(names.tableName('ledger'));
    expect(built.environment[AUDIT_DB_VARIABLES.ssl]).toBeUndefined(); // TLS on (the default)
    const byAction = (action: string) => built.statements.filter((statement) => ([] as string[]).concat(statement.Action as string | string[]).includes(action));
    expect(
      byAction('dynamodb:GetRecords')
        .flatMap((statement) => statement.Resource as string[])
        .sort(),
    ).toEqual(Object.values(built.streams).sort());
    expect(byAction('secretsmanager:GetSecretValue')).toHaveLength(1);
    expect(byAction('sqs:SendMessage')).toHaveLength(1);
    for (const statement of built.statements) expect(statement.Resource).not.toBe('*');
  });
});

describe('checkAuditSizing', () => {
  const good = ENVIRONMENTS[0]!.audit;
  test("every environment's sizing is accepted", () => {
    for (const config of ENVIRONMENTS) expect(checkAuditSizing(config.audit, config.name)).toBe(config.audit);
  });
  test("capacity off Aurora's half-ACU grid or range, or min above max, is refused, named", () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 300, noNaN: true }), fc.double({ min: -10, max: 300, noNaN: true }), (minAcu, maxAcu) => {
        const ok = (value: number, low: number) => Math.round(value * 2) === value * 2 && value >= low && value <= 256;
        const valid = ok(minAcu, 0) && ok(maxAcu, 1) && minAcu <= maxAcu;
        const run = () => checkAuditSizing({ ...good, minAcu, maxAcu }, 'env');
        if (valid) expect(run()).toEqual({ ...good, minAcu, maxAcu });
        else expect(run).toThrow(/env: audit\.(minAcu|maxAcu)/);
      }),
    );
  });
  test('instances and backup retention outside their ranges are refused, named', () => {
    for (const instances of [0, 16, 1.5, -1]) expect(() => checkAuditSizing({ ...good, instances }, 'env')).toThrow('audit.instances');
    for (const backupRetentionDays of [0, 36, 2.5]) expect(() => checkAuditSizing({ ...good, backupRetentionDays }, 'env')).toThrow('audit.backupRetentionDays');
  });
});
