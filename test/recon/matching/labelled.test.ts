import { defaultRuleSet, evaluate, generateLabelledSet, matchAll, type Evaluation, type LabelledSet } from '../../../src/recon/matching';
import type { MatchResult } from '../../../src/recon/types';

/**
 * Precision and recall on a labelled generated set of 40,000 statement lines + 40,000 ledger
 * entries (the bench runs the same generator at 1M + 1M).
 */
describe('labelled data set: precision and recall', () => {
  let set: LabelledSet;
  let result: MatchResult;
  let score: Evaluation;
  const exactRules = defaultRuleSet()
    .rules.filter((rule) => rule.kind === 'exactReference' && !('tolerance' in rule && rule.tolerance))
    .map((rule) => rule.id);

  beforeAll(() => {
    set = generateLabelledSet({ seed: 424242, statementLines: 40_000 });
    result = matchAll(set.statementLines, set.ledgerEntries, defaultRuleSet(), set.asOf);
    score = evaluate(result, set);
  });

  it('covers every scenario of the mix', () => {
    expect(Object.keys(score.recallByKind).sort()).toEqual(['amount-date', 'batch', 'batch-by-amount', 'exact-reference', 'reference-tolerance', 'split', 'tolerance']);
    const reasons = new Set(set.exceptions.map((item) => item.reason));
    expect([...reasons].sort()).toEqual(['AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE', 'UNMATCHED']);
    expect(exactRules).toEqual(['e2e-exact', 'bankref-exact']);
  });

  it('exact-reference rules: 100% precision and 100% recall', () => {
    for (const id of exactRules) expect(score.byRule[id]).toEqual(expect.objectContaining({ precision: 1 }));
    const truth = score.recallByKind['exact-reference']!;
    const foundByExactRules = exactRules.reduce((sum, id) => sum + (truth.foundByRule[id] ?? 0), 0);
    expect(foundByExactRules).toBe(truth.links);
    expect(truth.recall).toBe(1);
  });

  it('overall precision and recall are at least 99%', () => {
    expect(score.precision).toBeGreaterThanOrEqual(0.99);
    expect(score.recall).toBeGreaterThanOrEqual(0.99);
    // Whole groups right, not just links: batches and splits are found complete.
    expect(score.exactMatches / score.matches).toBeGreaterThanOrEqual(0.99);
    expect(score.recallByKind.batch!.recall).toBe(1);
    expect(score.recallByKind.split!.recall).toBe(1);
  });

  it('expected exceptions get their reason code (at least 95%; coincidences in random noise aside)', () => {
    expect(score.reasonsCorrect / score.reasons).toBeGreaterThanOrEqual(0.95);
    const reasonOf = new Map(result.unmatched.map((item) => [item.id, item.reason]));
    const byReason = new Map<string, { expected: number; got: number }>();
    for (const item of set.exceptions) {
      const entry = byReason.get(item.reason) ?? { expected: 0, got: 0 };
      entry.expected += 1;
      if (reasonOf.get(item.id) === item.reason) entry.got += 1;
      byReason.set(item.reason, entry);
    }
    for (const [reason, { expected, got }] of byReason) {
      if (got / expected < 0.9) throw new Error(`${reason}: only ${got} of ${expected} expected rows got it`);
    }
  });

  it('confirmed matches are almost always right; the weak rules only ever propose', () => {
    const truthPairs = new Set(set.truth.map((t) => `${[...t.statementLineIds].sort()}|${[...t.ledgerEntryIds].sort()}`));
    const confirmed = result.matches.filter((m) => m.status === 'confirmed');
    const right = confirmed.filter((m) => truthPairs.has(`${m.statementLineIds}|${m.ledgerEntryIds}`)).length;
    expect(right / confirmed.length).toBeGreaterThanOrEqual(0.999);
    for (const m of result.matches) if (['tolerance', 'batch-by-amount', 'split-by-amount'].includes(m.ruleId)) expect(m.status).toBe('proposed');
  });
});
