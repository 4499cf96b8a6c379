import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { EnrichedData } from '../../src/domain/events';
import type { ProductRecord } from '../../src/ports';
import { buildFacts, compileRuleSet, evaluateRules, RuleEvaluationError, RuleFactsError, RuleSetError, type CompiledRuleSet } from '../../src/domain/rules';
import { DEFAULT_RULE_SET_PATH, loadRuleSetFile } from '../../src/adapters/embedded/rule-set-file';
import type { FraudFeatures } from '../../src/domain/fraud';
import fc from 'fast-check';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

/**
 * The default rule set, named here on purpose: the one the embedded runtime and AWS both run
 * (src/rule-sets.ts). Card-posting v2 is v1 plus four fraud review rules (FRAUD-1), so every
 * non-fraud case below decides as it did under v1; the last block proves that against v1 itself.
 */
const RULE_SET_FILE = path.resolve(__dirname, '../../config/rules/card-posting.v2.json');
const V1_FILE = path.resolve(__dirname, '../../config/rules/card-posting.v1.json');

interface Variant {
  cardStatus?: 'ACTIVE' | 'BLOCKED' | 'EXPIRED';
  status?: string;
  amount?: string;
  currency?: string;
  mcc?: string;
  merchantCountry?: string;
  conversion?: boolean;
  iban?: string;
}

/** A hand-built enriched payment: GBP account in GB, domestic grocery purchase of 10.00. */
function enriched(variant: Variant = {}): EnrichedData {
  const currency = variant.currency ?? 'GBP';
  const amount = variant.amount ?? '10.00';
  const conversion = variant.conversion
    ? {
        source: { value: '12.00', currency: 'EUR' },
        converted: { value: amount, currency },
        rate: '0.85',
        rateSource: 'NETWORK' as const,
        fee: { value: '0.28', currency },
        feeBasisPoints: 275,
      }
    : undefined;
  return {
    authorisation: {
      authorizationId: 'auth-0001',
      network: 'VISA',
      stan: '000123',
      rrn: 'ABC123456789',
      transmittedAt: '2026-03-01T10:15:00.000Z',
      panToken: 'tok_abcdef123456',
      responseCode: '00',
      amount: conversion ? conversion.source : { value: amount, currency },
      merchant: { id: 'merch-1', name: 'Corner Grocer', mcc: variant.mcc ?? '5411', country: variant.merchantCountry ?? 'GB' },
    },
    businessKey: 'a'.repeat(64),
    enrichment: {
      card: { network: 'VISA', status: variant.cardStatus ?? 'ACTIVE' },
      product: product(),
      account: {
        accountId: 'acc-0001',
        iban: variant.iban ?? 'GB82WEST12345698765432',
        sortCode: '12-34-56',
        branch: 'London Bridge',
        holderName: 'A Customer',
        productType: 'CLASSIC',
        status: variant.status ?? 'OPEN',
        currency,
      },
      merchant: {
        id: 'merch-1',
        name: 'Corner Grocer',
        mcc: variant.mcc ?? '5411',
        country: variant.merchantCountry ?? 'GB',
        category: 'Groceries',
        settlementAccountId: 'settle-1',
      },
      description: 'Corner Grocer',
      accountAmount: { value: amount, currency },
      ...(conversion ? { conversion } : {}),
      referenceDataVersion: 'ref-2026-03-01',
    },
  };
}

function product(overrides: Partial<ProductRecord> = {}): ProductRecord {
  return {
    productType: 'CLASSIC',
    name: 'Classic current account',
    perTransactionLimit: { value: '1000.00', currency: 'GBP' },
    fxFeeBasisPoints: 275,
    velocityLimit: 5,
    foreignTransactionsAllowed: true,
    ...overrides,
  };
}

/** The facts of `data` with `withProduct` as the product enrichment resolved. */
function factsOf(data: EnrichedData, withProduct: ProductRecord, velocityCount: number) {
  return buildFacts({ ...data, enrichment: { ...data.enrichment, product: withProduct } }, velocityCount);
}

let ruleSet: CompiledRuleSet;
beforeAll(() => {
  ruleSet = loadRuleSetFile();
});

function decide(variant: Variant = {}, productOverrides: Partial<ProductRecord> = {}, velocityCount = 1) {
  return evaluateRules(ruleSet, factsOf(enriched(variant), product(productOverrides), velocityCount));
}

describe('the card-posting rule set file', () => {
  it('loads from the default path and keeps its id, version and rule order', () => {
    expect(DEFAULT_RULE_SET_PATH).toBe(RULE_SET_FILE);
    expect(ruleSet.ruleSetId).toBe('card-posting');
    expect(ruleSet.version).toBe('2.0.0');
    expect(ruleSet.rules.map((rule) => rule.id)).toEqual([
      'ACCOUNT_FROZEN',
      'ACCOUNT_CLOSED',
      'ACCOUNT_DORMANT',
      'CARD_BLOCKED',
      'CARD_EXPIRED',
      'OVER_TRANSACTION_LIMIT',
      'NEAR_TRANSACTION_LIMIT',
      'BLOCKED_MCC',
      'FOREIGN_NOT_ALLOWED',
      'LARGE_FOREIGN',
      'VELOCITY_EXCEEDED',
      'FRAUD_SPEND_SPIKE',
      'FRAUD_COUNTRY_HOP',
      'FRAUD_RISKY_MERCHANT',
      'FRAUD_MODEL_SCORE',
    ]);
    expect(Object.isFrozen(ruleSet)).toBe(true);
    expect(Object.isFrozen(ruleSet.rules)).toBe(true);
  });

  it('approves an ordinary domestic payment with no rule fired', () => {
    expect(decide()).toEqual({ outcome: 'approve', firedRules: [], ruleSetId: 'card-posting', ruleSetVersion: '2.0.0', velocityCount: 1 });
  });
});

describe('each rule fires on its facts and not otherwise', () => {
  const cases: Array<[string, Variant, Partial<ProductRecord>, number, string[], 'approve' | 'decline' | 'review']> = [
    ['frozen account', { status: 'FROZEN' }, {}, 1, ['ACCOUNT_FROZEN'], 'decline'],
    ['closed account', { status: 'CLOSED' }, {}, 1, ['ACCOUNT_CLOSED'], 'decline'],
    ['dormant account', { status: 'DORMANT' }, {}, 1, ['ACCOUNT_DORMANT'], 'review'],
    ['open account', { status: 'OPEN' }, {}, 1, [], 'approve'],
    ['blocked card (approved upstream, blocked since)', { cardStatus: 'BLOCKED' }, {}, 1, ['CARD_BLOCKED'], 'review'],
    ['expired card', { cardStatus: 'EXPIRED' }, {}, 1, ['CARD_EXPIRED'], 'review'],
    ['active card', { cardStatus: 'ACTIVE' }, {}, 1, [], 'approve'],
    ['blocked card on a frozen account: decline wins', { cardStatus: 'BLOCKED', status: 'FROZEN' }, {}, 1, ['ACCOUNT_FROZEN', 'CARD_BLOCKED'], 'decline'],
    ['over the limit by one penny', { amount: '1000.01' }, {}, 1, ['OVER_TRANSACTION_LIMIT'], 'decline'],
    ['exactly the limit (near, not over)', { amount: '1000.00' }, {}, 1, ['NEAR_TRANSACTION_LIMIT'], 'review'],
    ['one penny over 80% of the limit', { amount: '800.01' }, {}, 1, ['NEAR_TRANSACTION_LIMIT'], 'review'],
    ['exactly 80% of the limit', { amount: '800.00' }, {}, 1, [], 'approve'],
    ['blocked MCC 7995 (betting)', { mcc: '7995' }, {}, 1, ['BLOCKED_MCC'], 'decline'],
    ['blocked MCC 6051 (quasi-cash)', { mcc: '6051' }, {}, 1, ['BLOCKED_MCC'], 'decline'],
    ['unblocked MCC 5812', { mcc: '5812' }, {}, 1, [], 'approve'],
    ['foreign merchant, product disallows foreign', { merchantCountry: 'FR' }, { foreignTransactionsAllowed: false }, 1, ['FOREIGN_NOT_ALLOWED'], 'decline'],
    ['conversion at a domestic merchant, product disallows foreign', { conversion: true }, { foreignTransactionsAllowed: false }, 1, ['FOREIGN_NOT_ALLOWED'], 'decline'],
    ['domestic, product disallows foreign', {}, { foreignTransactionsAllowed: false }, 1, [], 'approve'],
    ['small foreign payment, product allows foreign', { merchantCountry: 'FR', conversion: true }, {}, 1, [], 'approve'],
    ['foreign payment just over 50% of the limit', { merchantCountry: 'FR', amount: '500.01' }, {}, 1, ['LARGE_FOREIGN'], 'review'],
    ['foreign payment at exactly 50% of the limit', { merchantCountry: 'FR', amount: '500.00' }, {}, 1, [], 'approve'],
    ['domestic payment over 50% of the limit', { amount: '600.00' }, {}, 1, [], 'approve'],
    ['velocity at the limit', {}, { velocityLimit: 5 }, 5, [], 'approve'],
    ['velocity over the limit', {}, { velocityLimit: 5 }, 6, ['VELOCITY_EXCEEDED'], 'review'],
  ];

  it.each(cases)('%s', (_name, variant, productOverrides, velocityCount, firedRules, outcome) => {
    const decision = decide(variant, productOverrides, velocityCount);
    expect(decision.firedRules).toEqual(firedRules);
    expect(decision.outcome).toBe(outcome);
    expect(decision.velocityCount).toBe(velocityCount);
  });
});

describe('outcome precedence and firedRules', () => {
  it('declines when a decline and review rules both fire, listing all of them in rule-set order', () => {
    const decision = decide({ status: 'DORMANT', mcc: '7995', amount: '1500.00', merchantCountry: 'US' }, { velocityLimit: 2 }, 3);
    expect(decision.outcome).toBe('decline');
    expect(decision.firedRules).toEqual(['ACCOUNT_DORMANT', 'OVER_TRANSACTION_LIMIT', 'BLOCKED_MCC', 'LARGE_FOREIGN', 'VELOCITY_EXCEEDED']);
  });

  it('reviews when only review rules fire', () => {
    const decision = decide({ status: 'DORMANT', amount: '900.00' }, { velocityLimit: 1 }, 2);
    expect(decision).toMatchObject({ outcome: 'review', firedRules: ['ACCOUNT_DORMANT', 'NEAR_TRANSACTION_LIMIT', 'VELOCITY_EXCEEDED'] });
  });

  it('declines on several decline rules at once', () => {
    const decision = decide({ status: 'FROZEN', mcc: '7801', merchantCountry: 'DE' }, { foreignTransactionsAllowed: false });
    expect(decision).toMatchObject({ outcome: 'decline', firedRules: ['ACCOUNT_FROZEN', 'BLOCKED_MCC', 'FOREIGN_NOT_ALLOWED'] });
  });

  // Complete decisions stated by hand from the rule set file (limit 1000.00, near 80%, large
  // foreign 50%, velocity limit 5), not computed by the code under test.
  const decisions: [string, Variant, number, Pick<ReturnType<typeof decide>, 'outcome' | 'firedRules'>][] = [
    ['foreign, near the limit, over velocity', { amount: '999.99', merchantCountry: 'FR' }, 7, { outcome: 'review', firedRules: ['NEAR_TRANSACTION_LIMIT', 'LARGE_FOREIGN', 'VELOCITY_EXCEEDED'] }],
    ['domestic and small', { amount: '10.00' }, 1, { outcome: 'approve', firedRules: [] }],
    ['over the limit on a blocked MCC', { amount: '1000.01', mcc: '7800' }, 5, { outcome: 'decline', firedRules: ['OVER_TRANSACTION_LIMIT', 'BLOCKED_MCC'] }],
    ['expired card, velocity at the limit', { cardStatus: 'EXPIRED', amount: '1.00' }, 5, { outcome: 'review', firedRules: ['CARD_EXPIRED'] }],
    ['closed account, conversion, half the limit', { status: 'CLOSED', conversion: true, amount: '500.00' }, 0, { outcome: 'decline', firedRules: ['ACCOUNT_CLOSED'] }],
  ];

  it('gives the stated decision for each input, the same on every evaluation and in any order', () => {
    const expected = decisions.map(([, , velocityCount, decision]) => ({ ...decision, ruleSetId: 'card-posting', ruleSetVersion: '2.0.0', velocityCount }));
    const facts = decisions.map(([, variant, velocityCount]) => factsOf(enriched(variant), product(), velocityCount));
    expect(facts.map((f) => evaluateRules(ruleSet, f))).toEqual(expected);
    // again, in reverse order: no evaluation leaves state behind for the next one
    expect([...facts].reverse().map((f) => evaluateRules(ruleSet, f))).toEqual([...expected].reverse());
  });
});

describe('amounts compare exactly as integer minor units', () => {
  it('limit 1000.00: 1000.00 is within it, 1000.01 is over', () => {
    expect(decide({ amount: '1000.00' }).firedRules).not.toContain('OVER_TRANSACTION_LIMIT');
    expect(decide({ amount: '1000.01' }).firedRules).toContain('OVER_TRANSACTION_LIMIT');
    expect(decide({ amount: '999.99' }).firedRules).toEqual(['NEAR_TRANSACTION_LIMIT']);
  });

  it('stays exact beyond double precision (2^53 minor units)', () => {
    // 90071992547409.93 and .92 are the same double; as minor units they differ by one.
    const limit = { value: '90071992547409.92', currency: 'GBP' };
    expect(decide({ amount: '90071992547409.93' }, { perTransactionLimit: limit }).firedRules).toContain('OVER_TRANSACTION_LIMIT');
    expect(decide({ amount: '90071992547409.92' }, { perTransactionLimit: limit }).firedRules).not.toContain('OVER_TRANSACTION_LIMIT');
  });

  it('uses the currency exponent: BHD has 3 decimals, JPY none', () => {
    const bhd = { currency: 'BHD', iban: 'BH67BMAG00001299123456', merchantCountry: 'BH' };
    const bhdLimit = { perTransactionLimit: { value: '500.000', currency: 'BHD' } };
    expect(decide({ ...bhd, amount: '500.001' }, bhdLimit).firedRules).toEqual(['OVER_TRANSACTION_LIMIT']);
    expect(decide({ ...bhd, amount: '500' }, bhdLimit).firedRules).toEqual(['NEAR_TRANSACTION_LIMIT']);
    expect(decide({ ...bhd, amount: '400.000' }, bhdLimit).firedRules).toEqual([]);
    expect(decide({ ...bhd, amount: '400.001' }, bhdLimit).firedRules).toEqual(['NEAR_TRANSACTION_LIMIT']);
    const jpy = { currency: 'JPY', iban: 'JP00TEST0000000001', merchantCountry: 'JP' };
    const jpyLimit = { perTransactionLimit: { value: '100000', currency: 'JPY' } };
    expect(decide({ ...jpy, amount: '100001' }, jpyLimit).firedRules).toEqual(['OVER_TRANSACTION_LIMIT']);
    expect(decide({ ...jpy, amount: '80000' }, jpyLimit).firedRules).toEqual([]);
    expect(decide({ ...jpy, amount: '80001' }, jpyLimit).firedRules).toEqual(['NEAR_TRANSACTION_LIMIT']);
  });
});

describe('buildFacts', () => {
  it('turns money into bigint minor units and derives the account country from the IBAN', () => {
    const facts = factsOf(enriched({ amount: '123.45', conversion: true, merchantCountry: 'FR' }), product(), 3);
    expect(facts.payment).toMatchObject({
      amountMinor: 12345n,
      feeMinor: 28n,
      currency: 'GBP',
      sourceCurrency: 'EUR',
      mcc: '5411',
      merchantCountry: 'FR',
      hasConversion: true,
      network: 'VISA',
      velocityCount: 3n,
    });
    expect(facts.account).toMatchObject({ status: 'OPEN', country: 'GB', currency: 'GBP', productType: 'CLASSIC' });
    expect(facts.product).toMatchObject({ perTransactionLimitMinor: 100000n, velocityLimit: 5n, foreignTransactionsAllowed: true });
    expect(factsOf(enriched(), product(), 1).payment.feeMinor).toBe(0n);
  });

  it('refuses a product limit in another currency than the account', () => {
    expect(() => factsOf(enriched(), product({ perTransactionLimit: { value: '1000.00', currency: 'EUR' } }), 1)).toThrow(RuleFactsError);
    expect(() => factsOf(enriched(), product({ perTransactionLimit: { value: '1000.00', currency: 'EUR' } }), 1)).toThrow(/limit is in EUR but account acc-0001 is in GBP/);
  });

  it('refuses an invalid velocity count', () => {
    expect(() => factsOf(enriched(), product(), -1)).toThrow(RuleFactsError);
    expect(() => factsOf(enriched(), product(), 1.5)).toThrow(RuleFactsError);
  });
});

describe('compileRuleSet', () => {
  const base = (): Record<string, unknown> => JSON.parse(readFileSync(RULE_SET_FILE, 'utf8')) as Record<string, unknown>;
  const withRule = (rule: Record<string, unknown>): Record<string, unknown> => {
    const doc = base();
    (doc.rules as unknown[]).push(rule);
    return doc;
  };
  /** The index a rule appended to the file's rules gets (15 in v2: 11 card checks + 4 fraud rules). */
  const appended = (base().rules as unknown[]).length;
  const failure = (doc: unknown): RuleSetError => {
    try {
      compileRuleSet(doc);
    } catch (error) {
      expect(error).toBeInstanceOf(RuleSetError);
      return error as RuleSetError;
    }
    throw new Error('expected the rule set to be rejected');
  };

  it('names the rule and the fault for a schema violation in a rule', () => {
    const error = failure(withRule({ id: 'BAD_OUTCOME', description: 'x', when: 'true', outcome: 'block' }));
    expect(error.ruleId).toBe('BAD_OUTCOME');
    expect(error.message).toContain(`rule BAD_OUTCOME (rules[${appended}]) outcome: must be one of ["decline","review"]`);
  });

  it('names the rule for a missing field and an unexpected one', () => {
    expect(failure(withRule({ id: 'NO_WHEN', description: 'x', outcome: 'review' })).message).toContain(`rule NO_WHEN (rules[${appended}]): missing required field "when"`);
    expect(failure(withRule({ id: 'EXTRA', description: 'x', when: 'true', outcome: 'review', priority: 1 })).message).toContain(`rule EXTRA (rules[${appended}]): unexpected field "priority"`);
  });

  it('rejects document-level faults (bad version, fractional parameter, no rules)', () => {
    expect(failure({ ...base(), version: 'v1' }).message).toContain('/version');
    expect(failure({ ...base(), parameters: { nearLimitPercent: 0.8 } }).message).toContain('/parameters/nearLimitPercent');
    expect(failure({ ...base(), rules: [] }).message).toContain('/rules');
    expect(failure(null).message).toContain('(root)');
  });

  it('names the rule whose expression does not parse', () => {
    const error = failure(withRule({ id: 'BROKEN', description: 'x', when: 'payment.amountMinor >', outcome: 'decline' }));
    expect(error.ruleId).toBe('BROKEN');
    expect(error.message).toMatch(/rule BROKEN \(decline\): "when" does not parse: Unexpected token/);
  });

  it('names the rule whose expression does not type-check', () => {
    const mismatched = failure(withRule({ id: 'MCC_AS_INT', description: 'x', when: 'payment.mcc > 5000', outcome: 'review' }));
    expect(mismatched.ruleId).toBe('MCC_AS_INT');
    expect(mismatched.message).toMatch(/rule MCC_AS_INT \(review\): "when" does not type-check: no such overload: string > int/);

    expect(failure(withRule({ id: 'UNKNOWN_VAR', description: 'x', when: 'customer.age > 18', outcome: 'review' })).message).toMatch(/rule UNKNOWN_VAR .*does not type-check/);
    expect(failure(withRule({ id: 'UNKNOWN_FIELD', description: 'x', when: 'payment.nope == 1', outcome: 'review' })).message).toMatch(/rule UNKNOWN_FIELD .*does not type-check: No such key: nope/);
    expect(failure(withRule({ id: 'UNKNOWN_PARAM', description: 'x', when: 'payment.mcc in params.allowedMccs', outcome: 'review' })).message).toMatch(/rule UNKNOWN_PARAM .*No such key: allowedMccs/);
  });

  it('rejects floating point in an expression: money is compared as exact ints', () => {
    const literal = failure(withRule({ id: 'FLOAT', description: 'x', when: 'payment.amountMinor > 100.5', outcome: 'review' }));
    expect(literal.ruleId).toBe('FLOAT');
    expect(literal.message).toContain('rule FLOAT (review): "when" uses floating point: double literal 100.5 at position 22');
    expect(failure(withRule({ id: 'TO_DOUBLE', description: 'x', when: 'double(payment.amountMinor) > 0.0 * 1.0', outcome: 'review' })).message).toMatch(/rule TO_DOUBLE .*uses floating point/);
    expect(failure(withRule({ id: 'TO_DOUBLE_METHOD', description: 'x', when: 'payment.velocityCount.double() > 1', outcome: 'review' })).message).toMatch(
      /rule TO_DOUBLE_METHOD .*(uses floating point|does not type-check)/,
    );
  });

  it('requires a bool expression', () => {
    const error = failure(withRule({ id: 'NOT_BOOL', description: 'x', when: 'payment.amountMinor + 1', outcome: 'review' }));
    expect(error.message).toContain('rule NOT_BOOL (review): "when" must be a bool expression but is of type int');
  });

  it('rejects duplicate rule ids', () => {
    const error = failure(withRule({ id: 'BLOCKED_MCC', description: 'again', when: 'true', outcome: 'review' }));
    expect(error.ruleId).toBe('BLOCKED_MCC');
    expect(error.message).toContain('rule BLOCKED_MCC: duplicate rule id');
  });

  it('types parameters by their JSON value: bool, int, string, list<string>', () => {
    const custom = compileRuleSet({
      ruleSetId: 'custom',
      version: '2.1.0',
      description: 'parameter types',
      parameters: { strict: true, maxVelocity: 3, homeNetwork: 'VISA', watchedCountries: ['RU', 'KP'] },
      rules: [
        { id: 'STRICT_VELOCITY', description: 'x', when: 'params.strict && payment.velocityCount > params.maxVelocity', outcome: 'review' },
        { id: 'OFF_NETWORK', description: 'x', when: 'payment.network != params.homeNetwork', outcome: 'review' },
        { id: 'WATCHED', description: 'x', when: 'payment.merchantCountry in params.watchedCountries', outcome: 'decline' },
      ],
    });
    const facts = factsOf(enriched({ merchantCountry: 'KP' }), product(), 4);
    expect(evaluateRules(custom, facts)).toEqual({
      outcome: 'decline',
      firedRules: ['STRICT_VELOCITY', 'WATCHED'],
      ruleSetId: 'custom',
      ruleSetVersion: '2.1.0',
      velocityCount: 4,
    });
    expect(evaluateRules(custom, factsOf(enriched(), product(), 3)).outcome).toBe('approve');
  });

  it('reports an evaluation failure (int64 overflow) naming the rule, never approving', () => {
    const overflowing = compileRuleSet({
      ruleSetId: 'overflow',
      version: '1.0.0',
      description: 'x',
      parameters: {},
      rules: [{ id: 'HUGE_MULTIPLY', description: 'x', when: 'payment.amountMinor * 1000000000000 > 0', outcome: 'review' }],
    });
    const facts = factsOf(enriched({ amount: '100000000.00' }), product(), 1);
    expect(() => evaluateRules(overflowing, facts)).toThrow(RuleEvaluationError);
    expect(() => evaluateRules(overflowing, facts)).toThrow(/rule HUGE_MULTIPLY failed to evaluate: integer overflow/);
  });
});

describe('loadRuleSetFile with a bad file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledgerline-rules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file and the rule whose CEL does not type-check', () => {
    const doc = JSON.parse(readFileSync(RULE_SET_FILE, 'utf8')) as { rules: Array<Record<string, string>> };
    const rule = doc.rules.find((candidate) => candidate.id === 'VELOCITY_EXCEEDED');
    if (!rule) throw new Error('fixture rule missing');
    rule.when = 'payment.velocityCount > product.velocityLimitt';
    const file = path.join(dir, 'bad-cel.json');
    writeFileSync(file, JSON.stringify(doc));
    expect(() => loadRuleSetFile(file)).toThrow(RuleSetError);
    expect(() => loadRuleSetFile(file)).toThrow(`${file}: rule VELOCITY_EXCEEDED (review): "when" does not type-check: No such key: velocityLimitt`);
  });

  it('names the file and the rule with a schema fault', () => {
    const doc = JSON.parse(readFileSync(RULE_SET_FILE, 'utf8')) as { rules: Array<Record<string, string>> };
    (doc.rules[7] as Record<string, string>).outcome = 'deny';
    const file = path.join(dir, 'bad-schema.json');
    writeFileSync(file, JSON.stringify(doc));
    expect(() => loadRuleSetFile(file)).toThrow(`${file}: rule BLOCKED_MCC (rules[7]) outcome: must be one of ["decline","review"]`);
  });

  it('names the file when it is not JSON or is missing', () => {
    const file = path.join(dir, 'not-json.json');
    writeFileSync(file, '{ "ruleSetId": ');
    expect(() => loadRuleSetFile(file)).toThrow(`${file}: not valid JSON`);
    expect(() => loadRuleSetFile(path.join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read/);
  });
});

describe('the default (v2) against v1: v1 plus fraud review rules, nothing else (FRAUD-1)', () => {
  const STRICTNESS = { approve: 0, review: 1, decline: 2 } as const;
  let v1: CompiledRuleSet;
  beforeAll(() => {
    v1 = loadRuleSetFile(V1_FILE);
  });

  const variantArb: fc.Arbitrary<Variant> = fc.record(
    {
      cardStatus: fc.constantFrom('ACTIVE', 'BLOCKED', 'EXPIRED'),
      status: fc.constantFrom('OPEN', 'FROZEN', 'CLOSED', 'DORMANT'),
      amount: fc.integer({ min: 1, max: 150_000 }).map((minor) => (minor / 100).toFixed(2)),
      mcc: fc.constantFrom('5411', '5812', '7995', '6051', '7801'),
      merchantCountry: fc.constantFrom('GB', 'FR', 'US'),
      conversion: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  const productArb = fc.record({ velocityLimit: fc.integer({ min: 1, max: 8 }), foreignTransactionsAllowed: fc.boolean() });
  const fraudArb: fc.Arbitrary<FraudFeatures> = fc.record({
    baselineCount: fc.bigInt({ min: 0n, max: 6n }),
    baselineMeanMinor: fc.bigInt({ min: 0n, max: 100_000n }),
    spendRatioPermille: fc.bigInt({ min: 0n, max: 20_000n }),
    countriesInWindow: fc.bigInt({ min: 1n, max: 5n }),
    previousCountry: fc.constantFrom('', 'GB', 'FR'),
    minutesSincePrevious: fc.bigInt({ min: -1n, max: 600n }),
    merchantRiskScore: fc.bigInt({ min: 0n, max: 100n }),
    modelScorePermille: fc.bigInt({ min: -1n, max: 1000n }),
  });

  it('with no fraud signal, v2 decides every generated payment exactly as v1 (but for the version)', () => {
    fc.assert(
      fc.property(variantArb, productArb, fc.integer({ min: 0, max: 10 }), (variant, overrides, velocity) => {
        const facts = factsOf(enriched(variant), product(overrides), velocity);
        const { ruleSetVersion: oldVersion, ...old } = evaluateRules(v1, facts);
        const { ruleSetVersion: newVersion, ...now } = evaluateRules(ruleSet, facts);
        expect([oldVersion, newVersion]).toEqual(['1.1.0', '2.0.0']);
        expect(now).toEqual(old);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(20_261_206) },
    );
  });

  it('with fraud features, v2 fires what v1 fires plus only FRAUD_ rules, and is never less strict', () => {
    fc.assert(
      fc.property(variantArb, productArb, fc.integer({ min: 0, max: 10 }), fraudArb, (variant, overrides, velocity, fraud) => {
        const data = enriched(variant);
        const facts = buildFacts({ ...data, enrichment: { ...data.enrichment, product: product(overrides) } }, velocity, fraud);
        const old = evaluateRules(v1, facts);
        const now = evaluateRules(ruleSet, facts);
        expect(now.firedRules.filter((id) => !id.startsWith('FRAUD_'))).toEqual(old.firedRules);
        expect(STRICTNESS[now.outcome]).toBeGreaterThanOrEqual(STRICTNESS[old.outcome]);
        // A fraud rule only ever holds for review: a v1 decline stays a decline, nothing new is declined.
        if (old.outcome === 'decline' || now.outcome === 'decline') expect(now.outcome).toBe(old.outcome);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(20_261_207) },
    );
  });
});
