/**
 * AWS Lambda entry point of reconcile-workbench (target of the internal ALB). Logic:
 * ./reconcile-workbench.ts. Configuration is read once at cold start
 * (src/adapters/aws/workbench-config.ts); the CSRF key is read from Secrets Manager on the first
 * request, once per container (src/adapters/aws/csrf-secret.ts); the ALB public keys are
 * fetched with global fetch.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createWorkbenchLambda } from './reconcile-workbench';
import type { WorkbenchApp } from '../../src/recon/workbench/ports';
import { AlbOidcAuthenticator, fetchAlbPublicKey } from '../../src/adapters/aws/alb-oidc-authenticator';
import { loadCsrfSecret, onceSucceeded } from '../../src/adapters/aws/csrf-secret';
import { DynamoWorkbenchStore } from '../../src/adapters/aws/dynamo-workbench-store';
import { readWorkbenchFunctionConfig, WORKBENCH_FUNCTION } from '../../src/adapters/aws/workbench-config';
import { createLogger } from '../../src/lambda/logger';
import { createWorkbenchApp } from '../../src/recon/workbench/app';

const config = readWorkbenchFunctionConfig();
const clock = { now: () => new Date() };
const secrets = new SecretsManagerClient({});

const workbenchApp = onceSucceeded(async (): Promise<WorkbenchApp> =>
  createWorkbenchApp({
    store: new DynamoWorkbenchStore({ client: new DynamoDBClient({}), tableName: config.tableName }),
    authenticator: new AlbOidcAuthenticator({
      loadBalancerArn: config.loadBalancerArn,
      issuer: config.issuer,
      groupRoles: config.groupRoles,
      fetchPublicKey: fetchAlbPublicKey(config.region),
      clock,
    }),
    clock,
    csrfSecret: await loadCsrfSecret(secrets, config.csrfSecretArn),
  }),
);

export const handler = createWorkbenchLambda({
  app: async (request) => (await workbenchApp())(request),
  logger: createLogger({ service: 'ledgerline', function: WORKBENCH_FUNCTION }),
});
