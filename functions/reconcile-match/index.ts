/** AWS Lambda entry point of reconcile-match (Distributed Map item processor). Logic: ./reconcile-match.ts. */
import { S3Client } from '@aws-sdk/client-s3';
import { createReconcileMatchHandler } from './reconcile-match';
import { createLogger } from '../../src/lambda/logger';
import { readReconFunctionConfig } from '../../src/recon/run/aws/config';

readReconFunctionConfig('reconcile-match');

export const handler = createReconcileMatchHandler({ s3: new S3Client({}), logger: createLogger({ service: 'ledgerline', function: 'reconcile-match' }) });
