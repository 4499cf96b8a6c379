import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRuleSet, defaultRuleSet, parseRuleSet, RuleSetError, validateRuleSet, matchAll, type RuleSet } from '../../../src/recon/matching';
import { AS_OF } from './helpers';

const CONFIG = join(__dirname, '../../../config/recon/default.rules.json');

function withRule(index: number, patch: Record<string, unknown>): unknown {
  const document = structuredClone(defaultRuleSet()) as unknown as { rules: Record<string, unknown>[] };
  document.rules[index] = { ...document.rules[index], ...patch };
  return document;
}

function faultOf(document: unknown): RuleSetError {
  try {
    validateRuleSet(document);
  } catch (error) {
    if (error instanceof RuleSetError) return error;
    throw error;
  }
  throw new Error('expected a RuleSetError');
}

describe('rule-set config', () => {
  it('the repository default (config/recon/default.rules.json) is valid and lists every rule kind in priority order', () => {
    const ruleSet = parseRuleSet(readFileSync(CONFIG, 'utf8'), CONFIG);
    expect(ruleSet.rules.map((rule) => rule.kind)).toEqual(expect.arrayContaining(['exactReference', 'amountDate', 'tolerance', 'oneToMany', 'manyToOne']));
    const priorities = ruleSet.rules.map((rule) => rule.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    expect(compileRuleSet(ruleSet).rules.map((rule) => rule.id)).toEqual(ruleSet.rules.map((rule) => rule.id));
    expect(Object.isFrozen(defaultRuleSet())).toBe(true);
  });

  it.each([
    ['a missing field', withRule(4, { baseConfidence: undefined }), 'rule "reference-tolerance" (rules[4]): missing required field "baseConfidence"'],
    ['an unknown kind', withRule(0, { kind: 'fuzzy' }), 'rule "e2e-exact" (rules[0]): kind: must be one of "exactReference", "amountDate", "tolerance", "oneToMany", "manyToOne"'],
    ['a negative window', withRule(7, { dateWindowDays: -1 }), 'rule "amount-date" (rules[7]): dateWindowDays: must be >= 0'],
    ['a confidence above 1', withRule(7, { baseConfidence: 1.5 }), 'rule "amount-date" (rules[7]): baseConfidence: must be <= 1'],
    ['a malformed tolerance amount', withRule(8, { tolerance: { absolute: '0,50' } }), 'rule "tolerance" (rules[8]): tolerance.absolute: must match pattern'],
    ['an unexpected field', withRule(1, { windowDays: 3 }), 'rule "bankref-exact" (rules[1]): unexpected field "windowDays"'],
    ['an unknown reference field', withRule(0, { fields: ['iban'] }), 'rule "e2e-exact" (rules[0]): fields.0: must be one of "endToEndId", "bankReference", "customerReference", "batchReference"'],
    ['a duplicate id', withRule(1, { id: 'e2e-exact' }), 'rule "e2e-exact" (rules[1]): duplicate rule id (also rules[0])'],
    ['a duplicate priority', withRule(1, { priority: 10 }), 'rule "bankref-exact" (rules[1]): priority 10 is also used by rule "e2e-exact"'],
    ['an unbounded amount grouping', withRule(9, { maxGroupSize: 8 }), 'rule "batch-by-amount" (rules[9]): maxGroupSize 8 is too large for match "amount" (at most 4'],
    ['an inconsistent group size', withRule(5, { minGroupSize: 5, maxGroupSize: 3 }), 'rule "batch-by-reference" (rules[5]): minGroupSize 5 exceeds maxGroupSize 3'],
    [
      'too precise a currency tolerance',
      withRule(8, { tolerance: { absoluteByCurrency: { EUR: '0.005' } } }),
      'rule "tolerance" (rules[8]): tolerance.absoluteByCurrency.EUR: "0.005" has 3 decimal places; EUR allows 2',
    ],
    ['an unknown currency', withRule(8, { tolerance: { absoluteByCurrency: { XXX: '1' } } }), 'rule "tolerance" (rules[8]): tolerance.absoluteByCurrency: unknown currency "XXX"'],
    ['an empty tolerance', withRule(8, { tolerance: {} }), 'rule "tolerance" (rules[8]): tolerance: must NOT have fewer than 1 properties'],
  ])('rejects %s with an error naming the rule and the fault', (_what, document, message) => {
    const error = faultOf(document);
    expect(error.message).toContain(`rule set "default": ${message}`);
    expect(error.ruleId).toBe((message.match(/^rule "([^"]+)"/) ?? [])[1]);
  });

  it('rejects set-level faults: threshold, item pattern, empty rules', () => {
    const base = structuredClone(defaultRuleSet()) as unknown as Record<string, unknown>;
    expect(faultOf({ ...base, confirmThreshold: 2 }).message).toBe('rule set "default": /confirmThreshold: must be <= 1');
    expect(faultOf({ ...base, itemReferencePattern: '([' }).message).toMatch(/^rule set "default": itemReferencePattern is not a valid regular expression/);
    expect(faultOf({ ...base, itemReferencePattern: '^.+-\\d+$' }).message).toBe('rule set "default": itemReferencePattern needs one capture group (the batch reference)');
    expect(faultOf({ ...base, rules: [] }).message).toBe('rule set "default": /rules: must NOT have fewer than 1 items');
    const { itemReferencePattern: _dropped, ...noPattern } = base;
    expect(faultOf(noPattern).message).toBe('rule set "default": rule "batch-by-reference" (rules[5]): match "reference" needs the rule set\'s itemReferencePattern');
  });

  it('parseRuleSet names the source of malformed JSON', () => {
    expect(() => parseRuleSet('{"ruleSetId": ', 'config/recon/broken.rules.json')).toThrow(/^config\/recon\/broken\.rules\.json: not valid JSON/);
    expect(() => parseRuleSet(JSON.stringify(withRule(0, { priority: -5 })), 'custom.json')).toThrow('custom.json: rule set "default": rule "e2e-exact" (rules[0]): priority: must be >= 0');
  });

  it('the matcher refuses a bad rule set before touching any row', () => {
    const bad = withRule(7, { dateWindowDays: 'three' }) as RuleSet;
    expect(() => matchAll([], [], bad, AS_OF)).toThrow('rule "amount-date" (rules[7]): dateWindowDays: must be integer');
  });
});
