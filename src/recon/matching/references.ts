/**
 * Reference relations between the two sides of a partition.
 */
import { addTo } from './common';
import type { Side } from './rows';

/**
 * Free rows related by reference to a free row on the other side: equal normalised references,
 * or one is the other's batch reference (itemReferencePattern). Returns [statement, ledger] flags.
 */
export function referenceLinked(S: Side, L: Side, pattern: RegExp | null): [Uint8Array, Uint8Array] {
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
