/**
 * Case SLAs: the shipped rules validate; every class of bad rule is refused naming the rule and
 * field; the due date is the first fitting rule's days after the opening day (generated cases,
 * checked against a plain reading of the rules); amount thresholds are exact beyond float
 * precision; buckets split at their boundaries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { CASE_REASONS } from '../../../src/recon/workbench/cases';
import { defaultSlaRules, daysUntilDue, dueDate, openedOn, parseSlaRules, SLA_BUCKETS, slaBucket, slaRuleOf, SlaRulesError, type SlaRules } from '../../../src/recon/workbench/sla';

const shipped = JSON.parse(readFileSync(join(__dirname, '../../../config/recon/sla.json'), 'utf8')) as unknown;

function refusal(json: unknown, source?: string): string {
  try {
    parseSlaRules(json, source);
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

const SLA_FILE = 'config/recon/sla.json';
type RuleJson = { id: string; reasons?: unknown[]; atLeast?: Record<string, string>; days: number; description?: string };
const shippedRules = (): RuleJson[] => structuredClone((shipped as { rules: RuleJson[] }).rules);
/** The shipped file with its rules replaced. */
const withRules = (rules: RuleJson[]) => ({ ...(shipped as object), rules });
const allowed = CASE_REASONS.join(', ');

/** A rule of the shipped file's, by index, that lists reasons (any but the last, unconditional one). */
const ruleWithReasons = fc.constantFrom(...shippedRules().flatMap((rule, index) => (rule.reasons ? [index] : [])));
/** A word that is no case reason in any case. */
const notAReason = fc.stringMatching(/^[A-Za-z][A-Za-z_]{0,30}$/).filter((word) => !CASE_REASONS.some((reason) => reason.toLowerCase() === word.toLowerCase()));
/** A case reason written in another case (`Duplicate`, `amount_mismatch`, `STALe`). */
const wrongCase = fc
  .tuple(fc.constantFrom(...CASE_REASONS), fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }))
  .map(([reason, lower]) => [reason, [...reason].map((ch, at) => (lower[at] ? ch.toLowerCase() : ch)).join('')] as const)
  .filter(([reason, written]) => written !== reason);

describe('SLA rules: reasons are the case reasons (CASE_REASONS), as written, and every rule can decide', () => {
  test('the shipped config/recon/sla.json passes as the workbench loads it, every reason in it a case reason', () => {
    expect(() => defaultSlaRules()).not.toThrow();
    expect(parseSlaRules(shipped, SLA_FILE)).toEqual(defaultSlaRules());
    for (const rule of defaultSlaRules().rules) for (const reason of rule.reasons ?? []) expect(CASE_REASONS).toContain(reason);
  });

  test("every case reason alone in a rule is accepted (the set is the domain's, not a pattern)", () => {
    for (const reason of CASE_REASONS)
      expect(
        parseSlaRules({
          rules: [
            { id: 'one', reasons: [reason], days: 1 },
            { id: 'rest', days: 2 },
          ],
        }).rules[0]!.reasons,
      ).toEqual([reason]);
  });

  test('an unknown reason is refused naming the file, the rule, the reason and every allowed reason (generated)', () => {
    fc.assert(
      fc.property(ruleWithReasons, notAReason, fc.nat(), (index, word, at) => {
        const rules = shippedRules();
        const reasons = rules[index]!.reasons!;
        reasons.splice(at % (reasons.length + 1), 0, word);
        const message = refusal(withRules(rules), SLA_FILE);
        expect(message).toBe(`${SLA_FILE}: rules[${index}] ("${rules[index]!.id}"): reason ${JSON.stringify(word)} is not a case reason; the reasons are ${allowed}`);
        expect(message).not.toContain('did you mean');
      }),
      { numRuns: 200 },
    );
  });

  test('a reason differing from one only in case is refused with a did-you-mean (generated)', () => {
    fc.assert(
      fc.property(ruleWithReasons, wrongCase, (index, [reason, written]) => {
        const rules = shippedRules();
        rules[index]!.reasons = [written];
        expect(refusal(withRules(rules), SLA_FILE)).toBe(
          `${SLA_FILE}: rules[${index}] ("${rules[index]!.id}"): reason ${JSON.stringify(written)} (did you mean ${reason}?) is not a case reason; the reasons are ${allowed}`,
        );
      }),
      { numRuns: 200 },
    );
  });

  test('a reason listed twice in a rule is refused naming it (generated)', () => {
    fc.assert(
      fc.property(ruleWithReasons, fc.nat(), fc.nat(), (index, pick, at) => {
        const rules = shippedRules();
        const reasons = rules[index]!.reasons!;
        const twice = reasons[pick % reasons.length]!;
        reasons.splice(at % (reasons.length + 1), 0, twice);
        expect(refusal(withRules(rules), SLA_FILE)).toBe(`${SLA_FILE}: rules[${index}] ("${rules[index]!.id}"): reason "${twice as string}" is listed twice`);
      }),
    );
  });

  test('an empty list, or one with an item that is not text, is refused naming the rule and the allowed reasons (generated)', () => {
    const notText = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.constantFrom(...CASE_REASONS), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
    fc.assert(
      fc.property(ruleWithReasons, fc.option(fc.tuple(notText, fc.nat()), { nil: undefined }), (index, item) => {
        const rules = shippedRules();
        if (item === undefined) rules[index]!.reasons = [];
        else rules[index]!.reasons!.splice(item[1] % (rules[index]!.reasons!.length + 1), 0, item[0]);
        expect(refusal(withRules(rules), SLA_FILE)).toBe(`${SLA_FILE}: rules[${index}] ("${rules[index]!.id}"): field "reasons" must be a non-empty array of reasons (${allowed})`);
      }),
    );
  });

  test('a rule whose id an earlier rule has is refused (generated: any rule copied under an earlier id)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        const rules = shippedRules();
        const later = 1 + (a % (rules.length - 1));
        const earlier = b % later;
        rules[later]!.id = rules[earlier]!.id;
        expect(refusal(withRules(rules), SLA_FILE)).toBe(`${SLA_FILE}: rules[${later}]: id "${rules[earlier]!.id}" is used by an earlier rule`);
      }),
    );
  });

  test('a rule that an earlier one leaves no case to is refused naming both (generated: a copy of a rule, narrowed, placed after it)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 9n }), (pick, place, narrow, raise) => {
        const rules = shippedRules();
        // Any rule but the unconditional last one.
        const from = pick % (rules.length - 1);
        const copy: RuleJson = { ...structuredClone(rules[from]!), id: 'shadowed' };
        // Narrowed: fewer reasons, a higher threshold; still every case it fits fits the original.
        if (narrow && copy.reasons && copy.reasons.length > 1) copy.reasons = copy.reasons.slice(1);
        if (copy.atLeast) copy.atLeast = Object.fromEntries(Object.entries(copy.atLeast).map(([currency, amount]) => [currency, `${BigInt(amount.split('.')[0]!) + raise}.00`]));
        const at = from + 1 + (place % (rules.length - 1 - from));
        rules.splice(at, 0, copy);
        expect(refusal(withRules(rules), SLA_FILE)).toBe(
          `${SLA_FILE}: rules[${at}] ("shadowed") never fits a case: the earlier rule "${rules[from]!.id}" fits every case it would (the first rule that fits decides)`,
        );
      }),
    );
  });

  test.each([
    [
      'an unconditional rule before the last',
      [
        { id: 'all', days: 1 },
        { id: 'dup', reasons: ['DUPLICATE'], days: 2 },
        { id: 'rest', days: 3 },
      ],
      'rules[1] ("dup") never fits a case: the earlier rule "all"',
    ],
    [
      'an unconditional rule before the last, shadowing the last',
      [
        { id: 'all', days: 1 },
        { id: 'rest', days: 3 },
      ],
      'rules[1] ("rest") never fits a case: the earlier rule "all"',
    ],
    [
      'every reason taken by earlier reason-only rules',
      [
        { id: 'r', reasons: [...CASE_REASONS], days: 1 },
        { id: 'big', atLeast: { EUR: '5' }, days: 2 },
        { id: 'rest', days: 3 },
      ],
      'rules[1] ("big") never fits a case: the earlier rule "r"',
    ],
    [
      'a lower threshold in every currency first',
      [
        { id: 'low', atLeast: { EUR: '10', USD: '10' }, days: 1 },
        { id: 'high', atLeast: { EUR: '10.00' }, days: 2 },
        { id: 'rest', days: 3 },
      ],
      'rules[1] ("high") never fits a case: the earlier rule "low"',
    ],
  ])('refuses %s', (_name, rules, message) => {
    expect(refusal({ rules }, SLA_FILE)).toBe(`${SLA_FILE}: ${message} fits every case it would (the first rule that fits decides)`);
  });

  test.each([
    [
      'another currency',
      [
        { id: 'eur', atLeast: { EUR: '10' }, days: 1 },
        { id: 'usd', atLeast: { USD: '10' }, days: 2 },
        { id: 'rest', days: 3 },
      ],
    ],
    [
      'a lower threshold after a higher one',
      [
        { id: 'high', atLeast: { EUR: '100' }, days: 1 },
        { id: 'low', atLeast: { EUR: '10' }, days: 2 },
        { id: 'rest', days: 3 },
      ],
    ],
    [
      'a threshold for a currency the earlier rule has not',
      [
        { id: 'eur', atLeast: { EUR: '10' }, days: 1 },
        { id: 'both', atLeast: { EUR: '10', GBP: '1' }, days: 2 },
        { id: 'rest', days: 3 },
      ],
    ],
    [
      'a reason the earlier rule has not',
      [
        { id: 'dup', reasons: ['DUPLICATE'], days: 1 },
        { id: 'more', reasons: ['DUPLICATE', 'STALE'], days: 2 },
        { id: 'rest', days: 3 },
      ],
    ],
    [
      'any amount after a threshold',
      [
        { id: 'big', reasons: ['STALE'], atLeast: { EUR: '10' }, days: 1 },
        { id: 'stale', reasons: ['STALE'], days: 2 },
        { id: 'rest', days: 3 },
      ],
    ],
  ])('accepts a later rule that still decides some case: %s', (_name, rules) => {
    expect(parseSlaRules({ rules }, SLA_FILE).rules.map((rule) => rule.id)).toEqual(rules.map((rule) => rule.id));
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
