import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { RUNTIME_VARIABLES, variablesFor } from '../../../src/adapters/aws/runtime-config';
import { WORKBENCH_VARIABLES } from '../../../src/adapters/aws/workbench-config';
import type { TableDefinition } from '../../../src/adapters/aws/tables';
import {
  attributeDefinitions,
  createTableInput,
  LEDGER_BALANCE_ATTRIBUTES,
  LEDGER_BALANCES_INDEX,
  LEDGER_JOURNAL_ATTRIBUTES,
  LEDGER_KEYS,
  TABLE_NAMES,
  TABLES,
  TRANSACTION_STATUS_INDEXES,
} from '../../../src/adapters/aws/tables';
import { IDEMPOTENCY_TABLE } from '../../../src/adapters/aws/dynamo-idempotency-store';
import { NOTIFICATIONS_TABLE } from '../../../src/adapters/aws/notify-tables';
import { API_VARIABLES } from '../../../functions/api/api';
import { readNotifyConfig } from '../../../functions/notify/config';
import { AUDITED_TABLES } from '../../../stacks/lib/audit-db';
import type { Dynalite } from './support/dynalite';
import { startDynalite } from './support/dynalite';

/** The table variables the notifier's reader requires: each one it names when it is missing. */
const NOTIFY_TABLE_VARIABLES = ['NOTIFICATIONS_TABLE', 'AUTHORISATIONS_TABLE', 'RULES_STATE_TABLE'].filter((name) => {
  const env: Record<string, string> = { NOTIFICATIONS_TABLE: 't', AUTHORISATIONS_TABLE: 'a', RULES_STATE_TABLE: 'r', NOTIFY_EMAIL_FROM: 'f', NOTIFY_SIGNING_KEY_PREFIX: 'p/' };
  delete env[name];
  try {
    readNotifyConfig(env);
    return false;
  } catch (error) {
    return (error as Error).message.includes(name);
  }
});

describe('TABLES', () => {
  it('defines the nine tables with the documented keys', () => {
    expect(TABLE_NAMES.sort()).toEqual(['apiIdempotency', 'authorisations', 'dedup', 'ledger', 'notifications', 'reference', 'rulesState', 'transactions', 'workbench', 'workbenchSessions']);
    expect(TABLES.apiIdempotency).toMatchObject({ partitionKey: { name: 'recordId', type: 'S' }, ttlAttribute: 'expiresAt' });
    expect(TABLES.notifications).toMatchObject({ partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' }, ttlAttribute: 'expiresAt' });
    expect(IDEMPOTENCY_TABLE).toBe(TABLES.apiIdempotency);
    expect(NOTIFICATIONS_TABLE).toBe(TABLES.notifications);
    expect(TABLES.workbench).toMatchObject({ partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' }, pointInTimeRecovery: true });
    expect(TABLES.workbench.globalSecondaryIndexes.map((index) => index.indexName)).toEqual([
      'byStatus',
      'byAccount',
      'byUrgency',
      'byAccountStatus',
      'byAccountUrgency',
      'openRowsByAmount',
      'openRowsByReference',
      'bulkRunning',
    ]);
    expect(TABLES.dedup).toMatchObject({ partitionKey: { name: 'businessKey', type: 'S' }, ttlAttribute: 'expiresAt' });
    expect(TABLES.transactions.partitionKey).toEqual({ name: 'transactionId', type: 'S' });
    expect(TABLES.authorisations).toMatchObject({ partitionKey: { name: 'authorizationId', type: 'S' }, stream: 'NEW_IMAGE' });
    expect(TABLES.ledger).toMatchObject({ partitionKey: { name: 'pk', type: 'S' }, pointInTimeRecovery: true });
  });

  it('streams new images of the tables the audit trail copies (AUDIT-1) and of the authorisations the Pipe reads, and of no other', () => {
    const streamed = TABLE_NAMES.filter((name) => 'stream' in TABLES[name]).sort();
    expect(streamed).toEqual([...AUDITED_TABLES, 'authorisations'].sort());
    for (const name of streamed) expect((TABLES[name] as TableDefinition).stream).toBe('NEW_IMAGE');
  });

  it('gives the ledger one sparse keys-only index of balance items, keyed by the attributes written when a shard is created (LEDGER-1)', () => {
    expect(TABLES.ledger.globalSecondaryIndexes).toEqual([
      expect.objectContaining({
        indexName: LEDGER_BALANCES_INDEX,
        partitionKey: { name: LEDGER_BALANCE_ATTRIBUTES.accountId, type: 'S' },
        sortKey: { name: LEDGER_BALANCE_ATTRIBUTES.shard, type: 'N' },
        projection: { type: 'KEYS_ONLY' },
      }),
    ]);
    expect(Object.keys(TABLES.ledger.itemKinds).sort()).toEqual(['BAL#<accountId>#<shard>', 'SEQ#<sequenceId>']);
    expect(LEDGER_KEYS.sequence('s-1')).toBe(`${LEDGER_KEYS.sequencePrefix}s-1`);
    expect(LEDGER_KEYS.balance('A', 3)).toBe(`${LEDGER_KEYS.balancePrefix}A#3`);
    // Every attribute the ledger writes is documented, and the journal's short names never collide.
    const journal = Object.values(LEDGER_JOURNAL_ATTRIBUTES);
    expect(new Set(journal).size).toBe(journal.length);
    for (const name of [
      ...Object.values(LEDGER_BALANCE_ATTRIBUTES),
      LEDGER_JOURNAL_ATTRIBUTES.authorizationId,
      LEDGER_JOURNAL_ATTRIBUTES.valueDate,
      LEDGER_JOURNAL_ATTRIBUTES.narrative,
      LEDGER_JOURNAL_ATTRIBUTES.legs,
    ]) {
      expect(TABLES.ledger.attributes).toHaveProperty([name]);
    }
  });

  it('gives transactions one sparse GSI per listed status, keyed by its bucket attribute and updatedAt', () => {
    const gsis = TABLES.transactions.globalSecondaryIndexes;
    expect(gsis.map((index) => [index.indexName, index.partitionKey.name, index.sortKey?.name])).toEqual([
      ['retrying', 'retryJob', 'updatedAt'],
      ['failed', 'failedJob', 'updatedAt'],
      ['running', 'runningJob', 'updatedAt'],
    ]);
    expect(Object.values(TRANSACTION_STATUS_INDEXES).every((index) => index.buckets >= 1)).toBe(true);
  });

  it.each(TABLE_NAMES)('%s: attribute definitions are exactly its key attributes; its table name comes from a runtime variable', (name) => {
    const table: TableDefinition = TABLES[name];
    const keys = new Set(
      [table.partitionKey, table.sortKey, ...table.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]), ...table.localSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey])]
        .filter((key) => key !== undefined)
        .map((key) => key.name),
    );
    expect(new Set(attributeDefinitions(table).map((key) => key.name))).toEqual(keys);
    expect([...Object.keys(RUNTIME_VARIABLES), ...Object.keys(WORKBENCH_VARIABLES), ...Object.keys(API_VARIABLES), ...NOTIFY_TABLE_VARIABLES]).toContain(table.envVar);
    for (const index of table.localSecondaryIndexes) expect(index.partitionKey).toEqual(table.partitionKey);
    const input = createTableInput(table, `dev-${name}`);
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    expect(input.KeySchema?.[0]).toEqual({ AttributeName: table.partitionKey.name, KeyType: 'HASH' });
  });

  it('every table a function uses is named in that function’s environment', () => {
    expect(variablesFor('dedup')).toEqual(expect.arrayContaining([TABLES.dedup.envVar, TABLES.transactions.envVar]));
    expect(variablesFor('posting')).toContain(TABLES.ledger.envVar);
    expect(variablesFor('rules')).toContain(TABLES.rulesState.envVar);
    expect(variablesFor('enrich')).toContain(TABLES.reference.envVar);
  });
});

describe('createTableInput (dynalite)', () => {
  let db: Dynalite;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.stop();
  });

  it.each(TABLE_NAMES)('creates %s with its keys and indexes', async (name) => {
    const table: TableDefinition = TABLES[name];
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.tableNames[name] }));
    expect(Table?.KeySchema).toEqual(createTableInput(table, 'x').KeySchema);
    expect((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort()).toEqual(table.globalSecondaryIndexes.map((i) => i.indexName).sort());
    expect((Table?.LocalSecondaryIndexes ?? []).map((index) => index.IndexName)).toEqual(table.localSecondaryIndexes.map((i) => i.indexName));
  });
});
