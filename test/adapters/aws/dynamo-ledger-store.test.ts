/**
 * DynamoLedgerStore specifics, on dynalite with transactions (the shared behaviour is the
 * LedgerStore contract, test/adapters/contracts): the item layout, what a batch costs in write
 * units (LEDGER-1), hot-account shards (HOT-1), conflicts, throttling and outages.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import {
  balancesFromLedgerItems,
  DynamoLedgerStore,
  integerFromDynamoNumber,
  itemSizeBytes,
  journalItem,
  legsFromLedgerItems,
  MAX_TRANSACTION_ITEMS,
  sequenceFromLedgerItem,
} from '../../../src/adapters/aws/dynamo-ledger-store';
import { LEDGER_KEYS } from '../../../src/adapters/aws/tables';
import type { LegType, PostingLeg } from '../../../src/domain/events';
import { hotShard } from '../../../src/domain/hot-accounts';
import { fromMinorUnits, minorOf, toMinorUnits } from '../../../src/domain/money';
import { LEG_TYPE_CODES } from '../../../src/domain/posting-record';
import type { PostingSequence } from '../../../src/ports';
import { TransientStoreError } from '../../../src/ports';
import { prod } from '../../../environments/prod';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { dynamoError, DynamoLedgerTable } from '../contracts/support/dynamo-ledger';
import { expectedBalances, realisticSequences } from '../contracts/support/sequences';
import { closedPortClient } from './support/dynalite';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { itemSize } = require('dynalite/db') as { itemSize: (item: Record<string, AttributeValue>) => number };

const HOT = 'SETTLE-GBP-001';
const table = new DynamoLedgerTable();
let pool: PostingSequence[];

beforeAll(async () => {
  await table.start();
  pool = await realisticSequences(300, 7);
});

afterAll(async () => {
  await table.stop();
});

beforeEach(async () => {
  table.fail = undefined;
  table.metering = false;
  table.meter = DynamoLedgerTable.emptyMeter();
  await table.clear();
});

function storeFor(options: Partial<ConstructorParameters<typeof DynamoLedgerStore>[0]> = {}) {
  return new DynamoLedgerStore({ client: table.client, tableName: table.tableName, retryBaseDelayMs: 0, ...options });
}

/** `template` with its first leg moved to `leg`'s account and currency (and its balancing leg's currency). */
function retarget(template: PostingSequence, leg: PostingLeg): PostingSequence {
  return {
    ...template,
    legs: template.legs.slice(0, 2).map((one, index) => ({ ...one, legCount: 2, accountId: index === 0 ? leg.accountId : one.accountId, amount: { value: '1.00', currency: leg.amount.currency } })),
  };
}

function balancesOf(sequences: readonly PostingSequence[]) {
  return [...expectedBalances(sequences)]
    .map(([key, minor]) => {
      const [accountId, currency] = key.split(' ') as [string, string];
      return { accountId, currency, minor };
    })
    .sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
}

async function storedBalances(store: DynamoLedgerStore) {
  return (await store.balances()).map((balance) => ({ accountId: balance.accountId, currency: balance.currency, minor: toMinorUnits(balance.balance, balance.currency) }));
}

/** A leg-level sequence of `n` legs with arbitrary (valid) fields, for the item round trip. */
const sequenceArbitrary = fc
  .record({
    sequenceId: fc.stringMatching(/^[0-9a-f-]{8,36}$/),
    authorizationId: fc.string({ minLength: 1, maxLength: 35 }),
    valueDate: fc.constantFrom('2026-11-01', '2026-12-31'),
    narrative: fc.string({ maxLength: 140 }),
    legs: fc.array(
      fc.record({
        legType: fc.constantFrom(...(Object.keys(LEG_TYPE_CODES) as LegType[])),
        accountId: fc.string({ minLength: 1, maxLength: 34 }),
        minor: fc.bigInt({ min: 0n, max: 10n ** 20n }),
        currency: fc.constantFrom('GBP', 'EUR', 'JPY', 'BHD'),
        oddIndex: fc.boolean(),
        oddId: fc.boolean(),
        oddCount: fc.boolean(),
        oddNarrative: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        oddAuthorization: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }),
        oddDate: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ sequenceId, authorizationId, valueDate, narrative, legs }): PostingSequence => {
    return {
      sequenceId,
      authorizationId,
      legs: legs.map((leg, position): PostingLeg => {
        const legIndex = leg.oddIndex ? position + 10 : position + 1;
        return {
          legId: leg.oddId ? `custom-${position}` : `${sequenceId}:${legIndex}`,
          sequenceId,
          legIndex,
          legCount: leg.oddCount ? 9 : legs.length,
          legType: leg.legType,
          accountId: leg.accountId,
          direction: position % 2 === 0 ? 'DEBIT' : 'CREDIT',
          amount: { value: fromMinorUnits(leg.minor, leg.currency), currency: leg.currency },
          valueDate: leg.oddDate && position > 0 ? '2027-01-01' : valueDate,
          narrative: leg.oddNarrative !== undefined && position > 0 ? leg.oddNarrative : narrative,
          authorizationId: leg.oddAuthorization !== undefined ? leg.oddAuthorization : authorizationId,
        };
      }),
    };
  });

describe('the journal item (LEDGER-1)', () => {
  it('holds a whole sequence and reads back exactly (generated, any legal leg fields)', () => {
    fc.assert(
      fc.property(sequenceArbitrary, (sequence) => {
        const item = journalItem(sequence);
        expect(item.pk).toEqual({ S: LEDGER_KEYS.sequence(sequence.sequenceId) });
        expect(sequenceFromLedgerItem(item)).toEqual(sequence);
        // What DynamoDB bills: never under-estimated by the store's own sizing.
        expect(itemSizeBytes(item)).toBeGreaterThanOrEqual(itemSize(item));
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(0x10e) },
    );
  });

  it('writes what the legs share once: a realistic 2-leg item names the account, D/C, minor units and currency per leg, nothing else', () => {
    const sequence = pool.find((candidate) => candidate.legs.length === 2)!;
    const item = journalItem(sequence);
    expect(Object.keys(item).sort()).toEqual(['a', 'd', 'l', 'n', 'pk']);
    expect(item.l!.L!.map((leg) => Object.keys(leg.M!).sort())).toEqual([
      ['ac', 'c', 'm', 's', 't'],
      ['ac', 'c', 'm', 's', 't'],
    ]);
    expect(item.l!.L!.map((leg) => leg.M!.m)).toEqual(sequence.legs.map((leg) => ({ N: minorOf(leg.amount).toString() })));
  });

  it('stays under 1 KB (2 WRU in a transaction) for the largest realistic sequence: 6 legs, 140-character narrative of 3-byte characters, 34-character accounts and authorisation id', () => {
    const six = pool.find((candidate) => candidate.legs.length === 6)!;
    const worst: PostingSequence = {
      sequenceId: six.sequenceId,
      authorizationId: 'A'.repeat(35),
      legs: six.legs.map((leg) => ({
        ...leg,
        accountId: leg.accountId.padEnd(34, 'X'),
        narrative: 'N'.repeat(140),
        authorizationId: 'A'.repeat(35),
        amount: { ...leg.amount, value: '9999999999999999.99' },
      })),
    };
    const item = journalItem(worst);
    expect(itemSize(item)).toBeLessThanOrEqual(1024);
    expect(itemSizeBytes(item)).toBeLessThanOrEqual(1024);
    for (const sequence of pool) expect(itemSizeBytes(journalItem(sequence))).toBeLessThan(512);
  });

  it('legsFromLedgerItems and balancesFromLedgerItems read a scanned table (for the rehearsal): every leg, and the shards summed', async () => {
    const store = storeFor({ hotAccountShards: { [HOT]: 8 } });
    const sequences = pool.slice(0, 80);
    await store.recordPostings(sequences.slice(0, 50));
    await store.recordPostings(sequences.slice(30));
    const items = await table.items();
    expect(items.filter((item) => item.pk!.S!.startsWith('LEG#'))).toEqual([]);
    expect(legsFromLedgerItems(items)).toEqual([...sequences].sort((a, b) => (a.sequenceId < b.sequenceId ? -1 : 1)).flatMap((sequence) => sequence.legs));
    expect(balancesFromLedgerItems(items)).toEqual(await store.balances());
    expect(items.filter((item) => item.pk!.S!.startsWith(`BAL#${HOT}#`)).length).toBeGreaterThan(1);
  });
});

describe('write units per payment (LEDGER-1)', () => {
  it('a realistic batch of 100 payments, with prod’s hot accounts, costs 2 WRU per journal item + 2 per balance update (under 5 WRU per payment), + 1 WRU per balance shard it creates', async () => {
    const store = storeFor({ hotAccountShards: prod.runtime.hotAccountShards });
    const batch = pool.slice(100, 200);
    // A running ledger: other payments recorded before.
    await store.recordPostings(pool.slice(0, 100));
    await store.recordPostings(pool.slice(200, 300));
    const plan = store.plan(batch);
    const keys = [...new Set(plan.flatMap((chunk) => chunk.balances.map((balance) => balance.key)))];
    const absent = (await Promise.all(keys.map(async (key) => ((await table.item({ pk: { S: key } })) ? 0 : 1)))).reduce<number>((a, b) => a + b, 0);
    table.metering = true;
    table.meter = DynamoLedgerTable.emptyMeter();
    const result = await store.recordPostings(batch);
    table.metering = false;
    const meter = table.meter;

    expect(result.newSequences).toHaveLength(100);
    expect(meter.cancelled).toBe(0);
    expect(meter.transactions).toBe(plan.length);
    expect(result.balanceUpdates).toBe(plan.reduce((sum, chunk) => sum + chunk.balances.length, 0));
    expect(meter.items).toBe(100 + result.balanceUpdates);
    // Every item is under 1 KB: each costs exactly 2 WRU in a transaction.
    expect(meter.largestItem).toBeLessThanOrEqual(1024);
    expect(meter.tableWru).toBe(2 * (100 + result.balanceUpdates));
    // The keys-only balances index is written only by a shard's creation.
    expect(meter.indexWru).toBe(absent);
    // The floor is 4: a journal item (2) + the customer's own balance (2), customers being distinct
    // within a batch; each shared account (settlement, FX) is one update per chunk it appears in.
    // (The leg-per-item design cost 2 per leg, 2 + 1 (index) per balance update and 1 per leg in a sequences table.)
    const distinctAccounts = new Set(batch.flatMap((sequence) => sequence.legs.map((leg) => leg.accountId))).size;
    expect(result.balanceUpdates).toBeLessThanOrEqual(Math.ceil(distinctAccounts * 1.1));
    const wruPerPayment = meter.tableWru / 100;
    expect(wruPerPayment).toBeGreaterThanOrEqual(4);
    expect(wruPerPayment).toBeLessThan(5);
    // Reads: at most one consistent read (1 RRU) per balance shard the batch touches.
    expect(meter.rru).toBeLessThanOrEqual(keys.length - absent);
    process.stdout.write(
      `LEDGER-1 measured (100 payments, ${distinctAccounts} accounts): ${meter.transactions} TransactWriteItems, ${result.balanceUpdates} balance updates, ` +
        `${meter.tableWru} WRU = ${wruPerPayment} WRU per payment; ${meter.indexWru} index WRU for ${absent} shards created; ${meter.rru} RRU; largest item ${meter.largestItem} B\n`,
    );
  });

  it('writes the balances index only when a shard is created, never on an update', async () => {
    const store = storeFor();
    table.metering = true;
    const first = await store.recordPostings(pool.slice(0, 40));
    const created = table.meter.indexWru;
    expect(created).toBe(first.balanceUpdates); // every shard of a fresh ledger is created once
    await store.recordPostings(pool.slice(0, 80));
    const accountsBefore = new Set(pool.slice(0, 40).flatMap((s) => s.legs.map((l) => l.accountId)));
    const newAccounts = new Set(
      pool
        .slice(40, 80)
        .flatMap((s) => s.legs.map((l) => l.accountId))
        .filter((a) => !accountsBefore.has(a)),
    );
    expect(table.meter.indexWru - created).toBe(newAccounts.size);
  });
});

describe('packing and hot-account shards (HOT-1)', () => {
  it('packs chunks of ≤ 100 items, each sequence once, and gives a hot account’s chunks consecutive shards from hash(its smallest sequence id)', () => {
    const store = storeFor({ hotAccountShards: { [HOT]: 16 } });
    const batch = pool.slice(0, 300);
    const chunks = store.plan(batch);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flatMap((chunk) => chunk.sequenceIds).sort()).toEqual(batch.map((s) => s.sequenceId).sort());
    for (const chunk of chunks) expect(chunk.sequenceIds.length + chunk.balances.length).toBeLessThanOrEqual(MAX_TRANSACTION_ITEMS);
    const anchor = batch
      .filter((s) => s.legs.some((l) => l.accountId === HOT))
      .map((s) => s.sequenceId)
      .sort()[0]!;
    const hotShards = chunks.flatMap((chunk) => chunk.balances.filter((b) => b.accountId === HOT).map((b) => b.shard));
    expect(hotShards).toEqual(hotShards.map((_, offset) => hotShard(anchor, 16, offset)));
    expect(new Set(hotShards).size).toBe(hotShards.length);
    // Accounts that are not hot stay on shard 0.
    for (const chunk of chunks) for (const balance of chunk.balances) if (balance.accountId !== HOT) expect(balance.shard).toBe(0);
  });

  it('packs sequences sharing accounts together: fewer balance updates than one chunk per 33 payments would make', () => {
    const store = storeFor();
    const batch = pool.slice(0, 100);
    const chunks = store.plan(batch);
    const naive = [0, 33, 66].map((start) => new Set(batch.slice(start, start + 33).flatMap((s) => s.legs.map((l) => l.accountId))).size).reduce((a, b) => a + b, 0);
    expect(chunks.reduce((sum, chunk) => sum + chunk.balances.length, 0)).toBeLessThanOrEqual(naive);
  });

  it('a re-delivery in another composition picks other shards, and still applies each sequence once', async () => {
    const store = storeFor({ hotAccountShards: { [HOT]: 8 } });
    const hot = pool.filter((s) => s.legs.some((l) => l.accountId === HOT)).slice(0, 30);
    await store.recordPostings(hot.slice(0, 20));
    await store.recordPostings(hot.slice(10));
    await store.recordPostings([...hot].reverse());
    const shards = (await table.items()).filter((item) => item.pk!.S!.startsWith(`BAL#${HOT}#`));
    expect(shards.length).toBeGreaterThanOrEqual(1);
    expect(await storedBalances(store)).toEqual(balancesOf(hot));
  });
});

describe('conflicts, throttling and outages', () => {
  /** Another writer's update of a balance shard, straight to dynalite (the store does not see it). */
  async function bump(key: string, minor: bigint): Promise<void> {
    const item = (await table.item({ pk: { S: key } }))!;
    const next = { ...item, balanceMinor: { N: (BigInt(String(item.balanceMinor!.N)) + minor).toString() }, version: { N: String(Number(item.version!.N) + 1) } };
    await table.standIn.forward('PutItem', JSON.stringify({ TableName: table.tableName, Item: next }));
  }

  it('a balance moved by another writer between read and write: the version comes back with the cancellation (no re-read), the retry applies once', async () => {
    const store = storeFor();
    const first = pool.slice(0, 10);
    await store.recordPostings(first);
    const next = pool.slice(10, 20);
    const known = new Set(first.flatMap((s) => s.legs.map((l) => l.accountId)));
    const account = next.flatMap((s) => s.legs.map((l) => l.accountId)).find((id) => known.has(id))!;
    expect(account).toBeDefined();
    const key = LEDGER_KEYS.balance(account, 0);
    let reads = 0;
    let transactions = 0;
    let moved = false;
    table.fail = async (operation, input) => {
      if (operation === 'BatchGetItem') reads += 1;
      if (operation !== 'TransactWriteItems') return undefined;
      transactions += 1;
      if (!moved && JSON.stringify(input).includes(`"${key}"`)) {
        moved = true;
        await bump(key, 500n); // another writer commits after the store read the version
      }
      return undefined;
    };
    const result = await store.recordPostings(next);
    expect(moved).toBe(true);
    expect(result.newSequences).toEqual(next.map((s) => s.sequenceId));
    expect(reads).toBe(1); // the versions read once for the call; the retry took the new one from ALL_OLD
    expect(transactions).toBe(store.plan(next).length + 1);
    const expected = balancesOf([...first, ...next]).map((b) => (b.accountId === account ? { ...b, minor: b.minor + 500n } : b));
    expect(await storedBalances(store)).toEqual(expected);
  });

  it('gives up with TransientStoreError after bounded conflict retries, writing nothing', async () => {
    const store = storeFor({ maxConflictRetries: 3 });
    const [a] = pool;
    await store.recordPostings([a!]);
    const account = a!.legs[0]!.accountId;
    const key = LEDGER_KEYS.balance(account, 0);
    const other = pool.find((s) => s !== a && s.legs.some((l) => l.accountId === account)) ?? retarget(pool[1]!, a!.legs[0]!);
    let transactions = 0;
    table.fail = async (operation) => {
      if (operation !== 'TransactWriteItems') return undefined;
      transactions += 1;
      await bump(key, 1n); // every attempt meets a balance another writer has just moved
      return undefined;
    };
    await expect(store.recordPostings([other])).rejects.toBeInstanceOf(TransientStoreError);
    expect(transactions).toBe(4);
    table.fail = undefined;
    expect(await table.item({ pk: { S: LEDGER_KEYS.sequence(other.sequenceId) } })).toBeUndefined();
    const balance = (await storedBalances(store)).find((b) => b.accountId === account)!;
    expect(balance.minor).toBe(balancesOf([a!]).find((b) => b.accountId === account)!.minor + 4n);
  });

  it('retries throttled cancellations, and maps throttling errors to TransientStoreError (never to "already recorded")', async () => {
    const store = storeFor();
    const [a, b] = pool;
    let calls = 0;
    table.fail = (operation, input) => {
      if (operation !== 'TransactWriteItems' || (calls += 1) > 1) return undefined;
      return dynamoError('TransactionCanceledException', 'throttled', { CancellationReasons: (input.TransactItems as unknown[]).map(() => ({ Code: 'ThrottlingError' })) });
    };
    await expect(store.recordPostings([a!])).resolves.toEqual({ newSequences: [a!.sequenceId], balanceUpdates: new Set(a!.legs.map((leg) => leg.accountId)).size });
    expect(calls).toBe(2);
    table.fail = (operation) => (operation === 'TransactWriteItems' ? dynamoError('ProvisionedThroughputExceededException', 'slow down') : undefined);
    await expect(store.recordPostings([b!])).rejects.toBeInstanceOf(TransientStoreError);
    expect(await table.item({ pk: { S: LEDGER_KEYS.sequence(b!.sequenceId) } })).toBeUndefined();
  });

  it('maps an unreachable endpoint to TransientStoreError', async () => {
    const client = await closedPortClient();
    const offline = new DynamoLedgerStore({ client, tableName: 'ledger' });
    await expect(offline.recordPostings([pool[0]!])).rejects.toBeInstanceOf(TransientStoreError);
    await expect(offline.balances()).rejects.toBeInstanceOf(TransientStoreError);
    client.destroy();
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

  it('names every attribute through a #placeholder in every update, condition and projection (reserved words such as `shard` are rejected by DynamoDB)', async () => {
    const store = storeFor({ hotAccountShards: { [HOT]: 3 } });
    const expressions: string[] = [];
    table.fail = (operation, input) => {
      const collect = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(collect);
        else if (value && typeof value === 'object') {
          for (const [name, inner] of Object.entries(value)) {
            if (/Expression$/.test(name) && typeof inner === 'string') expressions.push(inner);
            else collect(inner);
          }
        }
      };
      if (operation !== 'Scan') collect(input);
      return undefined;
    };
    await store.recordPostings(pool.slice(0, 20));
    await store.recordPostings(pool.slice(10, 40));
    await store.balances();
    expect(expressions.length).toBeGreaterThanOrEqual(8);
    for (const expression of expressions) {
      const bare = (expression.match(/[#:]?[A-Za-z_][A-Za-z0-9_]*/g) ?? []).filter((token) => !token.startsWith('#') && !token.startsWith(':') && !KEYWORDS.has(token));
      expect({ expression, bare }).toEqual({ expression, bare: [] });
    }
  });
});
