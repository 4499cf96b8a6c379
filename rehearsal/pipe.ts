/**
 * An EventBridge Pipe with a DynamoDB stream source, as synthesized (FR1): the source filter
 * (`filter_criteria`, EventBridge pattern semantics on the stream record), batches of
 * `batch_size` gathered for at most `maximum_batching_window_in_seconds`, `parallelization_factor`
 * concurrent batches (records of one item key stay in order), the enrichment function invoked
 * with the batch, and each element it returns delivered to the target: put on a bus with the
 * synthesized detail-type / source paths, or (FUSE-1, fused) sent to an SQS queue as one message
 * whose body is the element's JSON. A failed batch is split in halves (AUTOMATIC_BISECT) until the
 * failing record stands alone; that one is retried `maximum_retry_attempts` times and then its
 * batch information goes to the Pipe's dead-letter queue, as the Pipe does for stream sources.
 * Every call the Pipe makes is authorised as its synthesized role.
 */
import type { PipeDefinition } from './deployment';
import type { StreamRecord } from './dynamo';
import { matchesEventPattern } from './event-pattern';
import type { PutEventsEntry } from './eventbridge';
import type { ApiRequest, CallPrincipal } from './iam/contract';
import type { Queue, QueueService, SqsMessage } from './sqs';

export interface PipeDeps {
  authorize(principal: CallPrincipal, request: ApiRequest, caller: string): string | undefined;
  invoke(functionArn: string, event: unknown, caller: string): Promise<{ ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string }>;
  putEvents(entries: PutEventsEntry[], caller: string): { FailedEntryCount: number; Entries: { ErrorCode?: string; ErrorMessage?: string }[] };
  queues: QueueService;
  /** Each message the Pipe sends to an SQS target (the rehearsal's at-least-once injection hooks here). */
  onQueueDelivery?(queue: Queue, message: SqsMessage): void;
}

export interface PipeCounters {
  records: number;
  filteredOut: number;
  batches: number;
  enrichmentInvocations: number;
  enrichmentFailures: number;
  bisections: number;
  retries: number;
  /** Elements delivered to the target (bus events or queue messages). */
  events: number;
  deadLettered: number;
}

function jsonPath(path: string | undefined, value: unknown): unknown {
  if (!path) return undefined;
  if (!path.startsWith('$.')) return path;
  let current: unknown = value;
  for (const part of path.slice(2).split('.')) current = current && typeof current === 'object' ? (current as Record<string, unknown>)[part] : undefined;
  return current;
}

function isQueueArn(arn: string): boolean {
  return arn.startsWith('arn:aws:sqs:');
}

export class PipeRunner {
  readonly counters: PipeCounters = { records: 0, filteredOut: 0, batches: 0, enrichmentInvocations: 0, enrichmentFailures: 0, bisections: 0, retries: 0, events: 0, deadLettered: 0 };
  readonly failures: { reason: string; records: number; firstSequenceNumber: string }[] = [];
  private readonly lanes: StreamRecord[][];
  private readonly busy: boolean[];
  private readonly timers: (NodeJS.Timeout | undefined)[];
  private readonly principal: CallPrincipal;
  private readonly caller: string;
  private active = 0;
  private flushing = false;

  constructor(
    readonly definition: PipeDefinition,
    private readonly deps: PipeDeps,
  ) {
    const lanes = Math.max(1, definition.parallelizationFactor);
    this.lanes = Array.from({ length: lanes }, () => []);
    this.busy = Array.from({ length: lanes }, () => false);
    this.timers = Array.from({ length: lanes }, () => undefined);
    this.principal = { kind: 'role', roleName: definition.roleName };
    this.caller = `pipe ${definition.name}`;
  }

  /** Records waiting or being processed. */
  get pending(): number {
    return this.lanes.reduce((n, lane) => n + lane.length, 0) + this.active;
  }

  /** Delivers everything without waiting for batching windows (end of traffic). */
  flush(): void {
    this.flushing = true;
    for (let lane = 0; lane < this.lanes.length; lane += 1) this.pump(lane);
  }

  /** A stream record from the source table. */
  accept(record: StreamRecord): void {
    this.counters.records += 1;
    if (this.definition.filterPatterns.length > 0 && !this.definition.filterPatterns.some((pattern) => matchesEventPattern(pattern, record))) {
      this.counters.filteredOut += 1;
      return;
    }
    const key = JSON.stringify(record.dynamodb.Keys);
    let hash = 0;
    for (let i = 0; i < key.length; i += 1) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
    const lane = hash % this.lanes.length;
    this.lanes[lane]!.push(record);
    this.pump(lane);
  }

  private pump(lane: number): void {
    if (this.busy[lane]) return;
    const queue = this.lanes[lane]!;
    if (queue.length === 0) return;
    if (queue.length < this.definition.batchSize && !this.flushing) {
      if (!this.timers[lane]) {
        this.timers[lane] = setTimeout(() => {
          this.timers[lane] = undefined;
          this.send(lane);
        }, this.definition.maximumBatchingWindowSeconds * 1000);
      }
      return;
    }
    this.send(lane);
  }

  private send(lane: number): void {
    if (this.busy[lane]) return;
    const queue = this.lanes[lane]!;
    if (queue.length === 0) return;
    if (this.timers[lane]) {
      clearTimeout(this.timers[lane]);
      this.timers[lane] = undefined;
    }
    const batch = queue.splice(0, this.definition.batchSize);
    this.busy[lane] = true;
    this.active += batch.length;
    this.counters.batches += 1;
    void this.process(batch)
      .catch((error: unknown) => {
        this.failures.push({ reason: `pipe runner failed: ${(error as Error).stack ?? String(error)}`, records: batch.length, firstSequenceNumber: batch[0]!.dynamodb.SequenceNumber });
      })
      .finally(() => {
        this.active -= batch.length;
        this.busy[lane] = false;
        this.pump(lane);
      });
  }

  /** Enrich + target one batch; bisect / retry / dead-letter on failure. */
  private async process(batch: StreamRecord[]): Promise<void> {
    let attempts = 0;
    for (;;) {
      const failure = await this.attempt(batch);
      if (!failure) return;
      if (batch.length > 1 && this.definition.bisectOnFailure) {
        this.counters.bisections += 1;
        const half = Math.ceil(batch.length / 2);
        await this.process(batch.slice(0, half));
        await this.process(batch.slice(half));
        return;
      }
      const limit = this.definition.maximumRetryAttempts < 0 ? Number.POSITIVE_INFINITY : this.definition.maximumRetryAttempts;
      if (attempts >= limit) {
        this.deadLetter(batch, failure);
        return;
      }
      attempts += 1;
      this.counters.retries += 1;
    }
  }

  private async attempt(batch: StreamRecord[]): Promise<string | undefined> {
    let outputs: unknown[] = batch;
    const enrichment = this.definition.enrichmentArn;
    if (enrichment) {
      const denial = this.deps.authorize(this.principal, { service: 'lambda', operation: 'Invoke', input: { FunctionName: enrichment } }, this.caller);
      if (denial) return denial;
      this.counters.enrichmentInvocations += 1;
      const outcome = await this.deps.invoke(enrichment, batch, this.caller);
      if (!outcome.ok) {
        this.counters.enrichmentFailures += 1;
        return `${outcome.errorType}: ${outcome.errorMessage}`;
      }
      if (outcome.result === null || outcome.result === undefined) outputs = [];
      else if (Array.isArray(outcome.result)) outputs = outcome.result;
      else return `enrichment returned ${typeof outcome.result}, not an array for a batch of ${batch.length}`;
    }
    if (outputs.length === 0) return undefined;
    if (isQueueArn(this.definition.targetArn)) return this.sendToQueue(outputs);
    const bus = this.definition.targetArn;
    const entries: PutEventsEntry[] = outputs.map((output) => ({
      EventBusName: bus,
      Source: String(jsonPath(this.definition.sourcePath, output) ?? 'Pipe'),
      DetailType: String(jsonPath(this.definition.detailTypePath, output) ?? 'Event from DynamoDB stream'),
      Detail: JSON.stringify(output),
    }));
    const denial = this.deps.authorize(this.principal, { service: 'events', operation: 'PutEvents', input: { Entries: entries.map((entry) => ({ EventBusName: entry.EventBusName })) } }, this.caller);
    if (denial) return denial;
    const result = this.deps.putEvents(entries, this.caller);
    this.counters.events += entries.length - result.FailedEntryCount;
    if (result.FailedEntryCount > 0) return `target PutEvents: ${result.FailedEntryCount} entries failed (${result.Entries.find((entry) => entry.ErrorCode)?.ErrorCode})`;
    return undefined;
  }

  /** An SQS target (FUSE-1): each element one message, its JSON the body, sent as the Pipe's role. */
  private sendToQueue(outputs: readonly unknown[]): string | undefined {
    const queue = this.deps.queues.byArn(this.definition.targetArn);
    if (!queue) return `target ${this.definition.targetArn}: no such queue in the deployment`;
    const denial = this.deps.authorize(this.principal, { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: queue.definition.url } }, this.caller);
    if (denial) return denial;
    for (const output of outputs) {
      const message = queue.send(JSON.stringify(output), this.caller);
      this.counters.events += 1;
      this.deps.onQueueDelivery?.(queue, message);
    }
    return undefined;
  }

  private deadLetter(batch: StreamRecord[], reason: string): void {
    this.counters.deadLettered += batch.length;
    this.failures.push({ reason, records: batch.length, firstSequenceNumber: batch[0]!.dynamodb.SequenceNumber });
    const dlqArn = this.definition.deadLetterArn;
    if (!dlqArn) return;
    const dlq = this.deps.queues.byArn(dlqArn);
    if (!dlq) return;
    const denial = this.deps.authorize(this.principal, { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: dlq.definition.url } }, `${this.caller} dead-letter queue`);
    if (denial) return;
    const first = batch[0]!;
    const last = batch[batch.length - 1]!;
    const body = {
      context: {
        partnerResourceArn: this.definition.arn,
        condition: 'RetryAttemptsExhausted',
        requestContext: { requestId: first.eventID, functionArn: this.definition.enrichmentArn },
        errorMessage: reason,
      },
      ddbStreamBatchInfo: {
        shardId: 'shardId-rehearsal-0',
        startSequenceNumber: first.dynamodb.SequenceNumber,
        endSequenceNumber: last.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.dynamodb.ApproximateCreationDateTime * 1000).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.dynamodb.ApproximateCreationDateTime * 1000).toISOString(),
        batchSize: batch.length,
        streamArn: this.definition.sourceArn,
      },
    };
    const message = dlq.send(JSON.stringify(body), `pipe ${this.definition.name} after ${this.definition.maximumRetryAttempts} retries`);
    dlq.deadLetters.push(message);
  }
}
