/**
 * reconcile-cases: the RaiseCases Task of the reconciliation state machine, once the run's results
 * are loaded into Redshift (cases.json was written by summarise).
 * Imports the run's cases.json into the exceptions workbench (DynamoDB): new exceptions and
 * proposed matches are raised, cleared cases the run reports again reopen, open cases of the
 * run's accounts it no longer reports are cleared. Returns the counts (for the SNS summary).
 * Logic: src/recon/run/aws/steps.ts (importCasesStep).
 */
import middy from '@middy/core';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { importCasesStep, type ImportCasesContext, type ImportCasesEvent } from '../../src/recon/run/aws/steps';
import type { ImportOutcome } from '../../src/recon/workbench/import-cases';

export function createReconcileCasesHandler(ctx: ImportCasesContext & { logger?: Logger }): middy.MiddyfiedHandler<ImportCasesEvent, ImportOutcome> {
  const logger = ctx.logger ?? silentLogger;
  return middy<ImportCasesEvent, ImportOutcome>().handler(async function raiseCases(event) {
    const outcome = await importCasesStep(ctx, event);
    logger.info('run cases imported', { ...outcome });
    return outcome;
  });
}
