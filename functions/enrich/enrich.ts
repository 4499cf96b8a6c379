/**
 * enrich: consumes `payment.standardised` (route standardised-to-enrich), emits
 * `payment.enriched` or `payment.rejected`. Domain: src/domain/enrichment.ts.
 */
import { EventTypes } from '../../src/domain/events';
import { enrichmentEvent, resolveReference } from '../../src/domain/enrichment';
import type { Clock, EventPublisher, ReferenceData, TransactionStateStore } from '../../src/ports';
import { markCompleted } from '../../src/domain/transaction-state';
import { createSqsConsumer, type SqsHandler } from '../../src/lambda/sqs-consumer';
import { publishPerEvent } from '../../src/lambda/publish';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';

export interface EnrichDeps {
  referenceData: ReferenceData;
  publisher: EventPublisher;
  clock: Clock;
  /** When given, a rejection ends the transaction (COMPLETED) in the transaction-state store. */
  transactions?: TransactionStateStore;
  logger?: Logger;
}

export function createEnrichHandler(deps: EnrichDeps): SqsHandler {
  const logger = deps.logger ?? silentLogger;
  return createSqsConsumer({
    name: 'enrich',
    accepts: [EventTypes.standardised],
    logger: deps.logger,
    processBatch: (events) =>
      publishPerEvent(deps.publisher, events, async function enrichPayment(event) {
        const reference = await resolveReference(event.data.authorisation, deps.referenceData);
        const next = enrichmentEvent(event, reference, deps.clock.now().toISOString());
        if (next.type === EventTypes.rejected) {
          logger.warn('payment rejected by enrichment', {
            consumer: 'enrich',
            authorizationId: next.data.authorisation.authorizationId,
            correlationId: next.correlationId,
            reason: next.data.reason,
            detail: next.data.detail,
          });
          if (deps.transactions) await markCompleted(deps.transactions, next.correlationId, next.data.authorisation.authorizationId, deps.clock.now());
        }
        return [next];
      }),
  });
}
