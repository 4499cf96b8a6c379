/**
 * The two adapters of the SQL-transactions port on one throw-away PostgreSQL database, for the
 * shared contract tests: node-postgres on its own connection, and the Data API adapter over a
 * FakeRdsDataClient executing on that same server.
 */
import { Client, type Pool } from 'pg';
import { dataApiTransactions, type DataApiOptions, type DataApiTarget } from '../../src/adapters/aws/audit-data-api';
import { postgresTransactions } from '../../src/adapters/postgres/sql-transactions';
import type { SqlTransactions } from '../../src/ports/sql-transactions';
import type { ThrowAwayPostgres } from '../support/postgres';
import { FakeRdsDataClient } from './migrations-fake-data-api';

export const ADAPTERS = ['node-postgres', 'Data API'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

export const TARGET: DataApiTarget = {
  resourceArn: 'arn:aws:rds:eu-west-2:123456789012:cluster:ledgerline-dev-audit',
  secretArn: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!cluster-0f1e2d3c-AbCdEf',
  database: 'ledgerline_audit',
};

export interface Connected {
  db: SqlTransactions;
  /** The Data API stand-in (Data API adapter only). */
  fake?: FakeRdsDataClient;
}

/** One pool per database, shared by every instance (the throw-away server allows 20 connections). */
const pools = new Map<string, Pool>();
const releases: (() => void)[] = [];

function poolFor(pg: ThrowAwayPostgres, url: string): Pool {
  let pool = pools.get(url);
  if (!pool) {
    pool = pg.pool(url, 8);
    pools.set(url, pool);
  }
  return pool;
}

/** A fresh instance of the adapter on `url`: its own connection (node-postgres) or its own Data API client. */
export async function connect(pg: ThrowAwayPostgres, adapter: AdapterName, url: string, options: DataApiOptions = {}, resuming = 0): Promise<Connected> {
  if (adapter === 'node-postgres') {
    const client = await poolFor(pg, url).connect();
    releases.push(() => client.release());
    return { db: postgresTransactions(client, `PostgreSQL ${url}`) };
  }
  const fake = new FakeRdsDataClient(poolFor(pg, url), TARGET, resuming);
  return { db: dataApiTransactions(fake, TARGET, options), fake };
}

/** Gives back the connections of the node-postgres instances made so far (call after each test). */
export function releaseConnections(): void {
  for (const release of releases.splice(0)) release();
}

const admins: Client[] = [];

/** A fresh database and a superuser connection on it, both let go by closeDatabases(). */
export async function freshDatabase(pg: ThrowAwayPostgres): Promise<{ url: string; admin: Client }> {
  const url = await pg.freshDatabase();
  const admin = new Client({ connectionString: url });
  await admin.connect();
  admins.push(admin);
  return { url, admin };
}

/** Lets go of every connection to the databases made so far (the throw-away server allows 20). */
export async function closeDatabases(): Promise<void> {
  releaseConnections();
  for (const admin of admins.splice(0)) await admin.end().catch(() => undefined);
  const ending = [...pools.values()].map((pool) => pool.end().catch(() => undefined));
  pools.clear();
  await Promise.all(ending);
}
