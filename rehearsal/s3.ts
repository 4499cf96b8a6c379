/**
 * S3 on s3rver (REH-1) (path-style, `allowMismatchedSignatures`), one bucket per synthesized
 * `aws_s3_bucket`, with what s3rver lacks supplied by the gateway:
 * - conditional writes: `If-None-Match: *` on PutObject answers 412 PreconditionFailed when the
 *   key exists (s3rver ignores the header; S3 honours it since 2024 and the adapters rely on it);
 * - versions: s3rver keeps one version per key; a versioned bucket's puts get a version id here,
 *   returned as `x-amz-version-id`, and a GetObject naming the current version is served, any
 *   other version answers NoSuchVersion (the rehearsal never needs an old version);
 * - aws-chunked bodies (SDK streaming/trailing-checksum uploads) are decoded before s3rver sees
 *   them;
 * - EventBridge notifications: a bucket with a synthesized `aws_s3_bucket_notification`
 *   (`eventbridge = true`) sends "Object Created" / "Object Deleted" to the default bus, as S3 does.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from './deployment';
import { Mutex } from './dynamo';

export interface S3Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface S3ObjectEvent {
  detailType: 'Object Created' | 'Object Deleted';
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  reason: string;
  requester: string;
}

function xmlError(status: number, code: string, message: string, extra = ''): S3Response {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>${randomUUID()}</RequestId></Error>`),
  };
}

export { xmlError as s3XmlError };

/** Headers of a request the rehearsal itself sends to s3rver (Terraform's uploads, a state machine's task). */
export function internalS3Headers(who: string): Record<string, string> {
  const now = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.[0-9]{3}/, '');
  return {
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-amz-date': now,
    authorization: `AWS4-HMAC-SHA256 Credential=${who}/${now.slice(0, 8)}/eu-west-2/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
  };
}

/** Decodes an `aws-chunked` body (with or without chunk signatures and trailers). */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error('aws-chunked body: missing chunk header');
    const size = parseInt(body.toString('latin1', offset, lineEnd).split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error('aws-chunked body: bad chunk size');
    offset = lineEnd + 2;
    if (size === 0) break;
    parts.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
  return Buffer.concat(parts);
}

export class S3StandIn {
  private server?: { close(callback: (error?: Error) => void): unknown };
  private port = 0;
  private directory = '';
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  private readonly keyLocks = new Map<string, Mutex>();
  private readonly versions = new Map<string, string>();
  private readonly buckets: Deployment['buckets'];
  readonly counters = { requests: {} as Record<string, number>, conditionalConflicts: 0, notifications: 0 };

  constructor(
    deployment: Pick<Deployment, 'buckets'>,
    private readonly notify: (event: S3ObjectEvent) => void,
  ) {
    this.buckets = deployment.buckets;
  }

  async start(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(callback: (error?: Error) => void): unknown };
    this.directory = mkdtempSync(join(tmpdir(), 'ledgerline-rehearsal-s3-'));
    const server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: this.directory,
      allowMismatchedSignatures: true,
      configureBuckets: this.buckets.map((bucket) => ({ name: bucket.name })),
    });
    const address = await server.run();
    // Never close an idle keep-alive connection the gateway may be about to reuse.
    const http = (server as unknown as { httpServer?: { keepAliveTimeout: number } }).httpServer;
    if (http) http.keepAliveTimeout = 0;
    this.server = server;
    this.port = address.port;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    if (this.directory) rmSync(this.directory, { recursive: true, force: true });
  }

  private lockFor(bucket: string, key: string): Mutex {
    const id = `${bucket}/${key}`;
    let lock = this.keyLocks.get(id);
    if (!lock) this.keyLocks.set(id, (lock = new Mutex()));
    return lock;
  }

  private upstream(method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<S3Response> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, method, path, headers: { ...headers, 'content-length': String(body.length) }, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  private bucket(name: string | undefined) {
    return this.buckets.find((bucket) => bucket.name === name);
  }

  /**
   * Handles one S3 request (already authorised): `operation`, `bucket`, `key` decoded by the
   * gateway; `path`/`query` as sent (path-style).
   */
  async handle(args: {
    operation: string;
    bucket?: string;
    key?: string;
    method: string;
    path: string;
    query: URLSearchParams;
    headers: Record<string, string>;
    body: Buffer;
    requester: string;
  }): Promise<S3Response> {
    const { operation, bucket, key } = args;
    this.counters.requests[operation] = (this.counters.requests[operation] ?? 0) + 1;
    if (bucket && !this.bucket(bucket)) return xmlError(404, 'NoSuchBucket', 'The specified bucket does not exist', `<BucketName>${bucket}</BucketName>`);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(args.headers)) {
      const lower = name.toLowerCase();
      if (['content-length', 'connection', 'if-none-match', 'x-amz-decoded-content-length', 'x-amz-trailer', 'expect'].includes(lower)) continue;
      headers[lower] = value;
    }
    // s3rver knows one access key (S3RVER); the caller was identified and authorised already.
    if (headers.authorization) headers.authorization = headers.authorization.replace(/Credential=[^/,\s]+\//, 'Credential=S3RVER/');
    let body = args.body;
    const sha = headers['x-amz-content-sha256'] ?? '';
    if (sha.startsWith('STREAMING-') || /aws-chunked/.test(headers['content-encoding'] ?? '')) {
      body = decodeAwsChunked(body);
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      const encoding = (headers['content-encoding'] ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part && part !== 'aws-chunked')
        .join(',');
      if (encoding) headers['content-encoding'] = encoding;
      else delete headers['content-encoding'];
    }
    const query = new URLSearchParams(args.query);
    const definition = this.bucket(bucket);
    if ((operation === 'GetObject' || operation === 'HeadObject') && query.has('versionId') && bucket && key) {
      const wanted = query.get('versionId');
      const current = this.versions.get(`${bucket}/${key}`);
      if (wanted !== current) return xmlError(404, 'NoSuchVersion', 'The specified version does not exist.', `<Key>${key}</Key><VersionId>${wanted}</VersionId>`);
      query.delete('versionId');
    }
    const path = `${args.path}${[...query].length > 0 ? `?${query.toString()}` : ''}`;

    if (operation === 'PutObject' && bucket && key) {
      return this.lockFor(bucket, key).run(async () => {
        if (args.headers['if-none-match'] === '*' || args.headers['If-None-Match'] === '*') {
          const head = await this.upstream(
            'HEAD',
            args.path,
            { authorization: headers.authorization ?? '', 'x-amz-date': headers['x-amz-date'] ?? '', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
            Buffer.alloc(0),
          );
          if (head.status === 200) {
            this.counters.conditionalConflicts += 1;
            return xmlError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', '<Condition>If-None-Match</Condition>');
          }
        }
        const response = await this.upstream('PUT', path, headers, body);
        if (response.status === 200) {
          let versionId: string | undefined;
          if (definition?.versioned) {
            versionId = randomUUID().replace(/-/g, '').slice(0, 32);
            this.versions.set(`${bucket}/${key}`, versionId);
            response.headers['x-amz-version-id'] = versionId;
          }
          if (definition?.eventBridge) {
            this.counters.notifications += 1;
            this.notify({ detailType: 'Object Created', bucket, key, size: body.length, etag: response.headers.etag?.replace(/"/g, ''), versionId, reason: 'PutObject', requester: args.requester });
          }
        }
        return response;
      });
    }
    if (operation === 'DeleteObject' && bucket && key) {
      return this.lockFor(bucket, key).run(async () => {
        const response = await this.upstream('DELETE', path, headers, body);
        if (response.status < 300) {
          this.versions.delete(`${bucket}/${key}`);
          if (definition?.eventBridge) {
            this.counters.notifications += 1;
            this.notify({ detailType: 'Object Deleted', bucket, key, reason: 'DeleteObject', requester: args.requester });
          }
        }
        return response;
      });
    }
    if (operation === 'ListObjectsV2' && bucket) return this.listObjectsV2(bucket, query, headers);
    return this.upstream(args.method, path, headers, body);
  }

  /**
   * ListObjectsV2 through s3rver's version-1 listing: s3rver's V2 continuation tokens use DES,
   * which OpenSSL 3 refuses (every listing past 1,000 keys fails). The token here is the last key
   * returned (base64url), passed to s3rver as the V1 marker.
   */
  private async listObjectsV2(bucket: string, query: URLSearchParams, headers: Record<string, string>): Promise<S3Response> {
    const token = query.get('continuation-token');
    const startAfter = token ? Buffer.from(token, 'base64url').toString('utf8') : query.get('start-after');
    const v1 = new URLSearchParams();
    for (const name of ['prefix', 'delimiter', 'max-keys', 'encoding-type']) {
      const value = query.get(name);
      if (value !== null) v1.set(name, value);
    }
    if (startAfter) v1.set('marker', startAfter);
    const response = await this.upstream('GET', `/${encodeURIComponent(bucket)}?${v1.toString()}`, headers, Buffer.alloc(0));
    if (response.status !== 200) return response;
    const xml = response.body.toString('utf8');
    const keys = [...xml.matchAll(/<Contents>[\s\S]*?<Key>([\s\S]*?)<\/Key>/g)].map((match) => match[1]!);
    const last = keys[keys.length - 1]
      ?.replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
    const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
    const extra = `<KeyCount>${keys.length}</KeyCount>${token ? `<ContinuationToken>${token}</ContinuationToken>` : ''}${truncated && last !== undefined ? `<NextContinuationToken>${Buffer.from(last, 'utf8').toString('base64url')}</NextContinuationToken>` : ''}`;
    const body = Buffer.from(xml.replace('</ListBucketResult>', `${extra}</ListBucketResult>`), 'utf8');
    return { status: 200, headers: { ...response.headers, 'content-length': String(body.length) }, body };
  }

  /** The current version id the rehearsal gave `bucket/key`, if the bucket is versioned. */
  versionOf(bucket: string, key: string): string | undefined {
    return this.versions.get(`${bucket}/${key}`);
  }
}
