/**
 * enrich: consumes `payment.standardised` (route standardised-to-enrich), emits
 * `payment.enriched` or `payment.rejected`. Domain: src/domain/enrichment.ts.
 */
import { EventTypes } from '../../src/domain/events';
import { enrichmentEvent, resolveReference } from '../../src/domain/enrichment';
import type { Clock, EventPublisher, ReferenceData } from '../../src/ports';
import { createSqsConsumer, type SqsHandler } from '../../src/lambda/sqs-consumer';
import { publishPerEvent } from '../../src/lambda/publish';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';

export interface EnrichDeps {
  referenceData: ReferenceData;
  publisher: EventPublisher;
  clock: Clock;
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
        }
        return [next];
      }),
  });
}
