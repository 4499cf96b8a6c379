/** Small builders for hand-made matching scenarios. */
import type { LedgerEntry, MatchResult, StatementLine, UnmatchedItem } from '../../../src/recon/types';
import { defaultRuleSet, type MatchingRule, type RuleSet } from '../../../src/recon/matching';

export const ACCOUNT = 'GB33LEDG000001';
export const AS_OF = '2025-06-30';

type LineInput = Partial<StatementLine> & { id: string; amount: string };
type EntryInput = Partial<LedgerEntry> & { id: string; amount: string };

export function line({ id, ...rest }: LineInput): StatementLine {
  return {
    statementLineId: id,
    format: 'camt.053',
    statementId: 'STMT-1',
    accountId: ACCOUNT,
    currency: 'EUR',
    bookingDate: '2025-06-20',
    valueDate: '2025-06-20',
    bankReference: `BR-${id}`,
    position: { file: 'test.xml', element: `Ntry[${id}]` },
    ...rest,
  };
}

export function entry({ id, ...rest }: EntryInput): LedgerEntry {
  return {
    entryId: id,
    accountId: ACCOUNT,
    currency: 'EUR',
    bookingDate: '2025-06-20',
    valueDate: '2025-06-20',
    reference: '',
    description: 'test entry',
    ...rest,
  };
}

/** The default rule set reduced to the named rules (same parameters as config/recon/default.rules.json). */
export function onlyRules(...ids: string[]): RuleSet {
  const base = defaultRuleSet();
  const rules = base.rules.filter((rule) => ids.includes(rule.id)) as MatchingRule[];
  if (rules.length !== ids.length) throw new Error(`unknown rule in ${ids.join(', ')}`);
  return { ...structuredClone(base), rules: structuredClone(rules) };
}

export function withRules(rules: MatchingRule[], overrides: Partial<RuleSet> = {}): RuleSet {
  return { ...structuredClone(defaultRuleSet()), rules, ...overrides };
}

/** Compact view of a result: "ruleId:status:s1+s2=l1+l2". */
export function summary(result: MatchResult): string[] {
  return result.matches.map((m) => `${m.ruleId}:${m.status}:${m.statementLineIds.join('+')}=${m.ledgerEntryIds.join('+')}`);
}

export function reasonOf(result: MatchResult, id: string): UnmatchedItem | undefined {
  return result.unmatched.find((item) => item.id === id);
}

/** Every input row appears exactly once: in one match or as one unmatched item. */
export function expectEachRowOnce(result: MatchResult, lines: StatementLine[], entries: LedgerEntry[]): void {
  const seen = new Map<string, number>();
  const bump = (key: string): void => void seen.set(key, (seen.get(key) ?? 0) + 1);
  for (const match of result.matches) {
    match.statementLineIds.forEach((id) => bump(`s:${id}`));
    match.ledgerEntryIds.forEach((id) => bump(`l:${id}`));
  }
  for (const item of result.unmatched) bump(`${item.side === 'statement' ? 's' : 'l'}:${item.id}`);
  const expected = [...lines.map((l) => `s:${l.statementLineId}`), ...entries.map((e) => `l:${e.entryId}`)].sort();
  expect([...seen.keys()].sort()).toEqual(expected);
  for (const [key, count] of seen) if (count !== 1) throw new Error(`${key} used ${count} times`);
}
