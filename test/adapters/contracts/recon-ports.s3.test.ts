/** The reconciliation ports' contracts on the AWS adapters, on s3rver: S3 claims, quarantine/ objects, the ledger export object. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { s3LedgerExportSource } from '../../../src/adapters/aws/recon-ledger-source';
import { s3ClaimRegistry } from '../../../src/adapters/aws/recon-registry';
import { s3Quarantine } from '../../../src/adapters/aws/recon-statements';
import type { ObjectRef } from '../../../src/recon/run/aws/objects';
import { TEST_AWS } from '../aws/support/dynalite';
import { LEDGER_HEADER } from '../../recon/run/helpers';
import { ledgerSourceContract, quarantineContract, registryContract } from './recon-ports.contract';

const BUCKET = 'ledgerline-ingest';
let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
let directory: string;
let client: S3Client;
let opened = 0;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'ledgerline-s3rver-recon-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => typeof server;
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const options = { region: TEST_AWS.region, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, maxAttempts: 1 };
  client = new S3Client(options);
  // s3rver ignores If-None-Match on PutObject; S3 answers 412 when the key exists. Emulated here, as S3 does it.
  const raw = new S3Client(options);
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string; IfNoneMatch?: string };
      if (input.IfNoneMatch === '*') {
        const exists = await raw.send(new HeadObjectCommand({ Bucket: input.Bucket, Key: input.Key })).then(
          () => true,
          () => false,
        );
        if (exists)
          throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'At least one of the pre-conditions you specified did not hold' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'conditionalPut' },
  );
});

afterAll(async () => {
  client.destroy();
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

async function read(location: string): Promise<Buffer | undefined> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location)!;
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    return Buffer.from(await response.Body!.transformToByteArray());
  } catch {
    return undefined;
  }
}

registryContract({
  name: 'S3 claims',
  open: async () => {
    const prefix = `registry-${(opened += 1)}/`;
    return { as: async (runId) => s3ClaimRegistry(client, { bucket: BUCKET, prefix, runId, source: { bucket: BUCKET, key: `incoming/${runId}.xml` } }) };
  },
});

quarantineContract<ObjectRef>({
  name: 'S3 quarantine/',
  open: async () => {
    const n = (opened += 1);
    return {
      quarantine: s3Quarantine(client, { runId: `run-${n}`, prefix: `quarantine-${n}/` }),
      put: async (name, bytes) => {
        const key = `incoming-${n}/${name}`;
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
        return { ref: { bucket: BUCKET, key }, file: `s3://${BUCKET}/${key}` };
      },
      read,
    };
  },
});

ledgerSourceContract({
  name: 'S3 ledger export',
  open: async (rows) => {
    const key = `ledger-${(opened += 1)}/export.csv`;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `${LEDGER_HEADER}\n${rows.join('\n')}\n` }));
    return s3LedgerExportSource(client, { bucket: BUCKET, key });
  },
});
