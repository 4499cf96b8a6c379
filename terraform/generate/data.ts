/**
 * `data` stack: the keys; every table from src/adapters/aws/tables.ts under the data key; every
 * route queue's DLQ and maxReceiveCount (src/routes.ts); queue and topic policies naming their
 * own queue/topic and the rules that may send; the bus and its archive; the ingest bucket; the
 * workbench secrets.
 */
import type { EnvironmentConfig } from '../../environments/types';
import { OUTWARD_NOTIFY_ROUTE, routesFor } from '../../src/routes';
import { replayEventTypes } from '../../stacks/data-stack';
import { bucketUsers } from '../../stacks/catalogue';
import { TABLES, TABLE_NAMES } from '../../src/adapters/aws/tables';
import type { Names } from '../../stacks/naming';
import { mock } from '../mocks';
import { checkBucket, checkKey, named, ref, referencing, type Expected, type Run, type SynthStack } from './context';

export function dataAssertions(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  const routes = routesFor(config.runtime.topology, config.name);
  const dataKey = expected.key('data');
  const messagingKey = expected.key('messaging');
  for (const suffix of ['data', 'messaging', 'logs']) checkKey(stack, run, names.name(suffix), names.account);

  // Tables (tables.ts): keys, indexes, stream, TTL, PITR, the data key.
  for (const tableName of TABLE_NAMES) {
    const definition = TABLES[tableName];
    const table = named(stack, 'aws_dynamodb_table', names.tableName(tableName));
    const t = (path: string) => ref(table, path);
    const who = `table ${names.tableName(tableName)}`;
    run.eq(t('hash_key'), definition.partitionKey.name, `${who}: partition key (tables.ts)`);
    if ('sortKey' in definition && definition.sortKey) run.eq(t('range_key'), definition.sortKey.name, `${who}: sort key (tables.ts)`);
    run.eq(t('server_side_encryption[0].kms_key_arn'), dataKey, `${who}: encrypted under the data key`);
    run.eq(t('point_in_time_recovery[0].enabled'), true, `${who}: point-in-time recovery`);
    run.eq(t('deletion_protection_enabled'), config.protectStatefulResources, `${who}: deletion protection (${config.name})`);
    run.eqSet(
      `[for index in ${t('global_secondary_index')} : index.name]`,
      definition.globalSecondaryIndexes.map((index) => index.indexName),
      `${who}: global secondary indexes (tables.ts)`,
    );
    if ('stream' in definition && definition.stream) run.eq(t('stream_view_type'), definition.stream, `${who}: stream (tables.ts)`);
    if ('ttlAttribute' in definition && definition.ttlAttribute) run.eq(t('ttl[0].attribute_name'), definition.ttlAttribute, `${who}: TTL attribute (tables.ts)`);
  }

  // Route queues (src/routes.ts): the DLQ is the route's own, after the route's maxReceiveCount.
  for (const route of routes) {
    const queue = named(stack, 'aws_sqs_queue', names.routeQueueName(route));
    const dlq = named(stack, 'aws_sqs_queue', names.routeDlqName(route));
    const who = `queue ${names.routeQueueName(route)}`;
    run.eq(`jsondecode(${ref(queue, 'redrive_policy')}).deadLetterTargetArn`, names.queueArn(names.routeDlqName(route)), `${who}: its dead-letter queue`);
    run.eq(`jsondecode(${ref(queue, 'redrive_policy')}).maxReceiveCount`, route.queue.maxReceiveCount, `${who}: maxReceiveCount (src/routes.ts)`);
    run.eq(ref(queue, 'kms_master_key_id'), messagingKey, `${who}: encrypted under the messaging key`);
    run.eq(ref(dlq, 'kms_master_key_id'), messagingKey, `queue ${names.routeDlqName(route)}: encrypted under the messaging key`);
    run.check(
      `${ref(queue, 'visibility_timeout_seconds')} >= ${6 * config.functions[route.consumer].timeoutSeconds + route.queue.maxBatchingWindowSeconds}`,
      `${who}: visibility timeout must be at least 6 x the ${route.consumer} timeout + batching window (AWS guidance)`,
      ref(queue, 'visibility_timeout_seconds'),
    );
    const policy = referencing(stack, 'aws_sqs_queue_policy', 'queue_url', queue, 'url')[0];
    if (!policy) throw new Error(`stack ${stack.name}: no queue policy on ${names.routeQueueName(route)}`);
    const send = `one([for s in jsondecode(${ref(policy, 'policy')}).Statement : s if try(s.Sid, "") == "EventBridgeRulesMaySend"])`;
    run.eq(ref(policy, 'queue_url'), names.queueUrl(names.routeQueueName(route)), `policy of ${who}: its queue`);
    run.eq(`${send}.Resource`, names.queueArn(names.routeQueueName(route)), `policy of ${who}: grants on its own queue`);
    run.eqSet(`flatten([${send}.Condition.ArnEquals["aws:SourceArn"]])`, [names.routeRuleArn(route)], `policy of ${who}: only the route's rule may send`);
  }
  for (const name of [names.busDeliveryDlqName, names.pipeDlqName, names.schedulerDlqName, names.asyncInvokeDlqName]) {
    const queue = named(stack, 'aws_sqs_queue', name);
    run.eq(ref(queue, 'kms_master_key_id'), messagingKey, `queue ${name}: encrypted under the messaging key`);
    const policy = referencing(stack, 'aws_sqs_queue_policy', 'queue_url', queue, 'url')[0];
    if (!policy) throw new Error(`stack ${stack.name}: no queue policy on ${name}`);
    run.eq(
      `one([for s in jsondecode(${ref(policy, 'policy')}).Statement : s if try(s.Sid, "") == "DenyInsecureTransport"]).Resource`,
      names.queueArn(name),
      `policy of queue ${name}: names its own queue`,
    );
  }
  const busDlqPolicy = referencing(stack, 'aws_sqs_queue_policy', 'queue_url', named(stack, 'aws_sqs_queue', names.busDeliveryDlqName), 'url')[0]!;
  run.eqSet(
    `flatten([one([for s in jsondecode(${ref(busDlqPolicy, 'policy')}).Statement : s if try(s.Sid, "") == "EventBridgeRulesMaySend"]).Condition.ArnEquals["aws:SourceArn"]])`,
    [
      ...routes.map((route) => names.routeRuleArn(route)),
      names.postingFailureRuleArn,
      names.routeRuleArn(OUTWARD_NOTIFY_ROUTE),
      names.ruleArnOnDefaultBus(names.statementUploadedRuleName),
      names.ruleArnOnDefaultBus(names.batchUploadedRuleName),
      names.busArn,
    ],
    `policy of ${names.busDeliveryDlqName}: every rule target (and the bus) may park undeliverable events`,
  );

  // Bus and archive.
  const bus = named(stack, 'aws_cloudwatch_event_bus', names.busName);
  run.eq(ref(bus, 'kms_key_identifier'), messagingKey, 'bus: encrypted under the messaging key');
  run.eq(ref(bus, 'dead_letter_config[0].arn'), names.queueArn(names.busDeliveryDlqName), 'bus: its dead-letter queue');
  const archive = named(stack, 'aws_cloudwatch_event_archive', names.archiveName);
  run.eq(ref(archive, 'event_source_arn'), names.busArn, 'archive: archives the bus');
  run.eq(ref(archive, 'retention_days'), config.retention.archiveDays, 'archive: retention');
  run.eqList(
    `jsondecode(${ref(archive, 'event_pattern')})["detail-type"]`,
    [...replayEventTypes(config.runtime.topology)],
    `archive: keeps the replay events of the ${config.runtime.topology} topology (FUSE-2, NFR3)`,
  );

  // Topics.
  for (const topic of ['reconciliation', 'posting-notifications']) {
    const block = named(stack, 'aws_sns_topic', names.topicName(topic));
    run.eq(ref(block, 'kms_master_key_id'), messagingKey, `topic ${names.topicName(topic)}: encrypted under the messaging key`);
    const policy = referencing(stack, 'aws_sns_topic_policy', 'arn', block, 'arn')[0]!;
    run.eq(ref(policy, 'arn'), names.topicArn(topic), `policy of topic ${names.topicName(topic)}: its topic`);
  }
  const notifications = referencing(stack, 'aws_sns_topic_policy', 'arn', named(stack, 'aws_sns_topic', names.topicName('posting-notifications')), 'arn')[0]!;
  run.eqSet(
    `flatten([one([for s in jsondecode(${ref(notifications, 'policy')}).Statement : s if try(s.Sid, "") == "EventBridgeRulesPublish"]).Condition.ArnEquals["aws:SourceArn"]])`,
    [names.postingFailureRuleArn],
    'posting notifications topic: the posting.failed rule may publish',
  );

  // Ingest bucket: the functions, Glue, the reconciliation workflow and finance uploaders only.
  checkBucket(
    stack,
    run,
    names.ingestBucket,
    dataKey,
    [
      // The functions writing parked duplicates and the outbox: dedup + assembler staged, hot-path fused (FUSE-1).
      ...bucketUsers('ingest', config.runtime.topology).map((fn) => names.functionRoleArn(fn)),
      names.glueJobRoleArn,
      names.stateMachineRoleArn(names.reconciliationStateMachine),
      config.humanRoleArns.financeUploaders,
    ],
    [names.deployRoleArn, config.humanRoleArns.breakGlass],
  );
  const notification = referencing(stack, 'aws_s3_bucket_notification', 'bucket', named(stack, 'aws_s3_bucket', names.ingestBucket, 'bucket'), 'id')[0]!;
  run.eq(ref(notification, 'bucket'), names.ingestBucket, 'ingest bucket: sends object events to EventBridge (REC-2)');
  run.eq(ref(notification, 'eventbridge'), true, 'ingest bucket: EventBridge notifications on');

  // Workbench secrets (WB-1).
  const csrf = named(stack, 'aws_secretsmanager_secret', names.workbenchCsrfSecretName);
  run.eq(ref(csrf, 'kms_key_id'), dataKey, 'CSRF secret: encrypted under the data key');
  const version = referencing(stack, 'aws_secretsmanager_secret_version', 'secret_id', csrf, 'id')[0]!;
  run.eq(ref(version, 'secret_id'), mock.secretArn(names.account, names.region, names.workbenchCsrfSecretName), 'CSRF secret value: stored in the CSRF secret');
  run.check(`nonsensitive(length(${ref(version, 'secret_string')}) >= 32)`, 'CSRF secret value: at least 32 characters (the workbench refuses a shorter key)');
  const okta = named(stack, 'aws_secretsmanager_secret', config.workbench.oidc.clientSecretName);
  run.eq(ref(okta, 'kms_key_id'), dataKey, 'Okta client secret: encrypted under the data key');
}
