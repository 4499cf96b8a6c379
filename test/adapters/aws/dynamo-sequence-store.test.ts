import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoSequenceStore } from '../../../src/adapters/aws/dynamo-sequence-store';
import type { PostingLeg } from '../../../src/domain/events';
import { TransientStoreError } from '../../../src/ports';
import type { Dynalite } from './support/dynalite';
import { closedPortClient, startDynalite, TEST_AWS } from './support/dynalite';

let db: Dynalite;
let store: DynamoSequenceStore;

beforeAll(async () => {
  db = await startDynalite();
  store = new DynamoSequenceStore({ client: db.client, tableName: db.tableNames.sequences });
});

afterAll(async () => {
  await db.stop();
});

function leg(sequenceId: string, legIndex: number, legCount: number): PostingLeg {
  return {
    legId: `${sequenceId}-leg-${legIndex}`,
    sequenceId,
    legIndex,
    legCount,
    legType: legIndex === 0 ? 'CUSTOMER_DEBIT' : 'MERCHANT_SETTLEMENT_CREDIT',
    accountId: legIndex === 0 ? 'ACC-CUST-1' : 'ACC-MERCH-1',
    direction: legIndex === 0 ? 'DEBIT' : 'CREDIT',
    amount: { value: '12.30', currency: 'GBP' },
    valueDate: '2025-06-02',
    narrative: 'Card payment',
    authorizationId: `auth-${sequenceId}`,
  };
}

describe('DynamoSequenceStore (dynalite)', () => {
  it('returns, per touched sequence, every leg known so far, in leg order', async () => {
    const first = await store.addLegs([leg('seq-a', 1, 2)]);
    expect([...first.keys()]).toEqual(['seq-a']);
    expect(first.get('seq-a')).toEqual([leg('seq-a', 1, 2)]);

    const second = await store.addLegs([leg('seq-a', 0, 2), leg('seq-b', 0, 3)]);
    expect(second.get('seq-a')).toEqual([leg('seq-a', 0, 2), leg('seq-a', 1, 2)]);
    expect(second.get('seq-b')).toEqual([leg('seq-b', 0, 3)]);
  });

  it('is idempotent by legId (re-delivered and duplicated legs are stored once)', async () => {
    const result = await store.addLegs([leg('seq-c', 0, 2), leg('seq-c', 0, 2), leg('seq-c', 1, 2)]);
    const again = await store.addLegs([leg('seq-c', 1, 2)]);
    expect(result.get('seq-c')).toHaveLength(2);
    expect(again.get('seq-c')).toEqual([leg('seq-c', 0, 2), leg('seq-c', 1, 2)]);
  });

  it('writes more than one BatchWriteItem worth (25) of legs', async () => {
    const legs = Array.from({ length: 60 }, (_, i) => leg('seq-big', i, 60));
    const result = await store.addLegs(legs);
    expect(result.get('seq-big')?.map((l) => l.legIndex)).toEqual(legs.map((l) => l.legIndex));
  });

  it('sets the TTL from the value date plus the retention', async () => {
    await store.addLegs([leg('seq-ttl', 0, 1)]);
    const item = await db.client.send(new GetItemCommand({ TableName: db.tableNames.sequences, Key: { sequenceId: { S: 'seq-ttl' }, legId: { S: 'seq-ttl-leg-0' } } }));
    expect(item.Item?.expiresAt).toEqual({ N: String(Date.parse('2025-06-02') / 1000 + 35 * 24 * 3600) });
  });

  it('maps an unreachable endpoint to TransientStoreError', async () => {
    const client = await closedPortClient();
    const offline = new DynamoSequenceStore({ client, tableName: db.tableNames.sequences });
    await expect(offline.addLegs([leg('seq-x', 0, 1)])).rejects.toBeInstanceOf(TransientStoreError);
    client.destroy();
  });
});

describe('DynamoSequenceStore (unprocessed items)', () => {
  const client = new DynamoDBClient(TEST_AWS);
  const mock = mockClient(client);
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  it('re-sends only the unprocessed items until none are left', async () => {
    let call = 0;
    mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
      call += 1;
      const requests = input.RequestItems.seq ?? [];
      return { UnprocessedItems: call === 1 ? { seq: requests.slice(1) } : {} };
    });
    mock.on(QueryCommand).resolves({ Items: [] });
    const store = new DynamoSequenceStore({ client, tableName: 'seq', retryBaseDelayMs: 0 });
    await store.addLegs([leg('seq-u', 0, 3), leg('seq-u', 1, 3), leg('seq-u', 2, 3)]);
    const sent = mock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems?.seq?.length);
    expect(sent).toEqual([3, 2]);
  });

  it('gives up with TransientStoreError when items stay unprocessed', async () => {
    mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => ({ UnprocessedItems: input.RequestItems }));
    const store = new DynamoSequenceStore({ client, tableName: 'seq', retryBaseDelayMs: 0, maxUnprocessedRetries: 2 });
    await expect(store.addLegs([leg('seq-v', 0, 1)])).rejects.toBeInstanceOf(TransientStoreError);
    expect(mock.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
  });
});
