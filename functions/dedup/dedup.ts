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
import { stageHandler, toError, type Stage, type StageResult } from '../../src/lambda/stage';
import { businessKey } from '../../src/domain/dedup';
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
    // Per business key, deliveries keep their order: once one fails, later ones of the same key
    // in the batch fail with it and are retried after it, so a retry never lets a re-send claim
    // the key before its original.
    async run(events) {
      const results: StageResult[] = [];
      const failedKeys = new Set<string>();
      for (const event of events) {
        const key = businessKey(event.data.authorisation);
        if (failedKeys.has(key)) {
          results.push(new Error(`held behind an earlier delivery of business key ${key}, which failed`));
          continue;
        }
        try {
          results.push(await checkDuplicate(event));
        } catch (error) {
          failedKeys.add(key);
          results.push(toError(error));
        }
      }
      return results;
    },
  };

  async function checkDuplicate(event: LedgerEvent<'payment.authorised'>): Promise<LedgerEvent[]> {
    const now = deps.clock.now();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const claim = dedupClaim(event, nowSeconds, deps.config);
    const outcome = decideDuplicate(event, claim, await deps.store.claim(claim, nowSeconds), now.toISOString());
    if (outcome.kind === 'duplicate') {
      await deps.parking.park(outcome.event);
      await completeIfTracked(deps.transactions, event.correlationId, now);
    }
    return [outcome.event];
  }
}

export function createDedupHandler(deps: DedupDeps & { publisher: EventPublisher }): SqsHandler {
  return stageHandler(createDedupStage(deps), deps.publisher, deps.logger);
}
