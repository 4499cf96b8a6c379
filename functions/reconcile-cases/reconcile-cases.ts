/**
 * reconcile-cases: the RaiseCases Task of the reconciliation state machine, once the run's results
 * are loaded into Redshift (cases.json was written by summarise).
 * Imports the run's cases.json into the exceptions workbench (DynamoDB): new exceptions and
 * proposed matches are raised, cleared cases the run reports again reopen, open cases of the
 * run's accounts it no longer reports are cleared. Then the committed run is announced on the
 * event bus (NOTIFY-1: reconciliation.completed, prepared by summarise; a failed publish fails the
 * step with TransientStoreError and the state machine retries it). Returns the counts (for the SNS
 * summary); the log says how many events were announced.
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
    let announced = 0;
    const outcome = await importCasesStep({ ...ctx, onAnnounced: (events) => (announced = events) }, event);
    logger.info('run cases imported and the run announced', { ...outcome, announced });
    return outcome;
  });
}
