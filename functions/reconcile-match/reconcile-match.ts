/**
 * reconcile-match: one Distributed Map item = one chunk of account/currency partitions, each
 * through the ONE matcher (matchPartition). Logic: src/recon/run/aws/steps.ts (matchStep).
 */
import middy from '@middy/core';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { matchStep, type MatchEvent, type MatchStepResult, type StepContext } from '../../src/recon/run/aws/steps';

export function createReconcileMatchHandler(ctx: StepContext & { logger?: Logger }): middy.MiddyfiedHandler<MatchEvent, MatchStepResult> {
  const logger = ctx.logger ?? silentLogger;
  return middy<MatchEvent, MatchStepResult>().handler(async function matchChunk(event) {
    const result = await matchStep(ctx, event);
    logger.info('partition matched', { runId: event.runId, ...result });
    return result;
  });
}
