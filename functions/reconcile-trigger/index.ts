/** AWS Lambda entry point of reconcile-trigger (EventBridge rule statement-uploaded). Logic: ./reconcile-trigger.ts. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { createReconcileTriggerHandler } from './reconcile-trigger';
import { createLogger } from '../../src/lambda/logger';
import { readReconFunctionConfig } from '../../src/recon/run/aws/config';

const config = readReconFunctionConfig('reconcile-trigger');

export const handler = createReconcileTriggerHandler({
  sfn: new SFNClient({}),
  stateMachineArn: config.stateMachineArn!,
  logger: createLogger({ service: 'ledgerline', function: 'reconcile-trigger' }),
});
