/**
 * standardise: consumes `payment.deduplicated` (edge deduplicated-to-standardise), emits
 * `payment.standardised` carrying the ISO 20022 pacs.008.001.09 form of the authorisation (FR5).
 * Domain: src/domain/iso20022/pacs008.ts.
 *
 * The pacs.008 document is this stage's output, written once in the standardised event; later
 * events do not carry it (POST-3).
 *
 * Deterministic: the event id comes from `nextEvent` (cause id + type) and the pacs.008 content
 * only from the input event (MsgId from its id, UETR from the correlation id, CreDtTm from the
 * authorisation's transmittedAt), so a re-delivery re-emits the same event.
 */
import type { LedgerEvent } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import { pacs008MessageId, pacs008Uetr, toPacs008 } from '../../src/domain/iso20022/pacs008';
import type { Clock, EventPublisher } from '../../src/ports';
import type { SqsHandler } from '../../src/lambda/sqs-consumer';
import { perEvent, stageHandler, type Stage } from '../../src/lambda/stage';
import type { Logger } from '../../src/lambda/logger';

export const STANDARDISE_SOURCE = 'ledgerline.standardise';

export interface StandardiseDeps {
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

export function createStandardiseStage(deps: StandardiseDeps): Stage<'payment.deduplicated'> {
  return {
    name: 'standardise',
    accepts: [EventTypes.deduplicated],
    run: perEvent(async function standardise(event) {
      return [standardisedEvent(event, deps.clock.now().toISOString())];
    }),
  };
}

export function createStandardiseHandler(deps: StandardiseDeps & { publisher: EventPublisher }): SqsHandler {
  return stageHandler(createStandardiseStage(deps), deps.publisher, deps.logger);
}
