/**
 * Standard SQS queues as synthesized (NFR3: retries and dead letters as deployed): at-least-once delivery, a visibility timeout per queue, an
 * ApproximateReceiveCount per message, and the redrive policy (a message received more than
 * `maxReceiveCount` times moves to the dead-letter queue instead of being delivered).
 *
 * Time is the rehearsal's clock (`VirtualClock`): real time plus whatever the rehearsal skipped
 * while every worker was idle and only invisible messages were left (a 181 s visibility timeout
 * then costs nothing but is still honoured in order).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { QueueDefinition } from './deployment';
import type { Meter } from './metering';

export class VirtualClock {
  private skewMs = 0;
  /** Milliseconds skipped so far. */
  get skipped(): number {
    return this.skewMs;
  }
  now(): number {
    return Date.now() + this.skewMs;
  }
  /** Moves the clock forward to `at` (never backwards). */
  advanceTo(at: number): void {
    const delta = at - this.now();
    if (delta > 0) this.skewMs += delta;
  }
}

export interface SqsMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, { DataType: string; StringValue?: string }>;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** Where the message came from (for the report). */
  origin: string;
}

export interface QueueCounters {
  sent: number;
  received: number;
  deleted: number;
  redelivered: number;
  movedToDlq: number;
  duplicatesInjected: number;
  visibilityExpiriesInjected: number;
}

export class Queue {
  readonly messages: SqsMessage[] = [];
  readonly inFlight = new Map<string, SqsMessage>();
  readonly counters: QueueCounters = { sent: 0, received: 0, deleted: 0, redelivered: 0, movedToDlq: 0, duplicatesInjected: 0, visibilityExpiriesInjected: 0 };
  /** Messages that reached this queue as a dead-letter queue. */
  readonly deadLetters: SqsMessage[] = [];
  private readonly waiters = new Set<() => void>();
  /** COST-1: counts the messages enqueued while recording (send requests are counted by their callers). */
  meter?: Meter;
  /** Loss injection (FLOW-1..3): a message sent for which this answers true is acknowledged to its sender, then lost. */
  lose?: (body: string, origin: string) => boolean;
  /** The messages lost by `lose` (never delivered, never duplicated). */
  readonly lost: SqsMessage[] = [];

  constructor(
    readonly definition: QueueDefinition,
    private readonly clock: VirtualClock,
    private readonly resolveQueue: (arn: string) => Queue | undefined,
  ) {}

  get name(): string {
    return this.definition.name;
  }

  /** The queue's clock (virtual: see VirtualClock). */
  now(): number {
    return this.clock.now();
  }

  send(body: string, origin: string, messageAttributes: SqsMessage['messageAttributes'] = {}): SqsMessage {
    return this.enqueue(body, origin, messageAttributes, true, this.lose?.(body, origin) === true);
  }

  /** `billed`: a send request put it here (not a dead-letter move, not an injected duplicate delivery). */
  private enqueue(body: string, origin: string, messageAttributes: SqsMessage['messageAttributes'], billed: boolean, lost = false): SqsMessage {
    this.meter?.sqsMessage(this.name, Buffer.byteLength(body), billed, origin);
    const now = this.clock.now();
    const message: SqsMessage = {
      messageId: randomUUID(),
      receiptHandle: '',
      body,
      md5OfBody: createHash('md5').update(body).digest('hex'),
      attributes: { SentTimestamp: String(now), SenderId: origin },
      messageAttributes,
      sentAt: now,
      visibleAt: now,
      receiveCount: 0,
      origin,
    };
    this.counters.sent += 1;
    if (lost) {
      this.lost.push(message);
      return message;
    }
    this.messages.push(message);
    this.wake();
    return message;
  }

  /** A standard queue may deliver a message twice: a second copy of `message` (new message id). */
  duplicate(message: SqsMessage): void {
    if (this.lost.includes(message)) return;
    this.enqueue(message.body, `${message.origin} (duplicate delivery)`, message.messageAttributes, false);
    this.counters.sent -= 1;
    this.counters.duplicatesInjected += 1;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves when a message may be visible (or after `ms`). */
  waitForMessages(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  visibleCount(): number {
    const now = this.clock.now();
    let count = 0;
    for (const message of this.messages) if (message.visibleAt <= now) count += 1;
    return count;
  }

  /** The earliest time an invisible (in-flight) message becomes visible again. */
  nextVisibleAt(): number | undefined {
    const now = this.clock.now();
    let next: number | undefined;
    for (const message of this.messages) if (message.visibleAt > now && (next === undefined || message.visibleAt < next)) next = message.visibleAt;
    return next;
  }

  get depth(): number {
    return this.messages.length;
  }

  /** ReceiveMessage: up to `max` visible messages, each hidden for the visibility timeout. */
  receive(max: number, visibilityTimeoutSeconds = this.definition.visibilityTimeoutSeconds): SqsMessage[] {
    const now = this.clock.now();
    const batch: SqsMessage[] = [];
    for (let i = 0; i < this.messages.length && batch.length < max;) {
      const message = this.messages[i]!;
      if (message.visibleAt > now) {
        i += 1;
        continue;
      }
      const redrive = this.definition.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        // SQS moves a message that already used maxReceiveCount receives to the DLQ.
        this.messages.splice(i, 1);
        this.moveToDeadLetterQueue(message, redrive.deadLetterTargetArn);
        continue;
      }
      if (message.receiveCount > 0) this.counters.redelivered += 1;
      message.receiveCount += 1;
      message.firstReceiveAt ??= now;
      message.visibleAt = now + visibilityTimeoutSeconds * 1000;
      message.receiptHandle = randomUUID();
      this.inFlight.set(message.receiptHandle, message);
      this.counters.received += 1;
      batch.push(message);
      i += 1;
    }
    return batch;
  }

  private moveToDeadLetterQueue(message: SqsMessage, dlqArn: string): void {
    const dlq = this.resolveQueue(dlqArn);
    if (!dlq) throw new Error(`queue ${this.name}: its redrive policy names ${dlqArn}, which the deployment does not create`);
    this.counters.movedToDlq += 1;
    const moved = dlq.enqueue(message.body, `${this.name} after ${message.receiveCount} receives`, message.messageAttributes, false);
    dlq.deadLetters.push(moved);
  }

  /** DeleteMessage; false when the receipt handle is stale (the message was received again since). */
  delete(receiptHandle: string): boolean {
    const message = this.inFlight.get(receiptHandle);
    if (!message) return false;
    this.inFlight.delete(receiptHandle);
    const index = this.messages.indexOf(message);
    if (index < 0 || message.receiptHandle !== receiptHandle) return false;
    this.messages.splice(index, 1);
    this.counters.deleted += 1;
    return true;
  }

  /** ChangeMessageVisibility. */
  changeVisibility(receiptHandle: string, seconds: number): boolean {
    const message = this.inFlight.get(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle) return false;
    message.visibleAt = this.clock.now() + seconds * 1000;
    if (seconds === 0) this.wake();
    return true;
  }

  /** The Lambda SQS record attributes of a received message. */
  static recordAttributes(message: SqsMessage): Record<string, string> {
    return {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: message.attributes.SentTimestamp!,
      SenderId: message.attributes.SenderId!,
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
    };
  }
}

export class QueueService {
  readonly queues = new Map<string, Queue>();
  private readonly byUrl = new Map<string, Queue>();
  private readonly byName = new Map<string, Queue>();

  constructor(
    definitions: readonly QueueDefinition[],
    readonly clock: VirtualClock,
  ) {
    for (const definition of definitions) {
      const queue = new Queue(definition, clock, (arn) => this.queues.get(arn));
      this.queues.set(definition.arn, queue);
      this.byUrl.set(definition.url, queue);
      this.byName.set(definition.name, queue);
    }
  }

  byArn(arn: string): Queue | undefined {
    return this.queues.get(arn);
  }

  /** A queue by URL (any host: the SDK may rewrite it to the endpoint) or name. */
  byUrlOrName(reference: string): Queue | undefined {
    const exact = this.byUrl.get(reference) ?? this.byName.get(reference);
    if (exact) return exact;
    const name = reference.split('/').pop();
    return name ? this.byName.get(name) : undefined;
  }

  /** The earliest time any invisible message of `queues` becomes visible. */
  nextVisibleAt(queues: Iterable<Queue> = this.queues.values()): number | undefined {
    let next: number | undefined;
    for (const queue of queues) {
      const at = queue.nextVisibleAt();
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }
}
