/** AWS Lambda entry point of standardise (staged topology: SQS ← rule deduplicated-to-standardise). Logic: ./standardise.ts. */
import { createStandardiseHandler } from './standardise';
import { awsContext, parkExhausted, standardiseAdapters } from '../../src/adapters/aws/wiring';

const context = awsContext('standardise');

export const handler = createStandardiseHandler({ ...standardiseAdapters(context), publisher: context.publisher }).use(parkExhausted(context, 'standardise'));
