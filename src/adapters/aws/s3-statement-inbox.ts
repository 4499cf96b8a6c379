/**
 * The workbench's statement upload on AWS (WB-UPLOAD-1, REC-1, REC-RUN-1): the direct variant of the
 * StatementInbox port (src/recon/workbench/upload.ts). The ALB passes a Lambda at most 1 MB of
 * body, so the file never goes through the function:
 *
 * - presign: a SigV4 presigned PUT (query signature, signed with the function role's own
 *   credentials, so S3 authorises the PUT against that role's s3:PutObject on exactly
 *   `incoming/statements/*` and its kms:GenerateDataKey on the bucket key) of one object
 *   `incoming/statements/<upload id>--<name>`: the prefix and EventBridge trigger of any statement
 *   upload (functions/reconcile-trigger). `content-length` and `content-type` are signed headers,
 *   so S3 refuses a body of any other length (the size limit holds at S3) with 403
 *   SignatureDoesNotMatch. No SSE header is signed: the bucket policy (stacks/lib/bucket.ts) only
 *   refuses a non-KMS one, and an upload without it gets the bucket's default SSE-KMS with the CMK.
 *   Signed by the SDK's own @smithy/signature-v4 (as @aws-sdk/s3-request-presigner does: the
 *   payload is UNSIGNED-PAYLOAD, hoisted into the query).
 * - status: what the run registry and the quarantine prefix say of that object. A quarantined
 *   file has `<quarantine>/<run id>/<file>.reason.json`, the run id being the execution name the
 *   trigger derives from bucket, key and version (src/recon/run/aws/objects.ts), which begins
 *   `recon-<upload id>--` for every upload (upload ids are 29 characters of [0-9A-Za-z-], within
 *   the name's readable part): one listing of that prefix finds it even after the object left the
 *   incoming prefix. Otherwise the object's content hash names its registry claim
 *   (`results/registry/<sha256>.json`, src/adapters/aws/recon-registry.ts): claimed by this
 *   object's own run → committed; by another run → already reconciled; no claim yet → queued.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { redactPans } from '../../domain/pan';
import { reconciliationExecutionName } from '../../recon/run/aws/objects';
import { type DirectStatementInbox, type DirectUploadFile, newUploadId, type PresignedUpload, SEPARATOR, statementObjectKey, UPLOAD_ID, type UploadStatus } from '../../recon/workbench/upload';
import { awsCall } from './errors';
import { readText } from './recon-s3';

/** How long a presigned PUT may be used. */
export const PRESIGN_SECONDS = 300;

export interface S3StatementInboxOptions {
  /** Its credentials sign the PUT (the function role's); its reads serve the status. */
  s3: S3Client;
  bucket: string;
  region: string;
  /** `incoming/statements/`: where a statement upload starts a reconciliation. */
  statementsPrefix: string;
  /** `quarantine/` (QUARANTINE_PREFIX of the workflow). */
  quarantinePrefix: string;
  /** `results/registry/` (REGISTRY_PREFIX of the workflow). */
  registryPrefix: string;
  /**
   * Where the browser PUTs: default the bucket's regional virtual-hosted endpoint
   * `https://<bucket>.s3.<region>.amazonaws.com`; a stand-in with pathStyle (the bucket in the path).
   */
  endpoint?: { origin: string; pathStyle: boolean };
  expiresInSeconds?: number;
  clock?: { now(): Date };
  /** 12 lower-case hex digits (default: 6 random bytes). */
  random?: () => string;
}

/** The key's path in a URL: each segment percent-encoded as SigV4 canonicalises it (RFC 3986 unreserved kept). */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** The listing prefix of a quarantined upload's objects: `<quarantine>recon-<upload id>--` (see the module comment). */
export function quarantinePrefixOf(quarantinePrefix: string, uploadId: string): string {
  return `${quarantinePrefix}recon-${uploadId}${SEPARATOR}`;
}

/** The reason a reason object gives (problem: reason, where), each s3:// name of the upload shown as its file name. */
function quarantineReason(text: string, uploadId: string): string {
  let reason: { problem?: unknown; where?: unknown; reason?: unknown };
  try {
    reason = JSON.parse(text) as typeof reason;
  } catch {
    return 'the file was quarantined (its reason object is unreadable)';
  }
  const parts = [typeof reason.problem === 'string' ? reason.problem : undefined, typeof reason.reason === 'string' ? reason.reason : undefined].filter((part) => part !== undefined);
  const where = typeof reason.where === 'string' && reason.where !== '' ? ` (${reason.where})` : '';
  const said = parts.length > 0 ? `${parts.join(': ')}${where}` : 'the file was quarantined';
  // Bucket and key are ours, not the person's: the file by its own name. PCI-3: masked again.
  return redactPans(said.replace(new RegExp(String.raw`s3://\S*${uploadId}${SEPARATOR}`, 'g'), ''), 'text');
}

async function sha256Of(body: unknown): Promise<string> {
  const hash = createHash('sha256');
  const stream = body instanceof Readable ? body : Readable.from(body as AsyncIterable<Uint8Array>);
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

export class S3StatementInbox implements DirectStatementInbox {
  readonly connectOrigin: string;
  private readonly signer: SignatureV4;
  /** Content hashes by key and version (an object version never changes). */
  private readonly hashes = new Map<string, string>();

  constructor(private readonly options: S3StatementInboxOptions) {
    for (const [name, prefix] of [
      ['statementsPrefix', options.statementsPrefix],
      ['quarantinePrefix', options.quarantinePrefix],
      ['registryPrefix', options.registryPrefix],
    ] as const) {
      if (!prefix.endsWith('/')) throw new Error(`S3StatementInbox: ${name} must end with "/" (got ${JSON.stringify(prefix)})`);
    }
    this.connectOrigin = new URL(options.endpoint?.origin ?? `https://${options.bucket}.s3.${options.region}.amazonaws.com`).origin;
    this.signer = new SignatureV4({ service: 's3', region: options.region, credentials: options.s3.config.credentials, sha256: options.s3.config.sha256, uriEscapePath: false, applyChecksum: false });
  }

  async presign(file: DirectUploadFile): Promise<PresignedUpload> {
    const now = this.options.clock?.now() ?? new Date();
    const uploadId = newUploadId(now, this.options.random?.() ?? randomBytes(6).toString('hex'));
    const key = statementObjectKey(this.options.statementsPrefix, uploadId, file.name);
    const origin = new URL(this.connectOrigin);
    const path = this.options.endpoint?.pathStyle ? `/${this.options.bucket}/${encodeKey(key)}` : `/${encodeKey(key)}`;
    const expiresIn = this.options.expiresInSeconds ?? PRESIGN_SECONDS;
    const signed = await this.signer.presign(
      {
        method: 'PUT',
        protocol: origin.protocol,
        hostname: origin.hostname,
        ...(origin.port ? { port: Number(origin.port) } : {}),
        path,
        query: {},
        // Signed: the host, the exact length (S3 refuses any other body length) and the content type.
        headers: { host: origin.host, 'content-length': String(file.size), 'content-type': file.contentType, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      { signingDate: now, expiresIn },
    );
    const query = Object.entries(signed.query ?? {})
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
      .join('&');
    return {
      uploadId,
      method: 'PUT',
      url: `${origin.origin}${path}?${query}`,
      headers: { 'content-type': file.contentType },
      expiresAt: new Date(now.getTime() + expiresIn * 1000).toISOString(),
    };
  }

  async status(uploadId: string): Promise<UploadStatus | undefined> {
    if (!UPLOAD_ID.test(uploadId)) return undefined;
    const { s3, bucket } = this.options;
    const list = async (prefix: string): Promise<string[]> => {
      const listed = await awsCall('S3 ListObjectsV2', () => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 20 })));
      return (listed.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
    };
    const nameIn = (key: string): string => key.slice(key.lastIndexOf(`${uploadId}${SEPARATOR}`) + uploadId.length + SEPARATOR.length);

    const reasonKey = (await list(quarantinePrefixOf(this.options.quarantinePrefix, uploadId))).find((key) => key.endsWith('.reason.json') && key.includes(`/${uploadId}${SEPARATOR}`));
    if (reasonKey) {
      const name = nameIn(reasonKey).replace(/\.reason\.json$/, '');
      const text = await readText(s3, bucket, reasonKey);
      if (text !== undefined) return { state: 'quarantined', name, reason: quarantineReason(text, uploadId) };
    }

    const key = (await list(`${this.options.statementsPrefix}${uploadId}${SEPARATOR}`))[0];
    if (!key) return undefined;
    const name = nameIn(key);
    const head = await awsCall('S3 HeadObject', () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    const versionId = head.VersionId ?? null;
    const runId = reconciliationExecutionName({ bucket, key, versionId });
    const cacheKey = `${key}\u0000${versionId ?? 'null'}`;
    let contentHash = this.hashes.get(cacheKey);
    if (!contentHash) {
      const object = await awsCall('S3 GetObject', () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) })));
      contentHash = await sha256Of(object.Body);
      if (this.hashes.size >= 1000) this.hashes.clear();
      this.hashes.set(cacheKey, contentHash);
    }
    const claim = await readText(s3, bucket, `${this.options.registryPrefix}${contentHash}.json`);
    if (claim !== undefined) {
      let holder: string | undefined;
      try {
        holder = (JSON.parse(claim) as { runId?: unknown }).runId as string | undefined;
      } catch {
        holder = undefined;
      }
      if (typeof holder === 'string' && holder !== '') return holder === runId ? { state: 'committed', name, runId } : { state: 'already-reconciled', name, runId: holder };
    }
    return { state: 'queued', name, runId, ...(head.LastModified ? { since: head.LastModified.toISOString() } : {}) };
  }
}
