/** AWS Lambda entry point of dedup (SQS ← rule authorised-to-dedup). Logic: ./dedup.ts. */
import { createDedupHandler } from './dedup';
import { awsContext, parkExhausted } from '../../src/adapters/aws/wiring';
import { DynamoDedupStore } from '../../src/adapters/aws/dynamo-dedup-store';
import { S3ParkedDuplicateStore } from '../../src/adapters/aws/s3-stores';

const context = awsContext('dedup');

export const handler = createDedupHandler({
  store: new DynamoDedupStore({ client: context.dynamo, tableName: context.table('dedup') }),
  parking: new S3ParkedDuplicateStore({ client: context.s3, bucket: context.config.ingestBucket!, prefix: context.config.parkedPrefix }),
  transactions: context.transactions,
  publisher: context.publisher,
  clock: context.clock,
  config: { windowSeconds: context.config.dedupWindowSeconds },
  logger: context.logger,
}).use(parkExhausted(context, 'dedup'));
