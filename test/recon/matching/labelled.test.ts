import { assertEachRowOnce, defaultRuleSet, evaluate, generateLabelledSet, matchAll, mergeResults, partitionInputs, type Evaluation, type LabelledSet } from '../../../src/recon/matching';
import type { MatchResult } from '../../../src/recon/types';
import { seededRandom } from '../../support/random';

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
    expect(Object.keys(score.recallByKind).sort()).toEqual(['amount-date', 'batch', 'batch-by-amount', 'exact-reference', 'reference-tolerance', 'shared-batch', 'shared-split', 'split', 'tolerance']);
    expect(score.cases).toBeGreaterThan(50); // near-miss shared-reference batches and splits
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

  it('REC-MATCH-1: shared-reference batches and splits, both ways, at least 99% precision and recall', () => {
    for (const kind of ['shared-batch', 'shared-split'] as const) expect(score.recallByKind[kind]!.recall).toBeGreaterThanOrEqual(0.99);
    for (const rule of ['batch-by-shared-reference', 'split-by-shared-reference']) expect(score.byRule[rule]!.precision).toBeGreaterThanOrEqual(0.99);
    expect(score.recallByKind['shared-batch']!.foundByRule['batch-by-shared-reference']).toBe(score.recallByKind['shared-batch']!.links);
    expect(score.recallByKind['shared-split']!.foundByRule['split-by-shared-reference']).toBe(score.recallByKind['shared-split']!.links);
  });

  it('REC-CASE-1: at least 99% of the near misses are exactly one case (one group holding all their rows and nothing else)', () => {
    expect(score.casesCorrect / score.cases).toBeGreaterThanOrEqual(0.99);
    const byGroup = new Map<string, number>();
    for (const item of result.unmatched) if (item.group !== undefined) byGroup.set(item.group, (byGroup.get(item.group) ?? 0) + 1);
    for (const [group, size] of byGroup) if (size < 2) throw new Error(`group ${group} holds one row: a lone exception has no group`);
  });

  it('no statement line or ledger entry is used twice', () => {
    expect(() => assertEachRowOnce(result)).not.toThrow();
    const twice = { ...result, matches: [...result.matches, { ...result.matches[0]!, matchId: 'copy' }] };
    expect(() => assertEachRowOnce(twice)).toThrow(/is used twice/);
    expect(() => evaluate(twice, set)).toThrow(/is used twice/);
  });

  it('metamorphic: renamed ids, shuffled input and another cut of the partitions give the same matches, reasons and cases', () => {
    const random = seededRandom(77);
    const shuffle = <T>(items: readonly T[]): T[] => {
      const copy = items.slice();
      for (let i = copy.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy;
    };
    // Renaming keeps the canonical (code-unit) order of the ids: a fixed prefix.
    const rename = (id: string): string => `renamed/${id}`;
    const back = (id: string): string => id.slice('renamed/'.length);
    const lines = shuffle(set.statementLines.map((line) => ({ ...line, statementLineId: rename(line.statementLineId) })));
    const entries = shuffle(set.ledgerEntries.map((entry) => ({ ...entry, entryId: rename(entry.entryId) })));
    // Partitions dealt at random into three batches, each matched on its own, merged in reverse.
    const partitions = [...partitionInputs(lines, entries).values()];
    const dealt = partitions.map(() => Math.floor(random() * 3));
    const cuts: MatchResult[] = [0, 1, 2].map((cut) => {
      const mine = partitions.filter((_, i) => dealt[i] === cut);
      return matchAll(
        mine.flatMap((p) => p.statementLines),
        mine.flatMap((p) => p.ledgerEntries),
        defaultRuleSet(),
        set.asOf,
      );
    });
    const renamed = mergeResults(cuts.reverse());
    const view = (r: MatchResult, name: (id: string) => string) => ({
      matches: r.matches.map((m) => `${m.ruleId}:${m.status}:${m.confidence}:${m.statementLineIds.map(name).join('+')}=${m.ledgerEntryIds.map(name).join('+')}`).sort(),
      unmatched: r.unmatched.map((u) => `${u.side}:${name(u.id)}:${u.reason}:${u.candidateId === undefined ? '' : name(u.candidateId)}`).sort(),
      groups: [...r.unmatched.reduce((map, u) => (u.group === undefined ? map : map.set(u.group, [...(map.get(u.group) ?? []), `${u.side}:${name(u.id)}`])), new Map<string, string[]>()).values()]
        .map((ids) => ids.sort().join(','))
        .sort(),
    });
    expect(view(renamed, back)).toEqual(view(result, (id) => id));
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
