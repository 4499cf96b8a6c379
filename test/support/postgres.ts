/**
 * A throw-away PostgreSQL cluster for a test file: started once before the file's tests (initdb
 * into a temp directory, `pg_ctl start` on a unix socket in that directory, trust auth, superuser
 * `postgres`; rehearsal/redshift/postgres.ts does the work, as for the analytics tests), a fresh
 * database per call of freshDatabase(), stopped and removed after the file.
 *
 * Without the PostgreSQL server binaries the suite fails with a message saying how to install
 * them (`.ci/run` installs them): the tests that guard the audit trail never skip silently.
 */
import { Client, Pool } from 'pg';
import { findPostgresBinaries, POSTGRES_INSTALL_HINT, startPostgres, type PostgresCluster } from '../../rehearsal/redshift/postgres';

export const postgresAvailable = findPostgresBinaries() !== undefined;

/** `describe` that needs a PostgreSQL server: failed with the install hint when there is none. */
export function describeWithPostgres(name: string, body: () => void): void {
  if (postgresAvailable) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    it('needs PostgreSQL', () => {
      throw new Error(`PostgreSQL is not installed: ${POSTGRES_INSTALL_HINT}`);
    });
  });
}

export interface ThrowAwayPostgres {
  cluster(): PostgresCluster;
  /** A new, empty database; its URL. */
  freshDatabase(): Promise<string>;
  /** A pool on `url` (max `max` connections, server `options` such as `-c lock_timeout=300`), ended after the file. */
  pool(url: string, max?: number, options?: string): Pool;
  /** A client on `url`, ended after the file. */
  client(url: string): Promise<Client>;
}

/** Starts a cluster before the file's tests; stops and removes it after them. */
export function useThrowAwayPostgres(): ThrowAwayPostgres {
  let cluster: PostgresCluster | undefined;
  let admin: Client | undefined;
  const pools: Pool[] = [];
  const clients: Client[] = [];
  let n = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
    admin = new Client({ connectionString: cluster.url });
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    for (const pool of pools) await pool.end().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await cluster?.stop();
  }, 60_000);
  return {
    cluster: () => cluster!,
    async freshDatabase() {
      n += 1;
      const name = `audit_${process.pid}_${n}`;
      await admin!.query(`CREATE DATABASE ${name}`);
      return cluster!.urlFor(name);
    },
    pool(url, max = 4, options) {
      const pool = new Pool({ connectionString: url, max, ...(options ? { options } : {}) });
      // An idle connection dropped when the cluster stops is no test failure.
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    },
    async client(url) {
      const client = new Client({ connectionString: url });
      await client.connect();
      clients.push(client);
      return client;
    },
  };
}
