/**
 * enrich: consumes `payment.standardised` (edge standardised-to-enrich), emits
 * `payment.enriched` (carrying the product it resolved, POST-3) or `payment.rejected`.
 * Domain: src/domain/enrichment.ts.
 */
import { EventTypes, type LedgerEvent } from '../../src/domain/events';
import { enrichmentEvent, resolveReference } from '../../src/domain/enrichment';
import type { Clock, EventPublisher, ReferenceData, TransactionStateStore } from '../../src/ports';
import { completeIfTracked } from '../../src/domain/transaction-state';
import type { SqsHandler } from '../../src/lambda/sqs-consumer';
import { perEvent, stageHandler, type Stage } from '../../src/lambda/stage';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';

export interface EnrichDeps {
  referenceData: ReferenceData;
  clock: Clock;
  /** When given, a rejection ends a tracked (re-driven) transaction as COMPLETED. */
  transactions?: TransactionStateStore;
  /** When given, a rejection is recorded for the flow audit (FLOW-1: no stage table keeps it otherwise). */
  flow?: { recordRejected(event: LedgerEvent): Promise<void> };
  logger?: Logger;
}

export function createEnrichStage(deps: EnrichDeps): Stage<'payment.standardised'> {
  const logger = deps.logger ?? silentLogger;
  return {
    name: 'enrich',
    accepts: [EventTypes.standardised],
    run: perEvent(async function enrichPayment(event) {
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
        // Recorded before the event is emitted: a rejection the flow audit cannot see would count as stuck.
        if (deps.flow) await deps.flow.recordRejected(next);
        if (deps.transactions) await completeIfTracked(deps.transactions, next.correlationId, deps.clock.now());
      }
      return [next];
    }),
  };
}

export function createEnrichHandler(deps: EnrichDeps & { publisher: EventPublisher }): SqsHandler {
  return stageHandler(createEnrichStage(deps), deps.publisher, deps.logger);
}
