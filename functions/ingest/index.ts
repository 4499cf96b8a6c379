/** AWS Lambda entry point of ingest: the EventBridge Pipe enrichment (authorisation table stream → bus). Logic: ./ingest.ts. */
import { createIngestHandler, iteratorAgeMetricLine } from './ingest';
import { createLogger } from '../../src/lambda/logger';
import { systemClock } from '../../src/adapters/aws/wiring';
import { readFunctionConfig } from '../../src/adapters/aws/runtime-config';

const config = readFunctionConfig('ingest');
const dimensions = { Environment: config.environmentName ?? 'unknown', Pipe: config.pipeName ?? 'unknown' };

export const handler = createIngestHandler({
  clock: systemClock,
  logger: createLogger({ service: 'ledgerline', function: 'ingest' }),
  reportIteratorAge: (ageMs) => process.stdout.write(`${iteratorAgeMetricLine(ageMs, new Date(), dimensions)}\n`),
});
