import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDedupStore } from '../../../src/adapters/aws/dynamo-dedup-store';
import { TransientStoreError } from '../../../src/ports';
import type { Dynalite } from './support/dynalite';
import { closedPortClient, startDynalite, TEST_AWS } from './support/dynalite';

let db: Dynalite;
let store: DynamoDedupStore;

beforeAll(async () => {
  db = await startDynalite();
  store = new DynamoDedupStore({ client: db.client, tableName: db.tableNames.dedup });
});

afterAll(async () => {
  await db.stop();
});

const NOW = 1_750_000_000;
const claim = (businessKey: string, eventId: string, expiresAt = NOW + 3600) => ({ businessKey, eventId, authorizationId: `auth-${eventId}`, expiresAt });

describe('DynamoDedupStore (dynalite)', () => {
  it('claims an unseen business key and stores the TTL attribute', async () => {
    await expect(store.claim(claim('key-1', 'evt-1'), NOW)).resolves.toEqual({ claimed: true });
    const item = await db.client.send(new GetItemCommand({ TableName: db.tableNames.dedup, Key: { businessKey: { S: 'key-1' } } }));
    expect(item.Item).toEqual({
      businessKey: { S: 'key-1' },
      eventId: { S: 'evt-1' },
      authorizationId: { S: 'auth-evt-1' },
      expiresAt: { N: String(NOW + 3600) },
    });
  });

  it('returns the existing claim for a duplicate (and for a re-delivery of the holder)', async () => {
    await store.claim(claim('key-2', 'evt-2'), NOW);
    await expect(store.claim(claim('key-2', 'evt-other', NOW + 9999), NOW + 10)).resolves.toEqual({
      claimed: false,
      existing: { businessKey: 'key-2', eventId: 'evt-2', authorizationId: 'auth-evt-2', expiresAt: NOW + 3600 },
    });
    await expect(store.claim(claim('key-2', 'evt-2'), NOW + 20)).resolves.toMatchObject({ claimed: false, existing: { eventId: 'evt-2' } });
  });

  it('takes over an expired claim (expiresAt < now) but not one expiring exactly now', async () => {
    await store.claim(claim('key-3', 'evt-3', NOW + 100), NOW);
    await expect(store.claim(claim('key-3', 'evt-4', NOW + 5000), NOW + 100)).resolves.toMatchObject({ claimed: false });
    await expect(store.claim(claim('key-3', 'evt-4', NOW + 5000), NOW + 101)).resolves.toEqual({ claimed: true });
    await expect(store.claim(claim('key-3', 'evt-5', NOW + 9000), NOW + 200)).resolves.toMatchObject({
      claimed: false,
      existing: { eventId: 'evt-4', expiresAt: NOW + 5000 },
    });
  });

  it('lets exactly one of many concurrent claimants win', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claim(claim('key-race', `evt-r${i}`), NOW)));
    const winners = results.filter((result) => result.claimed);
    expect(winners).toHaveLength(1);
    const holders = new Set(results.flatMap((result) => (result.claimed ? [] : [result.existing.eventId])));
    expect(holders.size).toBe(1);
  });

  it('maps a network failure to TransientStoreError, never to a duplicate', async () => {
    const client = await closedPortClient();
    const offline = new DynamoDedupStore({ client, tableName: db.tableNames.dedup });
    await expect(offline.claim(claim('key-x', 'evt-x'), NOW)).rejects.toBeInstanceOf(TransientStoreError);
    client.destroy();
  });
});

describe('DynamoDedupStore (mocked errors)', () => {
  const client = new DynamoDBClient(TEST_AWS);
  const mock = mockClient(client);
  const mocked = new DynamoDedupStore({ client, tableName: 'dedup' });
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError'])('%s → TransientStoreError', async (name) => {
    mock.on(PutItemCommand).rejects(Object.assign(new Error(name), { name, $metadata: { httpStatusCode: name === 'InternalServerError' ? 500 : 400 } }));
    await expect(mocked.claim(claim('k', 'e'), NOW)).rejects.toBeInstanceOf(TransientStoreError);
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('uses the old item returned with the conditional failure, without a read', async () => {
    mock.on(PutItemCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
        $metadata: { httpStatusCode: 400 },
        Item: { businessKey: { S: 'k' }, eventId: { S: 'e0' }, authorizationId: { S: 'a0' }, expiresAt: { N: '42' } },
      }),
    );
    await expect(mocked.claim(claim('k', 'e1'), NOW)).resolves.toEqual({
      claimed: false,
      existing: { businessKey: 'k', eventId: 'e0', authorizationId: 'a0', expiresAt: 42 },
    });
    expect(mock.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#key) OR #ttl < :now',
      ExpressionAttributeNames: { '#key': 'businessKey', '#ttl': 'expiresAt' },
    });
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(0);
  });
});
