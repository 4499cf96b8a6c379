/** AWS Lambda entry point of the notifier (SQS of outward events). Logic: ./notify.ts. Not deployed yet. */
import { createNotifyHandler } from './notify';
import { readNotifyConfig } from './config';
import { awsNotifyDeps } from './wiring';
import { createLogger } from '../../src/lambda/logger';

export const handler = createNotifyHandler(awsNotifyDeps(readNotifyConfig()), createLogger({ service: 'ledgerline', function: 'notify' }));
