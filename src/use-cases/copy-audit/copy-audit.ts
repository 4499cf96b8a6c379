/**
 * Copies what a runtime recorded into the audit store (AUDIT-1) and verifies the store (AUDIT-2).
 *
 * copyAudit: each feed (a source read from a cursor: an embedded state's ledger, lifecycle
 * events, transaction states, workbench actions) is read in pages after its cursor; a page is
 * appended, and only then is the feed's cursor moved past it. A crash between the two re-reads
 * the page next time, and the store's idempotency (source ids) makes the second append a no-op:
 * nothing lost, nothing twice. A partition that cannot be appended stops its feed with an error
 * naming the partition, its cursor unmoved.
 *
 * verifyAuditTrail: every partition (or one), read in seq order, checked by the pure verifier.
 */
import type { PartitionedRecord } from '../../audit-trail/chain';
import { type AuditFault, type PartitionVerification, verifyPartition } from '../../audit-trail/verify';
import type { AppendResult, AuditTrailStore } from '../../ports/audit-trail';

export interface AuditFeedPage {
  records: PartitionedRecord[];
  /** The cursor after these records (unchanged when there were none). */
  next: string | undefined;
  /** Nothing more after `next` for now. */
  done: boolean;
}

/** A source the audit copies from, read after a cursor. */
export interface AuditFeed {
  /** Stable name: the key of the feed's cursor in the store. */
  name: string;
  read(cursor: string | undefined, limit: number): Promise<AuditFeedPage>;
}

export interface FeedCopy {
  feed: string;
  read: number;
  appended: number;
  duplicates: number;
  cursor: string | undefined;
}

export interface CopyAuditResult {
  feeds: FeedCopy[];
  appended: number;
  duplicates: number;
}

export class AuditAppendError extends Error {
  override name = 'AuditAppendError';
}

/** Appends records and turns partition failures into one error naming them (for callers with nothing to retry per record). */
export async function appendAll(store: AuditTrailStore, records: readonly PartitionedRecord[]): Promise<AppendResult> {
  const result = await store.append(records);
  if (result.failures.length > 0) {
    const named = result.failures.map((failure) => `${failure.partition} (${failure.sourceIds.length} record(s)): ${failure.error.message}`);
    throw new AuditAppendError(`audit append failed for ${result.failures.length} partition(s): ${named.join('; ')}`);
  }
  return result;
}

export async function copyAudit(
  deps: { store: AuditTrailStore; feeds: readonly AuditFeed[] },
  options: { pageSize?: number; fromStart?: boolean; onProgress?: (message: string) => void } = {},
): Promise<CopyAuditResult> {
  const pageSize = options.pageSize ?? 2_000;
  const feeds: FeedCopy[] = [];
  for (const feed of deps.feeds) {
    let cursor = options.fromStart ? undefined : await deps.store.cursor(feed.name);
    const copy: FeedCopy = { feed: feed.name, read: 0, appended: 0, duplicates: 0, cursor };
    for (;;) {
      const page = await feed.read(cursor, pageSize);
      if (page.records.length > 0) {
        const result = await appendAll(deps.store, page.records);
        copy.read += page.records.length;
        copy.appended += result.appended;
        copy.duplicates += result.duplicates;
      }
      if (page.next !== undefined && page.next !== cursor) {
        await deps.store.saveCursor(feed.name, page.next);
        cursor = page.next;
      }
      if (page.done || page.records.length === 0) break;
    }
    copy.cursor = cursor;
    options.onProgress?.(`${feed.name}: ${copy.read} read, ${copy.appended} appended, ${copy.duplicates} already there`);
    feeds.push(copy);
  }
  return { feeds, appended: feeds.reduce((sum, f) => sum + f.appended, 0), duplicates: feeds.reduce((sum, f) => sum + f.duplicates, 0) };
}

export interface AuditVerification {
  partitions: PartitionVerification[];
  rows: number;
  faults: AuditFault[];
  intact: boolean;
}

/** Verifies every partition (or the one named, or those under it as a prefix), each from one consistent snapshot. */
export async function verifyAuditTrail(store: AuditTrailStore, options: { partition?: string } = {}): Promise<AuditVerification> {
  const names =
    options.partition !== undefined ? (await store.partitions(options.partition)).filter((p) => p === options.partition || p.startsWith(`${options.partition}/`)) : await store.partitions();
  if (options.partition !== undefined && names.length === 0) names.push(options.partition);
  const partitions: PartitionVerification[] = [];
  for (const partition of names) {
    // The head and the rows of one snapshot: appends running meanwhile are never mistaken for gaps.
    const { head, rows } = await store.readChain(partition);
    partitions.push(verifyPartition(partition, rows, head));
  }
  const faults = partitions.flatMap((p) => p.faults);
  // A named partition that has neither head nor rows is a fault too: there is nothing to verify.
  if (options.partition !== undefined && partitions.every((p) => p.rows === 0 && p.lastSeq === 0) && (await store.head(options.partition)) === undefined) {
    faults.push({ partition: options.partition, seq: 0, kind: 'head', detail: 'no such partition (no head, no rows)' });
  }
  return { partitions, rows: partitions.reduce((sum, p) => sum + p.rows, 0), faults, intact: faults.length === 0 };
}

/** One item of a delivered batch (a stream record): its id in the batch, and its record (or why it has none). */
export type BatchItem = { itemId: string; record: PartitionedRecord } | { itemId: string; skipped: true } | { itemId: string; error: Error };

export interface BatchCopy {
  appended: number;
  duplicates: number;
  skipped: number;
  /** Items to deliver again: those that could not be read, and those of partitions that could not be appended. */
  failed: Array<{ itemId: string; reason: string }>;
}

/**
 * Copies one delivered batch (DynamoDB Streams on AWS): every readable record is appended, each
 * partition in its own transaction; an item that cannot be read, or whose partition failed, is
 * returned to be delivered again (its batch-mates are not: a re-delivery of them is a no-op anyway).
 */
export async function copyBatch(store: AuditTrailStore, items: readonly BatchItem[]): Promise<BatchCopy> {
  const failed: BatchCopy['failed'] = [];
  const records: PartitionedRecord[] = [];
  const itemsOf = new Map<string, string[]>();
  let skipped = 0;
  for (const item of items) {
    if ('error' in item) failed.push({ itemId: item.itemId, reason: item.error.message });
    else if ('skipped' in item) skipped += 1;
    else {
      records.push(item.record);
      const ids = itemsOf.get(item.record.record.sourceId) ?? [];
      ids.push(item.itemId);
      itemsOf.set(item.record.record.sourceId, ids);
    }
  }
  const result = records.length > 0 ? await store.append(records) : { appended: 0, duplicates: 0, failures: [] };
  for (const failure of result.failures) {
    for (const sourceId of failure.sourceIds) for (const itemId of itemsOf.get(sourceId) ?? []) failed.push({ itemId, reason: failure.error.message });
  }
  return { appended: result.appended, duplicates: result.duplicates, skipped, failed };
}
