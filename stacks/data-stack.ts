/**
 * `data`: the stateful layer, deployed rarely and never replaced casually.
 * - Customer-managed keys (rotation on): `data` (tables, ingest bucket, Lambda environment),
 *   `messaging` (SQS, SNS, the event bus and its archive), `logs` (every log group).
 * - DynamoDB tables, built from THE table definitions (src/adapters/aws/tables.ts): keys, GSIs,
 *   LSIs, TTL, streams. PITR and the data CMK on every table.
 * - The ingest bucket (prefixes incoming/ quarantine/ parked/ outbox/postings/ results/).
 * - The custom event bus + an archive of the lifecycle events replay needs.
 * - Every SQS queue (the topology's route queues with their DLQs: only the route's rule may send
 *   by resource policy; fused, the authorisation Pipe also sends to the hot path's queue, by its
 *   role's identity policy in the same account; and the DLQs of the bus targets, the Pipe,
 *   Scheduler and async invocations) with their queue policies, and the SNS topics.
 * - The exceptions workbench's secrets (data CMK): the CSRF key (random, generated once) and
 *   the Okta client secret (a placeholder; the identity team sets its value). Its sign-in
 *   sessions table (TABLES.workbenchSessions, WB-AUTH-1) is one of the tables above: TTL on.
 */
import type { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password';
import type { EnvironmentConfig } from '../environments/types';
import { OUTWARD_NOTIFY_ROUTE, routesFor, type Route } from '../src/routes';
import { TABLES, TABLE_NAMES, attributeDefinitions, type TableName, type Projection } from '../src/adapters/aws/tables';
import { WORKBENCH_OKTA_SECRET_PLACEHOLDER } from '../src/adapters/aws/workbench-config';
import { LedgerlineStack } from './lib/base';
import { CustomerManagedKey, logsServiceGrant, logDeliveryServiceGrant, senderServiceGrant } from './lib/kms';
import { SecureBucket, housekeepingRule } from './lib/bucket';
import { DeadLetterQueue, QueueWithDlq, visibilityTimeoutFor } from './lib/queue';
import { LeastPrivilegeRole, allow, kmsVia, policyDocument, type PolicyStatement } from './lib/iam';
import { INGEST_PREFIXES, type Names } from './naming';
import { replayEventTypes } from '../src/use-cases/replay/archive-pattern';
import { DLQ_IAM, REPLAY_IAM, replayNamePrefix } from '../src/use-cases/replay/operator-iam';
import { bucketUsers } from './catalogue';

// REPLAY-1: what the archive keeps is defined once, for this archive and the embedded one.
export { OUTWARD_EVENT_TYPES, replayEventTypes } from '../src/use-cases/replay/archive-pattern';

/**
 * The operator role's policy (REPLAY-1, DLQ-1; the actions: src/use-cases/replay/operator-iam.ts):
 * replays of the archive to the bus, and reading and redriving every dead-letter queue back to
 * its source queues through the messaging key.
 */
export function operatorStatements(config: Pick<EnvironmentConfig, 'runtime' | 'region'>, names: Names, messagingKeyArn: string): PolicyStatement[] {
  const routes = routesFor(config.runtime.topology);
  // NOTIFY-1/2: the notifier's DLQ redrives to its own queue (the app stack's notifications construct).
  const dlqs = [...routes.map((route) => names.routeDlqName(route)), names.busDeliveryDlqName, names.pipeDlqName, names.schedulerDlqName, names.asyncInvokeDlqName, names.notifyDlqName];
  return [
    allow(REPLAY_IAM.archive, [`arn:aws:events:${names.region}:${names.account}:archive/${names.archiveName}`], undefined, 'ReplayTheArchive'),
    allow(REPLAY_IAM.replay, [`arn:aws:events:${names.region}:${names.account}:replay/${replayNamePrefix(names.prefix)}*`], undefined, 'FollowReplays'),
    allow(
      DLQ_IAM.deadLetterQueue,
      dlqs.map((dlq) => names.queueArn(dlq)),
      undefined,
      'ReadAndRedriveDeadLetters',
    ),
    allow(DLQ_IAM.sourceQueue, [...routes.map((route) => names.queueArn(names.routeQueueName(route))), names.queueArn(names.notifyQueueName)], undefined, 'RedriveToSourceQueues'),
    kmsVia([messagingKeyArn], ['sqs'], config.region, DLQ_IAM.key),
  ];
}

/** SNS topics (notifications for people and downstream systems). */
export const NOTIFICATION_TOPICS = ['reconciliation', 'posting-notifications'] as const;
export type NotificationTopic = (typeof NOTIFICATION_TOPICS)[number];

function projectionOf(projection: Projection): { projectionType: string; nonKeyAttributes?: string[] } {
  return projection.type === 'INCLUDE' ? { projectionType: 'INCLUDE', nonKeyAttributes: [...projection.attributes] } : { projectionType: projection.type };
}

/** The Okta client secret's value until the identity team sets it (the first deploy's plan needs a value; defined with the function's contract, which refuses it). */
export { WORKBENCH_OKTA_SECRET_PLACEHOLDER };

export class DataStack extends LedgerlineStack {
  readonly dataKey: CustomerManagedKey;
  readonly messagingKey: CustomerManagedKey;
  readonly logsKey: CustomerManagedKey;
  readonly tables = new Map<TableName, DynamodbTable>();
  readonly ingestBucket: SecureBucket;
  readonly bus: CloudwatchEventBus;
  readonly routeQueues = new Map<string, QueueWithDlq>();
  readonly busDeliveryDlq: SqsQueue;
  readonly pipeDlq: SqsQueue;
  readonly schedulerDlq: SqsQueue;
  readonly asyncInvokeDlq: SqsQueue;
  /** Assumed by the on-call operator for `ledgerline replay --env` and `ledgerline dlq --env` (REPLAY-1, DLQ-1). */
  readonly operatorRole: LeastPrivilegeRole;
  readonly topics = new Map<NotificationTopic, SnsTopic>();
  readonly workbenchCsrfSecret: SecretsmanagerSecret;
  readonly workbenchOktaClientSecret: SecretsmanagerSecret;

  constructor(app: Construct, config: EnvironmentConfig) {
    super(app, { scope: config, component: 'data', assumeDeployRole: true });
    const names = this.names;
    const { account, region } = config;
    const topology = config.runtime.topology;
    const routes = routesFor(topology, config.name);

    this.dataKey = new CustomerManagedKey(this, 'data-key', {
      account,
      alias: names.name('data'),
      description: `${config.prefix}: DynamoDB tables, ingest bucket, Lambda environment, state machines`,
      deletionWindowDays: config.kmsDeletionWindowDays,
      // The state machines (encrypted with this key) log to CloudWatch through vended log delivery.
      services: [logDeliveryServiceGrant(account)],
    });
    this.messagingKey = new CustomerManagedKey(this, 'messaging-key', {
      account,
      alias: names.name('messaging'),
      description: `${config.prefix}: SQS queues, SNS topics, event bus and archive`,
      deletionWindowDays: config.kmsDeletionWindowDays,
      services: [
        { ...senderServiceGrant('EventBridgeEncryptsBusAndDeliversToQueues', 'events.amazonaws.com', account), actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'] },
        senderServiceGrant('CloudWatchAlarmsPublishToTopics', 'cloudwatch.amazonaws.com', account),
        // The authorisations Pipe (encrypted with this key) logs through vended log delivery.
        logDeliveryServiceGrant(account),
      ],
    });
    this.logsKey = new CustomerManagedKey(this, 'logs-key', {
      account,
      alias: names.name('logs'),
      description: `${config.prefix}: CloudWatch log groups`,
      deletionWindowDays: config.kmsDeletionWindowDays,
      services: [logsServiceGrant(region, account)],
    });

    // --- Tables: one definition (tables.ts), PITR + CMK on every one ----------------------
    for (const tableName of TABLE_NAMES) {
      const definition = TABLES[tableName];
      const table = new DynamodbTable(this, `table-${tableName}`, {
        name: names.tableName(tableName),
        billingMode: definition.billingMode,
        hashKey: definition.partitionKey.name,
        ...('sortKey' in definition && definition.sortKey ? { rangeKey: definition.sortKey.name } : {}),
        attribute: attributeDefinitions(definition).map((key) => ({ name: key.name, type: key.type })),
        globalSecondaryIndex: definition.globalSecondaryIndexes.map((index) => ({
          name: index.indexName,
          hashKey: index.partitionKey.name,
          ...(index.sortKey ? { rangeKey: index.sortKey.name } : {}),
          ...projectionOf(index.projection),
        })),
        localSecondaryIndex: definition.localSecondaryIndexes.map((index) => ({
          name: index.indexName,
          rangeKey: index.sortKey!.name,
          ...projectionOf(index.projection),
        })),
        ...('ttlAttribute' in definition && definition.ttlAttribute ? { ttl: { attributeName: definition.ttlAttribute, enabled: true } } : {}),
        ...('stream' in definition && definition.stream ? { streamEnabled: true, streamViewType: definition.stream } : {}),
        // PITR comes from the single table definition (tables.ts: on for every table; the policy suite enforces it).
        pointInTimeRecovery: { enabled: definition.pointInTimeRecovery },
        serverSideEncryption: { enabled: true, kmsKeyArn: this.dataKey.arn },
        deletionProtectionEnabled: config.protectStatefulResources,
      });
      this.tables.set(tableName, table);
    }

    // --- Ingest bucket ---------------------------------------------------------------------
    const r = config.retention;
    this.ingestBucket = new SecureBucket(this, 'ingest-bucket', {
      bucketName: names.ingestBucket,
      kmsKeyArn: this.dataKey.arn,
      objectAccessRoleArns: [
        ...bucketUsers('ingest', topology).map((fn) => names.functionRoleArn(fn)),
        names.glueJobRoleArn,
        // The reconciliation workflow releases a failed run's re-upload claim (results/registry/).
        names.stateMachineRoleArn(names.reconciliationStateMachine),
        config.humanRoleArns.financeUploaders,
      ],
      adminRoleArns: [names.deployRoleArn, config.humanRoleArns.breakGlass],
      eventBridge: true,
      lifecycleRules: [
        housekeepingRule(r.noncurrentVersionExpirationDays),
        {
          id: 'incoming',
          status: 'Enabled',
          filter: [{ prefix: INGEST_PREFIXES.incoming }],
          transition: [{ days: r.incomingTransitionDays, storageClass: 'STANDARD_IA' }],
          expiration: [{ days: r.incomingExpirationDays }],
        },
        { id: 'quarantine', status: 'Enabled', filter: [{ prefix: INGEST_PREFIXES.quarantine }], expiration: [{ days: r.quarantineExpirationDays }] },
        { id: 'parked', status: 'Enabled', filter: [{ prefix: INGEST_PREFIXES.parked }], expiration: [{ days: r.parkedExpirationDays }] },
        {
          id: 'outbox',
          status: 'Enabled',
          filter: [{ prefix: INGEST_PREFIXES.outbox }],
          transition: [{ days: r.outboxGlacierDays, storageClass: 'GLACIER_IR' }],
        },
        {
          id: 'results',
          status: 'Enabled',
          filter: [{ prefix: INGEST_PREFIXES.results }],
          transition: [{ days: r.outboxGlacierDays, storageClass: 'GLACIER_IR' }],
        },
      ],
    });

    // --- Event bus + archive -----------------------------------------------------------------
    this.busDeliveryDlq = new DeadLetterQueue(this, 'bus-delivery-dlq', { name: names.busDeliveryDlqName, kmsKeyArn: this.messagingKey.arn }).queue;
    this.bus = new CloudwatchEventBus(this, 'bus', {
      name: names.busName,
      description: 'Ledgerline payment lifecycle events (envelope = detail, type = detail-type)',
      kmsKeyIdentifier: this.messagingKey.arn,
      deadLetterConfig: { arn: this.busDeliveryDlq.arn },
    });
    new CloudwatchEventArchive(this, 'archive', {
      name: names.archiveName,
      description: 'Lifecycle events replay needs (see replayEventTypes)',
      eventSourceArn: this.bus.arn,
      retentionDays: r.archiveDays,
      // AWS provider 5.100 (the pinned binding) cannot set a CMK on an archive: it is encrypted
      // with an AWS-owned key (docs/infrastructure.md, "Provider 5.100").
      eventPattern: JSON.stringify({ 'detail-type': [...replayEventTypes(topology)] }),
    });

    // --- Queues --------------------------------------------------------------------------------
    for (const route of routes) {
      const queue = new QueueWithDlq(this, `route-${route.name}`, {
        name: names.routeQueueName(route),
        dlqName: names.routeDlqName(route),
        kmsKeyArn: this.messagingKey.arn,
        visibilityTimeoutSeconds: visibilityTimeoutFor(config.functions[route.consumer].timeoutSeconds, route.queue.maxBatchingWindowSeconds),
        maxReceiveCount: route.queue.maxReceiveCount,
      });
      this.routeQueues.set(route.name, queue);
      this.queuePolicy(`route-${route.name}`, queue.queue, [this.eventBridgeMaySend(queue.queue, [names.routeRuleArn(route)])]);
      this.queuePolicy(`route-${route.name}-dlq`, queue.dlq, []);
    }
    // EventBridge parks undeliverable events of every route target (and the bus itself) here.
    this.queuePolicy('bus-delivery-dlq', this.busDeliveryDlq, [
      this.eventBridgeMaySend(this.busDeliveryDlq, [
        ...routes.map((route: Route) => names.routeRuleArn(route)),
        names.postingFailureRuleArn,
        names.routeRuleArn(OUTWARD_NOTIFY_ROUTE),
        names.ruleArnOnDefaultBus(names.statementUploadedRuleName),
        names.ruleArnOnDefaultBus(names.batchUploadedRuleName),
        names.busArn,
      ]),
    ]);
    this.pipeDlq = new DeadLetterQueue(this, 'pipe-dlq', { name: names.pipeDlqName, kmsKeyArn: this.messagingKey.arn }).queue;
    this.queuePolicy('pipe-dlq', this.pipeDlq, []);
    this.schedulerDlq = new DeadLetterQueue(this, 'scheduler-dlq', { name: names.schedulerDlqName, kmsKeyArn: this.messagingKey.arn }).queue;
    this.queuePolicy('scheduler-dlq', this.schedulerDlq, []);
    this.asyncInvokeDlq = new DeadLetterQueue(this, 'async-invoke-dlq', { name: names.asyncInvokeDlqName, kmsKeyArn: this.messagingKey.arn }).queue;
    this.queuePolicy('async-invoke-dlq', this.asyncInvokeDlq, []);

    // --- The operator's replay and redrive grant (REPLAY-1, DLQ-1) ------------------------------
    this.operatorRole = new LeastPrivilegeRole(this, 'operator-role', {
      name: names.roleName('operator'),
      description: 'On-call operator: replays the event archive and redrives the dead-letter queues (ledgerline replay / dlq)',
      assumeRolePolicy: policyDocument([{ Effect: 'Allow', Principal: { AWS: config.humanRoleArns.breakGlass }, Action: 'sts:AssumeRole' }]),
      permissionsBoundary: names.permissionsBoundaryArn,
      statements: operatorStatements(config, names, this.messagingKey.arn),
    });

    // --- Notification topics ---------------------------------------------------------------------
    for (const topicName of NOTIFICATION_TOPICS) {
      const topic = new SnsTopic(this, `topic-${topicName}`, { name: names.topicName(topicName), kmsMasterKeyId: this.messagingKey.arn, tracingConfig: 'Active' });
      this.topics.set(topicName, topic);
      const eventRules = topicName === 'posting-notifications' ? [names.postingFailureRuleArn] : [];
      new SnsTopicPolicy(this, `topic-${topicName}-policy`, { arn: topic.arn, policy: topicPolicy(names.topicArn(topicName), account, eventRules) });
    }

    // --- Exceptions workbench secrets ------------------------------------------------------------
    const secretRecoveryDays = config.protectStatefulResources ? 30 : 7;
    this.workbenchCsrfSecret = new SecretsmanagerSecret(this, 'workbench-csrf-secret', {
      name: names.workbenchCsrfSecretName,
      description: 'Exceptions workbench: key of the CSRF tokens of its forms (random; rotating it only invalidates open forms)',
      kmsKeyId: this.dataKey.arn,
      recoveryWindowInDays: secretRecoveryDays,
    });
    const csrfKey = new DataAwsSecretsmanagerRandomPassword(this, 'workbench-csrf-random', { passwordLength: 64, excludePunctuation: true });
    new SecretsmanagerSecretVersion(this, 'workbench-csrf-secret-value', {
      secretId: this.workbenchCsrfSecret.id,
      secretString: csrfKey.randomPassword,
      // The data source draws a new value on every plan: keep the first one.
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
    const clientSecretName = config.workbench.oidc.clientSecretName;
    if (!clientSecretName.startsWith(names.workbenchSecretPath)) {
      throw new Error(`workbench.oidc.clientSecretName "${clientSecretName}" must be under "${names.workbenchSecretPath}" (the deploy role reads secret values only there)`);
    }
    this.workbenchOktaClientSecret = new SecretsmanagerSecret(this, 'workbench-okta-client-secret', {
      name: clientSecretName,
      description: 'Exceptions workbench: client secret of the Okta OIDC application the workbench function signs people in with (value set by the identity team)',
      kmsKeyId: this.dataKey.arn,
      recoveryWindowInDays: secretRecoveryDays,
    });
    // WB-AUTH-1: the workbench function reads this value once per container (never Terraform, never
    // the environment). Until the identity team replaces the placeholder (never overwritten by
    // Terraform) the function refuses to sign anyone in, naming the secret (docs/runbooks/first-deploy.md).
    new SecretsmanagerSecretVersion(this, 'workbench-okta-client-secret-placeholder', {
      secretId: this.workbenchOktaClientSecret.id,
      secretString: WORKBENCH_OKTA_SECRET_PLACEHOLDER,
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
  }

  private eventBridgeMaySend(queue: SqsQueue, sourceArns: readonly string[]): PolicyStatement {
    return {
      Sid: 'EventBridgeRulesMaySend',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queue.arn,
      Condition: { ArnEquals: { 'aws:SourceArn': [...sourceArns] } },
    };
  }

  /** Every queue: TLS only; plus the given grants. */
  private queuePolicy(id: string, queue: SqsQueue, statements: readonly PolicyStatement[]): void {
    new SqsQueuePolicy(this, `${id}-policy`, {
      queueUrl: queue.url,
      policy: policyDocument([
        { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: queue.arn, Condition: { Bool: { 'aws:SecureTransport': false } } },
        ...statements,
      ]),
    });
  }
}

/**
 * Topics: TLS only; publishing limited to this account's principals, CloudWatch alarms of this
 * account, and the named EventBridge rules.
 */
export function topicPolicy(topicArn: string, account: string, eventRuleArns: readonly string[] = []): string {
  return policyDocument([
    { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: topicArn, Condition: { Bool: { 'aws:SecureTransport': false } } },
    {
      Sid: 'AccountPrincipalsPublish',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: ['sns:Publish', 'sns:GetTopicAttributes', 'sns:Subscribe'],
      Resource: topicArn,
    },
    {
      Sid: 'CloudWatchAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topicArn,
      Condition: { StringEquals: { 'aws:SourceAccount': account } },
    },
    ...(eventRuleArns.length > 0
      ? [
          {
            Sid: 'EventBridgeRulesPublish',
            Effect: 'Allow' as const,
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicArn,
            Condition: { ArnEquals: { 'aws:SourceArn': [...eventRuleArns] } },
          },
        ]
      : []),
  ]);
}
