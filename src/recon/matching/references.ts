/**
 * Reference relations between the two sides of a partition.
 */
import { RowIndex } from './common';
import type { Side } from './rows';

/**
 * Free rows related by reference to a free row on the other side: equal normalised references,
 * or one is the other's batch reference (itemReferencePattern). Returns [statement, ledger] flags.
 */
const batchKeyCache = new WeakMap<Side, { pattern: RegExp; keys: Array<Array<string | undefined>> }>();

/**
 * keys[field][row]: the batch reference inside each reference of a side (itemReferencePattern
 * group 1), or undefined. Computed once per side and pattern: the rules that need it share it.
 */
export function batchKeys(side: Side, pattern: RegExp): ReadonlyArray<ReadonlyArray<string | undefined>> {
  const cached = batchKeyCache.get(side);
  if (cached && cached.pattern === pattern) return cached.keys;
  const keys = side.refs.map((field) => {
    const out = new Array<string | undefined>(side.n);
    for (let i = 0; i < side.n; i += 1) {
      const ref = field[i];
      out[i] = ref === undefined ? undefined : pattern.exec(ref)?.[1] || undefined;
    }
    return out;
  });
  batchKeyCache.set(side, { pattern, keys });
  return keys;
}

/**
 * Free rows related by reference to a free row on the other side: equal normalised references,
 * or one is the other's batch reference (itemReferencePattern). Returns [statement, ledger] flags.
 */
export function referenceLinked(S: Side, L: Side, pattern: RegExp | null): [Uint8Array, Uint8Array] {
  const sLinked = new Uint8Array(S.n);
  const lLinked = new Uint8Array(L.n);
  const sByRef = new RowIndex<string>();
  const sByKey = new RowIndex<string>();
  const sKeys = pattern ? batchKeys(S, pattern) : null;
  for (let s = 0; s < S.n; s += 1) {
    if (S.used[s]) continue;
    for (let f = 0; f < S.refs.length; f += 1) {
      const ref = S.refs[f]![s];
      if (ref === undefined) continue;
      sByRef.add(ref, s);
      const key = sKeys?.[f]![s];
      if (key !== undefined) sByKey.add(key, s);
    }
  }
  const refs = L.refs[0]!;
  const lKeys = pattern ? batchKeys(L, pattern)[0]! : null;
  const mark = (l: number, list: readonly number[] | undefined): void => {
    if (list === undefined) return;
    lLinked[l] = 1;
    for (const s of list) sLinked[s] = 1;
  };
  for (let l = 0; l < L.n; l += 1) {
    const ref = refs[l];
    if (L.used[l] || ref === undefined) continue;
    mark(l, sByRef.get(ref));
    mark(l, sByKey.get(ref));
    const key = lKeys?.[l];
    if (key !== undefined) mark(l, sByRef.get(key));
  }
  return [sLinked, lLinked];
}
