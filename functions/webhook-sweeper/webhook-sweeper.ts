/**
 * webhook-sweeper: runs on a schedule (EventBridge Scheduler, e.g. every minute) and re-drives the
 * deliveries that are due: the sweeper pattern (SWEEP-1/2) over the delivery state, HOOK-2.
 * Logic: src/use-cases/deliver-webhook/sweep.ts.
 */
import middy from '@middy/core';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import type { DeliverDeps } from '../../src/use-cases/deliver-webhook/deliver';
import type { DeliverySweepConfig, DeliverySweepResult } from '../../src/use-cases/deliver-webhook/sweep';
import { DEFAULT_DELIVERY_SWEEP_CONFIG, sweepDeliveries } from '../../src/use-cases/deliver-webhook/sweep';

export function createWebhookSweeperHandler(
  deps: DeliverDeps,
  config: DeliverySweepConfig = DEFAULT_DELIVERY_SWEEP_CONFIG,
  logger: Logger = silentLogger,
): middy.MiddyfiedHandler<unknown, DeliverySweepResult> {
  return middy<unknown, DeliverySweepResult>().handler(async function sweepDueDeliveries() {
    const result = await sweepDeliveries(deps, config);
    logger.info('webhook sweep finished', { ...result });
    return result;
  });
}
