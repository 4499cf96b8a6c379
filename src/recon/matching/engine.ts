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
 *  5. Every row left over gets a reason code and its age against `asOf`.
 */
import type { LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../types';
import { deterministicId } from '../../domain/events';
import { fromMinorUnits } from '../../domain/money';
import { type CompiledGroupRule, type CompiledRule, type CompiledRuleSet, type CompiledTolerance, type DateField, type RuleSet, type Ratio, compileRuleSet, SCALE } from './rules';
import { FIELD_INDEX, type Side, MatchInputError, NO_DAY, dayNumber, ledgerSide, primaryDay, statementSide } from './rows';

/** One partition's rows: plain JSON, the unit of work of the scale path. */
export interface PartitionInput {
  statementLines: StatementLine[];
  ledgerEntries: LedgerEntry[];
}

const INFINITE = Number.POSITIVE_INFINITY;
/** Side.used values: 0 free, 1 matched, 2 withheld as the duplicate of a matched twin. */
const MATCHED = 1;
const WITHHELD = 2;
const SAFE = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------------------------
// Small helpers

function dateDistance(S: Side, s: number, L: Side, l: number, field: DateField): number {
  let best = INFINITE;
  if (field !== 'valueDate') {
    const a = S.book[s]!;
    const b = L.book[l]!;
    if (a !== NO_DAY && b !== NO_DAY) best = Math.abs(a - b);
  }
  if (field !== 'bookingDate') {
    const a = S.val[s]!;
    const b = L.val[l]!;
    if (a !== NO_DAY && b !== NO_DAY) {
      const d = Math.abs(a - b);
      if (d < best) best = d;
    }
  }
  return best;
}

/** Exact check of a * ratio.den <= b * ratio.num for non-negative integers (bigint when beyond 2^53). */
function withinRatio(a: number, b: number, ratio: Ratio): boolean {
  const left = a * ratio.den;
  const right = b * ratio.num;
  if (left <= SAFE && right <= SAFE) return left <= right;
  return BigInt(a) * BigInt(ratio.den) <= BigInt(b) * BigInt(ratio.num);
}

/** floor(b * ratio) for a non-negative integer b. */
function ratioOf(b: number, ratio: Ratio): number {
  const product = b * ratio.num;
  if (product <= SAFE) return Math.floor(product / ratio.den);
  return Number((BigInt(b) * BigInt(ratio.num)) / BigInt(ratio.den));
}

/** Allowed difference for two amounts under a tolerance, or -1 when `diff` exceeds it. */
function allowedDifference(tolerance: CompiledTolerance, absolute: number, a: number, b: number, diff: number): number {
  let allowed = absolute;
  if (tolerance.percent) {
    const larger = Math.max(Math.abs(a), Math.abs(b));
    const relative = ratioOf(larger, tolerance.percent);
    if (relative > allowed) allowed = relative;
    if (diff > absolute && !withinRatio(diff, larger, tolerance.percent)) return -1;
    return allowed;
  }
  return diff <= absolute ? allowed : -1;
}

function clampConfidence(value: number): number {
  return value < 0 ? 0 : value > SCALE ? SCALE : Math.round(value);
}

/** Rows of the same side that are indistinguishable for matching (amount, dates, references). */
function twins(side: Side, a: number, b: number): boolean {
  if (a === b) return true;
  if (side.amt[a] !== side.amt[b] || side.book[a] !== side.book[b] || side.val[a] !== side.val[b]) return false;
  for (const field of side.refs) if (field[a] !== field[b]) return false;
  return true;
}

function hasReference(side: Side, i: number): boolean {
  for (const field of side.refs) if (field[i] !== undefined) return true;
  return false;
}

/**
 * Groups of twins that carry a reference (same amount, dates and references on the same side):
 * the same statement line delivered twice, or a ledger entry recorded twice. Canonical order.
 */
function twinGroups(side: Side): number[][] {
  const byReference = new Map<string, number[]>();
  for (let i = 0; i < side.n; i += 1) {
    for (const field of side.refs) {
      const ref = field[i];
      if (ref !== undefined) {
        addTo(byReference, ref, i);
        break;
      }
    }
  }
  const groups: number[][] = [];
  for (const list of byReference.values()) {
    if (list.length < 2) continue;
    const classes: number[][] = [];
    for (const i of list) {
      const home = classes.find((members) => twins(side, members[0]!, i));
      if (home) home.push(i);
      else classes.push([i]);
    }
    for (const members of classes) if (members.length > 1) groups.push(members);
  }
  return groups;
}

/** After a rule: free twins of a matched row are withheld from later rules (reported DUPLICATE). */
function withholdDuplicates(side: Side, groups: readonly number[][]): void {
  for (const members of groups) {
    if (!members.some((i) => side.used[i] === MATCHED)) continue;
    for (const i of members) if (side.used[i] === 0) side.used[i] = WITHHELD;
  }
}

function addTo<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

interface RawMatch {
  ruleId: string;
  confidence: number;
  /** Canonical (ascending) row indices. */
  s: number[];
  l: number[];
}

// ---------------------------------------------------------------------------------------------
// 1:1 rules: candidate pairs, then best-first acceptance

class Pairs {
  s: number[] = [];
  l: number[] = [];
  conf: number[] = [];
  dist: number[] = [];
  diff: number[] = [];
  push(s: number, l: number, conf: number, dist: number, diff: number): void {
    this.s.push(s);
    this.l.push(l);
    this.conf.push(conf);
    this.dist.push(dist);
    this.diff.push(diff);
  }
}

interface Candidate {
  row: number;
  conf: number;
  dist: number;
  diff: number;
}

/** Keeps at most `limit` candidates of one row: nearest by date, then smallest difference, then id. */
function pushBounded(pairs: Pairs, own: number, ownIsStatement: boolean, candidates: Candidate[], limit: number): void {
  if (candidates.length > limit) {
    candidates.sort((x, y) => x.dist - y.dist || x.diff - y.diff || x.row - y.row);
    candidates.length = limit;
  }
  for (const c of candidates) {
    if (ownIsStatement) pairs.push(own, c.row, c.conf, c.dist, c.diff);
    else pairs.push(c.row, own, c.conf, c.dist, c.diff);
  }
}

function exactReferencePairs(S: Side, L: Side, rule: CompiledRule & { kind: 'exactReference' }, currency: string, limit: number): Pairs {
  const pairs = new Pairs();
  const index = new Map<string, number[]>();
  const fields = rule.fields.map((field) => S.refs[FIELD_INDEX[field]!]!);
  for (let s = 0; s < S.n; s += 1) {
    if (S.used[s]) continue;
    for (const field of fields) {
      const ref = field[s];
      if (ref !== undefined) addTo(index, ref, s);
    }
  }
  if (index.size === 0) return pairs;
  const ledgerRefs = L.refs[0]!;
  const absolute = rule.tolerance ? rule.tolerance.absoluteFor(currency) : 0;
  const candidates: Candidate[] = [];
  for (let l = 0; l < L.n; l += 1) {
    if (L.used[l]) continue;
    const ref = ledgerRefs[l];
    if (ref === undefined) continue;
    const list = index.get(ref);
    if (list === undefined) continue;
    candidates.length = 0;
    const la = L.amt[l]!;
    for (const s of list) {
      let dist = dateDistance(S, s, L, l, rule.dateField);
      if (rule.window >= 0 && dist > rule.window) {
        // A row without a comparable date counts as the edge of the window; a far date fails.
        if (dist !== INFINITE) continue;
        dist = rule.window;
      }
      const sa = S.amt[s]!;
      const diff = Math.abs(sa - la);
      let conf = rule.base - (dist === INFINITE ? 0 : rule.datePenalty * dist);
      if (diff !== 0) {
        if (!rule.tolerance) continue;
        const allowed = allowedDifference(rule.tolerance, absolute, sa, la, diff);
        if (allowed < 0) continue;
        conf -= allowed === 0 ? rule.amountPenalty : (rule.amountPenalty * diff) / allowed;
      }
      candidates.push({ row: s, conf: clampConfidence(conf), dist: dist === INFINITE ? SAFE : dist, diff });
    }
    if (candidates.length) pushBounded(pairs, l, false, candidates, limit);
  }
  return pairs;
}

function amountDatePairs(S: Side, L: Side, rule: CompiledRule, limit: number): Pairs {
  const pairs = new Pairs();
  const index = new Map<number, number[]>();
  for (let l = 0; l < L.n; l += 1) if (!L.used[l]) addTo(index, L.amt[l]!, l);
  if (index.size === 0) return pairs;
  const candidates: Candidate[] = [];
  for (let s = 0; s < S.n; s += 1) {
    if (S.used[s]) continue;
    const list = index.get(S.amt[s]!);
    if (list === undefined) continue;
    candidates.length = 0;
    for (const l of list) {
      const dist = dateDistance(S, s, L, l, rule.dateField);
      if (!(dist <= rule.window)) continue;
      candidates.push({ row: l, conf: clampConfidence(rule.base - rule.datePenalty * dist), dist, diff: 0 });
    }
    if (candidates.length) pushBounded(pairs, s, true, candidates, limit);
  }
  return pairs;
}

function tolerancePairs(S: Side, L: Side, rule: CompiledRule & { kind: 'tolerance' }, set: CompiledRuleSet, currency: string, limit: number): Pairs {
  const pairs = new Pairs();
  // Like amount grouping, a rule without reference evidence leaves reference-linked rows alone.
  const [sLinked, lLinked] = referenceLinked(S, L, set.itemPattern);
  const order: number[] = [];
  for (let l = 0; l < L.n; l += 1) if (!L.used[l] && !lLinked[l]) order.push(l);
  if (order.length === 0) return pairs;
  order.sort((a, b) => L.amt[a]! - L.amt[b]! || a - b);
  const sortedAmt = new Float64Array(order.length);
  for (let k = 0; k < order.length; k += 1) sortedAmt[k] = L.amt[order[k]!]!;
  const tolerance = rule.tolerance;
  const absolute = tolerance.absoluteFor(currency);
  const percent = tolerance.percent;
  const candidates: Candidate[] = [];
  for (let s = 0; s < S.n; s += 1) {
    if (S.used[s] || sLinked[s]) continue;
    const sa = S.amt[s]!;
    // Widest possible difference for this amount: with p < 1, |b| <= |a| / (1 - p), so diff <= |a|·p/(1-p).
    let bound = absolute;
    if (percent) {
      bound = percent.num >= percent.den ? INFINITE : Math.max(absolute, Math.floor((Math.abs(sa) * percent.num) / (percent.den - percent.num)) + 1);
    }
    const low = sa - bound;
    let lo = 0;
    let hi = sortedAmt.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedAmt[mid]! < low) lo = mid + 1;
      else hi = mid;
    }
    candidates.length = 0;
    for (let k = lo; k < sortedAmt.length && sortedAmt[k]! <= sa + bound; k += 1) {
      const l = order[k]!;
      const dist = dateDistance(S, s, L, l, rule.dateField);
      if (!(dist <= rule.window)) continue;
      const la = sortedAmt[k]!;
      const diff = Math.abs(sa - la);
      const allowed = allowedDifference(tolerance, absolute, sa, la, diff);
      if (allowed < 0) continue;
      const amountPenalty = diff === 0 ? 0 : allowed === 0 ? rule.amountPenalty : (rule.amountPenalty * diff) / allowed;
      candidates.push({ row: l, conf: clampConfidence(rule.base - rule.datePenalty * dist - amountPenalty), dist, diff });
    }
    if (candidates.length) pushBounded(pairs, s, true, candidates, limit);
  }
  return pairs;
}

/** Number of twin classes among `rows` (stops counting at 2). */
function classesAtLeastTwo(side: Side, rows: readonly number[]): boolean {
  const first = rows[0]!;
  for (let k = 1; k < rows.length; k += 1) if (!twins(side, first, rows[k]!)) return true;
  return false;
}

/**
 * Accepts pairs best first (see the file comment for the order). Returns the accepted matches.
 * Within a group of equally ranked pairs a row is ambiguous when its equally ranked alternatives
 * are distinguishable (not twins) and the choice changes the outcome.
 */
function acceptPairs(S: Side, L: Side, pairs: Pairs, rule: CompiledRule, out: RawMatch[]): void {
  const count = pairs.s.length;
  if (count === 0) return;
  const { s: ps, l: pl, conf, dist, diff } = pairs;
  const order = new Int32Array(count);
  for (let k = 0; k < count; k += 1) order[k] = k;
  order.sort((a, b) => conf[b]! - conf[a]! || dist[a]! - dist[b]! || diff[a]! - diff[b]! || ps[a]! - ps[b]! || pl[a]! - pl[b]!);
  let start = 0;
  while (start < count) {
    const first = order[start]!;
    let end = start + 1;
    while (end < count) {
      const k = order[end]!;
      if (conf[k] !== conf[first] || dist[k] !== dist[first] || diff[k] !== diff[first]) break;
      end += 1;
    }
    if (end - start === 1) {
      const s = ps[first]!;
      const l = pl[first]!;
      if (!S.used[s] && !L.used[l]) {
        S.used[s] = 1;
        L.used[l] = 1;
        out.push({ ruleId: rule.id, confidence: conf[first]!, s: [s], l: [l] });
      }
    } else {
      resolveTieGroup(S, L, pairs, order.subarray(start, end), rule, out);
    }
    start = end;
  }
}

function resolveTieGroup(S: Side, L: Side, pairs: Pairs, group: Int32Array, rule: CompiledRule, out: RawMatch[]): void {
  const { s: ps, l: pl, conf } = pairs;
  const sAdj = new Map<number, number[]>();
  const lAdj = new Map<number, number[]>();
  const live: number[] = [];
  for (const k of group) {
    const s = ps[k]!;
    const l = pl[k]!;
    if (S.used[s] || L.used[l]) continue;
    live.push(k);
    addTo(sAdj, s, l);
    addTo(lAdj, l, s);
  }
  if (live.length === 0) return;
  // Is the choice for this statement line (its equally ranked ledger alternatives) significant?
  const sAmbiguous = new Map<number, boolean>();
  const lAmbiguous = new Map<number, boolean>();
  const ambiguousFor = (own: Side, other: Side, adj: Map<number, number[]>, otherAdj: Map<number, number[]>, cache: Map<number, boolean>, row: number): boolean => {
    let result = cache.get(row);
    if (result !== undefined) return result;
    const alternatives = adj.get(row)!;
    result = false;
    if (alternatives.length > 1 && classesAtLeastTwo(other, alternatives)) {
      // Distinguishable alternatives: harmless only if twins of `row` can take every one of them.
      const competitors: number[] = [];
      for (const alternative of alternatives) {
        for (const competitor of otherAdj.get(alternative)!) if (!competitors.includes(competitor)) competitors.push(competitor);
      }
      const allTwins = competitors.every((competitor) => twins(own, row, competitor));
      result = !(allTwins && competitors.length >= alternatives.length);
    }
    cache.set(row, result);
    return result;
  };
  const degree = (k: number): number => sAdj.get(ps[k]!)!.length + lAdj.get(pl[k]!)!.length;
  live.sort((a, b) => degree(a) - degree(b) || ps[a]! - ps[b]! || pl[a]! - pl[b]!);
  for (const k of live) {
    const s = ps[k]!;
    const l = pl[k]!;
    if (S.used[s] || L.used[l]) continue;
    const ambiguous = ambiguousFor(S, L, sAdj, lAdj, sAmbiguous, s) || ambiguousFor(L, S, lAdj, sAdj, lAmbiguous, l);
    S.used[s] = 1;
    L.used[l] = 1;
    out.push({ ruleId: rule.id, confidence: clampConfidence(conf[k]! - (ambiguous ? rule.ambiguityPenalty : 0)), s: [s], l: [l] });
  }
}

// ---------------------------------------------------------------------------------------------
// Group rules

interface GroupSolution {
  items: number[];
  subset: boolean;
  ambiguous: boolean;
}

function sumOf(side: Side, items: readonly number[]): number {
  let sum = 0;
  for (const i of items) sum += side.amt[i]!;
  return sum;
}

/** Subsets (size >= min) of `items` summing to `target`: the largest size wins, then the lexicographically smallest. */
function searchSubsets(side: Side, items: readonly number[], target: number, min: number): GroupSolution | null {
  const n = items.length;
  let bestSize = 0;
  let best = 0;
  let ties = 0;
  for (let mask = 1; mask < 1 << n; mask += 1) {
    let size = 0;
    let sum = 0;
    for (let bit = 0; bit < n; bit += 1) {
      if (mask & (1 << bit)) {
        size += 1;
        sum += side.amt[items[bit]!]!;
      }
    }
    if (size < min || sum !== target || size < bestSize) continue;
    if (size > bestSize) {
      bestSize = size;
      best = mask;
      ties = 1;
    } else {
      ties += 1;
      // Lexicographically smaller index set: lowest differing bit present in `mask`.
      const differ = mask ^ best;
      const low = differ & -differ;
      if (mask & low) best = mask;
    }
  }
  if (bestSize === 0) return null;
  const chosen: number[] = [];
  for (let bit = 0; bit < n; bit += 1) if (best & (1 << bit)) chosen.push(items[bit]!);
  return { items: chosen, subset: true, ambiguous: ties > 1 };
}

/** Exact-sum search over at most `maxCandidates` items, sizes min..max (max <= 4), O(c²). */
function searchAmounts(side: Side, candidates: readonly number[], target: number, min: number, max: number): GroupSolution | null {
  const c = candidates.length;
  const amounts = candidates.map((i) => side.amt[i]!);
  const positions = new Map<number, number[]>();
  for (let p = 0; p < c; p += 1) addTo(positions, amounts[p]!, p);
  for (let size = Math.max(2, min); size <= max; size += 1) {
    let found: number[] | null = null;
    let solutions = 0;
    if (size === 2) {
      for (let i = 0; i < c && solutions < 2; i += 1) {
        const list = positions.get(target - amounts[i]!);
        if (list === undefined) continue;
        for (const p of list) {
          if (p <= i) continue;
          solutions += 1;
          found ??= [i, p];
          if (solutions >= 2) break;
        }
      }
    } else if (size === 3) {
      for (let i = 0; i < c && solutions < 2; i += 1) {
        for (let j = i + 1; j < c && solutions < 2; j += 1) {
          const list = positions.get(target - amounts[i]! - amounts[j]!);
          if (list === undefined) continue;
          for (const p of list) {
            if (p <= j) continue;
            solutions += 1;
            found ??= [i, j, p];
            if (solutions >= 2) break;
          }
        }
      }
    } else {
      const pairSums = new Map<number, number[]>();
      for (let k = 0; k < c; k += 1)
        for (let l = k + 1; l < c; l += 1) {
          const key = amounts[k]! + amounts[l]!;
          const list = pairSums.get(key);
          if (list === undefined) pairSums.set(key, [k, l]);
          else list.push(k, l);
        }
      for (let i = 0; i < c && solutions < 2; i += 1) {
        for (let j = i + 1; j < c && solutions < 2; j += 1) {
          const list = pairSums.get(target - amounts[i]! - amounts[j]!);
          if (list === undefined) continue;
          for (let q = 0; q < list.length; q += 2) {
            if (list[q]! <= j) continue;
            solutions += 1;
            found ??= [i, j, list[q]!, list[q + 1]!];
            if (solutions >= 2) break;
          }
        }
      }
    }
    if (found) return { items: found.map((p) => candidates[p]!), subset: false, ambiguous: solutions > 1 };
  }
  return null;
}

function runGroupRule(S: Side, L: Side, rule: CompiledGroupRule, set: CompiledRuleSet, out: RawMatch[]): void {
  const oneToMany = rule.kind === 'oneToMany';
  const heads = oneToMany ? S : L;
  const items = oneToMany ? L : S;
  const statementFields = rule.fields.map((field) => S.refs[FIELD_INDEX[field]!]!);
  const headFields = oneToMany ? statementFields : L.refs;
  const itemFields = oneToMany ? L.refs : statementFields;
  const distance = (head: number, item: number): number => (oneToMany ? dateDistance(S, head, L, item, rule.dateField) : dateDistance(S, item, L, head, rule.dateField));
  const record = (head: number, solution: GroupSolution, maxDist: number): void => {
    let conf = rule.base - rule.datePenalty * maxDist - rule.groupSizePenalty * Math.max(0, solution.items.length - 2);
    if (solution.subset) conf -= rule.subsetPenalty;
    if (solution.ambiguous) conf -= rule.ambiguityPenalty;
    if (oneToMany && rule.match === 'reference') {
      const declared = S.batchCount![head]!;
      if (declared > 0 && declared !== solution.items.length) conf -= rule.countMismatchPenalty;
    }
    heads.used[head] = 1;
    const sorted = solution.items.slice().sort((a, b) => a - b);
    for (const item of sorted) items.used[item] = 1;
    out.push(oneToMany ? { ruleId: rule.id, confidence: clampConfidence(conf), s: [head], l: sorted } : { ruleId: rule.id, confidence: clampConfidence(conf), s: sorted, l: [head] });
  };

  if (rule.match === 'reference') {
    const pattern = set.itemPattern;
    if (!pattern) return;
    const byBatch = new Map<string, number[]>();
    for (let i = 0; i < items.n; i += 1) {
      if (items.used[i]) continue;
      for (const field of itemFields) {
        const ref = field[i];
        if (ref === undefined) continue;
        const key = pattern.exec(ref)?.[1];
        if (key) addTo(byBatch, key, i);
      }
    }
    if (byBatch.size === 0) return;
    const members: number[] = [];
    for (let h = 0; h < heads.n; h += 1) {
      if (heads.used[h]) continue;
      members.length = 0;
      for (const field of headFields) {
        const ref = field[h];
        if (ref === undefined) continue;
        const list = byBatch.get(ref);
        if (list) for (const i of list) members.push(i);
      }
      if (members.length < rule.minGroupSize) continue;
      members.sort((a, b) => a - b);
      const eligible: number[] = [];
      let maxDist = 0;
      for (let k = 0; k < members.length; k += 1) {
        const i = members[k]!;
        if (items.used[i] || (k > 0 && members[k - 1] === i)) continue;
        const dist = distance(h, i);
        if (!(dist <= rule.window)) continue;
        eligible.push(i);
        if (dist > maxDist) maxDist = dist;
      }
      if (eligible.length < rule.minGroupSize) continue;
      const target = heads.amt[h]!;
      let solution: GroupSolution | null = null;
      if (eligible.length <= rule.maxGroupSize) {
        const sum = sumOf(items, eligible);
        if (Number.isSafeInteger(sum) && sum === target) solution = { items: eligible, subset: false, ambiguous: false };
      }
      if (!solution && eligible.length <= rule.maxSubsetItems) {
        solution = searchSubsets(items, eligible, target, rule.minGroupSize);
        if (solution && solution.items.length > rule.maxGroupSize) solution = null;
        if (solution) {
          maxDist = 0;
          for (const i of solution.items) maxDist = Math.max(maxDist, distance(h, i));
        }
      }
      if (solution) record(h, solution, maxDist);
    }
    return;
  }

  // Amount mode: candidate items by primary day, same sign, smaller magnitude, within the window.
  // Rows that share a reference (or a batch reference) with a free row on the other side are
  // left out: that relation is better evidence, reported as AMOUNT_MISMATCH / SPLIT_INCOMPLETE.
  const [sLinked, lLinked] = referenceLinked(S, L, set.itemPattern);
  const headLinked = oneToMany ? sLinked : lLinked;
  const itemLinked = oneToMany ? lLinked : sLinked;
  const order: number[] = [];
  const dayOf = (side: Side, i: number): number => (rule.dateField === 'valueDate' ? side.val[i]! : primaryDay(side, i));
  for (let i = 0; i < items.n; i += 1) if (!items.used[i] && !itemLinked[i] && dayOf(items, i) !== NO_DAY && items.amt[i] !== 0) order.push(i);
  if (order.length < rule.minGroupSize) return;
  order.sort((a, b) => dayOf(items, a) - dayOf(items, b) || a - b);
  const days = new Int32Array(order.length);
  for (let k = 0; k < order.length; k += 1) days[k] = dayOf(items, order[k]!);
  const found: Candidate[] = [];
  for (let h = 0; h < heads.n; h += 1) {
    if (heads.used[h] || headLinked[h]) continue;
    const target = heads.amt[h]!;
    const day = dayOf(heads, h);
    if (target === 0 || day === NO_DAY) continue;
    let lo = 0;
    let hi = days.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (days[mid]! < day - rule.window) lo = mid + 1;
      else hi = mid;
    }
    found.length = 0;
    const magnitude = Math.abs(target);
    for (let k = lo; k < days.length && days[k]! <= day + rule.window; k += 1) {
      const i = order[k]!;
      if (items.used[i]) continue;
      const amount = items.amt[i]!;
      if (amount > 0 !== target > 0 || Math.abs(amount) >= magnitude) continue;
      const dist = distance(h, i);
      if (!(dist <= rule.window)) continue;
      found.push({ row: i, conf: 0, dist, diff: 0 });
    }
    if (found.length < Math.max(2, rule.minGroupSize)) continue;
    if (found.length > rule.maxCandidates) {
      found.sort((x, y) => x.dist - y.dist || x.row - y.row);
      found.length = rule.maxCandidates;
    }
    const candidates = found.map((c) => c.row).sort((a, b) => a - b);
    const solution = searchAmounts(items, candidates, target, rule.minGroupSize, Math.min(rule.maxGroupSize, 4));
    if (!solution) continue;
    let maxDist = 0;
    for (const i of solution.items) maxDist = Math.max(maxDist, distance(h, i));
    record(h, solution, maxDist);
  }
}

/**
 * Free rows related by reference to a free row on the other side: equal normalised references,
 * or one is the other's batch reference (itemReferencePattern). Returns [statement, ledger] flags.
 */
function referenceLinked(S: Side, L: Side, pattern: RegExp | null): [Uint8Array, Uint8Array] {
  const sLinked = new Uint8Array(S.n);
  const lLinked = new Uint8Array(L.n);
  const sByRef = new Map<string, number[]>();
  const sByKey = new Map<string, number[]>();
  for (let s = 0; s < S.n; s += 1) {
    if (S.used[s]) continue;
    for (const field of S.refs) {
      const ref = field[s];
      if (ref === undefined) continue;
      addTo(sByRef, ref, s);
      const key = pattern?.exec(ref)?.[1];
      if (key) addTo(sByKey, key, s);
    }
  }
  const refs = L.refs[0]!;
  for (let l = 0; l < L.n; l += 1) {
    const ref = refs[l];
    if (L.used[l] || ref === undefined) continue;
    const key = pattern?.exec(ref)?.[1];
    const related = [sByRef.get(ref), sByKey.get(ref), key ? sByRef.get(key) : undefined];
    for (const list of related) {
      if (!list) continue;
      lLinked[l] = 1;
      for (const s of list) sLinked[s] = 1;
    }
  }
  return [sLinked, lLinked];
}

// ---------------------------------------------------------------------------------------------
// Exceptions

interface Exception {
  reason: UnmatchedItem['reason'];
  candidate?: number;
  detail?: string;
}

function money(minor: number, currency: string): string {
  return fromMinorUnits(BigInt(minor), currency);
}

function classify(S: Side, L: Side, set: CompiledRuleSet, currency: string, asOfDay: number, out: UnmatchedItem[]): void {
  const unusedS: number[] = [];
  const unusedL: number[] = [];
  for (let s = 0; s < S.n; s += 1) if (S.used[s] !== MATCHED) unusedS.push(s);
  for (let l = 0; l < L.n; l += 1) if (L.used[l] !== MATCHED) unusedL.push(l);
  if (unusedS.length === 0 && unusedL.length === 0) return;

  // DUPLICATE: an unmatched row with a reference whose twin (same side) is matched or comes first.
  const duplicates = (side: Side, unused: readonly number[]): Map<number, number> => {
    const result = new Map<number, number>();
    const byAmount = new Map<number, number[]>();
    for (const i of unused) if (hasReference(side, i)) addTo(byAmount, side.amt[i]!, i);
    if (byAmount.size === 0) return result;
    for (let j = 0; j < side.n; j += 1) {
      const list = byAmount.get(side.amt[j]!);
      if (list === undefined) continue;
      for (const i of list) {
        if (i === j || result.has(i) || !(side.used[j] === MATCHED || j < i)) continue;
        if (twins(side, i, j)) result.set(i, j);
      }
    }
    return result;
  };
  const sDuplicates = duplicates(S, unusedS);
  const lDuplicates = duplicates(L, unusedL);

  // Reference indices over unmatched rows only (an exception's candidate is actionable).
  const sByRef = new Map<string, number[]>();
  const sByBatch = new Map<string, number[]>();
  const lByRef = new Map<string, number[]>();
  const lByBatch = new Map<string, number[]>();
  const pattern = set.itemPattern;
  for (const s of unusedS) {
    for (const field of S.refs) {
      const ref = field[s];
      if (ref === undefined) continue;
      addTo(sByRef, ref, s);
      const key = pattern?.exec(ref)?.[1];
      if (key) addTo(sByBatch, key, s);
    }
  }
  const lRefs = L.refs[0]!;
  for (const l of unusedL) {
    const ref = lRefs[l];
    if (ref === undefined) continue;
    addTo(lByRef, ref, l);
    const key = pattern?.exec(ref)?.[1];
    if (key) addTo(lByBatch, key, l);
  }

  // Same-date counterparts (no shared reference needed), by primary day.
  const sByDay = new Map<number, number[]>();
  const lByDay = new Map<number, number[]>();
  for (const s of unusedS) addTo(sByDay, primaryDay(S, s), s);
  for (const l of unusedL) addTo(lByDay, primaryDay(L, l), l);

  const sameDateMismatch = (own: Side, i: number, other: Side, byDay: Map<number, number[]>): number => {
    const day = primaryDay(own, i);
    if (day === NO_DAY) return -1;
    const a = own.amt[i]!;
    let best = -1;
    let bestDiff = INFINITE;
    let bestDist = INFINITE;
    for (let d = day - set.mismatchWindow; d <= day + set.mismatchWindow; d += 1) {
      const list = byDay.get(d);
      if (!list) continue;
      for (const j of list) {
        const b = other.amt[j]!;
        if (a === 0 || b === 0 || a > 0 !== b > 0) continue;
        const diff = Math.abs(a - b);
        if (diff === 0 || !withinRatio(diff, Math.max(Math.abs(a), Math.abs(b)), set.mismatchPercent)) continue;
        const dist = Math.abs(d - day);
        if (diff < bestDiff || (diff === bestDiff && (dist < bestDist || (dist === bestDist && j < best)))) {
          best = j;
          bestDiff = diff;
          bestDist = dist;
        }
      }
    }
    return best;
  };

  /** The first (canonical) unmatched counterpart with the same reference and a different amount. */
  const sameReferenceMismatch = (own: Side, i: number, refs: Array<string | undefined>, index: Map<string, number[]>, other: Side): number => {
    let best = -1;
    for (const ref of refs) {
      if (ref === undefined) continue;
      const list = index.get(ref);
      if (!list) continue;
      for (const j of list) if (other.amt[j] !== own.amt[i] && (best < 0 || j < best)) best = j;
    }
    return best;
  };

  const mismatchDetail = (kind: string, a: number, b: number): string => `${kind}; amounts differ by ${money(Math.abs(a - b), currency)} (${money(a, currency)} vs ${money(b, currency)})`;

  const stale = (age: number): Exception | null => (age > set.staleAfterDays ? { reason: 'STALE', detail: `unmatched for ${age} days (stale after ${set.staleAfterDays})` } : null);

  const age = (side: Side, i: number): number => {
    const day = primaryDay(side, i);
    return day === NO_DAY ? 0 : asOfDay - day;
  };

  const emit = (side: Side, i: number, exception: Exception): void => {
    const item: UnmatchedItem = { side: side.kind, id: side.ids[i]!, reason: exception.reason, ageDays: age(side, i) };
    if (exception.candidate !== undefined) item.candidateId = (side === S ? L : S).ids[exception.candidate]!;
    if (exception.detail !== undefined) item.detail = exception.detail;
    out.push(item);
  };

  for (const s of unusedS) {
    const sRefs = [S.refs[0]![s], S.refs[1]![s], S.refs[2]![s]];
    const exception = ((): Exception => {
      const twin = sDuplicates.get(s);
      if (twin !== undefined) {
        return { reason: 'DUPLICATE', detail: `same account, amount, dates and references as statement line ${S.ids[twin]}${S.used[twin] === MATCHED ? ' (matched)' : ''}` };
      }
      const sameRef = sameReferenceMismatch(S, s, sRefs, lByRef, L);
      if (sameRef >= 0) return { reason: 'AMOUNT_MISMATCH', candidate: sameRef, detail: mismatchDetail('same reference', S.amt[s]!, L.amt[sameRef]!) };
      // A batch booking: declared item count, or unmatched ledger items carrying its reference.
      let batchItems: number[] = [];
      for (const ref of sRefs) if (ref !== undefined) batchItems = batchItems.concat(lByBatch.get(ref) ?? []);
      const splitParts = sByBatch.size ? sRefs.map((ref) => (ref === undefined ? undefined : pattern?.exec(ref)?.[1])).find((key) => key !== undefined && lByRef.has(key)) : undefined;
      const declared = S.batchCount![s]!;
      if (batchItems.length > 0) {
        const unique = [...new Set(batchItems)].sort((a, b) => a - b);
        const found = unique.length;
        return {
          reason: 'SPLIT_INCOMPLETE',
          ...(found ? { candidate: unique[0]! } : {}),
          detail: `batch booking${declared > 0 ? ` of ${declared} items` : ''}: ${found} unmatched ledger item(s) found summing to ${money(sumOf(L, unique), currency)}, line amount ${money(S.amt[s]!, currency)}`,
        };
      }
      if (splitParts !== undefined) {
        const ledger = lByRef.get(splitParts)![0]!;
        return { reason: 'SPLIT_INCOMPLETE', candidate: ledger, detail: `part of a split of ledger entry ${L.ids[ledger]} whose parts do not sum to it` };
      }
      const sameDate = sameDateMismatch(S, s, L, lByDay);
      if (sameDate >= 0) return { reason: 'AMOUNT_MISMATCH', candidate: sameDate, detail: mismatchDetail('same date, no shared reference', S.amt[s]!, L.amt[sameDate]!) };
      return stale(age(S, s)) ?? { reason: 'UNMATCHED' };
    })();
    emit(S, s, exception);
  }

  for (const l of unusedL) {
    const ref = lRefs[l];
    const exception = ((): Exception => {
      const twin = lDuplicates.get(l);
      if (twin !== undefined) {
        return { reason: 'DUPLICATE', detail: `same account, amount, dates and reference as ledger entry ${L.ids[twin]}${L.used[twin] === MATCHED ? ' (matched)' : ''}` };
      }
      const sameRef = sameReferenceMismatch(L, l, [ref], sByRef, S);
      if (sameRef >= 0) return { reason: 'AMOUNT_MISMATCH', candidate: sameRef, detail: mismatchDetail('same reference', L.amt[l]!, S.amt[sameRef]!) };
      if (ref !== undefined) {
        // An item of an unmatched statement batch booking (its reference = batch reference + suffix).
        const key = pattern?.exec(ref)?.[1];
        const head = key ? sByRef.get(key)?.[0] : undefined;
        if (head !== undefined) return { reason: 'SPLIT_INCOMPLETE', candidate: head, detail: `item of batch booking ${S.ids[head]} whose items do not sum to it` };
        // A ledger entry split over several statement lines that do not sum to it.
        const parts = sByBatch.get(ref);
        if (parts && parts.length) {
          return {
            reason: 'SPLIT_INCOMPLETE',
            candidate: parts[0]!,
            detail: `${parts.length} unmatched statement part(s) found summing to ${money(sumOf(S, parts), currency)}, entry amount ${money(L.amt[l]!, currency)}`,
          };
        }
      }
      const sameDate = sameDateMismatch(L, l, S, sByDay);
      if (sameDate >= 0) return { reason: 'AMOUNT_MISMATCH', candidate: sameDate, detail: mismatchDetail('same date, no shared reference', L.amt[l]!, S.amt[sameDate]!) };
      return stale(age(L, l)) ?? { reason: 'UNMATCHED' };
    })();
    emit(L, l, exception);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** Days since epoch of the as-of date; throws on a malformed date. */
export function asOfDayNumber(asOf: string): number {
  const day = typeof asOf === 'string' ? dayNumber(asOf) : Number.NaN;
  if (Number.isNaN(day)) throw new MatchInputError(`asOf "${String(asOf)}" is not a YYYY-MM-DD date`);
  return day;
}

/** The deterministic id of a match: derived from its rule and its rows only. */
export function matchIdFor(ruleId: string, statementLineIds: readonly string[], ledgerEntryIds: readonly string[]): string {
  return deterministicId('ledgerline.recon.match', ruleId, statementLineIds.join('\u001e'), ledgerEntryIds.join('\u001e'));
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
  const raw: RawMatch[] = [];
  const limit = set.maxCandidatesPerRow;
  const sTwins = twinGroups(S);
  const lTwins = twinGroups(L);
  for (const rule of set.rules) {
    switch (rule.kind) {
      case 'exactReference':
        acceptPairs(S, L, exactReferencePairs(S, L, rule, currency, limit), rule, raw);
        break;
      case 'amountDate':
        acceptPairs(S, L, amountDatePairs(S, L, rule, limit), rule, raw);
        break;
      case 'tolerance':
        acceptPairs(S, L, tolerancePairs(S, L, rule, set, currency, limit), rule, raw);
        break;
      case 'oneToMany':
      case 'manyToOne':
        runGroupRule(S, L, rule, set, raw);
        break;
    }
    withholdDuplicates(S, sTwins);
    withholdDuplicates(L, lTwins);
  }
  raw.sort((a, b) => a.s[0]! - b.s[0]!);
  const matches: Match[] = raw.map((m) => {
    const statementLineIds = m.s.map((s) => S.ids[s]!);
    const ledgerEntryIds = m.l.map((l) => L.ids[l]!);
    return {
      matchId: matchIdFor(m.ruleId, statementLineIds, ledgerEntryIds),
      ruleId: m.ruleId,
      confidence: m.confidence / SCALE,
      status: m.confidence >= set.threshold ? 'confirmed' : 'proposed',
      statementLineIds,
      ledgerEntryIds,
    };
  });
  const unmatched: UnmatchedItem[] = [];
  classify(S, L, set, currency, asOfDay, unmatched);
  return { matches, unmatched };
}

/** True for the output of compileRuleSet (as opposed to the JSON document). */
export function isCompiled(rules: RuleSet | CompiledRuleSet): rules is CompiledRuleSet {
  return (rules as CompiledRuleSet).threshold !== undefined && (rules as CompiledRuleSet).ignoreReferences instanceof Set;
}

export { MatchInputError };
