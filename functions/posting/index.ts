/** AWS Lambda entry point of posting (staged topology: SQS ← rule approved-to-posting). Logic: ./posting.ts. */
import { createPostingHandler } from './posting';
import { awsContext, parkExhausted, postingAdapters } from '../../src/adapters/aws/wiring';

const context = awsContext('posting');

export const handler = createPostingHandler({ ...postingAdapters(context), publisher: context.publisher }).use(parkExhausted(context, 'posting'));
