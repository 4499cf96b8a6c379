/** AWS Lambda entry point of enrich (SQS ← rule standardised-to-enrich). Logic: ./enrich.ts. */
import { createEnrichHandler } from './enrich';
import { awsContext, lazyReferenceData, parkExhausted } from '../../src/adapters/aws/wiring';

const context = awsContext('enrich');

export const handler = createEnrichHandler({
  referenceData: lazyReferenceData(context),
  publisher: context.publisher,
  clock: context.clock,
  transactions: context.transactions,
  logger: context.logger,
}).use(parkExhausted(context, 'enrich'));
