/** AWS Lambda entry point of reconcile-cases (RaiseCases Task of the reconciliation state machine). Logic: ./reconcile-cases.ts. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createReconcileCasesHandler } from './reconcile-cases';
import { DynamoWorkbenchStore } from '../../src/adapters/aws/dynamo-workbench-store';
import { EventBridgeOutwardPublisher } from '../../src/adapters/aws/notify-outward';
import { createLogger } from '../../src/lambda/logger';
import { readReconFunctionConfig } from '../../src/recon/run/aws/config';

const config = readReconFunctionConfig('reconcile-cases');

export const handler = createReconcileCasesHandler({
  s3: new S3Client({}),
  // WORKBENCH_TABLE is required for reconcile-cases: the reader above has failed without it.
  store: new DynamoWorkbenchStore({ client: new DynamoDBClient({}), tableName: config.workbenchTableName! }),
  // NOTIFY-1: EVENT_BUS_NAME is required too: the committed run is announced there (reconciliation.completed).
  outward: new EventBridgeOutwardPublisher({ client: new EventBridgeClient({}), busName: config.eventBusName! }),
  logger: createLogger({ service: 'ledgerline', function: 'reconcile-cases' }),
});
