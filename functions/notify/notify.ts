/**
 * notify: the outward events (an SQS queue fed by an EventBridge rule on the types that notify:
 * src/routes.ts OUTWARD_NOTIFY_ROUTE) → their notifications (NOTIFY-1/2, HOOK-2). Each record is one event: its deliveries are
 * rendered, recorded under deterministic ids and attempted; what fails is parked RETRYING for the
 * webhook sweeper, never dropped. A record fails (and SQS re-delivers it) only when the event
 * could not be processed at all (a store error, its authorisation not found yet): seeing it again
 * creates nothing twice. Logic: src/use-cases/notify/notify.ts.
 */
import type { EventType } from '../../src/domain/events';
import type { NotifiableEvent } from '../../src/notify/mapping';
import { NOTIFYING_EVENT_TYPES } from '../../src/notify/mapping';
import type { SqsHandler } from '../../src/lambda/sqs-consumer';
import { createSqsConsumer } from '../../src/lambda/sqs-consumer';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import type { NotifyDeps } from '../../src/use-cases/notify/notify';
import { notifyEvent } from '../../src/use-cases/notify/notify';

/**
 * The outward events that notify anyone: the one list (src/notify/mapping.ts NOTIFYING_EVENT_TYPES,
 * read off NOTIFICATION_ROUTES), the posting lifecycle's and reconciliation's and the workbench's
 * (reconciliation.completed, workbench.write-off-approved: schemas/index.ts OUTWARD_EVENT_SCHEMAS).
 * The SQS consumer is typed for ledger events; the validator knows the two outward ones too.
 */
export const NOTIFY_ACCEPTS = NOTIFYING_EVENT_TYPES as readonly EventType[];

export function createNotifyHandler(deps: NotifyDeps, logger: Logger = silentLogger): SqsHandler {
  return createSqsConsumer({
    name: 'notify',
    accepts: NOTIFY_ACCEPTS,
    logger,
    processBatch: async (events) => {
      const results: (Error | undefined)[] = [];
      for (const event of events) {
        try {
          const result = await notifyEvent(deps, event as NotifiableEvent);
          for (const delivery of result.deliveries) {
            if (delivery.status === 'FAILED')
              logger.warn('delivery dead-lettered', { deliveryId: delivery.deliveryId, channel: delivery.channel, recipient: delivery.recipient, reason: delivery.lastError });
          }
          results.push(undefined);
        } catch (error) {
          results.push(error instanceof Error ? error : new Error(String(error)));
        }
      }
      return results;
    },
  });
}
