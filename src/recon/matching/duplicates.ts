/**
 * Twins and duplicates. A twin is a row on the same side with the same amount, dates and
 * references (and at least one reference): the same statement line delivered twice, or a ledger
 * entry posted twice.
 *
 * Steps:
 *  1. `twinGroups` finds the classes of twins once per partition (each in canonical order).
 *  2. After each rule, `withholdDuplicates` keeps the free twins of a matched row away from the
 *     later rules (they are reported DUPLICATE).
 *  3. `duplicatesAmong` names, for each unmatched row, the twin it duplicates (matched, or first by id).
 */
import { MATCHED, RowIndex, WITHHELD } from './common';
import type { Side } from './rows';

/** Rows of the same side that are indistinguishable for matching (amount, dates, references). */
export function twins(side: Side, a: number, b: number): boolean {
  if (a === b) return true;
  if (side.amt[a] !== side.amt[b] || side.book[a] !== side.book[b] || side.val[a] !== side.val[b]) return false;
  // Two items of one batch (REC-IN-6) are different payments even when they look the same.
  if (side.batchItem !== null && side.batchItem[a] !== side.batchItem[b]) return false;
  for (const field of side.refs) if (field[a] !== field[b]) return false;
  return true;
}

export function hasReference(side: Side, i: number): boolean {
  for (const field of side.refs) if (field[i] !== undefined) return true;
  return false;
}

/**
 * Groups of twins that carry a reference (same amount, dates and references on the same side):
 * the same statement line delivered twice, or a ledger entry recorded twice. Each group in
 * canonical order; the groups in no particular order (withholdDuplicates takes each on its own).
 * Rows are paired by amount first (REC-PERF-1: a number, no reference text read for the many rows
 * whose amount is their own), then by their first reference.
 */
export function twinGroups(side: Side): number[][] {
  const byAmount = new RowIndex<number>();
  for (let i = 0; i < side.n; i += 1) if (hasReference(side, i)) byAmount.add(side.amt[i]!, i);
  const groups: number[][] = [];
  for (const sameAmount of byAmount.repeated()) {
    const byReference = new Map<string, number[][]>();
    for (const i of sameAmount) {
      let ref: string | undefined;
      for (const field of side.refs) if ((ref = field[i]) !== undefined) break;
      let classes = byReference.get(ref!);
      if (classes === undefined) byReference.set(ref!, (classes = []));
      const home = classes.find((members) => twins(side, members[0]!, i));
      if (home) home.push(i);
      else classes.push([i]);
    }
    for (const classes of byReference.values()) for (const members of classes) if (members.length > 1) groups.push(members);
  }
  return groups;
}

/** After a rule: free twins of a matched row are withheld from later rules (reported DUPLICATE). */
export function withholdDuplicates(side: Side, groups: readonly number[][]): void {
  for (const members of groups) {
    if (!members.some((i) => side.used[i] === MATCHED)) continue;
    for (const i of members) if (side.used[i] === 0) side.used[i] = WITHHELD;
  }
}
