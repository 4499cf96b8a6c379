/**
 * HTTP → ApiRequest, for the rehearsal gateway: the requests the AWS SDK v3 sends to a custom
 * endpoint (`AWS_ENDPOINT_URL`), decoded into the operation and its input in the SDK command
 * shape, so the IAM contract (calls.ts) can authorise them exactly as it authorises recorded
 * SDK commands.
 * - JSON protocols by `x-amz-target`: DynamoDB_20120810.*, AWSEvents.*, AWSStepFunctions.*,
 *   secretsmanager.*, AmazonSSM.*, AmazonSQS.* (SQS speaks JSON), RedshiftData.*, AWSGlue.*,
 *   TrentService.* (KMS);
 * - S3 REST, path-style (`/bucket/key`, the method, `?list-type=2`, `?delete`, `x-amz-copy-source`,
 *   the SSE headers);
 * - SNS query protocol (form-encoded `Action=Publish&...`);
 * - Lambda REST `/2015-03-31/functions/<name>/invocations`.
 * The service is the SigV4 credential scope's when the request is signed, else the target's.
 * `principalFromAuthorization`: the rehearsal gives each process an access key id that IS its
 * role name, so the credential's access key id names the calling role.
 */
import type { ApiRequest, CallPrincipal } from './contract';

export interface HttpRequestLike {
  method: string;
  /** Path and query (`/bucket/key?versionId=1`) or an absolute URL. */
  url: string;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  body?: string | Buffer;
}

export class UndecodableRequestError extends Error {
  override name = 'UndecodableRequestError';
}

const TARGET_SERVICES: Readonly<Record<string, string>> = {
  DynamoDB_20120810: 'dynamodb',
  DynamoDBStreams_20120810: 'dynamodb',
  AWSEvents: 'events',
  AWSStepFunctions: 'states',
  secretsmanager: 'secretsmanager',
  AmazonSSM: 'ssm',
  AmazonSQS: 'sqs',
  RedshiftData: 'redshift-data',
  AWSGlue: 'glue',
  TrentService: 'kms',
};

function header(headers: HttpRequestLike['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === 'string' ? value : value.join(',');
  }
  return undefined;
}

function bodyText(request: HttpRequestLike): string {
  if (request.body === undefined) return '';
  return typeof request.body === 'string' ? request.body : request.body.toString('utf8');
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

/** The SigV4 credential of a request (header or presigned query): access key id, region, service. */
export function credentialOf(headers: HttpRequestLike['headers'], url?: string): { accessKeyId: string; region: string; service: string } | undefined {
  const authorization = header(headers, 'authorization');
  const match = authorization ? CREDENTIAL.exec(authorization) : undefined;
  if (match) return { accessKeyId: match[1]!, region: match[3]!, service: match[4]! };
  if (url) {
    const query = new URL(url, 'http://gateway.local').searchParams.get('X-Amz-Credential');
    const parts = query?.split('/');
    if (parts && parts.length === 5) return { accessKeyId: parts[0]!, region: parts[2]!, service: parts[3]! };
  }
  return undefined;
}

/** The calling role: the rehearsal's access key id of a process is its role name. */
export function principalFromAuthorization(headers: HttpRequestLike['headers'], url?: string): CallPrincipal {
  const credential = credentialOf(headers, url);
  if (!credential) throw new UndecodableRequestError('request is not SigV4-signed: no Credential=<access key id>/... in Authorization or X-Amz-Credential');
  return { kind: 'role', roleName: credential.accessKeyId };
}

function jsonBody(request: HttpRequestLike, what: string): Record<string, unknown> {
  const text = bodyText(request);
  if (text.trim() === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new UndecodableRequestError(`${what}: body is not a JSON object (${(error as Error).message})`);
  }
}

function decodeS3(request: HttpRequestLike, url: URL): ApiRequest {
  const method = request.method.toUpperCase();
  const path = url.pathname.replace(/^\//, '');
  const slash = path.indexOf('/');
  const bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
  const key =
    slash < 0
      ? ''
      : path
          .slice(slash + 1)
          .split('/')
          .map((segment) => decodeURIComponent(segment))
          .join('/');
  if (!bucket) throw new UndecodableRequestError(`S3 ${method} ${url.pathname}: no bucket in the path (the gateway expects path-style requests)`);
  const query = url.searchParams;
  const s3 = (operation: string, input: Record<string, unknown>): ApiRequest => ({ service: 's3', operation, input: { Bucket: bucket, ...input } });
  const versionId = query.get('versionId');
  if (key === '') {
    if (method === 'GET' && query.get('list-type') === '2') {
      return s3('ListObjectsV2', {
        ...(query.get('prefix') !== null ? { Prefix: query.get('prefix') } : {}),
        ...(query.get('delimiter') !== null ? { Delimiter: query.get('delimiter') } : {}),
        ...(query.get('max-keys') !== null ? { MaxKeys: Number(query.get('max-keys')) } : {}),
        ...(query.get('continuation-token') !== null ? { ContinuationToken: query.get('continuation-token') } : {}),
      });
    }
    if (method === 'GET' && [...query.keys()].every((name) => ['prefix', 'delimiter', 'max-keys', 'marker', 'encoding-type'].includes(name))) {
      return s3('ListObjects', { ...(query.get('prefix') !== null ? { Prefix: query.get('prefix') } : {}) });
    }
    if (method === 'POST' && query.has('delete')) {
      const keys = [...bodyText(request).matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((match) => ({
        Key: match[1]!
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&apos;/g, "'")
          .replace(/&amp;/g, '&'),
      }));
      return s3('DeleteObjects', { Delete: { Objects: keys } });
    }
    throw new UndecodableRequestError(`S3 ${method} /${bucket}?${query.toString()}: bucket-level operation not modelled`);
  }
  const withVersion = versionId !== null ? { VersionId: versionId } : {};
  switch (method) {
    case 'GET':
      return s3('GetObject', { Key: key, ...withVersion });
    case 'HEAD':
      return s3('HeadObject', { Key: key, ...withVersion });
    case 'DELETE':
      return s3('DeleteObject', { Key: key, ...withVersion });
    case 'PUT': {
      const sse = header(request.headers, 'x-amz-server-side-encryption');
      const kmsKey = header(request.headers, 'x-amz-server-side-encryption-aws-kms-key-id');
      const encryption = { ...(sse ? { ServerSideEncryption: sse } : {}), ...(kmsKey ? { SSEKMSKeyId: kmsKey } : {}) };
      const copySource = header(request.headers, 'x-amz-copy-source');
      if (copySource) return s3('CopyObject', { Key: key, CopySource: copySource, ...encryption });
      if (query.has('partNumber') || query.has('uploadId')) throw new UndecodableRequestError(`S3 multipart upload of ${bucket}/${key} is not modelled`);
      return s3('PutObject', { Key: key, ...encryption });
    }
  }
  throw new UndecodableRequestError(`S3 ${method} /${bucket}/${key}: not modelled`);
}

/** One HTTP request of an SDK v3 client → the operation and its input. */
export function decodeHttpRequest(request: HttpRequestLike): ApiRequest {
  const url = new URL(request.url, 'http://gateway.local');
  const credential = credentialOf(request.headers, request.url);
  const target = header(request.headers, 'x-amz-target');
  if (target) {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const service = credential?.service ?? TARGET_SERVICES[prefix];
    if (!service || dot < 0) throw new UndecodableRequestError(`x-amz-target ${target}: unknown service`);
    return { service, operation, input: jsonBody(request, target) };
  }
  const lambda = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
  if (lambda && (credential?.service ?? 'lambda') === 'lambda') {
    const invocationType = header(request.headers, 'x-amz-invocation-type');
    return {
      service: 'lambda',
      operation: 'Invoke',
      input: { FunctionName: decodeURIComponent(lambda[1]!), ...(invocationType ? { InvocationType: invocationType } : {}), Payload: bodyText(request) },
    };
  }
  const contentType = header(request.headers, 'content-type') ?? '';
  if (request.method.toUpperCase() === 'POST' && contentType.startsWith('application/x-www-form-urlencoded') && credential?.service !== 's3') {
    const form = new URLSearchParams(bodyText(request));
    const action = form.get('Action');
    if (!action) throw new UndecodableRequestError('query-protocol request without Action');
    const input: Record<string, unknown> = {};
    for (const [name, value] of form) if (name !== 'Action' && name !== 'Version') input[name] = value;
    return { service: credential?.service ?? 'sns', operation: action, input };
  }
  if (!credential || credential.service === 's3') return decodeS3(request, url);
  throw new UndecodableRequestError(`${request.method} ${url.pathname} (service ${credential.service}): not a request the IAM contract decodes`);
}
