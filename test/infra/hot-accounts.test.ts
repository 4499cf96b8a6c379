/**
 * HOT-1 configuration: every environment's hot-account shards name accounts the repo's reference
 * data has (of a sharded kind, with a valid count), and are enough for the numbers: at the
 * environment's share of 1,111 payments/s with 3× headroom, every account whose payments one item
 * cannot take serially (40 ms per conditional update, as if each payment were its own update) has
 * at least the shards it needs. A generated test shows the validation refuses every class of bad entry.
 */
import fc from 'fast-check';
import { dev } from '../../environments/dev';
import { prod } from '../../environments/prod';
import { staging } from '../../environments/staging';
import type { EnvironmentConfig } from '../../environments/types';
import { assertHotAccounts, HotAccountConfigError, hotAccountFaults, knownAccounts, MAX_HOT_ACCOUNT_SHARDS, requiredShards, type KnownAccounts } from '../../src/domain/hot-accounts';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { realisticSequences, referenceData } from '../adapters/contracts/support/sequences';

const ENVIRONMENTS: readonly EnvironmentConfig[] = [dev, staging, prod];

/** The requirement's rate (NFR1 at scale) and the sizing constants. */
const SUSTAINED_PAYMENTS_PER_SECOND = 1111;
const HEADROOM = 3;
const SLOWEST_UPDATE_MS = 40;
const SAMPLE = 20_000;

let known: KnownAccounts;

beforeAll(() => {
  known = knownAccounts(referenceData());
});

describe('hot-account shards of every environment (HOT-1)', () => {
  it.each(ENVIRONMENTS.map((env) => [env.name, env] as const))('%s names only known settlement / FX accounts with 1..256 shards', (_name, env) => {
    expect(hotAccountFaults(env.runtime.hotAccountShards, known)).toEqual([]);
  });

  it('the validation the environments pass fails when configuration names an account the reference data lacks', () => {
    const stale = { ...prod.runtime.hotAccountShards, 'ACC-SETTLE-1': 16 };
    expect(hotAccountFaults(stale, known)).toEqual(['hot account "ACC-SETTLE-1": no such account in the reference data']);
    expect(() => assertHotAccounts(stale, known, 'prod runtime.hotAccountShards')).toThrow(HotAccountConfigError);
  });

  describe('sizing', () => {
    let shares: Map<string, number>;

    beforeAll(async () => {
      // The share of payments with a leg on each account, from the generator's mix on the shipped reference data.
      const sequences = await realisticSequences(SAMPLE, 20261101);
      const counts = new Map<string, number>();
      for (const sequence of sequences) for (const accountId of new Set(sequence.legs.map((leg) => leg.accountId))) counts.set(accountId, (counts.get(accountId) ?? 0) + 1);
      shares = new Map([...counts].map(([accountId, count]) => [accountId, count / sequences.length]));
    }, 120_000);

    it.each(ENVIRONMENTS.map((env) => [env.name, env] as const))('%s gives every account that needs shards at least what it needs', (_name, env) => {
      // An environment carries prod's rate scaled by its posting capacity (the reserved concurrency of
      // the function that posts in its topology) relative to prod's.
      const poster = (config: EnvironmentConfig) => config.functions[config.runtime.topology === 'fused' ? 'hot-path' : 'posting'].reservedConcurrency!;
      const scale = poster(env) / poster(prod);
      const short: string[] = [];
      for (const [accountId, share] of shares) {
        const needed = requiredShards({ paymentsPerSecond: SUSTAINED_PAYMENTS_PER_SECOND * scale, headroom: HEADROOM, share, updateMs: SLOWEST_UPDATE_MS });
        const configured = env.runtime.hotAccountShards[accountId] ?? 1;
        if (configured < needed) short.push(`${accountId}: ${configured} shard(s), needs ${needed} (share ${(share * 100).toFixed(2)}%)`);
      }
      expect(short).toEqual([]);
    });

    it('the busiest accounts are the hot kinds HOT-1 names, and prod needs many shards for the busiest (one item is not enough)', () => {
      const busiest = [...shares].filter(([accountId]) => known.get(accountId) !== 'customer').sort((a, b) => b[1] - a[1]);
      expect(busiest[0]![0]).toBe('SETTLE-GBP-001');
      expect(busiest.slice(0, 5).map(([accountId]) => known.get(accountId))).toEqual(expect.arrayContaining(['settlement', 'fx-position', 'fx-fee-income']));
      expect(requiredShards({ paymentsPerSecond: SUSTAINED_PAYMENTS_PER_SECOND, headroom: HEADROOM, share: busiest[0]![1], updateMs: SLOWEST_UPDATE_MS })).toBeGreaterThan(16);
      // No customer account comes near needing a second shard.
      const busiestCustomer = Math.max(...[...shares].filter(([accountId]) => known.get(accountId) === 'customer').map(([, share]) => share));
      expect(requiredShards({ paymentsPerSecond: SUSTAINED_PAYMENTS_PER_SECOND, headroom: HEADROOM, share: busiestCustomer, updateMs: SLOWEST_UPDATE_MS })).toBe(1);
    });
  });
});

describe('the validation refuses every class of bad entry (generated, against the repo reference data)', () => {
  type BadEntry = { accountId: string; shards: unknown; fault: RegExp };

  const hotIds = () => [...known].filter(([, kind]) => kind !== 'customer').map(([accountId]) => accountId);
  const customerIds = () => [...known].filter(([, kind]) => kind === 'customer').map(([accountId]) => accountId);
  const validCount = fc.integer({ min: 1, max: MAX_HOT_ACCOUNT_SHARDS });
  const validConfig = () => fc.dictionary(fc.constantFrom(...hotIds()), validCount, { maxKeys: 6 });

  const badEntry = (): fc.Arbitrary<BadEntry> =>
    fc.oneof(
      // An account the reference data lacks (anything not known, including near misses).
      fc
        .oneof(
          fc.string({ minLength: 1, maxLength: 20 }),
          fc.constantFrom(...hotIds()).map((id) => `${id}X`),
          fc.constantFrom('ACC-SETTLE-1', 'SETTLE-XXX-001', 'FXPOS-ZZZ', 'FXFEE-ABC'),
        )
        .filter((id) => id.trim() === id && id.length > 0 && !known.has(id) && id !== '__proto__')
        .chain((accountId) => validCount.map((shards) => ({ accountId, shards, fault: /no such account in the reference data/ }))),
      // A known account of a kind that is not sharded.
      fc.constantFrom(...customerIds()).chain((accountId) => validCount.map((shards) => ({ accountId, shards, fault: /is a customer account/ }))),
      // A shard count that is not an integer from 1 to 256.
      fc
        .tuple(
          fc.constantFrom(...hotIds()),
          fc.oneof(
            fc.integer({ max: 0 }),
            fc.integer({ min: MAX_HOT_ACCOUNT_SHARDS + 1 }),
            fc.double({ min: 1, max: 256, noNaN: true }).filter((value) => !Number.isInteger(value)),
            fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, undefined, true, '8', [8], { shards: 8 }),
          ),
        )
        .map(([accountId, shards]) => ({ accountId, shards, fault: /shard count .* is not an integer from 1 to 256/ })),
      // An empty or padded account id.
      fc
        .constantFrom(...hotIds())
        .chain((id) =>
          fc.constantFrom(
            { accountId: '', shards: 4, fault: /the account id is empty/ },
            { accountId: ` ${id}`, shards: 4, fault: /leading or trailing spaces/ },
            { accountId: `${id}\t`, shards: 4, fault: /leading or trailing spaces/ },
          ),
        ),
    );

  it('a valid map has no fault; the same map with one bad entry has exactly that fault, naming the account', () => {
    fc.assert(
      fc.property(validConfig(), badEntry(), (config, bad) => {
        expect(hotAccountFaults(config, known)).toEqual([]);
        if (Object.prototype.hasOwnProperty.call(config, bad.accountId)) return;
        const faults = hotAccountFaults({ ...config, [bad.accountId]: bad.shards }, known);
        expect(faults).toHaveLength(1);
        expect(faults[0]).toContain(JSON.stringify(bad.accountId));
        expect(faults[0]).toMatch(bad.fault);
        expect(() => assertHotAccounts({ ...config, [bad.accountId]: bad.shards }, known)).toThrow(bad.fault);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(0x407) },
    );
  });

  it('every fault of a map with several bad entries is reported at once', () => {
    fc.assert(
      fc.property(fc.uniqueArray(badEntry(), { minLength: 2, maxLength: 5, selector: (bad) => bad.accountId }), (bads) => {
        const faults = hotAccountFaults(Object.fromEntries(bads.map((bad) => [bad.accountId, bad.shards])), known);
        expect(faults).toHaveLength(bads.length);
        for (const bad of bads) expect(faults.some((fault) => fault.includes(JSON.stringify(bad.accountId)) && bad.fault.test(fault))).toBe(true);
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(0x408) },
    );
  });

  it.each([null, [], 'SETTLE-GBP-001=8', 8, undefined])('refuses %p as the whole map', (config) => {
    expect(hotAccountFaults(config, known)).toEqual([expect.stringMatching(/must be an object/)]);
  });
});
