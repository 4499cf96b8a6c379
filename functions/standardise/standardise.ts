/**
 * standardise: consumes `payment.deduplicated` (route deduplicated-to-standardise), emits
 * `payment.standardised` carrying the ISO 20022 pacs.008.001.09 form of the authorisation.
 * Domain: src/domain/iso20022/pacs008.ts.
 *
 * Deterministic: the event id comes from `nextEvent` (cause id + type) and the pacs.008 content
 * only from the input event (MsgId from its id, UETR from the correlation id, CreDtTm from the
 * authorisation's transmittedAt), so a re-delivery re-emits the same event.
 */
import type { LedgerEvent } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import { pacs008MessageId, pacs008Uetr, toPacs008 } from '../../src/domain/iso20022/pacs008';
import type { Clock, EventPublisher } from '../../src/ports';
import { createSqsConsumer, type SqsHandler } from '../../src/lambda/sqs-consumer';
import { publishPerEvent } from '../../src/lambda/publish';
import type { Logger } from '../../src/lambda/logger';

export const STANDARDISE_SOURCE = 'ledgerline.standardise';

export interface StandardiseDeps {
  publisher: EventPublisher;
  clock: Clock;
  logger?: Logger;
}

/** The standardised event for a deduplicated one. */
export function standardisedEvent(event: LedgerEvent<'payment.deduplicated'>, occurredAt: string): LedgerEvent<'payment.standardised'> {
  const { authorisation, businessKey } = event.data;
  const pacs008 = toPacs008(authorisation, {
    messageId: pacs008MessageId(event.id),
    createdAt: authorisation.transmittedAt,
    uetr: pacs008Uetr(event.correlationId),
  });
  return nextEvent(event, EventTypes.standardised, STANDARDISE_SOURCE, { authorisation, businessKey, pacs008 }, occurredAt);
}

export function createStandardiseHandler(deps: StandardiseDeps): SqsHandler {
  return createSqsConsumer({
    name: 'standardise',
    accepts: [EventTypes.deduplicated],
    logger: deps.logger,
    processBatch: (events) =>
      publishPerEvent(deps.publisher, events, async function standardise(event) {
        return [standardisedEvent(event, deps.clock.now().toISOString())];
      }),
  });
}
