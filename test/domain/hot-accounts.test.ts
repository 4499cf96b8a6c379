import fc from 'fast-check';
import { hotAccountFaults, hotShard, knownAccounts, MAX_HOT_ACCOUNT_SHARDS, requiredShards, shardCount, type HotAccountReference } from '../../src/domain/hot-accounts';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

const reference: HotAccountReference = {
  accounts: [
    { accountId: 'ACC-1', currency: 'GBP' },
    { accountId: 'ACC-2', currency: 'EUR' },
  ],
  settlementAccounts: [
    { accountId: 'SETTLE-GBP-001', currency: 'GBP' },
    { accountId: 'SETTLE-JPY-001', currency: 'JPY' },
  ],
  merchants: [{ settlementAccountId: 'SETTLE-JPY-001', currency: 'JPY' }],
  fxRates: [{ from: 'CHF', to: 'GBP' }],
};

describe('knownAccounts (HOT-1)', () => {
  it('knows customer and settlement accounts, FX position accounts of every currency in use and fee income accounts of customer currencies', () => {
    expect(Object.fromEntries(knownAccounts(reference))).toEqual({
      'ACC-1': 'customer',
      'ACC-2': 'customer',
      'SETTLE-GBP-001': 'settlement',
      'SETTLE-JPY-001': 'settlement',
      'FXPOS-GBP': 'fx-position',
      'FXPOS-EUR': 'fx-position',
      'FXPOS-JPY': 'fx-position',
      'FXPOS-CHF': 'fx-position',
      'FXFEE-GBP': 'fx-fee-income',
      'FXFEE-EUR': 'fx-fee-income',
    });
  });
});

describe('hotAccountFaults', () => {
  const known = knownAccounts(reference);

  it('accepts settlement, FX position and fee income accounts with 1..256 shards', () => {
    expect(hotAccountFaults({ 'SETTLE-GBP-001': 1, 'FXPOS-CHF': 256, 'FXFEE-EUR': 7 }, known)).toEqual([]);
    expect(hotAccountFaults({}, known)).toEqual([]);
  });

  it('names the account and the fault, and suggests the account a near miss meant', () => {
    expect(hotAccountFaults({ 'settle-gbp-001': 8 }, known)).toEqual(['hot account "settle-gbp-001": no such account in the reference data (did you mean "SETTLE-GBP-001"?)']);
    expect(hotAccountFaults({ 'FXFEE-JPY': 2 }, known)).toEqual(['hot account "FXFEE-JPY": no such account in the reference data']);
    expect(hotAccountFaults({ 'ACC-1': 2 }, known)).toEqual(['hot account "ACC-1": is a customer account; only settlement, FX position and FX fee income accounts are sharded (HOT-1)']);
    expect(hotAccountFaults({ 'SETTLE-GBP-001': 2.5 }, known)).toEqual(['hot account "SETTLE-GBP-001": shard count 2.5 is not an integer from 1 to 256']);
    expect(hotAccountFaults({ 'SETTLE-GBP-001': '8' }, known)).toEqual(['hot account "SETTLE-GBP-001": shard count "8" is not an integer from 1 to 256']);
  });
});

describe('hotShard', () => {
  it('is 0 for an account that is not hot', () => {
    expect(hotShard('any', 1)).toBe(0);
    expect(hotShard('any', 1, 5)).toBe(0);
  });

  it('gives a call’s chunks consecutive, distinct shards (up to n), deterministically from the anchor', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 2, max: MAX_HOT_ACCOUNT_SHARDS }), (anchor, shards) => {
        const chunks = Array.from({ length: Math.min(shards, 10) }, (_, offset) => hotShard(anchor, shards, offset));
        expect(new Set(chunks).size).toBe(chunks.length);
        for (const [offset, shard] of chunks.entries()) {
          expect(shard).toBe((chunks[0]! + offset) % shards);
          expect(shard).toBeGreaterThanOrEqual(0);
          expect(shard).toBeLessThan(shards);
        }
        expect(hotShard(anchor, shards)).toBe(chunks[0]);
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(0x5a) },
    );
  });

  it('spreads different anchors over the shards (concurrent batches start on different shards)', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 1600; i += 1) counts[hotShard(`0190a1b2-c3d4-7e5f-8a6b-${String(i).padStart(12, '0')}`, 16)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(50);
  });
});

describe('shardCount', () => {
  it('is the configured count for a hot account, else 1', () => {
    expect(shardCount({ A: 8 }, 'A')).toBe(8);
    expect(shardCount({ A: 8 }, 'B')).toBe(1);
    expect(shardCount(undefined, 'A')).toBe(1);
    expect(shardCount({ A: 0 }, 'A')).toBe(1);
    expect(shardCount({ A: 2.5 }, 'A')).toBe(1);
    expect(shardCount({}, 'toString')).toBe(1);
  });
});

describe('requiredShards', () => {
  it('is the updates a second the account sees, times the slowest update, in whole shards', () => {
    // 1,111/s × 3 × 44% = 1,466.5 updates/s; at 40 ms an item takes 25/s → 58.7 → 59 shards.
    expect(requiredShards({ paymentsPerSecond: 1111, headroom: 3, share: 0.44, updateMs: 40 })).toBe(59);
    expect(requiredShards({ paymentsPerSecond: 1111, headroom: 3, share: 0.44, updateMs: 5 })).toBe(8);
    expect(requiredShards({ paymentsPerSecond: 1111, headroom: 3, share: 0.0001, updateMs: 40 })).toBe(1);
    expect(requiredShards({ paymentsPerSecond: 0, headroom: 3, share: 1, updateMs: 40 })).toBe(1);
  });

  it('one shard always suffices for 1000 / updateMs updates a second, and never more', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 100 }), (share, rate, updateMs) => {
        const shards = requiredShards({ paymentsPerSecond: rate, headroom: 1, share, updateMs });
        const perShard = 1000 / updateMs;
        expect(shards * perShard).toBeGreaterThanOrEqual(rate * share - 1e-9);
        if (shards > 1) expect((shards - 1) * perShard).toBeLessThan(rate * share + 1e-9);
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(0x5b) },
    );
  });
});
