/** AWS Lambda entry point of assembler (staged topology: SQS ← rule recorded-to-assembler). Logic: ./assembler.ts. */
import { createAssemblerHandler } from './assembler';
import { assemblerAdapters, awsContext, parkExhausted } from '../../src/adapters/aws/wiring';

const context = awsContext('assembler');

export const handler = createAssemblerHandler({ ...assemblerAdapters(context), publisher: context.publisher }).use(parkExhausted(context, 'assembler'));
