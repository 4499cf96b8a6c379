/**
 * EventPublisher on EventBridge: PutEvents in chunks of at most 10 entries (and 256 KB),
 * `Source` = envelope.source, `DetailType` = envelope.type, `Detail` = the whole envelope
 * (so a rule's target receives `{ 'detail-type', source, detail: envelope }`, see routes.ts).
 * Entries that fail (FailedEntryCount > 0) are retried alone, a few times, then the publish
 * fails with TransientStoreError. Throttling / 5xx / network errors also become TransientStoreError.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { LedgerEvent } from '../../domain/events';
import type { EventPublisher } from '../../ports';
import { TransientStoreError } from '../../ports';
import { awsCall, backoffMs, sleep } from './errors';

export const MAX_ENTRIES_PER_PUT = 10;
/** PutEvents request size limit (256 KB), counting Source + DetailType + Detail (+ EventBusName). */
export const MAX_PUT_BYTES = 256 * 1024;

export interface EventBridgePublisherOptions {
  client?: EventBridgeClient;
  busName: string;
  /** Attempts per entry (first try included) before TransientStoreError. */
  maxAttempts?: number;
  retryBaseDelayMs?: number;
}

function entrySize(entry: PutEventsRequestEntry): number {
  return Buffer.byteLength(entry.Source ?? '') + Buffer.byteLength(entry.DetailType ?? '') + Buffer.byteLength(entry.Detail ?? '') + Buffer.byteLength(entry.EventBusName ?? '');
}

/** Splits entries into PutEvents requests: ≤ 10 entries and ≤ 256 KB each. */
export function chunkEntries(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const chunks: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (size > MAX_PUT_BYTES) throw new Error(`event of ${size} bytes exceeds the EventBridge limit of ${MAX_PUT_BYTES}`);
    if (current.length === MAX_ENTRIES_PER_PUT || bytes + size > MAX_PUT_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly busName: string;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  constructor(options: EventBridgePublisherOptions) {
    this.client = options.client ?? new EventBridgeClient({});
    this.busName = options.busName;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 50;
  }

  toEntry(event: LedgerEvent): PutEventsRequestEntry {
    return { EventBusName: this.busName, Source: event.source, DetailType: event.type, Detail: JSON.stringify(event) };
  }

  async publish(events: readonly LedgerEvent[]): Promise<void> {
    if (events.length === 0) return;
    let pending = events.map((event) => this.toEntry(event));
    let failures: string[] = [];
    for (let attempt = 0; attempt < this.maxAttempts; attempt += 1) {
      if (attempt > 0) await sleep(backoffMs(attempt, this.retryBaseDelayMs));
      const failed: PutEventsRequestEntry[] = [];
      failures = [];
      for (const chunk of chunkEntries(pending)) {
        const output = await awsCall('EventBridge PutEvents', () => this.client.send(new PutEventsCommand({ Entries: chunk })));
        if (!output.FailedEntryCount) continue;
        chunk.forEach((entry, i) => {
          const result = output.Entries?.[i];
          if (!result || result.ErrorCode || !result.EventId) {
            failed.push(entry);
            failures.push(`${entry.DetailType}: ${result?.ErrorCode ?? 'no result'} ${result?.ErrorMessage ?? ''}`.trim());
          }
        });
      }
      if (failed.length === 0) return;
      pending = failed;
    }
    throw new TransientStoreError(`EventBridge PutEvents: ${pending.length} of ${events.length} events still failing after ${this.maxAttempts} attempts (${failures.slice(0, 5).join('; ')})`);
  }
}
