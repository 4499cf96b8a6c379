/**
 * Reference relations between the two sides of a partition.
 */
import { RowIndex } from './common';
import type { Side } from './rows';

interface BatchKeys {
  pattern: RegExp;
  keys: Array<Array<string | undefined>>;
  done: Uint8Array[];
}

const batchKeyCache = new WeakMap<Side, BatchKeys>();

/**
 * The batch reference inside a row's reference (itemReferencePattern group 1), or undefined.
 * Computed on first use per row and field, then kept for the later rules (only the rows still
 * free by then are ever asked).
 */
export function batchKeyOf(side: Side, pattern: RegExp, field: number, row: number): string | undefined {
  let cache = batchKeyCache.get(side);
  if (cache === undefined || cache.pattern !== pattern) {
    cache = { pattern, keys: side.refs.map(() => new Array<string | undefined>(side.n)), done: side.refs.map(() => new Uint8Array(side.n)) };
    batchKeyCache.set(side, cache);
  }
  if (cache.done[field]![row]) return cache.keys[field]![row];
  const ref = side.refs[field]![row];
  const key = ref === undefined ? undefined : pattern.exec(ref)?.[1] || undefined;
  cache.keys[field]![row] = key;
  cache.done[field]![row] = 1;
  return key;
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
  for (let s = 0; s < S.n; s += 1) {
    if (S.used[s]) continue;
    for (let f = 0; f < S.refs.length; f += 1) {
      const ref = S.refs[f]![s];
      if (ref === undefined) continue;
      sByRef.add(ref, s);
      const key = pattern ? batchKeyOf(S, pattern, f, s) : undefined;
      if (key !== undefined) sByKey.add(key, s);
    }
  }
  const refs = L.refs[0]!;
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
    const key = pattern ? batchKeyOf(L, pattern, 0, l) : undefined;
    if (key !== undefined) mark(l, sByRef.get(key));
  }
  return [sLinked, lLinked];
}

/**
 * The partition's references as small integers (REC-PERF-1): equal references (Map key equality,
 * as the string-keyed indices compare them) get the same id on both sides, a missing one -1. The
 * indices of the reference rules then hash each reference once per partition, not once per rule.
 */
export interface ReferenceIds {
  /** Per statement field (rows.ts field order), per row. */
  readonly s: Int32Array[];
  /** The ledger reference, per row. */
  readonly l: Int32Array;
  /** Number of distinct references (ids are 0 .. size-1). */
  readonly size: number;
  /** The id of a text equal to a reference of the partition, else -1. */
  idOf(text: string): number;
}

export function referenceIds(S: Side, L: Side): ReferenceIds {
  const ids = new Map<string, number>();
  const of = (side: Side): Int32Array[] =>
    side.refs.map((field) => {
      const out = new Int32Array(side.n);
      for (let i = 0; i < side.n; i += 1) {
        const ref = field[i];
        if (ref === undefined) out[i] = -1;
        else {
          let id = ids.get(ref);
          if (id === undefined) ids.set(ref, (id = ids.size));
          out[i] = id;
        }
      }
      return out;
    });
  const s = of(S);
  const l = of(L)[0]!;
  return { s, l, size: ids.size, idOf: (text) => ids.get(text) ?? -1 };
}
