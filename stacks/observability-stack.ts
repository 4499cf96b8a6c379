/**
 * `observability`: the alarm topic (CMK), CloudWatch alarms and one dashboard per environment.
 * Alarms (thresholds from config), all notifying the alarm topic:
 * - DLQ depth on every dead-letter queue;
 * - Errors and Throttles of every function;
 * - age of the oldest message of every route queue;
 * - iterator age of the authorisation stream (read by the Pipe), plus Pipe execution failures;
 * - throttled triggers and failed target invocations of every EventBridge rule (the region's
 *   target-invocation quota is shared by every rule: a throttled rule delays its deliveries);
 * - failed / timed-out executions of every state machine.
 */
import type { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { EnvironmentConfig } from '../environments/types';
import { OUTWARD_NOTIFY_ROUTE, routesFor } from '../src/routes';
import { LedgerlineStack } from './lib/base';
import { FLOW_AUDIT_SETTINGS, functionCatalogue, functionSizing } from './catalogue';
import { flowStuckAlarm } from './lib/flow-auditor';
import type { Names } from './naming';
import { topicPolicy, type DataStack } from './data-stack';

/**
 * The Pipe publishes no iterator-age metric (AWS/EventBridge/Pipes has none). The ingest
 * enrichment reports `now - dynamodb.ApproximateCreationDateTime` of each batch as this custom
 * metric (CloudWatch embedded metric format); the alarm watches it.
 */
import { ITERATOR_AGE_METRIC } from '../src/lambda/metrics';

export { ITERATOR_AGE_METRIC };

/** OPS-1: every alarm reaches a person. An environment without a recipient does not synthesize. */
export function subscribeAlarmRecipients(scope: Construct, topic: SnsTopic, config: Pick<EnvironmentConfig, 'name' | 'alarmRecipients'>): SnsTopicSubscription[] {
  const { email, https } = config.alarmRecipients;
  if (email.length + https.length === 0) throw new Error(`environment ${config.name}: alarmRecipients names no email address or HTTPS endpoint, so its alarms would reach nobody`);
  for (const endpoint of https) if (!endpoint.startsWith('https://')) throw new Error(`environment ${config.name}: alarm endpoint "${endpoint}" is not an https:// URL`);
  for (const address of email) if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw new Error(`environment ${config.name}: alarm email "${address}" is not an email address`);
  return [
    ...email.map((endpoint, i) => new SnsTopicSubscription(scope, `alarm-email-${i}`, { topicArn: topic.arn, protocol: 'email', endpoint })),
    ...https.map((endpoint, i) => new SnsTopicSubscription(scope, `alarm-https-${i}`, { topicArn: topic.arn, protocol: 'https', endpoint, endpointAutoConfirms: false })),
  ];
}

/**
 * Every EventBridge rule of an environment, with the dimensions of its AWS/Events metrics: a rule
 * on the custom bus is named by EventBusName + RuleName, a rule on the default bus by RuleName alone.
 */
export function eventRules(config: EnvironmentConfig, names: Names): { ruleName: string; dimensions: Record<string, string> }[] {
  const onBus = (ruleName: string) => ({ ruleName, dimensions: { EventBusName: names.busName, RuleName: ruleName } });
  return [
    ...routesFor(config.runtime.topology).map((route) => onBus(names.routeRuleName(route))),
    onBus(names.postingFailureRuleName),
    // NOTIFY-1, HOOK-2: outward events → the notifier's queue.
    onBus(names.routeRuleName(OUTWARD_NOTIFY_ROUTE)),
    { ruleName: names.statementUploadedRuleName, dimensions: { RuleName: names.statementUploadedRuleName } },
    { ruleName: names.batchUploadedRuleName, dimensions: { RuleName: names.batchUploadedRuleName } },
  ];
}

/**
 * OPS-2: the runbook page of each kind of alarm (docs/runbooks/<page>.md): what the alarm means,
 * what to look at and what to run. Every alarm names its page in its description; the runbook
 * test checks every synthesized alarm's page exists and every page belongs to an alarm.
 */
export type RunbookPage =
  | 'dlq-route'
  | 'dlq-bus-delivery'
  | 'dlq-pipe'
  | 'dlq-scheduler'
  | 'dlq-async-invoke'
  | 'function-errors'
  | 'function-throttles'
  | 'queue-oldest-message'
  | 'stream-iterator-age'
  | 'pipe-failures'
  | 'rule-throttled'
  | 'rule-failed-invocations'
  | 'redrive-workflow-failures'
  | 'reconciliation-workflow-failures'
  | 'flow-stuck-payments'
  | 'dlq-notify'
  | 'audit-feed-failures';

/** Where an alarm's runbook page is, as its description says it (repository path). */
export function runbookPath(page: RunbookPage): string {
  return `docs/runbooks/${page}.md`;
}

export class ObservabilityStack extends LedgerlineStack {
  readonly alarmTopic: SnsTopic;
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(app: Construct, config: EnvironmentConfig, props: { data: DataStack }) {
    super(app, { scope: config, component: 'observability', assumeDeployRole: true });
    const names = this.names;
    const t = config.alarms;
    const routes = routesFor(config.runtime.topology);
    const catalogue = functionCatalogue(config.runtime.topology);

    this.alarmTopic = new SnsTopic(this, 'alarm-topic', { name: names.topicName('alarms'), kmsMasterKeyId: props.data.messagingKey.arn, tracingConfig: 'Active' });
    new SnsTopicPolicy(this, 'alarm-topic-policy', { arn: this.alarmTopic.arn, policy: topicPolicy(names.topicArn('alarms'), config.account) });
    subscribeAlarmRecipients(this, this.alarmTopic, config);
    const topic = this.alarmTopic.arn;

    const alarm = (
      id: string,
      props: {
        description: string;
        namespace: string;
        metricName: string;
        dimensions: Record<string, string>;
        statistic: string;
        period: number;
        threshold: number;
        evaluationPeriods?: number;
        unit?: string;
        runbook: RunbookPage;
      },
    ) => {
      this.alarms.push(
        new CloudwatchMetricAlarm(this, id, {
          alarmName: names.name(id),
          alarmDescription: `${props.description}. Runbook: ${runbookPath(props.runbook)}`,
          namespace: props.namespace,
          metricName: props.metricName,
          dimensions: props.dimensions,
          statistic: props.statistic,
          period: props.period,
          evaluationPeriods: props.evaluationPeriods ?? 1,
          threshold: props.threshold,
          comparisonOperator: 'GreaterThanThreshold',
          treatMissingData: 'notBreaching',
          ...(props.unit ? { unit: props.unit } : {}),
          alarmActions: [topic],
          okActions: [topic],
        }),
      );
    };

    // Dead-letter queues.
    const dlqs: [string, RunbookPage][] = [
      ...routes.map((route): [string, RunbookPage] => [names.routeDlqName(route), 'dlq-route']),
      [names.busDeliveryDlqName, 'dlq-bus-delivery'],
      [names.pipeDlqName, 'dlq-pipe'],
      [names.schedulerDlqName, 'dlq-scheduler'],
      [names.asyncInvokeDlqName, 'dlq-async-invoke'],
      // NOTIFY-1/2: outward events the notifier failed maxReceiveCount times.
      [names.notifyDlqName, 'dlq-notify'],
      // AUDIT-1: stream records the audit feed gave up on (their positions).
      [names.auditFeedFailuresQueueName, 'audit-feed-failures'],
    ];
    for (const [dlq, runbook] of dlqs) {
      alarm(`${dlq.slice(names.prefix.length + 1)}-depth`, {
        description: `Messages on dead-letter queue ${dlq}: a human or the redriver must act`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: dlq },
        statistic: 'Maximum',
        period: 60,
        threshold: t.dlqDepth,
        runbook,
      });
    }

    // NOTIFY-1/2: the notifier's queue is consumed like a route's: its backlog is alarmed the same way.
    alarm('notify-events-oldest-message', {
      description: `Age of the oldest outward event on ${names.notifyQueueName} (the notifier is behind or failing)`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: names.notifyQueueName },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      threshold: t.oldestMessageAgeSeconds,
      runbook: 'queue-oldest-message',
    });

    // Functions.
    for (const entry of catalogue) {
      const functionName = names.functionName(entry.name);
      alarm(`fn-${entry.name}-errors`, {
        description: `${functionName} errors`,
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: functionName },
        statistic: 'Sum',
        period: 300,
        threshold: t.functionErrors,
        runbook: 'function-errors',
      });
      alarm(`fn-${entry.name}-throttles`, {
        description: `${functionName} throttles (reserved concurrency ${functionSizing(config, entry.name).reservedConcurrency})`,
        namespace: 'AWS/Lambda',
        metricName: 'Throttles',
        dimensions: { FunctionName: functionName },
        statistic: 'Sum',
        period: 300,
        threshold: t.functionThrottles,
        runbook: 'function-throttles',
      });
    }

    // Route queues: the oldest message says a consumer is falling behind.
    for (const route of routes) {
      alarm(`${route.name}-oldest-message`, {
        description: `Oldest message on ${names.routeQueueName(route)} (consumer ${route.consumer} falling behind)`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: names.routeQueueName(route) },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 3,
        threshold: t.oldestMessageAgeSeconds,
        runbook: 'queue-oldest-message',
      });
    }

    // FLOW-3: payments stuck that the flow auditor could not repair (its period = its schedule's interval).
    const flow = flowStuckAlarm(config.name, FLOW_AUDIT_SETTINGS.scheduleMinutes * 60);
    alarm(flow.id, flow);

    // Authorisation stream → Pipe.
    alarm('authorisations-iterator-age', {
      description: 'Age of authorisation stream records when the Pipe reads them (ingest falling behind)',
      namespace: ITERATOR_AGE_METRIC.namespace,
      metricName: ITERATOR_AGE_METRIC.metricName,
      dimensions: { Environment: config.name, Pipe: names.pipeName },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      threshold: t.iteratorAgeMs,
      runbook: 'stream-iterator-age',
    });
    alarm('authorisations-pipe-failures', {
      description: `${names.pipeName} failed executions (records go to ${names.pipeDlqName} after retries)`,
      namespace: 'AWS/EventBridge/Pipes',
      metricName: 'ExecutionFailed',
      dimensions: { PipeName: names.pipeName },
      statistic: 'Sum',
      period: 300,
      threshold: t.pipeFailures,
      runbook: 'pipe-failures',
    });

    // EventBridge rules: a throttled rule delays every delivery it makes (the quota is the
    // region's, shared by every rule); a failed invocation is a delivery given up on.
    for (const { ruleName, dimensions } of eventRules(config, names)) {
      const rule = ruleName.slice(names.prefix.length + 1);
      alarm(`rule-${rule}-throttled`, {
        description: `EventBridge rule ${ruleName}: throttled triggers (the region's target-invocation quota is reached)`,
        namespace: 'AWS/Events',
        metricName: 'ThrottledRules',
        dimensions,
        statistic: 'Sum',
        period: 300,
        threshold: t.ruleThrottles,
        runbook: 'rule-throttled',
      });
      alarm(`rule-${rule}-failed-invocations`, {
        description: `EventBridge rule ${ruleName}: target invocations that failed for good (the event went to ${names.busDeliveryDlqName})`,
        namespace: 'AWS/Events',
        metricName: 'FailedInvocations',
        dimensions,
        statistic: 'Sum',
        period: 300,
        threshold: t.ruleFailedInvocations,
        runbook: 'rule-failed-invocations',
      });
    }

    // State machines.
    const machines: [string, RunbookPage][] = [
      [names.redriveStateMachine, 'redrive-workflow-failures'],
      [names.reconciliationStateMachine, 'reconciliation-workflow-failures'],
    ];
    for (const [machine, runbook] of machines) {
      for (const metricName of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        alarm(`sfn-${machine}-${metricName.replace('Executions', '').toLowerCase()}`, {
          description: `${names.stateMachineName(machine)} ${metricName}`,
          namespace: 'AWS/States',
          metricName,
          dimensions: { StateMachineArn: names.stateMachineArn(machine) },
          statistic: 'Sum',
          period: 300,
          threshold: t.stateMachineFailures,
          runbook,
        });
      }
    }

    new CloudwatchDashboard(this, 'dashboard', { dashboardName: names.name('operations'), dashboardBody: JSON.stringify(this.dashboard(config)) });
  }

  private dashboard(config: EnvironmentConfig): unknown {
    const names = this.names;
    const region = config.region;
    const widget = (title: string, metrics: unknown[][], x: number, y: number, stat = 'Sum') => ({
      type: 'metric',
      x,
      y,
      width: 12,
      height: 6,
      properties: { title, region, stat, period: 60, view: 'timeSeries', metrics },
    });
    const routes = routesFor(config.runtime.topology);
    const queues = routes.map((route) => names.routeQueueName(route));
    const functions = functionCatalogue(config.runtime.topology).map((entry) => names.functionName(entry.name));
    return {
      widgets: [
        {
          type: 'text',
          x: 0,
          y: 0,
          width: 24,
          height: 2,
          properties: { markdown: `# Ledgerline ${config.name}\nPosting hot path (${config.runtime.topology}: routes → queues → consumers), Pipe, EventBridge rules, workflows, dead letters.` },
        },
        widget(
          'Route queues: visible messages',
          queues.map((queue) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queue]),
          0,
          2,
          'Maximum',
        ),
        widget(
          'Route queues: oldest message (s)',
          queues.map((queue) => ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queue]),
          12,
          2,
          'Maximum',
        ),
        widget(
          'Functions: errors',
          functions.map((fn) => ['AWS/Lambda', 'Errors', 'FunctionName', fn]),
          0,
          8,
        ),
        widget(
          'Functions: duration p99 (ms)',
          functions.map((fn) => ['AWS/Lambda', 'Duration', 'FunctionName', fn]),
          12,
          8,
          'p99',
        ),
        widget(
          'Functions: concurrent executions',
          functions.map((fn) => ['AWS/Lambda', 'ConcurrentExecutions', 'FunctionName', fn]),
          0,
          14,
          'Maximum',
        ),
        widget(
          'Pipe: events / failures / iterator age',
          [
            ['AWS/EventBridge/Pipes', 'EventCount', 'PipeName', names.pipeName],
            ['AWS/EventBridge/Pipes', 'ExecutionFailed', 'PipeName', names.pipeName],
            [ITERATOR_AGE_METRIC.namespace, ITERATOR_AGE_METRIC.metricName, 'Environment', config.name, 'Pipe', names.pipeName, { stat: 'Maximum' }],
          ],
          12,
          14,
        ),
        widget(
          'Dead-letter queues',
          [
            ...routes.map((route) => names.routeDlqName(route)),
            names.busDeliveryDlqName,
            names.pipeDlqName,
            names.schedulerDlqName,
            names.asyncInvokeDlqName,
            names.notifyDlqName,
            names.auditFeedFailuresQueueName,
          ].map((queue) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queue]),
          0,
          20,
          'Maximum',
        ),
        widget(
          'EventBridge rules: throttled / failed invocations',
          eventRules(config, names).flatMap(({ dimensions }) => [
            ['AWS/Events', 'ThrottledRules', ...Object.entries(dimensions).flat()],
            ['AWS/Events', 'FailedInvocations', ...Object.entries(dimensions).flat()],
          ]),
          0,
          26,
        ),
        widget(
          'Workflows',
          [names.redriveStateMachine, names.reconciliationStateMachine].flatMap((machine) => [
            ['AWS/States', 'ExecutionsStarted', 'StateMachineArn', names.stateMachineArn(machine)],
            ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', names.stateMachineArn(machine)],
          ]),
          12,
          20,
        ),
      ],
    };
  }
}
