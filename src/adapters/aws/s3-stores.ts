/**
 * S3 adapters, both idempotent by key: a conditional put (`If-None-Match: *`) writes the
 * object once; 412 PreconditionFailed means it is already written (the content is
 * deterministic, so the stored object is the same). 409 ConditionalRequestConflict (a
 * concurrent write of the same key) is transient: the retry finds the object.
 *
 * - S3ParkedDuplicateStore: `<parkedPrefix><yyyy-mm-dd of occurredAt, UTC>/<eventId>.json`
 * - S3PostingOutbox:        `<outboxPrefix><recordId>.txt` (default prefix `outbox/postings/`)
 */
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

  keyFor(recordId: string): string {
    return `${this.prefix}${recordId}.txt`;
  }

  async write(record: PostingRecord): Promise<void> {
    await putOnce(
      this.client,
      {
        Bucket: this.bucket,
        Key: this.keyFor(record.recordId),
        Body: record.content,
        ContentType: 'text/plain; charset=utf-8',
        Metadata: { 'sequence-id': record.sequenceId },
      },
      'S3 PutObject posting record',
    );
  }
}
