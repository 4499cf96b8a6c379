/**
 * Scores a MatchResult against a labelled set's ground truth.
 *
 * Precision / recall are over links: a match of 1 statement line and k ledger entries is k
 * (statement line, ledger entry) links; a truth match likewise. Group accuracy is also reported:
 * a predicted match counts as exact when its row sets equal a truth match's.
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
}

const SEP = '\u0000';

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

export function evaluate(result: MatchResult, set: LabelledSet): Evaluation {
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
  };
}
