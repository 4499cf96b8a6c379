/**
 * Loss on purpose (FLOW-4): `post --fault-drop <ratio>` drops that share of the events crossing
 * every stage boundary, the way a lost message vanishes on AWS. A boundary is one edge of the hot
 * path (src/routes.ts EDGES): ingest → dedup, dedup → standardise, … , posting → assembler,
 * whether the event is handed over in process (fused) or carried by the bus (staged). An event is
 * dropped when a keyed hash of its id falls below ratio × 2^32, so the same input drops the same
 * events on every run. Nothing is retried for a dropped event and no state is written for it: the
 * payment stays where it was, for `audit-flow` (FLOW-1..3) to find and repair.
 */
import { createHmac } from 'node:crypto';
import type { LedgerEvent } from '../domain/events';
import type { Edge } from '../routes';
import { EDGES, matchesPattern } from '../routes';
import { toBusEvent } from './embedded-bus';

export class FaultDropError extends RangeError {
  override name = 'FaultDropError';
}

/** The key of the drop hash: fixed, so runs agree; another key drops another (equally sized) share. */
export const FAULT_DROP_KEY = 'ledgerline.fault-drop.v1';

/** Checks a drop ratio: a finite number in [0, 1). */
export function checkDropRatio(ratio: number, what = '--fault-drop'): number {
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0 || ratio >= 1) {
    throw new FaultDropError(`${what} must be a share of events in [0, 1) (e.g. 0.01), got ${String(ratio)}`);
  }
  return ratio;
}

/** Parses the CLI text of a ratio: a plain decimal in [0, 1). */
export function parseDropRatio(text: string, what = '--fault-drop'): number {
  if (!/^(0|0?\.[0-9]+|0\.[0-9]*)$/.test(text.trim())) throw new FaultDropError(`${what} must be a share of events in [0, 1) (e.g. 0.01), got "${text}"`);
  return checkDropRatio(Number(text), what);
}

/** The edge an event crosses (undefined: it feeds no hot-path stage, so it crosses no boundary). */
export function boundaryOf(event: LedgerEvent): Edge | undefined {
  if (!EDGE_TYPES.has(event.type)) return undefined;
  const busEvent = toBusEvent(event);
  return EDGES.find((edge) => matchesPattern(edge.eventPattern, busEvent));
}
const EDGE_TYPES = new Set<string>(EDGES.flatMap((edge) => edge.eventPattern['detail-type']));

/** The deterministic drop choice: HMAC-SHA-256(key, event id)'s first 32 bits below ratio × 2^32. */
export function dropsEventId(eventId: string, ratio: number, key: string = FAULT_DROP_KEY): boolean {
  if (ratio <= 0) return false;
  const threshold = Math.floor(ratio * 2 ** 32);
  return createHmac('sha256', key).update(eventId).digest().readUInt32BE(0) < threshold;
}

/** Per-boundary counts of dropped events, in edge order (every edge named, 0 when none). */
export type DropCounts = Record<string, number>;

export function emptyDropCounts(): DropCounts {
  return Object.fromEntries(EDGES.map((edge) => [edge.name, 0]));
}

export function addDropCounts(into: DropCounts, from: Readonly<DropCounts>): DropCounts {
  for (const [name, count] of Object.entries(from)) into[name] = (into[name] ?? 0) + count;
  return into;
}

/** A drop filter for one run: `keep(events)` returns the events that survive and counts the rest. */
export class FaultDrop {
  private pending: DropCounts = emptyDropCounts();

  constructor(
    readonly ratio: number,
    private readonly key: string = FAULT_DROP_KEY,
  ) {
    checkDropRatio(ratio);
  }

  keep<E extends LedgerEvent>(events: readonly E[]): E[] {
    if (this.ratio === 0) return [...events];
    const kept: E[] = [];
    for (const event of events) {
      const edge = boundaryOf(event);
      if (edge && dropsEventId(event.id, this.ratio, this.key)) {
        this.pending[edge.name] = (this.pending[edge.name] ?? 0) + 1;
        continue;
      }
      kept.push(event);
    }
    return kept;
  }

  /** The drops since the last call (a wave's, counted once the wave commits). */
  take(): DropCounts {
    const taken = this.pending;
    this.pending = emptyDropCounts();
    return taken;
  }

  /** Forgets the drops of a rolled-back wave (they will be made again when it re-runs). */
  discard(): void {
    this.pending = emptyDropCounts();
  }
}
