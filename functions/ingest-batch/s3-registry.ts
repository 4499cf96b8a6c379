/**
 * The batch files' registry on S3 (MODE-2): one JSON object per file content,
 * `<prefix><sha256 of the content>.json`, holding its status, attempts and summary. A file whose
 * content is recorded as posted posts nothing again. Two invocations racing on the same content
 * (a duplicate notification) may both post it: the hot path is idempotent by event id, so nothing
 * posts twice; the record counts the attempts.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsCall } from '../../src/adapters/aws/errors';
import { readText } from '../../src/adapters/aws/recon-s3';
import type { BatchFileRecord, BatchFileSummary, FileRegistry } from './ingest-batch';

export interface S3FileRegistryOptions {
  client: S3Client;
  bucket: string;
  prefix: string;
}

const HASH = /^[0-9a-f]{64}$/;

export class S3FileRegistry implements FileRegistry {
  constructor(private readonly options: S3FileRegistryOptions) {}

  keyFor(contentHash: string): string {
    if (!HASH.test(contentHash)) throw new RangeError(`batch file registry: "${contentHash}" is not a SHA-256 hex digest`);
    return `${this.options.prefix}${contentHash}.json`;
  }

  async lookup(contentHash: string): Promise<BatchFileRecord | undefined> {
    const text = await readText(this.options.client, this.options.bucket, this.keyFor(contentHash));
    return text === undefined ? undefined : (JSON.parse(text) as BatchFileRecord);
  }

  async start(contentHash: string, bucket: string, key: string): Promise<BatchFileRecord> {
    const known = await this.lookup(contentHash);
    const record: BatchFileRecord = known ? { ...known, attempts: known.attempts + 1 } : { contentHash, bucket, key, status: 'posting', attempts: 1 };
    await this.put(record);
    return record;
  }

  async finish(contentHash: string, summary: BatchFileSummary): Promise<void> {
    const known = await this.lookup(contentHash);
    if (!known) throw new Error(`batch file registry: no record of content ${contentHash} to finish (start it first)`);
    await this.put({ ...known, status: 'posted', summary });
  }

  private async put(record: BatchFileRecord): Promise<void> {
    const key = this.keyFor(record.contentHash);
    await awsCall(`batch file registry PutObject ${key}`, () =>
      this.options.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: JSON.stringify(record), ContentType: 'application/json' })),
    );
  }
}
