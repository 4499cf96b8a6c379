/** The PostingOutbox contract on the S3 adapter (one object per batch), on s3rver. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { S3PostingOutbox } from '../../../src/adapters/aws/s3-stores';
import { TEST_AWS } from '../aws/support/dynalite';
import { postingOutboxContract } from './posting-outbox.contract';

const BUCKET = 'ledgerline-ingest';
let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
let directory: string;
let client: S3Client;
let failing: string | undefined;
let opened = 0;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'ledgerline-s3rver-contract-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => typeof server;
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  client = new S3Client({ region: TEST_AWS.region, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, maxAttempts: 1 });
  // An outage of any PutObject whose body holds the failing record.
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Body?: unknown };
      if (failing !== undefined && typeof input.Body === 'string' && input.Body.includes(failing)) {
        throw new S3ServiceException({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'injected outage' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectOutage' },
  );
});

afterAll(async () => {
  client.destroy();
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

async function contents(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return Promise.all(keys.sort().map(async (key) => (await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString('utf8')) ?? ''));
}

postingOutboxContract({
  name: 'S3PostingOutbox',
  runs: 15,
  open: async () => {
    const prefix = `contract/${(opened += 1)}/`;
    failing = undefined;
    return {
      outbox: new S3PostingOutbox({ client, bucket: BUCKET, prefix }),
      objects: () => contents(prefix),
      failWritesHolding: (recordId) => {
        failing = recordId;
      },
    };
  },
});
