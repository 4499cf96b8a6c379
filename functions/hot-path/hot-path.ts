/**
 * hot-path: the fused stages in one function (FUSE-1). Consumes the route payments-to-hot-path
 * (authorisations from the Pipe; re-driven events from the sweeper) and runs dedup → standardise →
 * enrich → rules → posting → assembler on each batch in process; only outward events cross the
 * bus (FUSE-2). Each stage is its own function's logic (functions/<stage>/<stage>.ts) with its own
 * idempotency; the composition is src/use-cases/hot-path/run-hot-path.ts.
 */
import { detailTypesOf, FUSED_ROUTE } from '../../src/routes';
import type { EventType } from '../../src/domain/events';
import type { EventPublisher } from '../../src/ports';
import { createSqsConsumer, type SqsHandler } from '../../src/lambda/sqs-consumer';
import type { Logger } from '../../src/lambda/logger';
import { createHotPath, type HotPathStages } from '../../src/use-cases/hot-path/run-hot-path';

/** What the fused route delivers: every edge's events (a re-driven event enters at its stage). */
export const HOT_PATH_ACCEPTS: readonly EventType[] = detailTypesOf(FUSED_ROUTE.eventPattern);

export interface HotPathHandlerDeps {
  stages: HotPathStages;
  publisher: EventPublisher;
  logger?: Logger;
}

export function createHotPathHandler(deps: HotPathHandlerDeps): SqsHandler {
  const run = createHotPath({ stages: deps.stages, publisher: deps.publisher });
  return createSqsConsumer({ name: 'hot-path', accepts: HOT_PATH_ACCEPTS, logger: deps.logger, processBatch: (events) => run(events) });
}
