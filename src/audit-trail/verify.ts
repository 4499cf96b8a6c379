/**
 * The audit verifier (AUDIT-2), pure: given one partition's rows as stored and its head, names
 * every row that was changed, deleted or moved, precisely (partition, seq, what is wrong).
 *
 * - intact: the row's hash recomputes from its prevHash and content at its stored seq;
 * - reordered: the row's hash recomputes only at ANOTHER seq (its content is intact, its place is
 *   not): it was swapped with another row or renumbered. The seq it belongs at is found among the
 *   places that are in doubt (the seqs of rows that fail, the missing seqs) and the seq after the
 *   row its prevHash names;
 * - changed: the row's hash recomputes at no seq (a field, its prevHash or its rowHash was edited);
 * - deleted: no row belongs at a seq from 1 to the head's last seq (a gap, or the tail behind a
 *   head that points past the rows);
 * - broken-link: two rows that each verify do not chain (the earlier one was rewritten with a
 *   recomputed hash, or a row was forged in between): named at the later seq;
 * - head: the head is missing, points at a hash its last row does not have, or rows lie past it.
 *
 * Every fault names the partition and the seq; none quotes a payload.
 */
import type { ChainHead } from './chain';
import { GENESIS_HASH, hashRow } from './chain';
import type { AuditRow } from './row';

export type AuditFaultKind = 'changed' | 'deleted' | 'reordered' | 'broken-link' | 'head';

export interface AuditFault {
  partition: string;
  /** The seq the fault is at: where the row is stored (changed, reordered), where a row is missing (deleted). */
  seq: number;
  kind: AuditFaultKind;
  /** reordered: the seq the row's hash says it belongs at. */
  belongsAt?: number;
  /** The row's source id, when there is a row (never its payload). */
  sourceId?: string;
  detail: string;
}

export interface PartitionVerification {
  partition: string;
  rows: number;
  lastSeq: number;
  faults: AuditFault[];
}

/** How many (row, seq) hash trials the search for a moved row's place may make per partition. */
const MAX_TRIALS = 2_000_000;

const verifies = (row: AuditRow, seq: number): boolean => hashRow(row.prevHash, { ...row, seq }) === row.rowHash;

/** Verifies one partition: `rows` as stored (any order), `head` as stored (undefined: missing). */
export function verifyPartition(partition: string, rows: readonly AuditRow[], head: ChainHead | undefined): PartitionVerification {
  const faults: AuditFault[] = [];
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  const maxStored = sorted.length > 0 ? sorted[sorted.length - 1]!.seq : 0;
  const last = Math.max(head?.lastSeq ?? 0, maxStored);

  // 1. Each row at its own place.
  const intact = sorted.map((row) => row.partition === partition && verifies(row, row.seq));
  const byHash = new Map<string, number>();
  sorted.forEach((row, i) => byHash.set(row.rowHash, i));
  const storedSeqs = new Set(sorted.map((row) => row.seq));

  // 2. The places in doubt: seqs of rows that fail and seqs with no row.
  const doubtful = new Set<number>();
  sorted.forEach((row, i) => {
    if (!intact[i]) doubtful.add(row.seq);
  });
  for (let seq = 1; seq <= last; seq += 1) if (!storedSeqs.has(seq)) doubtful.add(seq);

  // 3. A failing row whose hash recomputes at another place was moved; otherwise it was changed.
  const trueSeq = sorted.map((row) => row.seq);
  const changed = sorted.map(() => false);
  let trials = 0;
  const failing = sorted.map((_, i) => i).filter((i) => !intact[i]);
  const placeOf = (i: number, depth: number): number | undefined => {
    const row = sorted[i]!;
    if (row.partition !== partition) return undefined;
    const candidates = new Set<number>();
    if (row.prevHash === GENESIS_HASH) candidates.add(1);
    const before = byHash.get(row.prevHash);
    if (before !== undefined && before !== i) {
      const beforeSeq = intact[before] || depth > 8 ? sorted[before]!.seq : placeOf(before, depth + 1);
      if (beforeSeq !== undefined) candidates.add(beforeSeq + 1);
    }
    if (trials + doubtful.size <= MAX_TRIALS) for (const seq of doubtful) candidates.add(seq);
    for (const seq of candidates) {
      if (seq === row.seq || seq < 1) continue;
      trials += 1;
      if (verifies(row, seq)) return seq;
    }
    return undefined;
  };
  for (const i of failing) {
    const place = placeOf(i, 0);
    if (place === undefined) changed[i] = true;
    else trueSeq[i] = place;
  }

  // 4. Who sits where, by the place each row's hash gives it.
  const occupant = new Map<number, number>();
  sorted.forEach((row, i) => {
    if (changed[i]) {
      const detail = row.partition !== partition ? `stored under partition ${row.partition}` : 'its content no longer matches its row hash (a field, its prev hash or its row hash was changed)';
      faults.push({ partition, seq: row.seq, kind: 'changed', sourceId: row.sourceId, detail });
    } else if (trueSeq[i] !== row.seq) {
      faults.push({
        partition,
        seq: row.seq,
        kind: 'reordered',
        belongsAt: trueSeq[i]!,
        sourceId: row.sourceId,
        detail: `intact, but stored at seq ${row.seq}: its hash places it at seq ${trueSeq[i]!}`,
      });
    }
    const at = trueSeq[i]!;
    if (!occupant.has(at) || changed[occupant.get(at)!]) occupant.set(at, i);
  });
  // The chain runs to the head, or further if a row (in its rightful place) lies past it.
  const lastPlaced = trueSeq.reduce((max, seq) => Math.max(max, seq), head?.lastSeq ?? 0);

  // 5. Gaps: places no row holds.
  for (let seq = 1; seq <= lastPlaced; seq += 1) {
    if (!occupant.has(seq)) faults.push({ partition, seq, kind: 'deleted', detail: `no row at seq ${seq} (the chain runs to seq ${head?.lastSeq ?? lastPlaced})` });
  }

  // 6. Links between neighbours that each verify.
  for (let seq = 1; seq <= lastPlaced; seq += 1) {
    const i = occupant.get(seq);
    if (i === undefined || changed[i]) continue;
    const row = sorted[i]!;
    if (seq === 1) {
      if (row.prevHash !== GENESIS_HASH) faults.push({ partition, seq, kind: 'broken-link', sourceId: row.sourceId, detail: 'the first row does not start from the genesis hash' });
      continue;
    }
    const p = occupant.get(seq - 1);
    if (p === undefined || changed[p]) continue;
    if (row.prevHash !== sorted[p]!.rowHash) {
      faults.push({ partition, seq, kind: 'broken-link', sourceId: row.sourceId, detail: `its prev hash is not the row hash of seq ${seq - 1} (one of the two was rewritten with a recomputed hash)` });
    }
  }

  // 7. The head.
  if (!head) {
    if (sorted.length > 0) faults.push({ partition, seq: lastPlaced, kind: 'head', detail: 'the partition has rows but no head' });
  } else {
    if (lastPlaced > head.lastSeq) faults.push({ partition, seq: head.lastSeq + 1, kind: 'head', detail: `rows lie past the head (last seq ${head.lastSeq}, rows to seq ${lastPlaced})` });
    const i = occupant.get(head.lastSeq);
    if (head.lastSeq === 0 && head.lastHash !== GENESIS_HASH) faults.push({ partition, seq: 0, kind: 'head', detail: 'an empty head does not hold the genesis hash' });
    if (i !== undefined && !changed[i] && sorted[i]!.rowHash !== head.lastHash) {
      faults.push({ partition, seq: head.lastSeq, kind: 'head', sourceId: sorted[i]!.sourceId, detail: `the head's last hash is not the row hash of seq ${head.lastSeq}` });
    }
  }
  faults.sort((a, b) => a.seq - b.seq || a.kind.localeCompare(b.kind));
  return { partition, rows: sorted.length, lastSeq: head?.lastSeq ?? maxStored, faults };
}

/** One line naming a fault: `<partition> seq <n>: <kind>: <detail>`. */
export function describeFault(fault: AuditFault): string {
  return `${fault.partition} seq ${fault.seq}: ${fault.kind}${fault.sourceId ? ` (${fault.sourceId})` : ''}: ${fault.detail}`;
}
