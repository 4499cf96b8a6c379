/**
 * The matching engine for ONE partition (one account + currency). `matchPartition` is the single
 * matcher implementation: the embedded runtime calls it through `matchAll`, the scale path (a
 * Lambda per partition) calls it directly on a deserialised partition.
 *
 * Algorithm (see README.md in this folder for the full contract):
 *  1. Both sides are sorted canonically by id and converted to compact integer columns.
 *  2. Rules run in ascending priority. A row used by a match is never offered to a later rule.
 *  3. 1:1 rules (exactReference, amountDate, tolerance) collect candidate pairs through hash maps
 *     (reference → rows, amount → rows) or a sorted amount index (tolerance), at most
 *     `maxCandidatesPerRow` per row; then pairs are accepted best first:
 *     confidence desc, date distance asc, amount difference asc, then (within an equally ranked
 *     group) fewest equally ranked alternatives first, then statement id asc, ledger id asc.
 *     A pair whose row had an equally ranked, distinguishable alternative is a tie: its
 *     confidence loses the rule's ambiguityPenalty (normally making it 'proposed').
 *  4. Group rules (oneToMany, manyToOne) take heads in canonical order. Reference mode: items
 *     whose reference is the head's reference plus an item suffix (itemReferencePattern), summing
 *     exactly; if they do not, subsets are searched only when there are at most maxSubsetItems
 *     (2^12 subsets by default). Amount mode: items of the same sign within the date window, at
 *     most maxCandidates nearest by date, group size 2..4, found by hashing single amounts (size 2),
 *     pairs (size 3) and pair sums (size 4): O(maxCandidates²) per head, never exponential.
 *     Shared-reference mode (REC-MATCH-1): items carrying the head's very own reference, all of
 *     them summing exactly.
 *  5. Every row left over gets a reason code, its age against `asOf` and, when it belongs with
 *     others (a batch that does not add up…), a case group key (REC-CASE-1).
 *
 * Modules: one-to-one.ts (step 3), groups.ts (step 4), exceptions.ts + case-groups.ts (step 5),
 * duplicates.ts (twins, after every rule), rows.ts (step 1).
 */
import type { LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../types';
import { deterministicIdOfSeed } from '../../domain/events';
import { RawMatches } from './common';
import { twinGroupsByReferenceId, withholdDuplicates } from './duplicates';
import { classify } from './exceptions';
import { runGroupRule } from './groups';
import { referenceIds } from './references';
import { acceptPairs, amountDatePairs, exactReferencePairs, tolerancePairs } from './one-to-one';
import { type CompiledRuleSet, type RuleSet, compileRuleSet, SCALE } from './rules';
import { MatchInputError, dayNumber, ledgerSide, type Side, statementSide } from './rows';

/** One partition's rows: plain JSON, the unit of work of the scale path. */
export interface PartitionInput {
  statementLines: StatementLine[];
  ledgerEntries: LedgerEntry[];
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** Days since epoch of the as-of date; throws on a malformed date. */
export function asOfDayNumber(asOf: string): number {
  const day = typeof asOf === 'string' ? dayNumber(asOf) : Number.NaN;
  if (Number.isNaN(day)) throw new MatchInputError(`asOf "${String(asOf)}" is not a YYYY-MM-DD date`);
  return day;
}

const MATCH_ID_SEED = 'ledgerline.recon.match\u001f';

function joinedIds(ids: readonly string[]): string {
  return ids.length === 1 ? ids[0]! : ids.join('\u001e');
}

/**
 * The deterministic id of a match: derived from its rule and its rows only. The value is
 * deterministicId('ledgerline.recon.match', ruleId, statementLineIds.join('\u001e'),
 * ledgerEntryIds.join('\u001e')), its seed joined here at once (REC-PERF-1).
 */
export function matchIdFor(ruleId: string, statementLineIds: readonly string[], ledgerEntryIds: readonly string[]): string {
  return deterministicIdOfSeed(`${MATCH_ID_SEED}${ruleId}\u001f${joinedIds(statementLineIds)}\u001f${joinedIds(ledgerEntryIds)}`);
}

/**
 * Matches one partition (all rows share accountId and currency). Pure and deterministic: the
 * output depends only on the rows (not their order), the rule set and `asOf` (YYYY-MM-DD).
 * Matches are ordered by their first statement line id; unmatched items statement side first,
 * each by id.
 */
export function matchPartition(input: PartitionInput, rules: RuleSet | CompiledRuleSet, asOf: string): MatchResult {
  const set = isCompiled(rules) ? rules : compileRuleSet(rules);
  const asOfDay = asOfDayNumber(asOf);
  const lines = input.statementLines ?? [];
  const entries = input.ledgerEntries ?? [];
  const first = lines[0] ?? entries[0];
  if (first === undefined) return { matches: [], unmatched: [] };
  const { accountId, currency } = first;
  const S = statementSide(lines, accountId, currency, set.ignoreReferences);
  const L = ledgerSide(entries, accountId, currency, set.ignoreReferences);
  return matchSides(S, L, set, currency, asOfDay);
}

/**
 * The matcher proper, over one partition's two sides (rows.ts): what matchPartition runs once it
 * has read its rows, and what matchAll runs on sides it read for every partition at once. With
 * `firstRows`, each match's first statement row is pushed to it, in the matches' order.
 */
export function matchSides(S: Side, L: Side, set: CompiledRuleSet, currency: string, asOfDay: number, firstRows?: number[]): MatchResult {
  const raw = new RawMatches();
  const limit = set.maxCandidatesPerRow;
  // Every partition needs them (the twins are found by reference id): read once, up front.
  const refs = referenceIds(S, L);
  const sTwins = twinGroupsByReferenceId(S, refs.s, refs.size);
  const lTwins = twinGroupsByReferenceId(L, [refs.l], refs.size);
  for (const rule of set.rules) {
    switch (rule.kind) {
      case 'exactReference':
        acceptPairs(S, L, exactReferencePairs(S, L, rule, currency, limit, refs), rule, raw);
        break;
      case 'amountDate':
        acceptPairs(S, L, amountDatePairs(S, L, rule, limit), rule, raw);
        break;
      case 'tolerance':
        acceptPairs(S, L, tolerancePairs(S, L, rule, set, currency, limit), rule, raw);
        break;
      case 'oneToMany':
      case 'manyToOne':
        runGroupRule(S, L, rule, set, raw, refs);
        break;
    }
    withholdDuplicates(S, sTwins);
    withholdDuplicates(L, lTwins);
  }
  // Matches by their first statement row. A row is in one match at most, so each row names at
  // most one match: read in row order, no sort (and the raw columns read in order).
  const byFirstRow = new Int32Array(S.n).fill(-1);
  for (let k = 0; k < raw.length; k += 1) {
    const s = raw.s[k]!;
    if (byFirstRow[s] !== -1) throw new Error(`matcher: statement row ${s} in two matches`);
    byFirstRow[s] = k;
  }
  const matches: Match[] = [];
  for (let s = 0; s < S.n; s += 1) {
    const k = byFirstRow[s]!;
    if (k < 0) continue;
    firstRows?.push(s);
    const group = raw.groups[k];
    const statementLineIds = group ? group.s.map((row) => S.ids[row]!) : [S.ids[s]!];
    const ledgerEntryIds = group ? group.l.map((row) => L.ids[row]!) : [L.ids[raw.l[k]!]!];
    const ruleId = raw.ruleId[k]!;
    const confidence = raw.confidence[k]!;
    matches.push({
      matchId: matchIdFor(ruleId, statementLineIds, ledgerEntryIds),
      ruleId,
      confidence: confidence / SCALE,
      status: confidence >= set.threshold ? 'confirmed' : 'proposed',
      statementLineIds,
      ledgerEntryIds,
    });
  }
  const unmatched: UnmatchedItem[] = [];
  classify(S, L, set, currency, asOfDay, unmatched);
  return { matches, unmatched };
}

/** True for the output of compileRuleSet (as opposed to the JSON document). */
export function isCompiled(rules: RuleSet | CompiledRuleSet): rules is CompiledRuleSet {
  return (rules as CompiledRuleSet).threshold !== undefined && (rules as CompiledRuleSet).ignoreReferences instanceof Set;
}

export { MatchInputError };
