/**
 * The audit store of the audit-stream function: credentials from Secrets Manager (read once per
 * container), a small pool to Aurora PostgreSQL, appends as the writer role.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PostgresAuditStore } from '../../src/adapters/postgres/audit-store';
import { type Pool, poolFromConnection } from '../../src/adapters/postgres/connect';
import type { AuditTrailStore } from '../../src/ports/audit-trail';
import type { AuditStreamConfig } from './config';

/** The credentials of an RDS-managed (or hand-made) secret: JSON with `username` and `password`. */
export async function databaseCredentials(client: Pick<SecretsManagerClient, 'send'>, secretArn: string): Promise<{ user: string; password: string }> {
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  let secret: { username?: unknown; password?: unknown } | undefined;
  try {
    secret = JSON.parse(result.SecretString ?? '') as { username?: unknown; password?: unknown };
  } catch {
    secret = undefined;
  }
  if (!secret || typeof secret.username !== 'string' || typeof secret.password !== 'string') {
    throw new Error(`secret ${secretArn} is not JSON with a string "username" and "password" (its value is not shown)`);
  }
  return { user: secret.username, password: secret.password };
}

/** A store opener that connects on first use and keeps the connection for later invocations; a failed open is retried next time. */
export function lazyAuditStore(
  config: AuditStreamConfig['database'],
  secrets: Pick<SecretsManagerClient, 'send'>,
  makePool: typeof poolFromConnection = poolFromConnection,
): () => Promise<AuditTrailStore> {
  let opening: Promise<AuditTrailStore> | undefined;
  return () => {
    opening ??= (async () => {
      const credentials = await databaseCredentials(secrets, config.secretArn);
      const pool: Pool = makePool({ host: config.host, port: config.port, database: config.database, ssl: config.ssl, ...credentials });
      return new PostgresAuditStore(pool, { role: config.role, concurrency: 2 });
    })().catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
}
