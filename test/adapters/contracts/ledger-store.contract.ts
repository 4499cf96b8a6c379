/**
 * The LedgerStore contract (FR7, LEDGER-1, HOT-1), run against every adapter (SQLite in memory,
 * DynamoDB on dynalite): a sequence is recorded whole and once, whatever the batch composition of
 * its re-deliveries and however calls overlap; balances are the sum of the recorded sequences,
 * exactly; a failed write leaves nothing half-written.
 */
import fc from 'fast-check';
import type { PostingLeg } from '../../../src/domain/events';
import { minorOf, toMinorUnits } from '../../../src/domain/money';
import type { LedgerStore, PostingSequence, RecordedSequences, RecordPostingsResult } from '../../../src/ports';
import { buildAdjustment } from '../../../src/domain/adjustment';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { expectFailure } from './support/failure';
import { expectedBalances, realisticSequences } from './support/sequences';

/** A leg as every adapter can read it back. */
export interface RecordedLeg {
  legId: string;
  sequenceId: string;
  accountId: string;
  direction: 'DEBIT' | 'CREDIT';
  amountMinor: bigint;
  currency: string;
}

export interface LedgerHarness {
  store: LedgerStore & RecordedSequences;
  /** Every leg the ledger holds. */
  recordedLegs(): Promise<RecordedLeg[]>;
  /** From now on, every ledger write touching `accountId`'s balance fails (undefined: none). */
  failWritesTouching(accountId: string | undefined): void;
}

export interface LedgerAdapter {
  name: string;
  /** A fresh, empty ledger. */
  open(options?: { hotAccountShards?: Readonly<Record<string, number>> }): Promise<LedgerHarness>;
  /** Property runs in CI (an adapter over HTTP runs fewer). */
  runs: number;
}

export const HOT = 'SETTLE-GBP-001';

function recordedOf(leg: PostingLeg): RecordedLeg {
  return { legId: leg.legId, sequenceId: leg.sequenceId, accountId: leg.accountId, direction: leg.direction, amountMinor: minorOf(leg.amount), currency: leg.amount.currency };
}

const byLegId = (a: RecordedLeg, b: RecordedLeg) => (a.legId < b.legId ? -1 : a.legId > b.legId ? 1 : 0);

async function balanceMap(store: LedgerStore): Promise<Map<string, bigint>> {
  const totals = new Map<string, bigint>();
  for (const balance of await store.balances()) {
    const key = `${balance.accountId} ${balance.currency}`;
    expect(totals.has(key)).toBe(false); // one line per account, its shards summed
    totals.set(key, toMinorUnits(balance.balance, balance.currency));
  }
  return totals;
}

/** The ledger holds exactly `recorded` (every leg of each, nothing else) and balances are their sums. */
async function expectLedgerOf(harness: LedgerHarness, recorded: Iterable<PostingSequence>): Promise<void> {
  const sequences = [...new Map([...recorded].map((sequence) => [sequence.sequenceId, sequence])).values()];
  expect((await harness.recordedLegs()).sort(byLegId)).toEqual(sequences.flatMap((sequence) => sequence.legs.map(recordedOf)).sort(byLegId));
  const expected = new Map([...expectedBalances(sequences)].filter(([, minor]) => minor !== 0n));
  const actual = new Map([...(await balanceMap(harness.store))].filter(([, minor]) => minor !== 0n));
  expect(actual).toEqual(expected);
}

/** Every recorded sequence is whole (all its legs) and balances equal the recorded legs' sums. */
async function expectConsistent(harness: LedgerHarness, pool: readonly PostingSequence[]): Promise<PostingSequence[]> {
  const legs = await harness.recordedLegs();
  const ids = new Set(legs.map((leg) => leg.sequenceId));
  const recorded = pool.filter((sequence) => ids.has(sequence.sequenceId));
  await expectLedgerOf(harness, recorded);
  return recorded;
}

function accountsOf(sequences: readonly PostingSequence[]): Set<string> {
  return new Set(sequences.flatMap((sequence) => sequence.legs.map((leg) => leg.accountId)));
}

export function ledgerStoreContract(adapter: LedgerAdapter): void {
  describe(`LedgerStore contract: ${adapter.name}`, () => {
    let pool: PostingSequence[];

    beforeAll(async () => {
      pool = await realisticSequences(60, 20261101);
    });

    it('an empty call records nothing and makes no balance update', async () => {
      const harness = await adapter.open();
      await expect(harness.store.recordPostings([])).resolves.toEqual({ newSequences: [], balanceUpdates: 0 });
      await expect(harness.store.balances()).resolves.toEqual([]);
    });

    it('records each sequence whole and once under re-delivery in any batch composition (generated), and balances are exact sums', async () => {
      const batchOf = fc.array(fc.nat({ max: pool.length - 1 }), { minLength: 0, maxLength: 24 });
      await fc.assert(
        fc.asyncProperty(fc.array(batchOf, { minLength: 1, maxLength: 6 }), fc.constantFrom(1, 3, 8), async (batches, shards) => {
          const harness = await adapter.open({ hotAccountShards: { [HOT]: shards } });
          const reported = new Map<string, number>();
          const sent = new Map<string, PostingSequence>();
          for (const batch of batches) {
            const sequences = batch.map((index) => pool[index]!);
            const alreadySent = new Set(sent.keys());
            const result = await harness.store.recordPostings(sequences);
            for (const sequenceId of result.newSequences) reported.set(sequenceId, (reported.get(sequenceId) ?? 0) + 1);
            for (const sequence of sequences) sent.set(sequence.sequenceId, sequence);
            // New = sent in this call and never before; each once, in the order given.
            const fresh = [...new Set(sequences.map((sequence) => sequence.sequenceId))].filter((sequenceId) => !alreadySent.has(sequenceId));
            expect(result.newSequences).toEqual(fresh);
            // One update per account (shard) touched per write: at least one per account the new sequences touch.
            const freshSequences = sequences.filter((sequence) => fresh.includes(sequence.sequenceId));
            expect(result.balanceUpdates).toBeGreaterThanOrEqual(accountsOf(freshSequences).size);
            expect(result.balanceUpdates).toBeLessThanOrEqual([...new Map(freshSequences.map((s) => [s.sequenceId, s])).values()].reduce((sum, s) => sum + accountsOf([s]).size, 0));
          }
          expect([...reported.values()].every((count) => count === 1)).toBe(true);
          expect(new Set(reported.keys())).toEqual(new Set(sent.keys()));
          await expectLedgerOf(harness, sent.values());
          // Re-delivering everything, shuffled, changes nothing: not even a version.
          const before = await harness.store.balances();
          const again = await harness.store.recordPostings([...sent.values()].reverse());
          expect(again).toEqual<RecordPostingsResult>({ newSequences: [], balanceUpdates: 0 });
          expect(await harness.store.balances()).toEqual(before);
        }),
        { numRuns: fuzzRuns(adapter.runs), seed: fuzzSeed(0x1ed9e7) },
      );
    });

    it('concurrent calls on the same hot account record each sequence once and sum its shards exactly', async () => {
      const harness = await adapter.open({ hotAccountShards: { [HOT]: 4 } });
      const hot = pool.filter((sequence) => sequence.legs.some((leg) => leg.accountId === HOT));
      expect(hot.length).toBeGreaterThanOrEqual(11);
      // Overlapping batches, all touching the hot account, sent at once.
      const calls = [0, 1, 2, 3, 4, 5].map((call) => [...hot.slice(call, call + 6), ...pool.slice(call * 5, call * 5 + 5)]);
      const results = await Promise.all(calls.map((batch) => harness.store.recordPostings(batch)));
      const reported = results.flatMap((result) => result.newSequences);
      const sent = new Map(calls.flat().map((sequence) => [sequence.sequenceId, sequence]));
      expect(reported.sort()).toEqual([...sent.keys()].sort());
      await expectLedgerOf(harness, sent.values());
      const hotBalance = (await harness.store.balances()).find((balance) => balance.accountId === HOT)!;
      // Versions count writes: at least one per call that recorded a hot sequence.
      expect(hotBalance.version).toBeGreaterThanOrEqual(1);
    });

    it('hasSequence is true exactly for the sequences recorded, and a failed write records none (ADJ-1)', async () => {
      const harness = await adapter.open({ hotAccountShards: { [HOT]: 2 } });
      const recorded = pool.slice(0, 10);
      await harness.store.recordPostings(recorded);
      for (const sequence of recorded) await expect(harness.store.hasSequence(sequence.sequenceId)).resolves.toBe(true);
      for (const sequence of pool.slice(10, 20)) await expect(harness.store.hasSequence(sequence.sequenceId)).resolves.toBe(false);
      // A prefix of a recorded id, or an id with a suffix, is another sequence.
      const someId = recorded[0]!.sequenceId;
      await expect(harness.store.hasSequence(someId.slice(0, -1))).resolves.toBe(false);
      await expect(harness.store.hasSequence(`${someId}0`)).resolves.toBe(false);
      const victim = pool.slice(20).find((sequence) => sequence.legs.some((leg) => leg.accountId === HOT))!;
      harness.failWritesTouching(HOT);
      await expectFailure(harness.store.recordPostings([victim]));
      harness.failWritesTouching(undefined);
      await expect(harness.store.hasSequence(victim.sequenceId)).resolves.toBe(false);
    });

    it('records an adjustment (its own leg types) once, and reads its legs back (ADJ-1)', async () => {
      const harness = await adapter.open();
      const adjustment = buildAdjustment({
        case: { caseId: 'exception:statement:L1', side: 'statement', accountId: HOT, currency: 'GBP', amount: '-12.34' },
        target: 'WRITE_OFF',
        approval: { proposedBy: 'ana', proposedAt: '2026-11-02T10:00:00.000Z' },
        ledgerAccountId: HOT,
      })!;
      const sequence: PostingSequence = { sequenceId: adjustment.sequenceId, authorizationId: adjustment.adjustmentId, legs: adjustment.legs };
      await expect(harness.store.recordPostings([sequence])).resolves.toMatchObject({ newSequences: [adjustment.sequenceId] });
      await expect(harness.store.recordPostings([sequence])).resolves.toMatchObject({ newSequences: [] });
      await expect(harness.store.hasSequence(adjustment.sequenceId)).resolves.toBe(true);
      await expectLedgerOf(harness, [sequence]);
    });

    it('a failed write leaves nothing half-written, and a re-delivery then records everything exactly once', async () => {
      const harness = await adapter.open({ hotAccountShards: { [HOT]: 2 } });
      const first = pool.slice(0, 20);
      await harness.store.recordPostings(first);
      // An outage on the writes of one account: every sequence touching it must be absent, whole.
      const batch = pool.slice(15, 45);
      const victim = batch.slice(5).find((sequence) => sequence.legs.some((leg) => leg.accountId === HOT))!;
      expect(victim).toBeDefined();
      harness.failWritesTouching(HOT);
      await expectFailure(harness.store.recordPostings(batch));
      const recorded = await expectConsistent(harness, pool);
      expect(recorded.map((sequence) => sequence.sequenceId)).not.toContain(victim.sequenceId);
      for (const sequence of first) expect(recorded).toContainEqual(sequence);
      harness.failWritesTouching(undefined);
      const retried = await harness.store.recordPostings(batch);
      const all = new Map([...first, ...batch].map((sequence) => [sequence.sequenceId, sequence]));
      expect(new Set([...recorded.map((sequence) => sequence.sequenceId), ...retried.newSequences])).toEqual(new Set(all.keys()));
      expect(retried.newSequences.filter((sequenceId) => recorded.some((sequence) => sequence.sequenceId === sequenceId))).toEqual([]);
      await expectLedgerOf(harness, all.values());
    });

    it('refuses a sequence that does not balance, a leg of another sequence, and an account in two currencies, recording nothing of that call', async () => {
      const harness = await adapter.open();
      const [a, b] = pool;
      const unbalanced: PostingSequence = { ...a!, legs: a!.legs.map((leg, index) => (index === 0 ? { ...leg, amount: { ...leg.amount, value: bump(leg.amount.value) } } : leg)) };
      await expect(harness.store.recordPostings([b!, unbalanced])).rejects.toThrow(/balance/);
      const foreign: PostingSequence = { ...a!, legs: [{ ...a!.legs[0]!, sequenceId: b!.sequenceId }, ...a!.legs.slice(1)] };
      await expect(harness.store.recordPostings([b!, foreign])).rejects.toThrow(/belongs to sequence/);
      const twoCurrencies = twoCurrencyPair(a!);
      await expect(harness.store.recordPostings(twoCurrencies)).rejects.toThrow(/currenc/);
      await expectLedgerOf(harness, []);
    });

    it('refuses legs in another currency than the account’s balance', async () => {
      const harness = await adapter.open();
      const [a] = pool;
      await harness.store.recordPostings([a!]);
      const [, other] = twoCurrencyPair(a!);
      await expect(harness.store.recordPostings([other!])).rejects.toThrow(/balance is in/);
      await expectLedgerOf(harness, [a!]);
    });

    it('keeps amounts exact beyond float precision', async () => {
      const harness = await adapter.open();
      const [a] = pool;
      const big = (value: string, suffix: string): PostingSequence => ({
        sequenceId: `${a!.sequenceId.slice(0, -4)}${suffix}`,
        authorizationId: a!.authorizationId,
        legs: a!.legs.slice(0, 2).map((leg, index) => ({
          ...leg,
          legId: `${a!.sequenceId.slice(0, -4)}${suffix}:${index + 1}`,
          sequenceId: `${a!.sequenceId.slice(0, -4)}${suffix}`,
          legCount: 2,
          legType: index === 0 ? 'CUSTOMER_DEBIT' : 'MERCHANT_SETTLEMENT_CREDIT',
          accountId: index === 0 ? 'ACC-BIG' : 'SETTLE-BIG',
          direction: index === 0 ? 'DEBIT' : 'CREDIT',
          amount: { value, currency: 'GBP' },
        })),
      });
      await harness.store.recordPostings([big('90071992547409.93', 'b001'), big('0.01', 'b002')]);
      const balances = await harness.store.balances();
      expect(balances.find((balance) => balance.accountId === 'SETTLE-BIG')).toMatchObject({ balance: '90071992547409.94', currency: 'GBP' });
      expect(balances.find((balance) => balance.accountId === 'ACC-BIG')).toMatchObject({ balance: '-90071992547409.94' });
    });
  });
}

/** The amount one minor unit larger. */
function bump(value: string): string {
  const [whole, fraction = ''] = value.split('.');
  const digits = BigInt(`${whole}${fraction}`) + 1n;
  const text = digits.toString().padStart(fraction.length + 1, '0');
  return fraction.length === 0 ? text : `${text.slice(0, -fraction.length)}.${text.slice(-fraction.length)}`;
}

/** Two balanced two-leg sequences putting `template`'s first account in its own currency, then in another. */
function twoCurrencyPair(template: PostingSequence): PostingSequence[] {
  const account = template.legs[0]!.accountId;
  const own = template.legs[0]!.amount.currency;
  return [own, own === 'GBP' ? 'EUR' : 'GBP'].map((currency, n) => {
    const sequenceId = `${template.sequenceId.slice(0, -4)}c00${n}`;
    return {
      sequenceId,
      authorizationId: `${template.authorizationId}-${currency}`,
      legs: [
        { ...template.legs[0]!, legId: `${sequenceId}:1`, sequenceId, legIndex: 1, legCount: 2, accountId: account, direction: 'DEBIT', amount: { value: '1.00', currency } },
        {
          ...template.legs[0]!,
          legId: `${sequenceId}:2`,
          sequenceId,
          legIndex: 2,
          legCount: 2,
          legType: 'MERCHANT_SETTLEMENT_CREDIT',
          accountId: `SETTLE-${currency}-001`,
          direction: 'CREDIT',
          amount: { value: '1.00', currency },
        },
      ],
    };
  });
}
