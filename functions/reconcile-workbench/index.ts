/**
 * AWS Lambda entry point of reconcile-workbench (target of the internal ALB). Logic:
 * ./reconcile-workbench.ts. Configuration is read once at cold start
 * (src/adapters/aws/workbench-config.ts); the CSRF key and the Okta client secret are read from
 * Secrets Manager on the first request, once per container (src/adapters/aws/csrf-secret.ts).
 * WB-AUTH-1: people sign in through the app's own OpenID Connect code (src/recon/workbench/oidc.ts,
 * the same as locally) against Okta, with sessions in DynamoDB (./sign-in.ts); the function calls
 * Okta's discovery, JWKS and token endpoints itself (HTTPS through the NAT). ADJ-1: when the
 * configuration names the posting ledger, the reference table and the outbox bucket, an approved
 * write-off posts to them (src/adapters/aws/workbench-ledger.ts); otherwise approving one is refused
 * (503), never resolved with nothing booked. NOTIFY-1: an approved write-off is announced on the
 * event bus (EVENT_BUS_NAME: workbench.write-off-approved). REC-WB bulk: bulk jobs live in the
 * workbench table (src/adapters/aws/dynamo-bulk-job-store.ts), advanced by their job pages.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createWorkbenchLambda } from './reconcile-workbench';
import type { WorkbenchApp } from '../../src/recon/workbench/ports';
import { loadCsrfSecret, loadOidcClientSecret, onceSucceeded } from '../../src/adapters/aws/csrf-secret';
import { DynamoBulkJobStore } from '../../src/adapters/aws/dynamo-bulk-job-store';
import { DynamoWorkbenchStore } from '../../src/adapters/aws/dynamo-workbench-store';
import { readWorkbenchFunctionConfig, WORKBENCH_FUNCTION, type WorkbenchFunctionConfig } from '../../src/adapters/aws/workbench-config';
import { awsWorkbenchLedger } from '../../src/adapters/aws/workbench-ledger';
import { EventBridgeOutwardPublisher } from '../../src/adapters/aws/notify-outward';
import { createLogger } from '../../src/lambda/logger';
import { createWorkbenchApp } from '../../src/recon/workbench/app';
import { createWorkbenchSignIn } from './sign-in';

const config = readWorkbenchFunctionConfig();
const clock = { now: () => new Date() };
const secrets = new SecretsManagerClient({});
const dynamo = new DynamoDBClient({});

/** The ledger settings of the configuration (WORKBENCH_LEDGER_TABLE, WORKBENCH_REFERENCE_TABLE, WORKBENCH_OUTBOX_BUCKET), where it has them. */
type LedgerSettings = Partial<Record<'ledgerTable' | 'referenceTable' | 'outboxBucket' | 'outboxPrefix' | 'eventBusName', string>>;
const settings = config as WorkbenchFunctionConfig & LedgerSettings;
const ledger =
  settings.ledgerTable && settings.referenceTable && settings.outboxBucket
    ? awsWorkbenchLedger({
        dynamo,
        s3: new S3Client({}),
        ledgerTable: settings.ledgerTable,
        referenceTable: settings.referenceTable,
        outboxBucket: settings.outboxBucket,
        ...(settings.outboxPrefix ? { outboxPrefix: settings.outboxPrefix } : {}),
        ...(settings.eventBusName ? { outward: new EventBridgeOutwardPublisher({ client: new EventBridgeClient({}), busName: settings.eventBusName }) } : {}),
      })
    : undefined;

const workbenchApp = onceSucceeded(async (): Promise<WorkbenchApp> =>
  createWorkbenchApp({
    store: new DynamoWorkbenchStore({ client: dynamo, tableName: config.tableName }),
    authenticator: createWorkbenchSignIn({ config, dynamo, clientSecret: await loadOidcClientSecret(secrets, config.clientSecretArn), clock }),
    clock,
    csrfSecret: await loadCsrfSecret(secrets, config.csrfSecretArn),
    ...(ledger ? { ledger } : {}),
    // REC-WB bulk: jobs in the workbench table; no background in a Lambda (frozen after each response): each view of a job page advances it a chunk.
    bulk: { store: new DynamoBulkJobStore({ client: dynamo, tableName: config.tableName }) },
  }),
);

export const handler = createWorkbenchLambda({
  app: async (request) => (await workbenchApp())(request),
  logger: createLogger({ service: 'ledgerline', function: WORKBENCH_FUNCTION }),
});
