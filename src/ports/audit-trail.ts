/**
 * The audit store (AUDIT-1, AUDIT-2): an append-only, hash-chained copy of every ledger change,
 * lifecycle event and workbench action. The adapter is PostgreSQL (src/adapters/postgres/):
 * Aurora PostgreSQL on AWS, a real server locally.
 */
import type { ChainHead, PartitionedRecord } from '../audit-trail/chain';
import type { AuditRow } from '../audit-trail/row';

export interface AppendFailure {
  partition: string;
  /** The source ids of the records of this partition that were not appended. */
  sourceIds: string[];
  error: Error;
}

export interface AppendResult {
  /** Records appended by this call. */
  appended: number;
  /** Records already in the store (re-deliveries): nothing was written for them. */
  duplicates: number;
  /** Partitions whose records could not be appended (each partition is all or nothing); retry them. */
  failures: AppendFailure[];
}

export interface AuditTrailStore {
  /**
   * Appends each partition's records, in order, after its head, in ONE transaction per partition
   * that holds the partition's head locked (concurrent appenders never fork a chain). A record
   * whose source id is in the store already (in any partition) is a no-op, as is a second copy
   * inside the batch: re-delivery in any batch composition changes nothing.
   */
  append(records: readonly PartitionedRecord[]): Promise<AppendResult>;
  /** Every partition with a head, in order (optionally only those starting with `prefix`). */
  partitions(prefix?: string): Promise<string[]>;
  /** A partition's head as stored (undefined: none). */
  head(partition: string): Promise<ChainHead | undefined>;
  /** A partition's rows as stored, in seq order, from `fromSeq` (default 1), at most `limit`. */
  readPartition(partition: string, options?: { fromSeq?: number; limit?: number }): Promise<AuditRow[]>;
  /**
   * A partition's head and all its rows (seq order) as of one instant: a consistent snapshot, so
   * a chain verified while appenders run shows no row missing behind its head.
   */
  readChain(partition: string): Promise<{ head: ChainHead | undefined; rows: AuditRow[] }>;
  /** A feed's cursor (its position in its source), undefined before its first copy. */
  cursor(feed: string): Promise<string | undefined>;
  /** Moves a feed's cursor, after the records before it were appended. */
  saveCursor(feed: string, position: string): Promise<void>;
}
