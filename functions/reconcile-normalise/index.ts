/** AWS Lambda entry point of reconcile-normalise (Task of the reconciliation state machine). Logic: ./reconcile-normalise.ts. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { createReconcileNormaliseHandler } from './reconcile-normalise';
import { DynamoLedgerStore } from '../../src/adapters/aws/dynamo-ledger-store';
import { createLogger } from '../../src/lambda/logger';
import { readReconFunctionConfig } from '../../src/recon/run/aws/config';

const config = readReconFunctionConfig('reconcile-normalise');
const ledgerTable = config.ledgerTableName;

export const handler = createReconcileNormaliseHandler({
  s3: new S3Client({}),
  quarantinePrefix: config.quarantinePrefix,
  registryPrefix: config.registryPrefix,
  // REC-1: the posting ledger's journal as the ledger side, when the function is given the table.
  ...(ledgerTable
    ? {
        journal: Object.assign(new DynamoLedgerStore({ client: new DynamoDBClient({}), tableName: ledgerTable }), { source: `dynamodb://${ledgerTable}` }),
      }
    : {}),
  logger: createLogger({ service: 'ledgerline', function: 'reconcile-normalise' }),
});
