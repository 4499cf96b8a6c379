/**
 * reconcile-normalise: the reconciliation workflow's first step. Statement object → parsed,
 * checked, partitioned by account/currency for the Distributed Map; bad input → quarantine/
 * and a BadStatementFile failure. Logic: src/recon/run/aws/steps.ts (normaliseStep).
 */
import middy from '@middy/core';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { normaliseStep, type NormaliseEvent, type NormaliseResult, type StepContext } from '../../src/recon/run/aws/steps';

export function createReconcileNormaliseHandler(ctx: StepContext & { logger?: Logger }): middy.MiddyfiedHandler<NormaliseEvent, NormaliseResult> {
  const logger = ctx.logger ?? silentLogger;
  return middy<NormaliseEvent, NormaliseResult>().handler(async function normalise(event) {
    try {
      const result = await normaliseStep(ctx, event);
      logger.info(result.duplicate ? 'statement already reconciled (re-upload)' : 'statement normalised', {
        runId: event.runId,
        key: event.key,
        contentHash: result.contentHash,
        duplicate: result.duplicate,
        statementLines: result.statementLines,
        partitions: result.partitions.length,
      });
      return result;
    } catch (error) {
      logger.error('normalise failed', { runId: event.runId, key: event.key, error });
      throw error;
    }
  });
}
