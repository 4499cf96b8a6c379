/**
 * Notifications and webhooks on AWS (NOTIFY-2, HOOK-2): what the notify function and the webhook
 * sweeper need around them.
 *
 * - SES: the environment's sending domain as an email identity (DKIM: Easy DKIM, 2048-bit) and a
 *   configuration set (TLS required to the receiving server, reputation metrics, sending on); the
 *   notifier sends through it (NOTIFY_SES_CONFIGURATION_SET).
 * - The outward-events queue (SQS, standard, data-key encrypted) with its dead-letter queue, read
 *   by the notify function through an event source mapping with ReportBatchItemFailures (a failed
 *   event is retried alone; after maxReceiveCount it waits in the DLQ for the redriver).
 * - SMS and push go through SNS Publish (to a phone number or an endpoint ARN): no topic.
 * - The function's environment (functions/notify/config.ts, read by its own reader at synth) and
 *   the grants its adapters use (src/adapters/aws/notify-*.ts): the notifications table, the
 *   payment facts (notify only: the authorisations table, then the flow journal's payment item in
 *   the rules-state table), the signing keys' secrets, SES and SNS.
 */
import { Construct } from 'constructs';
import { Sesv2EmailIdentity } from '@cdktf/provider-aws/lib/sesv2-email-identity';
import { Sesv2ConfigurationSet } from '@cdktf/provider-aws/lib/sesv2-configuration-set';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { readNotifyConfig } from '../../functions/notify/config';
import { NOTIFICATIONS_TABLE, NOTIFY_STATUS_INDEXES } from '../../src/adapters/aws/notify-tables';
import { FLOW_KEYS } from '../../src/adapters/aws/tables';
import type { NotificationsConfig } from '../../environments/types';
import type { Names } from '../naming';
import { QueueWithDlq, visibilityTimeoutFor } from './queue';
import { allow, awsRequiresWildcard, kmsVia, type PolicyStatement } from './iam';

/** The notify function's queue settings. */
export const NOTIFY_QUEUE = Object.freeze({ batchSize: 25, maximumBatchingWindowInSeconds: 1, maxReceiveCount: 5 });

export type NotifyEdgeConfig = NotificationsConfig;

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The notification settings, checked: a domain name, and a From address on it. */
export function checkNotifyConfig(config: NotifyEdgeConfig, where: string): NotifyEdgeConfig {
  if (!DOMAIN.test(config.emailDomain)) throw new Error(`${where}: notify.emailDomain ${JSON.stringify(config.emailDomain)} is not a lowercase domain name`);
  const at = config.emailFrom.lastIndexOf('@');
  const local = config.emailFrom.slice(0, at);
  if (at < 1 || !/^[a-z0-9._+-]{1,64}$/.test(local) || config.emailFrom.slice(at + 1) !== config.emailDomain) {
    throw new Error(`${where}: notify.emailFrom ${JSON.stringify(config.emailFrom)} must be a mailbox of ${config.emailDomain}`);
  }
  return config;
}

export interface NotificationsProps {
  names: Names;
  config: NotifyEdgeConfig;
  /** The key of the queues (the data stack's messaging key). */
  messagingKeyArn: string;
  /** The key of the tables and secrets (the data stack's data key). */
  dataKeyArn: string;
  /** The notify function's timeout (the queue's visibility timeout follows it). */
  notifyTimeoutSeconds: number;
}

export class Notifications extends Construct {
  readonly identity: Sesv2EmailIdentity;
  readonly configurationSet: Sesv2ConfigurationSet;
  readonly events: QueueWithDlq;
  private readonly names: Names;
  private readonly config: NotifyEdgeConfig;
  private readonly props: NotificationsProps;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { names } = props;
    this.names = names;
    this.props = props;
    this.config = checkNotifyConfig(props.config, `environment ${names.prefix}`);
    this.configurationSet = new Sesv2ConfigurationSet(this, 'configuration-set', {
      configurationSetName: `${names.prefix}-notify`,
      deliveryOptions: { tlsPolicy: 'REQUIRE' },
      reputationOptions: { reputationMetricsEnabled: true },
      sendingOptions: { sendingEnabled: true },
    });
    this.identity = new Sesv2EmailIdentity(this, 'identity', {
      emailIdentity: this.config.emailDomain,
      configurationSetName: this.configurationSet.configurationSetName,
      dkimSigningAttributes: { nextSigningKeyLength: 'RSA_2048_BIT' },
    });
    this.events = new QueueWithDlq(this, 'events', {
      name: names.notifyQueueName,
      dlqName: names.notifyDlqName,
      kmsKeyArn: props.messagingKeyArn,
      visibilityTimeoutSeconds: visibilityTimeoutFor(props.notifyTimeoutSeconds, NOTIFY_QUEUE.maximumBatchingWindowInSeconds),
      maxReceiveCount: NOTIFY_QUEUE.maxReceiveCount,
    });
  }

  /** The outward-events queue → the notify function (partial batch failures), the poller capped at its reserved concurrency. */
  feed(functionName: string, reservedConcurrency: number): LambdaEventSourceMapping {
    return new LambdaEventSourceMapping(this, 'notify-feed', {
      eventSourceArn: this.events.queue.arn,
      functionName,
      batchSize: NOTIFY_QUEUE.batchSize,
      maximumBatchingWindowInSeconds: NOTIFY_QUEUE.maximumBatchingWindowInSeconds,
      functionResponseTypes: ['ReportBatchItemFailures'],
      // Never let the poller outrun the reserved concurrency (throttled batches only churn); AWS minimum 2.
      scalingConfig: { maximumConcurrency: Math.max(2, reservedConcurrency) },
    });
  }

  /** The notify function's and the webhook sweeper's environment (one contract: functions/notify/config.ts), checked by its reader. */
  functionEnvironment(): Record<string, string> {
    const environment: Record<string, string> = {
      [NOTIFICATIONS_TABLE.envVar]: this.names.tableName('notifications'),
      AUTHORISATIONS_TABLE: this.names.tableName('authorisations'),
      RULES_STATE_TABLE: this.names.tableName('rulesState'),
      NOTIFY_EMAIL_FROM: this.config.emailFrom,
      NOTIFY_SIGNING_KEY_PREFIX: `${this.names.prefix}/webhooks/`,
      NOTIFY_SES_CONFIGURATION_SET: `${this.names.prefix}-notify`,
    };
    readNotifyConfig(environment);
    return environment;
  }

  /**
   * The grants of the notifier's adapters. `reader`: the notify function also reads the queue;
   * the sweeper does not. SMS and push are SNS Publish (to a phone number, to a platform endpoint):
   * Resource "*" (a phone number has no ARN), listed with its reason in stacks/lib/iam.ts.
   */
  functionStatements(reader: boolean): PolicyStatement[] {
    const { names } = this;
    const env = this.functionEnvironment();
    const table = `arn:aws:dynamodb:${names.region}:${names.account}:table/${env[NOTIFICATIONS_TABLE.envVar]!}`;
    const statements: PolicyStatement[] = [
      allow(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        [table, ...Object.values(NOTIFY_STATUS_INDEXES).map((index) => `${table}/index/${index.indexName}`)],
        undefined,
        'Notifications',
      ),
      allow(['secretsmanager:GetSecretValue'], [`arn:aws:secretsmanager:${names.region}:${names.account}:secret:${env.NOTIFY_SIGNING_KEY_PREFIX!}*`], undefined, 'SigningKeys'),
      kmsVia([this.props.dataKeyArn], ['dynamodb', 'secretsmanager'], names.region, ['kms:Decrypt', 'kms:GenerateDataKey']),
      allow(
        ['ses:SendEmail'],
        [`arn:aws:ses:${names.region}:${names.account}:identity/${this.config.emailDomain}`, `arn:aws:ses:${names.region}:${names.account}:configuration-set/${env.NOTIFY_SES_CONFIGURATION_SET!}`],
        { StringEquals: { 'ses:FromAddress': this.config.emailFrom } },
        'SendEmail',
      ),
      // SMS is SNS Publish with a PhoneNumber: no resource ARN exists for a phone number, so AWS
      // authorises it on Resource "*" only; the same statement covers push (Publish to a platform
      // endpoint ARN). The Deny below keeps the wildcard off the environment's own topics (alarms,
      // reconciliation, posting notifications), which the topics' policies open to the account.
      awsRequiresWildcard('SmsAndPush', ['sns:Publish']),
      { Sid: 'NotOurTopics', Effect: 'Deny', Action: 'sns:Publish', Resource: `arn:aws:sns:${names.region}:${names.account}:${names.prefix}-*` },
    ];
    if (reader) {
      statements.push(
        // The notifier's payment facts (src/adapters/aws/notify-directory.ts DynamoPaymentFacts): an
        // authorisation by id from the intake table, else the flow journal's `FLOW#PAYMENT#<id>` item
        // (tables.ts FLOW_KEYS) of the real-time and batch modes. The sweeper re-sends stored payloads only.
        allow(['dynamodb:GetItem'], [names.tableArn('authorisations')], undefined, 'PaymentFacts'),
        allow(['dynamodb:GetItem'], [names.tableArn('rulesState')], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [FLOW_KEYS.payment('*')] } }, 'JournaledPaymentFacts'),
        allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'], [this.events.queue.arn], undefined, 'OutwardEvents'),
        kmsVia([this.props.messagingKeyArn], ['sqs'], names.region, ['kms:Decrypt']),
      );
    }
    return statements;
  }
}
