import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { S3ParkedDuplicateStore, S3PostingOutbox } from '../../../src/adapters/aws/s3-stores';
import type { Authorisation, LedgerEvent } from '../../../src/domain/events';
import { correlationIdFor, EventTypes, nextEvent } from '../../../src/domain/events';
import { TransientStoreError } from '../../../src/ports';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { TEST_AWS } from './support/dynalite';

const BUCKET = 'ledgerline-ingest';

const authorisation: Authorisation = {
  authorizationId: 'AUTH-77',
  network: 'VISA',
  stan: '000123',
  rrn: '512345678901',
  transmittedAt: '2025-06-01T23:59:58.000Z',
  panToken: 'tok_8c1d2e',
  responseCode: '00',
  amount: { value: '42.00', currency: 'GBP' },
  merchant: { id: 'M-1', name: 'Shop', mcc: '5411', country: 'GB' },
};

function parked(occurredAt: string): LedgerEvent<'payment.duplicate-parked'> {
  return nextEvent(
    { id: `evt-${occurredAt}`, correlationId: correlationIdFor('AUTH-77') },
    EventTypes.duplicateParked,
    'ledgerline.dedup',
    {
      authorisation,
      businessKey: 'bk-1',
      reason: 'DUPLICATE_BUSINESS_KEY',
      originalEventId: 'evt-original',
      originalAuthorizationId: 'AUTH-76',
    },
    occurredAt,
  );
}

async function bodyOf(client: S3Client, key: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
}

describe('S3 adapters (s3rver)', () => {
  let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
  let directory: string;
  let client: S3Client;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'ledgerline-s3rver-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require('s3rver') as new (options: Record<string, unknown>) => typeof server;
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: BUCKET }] });
    const { port } = await server.run();
    // s3rver only accepts its own built-in fake key pair (S3RVER / S3RVER).
    client = new S3Client({
      region: TEST_AWS.region,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
    });
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('parks a duplicate under parked/<UTC day of occurredAt>/<eventId>.json, idempotently', async () => {
    const store = new S3ParkedDuplicateStore({ client, bucket: BUCKET });
    const event = parked('2025-06-02T00:30:00.000+01:00');
    const key = `parked/2025-06-01/${event.id}.json`;
    expect(store.keyFor(event)).toBe(key);
    await store.park(event);
    await store.park(event);
    expect(JSON.parse(await bodyOf(client, key))).toEqual(event);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'parked/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([key]);
  });

  it('honours a custom prefix', async () => {
    const store = new S3ParkedDuplicateStore({ client, bucket: BUCKET, prefix: 'env/dev/parked' });
    const event = parked('2025-06-03T10:00:00.000Z');
    await store.park(event);
    expect(JSON.parse(await bodyOf(client, `env/dev/parked/2025-06-03/${event.id}.json`))).toEqual(event);
  });

  it('writes a batch as ONE object named by the sha-256 of its sorted record ids (a JSON array), records in sequence-id order (LEDGER-2)', async () => {
    const outbox = new S3PostingOutbox({ client, bucket: BUCKET });
    const records = [3, 1, 2].map((n) => ({ recordId: `PR-seq-${n}`, sequenceId: `seq-${n}`, content: `PL seq-${n} leg 1\nPL seq-${n} leg 2\n` }));
    const key = `outbox/postings/${createHash('sha256')
      .update(JSON.stringify(['PR-seq-1', 'PR-seq-2', 'PR-seq-3']))
      .digest('hex')}.txt`;
    expect(outbox.keyFor(records.map((r) => r.recordId))).toBe(key);
    await outbox.writeBatch(records);
    await outbox.writeBatch([...records].reverse());
    await outbox.writeBatch([records[1]!, ...records]);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'outbox/postings/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([key]);
    expect(await bodyOf(client, key)).toBe('PL seq-1 leg 1\nPL seq-1 leg 2\nPL seq-2 leg 1\nPL seq-2 leg 2\nPL seq-3 leg 1\nPL seq-3 leg 2\n');
    const head = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.Metadata).toMatchObject({ 'record-count': '3' });
    expect(head.ContentType).toMatch(/^text\/plain/);
  });

  it('derives the key from the record ids only: any order and duplicates give the same key; another composition another key', () => {
    const outbox = new S3PostingOutbox({ client, bucket: BUCKET, prefix: 'p' });
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }), fc.infiniteStream(fc.nat()), (ids, stream) => {
        const shuffled = ids
          .map((id) => ({ id, k: stream.next().value as number }))
          .sort((a, b) => a.k - b.k)
          .map(({ id }) => id);
        expect(outbox.keyFor([...shuffled, ids[0]!])).toBe(outbox.keyFor(ids));
        expect(outbox.keyFor(ids)).toMatch(/^p\/[0-9a-f]{64}\.txt$/);
        if (ids.length > 1) expect(outbox.keyFor(ids.slice(1))).not.toBe(outbox.keyFor(ids));
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(0x53) },
    );
  });

  it('writes nothing for an empty batch', async () => {
    const outbox = new S3PostingOutbox({ client, bucket: BUCKET, prefix: 'empty/' });
    await outbox.writeBatch([]);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'empty/' }));
    expect(listed.Contents ?? []).toEqual([]);
  });
});

describe('S3 adapters (conditional put semantics)', () => {
  const client = new S3Client(TEST_AWS);
  const mock = mockClient(client);
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  const failure = (name: string, status: number) => new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });

  it('puts with If-None-Match: * and treats 412 PreconditionFailed as already written', async () => {
    mock.on(PutObjectCommand).rejects(failure('PreconditionFailed', 412));
    await expect(new S3PostingOutbox({ client, bucket: BUCKET }).writeBatch([{ recordId: 'r', sequenceId: 's', content: 'x' }])).resolves.toBeUndefined();
    await expect(new S3ParkedDuplicateStore({ client, bucket: BUCKET }).park(parked('2025-06-01T00:00:00.000Z'))).resolves.toBeUndefined();
    for (const call of mock.commandCalls(PutObjectCommand)) expect(call.args[0].input.IfNoneMatch).toBe('*');
  });

  it.each([
    ['ServiceUnavailable', 503],
    ['SlowDown', 503],
    ['InternalError', 500],
    ['ConditionalRequestConflict', 409],
  ])('%s (%i) → TransientStoreError', async (name, status) => {
    mock.on(PutObjectCommand).rejects(failure(name, status));
    await expect(new S3PostingOutbox({ client, bucket: BUCKET }).writeBatch([{ recordId: 'r', sequenceId: 's', content: 'x' }])).rejects.toBeInstanceOf(TransientStoreError);
  });

  it('does not hide a permanent failure', async () => {
    mock.on(PutObjectCommand).rejects(failure('NoSuchBucket', 404));
    await expect(new S3PostingOutbox({ client, bucket: BUCKET }).writeBatch([{ recordId: 'r', sequenceId: 's', content: 'x' }])).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });
});
