/** AWS Lambda entry point of enrich (staged topology: SQS ← rule standardised-to-enrich). Logic: ./enrich.ts. */
import { createEnrichHandler } from './enrich';
import { awsContext, enrichAdapters, parkExhausted } from '../../src/adapters/aws/wiring';

const context = awsContext('enrich');

export const handler = createEnrichHandler({ ...enrichAdapters(context), publisher: context.publisher }).use(parkExhausted(context, 'enrich'));
