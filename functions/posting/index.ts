/** AWS Lambda entry point of posting (SQS ← rule approved-to-posting). Logic: ./posting.ts. */
import { createPostingHandler } from './posting';
import { awsContext, parkExhausted } from '../../src/adapters/aws/wiring';
import { DynamoLedgerStore } from '../../src/adapters/aws/dynamo-ledger-store';

const context = awsContext('posting');

export const handler = createPostingHandler({
  ledger: new DynamoLedgerStore({ client: context.dynamo, tableName: context.table('ledger'), hotAccountShards: context.config.hotAccountShards }),
  publisher: context.publisher,
  clock: context.clock,
  logger: context.logger,
}).use(parkExhausted(context, 'posting'));
