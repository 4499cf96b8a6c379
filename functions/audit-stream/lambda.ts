/**
 * AWS Lambda entry point of audit-stream (DynamoDB Streams → the audit trail in Aurora PostgreSQL,
 * AUDIT-1). Logic: ./audit-stream.ts; contract: ./config.ts. It becomes ./index.ts (what the
 * bundler deploys) with its catalogue entry in stacks/catalogue.ts: every functions/<name>/index.ts
 * must be deployed by some topology (test/infra/synth.test.ts).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAuditStreamHandler } from './audit-stream';
import { AUDIT_STREAM_FUNCTION, readAuditStreamConfig } from './config';
import { lazyAuditStore } from './store';
import { createLogger } from '../../src/lambda/logger';

const config = readAuditStreamConfig();

export const handler = createAuditStreamHandler({
  store: lazyAuditStore(config.database, new SecretsManagerClient({})),
  tables: config.tables,
  logger: createLogger({ service: 'ledgerline', function: AUDIT_STREAM_FUNCTION }),
});
