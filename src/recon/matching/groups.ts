/**
 * Group rules: one statement line against several ledger entries (oneToMany: a batch booking and
 * its items) or several statement lines against one ledger entry (manyToOne: a payment split).
 *
 * Steps, per head (the "one" side, canonical order, free rows only):
 *  1. Reference mode: the items are the free rows whose reference, run through
 *     itemReferencePattern, gives the head's reference. All of them in the date window summing
 *     exactly form the group; otherwise subsets are searched when there are at most maxSubsetItems.
 *     Shared-reference mode (REC-MATCH-1): the items are the free rows carrying the head's very
 *     own reference (each of the head's references tried on its own, in field order); all of them
 *     in the date window must sum exactly (see sharedReferenceGroups).
 *  2. Amount mode: the items are free rows of the same sign and smaller magnitude within the date
 *     window, not reference-linked, at most maxCandidates nearest by date; sizes 2..4 are found by
 *     hashing single amounts, pairs and pair sums: O(maxCandidates²) per head, never exponential.
 *  3. The group's confidence: base − date, size, subset, count-mismatch and ambiguity penalties.
 *     Every row of the group is marked used.
 */
import { addTo, clampConfidence, dateDistance, IntRowIndex, type RawMatches, sumOf } from './common';
import { twins } from './duplicates';
import type { Candidate } from './one-to-one';
import { batchKeyOf, type ReferenceIds, referenceLinked } from './references';
import type { CompiledGroupRule, CompiledRuleSet } from './rules';
import { FIELD_INDEX, NO_DAY, primaryDay, type Side } from './rows';

interface GroupSolution {
  items: number[];
  subset: boolean;
  ambiguous: boolean;
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

/**
 * The group a head's eligible items make: all of them when they sum to the head exactly, else the
 * subset search, within the rule's bounds. With it, the largest date distance of its items
 * (`maxDist` as measured over all eligible items when all of them make the group).
 */
function solveGroup(
  items: Side,
  eligible: readonly number[],
  target: number,
  rule: CompiledGroupRule,
  head: number,
  distance: (head: number, item: number) => number,
  maxDist: number,
): { solution: GroupSolution; maxDist: number } | null {
  if (eligible.length <= rule.maxGroupSize) {
    const sum = sumOf(items, eligible);
    if (Number.isSafeInteger(sum) && sum === target) return { solution: { items: eligible.slice(), subset: false, ambiguous: false }, maxDist };
  }
  if (eligible.length > rule.maxSubsetItems) return null;
  const solution = searchSubsets(items, eligible as number[], target, rule.minGroupSize);
  if (!solution || solution.items.length > rule.maxGroupSize) return null;
  let subsetDist = 0;
  for (const i of solution.items) subsetDist = Math.max(subsetDist, distance(head, i));
  return { solution, maxDist: subsetDist };
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

export function runGroupRule(S: Side, L: Side, rule: CompiledGroupRule, set: CompiledRuleSet, out: RawMatches, refs: ReferenceIds): void {
  const oneToMany = rule.kind === 'oneToMany';
  const heads = oneToMany ? S : L;
  const items = oneToMany ? L : S;
  const distance = (head: number, item: number): number => (oneToMany ? dateDistance(S, head, L, item, rule.dateField) : dateDistance(S, item, L, head, rule.dateField));
  const record = (head: number, solution: GroupSolution, maxDist: number): void => {
    let conf = rule.base - rule.datePenalty * maxDist - rule.groupSizePenalty * Math.max(0, solution.items.length - 2);
    if (solution.subset) conf -= rule.subsetPenalty;
    if (solution.ambiguous) conf -= rule.ambiguityPenalty;
    if (oneToMany && rule.match !== 'amount') {
      const declared = S.batchCount![head]!;
      if (declared > 0 && declared !== solution.items.length) conf -= rule.countMismatchPenalty;
    }
    heads.used[head] = 1;
    const sorted = solution.items.slice().sort((a, b) => a - b);
    for (const item of sorted) items.used[item] = 1;
    if (oneToMany) out.group(rule.id, clampConfidence(conf), [head], sorted);
    else out.group(rule.id, clampConfidence(conf), sorted, [head]);
  };

  if (rule.match === 'reference') {
    const pattern = set.itemPattern;
    if (!pattern) return;
    // Items by the batch reference inside their own (batchKeyOf, kept for the later rules), as a
    // reference id: a key that is no reference of the partition is no head's either.
    const itemFieldIndices = oneToMany ? [0] : rule.fields.map((field) => FIELD_INDEX[field]!);
    const statementFieldIds = rule.fields.map((field) => refs.s[FIELD_INDEX[field]!]!);
    const headFieldIds = oneToMany ? statementFieldIds : [refs.l];
    const byBatch = new IntRowIndex(refs.size, items.n * itemFieldIndices.length);
    for (let i = 0; i < items.n; i += 1) {
      if (items.used[i]) continue;
      for (const field of itemFieldIndices) {
        const key = batchKeyOf(items, pattern, field, i);
        if (key === undefined) continue;
        const id = refs.idOf(key);
        if (id >= 0) byBatch.add(id, i);
      }
    }
    if (byBatch.size === 0) return;
    const members: number[] = [];
    const batchRows: number[] = [];
    for (let h = 0; h < heads.n; h += 1) {
      if (heads.used[h]) continue;
      members.length = 0;
      for (const field of headFieldIds) {
        const ref = field[h]!;
        if (ref < 0) continue;
        const list = byBatch.get(ref, batchRows);
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
      const solved = solveGroup(items, eligible, heads.amt[h]!, rule, h, distance, maxDist);
      if (solved) record(h, solved.solution, solved.maxDist);
    }
    return;
  }

  if (rule.match === 'sharedReference') {
    const { s: statementIds, l: ledgerIds } = refs;
    const statementFieldIds = rule.fields.map((field) => statementIds[FIELD_INDEX[field]!]!);
    sharedReferenceGroups(heads, items, oneToMany ? statementFieldIds : [ledgerIds], oneToMany ? [ledgerIds] : statementFieldIds, refs.size, rule, distance, record);
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
 * REC-MATCH-1, shared reference: for each free head and each of its references in field order,
 * the items are the free rows of the other side that carry that very reference (a payment-run
 * id on a batch booking and on every one of its ledger items, or one ledger entry and the
 * statement lines sharing its reference). All of them within the date window, between
 * minGroupSize and maxGroupSize, must sum exactly to the head; subsets only when maxSubsetItems
 * allows it. Another free head with the same reference and amount that is not its twin could take
 * the same items: the match is then a tie.
 */
function sharedReferenceGroups(
  heads: Side,
  items: Side,
  headFields: readonly Int32Array[],
  itemFields: readonly Int32Array[],
  references: number,
  rule: CompiledGroupRule,
  distance: (head: number, item: number) => number,
  record: (head: number, solution: GroupSolution, maxDist: number) => void,
): void {
  // Only references shared by at least two items can make a group (minGroupSize >= 2).
  const byReference = new IntRowIndex(references, items.n * itemFields.length);
  for (let i = 0; i < items.n; i += 1) {
    if (items.used[i]) continue;
    for (const field of itemFields) {
      const ref = field[i]!;
      if (ref >= 0) byReference.add(ref, i);
    }
  }
  if (byReference.repeatedKeys === 0) return;
  const headsByReference = new IntRowIndex(references, heads.n * headFields.length);
  for (let h = 0; h < heads.n; h += 1) {
    if (heads.used[h]) continue;
    for (const field of headFields) {
      const ref = field[h]!;
      if (ref >= 0 && byReference.countOf(ref) >= 2) headsByReference.add(ref, h);
    }
  }
  const eligible: number[] = [];
  const tried: number[] = [];
  const itemRows: number[] = [];
  const headRows: number[] = [];
  for (let h = 0; h < heads.n; h += 1) {
    if (heads.used[h]) continue;
    tried.length = 0;
    for (const field of headFields) {
      const ref = field[h]!;
      if (ref < 0 || tried.includes(ref)) continue;
      tried.push(ref);
      const list = byReference.get(ref, itemRows);
      if (list === undefined || list.length < rule.minGroupSize) continue;
      eligible.length = 0;
      let maxDist = 0;
      for (const i of list) {
        if (items.used[i]) continue;
        const dist = distance(h, i);
        if (!(dist <= rule.window)) continue;
        eligible.push(i);
        if (dist > maxDist) maxDist = dist;
      }
      if (eligible.length < rule.minGroupSize) continue;
      const target = heads.amt[h]!;
      const solved = solveGroup(items, eligible, target, rule, h, distance, maxDist);
      if (!solved) continue;
      for (const other of headsByReference.get(ref, headRows)!) {
        if (other !== h && !heads.used[other] && heads.amt[other] === target && !twins(heads, h, other)) solved.solution.ambiguous = true;
      }
      record(h, solved.solution, solved.maxDist);
      break;
    }
  }
}
