/**
 * CHAOS-1 (nothing lost, nothing twice, outcomes equal to an uninterrupted run under retries):
 * the lanes in which processing order decides an outcome, and a sequential runner that keeps it.
 *
 * - A card: the velocity rule counts a card's payments in the window as they are decided, so a
 *   payment of a card must not be decided before an earlier payment of that card (src/domain/rules.ts).
 * - A business key (FR2): the first delivery that claims it is the payment, the others are parked
 *   duplicates, so a re-send must not claim its key before its original.
 *
 * Once a payment of a lane fails (a busy or throttled store), every later payment of that lane in
 * the same batch is held: it fails too, untried, and is retried after it (the queue re-delivers the
 * failed records in their order). A held payment holds its own other lanes in turn. Pure: no
 * storage, no transport.
 */
import type { Authorisation, LedgerEvent } from './events';
import { EventTypes } from './events';
import { businessKey } from './dedup';

/** What failed first in a lane: the payment (correlation id) and its error. */
export interface LaneFailure {
  correlationId: string;
  error: Error;
}

/**
 * A payment held behind an earlier payment of the same lane that failed in the same batch. Its
 * message carries the failure it waits on, so a log of it names the root cause.
 */
export class HeldBehindError extends Error {
  constructor(
    lane: string,
    readonly blockedBy: LaneFailure,
  ) {
    super(
      `held behind ${blockedBy.correlationId}, an earlier payment of ${lane.startsWith('card:') ? 'the same card' : 'the same business key'} that failed in this batch (${blockedBy.error.message}); retried after it`,
    );
    this.name = 'HeldBehindError';
  }
}

function authorisationOf(event: LedgerEvent): Authorisation | undefined {
  const data = event.data as { authorisation?: Authorisation } | undefined;
  return data?.authorisation;
}

/** The card lane of a payment event (absent for events that carry no authorisation). */
export function cardLane(event: LedgerEvent): string | undefined {
  const authorisation = authorisationOf(event);
  return authorisation ? `card:${authorisation.panToken}` : undefined;
}

/**
 * The business key: the lane of dedup. (A card's order matters at rules, where the fused hot path
 * and the rules stage hold it; holding a whole card at dedup would only delay its other payments.)
 */
export function dedupLanes(event: LedgerEvent): string[] {
  const authorisation = authorisationOf(event);
  if (!authorisation) return [];
  const key = (event.data as { businessKey?: string }).businessKey ?? (event.type === EventTypes.authorised ? businessKey(authorisation) : undefined);
  return key === undefined ? [] : [`key:${key}`];
}

/** The card lane alone: the lane of the velocity rule. */
export function velocityLanes(event: LedgerEvent): string[] {
  const lane = cardLane(event);
  return lane === undefined ? [] : [lane];
}

/**
 * Runs `work` on each event in order, like a per-event stage, but holds (fails with
 * HeldBehindError, without running it) every event whose lane an earlier event of the batch
 * failed in, or was held in. `blocked` lets a caller hold lanes that failed before this call.
 */
export function inLaneOrder<E extends LedgerEvent, R>(
  lanesOf: (event: E) => readonly string[],
  work: (event: E) => Promise<R>,
): (events: readonly E[], blocked?: ReadonlyMap<string, LaneFailure>) => Promise<(R | Error)[]> {
  return async (events, blocked) => {
    const failed = new Map<string, LaneFailure>(blocked ?? []);
    const results: (R | Error)[] = [];
    for (const event of events) {
      const lanes = lanesOf(event);
      const lane = lanes.find((candidate) => failed.has(candidate));
      if (lane !== undefined) {
        const blocker = failed.get(lane)!;
        for (const own of lanes) if (!failed.has(own)) failed.set(own, blocker);
        results.push(new HeldBehindError(lane, blocker));
        continue;
      }
      try {
        results.push(await work(event));
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        for (const own of lanes) if (!failed.has(own)) failed.set(own, { correlationId: event.correlationId, error });
        results.push(error);
      }
    }
    return results;
  };
}
