/**
 * The audit trail's store on AWS (AUDIT-1): an Aurora PostgreSQL Serverless v2 cluster and the
 * feed into it from the DynamoDB Streams of the audited tables.
 *
 * - Cluster: Serverless v2 (instances of class db.serverless; min/max ACU from the environment's
 *   `audit` config), storage and Performance Insights encrypted with the data stack's KMS key, in
 *   the private subnets, TLS forced (rds.force_ssl), PostgreSQL logs exported, deletion
 *   protection and a final snapshot where stateful resources are protected.
 * - Master credentials: RDS-managed in Secrets Manager (manage_master_user_password; the secret
 *   encrypted with the data key). The function reads it (AUDIT_DB_SECRET_ARN), nobody types it.
 * - Schema: db/audit/migrations, applied after each apply by the deploy step "audit migrations"
 *   (scripts/post-deploy.ts → scripts/audit-migrate.ts) through the RDS Data API: the cluster's
 *   HTTP endpoint is on (the deploy runs outside the VPC), and the stack outputs the master
 *   secret's ARN (AUDIT_SECRET_OUTPUT) for the step. IAM still governs it: only principals granted
 *   rds-data:* on this cluster and GetSecretValue on its secret (the deploy role) can use it.
 * - Network: the database's security group admits PostgreSQL (5432) from the audit-stream
 *   function's security group ONLY, and nothing else; the function's group may reach the database
 *   on 5432 and nothing more (its AWS endpoints are reached through the workload group).
 * - Feed: one event source mapping per audited table's stream (NEW_IMAGE: ledger, transactions,
 *   workbench) → the audit-stream function, from TRIM_HORIZON, ReportBatchItemFailures, bisect on
 *   error, parallelization 1 (a shard's records in order), a finite retry count, and an SQS
 *   on-failure destination (the records' positions, for the redrive: nothing lost silently).
 */
import { Construct } from 'constructs';
import { TerraformOutput, Token } from 'cdktf';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { AUDIT_DB_VARIABLES, readAuditStreamConfig } from '../../functions/audit-stream/config';
import { TABLES } from '../../src/adapters/aws/tables';
import type { AuditDatabaseConfig } from '../../environments/types';
import type { Names } from '../naming';
import { DeadLetterQueue } from './queue';
import { allow, kmsVia, type PolicyStatement } from './iam';

/** The tables whose NEW_IMAGE streams feed the audit trail (functions/audit-stream/config.ts). */
export const AUDITED_TABLES = ['ledger', 'transactions', 'workbench'] as const;
export type AuditedTableName = (typeof AUDITED_TABLES)[number];

export const AUDIT_DB_PORT = 5432;
export const AUDIT_DB_NAME = 'ledgerline_audit';
export const AUDIT_ENGINE = 'aurora-postgresql';
export const AUDIT_ENGINE_VERSION = '16.6';
export const AUDIT_PARAMETER_FAMILY = 'aurora-postgresql16';

/** The feed's settings: every record retried, then its position parked (AUDIT-1: nothing lost, nothing twice: appends are idempotent). */
export const AUDIT_FEED = Object.freeze({
  batchSize: 100,
  maximumBatchingWindowInSeconds: 1,
  maximumRetryAttempts: 10,
  parallelizationFactor: 1,
  startingPosition: 'TRIM_HORIZON',
});

export type AuditSizing = AuditDatabaseConfig;

/** The cluster's identifier: `<prefix>-audit` (the deploy role's audit-migration grants name it too). */
export function auditClusterIdentifier(names: Pick<Names, 'prefix'>): string {
  return `${names.prefix}-audit`;
}

/** The cluster's ARN, known before it exists. */
export function auditClusterArn(names: Pick<Names, 'prefix' | 'region' | 'account'>): string {
  return `arn:aws:rds:${names.region}:${names.account}:cluster:${auditClusterIdentifier(names)}`;
}

/** The stack output holding the RDS-managed master secret's ARN (its name is generated), read by the deploy step. */
export const AUDIT_SECRET_OUTPUT = 'audit_trail_secret_arn';

/** The audit sizing, checked against Aurora's ranges; a bad value is named. */
export function checkAuditSizing(sizing: AuditSizing, where: string): AuditSizing {
  const half = (value: number) => Number.isFinite(value) && Math.round(value * 2) === value * 2;
  if (!half(sizing.minAcu) || sizing.minAcu < 0 || sizing.minAcu > 256) throw new Error(`${where}: audit.minAcu must be 0 to 256 in steps of 0.5, got ${String(sizing.minAcu)}`);
  if (!half(sizing.maxAcu) || sizing.maxAcu < 1 || sizing.maxAcu > 256) throw new Error(`${where}: audit.maxAcu must be 1 to 256 in steps of 0.5, got ${String(sizing.maxAcu)}`);
  if (sizing.minAcu > sizing.maxAcu) throw new Error(`${where}: audit.minAcu (${sizing.minAcu}) is above audit.maxAcu (${sizing.maxAcu})`);
  if (!Number.isInteger(sizing.instances) || sizing.instances < 1 || sizing.instances > 15)
    throw new Error(`${where}: audit.instances must be a whole number from 1 to 15, got ${String(sizing.instances)}`);
  if (!Number.isInteger(sizing.backupRetentionDays) || sizing.backupRetentionDays < 1 || sizing.backupRetentionDays > 35) {
    throw new Error(`${where}: audit.backupRetentionDays must be a whole number from 1 to 35, got ${String(sizing.backupRetentionDays)}`);
  }
  return sizing;
}

export interface AuditTrailDatabaseProps {
  names: Names;
  sizing: AuditSizing;
  vpcId: string;
  privateSubnetIds: readonly string[];
  /** The data stack's key: storage, Performance Insights, the master secret, the DLQ. */
  dataKeyArn: string;
  protect: boolean;
}

export class AuditTrailDatabase extends Construct {
  readonly cluster: RdsCluster;
  readonly instances: RdsClusterInstance[] = [];
  readonly databaseSecurityGroup: SecurityGroup;
  /** Give this group to the audit-stream function (with the workload group). */
  readonly functionSecurityGroup: SecurityGroup;
  /** The stream records the feed gave up on (their positions). */
  readonly feedFailures: SqsQueue;
  readonly mappings = new Map<AuditedTableName, LambdaEventSourceMapping>();
  private readonly names: Names;
  private readonly dataKeyArn: string;

  constructor(scope: Construct, id: string, props: AuditTrailDatabaseProps) {
    super(scope, id);
    const { names } = props;
    this.names = names;
    this.dataKeyArn = props.dataKeyArn;
    const sizing = checkAuditSizing(props.sizing, `environment ${names.prefix}`);
    const identifier = auditClusterIdentifier(names);

    this.databaseSecurityGroup = new SecurityGroup(this, 'database-sg', {
      name: `${identifier}-db`,
      description: 'Audit trail Aurora: PostgreSQL from the audit-stream function only',
      vpcId: props.vpcId,
      revokeRulesOnDelete: true,
    });
    this.functionSecurityGroup = new SecurityGroup(this, 'function-sg', {
      name: `${identifier}-stream`,
      description: 'audit-stream function: PostgreSQL to the audit trail only; no ingress',
      vpcId: props.vpcId,
      revokeRulesOnDelete: true,
    });
    new VpcSecurityGroupIngressRule(this, 'database-in', {
      securityGroupId: this.databaseSecurityGroup.id,
      referencedSecurityGroupId: this.functionSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: AUDIT_DB_PORT,
      toPort: AUDIT_DB_PORT,
      description: 'PostgreSQL from audit-stream',
    });
    new VpcSecurityGroupEgressRule(this, 'function-out', {
      securityGroupId: this.functionSecurityGroup.id,
      referencedSecurityGroupId: this.databaseSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: AUDIT_DB_PORT,
      toPort: AUDIT_DB_PORT,
      description: 'PostgreSQL to the audit trail',
    });

    const subnets = new DbSubnetGroup(this, 'subnets', { name: identifier, description: 'Audit trail: private subnets', subnetIds: [...props.privateSubnetIds] });
    const parameters = new RdsClusterParameterGroup(this, 'parameters', {
      name: identifier,
      family: AUDIT_PARAMETER_FAMILY,
      description: 'Audit trail: TLS only, connections and DDL logged',
      parameter: [
        { name: 'rds.force_ssl', value: '1' },
        { name: 'log_connections', value: '1' },
        { name: 'log_statement', value: 'ddl' },
      ],
    });
    this.cluster = new RdsCluster(this, 'cluster', {
      clusterIdentifier: identifier,
      engine: AUDIT_ENGINE,
      engineMode: 'provisioned',
      engineVersion: AUDIT_ENGINE_VERSION,
      databaseName: AUDIT_DB_NAME,
      masterUsername: 'ledgerline_admin',
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.dataKeyArn,
      storageEncrypted: true,
      kmsKeyId: props.dataKeyArn,
      port: AUDIT_DB_PORT,
      serverlessv2ScalingConfiguration: { minCapacity: sizing.minAcu, maxCapacity: sizing.maxAcu },
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [this.databaseSecurityGroup.id],
      dbClusterParameterGroupName: parameters.name,
      backupRetentionPeriod: sizing.backupRetentionDays,
      copyTagsToSnapshot: true,
      deletionProtection: props.protect,
      skipFinalSnapshot: !props.protect,
      ...(props.protect ? { finalSnapshotIdentifier: `${identifier}-final` } : {}),
      enabledCloudwatchLogsExports: ['postgresql'],
      iamDatabaseAuthenticationEnabled: false,
      // The RDS Data API, for the deploy step that applies db/audit/migrations (AUDIT-1).
      enableHttpEndpoint: true,
    });
    new TerraformOutput(this, AUDIT_SECRET_OUTPUT, {
      staticId: true,
      value: this.cluster.masterUserSecret.get(0).secretArn,
      description: 'The audit trail cluster master secret (RDS-managed): the deploy step applies db/audit/migrations with it through the Data API',
    });
    for (let i = 0; i < sizing.instances; i += 1) {
      this.instances.push(
        new RdsClusterInstance(this, `instance-${i}`, {
          identifier: `${identifier}-${i}`,
          clusterIdentifier: this.cluster.id,
          instanceClass: 'db.serverless',
          engine: AUDIT_ENGINE,
          engineVersion: AUDIT_ENGINE_VERSION,
          publiclyAccessible: false,
          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: props.dataKeyArn,
          autoMinorVersionUpgrade: true,
        }),
      );
    }
    this.feedFailures = new DeadLetterQueue(this, 'feed-failures', { name: names.auditFeedFailuresQueueName, kmsKeyArn: props.dataKeyArn }).queue;
  }

  /** The master secret's ARN (RDS-managed). */
  get secretArn(): string {
    return this.cluster.masterUserSecret.get(0).secretArn;
  }

  /**
   * The audit-stream function's environment (its contract, functions/audit-stream/config.ts),
   * checked with the function's own reader at synth (Terraform tokens stand in as well-formed values).
   */
  functionEnvironment(): Record<string, string> {
    const environment: Record<string, string> = {
      [TABLES.ledger.envVar]: this.names.tableName('ledger'),
      [TABLES.transactions.envVar]: this.names.tableName('transactions'),
      [TABLES.workbench.envVar]: this.names.tableName('workbench'),
      [AUDIT_DB_VARIABLES.host]: this.cluster.endpoint,
      [AUDIT_DB_VARIABLES.port]: String(AUDIT_DB_PORT),
      [AUDIT_DB_VARIABLES.database]: AUDIT_DB_NAME,
      [AUDIT_DB_VARIABLES.secretArn]: this.secretArn,
    };
    const standIn = (value: string, example: string) => (Token.isUnresolved(value) ? example : value);
    readAuditStreamConfig({
      ...environment,
      [AUDIT_DB_VARIABLES.host]: standIn(environment[AUDIT_DB_VARIABLES.host]!, `${this.names.prefix}-audit.cluster-abc.${this.names.region}.rds.amazonaws.com`),
      [AUDIT_DB_VARIABLES.secretArn]: standIn(environment[AUDIT_DB_VARIABLES.secretArn]!, `arn:aws:secretsmanager:${this.names.region}:${this.names.account}:secret:rds!cluster-abc-AbCdEf`),
    });
    return environment;
  }

  /** What the audit-stream function's role needs beyond the basics: its streams, the secret, the failure queue. */
  functionStatements(streamArns: Readonly<Record<AuditedTableName, string>>): PolicyStatement[] {
    const names = this.names;
    return [
      allow(
        ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        AUDITED_TABLES.map((table) => streamArns[table]),
        undefined,
        'ReadAuditedStreams',
      ),
      allow(
        ['dynamodb:ListStreams'],
        AUDITED_TABLES.map((table) => `${names.tableArn(table)}/stream/*`),
        undefined,
        'ListAuditedStreams',
      ),
      allow(['secretsmanager:GetSecretValue'], [this.secretArn], undefined, 'AuditDatabaseSecret'),
      // The secret and the failure queue are under the data key.
      kmsVia([this.dataKeyArn], ['secretsmanager'], names.region, ['kms:Decrypt']),
      allow(['sqs:SendMessage'], [this.feedFailures.arn], undefined, 'AuditFeedFailures'),
      kmsVia([this.dataKeyArn], ['sqs'], names.region, ['kms:GenerateDataKey', 'kms:Decrypt']),
    ];
  }

  /** One event source mapping per audited table's stream → the audit-stream function. */
  feed(functionName: string, streamArns: Readonly<Record<AuditedTableName, string>>): void {
    for (const table of AUDITED_TABLES) {
      this.mappings.set(
        table,
        new LambdaEventSourceMapping(this, `feed-${table}`, {
          eventSourceArn: streamArns[table],
          functionName,
          startingPosition: AUDIT_FEED.startingPosition,
          batchSize: AUDIT_FEED.batchSize,
          maximumBatchingWindowInSeconds: AUDIT_FEED.maximumBatchingWindowInSeconds,
          bisectBatchOnFunctionError: true,
          functionResponseTypes: ['ReportBatchItemFailures'],
          maximumRetryAttempts: AUDIT_FEED.maximumRetryAttempts,
          maximumRecordAgeInSeconds: -1,
          parallelizationFactor: AUDIT_FEED.parallelizationFactor,
          destinationConfig: { onFailure: { destinationArn: this.feedFailures.arn } },
        }),
      );
    }
  }
}
