/**
 * hot-path: the fused stages in one function (FUSE-1). Consumes the route payments-to-hot-path
 * (authorisations from the Pipe; re-driven events from the sweeper) and runs dedup → standardise →
 * enrich → rules → posting → assembler on each batch in process; only outward events cross the
 * bus (FUSE-2). Each stage is its own function's logic (functions/<stage>/<stage>.ts) with its own
 * idempotency; the composition is src/use-cases/hot-path/run-hot-path.ts.
 *
 * CHAOS-1: a card's payments are decided in batch order. Dedup and rules hold a lane within their
 * own call (src/domain/order-lanes.ts); across the fused stages, a payment that failed at any
 * stage up to rules (say its reference data was throttled at enrich) holds the later payments of
 * its card at rules, so a retried earlier payment never finds a later one already counted.
 */
import { detailTypesOf, FUSED_ROUTE } from '../../src/routes';
import type { EventType, LedgerEvent } from '../../src/domain/events';
import type { EventPublisher } from '../../src/ports';
import { createSqsConsumer, type SqsHandler } from '../../src/lambda/sqs-consumer';
import type { Logger } from '../../src/lambda/logger';
import type { Stage, StageResult } from '../../src/lambda/stage';
import { createHotPath, type HotPathStages } from '../../src/use-cases/hot-path/run-hot-path';
import { cardLane, HeldBehindError, type LaneFailure } from '../../src/domain/order-lanes';

/** What the fused route delivers: every edge's events (a re-driven event enters at its stage). */
export const HOT_PATH_ACCEPTS: readonly EventType[] = detailTypesOf(FUSED_ROUTE.eventPattern);

export interface HotPathHandlerDeps {
  stages: HotPathStages;
  publisher: EventPublisher;
  logger?: Logger;
}

interface PositionedFailure extends LaneFailure {
  position: number;
}

/**
 * The stages for one invocation's batch with card order kept across them: each stage's failures
 * are noted per card with the batch position of the payment; at rules, the payments are decided
 * in batch order, whatever stage they entered at, and a payment whose card failed at an earlier
 * position is held (HeldBehindError) instead of decided. Built per batch, so concurrent
 * invocations share nothing.
 */
export function cardOrderedStages(stages: HotPathStages, batch: readonly LedgerEvent[]): HotPathStages {
  const positions = new Map<string, number>();
  batch.forEach((event, index) => {
    if (!positions.has(event.correlationId)) positions.set(event.correlationId, index);
  });
  const failed = new Map<string, PositionedFailure>();
  const noteFailure = (event: LedgerEvent, error: Error): void => {
    const lane = cardLane(event);
    const position = positions.get(event.correlationId);
    if (lane === undefined || position === undefined) return;
    const earlier = failed.get(lane);
    if (earlier && earlier.position <= position) return;
    // A held payment passes on what it waits for, so every hold names the root failure.
    const root = error instanceof HeldBehindError ? error.blockedBy : { correlationId: event.correlationId, error };
    failed.set(lane, { position, correlationId: root.correlationId, error: root.error });
  };
  const blockerOf = (event: LedgerEvent): { lane: string; failure: PositionedFailure } | undefined => {
    const lane = cardLane(event);
    const position = positions.get(event.correlationId);
    if (lane === undefined || position === undefined) return undefined;
    const failure = failed.get(lane);
    return failure && failure.position < position ? { lane, failure } : undefined;
  };
  const positionOf = (event: LedgerEvent): number => positions.get(event.correlationId) ?? Number.MAX_SAFE_INTEGER;
  const ordered = <S extends Stage<never>>(stage: S, holds: boolean): S => ({
    ...stage,
    run: async (events: LedgerEvent[]): Promise<StageResult[]> => {
      const results: StageResult[] = new Array(events.length);
      const runnable: number[] = [];
      events.forEach((event, index) => {
        const blocker = holds ? blockerOf(event) : undefined;
        if (blocker) results[index] = new HeldBehindError(blocker.lane, blocker.failure);
        else runnable.push(index);
      });
      // At rules, in batch order: a re-driven or repaired event that enters at rules reaches it
      // before the batch's authorisations have come through enrich, yet an earlier payment of its
      // card in the batch must still be decided first (its velocity count and card history).
      if (holds) runnable.sort((a, b) => positionOf(events[a]!) - positionOf(events[b]!) || a - b);
      const ran = runnable.length === 0 ? [] : await stage.run(runnable.map((index) => events[index]!) as never[]);
      runnable.forEach((index, i) => (results[index] = ran[i]!));
      events.forEach((event, index) => {
        const result = results[index];
        if (result instanceof Error) noteFailure(event, result);
      });
      return results;
    },
  });
  return {
    dedup: ordered(stages.dedup as never, false),
    standardise: ordered(stages.standardise as never, false),
    enrich: ordered(stages.enrich as never, false),
    rules: ordered(stages.rules as never, true),
    posting: stages.posting,
    assembler: stages.assembler,
  };
}

export function createHotPathHandler(deps: HotPathHandlerDeps): SqsHandler {
  return createSqsConsumer({
    name: 'hot-path',
    accepts: HOT_PATH_ACCEPTS,
    logger: deps.logger,
    processBatch: (events) => createHotPath({ stages: cardOrderedStages(deps.stages, events), publisher: deps.publisher })(events),
  });
}
