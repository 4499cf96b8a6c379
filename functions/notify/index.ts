/**
 * AWS Lambda entry point of the notifier (SQS of outward events). Logic: ./notify.ts.
 * Deployed by the app stack (stacks/lib/notify.ts): the outward-events queue feeds it.
 */
import { createNotifyHandler } from './notify';
import { readNotifyConfig } from './config';
import { awsNotifyDeps } from './wiring';
import { createLogger } from '../../src/lambda/logger';

export const handler = createNotifyHandler(awsNotifyDeps(readNotifyConfig()), createLogger({ service: 'ledgerline', function: 'notify' }));
