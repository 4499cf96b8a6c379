/**
 * `observability` stack (NFR7): the alarm topic under the messaging key of the data stack; one
 * depth alarm per dead-letter queue, errors/throttles per function of the topology, oldest-message
 * per route queue, throttled / failed invocations per EventBridge rule, the Pipe and the state
 * machines; every alarm notifies the alarm topic.
 */
import type { EnvironmentConfig } from '../../environments/types';
import { routesFor } from '../../src/routes';
import { FLOW_AUDIT_SETTINGS, functionCatalogue } from '../../stacks/catalogue';
import { flowStuckAlarm } from '../../stacks/lib/flow-auditor';
import { ITERATOR_AGE_METRIC } from '../../src/lambda/metrics';
import type { Names } from '../../stacks/naming';
import { named, ref, referencing, type Expected, type Run, type SynthStack } from './context';

export function observabilityAssertions(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  const topicArn = names.topicArn('alarms');
  const topic = named(stack, 'aws_sns_topic', names.topicName('alarms'));
  run.eq(ref(topic, 'kms_master_key_id'), expected.key('messaging'), 'alarm topic: under the messaging key (data stack)');
  const policy = referencing(stack, 'aws_sns_topic_policy', 'arn', topic, 'arn')[0]!;
  run.eq(ref(policy, 'arn'), topicArn, 'alarm topic policy: its topic');
  // OPS-1: the configured recipients, and nobody else, are subscribed to THIS topic.
  const subscriptions = referencing(stack, 'aws_sns_topic_subscription', 'topic_arn', topic, 'arn');
  const recipients = [...config.alarmRecipients.email.map((endpoint) => `email ${endpoint}`), ...config.alarmRecipients.https.map((endpoint) => `https ${endpoint}`)];
  if (recipients.length === 0) throw new Error(`environment ${config.name}: alarmRecipients is empty`);
  run.eqSet(
    `[${subscriptions.map((subscription) => `"\${${ref(subscription, 'protocol')}} \${${ref(subscription, 'endpoint')}}"`).join(', ')}]`,
    recipients,
    'alarm topic: subscribers (OPS-1 alarmRecipients)',
  );
  for (const subscription of subscriptions) run.eq(ref(subscription, 'topic_arn'), topicArn, `${subscription.name}: on the alarm topic`);

  const alarm = (name: string, metric: string, dimensions: Record<string, string>, threshold: number) => {
    const block = named(stack, 'aws_cloudwatch_metric_alarm', names.name(name), 'alarm_name');
    const a = (path: string) => ref(block, path);
    run.eq(a('metric_name'), metric, `alarm ${names.name(name)}: metric`);
    run.eqJson(a('dimensions'), dimensions, `alarm ${names.name(name)}: dimensions`);
    run.eq(a('threshold'), threshold, `alarm ${names.name(name)}: threshold (config)`);
    run.eqList(a('alarm_actions'), [topicArn], `alarm ${names.name(name)}: notifies the alarm topic`);
    run.eqList(a('ok_actions'), [topicArn], `alarm ${names.name(name)}: recovery notifies the alarm topic`);
  };
  const t = config.alarms;
  const routes = routesFor(config.runtime.topology);
  for (const dlq of [...routes.map((route) => names.routeDlqName(route)), names.busDeliveryDlqName, names.pipeDlqName, names.schedulerDlqName, names.asyncInvokeDlqName]) {
    alarm(`${dlq.slice(names.prefix.length + 1)}-depth`, 'ApproximateNumberOfMessagesVisible', { QueueName: dlq }, t.dlqDepth);
  }
  for (const fn of functionCatalogue(config.runtime.topology).map((entry) => entry.name)) {
    alarm(`fn-${fn}-errors`, 'Errors', { FunctionName: names.functionName(fn) }, t.functionErrors);
    alarm(`fn-${fn}-throttles`, 'Throttles', { FunctionName: names.functionName(fn) }, t.functionThrottles);
  }
  for (const route of routes) alarm(`${route.name}-oldest-message`, 'ApproximateAgeOfOldestMessage', { QueueName: names.routeQueueName(route) }, t.oldestMessageAgeSeconds);
  // Every EventBridge rule: throttled triggers and failed invocations (custom bus: EventBusName + RuleName; default bus: RuleName).
  for (const route of routes) {
    const dimensions = { EventBusName: names.busName, RuleName: names.routeRuleName(route) };
    alarm(`rule-${route.name}-throttled`, 'ThrottledRules', dimensions, t.ruleThrottles);
    alarm(`rule-${route.name}-failed-invocations`, 'FailedInvocations', dimensions, t.ruleFailedInvocations);
  }
  const notify = names.postingFailureRuleName.slice(names.prefix.length + 1);
  alarm(`rule-${notify}-throttled`, 'ThrottledRules', { EventBusName: names.busName, RuleName: names.postingFailureRuleName }, t.ruleThrottles);
  alarm(`rule-${notify}-failed-invocations`, 'FailedInvocations', { EventBusName: names.busName, RuleName: names.postingFailureRuleName }, t.ruleFailedInvocations);
  const uploaded = names.statementUploadedRuleName.slice(names.prefix.length + 1);
  alarm(`rule-${uploaded}-throttled`, 'ThrottledRules', { RuleName: names.statementUploadedRuleName }, t.ruleThrottles);
  alarm(`rule-${uploaded}-failed-invocations`, 'FailedInvocations', { RuleName: names.statementUploadedRuleName }, t.ruleFailedInvocations);
  const batch = names.batchUploadedRuleName.slice(names.prefix.length + 1);
  alarm(`rule-${batch}-throttled`, 'ThrottledRules', { RuleName: names.batchUploadedRuleName }, t.ruleThrottles);
  alarm(`rule-${batch}-failed-invocations`, 'FailedInvocations', { RuleName: names.batchUploadedRuleName }, t.ruleFailedInvocations);
  // FLOW-3: stuck and not repaired, from the flow auditor's own metric, over one schedule interval.
  const flow = flowStuckAlarm(config.name, FLOW_AUDIT_SETTINGS.scheduleMinutes * 60);
  alarm(flow.id, flow.metricName, flow.dimensions, flow.threshold);
  const flowAlarm = named(stack, 'aws_cloudwatch_metric_alarm', names.name(flow.id), 'alarm_name');
  run.eq(ref(flowAlarm, 'namespace'), flow.namespace, `alarm ${names.name(flow.id)}: the flow auditor's namespace`);
  run.eq(ref(flowAlarm, 'period'), FLOW_AUDIT_SETTINGS.scheduleMinutes * 60, `alarm ${names.name(flow.id)}: period = the auditor's schedule interval`);
  alarm('authorisations-pipe-failures', 'ExecutionFailed', { PipeName: names.pipeName }, t.pipeFailures);
  alarm('authorisations-iterator-age', ITERATOR_AGE_METRIC.metricName, { Environment: config.name, Pipe: names.pipeName }, t.iteratorAgeMs);
  for (const machine of [names.redriveStateMachine, names.reconciliationStateMachine]) {
    alarm(`sfn-${machine}-failed`, 'ExecutionsFailed', { StateMachineArn: names.stateMachineArn(machine) }, t.stateMachineFailures);
    alarm(`sfn-${machine}-timedout`, 'ExecutionsTimedOut', { StateMachineArn: names.stateMachineArn(machine) }, t.stateMachineFailures);
  }
}
