/**
 * Scores a MatchResult against a labelled set's ground truth.
 *
 * Precision / recall are over links: a match of 1 statement line and k ledger entries is k
 * (statement line, ledger entry) links; a truth match likewise. Group accuracy is also reported:
 * a predicted match counts as exact when its row sets equal a truth match's.
 *
 * REC-MATCH-1: it first asserts the one-use guarantee: no statement line or ledger entry appears
 * in two matches, twice in one match, or both in a match and among the unmatched (it throws,
 * naming the row). REC-CASE-1: an expected case (exceptions sharing a truth `group` label) is
 * right when all its rows carry one matcher `group` key that no other row carries.
 */
import type { MatchResult } from '../types';
import type { LabelledSet, TruthKind } from './generate';

export interface RuleScore {
  links: number;
  correct: number;
  precision: number;
}

export interface Evaluation {
  predictedLinks: number;
  truthLinks: number;
  correctLinks: number;
  precision: number;
  recall: number;
  /** Predicted matches whose rows equal a truth match exactly / all predicted matches. */
  exactMatches: number;
  matches: number;
  /** Per rule id: links and precision. */
  byRule: Record<string, RuleScore>;
  /** Per truth kind: links and recall (found by any rule). */
  recallByKind: Partial<Record<TruthKind, { links: number; found: number; recall: number; foundByRule: Record<string, number> }>>;
  /** Expected exceptions whose reason matched / all expected exceptions. */
  reasonsCorrect: number;
  reasons: number;
  /** REC-CASE-1: expected cases whose rows got exactly one group of their own / all expected cases. */
  casesCorrect: number;
  cases: number;
}

/** Throws when a row is used twice (two matches, twice in one, or matched and unmatched). */
export function assertEachRowOnce(result: MatchResult): void {
  const seen = new Map<string, string>();
  const use = (key: string, where: string): void => {
    const before = seen.get(key);
    if (before !== undefined) throw new Error(`${key.replace(SEP, ' ')} is used twice: ${before} and ${where}`);
    seen.set(key, where);
  };
  for (const match of result.matches) {
    for (const id of match.statementLineIds) use(`statement${SEP}${id}`, `match ${match.matchId}`);
    for (const id of match.ledgerEntryIds) use(`ledger${SEP}${id}`, `match ${match.matchId}`);
  }
  for (const item of result.unmatched) use(`${item.side}${SEP}${item.id}`, `unmatched (${item.reason})`);
}

const SEP = '\u0000';

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

export function evaluate(result: MatchResult, set: LabelledSet): Evaluation {
  assertEachRowOnce(result);
  const truthLinks = new Map<string, TruthKind>();
  const truthGroups = new Set<string>();
  for (const match of set.truth) {
    for (const s of match.statementLineIds) for (const l of match.ledgerEntryIds) truthLinks.set(s + SEP + l, match.kind);
    truthGroups.add(`${[...match.statementLineIds].sort().join(',')}|${[...match.ledgerEntryIds].sort().join(',')}`);
  }
  const byRule: Record<string, RuleScore> = {};
  const foundByKind = new Map<TruthKind, number>();
  const foundByKindRule = new Map<TruthKind, Record<string, number>>();
  let predicted = 0;
  let correct = 0;
  let exact = 0;
  for (const match of result.matches) {
    const score = (byRule[match.ruleId] ??= { links: 0, correct: 0, precision: 1 });
    for (const s of match.statementLineIds) {
      for (const l of match.ledgerEntryIds) {
        predicted += 1;
        score.links += 1;
        const kind = truthLinks.get(s + SEP + l);
        if (kind !== undefined) {
          correct += 1;
          score.correct += 1;
          foundByKind.set(kind, (foundByKind.get(kind) ?? 0) + 1);
          let perRule = foundByKindRule.get(kind);
          if (!perRule) foundByKindRule.set(kind, (perRule = {}));
          perRule[match.ruleId] = (perRule[match.ruleId] ?? 0) + 1;
        }
      }
    }
    if (truthGroups.has(`${[...match.statementLineIds].sort().join(',')}|${[...match.ledgerEntryIds].sort().join(',')}`)) exact += 1;
  }
  for (const score of Object.values(byRule)) score.precision = ratio(score.correct, score.links);
  const linksByKind = new Map<TruthKind, number>();
  for (const kind of truthLinks.values()) linksByKind.set(kind, (linksByKind.get(kind) ?? 0) + 1);
  const recallByKind: Evaluation['recallByKind'] = {};
  for (const [kind, links] of [...linksByKind].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const found = foundByKind.get(kind) ?? 0;
    recallByKind[kind] = { links, found, recall: ratio(found, links), foundByRule: foundByKindRule.get(kind) ?? {} };
  }
  const reasonOf = new Map<string, string>();
  for (const item of result.unmatched) reasonOf.set(item.side + SEP + item.id, item.reason);
  let reasonsCorrect = 0;
  for (const expected of set.exceptions) if (reasonOf.get(expected.side + SEP + expected.id) === expected.reason) reasonsCorrect += 1;
  // Cases: every expected case's rows share one matcher group, and that group holds nothing else.
  const groupOf = new Map<string, string>();
  const groupSize = new Map<string, number>();
  for (const item of result.unmatched) {
    if (item.group === undefined) continue;
    groupOf.set(item.side + SEP + item.id, item.group);
    groupSize.set(item.group, (groupSize.get(item.group) ?? 0) + 1);
  }
  const expectedCases = new Map<string, string[]>();
  for (const expected of set.exceptions) {
    if (expected.group === undefined) continue;
    const members = expectedCases.get(expected.group) ?? [];
    members.push(expected.side + SEP + expected.id);
    expectedCases.set(expected.group, members);
  }
  let casesCorrect = 0;
  for (const members of expectedCases.values()) {
    const keys = new Set(members.map((member) => groupOf.get(member)));
    const [key] = keys;
    if (keys.size === 1 && key !== undefined && groupSize.get(key) === members.length) casesCorrect += 1;
  }
  return {
    predictedLinks: predicted,
    truthLinks: truthLinks.size,
    correctLinks: correct,
    precision: ratio(correct, predicted),
    recall: ratio(correct, truthLinks.size),
    exactMatches: exact,
    matches: result.matches.length,
    byRule,
    recallByKind,
    reasonsCorrect,
    reasons: set.exceptions.length,
    casesCorrect,
    cases: expectedCases.size,
  };
}
