/** AWS Lambda entry point of reconcile-normalise (Task of the reconciliation state machine). Logic: ./reconcile-normalise.ts. */
import { S3Client } from '@aws-sdk/client-s3';
import { createReconcileNormaliseHandler } from './reconcile-normalise';
import { createLogger } from '../../src/lambda/logger';
import { readReconFunctionConfig } from '../../src/recon/run/aws/config';

const config = readReconFunctionConfig('reconcile-normalise');

export const handler = createReconcileNormaliseHandler({
  s3: new S3Client({}),
  quarantinePrefix: config.quarantinePrefix,
  registryPrefix: config.registryPrefix,
  logger: createLogger({ service: 'ledgerline', function: 'reconcile-normalise' }),
});
