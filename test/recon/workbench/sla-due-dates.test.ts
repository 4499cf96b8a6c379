/**
 * WB-1, REC-PERF-1: caseDueDate (the store's urgency order and the dashboard's SLA buckets) keeps
 * the due dates it computed by opening day and rule length, and compares amounts with thresholds
 * by their digits. Its answers are those of the plain definition kept here as the oracle (the day
 * the SLA counts from by Date arithmetic, the first rule that fits with amounts compared as
 * BigInts, the due day by Date arithmetic), on generated cases: every rule set, amount, as-of date
 * (valid, invalid, with a time), age and write time, asked in any order and again (what it kept
 * answers the same), with two rule sets interleaved (nothing kept for one leaks into the other).
 */
import fc from 'fast-check';
import { caseDueDate, parseSlaRules, type SlaRules } from '../../../src/recon/workbench/sla';

const DAY_MS = 86_400_000;

/** YYYY-MM-DD of a day number, by Date (the definition). */
function plainDayText(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The day number of YYYY-MM-DD, by Date; NaN for anything else. */
function plainDayNumber(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return Number.NaN;
  const time = Date.parse(`${text}T00:00:00.000Z`);
  return Number.isFinite(time) && plainDayText(time / DAY_MS) === text ? time / DAY_MS : Number.NaN;
}

/** |amount| >= threshold, exactly, by BigInt (the definition); false when the amount is no decimal. */
function plainAtLeast(amount: string, threshold: string): boolean {
  const a = /^[+-]?(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  const b = /^(\d+)(?:\.(\d+))?$/.exec(threshold);
  if (!a || !b) return false;
  const scale = Math.max(a[2]?.length ?? 0, b[2]?.length ?? 0);
  return BigInt(a[1]! + (a[2] ?? '').padEnd(scale, '0')) >= BigInt(b[1]! + (b[2] ?? '').padEnd(scale, '0'));
}

type DueCase = { reason: string; amount: string; currency: string; asOf?: string; updatedAt: string; ageDays: number };

/** The due date by the plain definition: the as-of date (else the write day) minus the age, plus the first fitting rule's days. */
function plainDueDate(c: DueCase, rules: SlaRules): string {
  const anchor = c.asOf !== undefined && c.asOf !== '' && Number.isFinite(plainDayNumber(c.asOf)) ? c.asOf : c.updatedAt.slice(0, 10);
  const anchorDay = plainDayNumber(anchor);
  const openedDay = Number.isFinite(anchorDay) ? anchorDay - (Number.isSafeInteger(c.ageDays) && c.ageDays > 0 ? c.ageDays : 0) : 0;
  const rule = rules.rules.find((r) => (!r.reasons || r.reasons.includes(c.reason)) && (!r.atLeast || (r.atLeast[c.currency] !== undefined && plainAtLeast(c.amount, r.atLeast[c.currency]!))));
  return plainDayText(openedDay + rule!.days);
}

const SHIPPED = parseSlaRules({
  soonDays: 2,
  rules: [
    { id: 'duplicate', reasons: ['DUPLICATE'], days: 1 },
    { id: 'large', atLeast: { EUR: '10000.00', JPY: '1500000', GBP: '0010000' }, days: 2 },
    { id: 'mismatch', reasons: ['AMOUNT_MISMATCH', 'PROPOSED_MATCH'], days: 3 },
    { id: 'default', days: 5 },
  ],
});
/** Another rule set: the same opening days with other lengths (what is kept by opening day and length must not mix them up). */
const OTHER = parseSlaRules({
  rules: [
    { id: 'small', atLeast: { EUR: '0.01', GBP: '99.999' }, days: 4 },
    { id: 'stale', reasons: ['STALE'], days: 0 },
    { id: 'rest', days: 11 },
  ],
});

const digits = fc.stringMatching(/^[0-9]{1,22}$/);
const amount = fc.oneof(
  fc
    .tuple(fc.constantFrom('', '-', '+'), digits, fc.option(fc.stringMatching(/^[0-9]{1,8}$/), { nil: undefined }))
    .map(([sign, whole, fraction]) => `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}`),
  fc.constantFrom(
    '',
    '10000.00',
    '9999.99',
    '-10000',
    '0010000',
    '00009999.9999',
    '10000.000000000000000001',
    '9999.999999999999999999',
    '1500000',
    '1499999',
    '0',
    '-0.00',
    '99.999',
    '99.998',
    ' 10000 ',
    '1e5',
    'abc',
  ),
);
const dayText = fc.integer({ min: 0, max: 60_000 }).map(plainDayText);
const asOf = fc.option(fc.oneof(dayText, fc.constantFrom('', '2026-02-30', '2026-13-01', 'not a date', '2026-03-01T10:00:00.000Z')), { nil: undefined });
const dueCase = fc.record({
  reason: fc.constantFrom('UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'STALE', 'PROPOSED_MATCH'),
  amount,
  currency: fc.constantFrom('EUR', 'JPY', 'GBP', 'USD'),
  asOf,
  updatedAt: fc.oneof(
    dayText.map((day) => `${day}T08:30:00.000Z`),
    fc.constantFrom('', 'garbage', '2026-02-30T00:00:00.000Z'),
  ),
  ageDays: fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.constantFrom(-3, 0.5, Number.NaN, 2 ** 53)),
});

describe('caseDueDate against the plain definition (WB-1)', () => {
  test('property: the same due date for every generated case, asked in any order, twice, under two rule sets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(dueCase, fc.boolean()), { minLength: 1, maxLength: 40 }), (cases) => {
        for (let round = 0; round < 2; round += 1) {
          for (const [c, other] of cases) {
            const rules = other ? OTHER : SHIPPED;
            expect(caseDueDate(c, rules)).toBe(plainDueDate(c, rules));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('thresholds compare by value: leading zeros, signs, fractions longer or shorter than the threshold', () => {
    const due = (amount: string, currency = 'EUR') => caseDueDate({ reason: 'UNMATCHED', amount, currency, asOf: '2026-03-10', updatedAt: '2026-03-10T00:00:00.000Z', ageDays: 0 }, SHIPPED);
    // large: due 2 days on; default: 5.
    expect(due('10000')).toBe('2026-03-12');
    expect(due('-0010000.000')).toBe('2026-03-12');
    expect(due('9999.9999999')).toBe('2026-03-15');
    expect(due('00000000000000000000009999.99')).toBe('2026-03-15');
    expect(due('10000.00000000000000000001')).toBe('2026-03-12');
    expect(due('100000', 'GBP')).toBe('2026-03-12');
    expect(due('9999', 'GBP')).toBe('2026-03-15');
    expect(due('0', 'GBP')).toBe('2026-03-15');
  });

  test('an opening day past the dates a Date can show is refused, as before, and nothing is kept for it', () => {
    const c = { reason: 'UNMATCHED', amount: '1', currency: 'EUR', asOf: '2026-03-10', updatedAt: '2026-03-10T00:00:00.000Z', ageDays: 200_000_000 };
    expect(() => caseDueDate(c, SHIPPED)).toThrow(RangeError);
    expect(() => caseDueDate(c, SHIPPED)).toThrow(RangeError);
  });
});
