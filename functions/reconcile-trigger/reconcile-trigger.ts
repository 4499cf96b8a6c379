/**
 * reconcile-trigger: a statement file landed in the ingest bucket (S3 "Object Created" via
 * EventBridge) → StartExecution of the reconciliation state machine, named deterministically from
 * bucket, key and version id. A duplicate notification answers ExecutionAlreadyExists (or, while
 * the first execution still runs with the same input, the same execution): nothing new starts.
 */
import middy from '@middy/core';
import { startExecution, type SFNClient } from '../../src/adapters/aws/recon-executions';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { createdObjects, isReconcilable, reconciliationExecutionName } from '../../src/recon/run/aws/objects';

export interface ReconcileTriggerDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  logger?: Logger;
}

/** The state machine's input (workflows/reconciliation.asl.json). */
export interface ReconciliationInput {
  bucket: string;
  key: string;
  versionId: string | null;
  runId: string;
}

export interface TriggerOutcome {
  executionName: string;
  bucket: string;
  key: string;
  versionId: string | null;
  outcome: 'started' | 'already-started' | 'ignored';
  executionArn?: string;
}

export function createReconcileTriggerHandler(deps: ReconcileTriggerDeps): middy.MiddyfiedHandler<unknown, { executions: TriggerOutcome[] }> {
  const logger = deps.logger ?? silentLogger;
  return middy<unknown, { executions: TriggerOutcome[] }>().handler(async function startReconciliations(event) {
    const executions: TriggerOutcome[] = [];
    for (const object of createdObjects(event)) {
      const executionName = reconciliationExecutionName(object);
      const base = { executionName, bucket: object.bucket, key: object.key, versionId: object.versionId ?? null };
      if (!isReconcilable(object)) {
        logger.info('ignored object (folder or empty)', base);
        executions.push({ ...base, outcome: 'ignored' });
        continue;
      }
      const input: ReconciliationInput = { bucket: object.bucket, key: object.key, versionId: object.versionId ?? null, runId: executionName };
      const started = await startExecution(deps.sfn, deps.stateMachineArn, executionName, input);
      if (started.outcome === 'started') {
        logger.info('reconciliation started', { ...base, executionArn: started.executionArn });
        executions.push({ ...base, outcome: 'started', executionArn: started.executionArn });
      } else {
        logger.info('reconciliation already started for this object version; nothing new started', base);
        executions.push({ ...base, outcome: 'already-started' });
      }
    }
    return { executions };
  });
}
