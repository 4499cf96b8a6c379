/**
 * dedup: consumes `payment.authorised` (route authorised-to-dedup), emits
 * `payment.deduplicated` or parks a `payment.duplicate-parked`. Domain: src/domain/dedup.ts.
 */
import { EventTypes } from '../../src/domain/events';
import type { DedupConfig } from '../../src/domain/dedup';
import { decideDuplicate, dedupClaim } from '../../src/domain/dedup';
import type { Clock, DedupStore, EventPublisher, ParkedDuplicateStore, TransactionStateStore } from '../../src/ports';
import { createSqsConsumer, type SqsHandler } from '../../src/lambda/sqs-consumer';
import { publishPerEvent } from '../../src/lambda/publish';
import type { Logger } from '../../src/lambda/logger';
import { completeIfTracked, markRunning } from '../../src/domain/transaction-state';

export interface DedupDeps {
  store: DedupStore;
  parking: ParkedDuplicateStore;
  transactions: TransactionStateStore;
  publisher: EventPublisher;
  clock: Clock;
  config: DedupConfig;
  logger?: Logger;
}

export function createDedupHandler(deps: DedupDeps): SqsHandler {
  return createSqsConsumer({
    name: 'dedup',
    accepts: [EventTypes.authorised],
    logger: deps.logger,
    processBatch: (events) =>
      publishPerEvent(deps.publisher, events, async function checkDuplicate(event) {
        const now = deps.clock.now();
        const claim = dedupClaim(event, Math.floor(now.getTime() / 1000), deps.config);
        const outcome = decideDuplicate(event, claim, await deps.store.claim(claim, Math.floor(now.getTime() / 1000)), now.toISOString());
        if (outcome.kind === 'duplicate') {
          await deps.parking.park(outcome.event);
          await completeIfTracked(deps.transactions, event.correlationId, now);
        } else if (outcome.kind === 'unique') {
          await markRunning(deps.transactions, event, now);
        }
        return [outcome.event];
      }),
  });
}
