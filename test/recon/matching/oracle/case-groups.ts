// Test oracle: src/recon/matching/case-groups.ts as of 0fe7d9a, kept unchanged (imports aside) so the differential tests hold the faster matcher to the same output (REC-PERF-1).
/**
 * REC-CASE-1: case groups. Exceptions that belong together are worked as one case, so they carry
 * one `group` key: a batch booking and its candidate ledger items, several statement lines and
 * their one ledger entry, or any larger knot of unmatched rows tied by references.
 *
 * Steps:
 *  1. Link each unmatched ledger entry to the unmatched statement lines related to it by
 *     reference: the same normalised reference in any statement field (REC-MATCH-1 shared
 *     reference), the statement line's reference is the entry's batch reference
 *     (itemReferencePattern: the line is a batch booking, the entry an item), or the other way
 *     round (the entry is split over statement parts).
 *  2. Join the links into connected components (union-find over both sides).
 *  3. A component of one statement line and one ledger entry tied by their shared reference alone
 *     is a plain pair (AMOUNT_MISMATCH at most): no group. Every other component of two or more
 *     rows is a group, keyed `grp-` + the first 16 hex digits of the SHA-256 of its sorted member
 *     ids (`statement:<id>` / `ledger:<id>`): independent of input order and of partitioning
 *     (re-derived with a salt in the rare case the digits read as a card number, PCI-3).
 *  4. Its shape: `batch` (one statement line against items that can be parts of it), `split`
 *     (one ledger entry against statement parts), else `related`.
 *
 * A row only ever belongs to one group; matched rows belong to none.
 */
import { createHash } from 'node:crypto';
import { containsPan } from '../../../../src/domain/pan';
import { couldBeParts } from './common';
import type { Side } from './rows';

export type CaseShape = 'batch' | 'split' | 'related';

export interface CaseGroup {
  /** `grp-` + 16 hex digits. */
  readonly key: string;
  readonly shape: CaseShape;
  /** Canonical (ascending) row indices of each side. */
  readonly statement: readonly number[];
  readonly ledger: readonly number[];
}

export interface CaseGroups {
  readonly statement: ReadonlyMap<number, CaseGroup>;
  readonly ledger: ReadonlyMap<number, CaseGroup>;
}

/** Edge kinds between a ledger entry and a statement line. */
const SAME = 1;
/** The statement line's reference is the ledger entry's batch reference: line = batch, entry = item. */
const ITEM = 2;
/** The ledger entry's reference is the statement line's batch reference: entry = whole, line = part. */
const PART = 4;

/**
 * The deterministic key of a group of rows (REC-CASE-1). PCI-3: a key whose hex digits happen to
 * read as a card number is re-derived with a salt (as deterministicId does), so no output ever
 * carries one and nothing downstream masks a key.
 */
export function caseGroupKey(statementIds: readonly string[], ledgerIds: readonly string[]): string {
  const members = JSON.stringify([...statementIds.map((id) => `statement:${id}`), ...ledgerIds.map((id) => `ledger:${id}`)].sort());
  for (let salt = 0; ; salt += 1) {
    const key = `grp-${createHash('sha256')
      .update(salt === 0 ? members : `${members}\u001f${salt}`)
      .digest('hex')
      .slice(0, 16)}`;
    if (!containsPan(key)) return key;
  }
}

/**
 * The case groups among the unmatched rows. `sByRef` / `sByBatch` index the unmatched statement
 * lines by normalised reference and by batch reference (itemReferencePattern group 1).
 */
export function caseGroups(
  S: Side,
  L: Side,
  unusedL: readonly number[],
  sByRef: ReadonlyMap<string, readonly number[]>,
  sByBatch: ReadonlyMap<string, readonly number[]>,
  pattern: RegExp | null,
): CaseGroups {
  const statement = new Map<number, CaseGroup>();
  const ledger = new Map<number, CaseGroup>();
  // Union-find: statement line s is node s, ledger entry l is node S.n + l.
  const parent = new Map<number, number>();
  const find = (node: number): number => {
    let root = node;
    for (let up = parent.get(root); up !== undefined && up !== root; up = parent.get(root)) root = up;
    for (let at = node; at !== root;) {
      const next = parent.get(at)!;
      parent.set(at, root);
      at = next;
    }
    return root;
  };
  const union = (a: number, b: number): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    // The smaller node becomes the root: the result does not depend on the order of the links.
    if (ra < rb) parent.set(rb, ra);
    else if (rb < ra) parent.set(ra, rb);
  };
  const edgeS: number[] = [];
  const edgeL: number[] = [];
  const edgeKind: number[] = [];
  const link = (s: number, l: number, kind: number): void => {
    union(s, S.n + l);
    edgeS.push(s);
    edgeL.push(l);
    edgeKind.push(kind);
  };
  const refs = L.refs[0]!;
  for (const l of unusedL) {
    const ref = refs[l];
    if (ref === undefined) continue;
    for (const s of sByRef.get(ref) ?? []) link(s, l, SAME);
    for (const s of sByBatch.get(ref) ?? []) link(s, l, PART);
    const key = pattern?.exec(ref)?.[1];
    if (key) for (const s of sByRef.get(key) ?? []) link(s, l, ITEM);
  }
  if (edgeKind.length === 0) return { statement, ledger };

  const kinds = new Map<number, number>();
  for (let e = 0; e < edgeKind.length; e += 1) {
    const root = find(edgeS[e]!);
    kinds.set(root, (kinds.get(root) ?? 0) | edgeKind[e]!);
  }
  const members = new Map<number, { s: number[]; l: number[] }>();
  for (const node of [...parent.keys()].sort((a, b) => a - b)) {
    const root = find(node);
    let entry = members.get(root);
    if (entry === undefined) members.set(root, (entry = { s: [], l: [] }));
    if (node < S.n) entry.s.push(node);
    else entry.l.push(node - S.n);
  }
  for (const [root, { s, l }] of members) {
    const kind = kinds.get(root) ?? 0;
    if (s.length === 1 && l.length === 1 && kind === SAME && S.batchCount![s[0]!]! < 2 && S.batchItem![s[0]!] === 0) continue;
    let shape: CaseShape = 'related';
    if (s.length === 1 && !(kind & PART) && (kind & ITEM || couldBeParts(S.amt[s[0]!]!, L, l))) shape = 'batch';
    else if (l.length === 1 && !(kind & ITEM) && (kind & PART || couldBeParts(L.amt[l[0]!]!, S, s))) shape = 'split';
    const group: CaseGroup = {
      key: caseGroupKey(
        s.map((i) => S.ids[i]!),
        l.map((i) => L.ids[i]!),
      ),
      shape,
      statement: s,
      ledger: l,
    };
    for (const i of s) statement.set(i, group);
    for (const i of l) ledger.set(i, group);
  }
  return { statement, ledger };
}
