/**
 * WB-AUTH-1: the workbench's sign-in as the Lambda wires it: the app's own OpenID Connect code
 * (src/recon/workbench/oidc.ts, the same as locally) with the function's configuration (Okta's
 * issuer and client, the base URL on the ALB's host, the absolute session limit) and the
 * DynamoDB session store. index.ts builds it once per container; the end-to-end test builds it
 * the same way against the local provider (test/recon/aws/workbench-sign-in.test.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSessionStore } from '../../src/adapters/aws/dynamo-session-store';
import type { WorkbenchFunctionConfig } from '../../src/adapters/aws/workbench-config';
import { OidcSignIn } from '../../src/recon/workbench/oidc';
import type { Clock } from '../../src/recon/workbench/ports';

export interface WorkbenchSignInDeps {
  config: Pick<WorkbenchFunctionConfig, 'issuer' | 'clientId' | 'baseUrl' | 'groupRoles' | 'sessionsTable' | 'sessionSeconds'>;
  dynamo: DynamoDBClient;
  /** The Okta client secret, read from Secrets Manager (csrf-secret.ts loadOidcClientSecret). */
  clientSecret: string;
  clock: Clock;
}

export function createWorkbenchSignIn({ config, dynamo, clientSecret, clock }: WorkbenchSignInDeps): OidcSignIn {
  return new OidcSignIn({
    issuer: config.issuer,
    clientId: config.clientId,
    clientSecret,
    baseUrl: config.baseUrl,
    groupRoles: config.groupRoles,
    // The store's TTL is the session's absolute limit, so TTL never removes a session the sign-in still accepts.
    sessions: new DynamoSessionStore({ client: dynamo, tableName: config.sessionsTable, absoluteSeconds: config.sessionSeconds }),
    clock,
    absoluteSeconds: config.sessionSeconds,
  });
}
