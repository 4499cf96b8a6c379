/**
 * The CardHistoryStore contract (FRAUD-1) on DynamoDB (dynalite, the rules-state table of
 * tables.ts), and what only this adapter can meet: an item it cannot read is named, a store it
 * cannot reach fails the call.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { cardHistoryPartition, DynamoCardHistoryStore } from '../../../src/adapters/aws/fraud-history';
import { RULES_STATE_KEYS } from '../../../src/adapters/aws/tables';
import { closedPortClient, startDynalite, type Dynalite } from '../aws/support/dynalite';
import { cardHistoryContract } from './fraud-history.contract';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
}, 60_000);
afterAll(async () => {
  await db.stop();
});

cardHistoryContract({ name: 'DynamoCardHistoryStore', runs: 8, open: async () => new DynamoCardHistoryStore({ client: db.client, tableName: db.tableNames.rulesState }) });

describe('DynamoCardHistoryStore beyond the contract', () => {
  const at = Date.parse('2026-03-02T00:00:00.000Z');
  const entry = { transactionId: 'tx-read', atEpochMs: at, amountMinor: 5n, merchantCountry: 'GB' };

  it.each([
    ['a negative amount', { amountMinor: { S: '-5' } }],
    ['a fractional amount', { amountMinor: { S: '1.5' } }],
    ['no country', { country: undefined }],
    ['no transaction id', { tx: undefined }],
  ])('names the item when one in the window holds %s', async (_what, change) => {
    const store = new DynamoCardHistoryStore({ client: db.client, tableName: db.tableNames.rulesState });
    const card = `tok_malformed${String(_what).replace(/[^a-z]/g, '')}`;
    const sk = RULES_STATE_KEYS.velocitySort(at - 1, 'tx-bad');
    const item: Record<string, unknown> = { pk: { S: cardHistoryPartition(card) }, sk: { S: sk }, tx: { S: 'tx-bad' }, amountMinor: { S: '7' }, country: { S: 'FR' }, ...change };
    for (const key of Object.keys(item)) if (item[key] === undefined) delete item[key];
    await db.client.send(new PutItemCommand({ TableName: db.tableNames.rulesState, Item: item as never }));
    await expect(store.recordAndRead(card, entry, 60_000)).rejects.toThrow(`card history item ${cardHistoryPartition(card)} ${sk} is malformed`);
  });

  it('fails the call when the table cannot be reached (the rules stage retries it)', async () => {
    const store = new DynamoCardHistoryStore({ client: await closedPortClient(), tableName: db.tableNames.rulesState });
    await expect(store.recordAndRead('tok_unreachable', entry, 60_000)).rejects.toThrow();
  });
});
