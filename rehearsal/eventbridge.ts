/**
 * EventBridge as synthesized (REH-1): the custom bus and the default bus, each rule's `event_pattern`
 * (rehearsal/event-pattern.ts) and its targets. A matching event is delivered to every target of
 * every enabled rule of its bus:
 * - an SQS queue (the body is the whole event, as EventBridge sends it), authorised as
 *   `events.amazonaws.com` with the rule as `aws:SourceArn` against the queue's policy and key;
 * - a Lambda function (an asynchronous invocation), authorised against its resource policy;
 * - an SNS topic (recorded).
 * A delivery EventBridge may not make goes, as on AWS, to the target's dead-letter queue (with
 * the error code) and is reported.
 */
import { randomUUID } from 'node:crypto';
import type { Deployment, RuleDefinition, RuleTarget } from './deployment';
import { matchesEventPattern } from './event-pattern';
import type { ApiRequest, CallPrincipal } from './iam/contract';
import { putEventsEntrySize, type Meter } from './metering';
import type { Queue, QueueService, SqsMessage } from './sqs';

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string | number;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface DeliveryFailure {
  rule: string;
  target: string;
  errorCode: string;
  message: string;
}

export interface EventBridgeDeps {
  deployment: Pick<Deployment, 'region' | 'account' | 'rules' | 'buses'>;
  queues: QueueService;
  /** Authorises `request` for `principal`; returns the denial message, or undefined when allowed. */
  authorize(principal: CallPrincipal, request: ApiRequest, caller: string, context?: Record<string, string>): string | undefined;
  invokeAsync(functionArn: string, event: unknown, origin: string): void;
  publishSns(topicArn: string, message: string, origin: string): void;
  /** Called for every message delivered to a queue (duplicate-delivery injection). */
  onQueueDelivery?(queue: Queue, message: SqsMessage): void;
}

const EVENTS: CallPrincipal = { kind: 'service', service: 'events.amazonaws.com' };

export function eventTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export class EventBridgeService {
  readonly counters = { putEvents: 0, entries: 0, matched: 0, unmatched: 0, deliveries: 0, failedEntries: 0 };
  readonly perRule = new Map<string, number>();
  readonly deliveryFailures: DeliveryFailure[] = [];
  /** COST-1: counts PutEvents calls, events per bus, deliveries and archived bytes while recording. */
  meter?: Meter;
  /** Loss injection (FLOW-1..3): an event for which this answers true is accepted and then lost before any rule sees it. */
  drop?: (bus: string, event: BusEvent, origin: string) => boolean;
  readonly dropped: { bus: string; detailType: string; origin: string }[] = [];

  constructor(private readonly deps: EventBridgeDeps) {}

  private busName(reference: string | undefined): string {
    if (!reference) return 'default';
    return reference.startsWith('arn:') ? (reference.split('event-bus/')[1] ?? reference) : reference;
  }

  private busExists(name: string): boolean {
    return name === 'default' || this.deps.deployment.buses.some((bus) => bus.name === name);
  }

  /** PutEvents (already authorised for the caller): one result per entry, in order. */
  putEvents(entries: readonly PutEventsEntry[], origin: string): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    this.counters.putEvents += 1;
    this.meter?.putEventsRequest(this.busName(entries[0]?.EventBusName));
    const results: PutEventsResultEntry[] = [];
    for (const entry of entries) {
      this.counters.entries += 1;
      const result = this.putOne(entry, origin);
      if (result.ErrorCode) this.counters.failedEntries += 1;
      results.push(result);
    }
    return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
  }

  private putOne(entry: PutEventsEntry, origin: string): PutEventsResultEntry {
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter(s) Source, DetailType and Detail are required' };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const size = Buffer.byteLength(entry.Detail) + Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType);
    if (size > 256 * 1024) return { ErrorCode: 'InvalidArgument', ErrorMessage: `Total size of the entries in the request is over the limit (${size} bytes)` };
    const bus = this.busName(entry.EventBusName);
    if (!this.busExists(bus)) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.deps.deployment.account,
      time: eventTime(entry.Time ? new Date(entry.Time) : new Date()),
      region: this.deps.deployment.region,
      resources: entry.Resources ?? [],
      detail,
    };
    this.meter?.customEvent(bus, putEventsEntrySize(entry));
    this.route(bus, event, origin);
    return { EventId: event.id };
  }

  /** Routes an event on `bus` to the targets of every matching rule. */
  route(bus: string, event: BusEvent, origin: string): number {
    this.meter?.routedEvent(bus, event as unknown as { source: string } & Record<string, unknown>);
    if (this.drop?.(bus, event, origin)) {
      this.dropped.push({ bus, detailType: event['detail-type'], origin });
      return 0;
    }
    let matched = 0;
    for (const rule of this.deps.deployment.rules) {
      if (rule.busName !== bus || !rule.enabled || !matchesEventPattern(rule.pattern, event)) continue;
      matched += 1;
      this.perRule.set(rule.name, (this.perRule.get(rule.name) ?? 0) + 1);
      for (const target of rule.targets) this.deliver(rule, target, event, origin);
    }
    if (matched > 0) this.counters.matched += 1;
    else this.counters.unmatched += 1;
    return matched;
  }

  private deliver(rule: RuleDefinition, target: RuleTarget, event: BusEvent, origin: string): void {
    this.counters.deliveries += 1;
    const payload = target.input !== undefined ? target.input : JSON.stringify(event);
    const context = { 'aws:SourceArn': rule.arn, 'aws:SourceAccount': this.deps.deployment.account };
    const caller = `EventBridge rule ${rule.name} → target ${target.targetId}`;
    const service = target.arn.split(':')[2];
    this.meter?.ruleDelivery(rule.busName, rule.name, service ?? 'unknown');
    let denial: string | undefined;
    if (service === 'sqs') {
      const queue = this.deps.queues.byArn(target.arn);
      if (!queue) return this.fail(rule, target, event, 'ResourceNotFound', `queue ${target.arn} is not deployed`);
      denial = this.deps.authorize(EVENTS, { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: queue.definition.url, MessageBody: payload } }, caller, context);
      if (denial) return this.fail(rule, target, event, 'NO_PERMISSIONS', denial);
      this.meter?.sqsRequest(queue.name, 'send', 'events.amazonaws.com', [Buffer.byteLength(payload)]);
      const message = queue.send(payload, `rule ${rule.name}`);
      this.deps.onQueueDelivery?.(queue, message);
      return;
    }
    if (service === 'lambda') {
      denial = this.deps.authorize(EVENTS, { service: 'lambda', operation: 'Invoke', input: { FunctionName: target.arn, InvocationType: 'Event' } }, caller, context);
      if (denial) return this.fail(rule, target, event, 'NO_PERMISSIONS', denial);
      this.deps.invokeAsync(target.arn, JSON.parse(payload), `rule ${rule.name} (from ${origin})`);
      return;
    }
    if (service === 'sns') {
      denial = this.deps.authorize(EVENTS, { service: 'sns', operation: 'Publish', input: { TopicArn: target.arn, Message: payload } }, caller, context);
      if (denial) return this.fail(rule, target, event, 'NO_PERMISSIONS', denial);
      this.deps.publishSns(target.arn, payload, `rule ${rule.name}`);
      return;
    }
    this.fail(rule, target, event, 'UnsupportedTarget', `the rehearsal has no stand-in for target ${target.arn}`);
  }

  private fail(rule: RuleDefinition, target: RuleTarget, event: BusEvent, errorCode: string, message: string): void {
    this.deliveryFailures.push({ rule: rule.name, target: target.arn, errorCode, message });
    if (!target.deadLetterArn) return;
    const dlq = this.deps.queues.byArn(target.deadLetterArn);
    if (!dlq) return;
    const denial = this.deps.authorize(EVENTS, { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: dlq.definition.url } }, `EventBridge rule ${rule.name} dead-letter queue`, {
      'aws:SourceArn': rule.arn,
      'aws:SourceAccount': this.deps.deployment.account,
    });
    if (denial) return;
    this.meter?.sqsRequest(dlq.name, 'send', 'events.amazonaws.com', [Buffer.byteLength(JSON.stringify(event))]);
    const letter = dlq.send(JSON.stringify(event), `rule ${rule.name} delivery failure`, {
      RULE_ARN: { DataType: 'String', StringValue: rule.arn },
      TARGET_ARN: { DataType: 'String', StringValue: target.arn },
      ERROR_CODE: { DataType: 'String', StringValue: errorCode },
      ERROR_MESSAGE: { DataType: 'String', StringValue: message.slice(0, 256) },
    });
    dlq.deadLetters.push(letter);
  }
}
