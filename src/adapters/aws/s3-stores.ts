/**
 * S3 adapters, both idempotent by key: a conditional put (`If-None-Match: *`) writes the
 * object once; 412 PreconditionFailed means it is already written (the content is
 * deterministic, so the stored object is the same). 409 ConditionalRequestConflict (a
 * concurrent write of the same key) is transient: the retry finds the object.
 *
 * - S3ParkedDuplicateStore: `<parkedPrefix><yyyy-mm-dd of occurredAt, UTC>/<eventId>.json`
 * - S3PostingOutbox:        ONE object per batch (LEDGER-2): `<outboxPrefix><sha256 of the JSON array of
 *   the batch's sorted record ids>.txt` (default prefix `outbox/postings/`) holding the records' contents in
 *   sequence-id order. The same records, in any order, give the same key and bytes; a record's id
 *   (its lines carry the sequence id: `PR-<sequenceId>`) is the core-banking idempotency key, so a
 *   record re-delivered in another batch composition is posted once by core banking.
 */
import { createHash } from 'node:crypto';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LedgerEvent } from '../../domain/events';
import type { ParkedDuplicateStore, PostingOutbox, PostingRecord } from '../../ports';
import { awsCall, errorName, httpStatus } from './errors';

function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Puts an object unless its key exists. Returns 'written' or 'already-written'. */
export async function putOnce(client: S3Client, input: PutObjectCommandInput, operation: string): Promise<'written' | 'already-written'> {
  try {
    await awsCall(operation, () => client.send(new PutObjectCommand({ ...input, IfNoneMatch: '*' })));
    return 'written';
  } catch (error) {
    if (errorName(error) === 'PreconditionFailed' || httpStatus(error) === 412) return 'already-written';
    throw error;
  }
}

export interface S3ParkedDuplicateStoreOptions {
  client?: S3Client;
  bucket: string;
  /** Default "parked/". */
  prefix?: string;
}

export class S3ParkedDuplicateStore implements ParkedDuplicateStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3ParkedDuplicateStoreOptions) {
    this.client = options.client ?? new S3Client({});
    this.bucket = options.bucket;
    this.prefix = withSlash(options.prefix ?? 'parked/');
  }

  keyFor(event: Pick<LedgerEvent, 'id' | 'occurredAt'>): string {
    const occurred = new Date(event.occurredAt);
    const day = Number.isNaN(occurred.getTime()) ? 'undated' : occurred.toISOString().slice(0, 10);
    return `${this.prefix}${day}/${event.id}.json`;
  }

  async park(event: LedgerEvent<'payment.duplicate-parked'>): Promise<void> {
    await putOnce(
      this.client,
      {
        Bucket: this.bucket,
        Key: this.keyFor(event),
        Body: JSON.stringify(event),
        ContentType: 'application/json',
        Metadata: { 'event-type': event.type, 'correlation-id': event.correlationId },
      },
      'S3 PutObject parked duplicate',
    );
  }
}

export interface S3PostingOutboxOptions {
  client?: S3Client;
  bucket: string;
  /** Default "outbox/postings/". */
  prefix?: string;
}

export class S3PostingOutbox implements PostingOutbox {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3PostingOutboxOptions) {
    this.client = options.client ?? new S3Client({});
    this.bucket = options.bucket;
    this.prefix = withSlash(options.prefix ?? 'outbox/postings/');
  }

  /** The batch's records, once each by record id, in sequence-id (then record-id) order. */
  static ordered(records: readonly PostingRecord[]): PostingRecord[] {
    const unique = new Map<string, PostingRecord>();
    for (const record of records) if (!unique.has(record.recordId)) unique.set(record.recordId, record);
    return [...unique.values()].sort((a, b) => compare(a.sequenceId, b.sequenceId) || compare(a.recordId, b.recordId));
  }

  /** The object key of a batch: derived from its sorted record ids only. */
  keyFor(recordIds: readonly string[]): string {
    const sorted = [...new Set(recordIds)].sort(compare);
    return `${this.prefix}${createHash('sha256').update(JSON.stringify(sorted)).digest('hex')}.txt`;
  }

  async writeBatch(records: readonly PostingRecord[]): Promise<void> {
    const ordered = S3PostingOutbox.ordered(records);
    if (ordered.length === 0) return;
    await putOnce(
      this.client,
      {
        Bucket: this.bucket,
        Key: this.keyFor(ordered.map((record) => record.recordId)),
        Body: ordered.map((record) => record.content).join(''),
        ContentType: 'text/plain; charset=utf-8',
        Metadata: { 'record-count': String(ordered.length) },
      },
      'S3 PutObject posting batch',
    );
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
