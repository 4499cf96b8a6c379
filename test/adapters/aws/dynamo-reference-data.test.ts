import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoReferenceData, referenceItem, referenceVersionItem } from '../../../src/adapters/aws/dynamo-reference-data';
import type { AccountRecord, CardRecord, FxRateRecord, MerchantRecord, ProductRecord } from '../../../src/ports';
import { TransientStoreError } from '../../../src/ports';
import type { Dynalite } from './support/dynalite';
import { closedPortClient, startDynalite, TEST_AWS } from './support/dynalite';

const card: CardRecord = { panToken: 'tok_4f9a0c', accountId: 'ACC-001', network: 'VISA', status: 'ACTIVE' };
const account: AccountRecord = {
  accountId: 'ACC-001',
  iban: 'GB33BUKB20201555555555',
  sortCode: '20-20-15',
  branch: 'London Bridge',
  holderName: 'A Customer',
  productType: 'CURRENT',
  status: 'OPEN',
  currency: 'GBP',
};
const merchant: MerchantRecord = {
  id: 'M-100',
  name: 'Corner Shop',
  mcc: '5411',
  country: 'GB',
  category: 'Groceries',
  settlementAccountId: 'ACC-SETTLE-1',
  currency: 'GBP',
};
const product: ProductRecord = {
  productType: 'CURRENT',
  name: 'Current account',
  perTransactionLimit: { value: '2500.00', currency: 'GBP' },
  fxFeeBasisPoints: 275,
  velocityLimit: 10,
  foreignTransactionsAllowed: true,
};
const fx: FxRateRecord = { from: 'EUR', to: 'GBP', rate: '0.856712345678' };
const LIVE = '2025-06-01.1';
const NEXT = '2025-07-01.1';
/** A card only the next version has. */
const nextCard: CardRecord = { panToken: 'tok_7b21d9', accountId: 'ACC-001', network: 'MASTERCARD', status: 'ACTIVE' };

let db: Dynalite;

beforeAll(async () => {
  db = await startDynalite();
  const items = [
    referenceItem(LIVE, 'card', card),
    referenceItem(LIVE, 'account', account),
    referenceItem(LIVE, 'merchant', merchant),
    referenceItem(LIVE, 'product', product),
    referenceItem(LIVE, 'fx', fx),
    // The next version, written beside the live one (as a load does before its flip): other values.
    referenceItem(NEXT, 'card', nextCard),
    referenceItem(NEXT, 'account', { ...account, holderName: 'Renamed Customer' }),
    referenceItem(NEXT, 'fx', { ...fx, rate: '0.901' }),
    referenceVersionItem(LIVE),
  ];
  for (const Item of items) await db.client.send(new PutItemCommand({ TableName: db.tableNames.reference, Item }));
});

afterAll(async () => {
  await db.stop();
});

describe('DynamoReferenceData (dynalite)', () => {
  it('reads every kind of record by its key, exactly as loaded', async () => {
    const reference = await DynamoReferenceData.open({ client: db.client, tableName: db.tableNames.reference });
    expect(reference.version).toBe('2025-06-01.1');
    await expect(reference.card('tok_4f9a0c')).resolves.toEqual(card);
    await expect(reference.account('ACC-001')).resolves.toEqual(account);
    await expect(reference.merchant('M-100')).resolves.toEqual(merchant);
    await expect(reference.product('CURRENT')).resolves.toEqual(product);
    await expect(reference.fxRate('EUR', 'GBP')).resolves.toEqual(fx);
    await expect(reference.fxRate('GBP', 'EUR')).resolves.toBeUndefined();
    await expect(reference.card('tok_unknown')).resolves.toBeUndefined();
  });

  it('reads only the version the pointer names, never the next version written beside it', async () => {
    const reference = await DynamoReferenceData.open({ client: db.client, tableName: db.tableNames.reference });
    await expect(reference.account('ACC-001')).resolves.toEqual(account);
    await expect(reference.fxRate('EUR', 'GBP')).resolves.toEqual(fx);
    await expect(reference.card(nextCard.panToken)).resolves.toBeUndefined();
  });

  it('takes an explicit version (REFERENCE_DATA_VERSION) without reading the table, and reads that version only', async () => {
    const pinned = await DynamoReferenceData.open({ client: db.client, tableName: db.tableNames.reference, version: 'pinned' });
    expect(pinned.version).toBe('pinned');
    await expect(pinned.card('tok_4f9a0c')).resolves.toBeUndefined();

    const next = await DynamoReferenceData.open({ client: db.client, tableName: db.tableNames.reference, version: NEXT });
    await expect(next.card(nextCard.panToken)).resolves.toEqual(nextCard);
    await expect(next.account('ACC-001')).resolves.toEqual({ ...account, holderName: 'Renamed Customer' });
    await expect(next.fxRate('EUR', 'GBP')).resolves.toEqual({ ...fx, rate: '0.901' });
    // The next version has no such card: the live version's is not read in its place.
    await expect(next.card('tok_4f9a0c')).resolves.toBeUndefined();
  });

  it('maps an unreachable endpoint to TransientStoreError and does not cache the failure', async () => {
    const client = await closedPortClient();
    const offline = new DynamoReferenceData({ client, tableName: db.tableNames.reference, version: 'v' });
    await expect(offline.card('tok_4f9a0c')).rejects.toBeInstanceOf(TransientStoreError);
    await expect(offline.card('tok_4f9a0c')).rejects.toBeInstanceOf(TransientStoreError);
    client.destroy();
  });
});

describe('DynamoReferenceData cache', () => {
  const client = new DynamoDBClient(TEST_AWS);
  const mock = mockClient(client);
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  it('serves repeated and concurrent lookups (hits and misses) from one GetItem until the TTL passes', async () => {
    let now = 1_000;
    mock.on(GetItemCommand, { Key: { pk: { S: 'v1#CARD#tok_4f9a0c' } } }).resolves({ Item: referenceItem('v1', 'card', card) });
    mock.on(GetItemCommand, { Key: { pk: { S: 'v1#CARD#tok_none' } } }).resolves({});
    const reference = new DynamoReferenceData({ client, tableName: 'ref', version: 'v1', cacheTtlMs: 60_000, nowMs: () => now });

    const results = await Promise.all([reference.card('tok_4f9a0c'), reference.card('tok_4f9a0c'), reference.card('tok_4f9a0c')]);
    expect(results).toEqual([card, card, card]);
    await expect(reference.card('tok_none')).resolves.toBeUndefined();
    await expect(reference.card('tok_none')).resolves.toBeUndefined();
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(2);

    now += 60_001;
    await expect(reference.card('tok_4f9a0c')).resolves.toEqual(card);
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(3);
  });

  it('evicts the least recently used entry beyond maxCacheEntries', async () => {
    mock.on(GetItemCommand).resolves({});
    const reference = new DynamoReferenceData({ client, tableName: 'ref', version: 'v1', maxCacheEntries: 2 });
    await reference.card('a');
    await reference.card('b');
    await reference.card('a'); // a is now the most recent
    await reference.card('c'); // evicts b
    await reference.card('a');
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(3);
    await reference.card('b');
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(4);
  });

  it('open() resolves the pointer once: every lookup after it reads that version, however the pointer moves', async () => {
    let pointer = 'v1';
    mock.on(GetItemCommand, { Key: { pk: { S: 'META#VERSION' } } }).callsFake(() => ({ Item: referenceVersionItem(pointer) }));
    mock.on(GetItemCommand, { Key: { pk: { S: 'v1#CARD#tok_4f9a0c' } } }).resolves({ Item: referenceItem('v1', 'card', card) });
    mock.on(GetItemCommand, { Key: { pk: { S: 'v2#CARD#tok_4f9a0c' } } }).resolves({ Item: referenceItem('v2', 'card', { ...card, status: 'BLOCKED' }) });
    const reference = await DynamoReferenceData.open({ client, tableName: 'ref' });
    pointer = 'v2';
    await expect(reference.card('tok_4f9a0c')).resolves.toEqual(card);
    const keys = mock.commandCalls(GetItemCommand).map((call) => call.args[0].input.Key?.pk?.S);
    expect(keys).toEqual(['META#VERSION', 'v1#CARD#tok_4f9a0c']);
    expect(mock.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
    await expect((await DynamoReferenceData.open({ client, tableName: 'ref' })).card('tok_4f9a0c')).resolves.toEqual({ ...card, status: 'BLOCKED' });
  });

  it('open() fails clearly when no version item is loaded', async () => {
    mock.on(GetItemCommand).resolves({});
    await expect(DynamoReferenceData.open({ client, tableName: 'ref' })).rejects.toThrow(/META#VERSION/);
  });
});
