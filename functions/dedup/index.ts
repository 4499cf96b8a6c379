/** AWS Lambda entry point of dedup (staged topology: SQS ← rule authorised-to-dedup). Logic: ./dedup.ts. */
import { createDedupHandler } from './dedup';
import { awsContext, dedupAdapters, parkExhausted } from '../../src/adapters/aws/wiring';

const context = awsContext('dedup');

export const handler = createDedupHandler({ ...dedupAdapters(context), publisher: context.publisher }).use(parkExhausted(context, 'dedup'));
