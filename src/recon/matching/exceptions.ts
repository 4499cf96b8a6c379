/**
 * Exceptions: every row left over after the rules gets a reason code, a candidate on the other
 * side where there is one, a detail, its age against asOf and its case group (REC-CASE-1).
 *
 * Steps:
 *  1. Index the unmatched rows: twins, references, batch references (itemReferencePattern), days.
 *  2. Find the case groups among them (case-groups.ts).
 *  3. Give each row the first reason that applies (see README.md):
 *     DUPLICATE (a twin matched or earlier by id; inside a batch or split only a matched twin),
 *     SPLIT_INCOMPLETE (a member of a batch or split case), AMOUNT_MISMATCH (same reference,
 *     another amount), SPLIT_INCOMPLETE (an item-pattern batch or split that does not add up),
 *     AMOUNT_MISMATCH (a same-date counterpart within maxDifferencePercent), STALE, UNMATCHED.
 */
import type { UnmatchedItem } from '../types';
import { addTo, INFINITE, MATCHED, money, sumOf, withinRatio } from './common';
import { type CaseGroup, caseGroups } from './case-groups';
import { hasReference, twins } from './duplicates';
import { batchKeyOf } from './references';
import type { CompiledRuleSet } from './rules';
import { NO_DAY, primaryDay, type Side } from './rows';

interface Exception {
  reason: UnmatchedItem['reason'];
  candidate?: number;
  detail?: string;
}

export function classify(S: Side, L: Side, set: CompiledRuleSet, currency: string, asOfDay: number, out: UnmatchedItem[]): void {
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
  // Batch references (itemReferencePattern group 1) through batchKeyOf: worked out once per row
  // and field for the whole partition (REC-PERF-1).
  for (const s of unusedS) {
    for (let f = 0; f < S.refs.length; f += 1) {
      const ref = S.refs[f]![s];
      if (ref === undefined) continue;
      addTo(sByRef, ref, s);
      const key = pattern ? batchKeyOf(S, pattern, f, s) : undefined;
      if (key) addTo(sByBatch, key, s);
    }
  }
  const lRefs = L.refs[0]!;
  for (const l of unusedL) {
    const ref = lRefs[l];
    if (ref === undefined) continue;
    addTo(lByRef, ref, l);
    const key = pattern ? batchKeyOf(L, pattern, 0, l) : undefined;
    if (key) addTo(lByBatch, key, l);
  }

  // REC-CASE-1: rows tied by references share a case group; batches and splits are judged whole.
  const groups = caseGroups(S, L, unusedL, sByRef, sByBatch, pattern);

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

  const emit = (side: Side, i: number, exception: Exception, group: CaseGroup | undefined): void => {
    const item: UnmatchedItem = { side: side.kind, id: side.ids[i]!, reason: exception.reason, ageDays: age(side, i) };
    if (exception.candidate !== undefined) item.candidateId = (side === S ? L : S).ids[exception.candidate]!;
    if (exception.detail !== undefined) item.detail = exception.detail;
    if (group !== undefined) item.group = group.key;
    out.push(item);
  };

  /** In a batch or a split, an unmatched twin is another item, not a duplicate; a matched twin still makes one. */
  const isDuplicate = (side: Side, twin: number | undefined, group: CaseGroup | undefined): twin is number =>
    twin !== undefined && (group === undefined || group.shape === 'related' || side.used[twin] === MATCHED);

  const batchBooking = (s: number, items: readonly number[]): Exception => {
    const declared = S.batchCount![s]!;
    return {
      reason: 'SPLIT_INCOMPLETE',
      candidate: items[0]!,
      detail: `batch booking${declared > 0 ? ` of ${declared} items` : ''}: ${items.length} unmatched ledger item(s) found summing to ${money(sumOf(L, items), currency)}, line amount ${money(S.amt[s]!, currency)}`,
    };
  };
  const splitEntry = (l: number, parts: readonly number[]): Exception => ({
    reason: 'SPLIT_INCOMPLETE',
    candidate: parts[0]!,
    detail: `${parts.length} unmatched statement part(s) found summing to ${money(sumOf(S, parts), currency)}, entry amount ${money(L.amt[l]!, currency)}`,
  });

  for (const s of unusedS) {
    const sRefs = S.refs.map((field) => field[s]);
    const group = groups.statement.get(s);
    const exception = ((): Exception => {
      const twin = sDuplicates.get(s);
      if (isDuplicate(S, twin, group)) {
        return { reason: 'DUPLICATE', detail: `same account, amount, dates and references as statement line ${S.ids[twin]}${S.used[twin] === MATCHED ? ' (matched)' : ''}` };
      }
      if (group?.shape === 'batch') return batchBooking(s, group.ledger);
      if (group?.shape === 'split') {
        const whole = group.ledger[0]!;
        return { reason: 'SPLIT_INCOMPLETE', candidate: whole, detail: `part of a split of ledger entry ${L.ids[whole]} whose parts do not sum to it` };
      }
      const sameRef = sameReferenceMismatch(S, s, sRefs, lByRef, L);
      if (sameRef >= 0) return { reason: 'AMOUNT_MISMATCH', candidate: sameRef, detail: mismatchDetail('same reference', S.amt[s]!, L.amt[sameRef]!) };
      // A batch booking: declared item count, or unmatched ledger items carrying its reference.
      let batchItems: number[] = [];
      for (const ref of sRefs) if (ref !== undefined) batchItems = batchItems.concat(lByBatch.get(ref) ?? []);
      const splitParts = sByBatch.size && pattern ? sRefs.map((_, f) => batchKeyOf(S, pattern, f, s)).find((key) => key !== undefined && lByRef.has(key)) : undefined;
      if (batchItems.length > 0)
        return batchBooking(
          s,
          [...new Set(batchItems)].sort((a, b) => a - b),
        );
      if (splitParts !== undefined) {
        const ledger = lByRef.get(splitParts)![0]!;
        return { reason: 'SPLIT_INCOMPLETE', candidate: ledger, detail: `part of a split of ledger entry ${L.ids[ledger]} whose parts do not sum to it` };
      }
      const sameDate = sameDateMismatch(S, s, L, lByDay);
      if (sameDate >= 0) return { reason: 'AMOUNT_MISMATCH', candidate: sameDate, detail: mismatchDetail('same date, no shared reference', S.amt[s]!, L.amt[sameDate]!) };
      return stale(age(S, s)) ?? { reason: 'UNMATCHED' };
    })();
    emit(S, s, exception, group);
  }

  for (const l of unusedL) {
    const ref = lRefs[l];
    const group = groups.ledger.get(l);
    const exception = ((): Exception => {
      const twin = lDuplicates.get(l);
      if (isDuplicate(L, twin, group)) {
        return { reason: 'DUPLICATE', detail: `same account, amount, dates and reference as ledger entry ${L.ids[twin]}${L.used[twin] === MATCHED ? ' (matched)' : ''}` };
      }
      if (group?.shape === 'batch') {
        const head = group.statement[0]!;
        return { reason: 'SPLIT_INCOMPLETE', candidate: head, detail: `item of batch booking ${S.ids[head]} whose items do not sum to it` };
      }
      if (group?.shape === 'split') return splitEntry(l, group.statement);
      const sameRef = sameReferenceMismatch(L, l, [ref], sByRef, S);
      if (sameRef >= 0) return { reason: 'AMOUNT_MISMATCH', candidate: sameRef, detail: mismatchDetail('same reference', L.amt[l]!, S.amt[sameRef]!) };
      if (ref !== undefined) {
        // An item of an unmatched statement batch booking (its reference = batch reference + suffix).
        const key = pattern ? batchKeyOf(L, pattern, 0, l) : undefined;
        const head = key ? sByRef.get(key)?.[0] : undefined;
        if (head !== undefined) return { reason: 'SPLIT_INCOMPLETE', candidate: head, detail: `item of batch booking ${S.ids[head]} whose items do not sum to it` };
        // A ledger entry split over several statement lines that do not sum to it.
        const parts = sByBatch.get(ref);
        if (parts && parts.length) return splitEntry(l, parts);
      }
      const sameDate = sameDateMismatch(L, l, S, sByDay);
      if (sameDate >= 0) return { reason: 'AMOUNT_MISMATCH', candidate: sameDate, detail: mismatchDetail('same date, no shared reference', L.amt[l]!, S.amt[sameDate]!) };
      return stale(age(L, l)) ?? { reason: 'UNMATCHED' };
    })();
    emit(L, l, exception, group);
  }
}
