/**
 * The PostgreSQL stand-in for the analytics tests: one throw-away cluster per test file, a fresh
 * database per test. The suites always run: without the PostgreSQL binaries they FAIL with the
 * install hint (`.ci/run` installs the Debian package where it is missing).
 */
import type { Client } from 'pg';
import { connectPostgres } from '../../../redshift/executors';
import { findPostgresBinaries, POSTGRES_INSTALL_HINT, startPostgres, type PostgresCluster } from '../../../rehearsal/redshift/postgres';

/** `describe` whose first test fails, naming what to install, when PostgreSQL is missing (never a skip). */
export function describePostgres(name: string, body: () => void): void {
  describe(name, () => {
    beforeAll(() => {
      if (findPostgresBinaries() === undefined) throw new Error(`PostgreSQL is not installed: ${POSTGRES_INSTALL_HINT}`);
    });
    body();
  });
}

export interface TestCluster {
  cluster: () => PostgresCluster;
  /** A new, empty database on the cluster; its URL. */
  freshDatabase: () => Promise<string>;
  /** A client on `url`, closed after the test file. */
  connect: (url: string) => Promise<Client>;
}

/** Starts a cluster before the file's tests and stops it after them. */
export function useCluster(): TestCluster {
  let cluster: PostgresCluster | undefined;
  let admin: Client | undefined;
  const clients: Client[] = [];
  let n = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
    admin = await connectPostgres(cluster.url);
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await cluster?.stop();
  });
  return {
    cluster: () => cluster!,
    async freshDatabase() {
      n += 1;
      const name = `t${n}`;
      await admin!.query(`CREATE DATABASE ${name}`);
      return cluster!.urlFor(name);
    },
    async connect(url) {
      const client = await connectPostgres(url);
      clients.push(client);
      return client;
    },
  };
}
