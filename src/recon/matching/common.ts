/**
 * Small shared pieces of the matching engine: the row states, exact integer arithmetic on
 * amounts and ratios, date distance, confidence clamping and the raw match record.
 *
 * Nothing here knows about rules or reasons; every other engine module builds on it.
 */
import { fromMinorUnits } from '../../domain/money';
import type { CompiledTolerance, DateField, Ratio } from './rules';
import { NO_DAY, type Side } from './rows';
import { SCALE } from './rules';

export const INFINITE = Number.POSITIVE_INFINITY;
/** Side.used values: 0 free, 1 matched, 2 withheld as the duplicate of a matched twin. */
export const MATCHED = 1;
export const WITHHELD = 2;
export const SAFE = Number.MAX_SAFE_INTEGER;

export function dateDistance(S: Side, s: number, L: Side, l: number, field: DateField): number {
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
export function withinRatio(a: number, b: number, ratio: Ratio): boolean {
  const left = a * ratio.den;
  const right = b * ratio.num;
  if (left <= SAFE && right <= SAFE) return left <= right;
  return BigInt(a) * BigInt(ratio.den) <= BigInt(b) * BigInt(ratio.num);
}

/** floor(b * ratio) for a non-negative integer b. */
export function ratioOf(b: number, ratio: Ratio): number {
  const product = b * ratio.num;
  if (product <= SAFE) return Math.floor(product / ratio.den);
  return Number((BigInt(b) * BigInt(ratio.num)) / BigInt(ratio.den));
}

/** Allowed difference for two amounts under a tolerance, or -1 when `diff` exceeds it. */
export function allowedDifference(tolerance: CompiledTolerance, absolute: number, a: number, b: number, diff: number): number {
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

export function clampConfidence(value: number): number {
  return value < 0 ? 0 : value > SCALE ? SCALE : Math.round(value);
}

/** Every part has the whole's sign and a smaller magnitude: the parts can add up to the whole. */
export function couldBeParts(whole: number, side: Side, parts: readonly number[]): boolean {
  if (whole === 0) return false;
  for (const i of parts) {
    const part = side.amt[i]!;
    if (part === 0 || part > 0 !== whole > 0 || Math.abs(part) >= Math.abs(whole)) return false;
  }
  return true;
}

/**
 * key → rows, for the big indices over a whole side. Most keys have one row, so a key gets an
 * array only when it has a second one (no allocation per row: less garbage to collect).
 * Rows are kept in insertion order; adding the same row twice in a row keeps one.
 */
export class RowIndex<K> {
  private readonly map = new Map<K, number>();
  private readonly lists: number[][] = [];
  private readonly one = [0];

  get size(): number {
    return this.map.size;
  }

  add(key: K, row: number): void {
    const at = this.map.get(key);
    if (at === undefined) this.map.set(key, row);
    else if (at >= 0) {
      if (at !== row) {
        this.lists.push([at, row]);
        this.map.set(key, -this.lists.length);
      }
    } else {
      const list = this.lists[-at - 1]!;
      if (list[list.length - 1] !== row) list.push(row);
    }
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** The rows of `key`. A single row comes in an array shared by every call: read it before the next `get`. */
  get(key: K): readonly number[] | undefined {
    const at = this.map.get(key);
    if (at === undefined) return undefined;
    if (at >= 0) {
      this.one[0] = at;
      return this.one;
    }
    return this.lists[-at - 1];
  }

  /** The rows of every key that has at least two, in the order the keys got their second row. */
  repeated(): readonly (readonly number[])[] {
    return this.lists;
  }
}

/**
 * RowIndex over small integer keys (0 ≤ key < keys, e.g. the partition's reference ids,
 * references.ts): the same lists in the same order (insertion order, a row added twice in a row
 * kept once), held in typed arrays instead of a Map (REC-PERF-1). `get` copies a key's rows into
 * the array it is given.
 */
export class IntRowIndex {
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly count: Int32Array;
  private readonly rows: Int32Array;
  private readonly next: Int32Array;
  private added = 0;
  /** Keys with at least one row, and with at least two. */
  size = 0;
  repeatedKeys = 0;

  constructor(keys: number, capacity: number) {
    this.head = new Int32Array(keys);
    this.tail = new Int32Array(keys);
    this.count = new Int32Array(keys);
    this.rows = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
  }

  add(key: number, row: number): void {
    const count = this.count[key]!;
    const e = this.added;
    if (count === 0) {
      this.head[key] = e;
      this.size += 1;
    } else {
      const last = this.tail[key]!;
      if (this.rows[last] === row) return;
      this.next[last] = e;
      if (count === 1) this.repeatedKeys += 1;
    }
    this.rows[e] = row;
    this.next[e] = -1;
    this.tail[key] = e;
    this.count[key] = count + 1;
    this.added = e + 1;
  }

  countOf(key: number): number {
    return this.count[key]!;
  }

  /** The keys with at least two rows, ascending. */
  repeated(): number[] {
    const keys: number[] = [];
    if (this.repeatedKeys === 0) return keys;
    for (let key = 0; key < this.count.length; key += 1) if (this.count[key]! >= 2) keys.push(key);
    return keys;
  }

  /** The rows of `key` in `into` (emptied first), or undefined when it has none. */
  get(key: number, into: number[]): number[] | undefined {
    if (this.count[key] === 0) return undefined;
    into.length = 0;
    for (let e = this.head[key]!; e >= 0; e = this.next[e]!) into.push(this.rows[e]!);
    return into;
  }
}

export function addTo<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/**
 * The matches a partition's rules accept, as parallel columns (no object per match, REC-PERF-1):
 * rule, confidence (integer, SCALE), and the rows, canonical (ascending) indices. A one-to-one
 * match keeps its two rows in `s` and `l`; a group keeps its first statement row in `s`, -1 in `l`,
 * and all its rows in `groups`.
 */
export class RawMatches {
  readonly ruleId: string[] = [];
  readonly confidence: number[] = [];
  readonly s: number[] = [];
  readonly l: number[] = [];
  readonly groups: Array<{ s: number[]; l: number[] } | null> = [];

  get length(): number {
    return this.s.length;
  }

  pair(ruleId: string, confidence: number, s: number, l: number): void {
    this.ruleId.push(ruleId);
    this.confidence.push(confidence);
    this.s.push(s);
    this.l.push(l);
    this.groups.push(null);
  }

  group(ruleId: string, confidence: number, s: number[], l: number[]): void {
    this.ruleId.push(ruleId);
    this.confidence.push(confidence);
    this.s.push(s[0]!);
    this.l.push(-1);
    this.groups.push({ s, l });
  }
}

export function sumOf(side: Side, items: readonly number[]): number {
  let sum = 0;
  for (const i of items) sum += side.amt[i]!;
  return sum;
}

export function money(minor: number, currency: string): string {
  return fromMinorUnits(BigInt(minor), currency);
}
