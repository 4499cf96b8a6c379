import fc from 'fast-check';
import { computeFraudFeatures, FraudFeatureError, fraudReason, precedes, type CardHistoryEntry, type FraudPayment } from '../../src/domain/fraud';

const BASE = Date.UTC(2026, 2, 1);
const WINDOWS = { baselineWindowMs: 7 * 24 * 3600_000, hopWindowMs: 3600_000 };
const COUNTRIES = ['GB', 'FR', 'DE', 'US', 'JP'];

const entryArb = fc.record({
  transactionId: fc.stringMatching(/^t[0-9a-f]{1,6}$/),
  atEpochMs: fc.integer({ min: BASE - 10 * 24 * 3600_000, max: BASE + 24 * 3600_000 }),
  amountMinor: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  merchantCountry: fc.constantFrom(...COUNTRIES),
});
const paymentArb: fc.Arbitrary<FraudPayment> = fc.record({
  transactionId: fc.stringMatching(/^t[0-9a-f]{1,6}$/),
  atEpochMs: fc.constant(BASE),
  amountMinor: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  merchantCountry: fc.constantFrom(...COUNTRIES),
  merchantId: fc.constantFrom('m-safe', 'm-risky', 'm-unlisted'),
});
const RISK = new Map([
  ['m-safe', 5],
  ['m-risky', 90],
]);

/** The reference: the definitions written out directly, over the earlier entries. */
function reference(payment: FraudPayment, history: CardHistoryEntry[]) {
  const unique = new Map(history.filter((e) => e.transactionId !== payment.transactionId && precedes(e, payment)).map((e) => [e.transactionId, e]));
  const base = [...unique.values()].filter((e) => payment.atEpochMs - e.atEpochMs < WINDOWS.baselineWindowMs);
  const hop = [...unique.values()].filter((e) => payment.atEpochMs - e.atEpochMs < WINDOWS.hopWindowMs);
  const sum = base.reduce((s, e) => s + e.amountMinor, 0n);
  return { count: BigInt(base.length), sum, countries: new Set([payment.merchantCountry, ...hop.map((e) => e.merchantCountry)]).size, base };
}

describe('fraud features (FRAUD-1): exact maths', () => {
  it('mean and spend ratio are exact floors over the earlier payments in the baseline window', () => {
    fc.assert(
      fc.property(paymentArb, fc.uniqueArray(entryArb, { selector: (e) => e.transactionId, maxLength: 40 }), (payment, history) => {
        const f = computeFraudFeatures(payment, history, WINDOWS, RISK);
        const ref = reference(payment, history);
        expect(f.baselineCount).toBe(ref.count);
        const mean = ref.count === 0n ? 0n : ref.sum / ref.count;
        expect(f.baselineMeanMinor).toBe(mean);
        // mean * count <= sum < (mean + 1) * count: the floor, exactly
        if (ref.count > 0n) expect(mean * ref.count <= ref.sum && ref.sum < (mean + 1n) * ref.count).toBe(true);
        if (mean > 0n) expect(f.spendRatioPermille * mean <= payment.amountMinor * 1000n && payment.amountMinor * 1000n < (f.spendRatioPermille + 1n) * mean).toBe(true);
        else expect(f.spendRatioPermille).toBe(0n);
        expect(f.countriesInWindow).toBe(BigInt(ref.countries));
        expect(f.merchantRiskScore).toBe(BigInt(RISK.get(payment.merchantId) ?? 0));
        expect(f.modelScorePermille).toBe(-1n);
      }),
      { numRuns: 300 },
    );
  });

  it('previous country and minutes since are those of the latest earlier payment (event time, then id)', () => {
    fc.assert(
      fc.property(paymentArb, fc.uniqueArray(entryArb, { selector: (e) => e.transactionId, maxLength: 30 }), (payment, history) => {
        const f = computeFraudFeatures(payment, history, WINDOWS, RISK);
        const { base } = reference(payment, history);
        const latest = [...base].sort((a, b) => (precedes(a, b) ? -1 : 1)).at(-1);
        expect(f.previousCountry).toBe(latest?.merchantCountry ?? '');
        expect(f.minutesSincePrevious).toBe(latest ? BigInt(Math.floor((payment.atEpochMs - latest.atEpochMs) / 60000)) : -1n);
      }),
      { numRuns: 300 },
    );
  });

  it('metamorphic: the order of the history, duplicates of an entry, and later payments change nothing', () => {
    fc.assert(
      fc.property(
        paymentArb,
        fc.uniqueArray(entryArb, { selector: (e) => e.transactionId, maxLength: 30 }),
        fc.uniqueArray(entryArb, { selector: (e) => e.transactionId, maxLength: 10 }),
        fc.infiniteStream(fc.nat()),
        (payment, history, extra, seeds) => {
          const clean = computeFraudFeatures(payment, history, WINDOWS, RISK);
          const later = extra.map((e) => ({ ...e, atEpochMs: payment.atEpochMs + 1 + (e.atEpochMs % 1000), transactionId: `late-${e.transactionId}` }));
          const shuffled = [...history, ...history.slice(0, 5), ...later, { ...payment }]
            .map((e) => ({ e, k: seeds.next().value as number }))
            .sort((a, b) => a.k - b.k)
            .map(({ e }) => e);
          expect(computeFraudFeatures(payment, shuffled, WINDOWS, RISK)).toEqual(clean);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names every class of bad input', () => {
    const payment: FraudPayment = { transactionId: 't1', atEpochMs: BASE, amountMinor: 100n, merchantCountry: 'GB', merchantId: 'm-safe' };
    expect(() => computeFraudFeatures(payment, [], { ...WINDOWS, hopWindowMs: 0 }, RISK)).toThrow(/hop window 0 ms/);
    expect(() => computeFraudFeatures(payment, [], { ...WINDOWS, baselineWindowMs: 1.5 }, RISK)).toThrow(/baseline window 1.5 ms/);
    expect(() => computeFraudFeatures({ ...payment, atEpochMs: NaN }, [], WINDOWS, RISK)).toThrow(/payment t1: time NaN/);
    expect(() => computeFraudFeatures({ ...payment, amountMinor: -1n }, [], WINDOWS, RISK)).toThrow(/payment t1: amount -1 is negative/);
    expect(() => computeFraudFeatures(payment, [{ transactionId: 't0', atEpochMs: BASE - 1, amountMinor: -5n, merchantCountry: 'GB' }], WINDOWS, RISK)).toThrow(/history entry t0: amount -5/);
    const twice = { transactionId: 't0', atEpochMs: BASE - 1, amountMinor: 5n, merchantCountry: 'GB' };
    expect(() => computeFraudFeatures(payment, [twice, { ...twice, merchantCountry: 'FR' }], WINDOWS, RISK)).toThrow(/history entry t0: recorded twice/);
    expect(() => computeFraudFeatures(payment, [], WINDOWS, new Map([['m-safe', 101]]))).toThrow(FraudFeatureError);
    expect(() => computeFraudFeatures(payment, [], WINDOWS, RISK, 1001)).toThrow(/model score 1001/);
    expect(() => computeFraudFeatures(payment, [], WINDOWS, RISK, 0.5)).toThrow(/model score 0.5/);
  });

  it('a reason names each fraud feature the rule reads, with its value', () => {
    fc.assert(
      fc.property(paymentArb, fc.uniqueArray(entryArb, { selector: (e) => e.transactionId, maxLength: 10 }), (payment, history) => {
        const f = computeFraudFeatures(payment, history, WINDOWS, RISK);
        expect(fraudReason('R', 'fraud.countriesInWindow > 2 && fraud.previousCountry != "GB"', f)).toBe(
          `R: fraud.countriesInWindow=${f.countriesInWindow}, fraud.previousCountry=${JSON.stringify(f.previousCountry)}`,
        );
        expect(fraudReason('R', 'payment.amountMinor > 1', f)).toBeUndefined();
      }),
    );
  });
});
