/** AWS Lambda entry point of reconcile-summarise (Task of the reconciliation state machine). Logic: ./reconcile-summarise.ts. */
import { S3Client } from '@aws-sdk/client-s3';
import { createReconcileSummariseHandler } from './reconcile-summarise';
import { createLogger } from '../../src/lambda/logger';
import { readReconFunctionConfig } from '../../src/recon/run/aws/config';

readReconFunctionConfig('reconcile-summarise');

export const handler = createReconcileSummariseHandler({ s3: new S3Client({}), logger: createLogger({ service: 'ledgerline', function: 'reconcile-summarise' }) });
