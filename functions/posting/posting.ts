/**
 * posting: consumes approved `payment.rules-decided` (route approved-to-posting), writes the
 * balanced legs append-only and updates each account's balance ONCE per batch (hot accounts),
 * then emits one `posting.leg-recorded` per leg. Domain: src/domain/posting.ts.
 */
import type { LedgerEvent, PostingLeg } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import { buildPostingLegs } from '../../src/domain/posting';
import type { Clock, EventPublisher, LedgerStore } from '../../src/ports';
import { createSqsConsumer, type BatchResults, type SqsHandler } from '../../src/lambda/sqs-consumer';
import type { Logger } from '../../src/lambda/logger';

export interface PostingDeps {
  ledger: LedgerStore;
  publisher: EventPublisher;
  clock: Clock;
  logger?: Logger;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function createPostingHandler(deps: PostingDeps): SqsHandler {
  return createSqsConsumer({
    name: 'posting',
    accepts: [EventTypes.rulesDecided],
    logger: deps.logger,
    async processBatch(events): Promise<BatchResults> {
      const results: (Error | undefined)[] = new Array(events.length).fill(undefined);
      const legsByEvent: PostingLeg[][] = events.map((event, index) => {
        try {
          return buildPostingLegs(event.correlationId, event.data);
        } catch (error) {
          results[index] = toError(error);
          return [];
        }
      });
      try {
        // One call for the whole batch: one balance update per account. Re-delivered legs are
        // skipped by the store; we still re-emit them (same ids), so a crash between the write
        // and the publish loses nothing.
        await deps.ledger.recordLegs(legsByEvent.flat());
      } catch (batchError) {
        // Isolate the poison: record each payment on its own so one bad payment cannot hold
        // its batch-mates hostage through every redelivery. Idempotent, so retrying is safe.
        deps.logger?.warn('batch posting failed; isolating payments', { error: batchError, batchSize: events.length });
        for (let index = 0; index < events.length; index += 1) {
          if (results[index] || legsByEvent[index]!.length === 0) continue;
          try {
            await deps.ledger.recordLegs(legsByEvent[index]!);
          } catch (error) {
            results[index] = toError(error);
            legsByEvent[index] = [];
          }
        }
      }
      const occurredAt = deps.clock.now().toISOString();
      const outputs: LedgerEvent[] = [];
      legsByEvent.forEach((legs, index) => {
        const cause = events[index]!;
        for (const leg of legs) outputs.push(nextEvent(cause, EventTypes.legRecorded, 'ledgerline.posting', leg, occurredAt, String(leg.legIndex)));
      });
      if (outputs.length > 0) {
        try {
          await deps.publisher.publish(outputs);
        } catch (error) {
          return events.map((_event, index) => results[index] ?? toError(error));
        }
      }
      return results;
    },
  });
}
