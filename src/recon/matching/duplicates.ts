/**
 * Twins and duplicates. A twin is a row on the same side with the same amount, dates and
 * references (and at least one reference): the same statement line delivered twice, or a ledger
 * entry posted twice.
 *
 * Steps:
 *  1. `twinGroupsByReferenceId` finds the classes of twins once per partition (each in canonical order).
 *  2. After each rule, `withholdDuplicates` keeps the free twins of a matched row away from the
 *     later rules (they are reported DUPLICATE).
 *  3. `duplicatesAmong` names, for each unmatched row, the twin it duplicates (matched, or first by id).
 */
import { IntRowIndex, MATCHED, WITHHELD } from './common';
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
 * Rows are paired by their first reference, as its id (references.ts: `fieldIds` are the side's
 * reference ids per field, `references` their number), in typed arrays (REC-PERF-1).
 */
export function twinGroupsByReferenceId(side: Side, fieldIds: readonly Int32Array[], references: number): number[][] {
  const byReference = new IntRowIndex(references, side.n);
  for (let i = 0; i < side.n; i += 1) {
    for (const field of fieldIds) {
      const ref = field[i]!;
      if (ref >= 0) {
        byReference.add(ref, i);
        break;
      }
    }
  }
  const groups: number[][] = [];
  const rows: number[] = [];
  for (const key of byReference.repeated()) {
    const classes: number[][] = [];
    for (const i of byReference.get(key, rows)!) {
      const home = classes.find((members) => twins(side, members[0]!, i));
      if (home) home.push(i);
      else classes.push([i]);
    }
    for (const members of classes) if (members.length > 1) groups.push(members);
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
