/**
 * The embedded event bus: routes every published event with the single routes module
 * (src/routes.ts) into in-memory SQS-like queues, one per consumer, exactly as the EventBridge
 * rules do on AWS. A queue message's body is the EventBridge event JSON, as SQS delivers it.
 */
import type { SQSRecord } from 'aws-lambda';
import type { LedgerEvent } from '../domain/events';
import type { EventPublisher } from '../ports';
import type { BusEvent, ConsumerName, Route } from '../routes';
import { matchingRoutes, ROUTES } from '../routes';
import { PARSED_BODY } from '../lambda/sqs-consumer';

export interface QueuedMessage {
  messageId: string;
  /** The EventBridge event, as SQS would carry it in the body. */
  busEvent: BusEvent;
  /** Present when the bus serialises (AWS-identical JSON path); absent on the in-process fast path. */
  body?: string;
  receiveCount: number;
}

export interface BusOptions {
  /**
   * true: every message body is the JSON text and every consumer parses it, exactly as on AWS.
   * false (default): in-process fast path; the parsed event travels with the record, and the
   * consumer still schema-validates it. Events are immutable values, so sharing is safe.
   */
  serialise?: boolean;
}

export type EventObserver = (event: LedgerEvent) => void;

export function toBusEvent(event: LedgerEvent): BusEvent & Record<string, unknown> {
  return {
    version: '0',
    id: event.id,
    'detail-type': event.type,
    source: event.source,
    account: '000000000000',
    time: event.occurredAt,
    region: 'local',
    resources: [],
    detail: event,
  };
}

export class EmbeddedBus implements EventPublisher {
  private readonly queues = new Map<ConsumerName, QueuedMessage[]>();
  private readonly observers: EventObserver[] = [];
  private sequence = 0;

  constructor(
    readonly routes: readonly Route[] = ROUTES,
    private readonly options: BusOptions = {},
  ) {
    for (const route of routes) this.queues.set(route.consumer, []);
  }

  observe(observer: EventObserver): void {
    this.observers.push(observer);
  }

  async publish(events: readonly LedgerEvent[]): Promise<void> {
    this.enqueue(events, false);
  }

  /**
   * Publishes ahead of every queued message, in the order given: a re-driven payment goes before
   * the later payments of its card still waiting (CHAOS-1), as a failed receive does (`requeue`).
   */
  async publishFirst(events: readonly LedgerEvent[]): Promise<void> {
    this.enqueue(events, true);
  }

  private enqueue(events: readonly LedgerEvent[], first: boolean): void {
    const ahead = new Map<ConsumerName, QueuedMessage[]>();
    for (const event of events) {
      for (const observer of this.observers) observer(event);
      const busEvent = toBusEvent(event);
      const targets = matchingRoutes(busEvent, this.routes);
      if (targets.length === 0) continue;
      const body = this.options.serialise ? JSON.stringify(busEvent) : undefined;
      for (const route of targets) {
        this.sequence += 1;
        const message: QueuedMessage = { messageId: `${route.name}-${this.sequence}`, busEvent, body, receiveCount: 0 };
        if (!first) {
          this.queues.get(route.consumer)!.push(message);
          continue;
        }
        let messages = ahead.get(route.consumer);
        if (!messages) ahead.set(route.consumer, (messages = []));
        messages.push(message);
      }
    }
    for (const [consumer, messages] of ahead) this.queues.get(consumer)!.unshift(...messages);
  }

  /** Takes up to `max` messages from a consumer's queue (a receive). */
  receive(consumer: ConsumerName, max: number): QueuedMessage[] {
    const queue = this.queues.get(consumer)!;
    return queue.splice(0, Math.min(max, queue.length));
  }

  /** Puts messages back (a failed receive becomes visible again). */
  requeue(consumer: ConsumerName, messages: readonly QueuedMessage[]): void {
    this.queues.get(consumer)!.unshift(...messages);
  }
}

const RECORD_ATTRIBUTES = Object.freeze({ ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'ledgerline-embedded', ApproximateFirstReceiveTimestamp: '0' });

/**
 * An SQS record of the in-process fast path: the parsed bus event rides along (PARSED_BODY) and
 * `body` serialises on demand, so a handler reading the body still sees exactly the SQS JSON.
 */
class EmbeddedSqsRecord {
  readonly messageAttributes = {};
  readonly md5OfBody = '';
  readonly eventSource = 'aws:sqs';
  readonly awsRegion = 'local';
  readonly attributes: SQSRecord['attributes'];
  readonly receiptHandle: string;
  readonly [PARSED_BODY]: BusEvent;

  constructor(
    readonly messageId: string,
    busEvent: BusEvent,
    receiveCount: number,
    readonly eventSourceARN: string,
  ) {
    this.receiptHandle = messageId;
    this[PARSED_BODY] = busEvent;
    this.attributes = receiveCount === 1 ? RECORD_ATTRIBUTES : { ...RECORD_ATTRIBUTES, ApproximateReceiveCount: String(receiveCount) };
  }

  get body(): string {
    return JSON.stringify(this[PARSED_BODY]);
  }
}

const queueArns = new Map<string, string>();
function queueArn(route: Route): string {
  let arn = queueArns.get(route.name);
  if (!arn) queueArns.set(route.name, (arn = `arn:aws:sqs:local:000000000000:${route.name}-queue`));
  return arn;
}

export function toSqsRecord(message: QueuedMessage, route: Route): SQSRecord {
  if (message.body === undefined) return new EmbeddedSqsRecord(message.messageId, message.busEvent, message.receiveCount, queueArn(route)) as unknown as SQSRecord;
  return {
    messageId: message.messageId,
    receiptHandle: message.messageId,
    body: message.body,
    attributes: { ...RECORD_ATTRIBUTES, ApproximateReceiveCount: String(message.receiveCount) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn(route),
    awsRegion: 'local',
  };
}
