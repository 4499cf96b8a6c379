/**
 * AWS Lambda entry point of the webhook sweeper (EventBridge Scheduler). Logic: ./webhook-sweeper.ts.
 * Deployed by the app stack on its schedule, with the notifier's environment (functions/notify/config.ts).
 */
import { createWebhookSweeperHandler } from './webhook-sweeper';
import { readNotifyConfig } from '../notify/config';
import { awsNotifyDeps } from '../notify/wiring';
import { createLogger } from '../../src/lambda/logger';

export const handler = createWebhookSweeperHandler(awsNotifyDeps(readNotifyConfig()), undefined, createLogger({ service: 'ledgerline', function: 'webhook-sweeper' }));
