/**
 * The workbench's direct statement upload on AWS (src/adapters/aws/s3-statement-inbox.ts) against
 * s3rver, the S3 stand-in of the other S3 tests: presign, then PUT the file with fetch as the page
 * does, and see it land under incoming/statements/; the page's status from what the real
 * normalise step (src/recon/run/aws/steps.ts, run by the trigger's execution name) leaves in the
 * registry and the quarantine prefix: queued, committed, already reconciled, quarantined with its
 * reason (no bucket or key in it).
 *
 * s3rver does not check SigV4 signatures (it accepts any), so the PUTs go through the verifying
 * front of test/support/presigned-s3.ts, which checks the presigned query signature as S3 does
 * (independently of the signer the adapter uses): it is that check, with Content-Length among the
 * signed headers, that refuses a body of another length, another key, another content type or an
 * expired URL, with 403 as S3 does.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { quarantinePrefixOf, S3StatementInbox } from '../../../src/adapters/aws/s3-statement-inbox';
import { reconciliationExecutionName } from '../../../src/recon/run/aws/objects';
import { BadStatementFileError, normaliseStep } from '../../../src/recon/run/aws/steps';
import { decideDirectUpload, newUploadId, type PresignedUpload, statementObjectKey, uploadFileName } from '../../../src/recon/workbench/upload';
import { FIXTURES } from '../../recon/run/helpers';
import { PRESIGNED_S3_REGION, type PresignedS3, startPresignedS3 } from '../../support/presigned-s3';
import { tempDir } from '../../support/runtime';

const INGEST = 'ledgerline-test-ingest';
const ANALYTICS = 'ledgerline-test-analytics';
const REGION = PRESIGNED_S3_REGION;
const MBANK = join(FIXTURES, 'mt940/mBank/mt940.sta');
const ACCOUNT = 'PL29114010810000267002001002';

let s3: PresignedS3;
let client: S3Client;
let frontOrigin: string;

beforeAll(async () => {
  s3 = await startPresignedS3({ buckets: [INGEST, ANALYTICS] });
  client = s3.client;
  frontOrigin = s3.origin;
});

afterAll(() => s3.close());

function inbox(options: { now?: () => Date } = {}): S3StatementInbox {
  return new S3StatementInbox({
    s3: client,
    bucket: INGEST,
    region: REGION,
    statementsPrefix: 'incoming/statements/',
    quarantinePrefix: 'quarantine/',
    registryPrefix: 'results/registry/',
    endpoint: { origin: frontOrigin, pathStyle: true },
    ...(options.now ? { clock: { now: options.now } } : {}),
  });
}

/** What the page does: the checks, the presign, then the browser's PUT of the bytes. */
async function upload(target: S3StatementInbox, name: string, bytes: Buffer, contentType = 'text/plain'): Promise<{ presigned: PresignedUpload; put: Response; key: string }> {
  const decision = decideDirectUpload({ mayUpload: true, csrfValid: true, file: { name, size: bytes.length, contentType } }, 25 * 1024 * 1024);
  if (!decision.ok) throw new Error(decision.message);
  const presigned = await target.presign(decision.file);
  const put = await fetch(presigned.url, { method: presigned.method, headers: presigned.headers, body: bytes });
  return { presigned, put, key: `incoming/statements/${presigned.uploadId}--${decision.file.name}` };
}

async function objectBytes(key: string): Promise<Buffer | undefined> {
  try {
    return Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: INGEST, Key: key }))).Body!.transformToByteArray());
  } catch {
    return undefined;
  }
}

async function keysUnder(prefix: string): Promise<string[]> {
  return ((await client.send(new ListObjectsV2Command({ Bucket: INGEST, Prefix: prefix }))).Contents ?? []).map((object) => object.Key!);
}

/** The reconciliation workflow's first step on the object, under the trigger's execution name. */
async function normalise(key: string) {
  const runId = reconciliationExecutionName({ bucket: INGEST, key, versionId: null });
  const journal = { source: 'dynamodb://ledger', postedLegs: async () => [] };
  const result = await normaliseStep(
    { s3: client, tmpDir: tempDir('upload-normalise-'), journal, quarantinePrefix: 'quarantine/', registryPrefix: 'results/registry/' },
    { bucket: INGEST, key, versionId: null, runId, analyticsBucket: ANALYTICS, config: { ledger: { journal: true }, accounts: [ACCOUNT] } },
  );
  return { runId, result };
}

describe('where a quarantined upload is found', () => {
  it("the trigger's execution name of every upload's object (any kept name, any version) begins recon-<upload id>--, the prefix the status lists", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.stringMatching(/^[0-9a-f]{12}$/),
        fc.stringMatching(/^[A-Za-z0-9._()+ -]{1,160}$/),
        fc.option(fc.stringMatching(/^[A-Za-z0-9._]{1,32}$/)),
        (at, hex, given, versionId) => {
          let kept: string;
          try {
            kept = uploadFileName(given);
          } catch {
            return;
          }
          const uploadId = newUploadId(at, hex);
          const runId = reconciliationExecutionName({ bucket: INGEST, key: statementObjectKey('incoming/statements/', uploadId, kept), versionId });
          expect(`quarantine/${runId}/`.startsWith(quarantinePrefixOf('quarantine/', uploadId))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('S3StatementInbox (direct upload) on s3rver', () => {
  it('presign, PUT with fetch: the object lands under incoming/statements/<upload id>--<name>, byte for byte; the URL is for the storage origin only', async () => {
    const target = inbox();
    expect(target.connectOrigin).toBe(frontOrigin);
    const bytes = readFileSync(MBANK);
    const { presigned, put, key } = await upload(target, 'mBank March.sta', bytes);
    expect(put.status).toBe(200);
    expect(new URL(presigned.url).origin).toBe(frontOrigin);
    expect(new URL(presigned.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(Date.parse(presigned.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    expect(key).toMatch(/^incoming\/statements\/\d{8}T\d{6}Z-[0-9a-f]{12}--mBank_March\.sta$/);
    expect(await objectBytes(key)).toEqual(bytes);
    expect(await keysUnder(`incoming/statements/${presigned.uploadId}`)).toEqual([key]);
  });

  it('the signed length holds: a longer or shorter body, another key, another content type or an expired URL is refused (403) and nothing lands', async () => {
    const target = inbox();
    const bytes = Buffer.from('a statement of exactly this length');
    const decision = decideDirectUpload({ mayUpload: true, csrfValid: true, file: { name: 'short.sta', size: bytes.length, contentType: 'text/plain' } }, 1024);
    if (!decision.ok) throw new Error(decision.message);
    const presigned = await target.presign(decision.file);
    const before = s3.refusals.length;
    const attempts: [string, Promise<Response>][] = [
      ['longer', fetch(presigned.url, { method: 'PUT', headers: presigned.headers, body: Buffer.concat([bytes, Buffer.alloc(1024 * 1024, 65)]) })],
      ['one byte more', fetch(presigned.url, { method: 'PUT', headers: presigned.headers, body: Buffer.concat([bytes, Buffer.from('!')]) })],
      ['shorter', fetch(presigned.url, { method: 'PUT', headers: presigned.headers, body: bytes.subarray(1) })],
      ['another key', fetch(presigned.url.replace('--short.sta', '--other.sta'), { method: 'PUT', headers: presigned.headers, body: bytes })],
      ['another content type', fetch(presigned.url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: bytes })],
    ];
    for (const [what, attempt] of attempts) expect([what, (await attempt).status]).toEqual([what, 403]);
    expect(s3.refusals.slice(before)).toEqual(Array(attempts.length).fill('SignatureDoesNotMatch'));
    expect(await keysUnder(`incoming/statements/${presigned.uploadId}`)).toEqual([]);
    // Expired: the same URL six minutes later.
    s3.setNow(() => new Date(Date.now() + 360_000));
    try {
      expect((await fetch(presigned.url, { method: 'PUT', headers: presigned.headers, body: bytes })).status).toBe(403);
    } finally {
      s3.setNow(() => new Date());
    }
    expect(await keysUnder(`incoming/statements/${presigned.uploadId}`)).toEqual([]);
    // The exact file, in time: taken.
    expect((await fetch(presigned.url, { method: 'PUT', headers: presigned.headers, body: bytes })).status).toBe(200);
  });

  it('status: unknown before the PUT, queued until the workflow claims it, committed under its own run; the same bytes again: already reconciled by that run', async () => {
    const target = inbox();
    expect(await target.status('20261206T000000Z-000000000000')).toBeUndefined();
    expect(await target.status('../../etc')).toBeUndefined();
    const bytes = readFileSync(MBANK);
    const first = await upload(target, 'mt940.sta', bytes);
    // Queued: since the PUT, under the execution name the trigger will use (operators find the run by it).
    const expectedRun = reconciliationExecutionName({ bucket: INGEST, key: first.key, versionId: null });
    const queued = await target.status(first.presigned.uploadId);
    expect(queued).toEqual({ state: 'queued', name: 'mt940.sta', runId: expectedRun, since: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(Math.abs(Date.parse((queued as { since: string }).since) - Date.now())).toBeLessThan(60_000);
    const { runId, result } = await normalise(first.key);
    expect(runId).toBe(expectedRun);
    expect(result).toMatchObject({ duplicate: false, claimed: true });
    expect(await target.status(first.presigned.uploadId)).toEqual({ state: 'committed', name: 'mt940.sta', runId });

    const second = await upload(target, 'mt940-again.sta', bytes);
    expect((await normalise(second.key)).result).toMatchObject({ duplicate: true, firstRunId: runId });
    expect(await target.status(second.presigned.uploadId)).toEqual({ state: 'already-reconciled', name: 'mt940-again.sta', runId });
    // The first is still its own run's.
    expect(await target.status(first.presigned.uploadId)).toEqual({ state: 'committed', name: 'mt940.sta', runId });
  });

  it('status: a bad file the workflow quarantined shows its reason, by the file name only (no bucket, key or run path)', async () => {
    const target = inbox();
    const { presigned, key } = await upload(target, 'broken.sta', Buffer.from(':20:REF\n:25:ACC\nthis is not MT940\n'));
    await expect(normalise(key)).rejects.toBeInstanceOf(BadStatementFileError);
    expect(await keysUnder(key)).toEqual([]);
    expect((await keysUnder(quarantinePrefixOf('quarantine/', presigned.uploadId))).sort()).toHaveLength(2);
    const status = await target.status(presigned.uploadId);
    expect(status).toMatchObject({ state: 'quarantined', name: 'broken.sta' });
    const reason = (status as { reason: string }).reason;
    expect(reason).toContain('broken.sta');
    expect(reason).toMatch(/^[a-z-]+: /);
    expect(reason).not.toMatch(/s3:\/\/|ledgerline-test-ingest|incoming\/|quarantine\/|recon-/);
  });
});
