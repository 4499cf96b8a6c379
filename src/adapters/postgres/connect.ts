/**
 * The one place shipped code loads the PostgreSQL driver (`pg`), for the audit store (AUDIT-1):
 * a pool from a connection URL (the CLI) or from host, port, database and credentials (the
 * Lambda, with the credentials from Secrets Manager).
 */
import { Pool } from 'pg';

export type { Pool, PoolClient, ClientBase } from 'pg';

export interface PostgresConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** TLS to the server (Aurora: on, verifying the server certificate against the system's CAs). */
  ssl?: boolean;
}

/**
 * An idle pooled connection the server drops (a failover, a restart) is discarded by the pool and
 * replaced on next use; without a listener its error would end the process.
 */
function keepIdleErrorsQuiet(pool: Pool): Pool {
  pool.on('error', () => undefined);
  return pool;
}

/** A pool from a postgres:// URL. */
export function poolFromUrl(url: string, max = 4): Pool {
  return keepIdleErrorsQuiet(new Pool({ connectionString: url, max }));
}

/** A pool from connection parameters. */
export function poolFromConnection(connection: PostgresConnection, max = 2): Pool {
  return keepIdleErrorsQuiet(
    new Pool({
      host: connection.host,
      port: connection.port,
      database: connection.database,
      user: connection.user,
      password: connection.password,
      max,
      ...(connection.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    }),
  );
}
