/**
 * Every route of THE routes module (src/routes.ts) for the environment's topology (FUSE-1:
 * `routesFor`) became exactly one EventBridge rule on the environment's bus, whose only target is
 * the route's SQS queue, consumed by the route's consumer function with the route's batch
 * settings, and nothing else routes events on the bus. The authorisation Pipe delivers where
 * `authorisationEntry` says: the fused hot path's queue, or the bus (staged).
 */
import fc from 'fast-check';
import { authorisationEntry, matchesPattern, OUTWARD_NOTIFY_ROUTE, routesFor, type EventPattern, type Route } from '../../src/routes';
import { ALL_EVENT_TYPES } from '../../src/domain/events';
import { NOTIFICATION_ROUTES } from '../../src/notify/mapping';
import { Names } from '../../stacks/naming';
import { SYNTHESIZED_SCOPES, cleanupSynth, model } from './support/synth';
import { block, list, statementsOf, type Json, type Resource, type SynthModel } from './support/model';

afterAll(cleanupSynth);

function one<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

describe.each(SYNTHESIZED_SCOPES)('%s', (scope, config) => {
  const names = Names.of(config);
  const routes = routesFor(config.runtime.topology);
  let m: SynthModel;
  beforeAll(() => {
    m = model(scope);
  });

  test("the bus carries exactly one rule per route; the others notify: a topic (operations) and the notifier's queue, no hot-path consumer", () => {
    const busRules = m.of('aws_cloudwatch_event_rule').filter((rule) => rule.config.event_bus_name === names.busName);
    expect(busRules.map((rule) => rule.config.name).sort()).toEqual(
      [...routes.map((route) => names.routeRuleName(route)), names.postingFailureRuleName, names.routeRuleName(OUTWARD_NOTIFY_ROUTE)].sort(),
    );
    const notify = busRules.find((rule) => rule.config.name === names.postingFailureRuleName)!;
    const targets = m.of('aws_cloudwatch_event_target').filter((target) => m.refs(target, target.config.rule).includes(notify.address));
    expect(targets.map((target) => target.config.arn)).toEqual([names.topicArn('posting-notifications')]);
  });

  test("NOTIFY-1, HOOK-2: the outward rule matches exactly the mapping's events (and outcomes) and sends them to the notifier's queue only, which admits only that rule", () => {
    const rule = one(
      m.of('aws_cloudwatch_event_rule').filter((candidate) => candidate.config.name === names.routeRuleName(OUTWARD_NOTIFY_ROUTE)),
      'the outward rule',
    );
    const pattern = JSON.parse(String(rule.config.event_pattern)) as EventPattern;
    expect(pattern).toEqual(OUTWARD_NOTIFY_ROUTE.eventPattern);
    // Generated events: the rule matches an event exactly when the mapping routes it (NOTIFICATION_ROUTES, the one definition).
    const types = [...new Set([...ALL_EVENT_TYPES, ...NOTIFICATION_ROUTES.map((route) => route.event)])];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.constantFrom('approve', 'decline', 'review', 'reject'), (type, outcome) => {
        const event = { 'detail-type': type, source: 'ledgerline.test', detail: { type, data: { decision: { outcome } } } };
        const routed = NOTIFICATION_ROUTES.some((route) => route.event === type && (route.when === undefined || route.when === `decision.outcome = ${outcome}`));
        expect([type, outcome, matchesPattern(pattern, event as never)]).toEqual([type, outcome, routed]);
      }),
      { numRuns: 300 },
    );
    const targets = m.of('aws_cloudwatch_event_target').filter((target) => m.refs(target, target.config.rule).includes(rule.address));
    expect(targets).toHaveLength(1);
    const queue = one(
      m.of('aws_sqs_queue').filter((candidate) => candidate.config.name === names.notifyQueueName),
      'the notify queue',
    );
    expect(m.refs(targets[0]!, targets[0]!.config.arn)).toEqual([queue.address]);
    expect(block(targets[0]!.config.dead_letter_config)?.arn).toBe(names.queueArn(names.busDeliveryDlqName));
    const policy = one(
      m.of('aws_sqs_queue_policy').filter((candidate) => m.refs(candidate, candidate.config.queue_url).some((ref) => ref.startsWith(queue.address))),
      'the notify queue policy',
    );
    const sends = statementsOf(policy.config.policy).filter((statement) => statement.Effect === 'Allow');
    expect(sends.map((statement) => [statement.Action, (statement.Condition?.ArnEquals as Json)['aws:SourceArn']])).toEqual([['sqs:SendMessage', [names.routeRuleArn(OUTWARD_NOTIFY_ROUTE)]]]);
  });

  test('the Pipe delivers authorisations where authorisationEntry says, and its role may send there and nowhere else', () => {
    const entry = authorisationEntry(config.runtime.topology);
    const pipe = m.of('aws_pipes_pipe')[0]!;
    const target = entry.kind === 'queue' ? names.queueArn(names.routeQueueName(entry.route)) : names.busArn;
    expect(pipe.config.target).toBe(target);
    const role = m.of('aws_iam_role').find((candidate) => candidate.config.name === names.roleName('pipe-authorisations'))!;
    const policy = m.of('aws_iam_role_policy').find((candidate) => m.refs(candidate, candidate.config.role).includes(role.address))!;
    const statements = statementsOf(policy.config.policy);
    const sends = statements
      .filter((statement) => list(statement.Action).some((action) => action === 'sqs:SendMessage' || action === 'events:PutEvents'))
      .flatMap((statement) => list(statement.Resource));
    expect(sends.sort()).toEqual([target, names.queueArn(names.pipeDlqName)].sort());
  });

  describe.each(routes.map((route) => [route.name, route] as const))('route %s', (_route, route: Route) => {
    let rule: Resource;
    let queue: Resource;
    beforeAll(() => {
      rule = one(
        m.of('aws_cloudwatch_event_rule').filter((candidate) => candidate.config.name === names.routeRuleName(route)),
        `rule for ${route.name}`,
      );
      queue = one(
        m.of('aws_sqs_queue').filter((candidate) => candidate.config.name === names.routeQueueName(route)),
        `queue for ${route.name}`,
      );
    });

    test('the rule matches exactly the route pattern on the environment bus', () => {
      expect(rule.config.event_bus_name).toBe(names.busName);
      expect(JSON.parse(String(rule.config.event_pattern))).toEqual(route.eventPattern);
      expect(rule.config.state).toBe('ENABLED');
    });

    test("the rule's only target is the route's queue, with a DLQ and a retry policy", () => {
      const targets = m.of('aws_cloudwatch_event_target').filter((target) => m.refs(target, target.config.rule).includes(rule.address));
      const target = one(targets, `target of ${route.name}`);
      expect(target.config.arn).toBe(names.queueArn(String(queue.config.name)));
      expect(block(target.config.dead_letter_config)?.arn).toBe(names.queueArn(names.busDeliveryDlqName));
      expect(block(target.config.retry_policy)?.maximum_retry_attempts).toBeGreaterThan(0);
    });

    test('the queue lets only this rule send, and dead-letters after the route maxReceiveCount', () => {
      const policy = one(m.attachedTo(queue, 'aws_sqs_queue_policy', 'queue_url'), 'queue policy');
      const statements = JSON.parse(String(policy.config.policy)).Statement as Array<{ Effect: string; Principal?: { Service?: string }; Condition?: { ArnEquals?: Record<string, string[]> } }>;
      const send = one(
        statements.filter((statement) => statement.Effect === 'Allow'),
        'allow statement',
      );
      expect(send.Principal?.Service).toBe('events.amazonaws.com');
      expect(send.Condition?.ArnEquals?.['aws:SourceArn']).toEqual([names.routeRuleArn(route)]);
      const redrive = JSON.parse(String(queue.config.redrive_policy)) as { maxReceiveCount: number; deadLetterTargetArn: string };
      expect(redrive.maxReceiveCount).toBe(route.queue.maxReceiveCount);
      expect(m.refs(queue, redrive.deadLetterTargetArn)).toHaveLength(1);
    });

    test("the queue feeds the route's consumer with the route's batch settings", () => {
      const mapping = one(
        m.of('aws_lambda_event_source_mapping').filter((candidate) => candidate.config.event_source_arn === names.queueArn(String(queue.config.name))),
        `event-source mapping of ${route.name}`,
      );
      const consumer = m.get(one(m.refs(mapping, mapping.config.function_name), 'consumer ref'))!;
      expect(consumer.config.function_name).toBe(names.functionName(route.consumer));
      expect(mapping.config.batch_size).toBe(route.queue.batchSize);
      expect(mapping.config.maximum_batching_window_in_seconds).toBe(route.queue.maxBatchingWindowSeconds);
      expect(mapping.config.function_response_types).toEqual(['ReportBatchItemFailures']);
      expect(queue.config.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * Number(consumer.config.timeout));
    });

    test('the consumer may read only its own queue', () => {
      const consumer = one(
        m.of('aws_lambda_function').filter((fn) => fn.config.function_name === names.functionName(route.consumer)),
        'consumer',
      );
      const policy = one(
        m.of('aws_iam_role_policy').filter((candidate) => m.refs(candidate, candidate.config.role).some((ref) => m.refs(consumer, consumer.config.role).includes(ref))),
        'consumer role policy',
      );
      const receive = JSON.parse(String(policy.config.policy)).Statement.filter((statement: { Action: string[] }) => statement.Action.includes('sqs:ReceiveMessage'));
      expect(receive).toHaveLength(1);
      expect(receive[0].Resource).toEqual([names.queueArn(names.routeQueueName(route))]);
    });
  });
});
