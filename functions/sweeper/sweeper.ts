/**
 * sweeper: runs on a schedule (EventBridge Scheduler on AWS; after each drain in the embedded
 * runtime). Re-drives RETRYING transactions under the threshold; fails the rest. Domain: src/domain/sweeper.ts.
 */
import middy from '@middy/core';
import type { SweepResult, SweeperConfig, SweeperDeps } from '../../src/domain/sweeper';
import { sweep } from '../../src/domain/sweeper';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';

export interface SweeperHandlerDeps extends SweeperDeps {
  config: SweeperConfig;
  logger?: Logger;
}

export function createSweeperHandler(deps: SweeperHandlerDeps): middy.MiddyfiedHandler<unknown, SweepResult> {
  const logger = deps.logger ?? silentLogger;
  return middy<unknown, SweepResult>().handler(async function sweepRetryingTransactions() {
    const result = await sweep(deps, deps.config);
    logger.info('sweep finished', { ...result });
    return result;
  });
}
