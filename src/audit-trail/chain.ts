/**
 * The per-partition hash chain (AUDIT-1), pure. Each partition's rows are numbered 1, 2, 3, …
 * and each row's hash covers the previous row's hash and the row itself:
 *
 *   rowHash(n) = lowercase hex sha256( rowHash(n − 1) ‖ canonicalRow(row n) ),  rowHash(0) = GENESIS_HASH
 *
 * so a changed, deleted, inserted or moved row breaks the chain from that row on. The partition's
 * head (its last seq and last hash) is kept beside the rows: a deleted last row shows as a head
 * pointing past the rows.
 *
 * A partition is `<source>/<UTC day of occurredAt>/<bucket>`: one chain per source per day,
 * spread over AUDIT_BUCKETS chains by a stable hash of the record's entity (a payment, a case) so
 * that appenders of one busy day do not all queue on one head; an entity's records always share
 * a chain, so its history reads in order from one partition.
 */
import { createHash } from 'node:crypto';
import { fnv1a32 } from '../domain/fnv';
import type { AuditRecord, AuditRow } from './row';
import { canonicalRow } from './row';

export const GENESIS_HASH = '0'.repeat(64);
export const AUDIT_BUCKETS = 4;

/** The head of a partition's chain: its last row's seq and hash (0 and GENESIS_HASH when empty). */
export interface ChainHead {
  partition: string;
  lastSeq: number;
  lastHash: string;
}

export function hashRow(prevHash: string, row: Omit<AuditRow, 'prevHash' | 'rowHash'>): string {
  return createHash('sha256').update(prevHash, 'utf8').update(canonicalRow(row), 'utf8').digest('hex');
}

/** The partition of a record: `<source>/<yyyy-mm-dd>/<bucket>`, the bucket from its entity key. */
export function partitionOf(record: Pick<AuditRecord, 'source' | 'occurredAt'>, entityKey: string, buckets = AUDIT_BUCKETS): string {
  const bucket = fnv1a32(entityKey) % buckets;
  return `${record.source}/${record.occurredAt.slice(0, 10)}/${String(bucket).padStart(2, '0')}`;
}

/** A record with the partition it goes to. */
export interface PartitionedRecord {
  partition: string;
  record: AuditRecord;
}

/**
 * Places `records` (new to the store, in order) after `head`: seq, recordedAt, prevHash, rowHash.
 * Returns the rows and the new head.
 */
export function chainRows(head: ChainHead, records: readonly AuditRecord[], recordedAt: string): { rows: AuditRow[]; head: ChainHead } {
  let seq = head.lastSeq;
  let prevHash = head.lastHash;
  const rows: AuditRow[] = [];
  for (const record of records) {
    seq += 1;
    const unhashed = { ...record, partition: head.partition, seq, recordedAt };
    const rowHash = hashRow(prevHash, unhashed);
    rows.push({ ...unhashed, prevHash, rowHash });
    prevHash = rowHash;
  }
  return { rows, head: { partition: head.partition, lastSeq: seq, lastHash: prevHash } };
}
