/**
 * S3 for presigned uploads in tests: s3rver (the S3 stand-in of the other S3 tests) behind a small
 * front that does what s3rver does not.
 *
 * - s3rver accepts any SigV4 signature, so the front checks a presigned request's query signature
 *   as S3 does (written here from the SigV4 specification, independently of the signer under test):
 *   the credential scope, the expiry, and the signature over the method, path, query and every
 *   signed header as received (so a body of another length than a signed Content-Length, another
 *   key or another signed header is refused). A refusal is 403 `SignatureDoesNotMatch` (or
 *   `AccessDenied` when expired), as S3 answers; `refusals` lists them.
 * - With `cors`, the front answers a browser's preflight and marks its responses as S3 does for a
 *   bucket with that one CORS rule (allowed origins, methods and request headers); a preflight the
 *   rule does not allow is 403.
 *
 * Requests that carry no presigned query (the SDK client's own, `client`) go straight to s3rver.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

export const PRESIGNED_S3_REGION = 'eu-west-2';
const KEY_ID = 'S3RVER';
const SECRET = 'S3RVER';

export interface CorsRule {
  allowedOrigins: readonly string[];
  allowedMethods: readonly string[];
  allowedHeaders: readonly string[];
}

export interface PresignedS3 {
  /** An SDK client of s3rver itself (path-style), with the credentials the front checks signatures against. */
  client: S3Client;
  /** Where presigned URLs point (path-style: the bucket is the first path segment). */
  origin: string;
  /** What the front refused, and why, in order. */
  refusals: string[];
  /** The time the front checks expiry against (default: now). */
  setNow(now: () => Date): void;
  close(): Promise<void>;
}

const rfc3986 = (value: string): string => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** Why a presigned request is refused, or undefined when its query signature holds (SigV4, query form, UNSIGNED-PAYLOAD). */
export function presignedFault(method: string, rawUrl: string, headers: IncomingHttpHeaders, now: Date): string | undefined {
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : rawUrl.slice(queryAt + 1));
  const get = (name: string) => params.get(name) ?? undefined;
  const signature = get('X-Amz-Signature');
  const credential = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const expires = Number(get('X-Amz-Expires'));
  const signedHeaders = get('X-Amz-SignedHeaders');
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !signature || !credential || !amzDate || !signedHeaders || !Number.isInteger(expires)) return 'not a presigned SigV4 request';
  const [keyId, day, region, service, terminal] = credential.split('/');
  if (keyId !== KEY_ID || region !== PRESIGNED_S3_REGION || service !== 's3' || terminal !== 'aws4_request' || !amzDate.startsWith(day!)) return 'bad credential scope';
  const signedAt = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  if (now.getTime() > signedAt + expires * 1000) return 'AccessDenied: Request has expired';
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return 'host is not signed';
  const canonicalHeaders = names.map((name) => {
    const value = headers[name];
    return `${name}:${(Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ')}\n`;
  });
  const canonicalQuery = [...params.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [method, path, canonicalQuery, canonicalHeaders.join(''), signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, day!), region!), 's3'), 'aws4_request');
  return hmac(key, stringToSign).toString('hex') === signature ? undefined : 'SignatureDoesNotMatch';
}

export async function startPresignedS3(options: { buckets: readonly string[]; cors?: CorsRule }): Promise<PresignedS3> {
  const directory = mkdtempSync(join(tmpdir(), 'ledgerline-s3rver-presigned-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> };
  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: options.buckets.map((name) => ({ name })) });
  const s3rverPort = (await s3rver.run()).port;
  const client = new S3Client({
    region: PRESIGNED_S3_REGION,
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    endpoint: `http://127.0.0.1:${s3rverPort}`,
    forcePathStyle: true,
    maxAttempts: 1,
  });
  const refusals: string[] = [];
  let now = () => new Date();
  const cors = options.cors;
  /** The CORS response headers for an allowed origin (S3 sends them on the actual response too). */
  const corsHeaders = (origin: string | undefined): Record<string, string> =>
    cors && origin && cors.allowedOrigins.includes(origin) ? { 'access-control-allow-origin': origin, 'access-control-allow-methods': cors.allowedMethods.join(', '), vary: 'Origin' } : {};
  const front: Server = createServer((req, res) => {
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS') {
      const method = String(req.headers['access-control-request-method'] ?? '');
      const asked = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((header) => header.trim().toLowerCase())
        .filter((header) => header !== '');
      const allowed = cors && origin && cors.allowedOrigins.includes(origin) && cors.allowedMethods.includes(method) && asked.every((header) => cors.allowedHeaders.includes(header));
      if (!allowed) {
        refusals.push(`CORS preflight refused: ${origin ?? '(no origin)'} ${method} [${asked.join(', ')}]`);
        res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed.</Message></Error>');
        return;
      }
      res.writeHead(200, { ...corsHeaders(origin), 'access-control-allow-headers': asked.join(', '), 'access-control-max-age': '600' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const fault = presignedFault(req.method ?? 'GET', req.url ?? '/', req.headers, now());
      if (fault) {
        refusals.push(fault);
        res
          .writeHead(403, { 'content-type': 'application/xml', ...corsHeaders(origin) })
          .end(`<Error><Code>${fault.startsWith('AccessDenied') ? 'AccessDenied' : 'SignatureDoesNotMatch'}</Code></Error>`);
        return;
      }
      const forward = httpRequest({ host: '127.0.0.1', port: s3rverPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${s3rverPort}` } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...corsHeaders(origin) });
        answer.pipe(res);
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return {
    client,
    origin: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    refusals,
    setNow: (next) => {
      now = next;
    },
    async close() {
      client.destroy();
      await new Promise((resolve) => front.close(resolve));
      await s3rver.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
