/**
 * One-to-one rules (exactReference, amountDate, tolerance): one statement line against one ledger entry.
 *
 * Steps:
 *  1. Collect candidate pairs through a hash map (reference → rows, amount → rows) or, for
 *     tolerance, a sorted amount index with binary search. Each row keeps at most
 *     `maxCandidatesPerRow` pairs (nearest date, then smallest difference, then id).
 *  2. Sort the pairs best first: confidence desc, date distance asc, amount difference asc.
 *  3. Accept them in that order, skipping rows already used. Within a run of equally ranked pairs,
 *     the pairs with the fewest equally ranked alternatives go first, then statement id, ledger id.
 *  4. A pair whose row had an equally ranked, distinguishable alternative (not its twin) is a tie:
 *     it loses the rule's ambiguityPenalty (normally making it 'proposed').
 */
import { addTo, allowedDifference, clampConfidence, couldBeParts, dateDistance, INFINITE, IntRowIndex, type RawMatches, RowIndex, SAFE } from './common';
import { twins } from './duplicates';
import { type ReferenceIds, referenceLinked } from './references';
import type { CompiledRule, CompiledRuleSet } from './rules';
import { FIELD_INDEX, type Side } from './rows';

export class Pairs {
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

export interface Candidate {
  row: number;
  conf: number;
  dist: number;
  diff: number;
}

/** The candidates of one row, reused from row to row (parallel columns: no object per candidate). */
class Candidates {
  length = 0;
  readonly row: number[] = [];
  readonly conf: number[] = [];
  readonly dist: number[] = [];
  readonly diff: number[] = [];
  add(row: number, conf: number, dist: number, diff: number): void {
    const k = this.length;
    this.row[k] = row;
    this.conf[k] = conf;
    this.dist[k] = dist;
    this.diff[k] = diff;
    this.length = k + 1;
  }
}

/** Keeps at most `limit` candidates of one row: nearest by date, then smallest difference, then id. */
function pushBounded(pairs: Pairs, own: number, ownIsStatement: boolean, candidates: Candidates, limit: number): void {
  const { row, conf, dist, diff } = candidates;
  let order: number[] | null = null;
  if (candidates.length > limit) {
    order = Array.from({ length: candidates.length }, (_, k) => k);
    order.sort((x, y) => dist[x]! - dist[y]! || diff[x]! - diff[y]! || row[x]! - row[y]!);
  }
  const count = Math.min(candidates.length, limit);
  for (let n = 0; n < count; n += 1) {
    const k = order === null ? n : order[n]!;
    if (ownIsStatement) pairs.push(own, row[k]!, conf[k]!, dist[k]!, diff[k]!);
    else pairs.push(row[k]!, own, conf[k]!, dist[k]!, diff[k]!);
  }
}

export function exactReferencePairs(S: Side, L: Side, rule: CompiledRule & { kind: 'exactReference' }, currency: string, limit: number, ids: ReferenceIds): Pairs {
  const pairs = new Pairs();
  const fields = rule.fields.map((field) => ids.s[FIELD_INDEX[field]!]!);
  const index = new IntRowIndex(ids.size, S.n * fields.length);
  for (let s = 0; s < S.n; s += 1) {
    if (S.used[s]) continue;
    for (const field of fields) {
      const ref = field[s]!;
      if (ref >= 0) index.add(ref, s);
    }
  }
  if (index.size === 0) return pairs;
  const ledgerRefs = ids.l;
  const absolute = rule.tolerance ? rule.tolerance.absoluteFor(currency) : 0;
  // REC-MATCH-1: a reference shared by a whole and several distinct parts is a batch or a split.
  // Within a tolerance, one part could pass for the whole; leave it to the group rules and, when
  // the parts do not add up, to the exceptions (one case). Equal amounts are still matched.
  const parts = (side: Side, rows: readonly number[] | undefined, whole: number): boolean => rows !== undefined && rows.length >= 2 && classesAtLeastTwo(side, rows) && couldBeParts(whole, side, rows);
  let ledgerIndex: IntRowIndex | null = null;
  if (rule.tolerance) {
    ledgerIndex = new IntRowIndex(ids.size, L.n);
    for (let l = 0; l < L.n; l += 1) {
      const ref = ledgerRefs[l]!;
      if (!L.used[l] && ref >= 0) ledgerIndex.add(ref, l);
    }
  }
  const listRows: number[] = [];
  const batchRows: number[] = [];
  const candidates = new Candidates();
  for (let l = 0; l < L.n; l += 1) {
    if (L.used[l]) continue;
    const ref = ledgerRefs[l]!;
    if (ref < 0) continue;
    const list = index.get(ref, listRows);
    if (list === undefined) continue;
    candidates.length = 0;
    const la = L.amt[l]!;
    const split = ledgerIndex !== null && parts(S, list, la);
    const batchItems = ledgerIndex?.get(ref, batchRows);
    const isBatchItem = batchItems !== undefined && batchItems.length >= 2 && classesAtLeastTwo(L, batchItems);
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
        if (!rule.tolerance || split || (isBatchItem && couldBeParts(S.amt[s]!, L, batchItems))) continue;
        const allowed = allowedDifference(rule.tolerance, absolute, sa, la, diff);
        if (allowed < 0) continue;
        conf -= allowed === 0 ? rule.amountPenalty : (rule.amountPenalty * diff) / allowed;
      }
      candidates.add(s, clampConfidence(conf), dist === INFINITE ? SAFE : dist, diff);
    }
    if (candidates.length) pushBounded(pairs, l, false, candidates, limit);
  }
  return pairs;
}

export function amountDatePairs(S: Side, L: Side, rule: CompiledRule, limit: number): Pairs {
  const pairs = new Pairs();
  const index = new RowIndex<number>();
  for (let l = 0; l < L.n; l += 1) if (!L.used[l]) index.add(L.amt[l]!, l);
  if (index.size === 0) return pairs;
  const candidates = new Candidates();
  for (let s = 0; s < S.n; s += 1) {
    if (S.used[s]) continue;
    const list = index.get(S.amt[s]!);
    if (list === undefined) continue;
    candidates.length = 0;
    for (const l of list) {
      const dist = dateDistance(S, s, L, l, rule.dateField);
      if (!(dist <= rule.window)) continue;
      candidates.add(l, clampConfidence(rule.base - rule.datePenalty * dist), dist, 0);
    }
    if (candidates.length) pushBounded(pairs, s, true, candidates, limit);
  }
  return pairs;
}

export function tolerancePairs(S: Side, L: Side, rule: CompiledRule & { kind: 'tolerance' }, set: CompiledRuleSet, currency: string, limit: number): Pairs {
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
  const candidates = new Candidates();
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
      candidates.add(l, clampConfidence(rule.base - rule.datePenalty * dist - amountPenalty), dist, diff);
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
export function acceptPairs(S: Side, L: Side, pairs: Pairs, rule: CompiledRule, out: RawMatches): void {
  const count = pairs.s.length;
  if (count === 0) return;
  const { s: ps, l: pl, conf, dist, diff } = pairs;
  const order = new Int32Array(count);
  for (let k = 0; k < count; k += 1) order[k] = k;
  order.sort((a, b) => conf[b]! - conf[a]! || dist[a]! - dist[b]! || diff[a]! - diff[b]! || ps[a]! - ps[b]! || pl[a]! - pl[b]!);
  let scratch: TieScratch | null = null;
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
        out.pair(rule.id, conf[first]!, s, l);
      }
    } else {
      scratch ??= new TieScratch(S.n, L.n);
      resolveTieGroup(S, L, pairs, order.subarray(start, end), rule, out, scratch);
    }
    start = end;
  }
}

/**
 * Per-row counters of a tie group, kept zeroed between groups: each row's number of equally
 * ranked alternatives (its adjacency list's length, counted as addTo builds it) without a Map.
 */
class TieScratch {
  readonly sDegree: Int32Array;
  readonly sLast: Int32Array;
  readonly lDegree: Int32Array;
  readonly lLast: Int32Array;
  constructor(sRows: number, lRows: number) {
    this.sDegree = new Int32Array(sRows);
    this.sLast = new Int32Array(sRows).fill(-1);
    this.lDegree = new Int32Array(lRows);
    this.lLast = new Int32Array(lRows).fill(-1);
  }
}

function resolveTieGroup(S: Side, L: Side, pairs: Pairs, group: Int32Array, rule: CompiledRule, out: RawMatches, scratch: TieScratch): void {
  const { s: ps, l: pl, conf } = pairs;
  const live: number[] = [];
  const { sDegree, sLast, lDegree, lLast } = scratch;
  for (const k of group) {
    const s = ps[k]!;
    const l = pl[k]!;
    if (S.used[s] || L.used[l]) continue;
    live.push(k);
    if (sLast[s] !== l) {
      sLast[s] = l;
      sDegree[s] = sDegree[s]! + 1;
    }
    if (lLast[l] !== s) {
      lLast[l] = s;
      lDegree[l] = lDegree[l]! + 1;
    }
  }
  if (live.length === 0) return;
  // A pair whose two rows have no other equally ranked pair (degree 2, the least there is) comes
  // first in the order below, is never ambiguous, never takes another pair's row and is in no other
  // row's alternatives: those are accepted at once, in (statement, ledger) order, the group's own.
  const rest: number[] = [];
  const degrees: number[] = [];
  for (const k of live) {
    const degree = sDegree[ps[k]!]! + lDegree[pl[k]!]!;
    if (degree === 2) {
      const s = ps[k]!;
      const l = pl[k]!;
      if (S.used[s] || L.used[l]) continue;
      S.used[s] = 1;
      L.used[l] = 1;
      out.pair(rule.id, clampConfidence(conf[k]!), s, l);
    } else {
      rest.push(k);
      degrees.push(degree);
    }
  }
  for (const k of live) {
    sDegree[ps[k]!] = 0;
    sLast[ps[k]!] = -1;
    lDegree[pl[k]!] = 0;
    lLast[pl[k]!] = -1;
  }
  if (rest.length === 0) return;
  const sAdj = new Map<number, number[]>();
  const lAdj = new Map<number, number[]>();
  for (const k of rest) {
    addTo(sAdj, ps[k]!, pl[k]!);
    addTo(lAdj, pl[k]!, ps[k]!);
  }
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
  // Fewest equally ranked alternatives first (the degrees, counted above), then statement, ledger.
  const places = rest.map((_, place) => place);
  places.sort((a, b) => degrees[a]! - degrees[b]! || ps[rest[a]!]! - ps[rest[b]!]! || pl[rest[a]!]! - pl[rest[b]!]!);
  for (const place of places) {
    const k = rest[place]!;
    const s = ps[k]!;
    const l = pl[k]!;
    if (S.used[s] || L.used[l]) continue;
    const ambiguous = ambiguousFor(S, L, sAdj, lAdj, sAmbiguous, s) || ambiguousFor(L, S, lAdj, sAdj, lAmbiguous, l);
    S.used[s] = 1;
    L.used[l] = 1;
    out.pair(rule.id, clampConfidence(conf[k]! - (ambiguous ? rule.ambiguityPenalty : 0)), s, l);
  }
}
