import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, ProvisionedThroughputExceededException, TransactionCanceledException, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoLedgerStore, integerFromDynamoNumber, MAX_LEGS_PER_TRANSACTION } from '../../../src/adapters/aws/dynamo-ledger-store';
import { stableHash } from '../../../src/adapters/aws/errors';
import type { LegDirection, PostingLeg } from '../../../src/domain/events';
import { TransientStoreError } from '../../../src/ports';
import { closedPortClient } from './support/dynalite';
import { FakeLedgerTable } from './support/fake-ledger-table';

const HOT = 'ACC-SETTLE-HOT';

function leg(legId: string, accountId: string, direction: LegDirection, value: string, currency = 'GBP'): PostingLeg {
  return {
    legId,
    sequenceId: `seq-${legId}`,
    legIndex: 0,
    legCount: 2,
    legType: direction === 'DEBIT' ? 'CUSTOMER_DEBIT' : 'MERCHANT_SETTLEMENT_CREDIT',
    accountId,
    direction,
    amount: { value, currency },
    valueDate: '2025-06-02',
    narrative: 'Card payment',
    authorizationId: `auth-${legId}`,
  };
}

/** n credits to one account: leg i is worth (i + 1) pence. */
function credits(n: number, accountId: string, prefix = 'L'): PostingLeg[] {
  return Array.from({ length: n }, (_, i) => {
    const pence = BigInt(i + 1);
    return leg(`${prefix}-${String(i).padStart(5, '0')}`, accountId, 'CREDIT', `${pence / 100n}.${String(pence % 100n).padStart(2, '0')}`);
  });
}

function transactions(table: FakeLedgerTable): TransactWriteItem[][] {
  return table.mock.commandCalls(TransactWriteItemsCommand).map((call) => call.args[0].input.TransactItems ?? []);
}

const updates = (items: TransactWriteItem[]) => items.filter((item) => item.Update);
const puts = (items: TransactWriteItem[]) => items.filter((item) => item.Put);

let table: FakeLedgerTable;

beforeEach(() => {
  table = new FakeLedgerTable();
});

afterEach(() => {
  table.restore();
});

function storeFor(options: Partial<ConstructorParameters<typeof DynamoLedgerStore>[0]> = {}) {
  return new DynamoLedgerStore({ client: table.client, tableName: 'ledger', retryBaseDelayMs: 0, ...options });
}

describe('DynamoLedgerStore', () => {
  it('appends legs and applies each account’s sum with one versioned update, stored as exact N minor units', async () => {
    const store = storeFor();
    const sequence = [leg('a1', 'ACC-CUST-1', 'DEBIT', '12.30'), leg('a2', 'ACC-MERCH-1', 'CREDIT', '12.30')];
    const result = await store.recordLegs(sequence);
    expect(result).toEqual({ newLegs: sequence, balanceUpdates: 2 });
    expect(transactions(table)).toHaveLength(2);
    for (const items of transactions(table)) {
      expect(puts(items)).toHaveLength(1);
      expect(updates(items)).toHaveLength(1);
    }
    expect(table.items.get('LEG#a1')).toMatchObject({ amount: { S: '12.30' }, amountMinor: { N: '1230' }, direction: { S: 'DEBIT' }, shard: { N: '0' } });
    expect(table.items.get('BAL#ACC-CUST-1#0')).toMatchObject({ balanceMinor: { N: '-1230' }, version: { N: '1' }, currency: { S: 'GBP' } });
    await expect(store.balances()).resolves.toEqual([
      { accountId: 'ACC-CUST-1', currency: 'GBP', balance: '-12.30', version: 1 },
      { accountId: 'ACC-MERCH-1', currency: 'GBP', balance: '12.30', version: 1 },
    ]);
  });

  it('makes exactly one TransactWriteItems per account per batch (legs of one account summed)', async () => {
    const store = storeFor();
    const legs = [...credits(40, 'ACC-A', 'A'), ...credits(40, 'ACC-B', 'B'), ...credits(40, 'ACC-C', 'C')];
    const result = await store.recordLegs(legs);
    expect(result.balanceUpdates).toBe(3);
    expect(result.newLegs).toEqual(legs);
    const calls = transactions(table);
    expect(calls).toHaveLength(3);
    for (const items of calls) {
      expect(puts(items)).toHaveLength(40);
      expect(updates(items)).toHaveLength(1);
      expect(updates(items)[0]?.Update?.ExpressionAttributeValues?.[':delta']).toEqual({ N: String((40 * 41) / 2) });
    }
  });

  it('spreads 1,000 legs to one hot account over chunks of ≤ 99 legs, one TransactWriteItems per account shard', async () => {
    const store = storeFor({ hotAccountShards: { [HOT]: 16 } });
    const legs = credits(1000, HOT);
    const result = await store.recordLegs(legs);

    const chunks = Math.ceil(1000 / MAX_LEGS_PER_TRANSACTION);
    expect(chunks).toBe(11);
    const calls = transactions(table);
    expect(calls).toHaveLength(chunks);
    expect(result.balanceUpdates).toBe(chunks);
    expect(result.newLegs).toHaveLength(1000);

    const balanceKeys = calls.map((items) => {
      expect(items.length).toBeLessThanOrEqual(100);
      expect(puts(items).length).toBeLessThanOrEqual(MAX_LEGS_PER_TRANSACTION);
      expect(updates(items)).toHaveLength(1);
      return updates(items)[0]!.Update!.Key!.pk!.S!;
    });
    // 11 chunks ≤ 16 shards: every chunk has its own shard, starting at hash(smallest legId).
    expect(new Set(balanceKeys).size).toBe(chunks);
    const first = stableHash('L-00000') % 16;
    expect(balanceKeys.sort()).toEqual(Array.from({ length: chunks }, (_, i) => `BAL#${HOT}#${(first + i) % 16}`).sort());
    // Every leg written exactly once, and the shards sum to the whole.
    const written = calls.flatMap((items) => puts(items).map((item) => item.Put!.Item!.legId!.S!));
    expect(new Set(written).size).toBe(1000);
    expect(table.legs()).toHaveLength(1000);
    await expect(store.balances()).resolves.toEqual([{ accountId: HOT, currency: 'GBP', balance: '5005.00', version: chunks }]);
  });

  it('runs chunks that share a shard one after another (more chunks than shards)', async () => {
    const store = storeFor({ hotAccountShards: { [HOT]: 3 } });
    const result = await store.recordLegs(credits(1000, HOT));
    expect(result.balanceUpdates).toBe(11);
    expect(transactions(table)).toHaveLength(11); // no conflicts: same-shard chunks never race
    const shards = [...table.items.values()].filter((item) => item.balanceAccountId).map((item) => item.shard!.N);
    expect(shards.sort()).toEqual(['0', '1', '2']);
    await expect(store.balances()).resolves.toEqual([{ accountId: HOT, currency: 'GBP', balance: '5005.00', version: 11 }]);
  });

  it('drops legs that already exist from a cancelled transaction and retries the rest (any batch composition, exactly once)', async () => {
    const store = storeFor();
    const [a, b, c, d, e] = credits(5, 'ACC-X');
    await store.recordLegs([a!, b!, c!]);
    table.mock.resetHistory();

    const second = await store.recordLegs([e!, b!, d!, c!]);
    expect(second.newLegs).toEqual([e, d]);
    expect(second.balanceUpdates).toBe(1);
    const calls = transactions(table);
    expect(calls).toHaveLength(2);
    expect(puts(calls[0]!).map((item) => item.Put!.Item!.legId!.S)).toEqual(['L-00001', 'L-00002', 'L-00003', 'L-00004']);
    expect(puts(calls[1]!).map((item) => item.Put!.Item!.legId!.S)).toEqual(['L-00003', 'L-00004']);
    expect(updates(calls[1]!)[0]?.Update?.ExpressionAttributeValues?.[':delta']).toEqual({ N: '9' });

    const third = await store.recordLegs([a!, b!, c!, d!, e!, a!]);
    expect(third).toEqual({ newLegs: [], balanceUpdates: 0 });
    await expect(store.balances()).resolves.toEqual([{ accountId: 'ACC-X', currency: 'GBP', balance: '0.15', version: 2 }]);
  });

  it('applies a hot account leg exactly once even when a re-delivery picks another shard', async () => {
    const store = storeFor({ hotAccountShards: { [HOT]: 8 } });
    const legs = credits(30, HOT);
    await store.recordLegs(legs.slice(0, 20));
    const shardOf = (legId: string) => stableHash(legId) % 8;
    expect(shardOf('L-00010')).not.toBe(shardOf('L-00000')); // the re-delivery's smallest legId picks another shard
    await store.recordLegs(legs.slice(10));
    await store.recordLegs([...legs].reverse());
    expect(table.legs()).toHaveLength(30);
    const balanceShards = [...table.items.values()].filter((item) => item.balanceAccountId).map((item) => Number(item.shard!.N));
    expect(balanceShards.sort()).toEqual([shardOf('L-00000'), shardOf('L-00010')].sort());
    await expect(store.balances()).resolves.toMatchObject([{ accountId: HOT, balance: '4.65' }]);
  });

  it('re-reads and retries on a balance version conflict', async () => {
    const store = storeFor();
    await store.recordLegs([leg('p0', 'ACC-Y', 'CREDIT', '1.00')]);
    table.beforeTransact = (_items, call) => {
      if (call === 2) table.bump('BAL#ACC-Y#0', 500n); // a concurrent writer gets in between read and write
    };
    table.mock.resetHistory();
    const result = await store.recordLegs([leg('p1', 'ACC-Y', 'CREDIT', '2.50')]);
    expect(result).toEqual({ newLegs: [leg('p1', 'ACC-Y', 'CREDIT', '2.50')], balanceUpdates: 1 });
    const calls = transactions(table);
    expect(calls).toHaveLength(2);
    expect(updates(calls[0]!)[0]?.Update?.ExpressionAttributeValues?.[':expected']).toEqual({ N: '1' });
    expect(updates(calls[1]!)[0]?.Update?.ExpressionAttributeValues?.[':expected']).toEqual({ N: '2' });
    expect(table.mock.commandCalls(GetItemCommand)).toHaveLength(2);
    expect(table.items.get('BAL#ACC-Y#0')).toMatchObject({ balanceMinor: { N: '850' }, version: { N: '3' } });
  });

  it('creates a missing balance conditionally, and a racing creator is a conflict, not a double apply', async () => {
    const store = storeFor();
    table.beforeTransact = (_items, call) => {
      if (call === 1) {
        table.items.set('BAL#ACC-Z#0', {
          pk: { S: 'BAL#ACC-Z#0' },
          balanceMinor: { N: '100' },
          version: { N: '1' },
          balanceAccountId: { S: 'ACC-Z' },
          accountId: { S: 'ACC-Z' },
          shard: { N: '0' },
          currency: { S: 'GBP' },
        });
      }
    };
    await store.recordLegs([leg('z1', 'ACC-Z', 'DEBIT', '0.40')]);
    const calls = transactions(table);
    expect(updates(calls[0]!)[0]?.Update?.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(updates(calls[1]!)[0]?.Update?.ConditionExpression).toBe('#version = :expected');
    expect(table.items.get('BAL#ACC-Z#0')).toMatchObject({ balanceMinor: { N: '60' }, version: { N: '2' } });
  });

  it('gives up with TransientStoreError after bounded conflict retries, writing nothing', async () => {
    const store = storeFor({ maxConflictRetries: 3 });
    await store.recordLegs([leg('q0', 'ACC-Q', 'CREDIT', '1.00')]);
    table.beforeTransact = () => table.bump('BAL#ACC-Q#0', 1n);
    table.mock.resetHistory();
    await expect(store.recordLegs([leg('q1', 'ACC-Q', 'CREDIT', '1.00')])).rejects.toBeInstanceOf(TransientStoreError);
    expect(transactions(table)).toHaveLength(4);
    expect(table.items.has('LEG#q1')).toBe(false);
  });

  it('retries throttled cancellations, and maps throttling errors to TransientStoreError (never to "already recorded")', async () => {
    const store = storeFor();
    table.beforeTransact = (items, call) =>
      call === 1
        ? new TransactionCanceledException({
            message: 'throttled',
            $metadata: { httpStatusCode: 400 },
            CancellationReasons: items.map(() => ({ Code: 'ThrottlingError' })),
          })
        : undefined;
    await expect(store.recordLegs([leg('t1', 'ACC-T', 'CREDIT', '1.00')])).resolves.toMatchObject({ balanceUpdates: 1 });

    table.beforeTransact = () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } });
    await expect(store.recordLegs([leg('t2', 'ACC-T', 'CREDIT', '1.00')])).rejects.toBeInstanceOf(TransientStoreError);
    expect(table.items.has('LEG#t2')).toBe(false);
  });

  it('rejects legs of one account in two currencies, and a leg in another currency than the balance', async () => {
    const store = storeFor();
    await expect(store.recordLegs([leg('c1', 'ACC-C', 'CREDIT', '1.00'), leg('c2', 'ACC-C', 'CREDIT', '1.00', 'EUR')])).rejects.toThrow(/several currencies/);
    await store.recordLegs([leg('c3', 'ACC-C', 'CREDIT', '1.00')]);
    await expect(store.recordLegs([leg('c4', 'ACC-C', 'CREDIT', '1.00', 'EUR')])).rejects.toThrow(/balance is in GBP/);
  });

  it('maps an unreachable endpoint to TransientStoreError', async () => {
    const client = await closedPortClient();
    const offline = new DynamoLedgerStore({ client, tableName: 'ledger' });
    await expect(offline.recordLegs([leg('o1', 'ACC-O', 'CREDIT', '1.00')])).rejects.toBeInstanceOf(TransientStoreError);
    await expect(offline.balances()).rejects.toBeInstanceOf(TransientStoreError);
    client.destroy();
  });

  it('keeps amounts exact beyond float precision', async () => {
    const store = storeFor();
    await store.recordLegs([leg('big1', 'ACC-BIG', 'CREDIT', '90071992547409.93'), leg('big2', 'ACC-BIG', 'CREDIT', '0.01')]);
    expect(table.items.get('BAL#ACC-BIG#0')?.balanceMinor).toEqual({ N: '9007199254740994' });
    await expect(store.balances()).resolves.toMatchObject([{ balance: '90071992547409.94' }]);
  });
});

describe('integerFromDynamoNumber', () => {
  it.each([
    ['0', 0n],
    ['-1230', -1230n],
    ['1.23E+4', 12300n],
    ['1E+20', 100000000000000000000n],
    ['-5.000', -5n],
    ['9007199254740993', 9007199254740993n],
  ])('%s → %s', (text, expected) => {
    expect(integerFromDynamoNumber(text)).toBe(expected);
  });

  it('refuses non-integers', () => {
    expect(() => integerFromDynamoNumber('1.5')).toThrow(/not an integer/);
    expect(() => integerFromDynamoNumber('abc')).toThrow(/not a DynamoDB number/);
  });
});

describe('expressions DynamoDB accepts', () => {
  // DynamoDB reserves 573 words (`shard`, `name`, `status`, ...). Rather than keep that list, the rule
  // is stricter: every attribute name goes through a #placeholder; only the grammar's own words are bare.
  const KEYWORDS = new Set([
    'SET',
    'REMOVE',
    'ADD',
    'DELETE',
    'AND',
    'OR',
    'NOT',
    'BETWEEN',
    'IN',
    'if_not_exists',
    'attribute_not_exists',
    'attribute_exists',
    'attribute_type',
    'begins_with',
    'contains',
    'size',
    'list_append',
  ]);

  it('names every attribute through a #placeholder in every update and condition (reserved words such as `shard` are rejected by DynamoDB)', async () => {
    const store = storeFor({ hotAccountShards: { 'ACC-HOT': 3 } });
    await store.recordLegs([leg('e1', 'ACC-CUST-1', 'DEBIT', '1.00'), leg('e2', 'ACC-HOT', 'CREDIT', '1.00')]);
    await store.recordLegs([leg('e3', 'ACC-CUST-1', 'DEBIT', '2.00'), leg('e4', 'ACC-HOT', 'CREDIT', '2.00')]);
    const expressions = transactions(table)
      .flat()
      .flatMap((item) => [item.Update?.UpdateExpression, item.Update?.ConditionExpression, item.Put?.ConditionExpression, item.ConditionCheck?.ConditionExpression])
      .filter((expression): expression is string => expression !== undefined);
    expect(expressions.length).toBeGreaterThanOrEqual(8);
    for (const expression of expressions) {
      const bare = (expression.match(/[#:]?[A-Za-z_][A-Za-z0-9_]*/g) ?? []).filter((token) => !token.startsWith('#') && !token.startsWith(':') && !KEYWORDS.has(token));
      expect({ expression, bare }).toEqual({ expression, bare: [] });
    }
  });
});
