/**
 * Case SLAs: the shipped rules validate; every class of bad rule is refused naming the rule and
 * field; the due date is the first fitting rule's days after the opening day (generated cases,
 * checked against a plain reading of the rules); amount thresholds are exact beyond float
 * precision; buckets split at their boundaries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { daysUntilDue, dueDate, openedOn, parseSlaRules, SLA_BUCKETS, slaBucket, slaRuleOf, SlaRulesError, type SlaRules } from '../../../src/recon/workbench/sla';

const shipped = JSON.parse(readFileSync(join(__dirname, '../../../config/recon/sla.json'), 'utf8')) as unknown;

function refusal(json: unknown): string {
  try {
    parseSlaRules(json);
  } catch (error) {
    if (error instanceof SlaRulesError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(json)} to be refused`);
}

const RULES: SlaRules = parseSlaRules({
  soonDays: 2,
  rules: [
    { id: 'dup', reasons: ['DUPLICATE'], days: 1 },
    { id: 'large', atLeast: { EUR: '10000.00', JPY: '1500000' }, days: 2 },
    { id: 'mismatch', reasons: ['AMOUNT_MISMATCH'], days: 3 },
    { id: 'default', days: 5 },
  ],
});

describe('SLA rules', () => {
  test('the shipped config/recon/sla.json validates and ends with a rule for every case', () => {
    const rules = parseSlaRules(shipped);
    expect(rules.rules.length).toBeGreaterThan(1);
    const last = rules.rules[rules.rules.length - 1]!;
    expect(last.reasons).toBeUndefined();
    expect(last.atLeast).toBeUndefined();
  });

  test.each([
    ['not an object', [], /must be an object/],
    ['no rules', {}, /"rules" must be a non-empty array/],
    ['empty rules', { rules: [] }, /"rules" must be a non-empty array/],
    ['unknown top field', { rules: [{ id: 'a', days: 1 }], colour: 1 }, /unknown field "colour"/],
    ['bad soonDays', { soonDays: -1, rules: [{ id: 'a', days: 1 }] }, /"soonDays"/],
    ['rule not an object', { rules: ['x'] }, /rules\[0\] must be an object/],
    ['missing id', { rules: [{ days: 1 }] }, /rules\[0\].*"id"/],
    ['bad id', { rules: [{ id: 'a b', days: 1 }] }, /rules\[0\].*"id"/],
    [
      'duplicate id',
      {
        rules: [
          { id: 'a', reasons: ['STALE'], days: 1 },
          { id: 'a', days: 2 },
        ],
      },
      /rules\[1\]: id "a" is used/,
    ],
    ['missing days', { rules: [{ id: 'a' }] }, /"days" must be an integer/],
    ['fractional days', { rules: [{ id: 'a', days: 1.5 }] }, /"days" must be an integer/],
    ['negative days', { rules: [{ id: 'a', days: -1 }] }, /"days" must be an integer/],
    ['days as text', { rules: [{ id: 'a', days: '3' }] }, /"days" must be an integer/],
    ['huge days', { rules: [{ id: 'a', days: 100000 }] }, /"days" must be an integer/],
    ['unknown rule field', { rules: [{ id: 'a', days: 1, amount: '5' }] }, /rules\[0\]: unknown field "amount"/],
    [
      'empty reasons',
      {
        rules: [
          { id: 'a', reasons: [], days: 1 },
          { id: 'b', days: 1 },
        ],
      },
      /"reasons" must be/,
    ],
    [
      'reason not text',
      {
        rules: [
          { id: 'a', reasons: [3], days: 1 },
          { id: 'b', days: 1 },
        ],
      },
      /"reasons" must be/,
    ],
    [
      'atLeast not a map',
      {
        rules: [
          { id: 'a', atLeast: '100', days: 1 },
          { id: 'b', days: 1 },
        ],
      },
      /"atLeast" must map/,
    ],
    [
      'atLeast bad currency',
      {
        rules: [
          { id: 'a', atLeast: { euro: '1' }, days: 1 },
          { id: 'b', days: 1 },
        ],
      },
      /"euro" is not an ISO 4217/,
    ],
    [
      'atLeast a float',
      {
        rules: [
          { id: 'a', atLeast: { EUR: 100.5 }, days: 1 },
          { id: 'b', days: 1 },
        ],
      },
      /atLeast.EUR must be a non-negative decimal string/,
    ],
    [
      'atLeast negative',
      {
        rules: [
          { id: 'a', atLeast: { EUR: '-1' }, days: 1 },
          { id: 'b', days: 1 },
        ],
      },
      /atLeast.EUR/,
    ],
    [
      'atLeast exponent',
      {
        rules: [
          { id: 'a', atLeast: { EUR: '1e5' }, days: 1 },
          { id: 'b', days: 1 },
        ],
      },
      /atLeast.EUR/,
    ],
    ['conditional last rule', { rules: [{ id: 'a', reasons: ['STALE'], days: 1 }] }, /last rule \("a"\) must have no "reasons"/],
  ])('refuses %s, naming where', (_name, json, message) => {
    expect(refusal(json)).toMatch(message);
  });
});

/** The plain reading of the rules: scan in order, compare amounts as exact fractions. */
function plainRule(c: { reason: string; amount: string; currency: string }, rules: SlaRules): string {
  for (const rule of rules.rules) {
    if (rule.reasons && !rule.reasons.includes(c.reason)) continue;
    if (rule.atLeast) {
      const threshold = rule.atLeast[c.currency];
      if (threshold === undefined || !/^[+-]?\d+(\.\d+)?$/.test(c.amount)) continue;
      const [aw, af = ''] = c.amount.replace(/^[+-]/, '').split('.');
      const [tw, tf = ''] = threshold.split('.');
      const scale = Math.max(af.length, tf.length);
      if (BigInt(aw! + af.padEnd(scale, '0')) < BigInt(tw! + tf.padEnd(scale, '0'))) continue;
    }
    return rule.id;
  }
  throw new Error('no rule');
}

const decimal = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 22n }), fc.integer({ min: 0, max: 6 })).map(([negative, units, scale]) => {
  const digits = units.toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
});
const day = fc.integer({ min: 0, max: 40000 }).map((n) => new Date(n * 86_400_000).toISOString().slice(0, 10));
const slaCase = fc.record({
  reason: fc.constantFrom('UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'STALE', 'PROPOSED_MATCH', 'SPLIT_INCOMPLETE'),
  amount: fc.oneof(decimal, fc.constantFrom('', '10000.00', '9999.99', '-10000', '10000.000000000000000001', '9999.999999999999999999', '1500000', '1499999')),
  currency: fc.constantFrom('EUR', 'JPY', 'USD'),
  openedOn: day,
});

describe('due dates', () => {
  test('the first fitting rule decides, by the plain reading of the rules (generated cases)', () => {
    fc.assert(
      fc.property(slaCase, (c) => {
        const rule = slaRuleOf(c, RULES);
        expect(rule.id).toBe(plainRule(c, RULES));
        expect(daysUntilDue(dueDate(c, RULES), c.openedOn)).toBe(rule.days);
      }),
      { numRuns: 2000 },
    );
  });

  test('thresholds are exact beyond float precision, signs ignored', () => {
    const at = (amount: string, currency = 'EUR') => slaRuleOf({ reason: 'UNMATCHED', amount, currency }, RULES).id;
    expect(at('10000.00')).toBe('large');
    expect(at('-10000')).toBe('large');
    expect(at('10000.000000000000000001')).toBe('large');
    expect(at('9999.999999999999999999')).toBe('default');
    expect(at('9999.99')).toBe('default');
    expect(at('')).toBe('default');
    expect(at('1500000', 'JPY')).toBe('large');
    expect(at('1499999', 'JPY')).toBe('default');
    // A currency the rule does not list never meets its threshold.
    expect(at('99999999', 'USD')).toBe('default');
  });

  test('due dates cross month and leap-year ends as calendar days', () => {
    const due = (openedOnDay: string, reason = 'UNMATCHED') => dueDate({ reason, amount: '1.00', currency: 'EUR', openedOn: openedOnDay }, RULES);
    expect(due('2024-02-26')).toBe('2024-03-02');
    expect(due('2023-02-26')).toBe('2023-03-03');
    expect(due('2026-12-30', 'DUPLICATE')).toBe('2026-12-31');
    expect(due('2026-12-31', 'DUPLICATE')).toBe('2027-01-01');
  });

  test('the opening day is the as-of date minus the age', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 3000 }), (asOf, age) => {
        expect(daysUntilDue(asOf, openedOn(asOf, age))).toBe(age);
      }),
    );
  });

  test('a bad opening day is refused naming it', () => {
    expect(() => dueDate({ reason: 'UNMATCHED', amount: '1', currency: 'EUR', openedOn: '2026-02-30' }, RULES)).toThrow(/openedOn "2026-02-30" is not a date/);
  });
});

describe('SLA buckets', () => {
  test('the boundaries: past due is overdue, today due-today, within soonDays due-soon, later on-track', () => {
    expect(slaBucket('2026-03-10', '2026-03-11')).toBe('overdue');
    expect(slaBucket('2026-03-10', new Date('2026-03-10T23:59:59Z'))).toBe('due-today');
    expect(slaBucket('2026-03-10', '2026-03-10T00:00:00.000Z')).toBe('due-today');
    expect(slaBucket('2026-03-10', '2026-03-09')).toBe('due-soon');
    expect(slaBucket('2026-03-10', '2026-03-08')).toBe('due-soon');
    expect(slaBucket('2026-03-10', '2026-03-07')).toBe('on-track');
    expect(slaBucket('2026-03-10', '2026-03-07', 3)).toBe('due-soon');
  });

  test('the bucket never gets less urgent as time passes (generated)', () => {
    fc.assert(
      fc.property(day, day, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 10 }), (due, now, step, soon) => {
        const later = new Date(Date.parse(`${now}T00:00:00Z`) + step * 86_400_000);
        expect(SLA_BUCKETS.indexOf(slaBucket(due, later, soon))).toBeLessThanOrEqual(SLA_BUCKETS.indexOf(slaBucket(due, now, soon)));
      }),
    );
  });
});
