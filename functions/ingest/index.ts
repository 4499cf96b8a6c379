/** AWS Lambda entry point of ingest: the EventBridge Pipe enrichment (authorisation table stream → bus). Logic: ./ingest.ts. */
import { createIngestHandler } from './ingest';
import { createLogger } from '../../src/lambda/logger';
import { systemClock } from '../../src/adapters/aws/wiring';

export const handler = createIngestHandler({ clock: systemClock, logger: createLogger({ service: 'ledgerline', function: 'ingest' }) });
