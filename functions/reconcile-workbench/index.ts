/**
 * AWS Lambda entry point of reconcile-workbench (target of the internal ALB). Logic:
 * ./reconcile-workbench.ts. Configuration is read once at cold start
 * (src/adapters/aws/workbench-config.ts); the ALB public keys are fetched with global fetch.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createWorkbenchLambda } from './reconcile-workbench';
import { AlbOidcAuthenticator, fetchAlbPublicKey } from '../../src/adapters/aws/alb-oidc-authenticator';
import { DynamoWorkbenchStore } from '../../src/adapters/aws/dynamo-workbench-store';
import { readWorkbenchFunctionConfig, WORKBENCH_FUNCTION } from '../../src/adapters/aws/workbench-config';
import { createLogger } from '../../src/lambda/logger';
import { createWorkbenchApp } from '../../src/recon/workbench/app';

const config = readWorkbenchFunctionConfig();
const clock = { now: () => new Date() };

export const handler = createWorkbenchLambda({
  app: createWorkbenchApp({
    store: new DynamoWorkbenchStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    authenticator: new AlbOidcAuthenticator({
      loadBalancerArn: config.loadBalancerArn,
      issuer: config.issuer,
      groupRoles: config.groupRoles,
      fetchPublicKey: fetchAlbPublicKey(config.region),
      clock,
    }),
    clock,
    csrfSecret: config.csrfSecret,
  }),
  logger: createLogger({ service: 'ledgerline', function: WORKBENCH_FUNCTION }),
});
