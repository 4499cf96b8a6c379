/**
 * AWS Lambda entry point of the notifier (SQS of outward events). Logic: ./notify.ts.
 * Not deployed yet: named entry.ts, not index.ts, so the bundler and the synth (which deploy every
 * functions/<name>/index.ts) leave it out until the stacks wire it; then rename it index.ts.
 */
import { createNotifyHandler } from './notify';
import { readNotifyConfig } from './config';
import { awsNotifyDeps } from './wiring';
import { createLogger } from '../../src/lambda/logger';

export const handler = createNotifyHandler(awsNotifyDeps(readNotifyConfig()), createLogger({ service: 'ledgerline', function: 'notify' }));
