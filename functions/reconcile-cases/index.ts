/** AWS Lambda entry point of reconcile-cases (RaiseCases Task of the reconciliation state machine). Logic: ./reconcile-cases.ts. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { createReconcileCasesHandler } from './reconcile-cases';
import { DynamoWorkbenchStore } from '../../src/adapters/aws/dynamo-workbench-store';
import { createLogger } from '../../src/lambda/logger';
import { readReconFunctionConfig } from '../../src/recon/run/aws/config';

const config = readReconFunctionConfig('reconcile-cases');

export const handler = createReconcileCasesHandler({
  s3: new S3Client({}),
  // WORKBENCH_TABLE is required for reconcile-cases: the reader above has failed without it.
  store: new DynamoWorkbenchStore({ client: new DynamoDBClient({}), tableName: config.workbenchTableName! }),
  logger: createLogger({ service: 'ledgerline', function: 'reconcile-cases' }),
});
