/**
 * Every documented limit of the matcher, tested on the limit, one minor unit (or one day) inside
 * it and one outside it (src/recon/matching/README.md; config/recon/default.rules.json). A
 * comparison moved by one (`>` for `>=`, a bound off by one) changes one of these outcomes.
 *
 * Expected confidences are worked out by hand from the rule parameters in each comment.
 */
import { matchAll, type MatchingRule } from '../../../src/recon/matching';
import type { LedgerEntry, StatementLine } from '../../../src/recon/types';
import { AS_OF, entry, line, onlyRules, reasonOf, summary, withRules } from './helpers';

/** A date `days` after 2025-06-20 (the builders' default date), both booking and value date. */
function on(days: number): { bookingDate: string; valueDate: string } {
  const date = new Date(Date.UTC(2025, 5, 20 + days)).toISOString().slice(0, 10);
  return { bookingDate: date, valueDate: date };
}

function pair(statementAmount: string, ledgerAmount: string, extra: { s?: Partial<StatementLine>; l?: Partial<LedgerEntry> } = {}) {
  return { lines: [line({ id: 's1', amount: statementAmount, ...extra.s })], entries: [entry({ id: 'l1', amount: ledgerAmount, ...extra.l })] };
}

/** The single match's confidence, or null when nothing matched. */
function confidenceOf(ruleIds: string[], statementAmount: string, ledgerAmount: string, extra?: Parameters<typeof pair>[2]): number | null {
  const { lines, entries } = pair(statementAmount, ledgerAmount, extra);
  const result = matchAll(lines, entries, onlyRules(...ruleIds), AS_OF);
  expect(result.matches.length).toBeLessThanOrEqual(1);
  return result.matches[0]?.confidence ?? null;
}

describe('tolerance rule: amount within max(0.50, 0.5% of the larger amount)', () => {
  // base 0.85, amountPenalty 0.1 × difference ÷ allowed difference.
  it.each([
    ['absolute: 0.49 apart', '10.00', '10.49', 0.752], // 0.85 - 0.1 × 49/50
    ['absolute: exactly 0.50 apart', '10.00', '10.50', 0.75],
    ['absolute: 0.51 apart', '10.00', '10.51', null],
    ['absolute, statement larger: exactly 0.50', '10.50', '10.00', 0.75],
    ['absolute, statement larger: 0.51', '10.51', '10.00', null],
    ['negative amounts: exactly 0.50', '-10.00', '-10.50', 0.75],
    ['negative amounts: 0.51', '-10.00', '-10.51', null],
    // 0.5% of 20,000.00 = 100.00 (allowed 10000 minor units)
    ['percent: 99.99 apart', '19900.01', '20000.00', 0.75], // 0.85 - 0.1 × 9999/10000 = 0.75001 → 0.75
    ['percent: exactly 0.5% of the ledger amount', '19900.00', '20000.00', 0.75],
    ['percent: one cent more than 0.5%', '19899.99', '20000.00', null],
    ['percent, statement larger: exactly 0.5%', '20000.00', '19900.00', 0.75],
    ['percent, statement larger: one cent more', '20000.00', '19899.99', null],
    ['percent, negative: exactly 0.5%', '-19900.00', '-20000.00', 0.75],
    ['percent, negative: one cent more', '-19899.99', '-20000.00', null],
  ])('%s', (_name, statementAmount, ledgerAmount, expected) => {
    expect(confidenceOf(['tolerance'], statementAmount, ledgerAmount)).toBe(expected);
  });

  it('allows the larger of the two bounds, whichever it is', () => {
    // 0.5% of 60.00 = 0.30 < 0.50 → 0.50 allowed; 0.5% of 400.00 = 2.00 > 0.50 → 2.00 allowed.
    expect(confidenceOf(['tolerance'], '60.00', '60.50')).toBe(0.75);
    expect(confidenceOf(['tolerance'], '398.00', '400.00')).toBe(0.75);
    expect(confidenceOf(['tolerance'], '397.99', '400.00')).toBeNull();
  });

  it('JPY: the per-currency absolute 50 (no minor unit) at, below and above', () => {
    const jpy = { s: { currency: 'JPY' }, l: { currency: 'JPY' } };
    expect(confidenceOf(['tolerance'], '2000', '2049', jpy)).toBe(0.752);
    expect(confidenceOf(['tolerance'], '2000', '2050', jpy)).toBe(0.75);
    expect(confidenceOf(['tolerance'], '2000', '2051', jpy)).toBeNull();
  });

  it('date window of 3 days: 3 days apart matches (0.02 a day), 4 days does not', () => {
    expect(confidenceOf(['tolerance'], '10.00', '10.25', { l: on(2) })).toBe(0.76); // 0.85 - 0.04 - 0.05
    expect(confidenceOf(['tolerance'], '10.00', '10.25', { l: on(3) })).toBe(0.74); // 0.85 - 0.06 - 0.05
    expect(confidenceOf(['tolerance'], '10.00', '10.25', { l: on(-3) })).toBe(0.74);
    expect(confidenceOf(['tolerance'], '10.00', '10.25', { l: on(4) })).toBeNull();
    expect(confidenceOf(['tolerance'], '10.00', '10.25', { l: on(-4) })).toBeNull();
  });
});

describe('amount + date rule: window of 3 days', () => {
  // base 0.95, 0.015 a day; confirmThreshold 0.9.
  it.each([
    [2, 0.92, 'confirmed'],
    [3, 0.905, 'confirmed'],
    [4, null, null],
    [-3, 0.905, 'confirmed'],
    [-4, null, null],
  ])('%i days apart', (days, confidence, status) => {
    const { lines, entries } = pair('73.00', '73.00', { l: on(days) });
    const result = matchAll(lines, entries, onlyRules('amount-date'), AS_OF);
    expect(result.matches.map((m) => [m.confidence, m.status])).toEqual(confidence === null ? [] : [[confidence, status]]);
  });

  it('either date: the nearer of booking and value date counts, each at its own limit', () => {
    const valueAtLimit = { l: { bookingDate: '2025-06-01', valueDate: on(3).valueDate } };
    const valuePastLimit = { l: { bookingDate: '2025-06-01', valueDate: on(4).valueDate } };
    expect(confidenceOf(['amount-date'], '73.00', '73.00', valueAtLimit)).toBe(0.905);
    expect(confidenceOf(['amount-date'], '73.00', '73.00', valuePastLimit)).toBeNull();
  });

  it('a one-cent difference is not an amount + date match', () => {
    expect(confidenceOf(['amount-date'], '73.00', '73.01')).toBeNull();
    expect(confidenceOf(['amount-date'], '73.00', '72.99')).toBeNull();
  });
});

describe('exact reference rules', () => {
  it('e2e-exact: window of 31 days (0.002 a day), 32 days is outside', () => {
    const ref = (days: number) => ({ s: { endToEndId: 'E2E-W' }, l: { reference: 'E2E-W', ...on(days) } });
    expect(confidenceOf(['e2e-exact'], '5.00', '5.00', ref(30))).toBe(0.94);
    expect(confidenceOf(['e2e-exact'], '5.00', '5.00', ref(31))).toBe(0.938);
    expect(confidenceOf(['e2e-exact'], '5.00', '5.00', ref(-31))).toBe(0.938);
    expect(confidenceOf(['e2e-exact'], '5.00', '5.00', ref(32))).toBeNull();
  });

  it('e2e-exact: equal amounts only, a one-cent difference is not a match', () => {
    const ref = { s: { endToEndId: 'E2E-A' }, l: { reference: 'E2E-A' } };
    expect(confidenceOf(['e2e-exact'], '5.00', '5.01', ref)).toBeNull();
  });

  it('reference-tolerance: 0.50 or 0.5%, at the limit and one minor unit past it', () => {
    // base 0.95, amountPenalty 0.04 × difference ÷ allowed
    const ref = { s: { endToEndId: 'E2E-T' }, l: { reference: 'E2E-T' } };
    expect(confidenceOf(['reference-tolerance'], '20.00', '20.49', ref)).toBe(0.9108); // 0.95 - 0.04 × 49/50
    expect(confidenceOf(['reference-tolerance'], '20.00', '20.50', ref)).toBe(0.91);
    expect(confidenceOf(['reference-tolerance'], '20.00', '20.51', ref)).toBeNull();
    expect(confidenceOf(['reference-tolerance'], '19900.00', '20000.00', ref)).toBe(0.91);
    expect(confidenceOf(['reference-tolerance'], '19899.99', '20000.00', ref)).toBeNull();
    const jpy = { s: { endToEndId: 'E2E-J', currency: 'JPY' }, l: { reference: 'E2E-J', currency: 'JPY' } };
    expect(confidenceOf(['reference-tolerance'], '2000', '2050', jpy)).toBe(0.91);
    expect(confidenceOf(['reference-tolerance'], '2000', '2051', jpy)).toBeNull();
  });

  it("an absolute tolerance is truncated to the currency's minor units", () => {
    const rule: MatchingRule = {
      id: 'ref-tol',
      kind: 'exactReference',
      priority: 10,
      baseConfidence: 1,
      fields: ['endToEndId'],
      tolerance: { absolute: '0.5' },
      amountPenalty: 0.1,
    };
    const ref = { s: { endToEndId: 'R' }, l: { reference: 'R' } };
    const run = (a: string, b: string, currency = 'EUR') => {
      const { lines, entries } = pair(a, b, { s: { ...ref.s, currency }, l: { ...ref.l, currency } });
      return summary(matchAll(lines, entries, withRules([rule]), AS_OF));
    };
    expect(run('1.00', '1.50')).toEqual(['ref-tol:confirmed:s1=l1']); // 0.5 EUR = 50 cents; 1 - 0.1 = 0.9
    expect(run('1.00', '1.51')).toEqual([]);
    expect(run('1', '1', 'JPY')).toEqual(['ref-tol:confirmed:s1=l1']); // 0.5 JPY truncates to 0
    expect(run('1', '2', 'JPY')).toEqual([]);
    expect(run('1.000', '1.500', 'BHD')).toEqual(['ref-tol:confirmed:s1=l1']); // 500 fils
    expect(run('1.000', '1.501', 'BHD')).toEqual([]);
  });
});

describe('group rules', () => {
  it('batch-by-reference: every item within 5 days of the booking, not 6', () => {
    const head = [line({ id: 's1', amount: '-30.00', customerReference: 'PAY-7' })];
    const items = (days: number) => [entry({ id: 'l1', amount: '-10.00', reference: 'PAY-7-1' }), entry({ id: 'l2', amount: '-20.00', reference: 'PAY-7-2', ...on(days) })];
    const at = matchAll(head, items(5), onlyRules('batch-by-reference'), AS_OF);
    expect(summary(at)).toEqual(['batch-by-reference:confirmed:s1=l1+l2']);
    expect(at.matches[0]!.confidence).toBe(0.945); // 0.97 - 5 × 0.005
    expect(summary(matchAll(head, items(-5), onlyRules('batch-by-reference'), AS_OF))).toEqual(['batch-by-reference:confirmed:s1=l1+l2']);
    expect(summary(matchAll(head, items(6), onlyRules('batch-by-reference'), AS_OF))).toEqual([]);
  });

  it('reference mode: subsets are searched up to maxSubsetItems (12) candidate items, not 13', () => {
    // n items of 1.00 plus one of 0.50 all carry the batch reference; the booking is n.00.
    const scenario = (n: number) => {
      const entries = Array.from({ length: n }, (_, i) => entry({ id: `l${String(i).padStart(2, '0')}`, amount: '1.00', reference: `BATCH-${i + 1}` }));
      entries.push(entry({ id: 'lx', amount: '0.50', reference: `BATCH-${n + 1}` }));
      return matchAll([line({ id: 's1', amount: `${n}.00`, customerReference: 'BATCH' })], entries, onlyRules('batch-by-reference'), AS_OF);
    };
    const eleven = scenario(11); // 12 candidates: searched, the 11 items of 1.00 found
    expect(eleven.matches).toHaveLength(1);
    expect(eleven.matches[0]!.ledgerEntryIds).toHaveLength(11);
    expect(eleven.matches[0]!.confidence).toBe(0.87); // 0.97 - 0.1 subset penalty
    expect(scenario(12).matches).toEqual([]); // 13 candidates: no subset search
  });

  it('reference mode: a group of exactly maxGroupSize items matches, one more does not', () => {
    const rule: MatchingRule = { id: 'batch3', kind: 'oneToMany', priority: 1, match: 'reference', baseConfidence: 1, dateWindowDays: 0, maxGroupSize: 3 };
    const group = (n: number) => {
      const entries = Array.from({ length: n }, (_, i) => entry({ id: `l${i}`, amount: '1.00', reference: `G-${i + 1}` }));
      return matchAll([line({ id: 's1', amount: `${n}.00`, customerReference: 'G' })], entries, withRules([rule]), AS_OF);
    };
    expect(group(3).matches.map((m) => m.ledgerEntryIds.length)).toEqual([3]);
    expect(group(4).matches).toEqual([]);
    expect(group(2).matches.map((m) => m.ledgerEntryIds.length)).toEqual([2]);
  });

  it('reference mode: minGroupSize (2) — one item carrying the batch reference is not a group', () => {
    const rule: MatchingRule = { id: 'batch', kind: 'oneToMany', priority: 1, match: 'reference', baseConfidence: 1, dateWindowDays: 0, maxGroupSize: 10 };
    const head = [line({ id: 's1', amount: '1.00', customerReference: 'ONE' })];
    expect(matchAll(head, [entry({ id: 'l1', amount: '1.00', reference: 'ONE-1' })], withRules([rule]), AS_OF).matches).toEqual([]);
    const withMin3 = withRules([{ ...rule, minGroupSize: 3 }]);
    const two = [entry({ id: 'l1', amount: '0.40', reference: 'ONE-1' }), entry({ id: 'l2', amount: '0.60', reference: 'ONE-2' })];
    expect(matchAll(head, two, withMin3, AS_OF).matches).toEqual([]);
    expect(matchAll(head, two, withRules([rule]), AS_OF).matches).toHaveLength(1);
  });

  it('batch-by-amount: items within 2 days of the head, not 3', () => {
    const head = [line({ id: 's1', amount: '75.25' })];
    const items = (days: number) => [entry({ id: 'l1', amount: '25.25', reference: 'TILL-A' }), entry({ id: 'l2', amount: '50.00', reference: 'TILL-B', ...on(days) })];
    const at = matchAll(head, items(2), onlyRules('batch-by-amount'), AS_OF);
    expect(summary(at)).toEqual(['batch-by-amount:proposed:s1=l1+l2']);
    expect(at.matches[0]!.confidence).toBe(0.71); // 0.75 - 2 × 0.02
    expect(summary(matchAll(head, items(-2), onlyRules('batch-by-amount'), AS_OF))).toEqual(['batch-by-amount:proposed:s1=l1+l2']);
    expect(matchAll(head, items(3), onlyRules('batch-by-amount'), AS_OF).matches).toEqual([]);
    expect(matchAll(head, items(-3), onlyRules('batch-by-amount'), AS_OF).matches).toEqual([]);
  });

  it('amount mode: groups of up to 4 items (maxGroupSize), never 5', () => {
    const group = (n: number) => {
      const entries = Array.from({ length: n }, (_, i) => entry({ id: `l${i}`, amount: `${i + 1}.00`, reference: `T-${String.fromCharCode(65 + i)}` }));
      const total = (n * (n + 1)) / 2;
      return matchAll([line({ id: 's1', amount: `${total}.00` })], entries, onlyRules('batch-by-amount'), AS_OF);
    };
    expect(group(4).matches.map((m) => [m.ledgerEntryIds.length, m.confidence])).toEqual([[4, 0.69]]); // 0.75 - 2 × 0.03
    expect(group(5).matches).toEqual([]);
  });

  it('amount mode: an item as large as the head is never part of its group (strictly smaller magnitude)', () => {
    const entries = [entry({ id: 'l1', amount: '10.00', reference: 'X-A' }), entry({ id: 'l2', amount: '0.00', reference: 'X-B' })];
    expect(matchAll([line({ id: 's1', amount: '10.00' })], entries, onlyRules('batch-by-amount'), AS_OF).matches).toEqual([]);
  });
});

describe('exceptions', () => {
  it('STALE after staleAfterDays (30): 30 days old is UNMATCHED, 31 is STALE', () => {
    const lines = [line({ id: 's30', amount: '1.00', bookingDate: '2025-05-31', valueDate: '2025-05-31' }), line({ id: 's31', amount: '2.00', bookingDate: '2025-05-30', valueDate: '2025-05-30' })];
    const entries = [
      entry({ id: 'l30', amount: '3.00', bookingDate: '2025-05-31', valueDate: '2025-05-31' }),
      entry({ id: 'l31', amount: '5.00', bookingDate: '2025-05-30', valueDate: '2025-05-30' }),
    ];
    const result = matchAll(lines, entries, onlyRules('e2e-exact'), AS_OF);
    expect(reasonOf(result, 's30')).toEqual(expect.objectContaining({ reason: 'UNMATCHED', ageDays: 30 }));
    expect(reasonOf(result, 's31')).toEqual(expect.objectContaining({ reason: 'STALE', ageDays: 31 }));
    expect(reasonOf(result, 'l30')).toEqual(expect.objectContaining({ reason: 'UNMATCHED', ageDays: 30 }));
    expect(reasonOf(result, 'l31')).toEqual(expect.objectContaining({ reason: 'STALE', ageDays: 31 }));
  });

  it('AMOUNT_MISMATCH without a shared reference: at most 10% of the larger amount apart, same day', () => {
    const reason = (a: string, b: string, days = 0) => {
      const { lines, entries } = pair(a, b, { l: on(days) });
      return reasonOf(matchAll(lines, entries, onlyRules('amount-date'), AS_OF), 's1')?.reason;
    };
    expect(reason('90.01', '100.00')).toBe('AMOUNT_MISMATCH');
    expect(reason('90.00', '100.00')).toBe('AMOUNT_MISMATCH'); // exactly 10% of 100.00
    expect(reason('89.99', '100.00')).toBe('UNMATCHED');
    expect(reason('100.00', '90.00')).toBe('AMOUNT_MISMATCH');
    expect(reason('100.00', '89.99')).toBe('UNMATCHED');
    expect(reason('90.00', '100.00', 1)).toBe('UNMATCHED'); // dateWindowDays 0: the next day is outside
  });

  it('AMOUNT_MISMATCH date window: at the configured limit and one day past it', () => {
    const rules = { ...onlyRules('amount-date'), amountMismatch: { dateWindowDays: 2, maxDifferencePercent: '10' } };
    const reason = (days: number) => {
      const { lines, entries } = pair('95.00', '100.00', { l: on(days) });
      return reasonOf(matchAll(lines, entries, rules, AS_OF), 's1')?.reason;
    };
    expect(reason(2)).toBe('AMOUNT_MISMATCH');
    expect(reason(-2)).toBe('AMOUNT_MISMATCH');
    expect(reason(3)).toBe('UNMATCHED');
    expect(reason(-3)).toBe('UNMATCHED');
  });
});

describe('amount precision per currency', () => {
  it.each([
    ['JPY', '1', '1.0'],
    ['EUR', '1.01', '1.001'],
    ['BHD', '1.001', '1.0001'],
  ])('%s: %s is accepted, %s has one decimal place too many', (currency, ok, tooPrecise) => {
    const row = (amount: string) => matchAll([line({ id: 's1', amount, currency })], [entry({ id: 'l1', amount: ok, currency })], onlyRules('amount-date'), AS_OF);
    expect(summary(row(ok))).toEqual(['amount-date:confirmed:s1=l1']);
    expect(() => row(tooPrecise)).toThrow(`statement line "s1": amount "${tooPrecise}" has`);
  });
});

describe('edges the focused tests first missed (found by mutation testing)', () => {
  const matchPair = ({ lines, entries }: ReturnType<typeof pair>, rules: Parameters<typeof matchAll>[2]) => matchAll(lines, entries, rules, AS_OF);
  const toleranceRule = (tolerance: Extract<MatchingRule, { kind: 'tolerance' }>['tolerance'], extra: Partial<MatchingRule> = {}): MatchingRule =>
    ({ id: 'tol', kind: 'tolerance', priority: 1, baseConfidence: 0.9, dateWindowDays: 3, tolerance, amountPenalty: 0.1, ...extra }) as MatchingRule;

  it('exact beyond 2^53: a difference a fraction of a minor unit past 0.3% is refused, though doubles would accept it', () => {
    // 0.3% of 89,999,999,999,993.33 EUR is 26,999,999,999,997.999 cents. As doubles, 0.003 × the
    // ledger amount rounds up to ...998.000, so a double comparison would accept a difference of
    // ...998 cents; the exact one does not.
    const rules = withRules([toleranceRule({ percent: '0.3' })]);
    const run = (statementAmount: string) => summary(matchPair(pair(statementAmount, '89999999999993.33'), rules));
    expect(run('89729999999993.36')).toEqual(['tol:proposed:s1=l1']); // 26,999,999,999,997 cents apart
    expect(run('89729999999993.35')).toEqual([]); // 26,999,999,999,998 cents apart
  });

  it('a tolerance with an absolute amount only (no percent) matches up to it and not past it', () => {
    const rules = withRules([toleranceRule({ absolute: '1.00' })]);
    const run = (statementAmount: string) => matchPair(pair(statementAmount, '5000.00'), rules).matches.map((m) => m.confidence);
    expect(run('4999.00')).toEqual([0.8]); // 0.9 - 0.1 × 100/100
    expect(run('4998.99')).toEqual([]);
  });

  it('a tolerance that truncates to zero (0.5 JPY) still matches equal amounts at full confidence', () => {
    const rules = withRules([toleranceRule({ absolute: '0.5' })]);
    const { lines, entries } = pair('700', '700', { s: { currency: 'JPY' }, l: { currency: 'JPY' } });
    expect(matchAll(lines, entries, rules, AS_OF).matches.map((m) => m.confidence)).toEqual([0.9]);
    const off = pair('700', '701', { s: { currency: 'JPY' }, l: { currency: 'JPY' } });
    expect(matchAll(off.lines, off.entries, rules, AS_OF).matches).toEqual([]);
  });

  it('of several ledger entries within tolerance, the closest amount wins, whatever the row positions', () => {
    const lines = [line({ id: 's1', amount: '10.00' }), line({ id: 's2', amount: '100.00' })];
    const entries = [entry({ id: 'l1', amount: '99.60' }), entry({ id: 'l2', amount: '100.10' })];
    const result = matchAll(lines, entries, onlyRules('tolerance'), AS_OF);
    expect(summary(result)).toEqual(['tolerance:proposed:s2=l2']);
    expect(result.matches[0]!.confidence).toBe(0.83); // 0.85 - 0.1 × 10/50
  });

  it('the tolerance rule leaves rows that share a reference alone (they are an AMOUNT_MISMATCH, not a guess)', () => {
    const { lines, entries } = pair('10.00', '10.40', { s: { endToEndId: 'E2E-LINK' }, l: { reference: 'E2E-LINK' } });
    const result = matchAll(lines, entries, onlyRules('tolerance'), AS_OF);
    expect(result.matches).toEqual([]);
    expect(reasonOf(result, 's1')).toEqual(expect.objectContaining({ reason: 'AMOUNT_MISMATCH', candidateId: 'l1' }));
  });

  it('dateField: bookingDate and valueDate each ignore the other date', () => {
    const dates = { l: { bookingDate: on(1).bookingDate, valueDate: on(10).valueDate } };
    const rule = (dateField: 'bookingDate' | 'valueDate' | 'either'): MatchingRule => ({
      id: 'ad',
      kind: 'amountDate',
      priority: 1,
      baseConfidence: 0.9,
      dateWindowDays: 3,
      dateField,
      datePenaltyPerDay: 0.01,
    });
    const confidence = (dateField: 'bookingDate' | 'valueDate' | 'either') => {
      const { lines, entries } = pair('42.00', '42.00', dates);
      return matchAll(lines, entries, withRules([rule(dateField)]), AS_OF).matches.map((m) => m.confidence);
    };
    expect(confidence('bookingDate')).toEqual([0.89]); // 1 day
    expect(confidence('either')).toEqual([0.89]);
    expect(confidence('valueDate')).toEqual([]); // 10 days
    const swapped = { l: { bookingDate: on(10).bookingDate, valueDate: on(1).valueDate } };
    const { lines, entries } = pair('42.00', '42.00', swapped);
    expect(matchAll(lines, entries, withRules([rule('valueDate')]), AS_OF).matches.map((m) => m.confidence)).toEqual([0.89]);
    expect(matchAll(lines, entries, withRules([rule('bookingDate')]), AS_OF).matches).toEqual([]);
  });

  it('an exact-reference window of 0 days means the same day, not no limit; without a window a dateless line has no date penalty', () => {
    const rule = (dateWindowDays?: number): MatchingRule => ({
      id: 'ref',
      kind: 'exactReference',
      priority: 1,
      baseConfidence: 1,
      fields: ['endToEndId'],
      datePenaltyPerDay: 0.01,
      ...(dateWindowDays === undefined ? {} : { dateWindowDays }),
    });
    const ref = (days: number) => ({ s: { endToEndId: 'R0' }, l: { reference: 'R0', ...on(days) } });
    const run = (r: MatchingRule, extra: Parameters<typeof pair>[2]) => matchPair(pair('3.00', '3.00', extra), withRules([r])).matches.map((m) => m.confidence);
    expect(run(rule(0), ref(0))).toEqual([1]);
    expect(run(rule(0), ref(1))).toEqual([]);
    expect(run(rule(), ref(40))).toEqual([0.6]); // no window: 40 days × 0.01
    expect(run(rule(), { s: { endToEndId: 'R0', bookingDate: null, valueDate: null }, l: { reference: 'R0' } })).toEqual([1]);
  });

  it('confidence never goes below 0', () => {
    const rule: MatchingRule = { id: 'steep', kind: 'amountDate', priority: 1, baseConfidence: 0.5, dateWindowDays: 3, datePenaltyPerDay: 0.4 };
    const { lines, entries } = pair('8.00', '8.00', { l: on(3) });
    expect(matchAll(lines, entries, withRules([rule]), AS_OF).matches.map((m) => [m.confidence, m.status])).toEqual([[0, 'proposed']]);
  });

  it('AMOUNT_MISMATCH by date needs the same sign, even when the percentage would allow it', () => {
    const rules = { ...onlyRules('amount-date'), amountMismatch: { dateWindowDays: 0, maxDifferencePercent: '250' } };
    const reason = (a: string, b: string) => reasonOf(matchPair(pair(a, b), rules), 's1')?.reason;
    expect(reason('95.00', '100.00')).toBe('AMOUNT_MISMATCH');
    expect(reason('-95.00', '100.00')).toBe('UNMATCHED');
    expect(reason('0.00', '100.00')).toBe('UNMATCHED');
  });

  it('AMOUNT_MISMATCH by date names the closest amount, then the nearest date, then the first id', () => {
    const rules = { ...onlyRules('amount-date'), amountMismatch: { dateWindowDays: 3, maxDifferencePercent: '10' } };
    const candidate = (entries: LedgerEntry[]) => reasonOf(matchAll([line({ id: 's1', amount: '100.00' })], entries, rules, AS_OF), 's1')?.candidateId;
    expect(candidate([entry({ id: 'l1', amount: '104.00' }), entry({ id: 'l2', amount: '102.00', ...on(2) })])).toBe('l2'); // smaller difference
    expect(candidate([entry({ id: 'l1', amount: '103.00', ...on(3) }), entry({ id: 'l2', amount: '97.00', ...on(-1) })])).toBe('l2'); // same difference, nearer
    expect(candidate([entry({ id: 'l1', amount: '103.00', ...on(2) }), entry({ id: 'l2', amount: '97.00', ...on(-2) })])).toBe('l1'); // same difference and distance
  });

  it('AMOUNT_MISMATCH by reference names the first counterpart with a different amount; an equal amount is not a mismatch', () => {
    const s = line({ id: 's1', amount: '10.00', endToEndId: 'INV-5', ...on(-40) });
    const far = entry({ id: 'l0', amount: '10.00', reference: 'INV-5', ...on(5) }); // same amount, outside every window
    expect(reasonOf(matchAll([s], [far], onlyRules('e2e-exact'), AS_OF), 's1')?.reason).toBe('STALE');
    const result = matchAll([s], [entry({ id: 'l2', amount: '12.00', reference: 'INV-5' }), entry({ id: 'l1', amount: '11.00', reference: 'INV-5' })], onlyRules('e2e-exact'), AS_OF);
    expect(reasonOf(result, 's1')).toEqual(expect.objectContaining({ reason: 'AMOUNT_MISMATCH', candidateId: 'l1' }));
  });

  it('a statement line without any date is 0 days old, never STALE', () => {
    const result = matchAll([line({ id: 's1', amount: '1.00', bookingDate: null, valueDate: null })], [], onlyRules('amount-date'), AS_OF);
    expect(reasonOf(result, 's1')).toEqual(expect.objectContaining({ reason: 'UNMATCHED', ageDays: 0 }));
  });
});
