/**
 * AWS Lambda entry point of audit-stream (DynamoDB Streams → the audit trail in Aurora PostgreSQL,
 * AUDIT-1). Logic: ./audit-stream.ts; contract: ./config.ts. Deployed by the app stack
 * (stacks/lib/audit-db.ts): one stream mapping per audited table.
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
