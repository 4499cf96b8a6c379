/** AWS Lambda entry point of standardise (SQS ← rule deduplicated-to-standardise). Logic: ./standardise.ts. */
import { createStandardiseHandler } from './standardise';
import { awsContext, parkExhausted } from '../../src/adapters/aws/wiring';

const context = awsContext('standardise');

export const handler = createStandardiseHandler({ publisher: context.publisher, clock: context.clock, logger: context.logger }).use(parkExhausted(context, 'standardise'));
