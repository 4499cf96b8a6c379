/** AWS Lambda entry point of assembler (SQS ← rule legs-to-assembler). Logic: ./assembler.ts. */
import { createAssemblerHandler } from './assembler';
import { awsContext, parkExhausted } from '../../src/adapters/aws/wiring';
import { DynamoSequenceStore } from '../../src/adapters/aws/dynamo-sequence-store';
import { S3PostingOutbox } from '../../src/adapters/aws/s3-stores';

const context = awsContext('assembler');

export const handler = createAssemblerHandler({
  sequences: new DynamoSequenceStore({ client: context.dynamo, tableName: context.table('sequences') }),
  outbox: new S3PostingOutbox({ client: context.s3, bucket: context.config.ingestBucket!, prefix: context.config.outboxPrefix }),
  transactions: context.transactions,
  publisher: context.publisher,
  clock: context.clock,
  logger: context.logger,
}).use(parkExhausted(context, 'assembler'));
