/**
 * REC-EMR-1 / DEP-2: the deploy step that uploads the EMR job's Node runtime archive, on s3rver:
 * uploaded once per content, re-run is a no-op, a new archive replaces it, errors name the object.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadRuntime } from '../../scripts/upload-emr-runtime';

const BUCKET = 'ledgerline-dev-analytics-111111111111';
const KEY = 'scripts/emr/node-runtime-linux-arm64.tar.gz';

describe('EMR Node runtime upload (s3rver)', () => {
  let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
  let directory: string;
  let client: S3Client;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'ledgerline-emr-runtime-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require('s3rver') as new (options: Record<string, unknown>) => typeof server;
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: BUCKET }] });
    const { port } = await server.run();
    client = new S3Client({ region: 'eu-west-2', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const body = async (): Promise<Buffer> => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }))).Body!.transformToByteArray());

  it('uploads a new archive, leaves the same bytes alone, and replaces a different archive', async () => {
    const first = randomBytes(4096);
    const upload = { bucket: BUCKET, key: KEY, kmsKeyId: 'alias/ledgerline-dev-analytics' };
    expect(await uploadRuntime(client, { ...upload, archive: first })).toBe('uploaded');
    expect((await body()).equals(first)).toBe(true);
    expect(await uploadRuntime(client, { ...upload, archive: Buffer.from(first) })).toBe('unchanged');
    const second = randomBytes(4096);
    expect(await uploadRuntime(client, { ...upload, archive: second })).toBe('uploaded');
    expect((await body()).equals(second)).toBe(true);
  });

  it('names the object when the bucket cannot be reached or does not exist', async () => {
    await expect(uploadRuntime(client, { bucket: 'no-such-bucket', key: KEY, kmsKeyId: 'alias/x', archive: Buffer.from('x') })).rejects.toThrow(/no-such-bucket/);
  });
});
