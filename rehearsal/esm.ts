/**
 * A Lambda event-source mapping on an SQS queue, as synthesized (FR9: consumers see redeliveries): batches of `batch_size`
 * gathered for at most `maximum_batching_window_in_seconds`, at most `scaling_config.maximum_concurrency`
 * batches in flight (and never more than the function's reserved concurrency), the function's
 * role authorised for ReceiveMessage / DeleteMessage (the Lambda service polls with it), and
 * `ReportBatchItemFailures`: only the reported records stay on the queue; a failed invocation
 * leaves the whole batch to reappear after the visibility timeout.
 *
 * Redelivery injection (`expireVisibility`): chosen batches are processed but their
 * DeleteMessage never happens in time, as when an invocation outlives the visibility timeout;
 * the messages come back with a higher ApproximateReceiveCount.
 */
import type { EventSourceMappingDefinition } from './deployment';
import type { ApiRequest, CallPrincipal } from './iam/contract';
import type { FunctionHost } from './lambda-host';
import type { Meter } from './metering';
import { Queue, type SqsMessage } from './sqs';

export interface EsmDeps {
  authorize(principal: CallPrincipal, request: ApiRequest, caller: string): string | undefined;
  region: string;
  /** Decides, per batch, whether its deletes are "lost" (visibility-timeout expiry injection). */
  expireVisibility?(mapping: EventSourceMappingDefinition, batchNumber: number): boolean;
}

export interface EsmCounters {
  polls: number;
  batches: number;
  records: number;
  failedRecords: number;
  failedInvocations: number;
  deleted: number;
  expiredInjected: number;
  denied: number;
}

export class EventSourcePoller {
  readonly counters: EsmCounters = { polls: 0, batches: 0, records: 0, failedRecords: 0, failedInvocations: 0, deleted: 0, expiredInjected: 0, denied: 0 };
  readonly errors: string[] = [];
  private inFlight = 0;
  private running = false;
  private flushing = false;
  private loop?: Promise<void>;
  private readonly principal: CallPrincipal;
  private readonly caller: string;
  readonly cap: number;
  /** COST-1: counts each batch's receives, invocation time and deletes while recording. */
  meter?: Meter;

  constructor(
    readonly mapping: EventSourceMappingDefinition,
    readonly queue: Queue,
    readonly host: FunctionHost,
    private readonly deps: EsmDeps,
  ) {
    this.principal = { kind: 'role', roleName: host.definition.roleName };
    this.caller = `event source mapping ${queue.name} → ${host.definition.logicalName}`;
    this.cap = Math.max(0, Math.min(mapping.maximumConcurrency ?? Number.POSITIVE_INFINITY, host.limit));
  }

  get busy(): number {
    return this.inFlight;
  }

  start(): void {
    if (!this.mapping.enabled || this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stop waiting for full batches (end of traffic). */
  flush(flushing = true): void {
    this.flushing = flushing;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private async run(): Promise<void> {
    while (this.running) {
      const visible = this.queue.visibleCount();
      if (visible === 0 || this.inFlight >= this.cap) {
        await this.queue.waitForMessages(visible === 0 ? 50 : 5);
        continue;
      }
      if (visible < this.mapping.batchSize && !this.flushing && this.mapping.maximumBatchingWindowSeconds > 0) {
        // The batching window: wait for a full batch, at most the window since the oldest message.
        const oldest = this.queue.messages.find((message) => message.receiveCount === 0)?.sentAt;
        const waited = oldest === undefined ? Number.POSITIVE_INFINITY : this.queue.now() - oldest;
        if (waited < this.mapping.maximumBatchingWindowSeconds * 1000) {
          await this.queue.waitForMessages(Math.min(50, this.mapping.maximumBatchingWindowSeconds * 1000 - waited));
          continue;
        }
      }
      this.counters.polls += 1;
      const denial = this.deps.authorize(this.principal, { service: 'sqs', operation: 'ReceiveMessage', input: { QueueUrl: this.queue.definition.url } }, this.caller);
      if (denial) {
        this.counters.denied += 1;
        this.errors.push(denial);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      const batch = this.queue.receive(this.mapping.batchSize);
      if (batch.length === 0) continue;
      this.inFlight += 1;
      const batchNumber = ++this.counters.batches;
      void this.deliver(batch, batchNumber).finally(() => {
        this.inFlight -= 1;
      });
    }
  }

  private record(message: SqsMessage): Record<string, unknown> {
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: Queue.recordAttributes(message),
      messageAttributes: Object.fromEntries(
        Object.entries(message.messageAttributes).map(([name, value]) => [name, { stringValue: value.StringValue, stringListValues: [], binaryListValues: [], dataType: value.DataType }]),
      ),
      md5OfBody: message.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.queue.definition.arn,
      awsRegion: this.deps.region,
    };
  }

  private async deliver(batch: SqsMessage[], batchNumber: number): Promise<void> {
    this.counters.records += batch.length;
    const outcome = await this.host.invoke({ Records: batch.map((message) => this.record(message)) });
    let deleted = 0;
    try {
      deleted = await this.settleBatch(batch, batchNumber, outcome);
    } finally {
      this.meter?.esmBatch(
        this.queue.name,
        this.host.definition.functionName,
        this.principal.kind === 'role' ? this.principal.roleName : this.caller,
        batch.map((message) => Buffer.byteLength(message.body)),
        outcome.durationMs,
        deleted,
      );
    }
  }

  /** Applies an invocation's outcome to its batch; returns the messages deleted. */
  private async settleBatch(batch: SqsMessage[], batchNumber: number, outcome: Awaited<ReturnType<FunctionHost['invoke']>>): Promise<number> {
    if (!outcome.ok) {
      this.counters.failedInvocations += 1;
      this.counters.failedRecords += batch.length;
      this.errors.push(`${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      return 0;
    }
    let failed = new Set<string>();
    if (this.mapping.reportBatchItemFailures) {
      const response = outcome.result as { batchItemFailures?: { itemIdentifier?: string }[] } | null;
      const failures = response?.batchItemFailures;
      if (failures !== undefined && !Array.isArray(failures)) {
        this.counters.failedRecords += batch.length;
        this.errors.push('invalid ReportBatchItemFailures response: batchItemFailures is not a list');
        return 0;
      }
      const ids = new Set(batch.map((message) => message.messageId));
      for (const failure of failures ?? []) {
        if (!failure.itemIdentifier || !ids.has(failure.itemIdentifier)) {
          // Lambda treats an unknown or empty identifier as a failure of the whole batch.
          this.counters.failedRecords += batch.length;
          this.errors.push(`invalid batchItemFailures entry ${JSON.stringify(failure)}`);
          return 0;
        }
      }
      failed = new Set((failures ?? []).map((failure) => failure.itemIdentifier!));
    }
    this.counters.failedRecords += failed.size;
    if (this.deps.expireVisibility?.(this.mapping, batchNumber)) {
      this.counters.expiredInjected += 1;
      for (const message of batch) {
        if (failed.has(message.messageId)) continue;
        this.queue.counters.visibilityExpiriesInjected += 1;
      }
      return 0;
    }
    const done = batch.filter((message) => !failed.has(message.messageId));
    if (done.length === 0) return 0;
    const denial = this.deps.authorize(this.principal, { service: 'sqs', operation: 'DeleteMessageBatch', input: { QueueUrl: this.queue.definition.url } }, this.caller);
    if (denial) {
      this.counters.denied += 1;
      this.errors.push(denial);
      return 0;
    }
    for (const message of done) if (this.queue.delete(message.receiptHandle)) this.counters.deleted += 1;
    return done.length;
  }
}
