/**
 * reconcile-summarise: after the Distributed Map, merges every chunk's result (mergeResults),
 * writes matches.csv / exceptions.csv / summary.json and the Redshift load files, and returns
 * the summary (for SNS) and the load SQL (for the Redshift Data API step).
 * Logic: src/recon/run/aws/steps.ts (summariseStep).
 */
import middy from '@middy/core';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { summariseStep, type StepContext, type SummariseEvent, type SummariseResult } from '../../src/recon/run/aws/steps';

export function createReconcileSummariseHandler(ctx: StepContext & { logger?: Logger }): middy.MiddyfiedHandler<SummariseEvent, SummariseResult> {
  const logger = ctx.logger ?? silentLogger;
  return middy<SummariseEvent, SummariseResult>().handler(async function summarise(event) {
    const result = await summariseStep(ctx, event);
    logger.info('run summarised', { runId: event.runId, ...result.summary.matched, unmatchedStatement: result.summary.unmatchedStatement, unmatchedLedger: result.summary.unmatchedLedger });
    return result;
  });
}
