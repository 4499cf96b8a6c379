import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ParkedDuplicateStore, S3PostingOutbox } from '../../../src/adapters/aws/s3-stores';
import type { Authorisation, LedgerEvent } from '../../../src/domain/events';
import { correlationIdFor, EventTypes, nextEvent } from '../../../src/domain/events';
import { TransientStoreError } from '../../../src/ports';
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

  it('writes a posting record to outbox/postings/<recordId>.txt, idempotently', async () => {
    const outbox = new S3PostingOutbox({ client, bucket: BUCKET });
    const record = { recordId: 'rec-0001', sequenceId: 'seq-1', content: 'HDR|rec-0001\nDR|ACC-1|12.30|GBP\nCR|ACC-2|12.30|GBP\n' };
    await outbox.write(record);
    await outbox.write(record);
    expect(await bodyOf(client, 'outbox/postings/rec-0001.txt')).toBe(record.content);
    const head = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'outbox/postings/rec-0001.txt' }));
    expect(head.Metadata).toMatchObject({ 'sequence-id': 'seq-1' });
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
    await expect(new S3PostingOutbox({ client, bucket: BUCKET }).write({ recordId: 'r', sequenceId: 's', content: 'x' })).resolves.toBeUndefined();
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
    await expect(new S3PostingOutbox({ client, bucket: BUCKET }).write({ recordId: 'r', sequenceId: 's', content: 'x' })).rejects.toBeInstanceOf(TransientStoreError);
  });

  it('does not hide a permanent failure', async () => {
    mock.on(PutObjectCommand).rejects(failure('NoSuchBucket', 404));
    await expect(new S3PostingOutbox({ client, bucket: BUCKET }).write({ recordId: 'r', sequenceId: 's', content: 'x' })).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });
});
