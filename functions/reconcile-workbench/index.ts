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
 * event bus (EVENT_BUS_NAME: workbench.write-off-approved). WB-BULK-1: bulk jobs live in the
 * workbench table (src/adapters/aws/dynamo-bulk-job-store.ts), advanced by their job pages and by
 * the schedule's event every minute (./schedule.ts), which needs neither secret: it only reads and
 * writes the workbench table.
 * REC-1: with the upload's variables (STATEMENTS_PREFIX, QUARANTINE_PREFIX, REGISTRY_PREFIX) the
 * Upload page presigns a PUT straight to the ingest bucket (src/adapters/aws/s3-statement-inbox.ts:
 * the ALB passes a Lambda at most 1 MB, so the file never comes through here) and shows the
 * upload's run or quarantine reason.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createWorkbenchFunction } from './reconcile-workbench';
import type { WorkbenchApp } from '../../src/recon/workbench/ports';
import { loadCsrfSecret, loadOidcClientSecret, onceSucceeded } from '../../src/adapters/aws/csrf-secret';
import { DynamoBulkJobStore } from '../../src/adapters/aws/dynamo-bulk-job-store';
import { DynamoWorkbenchStore } from '../../src/adapters/aws/dynamo-workbench-store';
import { readWorkbenchFunctionConfig, readWorkbenchUploadConfig, WORKBENCH_FUNCTION, type WorkbenchFunctionConfig } from '../../src/adapters/aws/workbench-config';
import { S3StatementInbox } from '../../src/adapters/aws/s3-statement-inbox';
import { awsWorkbenchLedger } from '../../src/adapters/aws/workbench-ledger';
import { EventBridgeOutwardPublisher } from '../../src/adapters/aws/notify-outward';
import { createLogger } from '../../src/lambda/logger';
import { createWorkbenchApp } from '../../src/recon/workbench/app';
import { BulkJobs } from '../../src/recon/workbench/bulk';
import { createWorkbenchSignIn } from './sign-in';

const config = readWorkbenchFunctionConfig();
const clock = { now: () => new Date() };
const secrets = new SecretsManagerClient({});
const dynamo = new DynamoDBClient({});
const upload = readWorkbenchUploadConfig();
/** One S3 client: the outbox's writes, the upload's presigning (its credentials: the function role's) and status reads. */
let s3: S3Client | undefined;
const s3Client = (): S3Client => (s3 ??= new S3Client(upload ? { region: upload.region } : {}));
const inbox = upload ? new S3StatementInbox({ s3: s3Client(), ...upload }) : undefined;

/** The ledger settings of the configuration (WORKBENCH_LEDGER_TABLE, WORKBENCH_REFERENCE_TABLE, WORKBENCH_OUTBOX_BUCKET), where it has them. */
type LedgerSettings = Partial<Record<'ledgerTable' | 'referenceTable' | 'outboxBucket' | 'outboxPrefix' | 'eventBusName', string>>;
const settings = config as WorkbenchFunctionConfig & LedgerSettings;
const ledger =
  settings.ledgerTable && settings.referenceTable && settings.outboxBucket
    ? awsWorkbenchLedger({
        dynamo,
        s3: s3Client(),
        ledgerTable: settings.ledgerTable,
        referenceTable: settings.referenceTable,
        outboxBucket: settings.outboxBucket,
        ...(settings.outboxPrefix ? { outboxPrefix: settings.outboxPrefix } : {}),
        ...(settings.eventBusName ? { outward: new EventBridgeOutwardPublisher({ client: new EventBridgeClient({}), busName: settings.eventBusName }) } : {}),
      })
    : undefined;

const store = new DynamoWorkbenchStore({ client: dynamo, tableName: config.tableName });
const bulkStore = new DynamoBulkJobStore({ client: dynamo, tableName: config.tableName });

const workbenchApp = onceSucceeded(async (): Promise<WorkbenchApp> =>
  createWorkbenchApp({
    store,
    authenticator: createWorkbenchSignIn({ config, dynamo, clientSecret: await loadOidcClientSecret(secrets, config.clientSecretArn), clock }),
    clock,
    csrfSecret: await loadCsrfSecret(secrets, config.csrfSecretArn),
    ...(ledger ? { ledger } : {}),
    // WB-BULK-1: jobs in the workbench table; no background in a Lambda (frozen after each response): each view of a job page advances it a chunk.
    bulk: { store: bulkStore },
    ...(inbox ? { inbox } : {}),
  }),
);

export const handler = createWorkbenchFunction({
  app: async (request) => (await workbenchApp())(request),
  // The scheduled advance: the same BulkJobs as the job pages', over the same stores.
  bulk: new BulkJobs(store, bulkStore, () => clock.now()),
  logger: createLogger({ service: 'ledgerline', function: WORKBENCH_FUNCTION }),
});
