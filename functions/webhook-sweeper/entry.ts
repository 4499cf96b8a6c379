/**
 * AWS Lambda entry point of the webhook sweeper (EventBridge Scheduler). Logic: ./webhook-sweeper.ts.
 * Not deployed yet: entry.ts, not index.ts (see functions/notify/entry.ts).
 */
import { createWebhookSweeperHandler } from './webhook-sweeper';
import { readNotifyConfig } from '../notify/config';
import { awsNotifyDeps } from '../notify/wiring';
import { createLogger } from '../../src/lambda/logger';

export const handler = createWebhookSweeperHandler(awsNotifyDeps(readNotifyConfig()), undefined, createLogger({ service: 'ledgerline', function: 'webhook-sweeper' }));
