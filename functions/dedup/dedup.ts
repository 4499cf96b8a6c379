/**
 * dedup: consumes `payment.authorised` (edge authorised-to-dedup), emits `payment.deduplicated`
 * or parks a `payment.duplicate-parked`. Domain: src/domain/dedup.ts.
 *
 * A unique payment writes nothing but its claim: no transaction-state row on the happy path
 * (LEDGER-1); the failure path (park-exhausted) creates one when a payment must be re-driven.
 */
import { EventTypes } from '../../src/domain/events';
import type { LedgerEvent } from '../../src/domain/events';
import type { DedupConfig } from '../../src/domain/dedup';
import { decideDuplicate, dedupClaim } from '../../src/domain/dedup';
import type { Clock, DedupStore, EventPublisher, ParkedDuplicateStore, TransactionStateStore } from '../../src/ports';
import type { SqsHandler } from '../../src/lambda/sqs-consumer';
import { stageHandler, type Stage } from '../../src/lambda/stage';
import { dedupLanes, inLaneOrder } from '../../src/domain/order-lanes';
import type { Logger } from '../../src/lambda/logger';
import { completeIfTracked } from '../../src/domain/transaction-state';

export interface DedupDeps {
  store: DedupStore;
  parking: ParkedDuplicateStore;
  transactions: TransactionStateStore;
  clock: Clock;
  config: DedupConfig;
  logger?: Logger;
}

export function createDedupStage(deps: DedupDeps): Stage<'payment.authorised'> {
  return {
    name: 'dedup',
    accepts: [EventTypes.authorised],
    // CHAOS-1: in business-key order: after a delivery fails, a later re-send of its
    // key in the batch is held and retried after it, so it never claims the key first.
    run: inLaneOrder(dedupLanes, async function checkDuplicate(event: LedgerEvent<'payment.authorised'>): Promise<readonly LedgerEvent[]> {
      const now = deps.clock.now();
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const claim = dedupClaim(event, nowSeconds, deps.config);
      const outcome = decideDuplicate(event, claim, await deps.store.claim(claim, nowSeconds), now.toISOString());
      if (outcome.kind === 'duplicate') {
        await deps.parking.park(outcome.event);
        await completeIfTracked(deps.transactions, event.correlationId, now);
      }
      return [outcome.event];
    }),
  };
}

export function createDedupHandler(deps: DedupDeps & { publisher: EventPublisher }): SqsHandler {
  return stageHandler(createDedupStage(deps), deps.publisher, deps.logger);
}
