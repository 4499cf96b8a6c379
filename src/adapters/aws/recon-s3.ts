/**
 * The few S3 operations the reconciliation Lambdas need (SDK v3), with transient failures
 * mapped to TransientStoreError (src/adapters/aws/errors.ts) and conditional puts for claims.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsCall, errorName, httpStatus } from './errors';
import { putOnce } from './s3-stores';

export type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectRef } from '../../recon/run/aws/objects';

export type { ObjectRef } from '../../recon/run/aws/objects';

function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return Readable.from(body as AsyncIterable<Uint8Array>);
  if (body && typeof (body as { transformToWebStream?: () => ReadableStream }).transformToWebStream === 'function') {
    return Readable.fromWeb((body as { transformToWebStream: () => ReadableStream }).transformToWebStream() as import('node:stream/web').ReadableStream);
  }
  if (typeof body === 'string' || body instanceof Uint8Array) return Readable.from([typeof body === 'string' ? Buffer.from(body) : body]);
  throw new Error('S3 GetObject returned no readable body');
}

/** An object version's bytes as a stream of chunks (never whole in memory). */
export async function objectChunks(client: S3Client, ref: ObjectRef): Promise<AsyncIterable<Uint8Array>> {
  const response = await awsCall('S3 GetObject', () => client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(ref.versionId ? { VersionId: ref.versionId } : {}) })));
  return toReadable(response.Body);
}

/** Streams an object to a local file; returns its SHA-256 and size. */
export async function downloadObject(client: S3Client, ref: ObjectRef, path: string): Promise<{ sha256: string; bytes: number }> {
  const response = await awsCall('S3 GetObject', () => client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(ref.versionId ? { VersionId: ref.versionId } : {}) })));
  const hash = createHash('sha256');
  let bytes = 0;
  const source = toReadable(response.Body);
  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  await pipeline(source, createWriteStream(path));
  return { sha256: hash.digest('hex'), bytes };
}

/** An object version's bytes (a quarantined file: moved whole). */
export async function readBytes(client: S3Client, ref: ObjectRef): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await objectChunks(client, ref)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The object's text, or undefined when it does not exist. */
export async function readText(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const response = await awsCall('S3 GetObject', () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    const chunks: Buffer[] = [];
    for await (const chunk of toReadable(response.Body)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    if (errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound' || httpStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function readJson<T>(client: S3Client, bucket: string, key: string): Promise<T> {
  const text = await readText(client, bucket, key);
  if (text === undefined) throw new Error(`s3://${bucket}/${key} does not exist`);
  return JSON.parse(text) as T;
}

/** Writes the object. Its length is given: the SDK sets none for an empty body (an empty NDJSON part), and S3 wants one. */
export async function writeObject(client: S3Client, bucket: string, key: string, body: string | Buffer, contentType: string): Promise<void> {
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  await awsCall('S3 PutObject', () => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: length })));
}

/** Writes the object unless the key exists: 'written' or 'already-written'. */
export async function writeOnce(client: S3Client, bucket: string, key: string, body: string, contentType: string): Promise<'written' | 'already-written'> {
  return putOnce(client, { Bucket: bucket, Key: key, Body: body, ContentType: contentType }, 'S3 PutObject (once)');
}

export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<void> {
  await awsCall('S3 DeleteObject', () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
}

/** `s3://bucket/key` */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
