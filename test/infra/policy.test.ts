/**
 * The policy suite over the synthesized JSON of every environment, every topology variant (and the tooling account),
 * and the proof that every rule fails on the deliberately bad fixture stack.
 */
import { RULES } from './policy/rules';
import { EXPECTED_VIOLATIONS, synthesizeBadFixture } from './policy/bad-fixture';
import { SYNTHESIZED_SCOPES, cleanupSynth, model, type ScopeName } from './support/synth';
import type { SynthModel } from './support/model';

/** Every environment, every topology variant (FUSE-1: staged), and the tooling account. */
const SCOPES: readonly ScopeName[] = [...SYNTHESIZED_SCOPES.map(([scope]) => scope), 'tooling'];

afterAll(cleanupSynth);

test('the suite has at least 25 uniquely named rules, each with a bad-fixture expectation', () => {
  const ids = RULES.map((rule) => rule.id);
  expect(ids.length).toBeGreaterThanOrEqual(25);
  expect(new Set(ids).size).toBe(ids.length);
  expect(Object.keys(EXPECTED_VIOLATIONS).sort()).toEqual([...ids].sort());
});

describe.each(SCOPES)('%s passes every rule', (scope) => {
  const rules = RULES.filter((rule) => rule.scope === 'all' || scope !== 'tooling');
  test.each(rules.map((rule) => [rule.id, rule] as const))('%s', (_id, rule) => {
    expect(rule.check(model(scope))).toEqual([]);
  });
});

describe('every rule fails on the bad fixture stack', () => {
  let bad: SynthModel;
  beforeAll(() => {
    bad = synthesizeBadFixture();
  });
  test.each(RULES.map((rule) => [rule.id, rule] as const))('%s', (id, rule) => {
    const violations = rule.check(bad);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.map((violation) => violation.address).join('\n')).toContain(EXPECTED_VIOLATIONS[id]!);
  });
});
