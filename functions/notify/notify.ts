/**
 * notify: the outward lifecycle events (an SQS queue fed by an EventBridge rule on the outward
 * types) → their notifications (NOTIFY-1/2, HOOK-2). Each record is one event: its deliveries are
 * rendered, recorded under deterministic ids and attempted; what fails is parked RETRYING for the
 * webhook sweeper, never dropped. A record fails (and SQS re-delivers it) only when the event
 * could not be processed at all (a store error, its authorisation not found yet): seeing it again
 * creates nothing twice. Logic: src/use-cases/notify/notify.ts.
 */
import { EventTypes } from '../../src/domain/events';
import type { SqsHandler } from '../../src/lambda/sqs-consumer';
import { createSqsConsumer } from '../../src/lambda/sqs-consumer';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import type { NotifyDeps } from '../../src/use-cases/notify/notify';
import { notifyEvent } from '../../src/use-cases/notify/notify';

/** The outward events that notify anyone (src/notify/mapping.ts NOTIFICATION_ROUTES). */
export const NOTIFY_ACCEPTS = [EventTypes.postingCompleted, EventTypes.rulesDecided, EventTypes.rejected, EventTypes.postingFailed] as const;

export function createNotifyHandler(deps: NotifyDeps, logger: Logger = silentLogger): SqsHandler {
  return createSqsConsumer({
    name: 'notify',
    accepts: NOTIFY_ACCEPTS,
    logger,
    processBatch: async (events) => {
      const results: (Error | undefined)[] = [];
      for (const event of events) {
        try {
          const result = await notifyEvent(deps, event);
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
