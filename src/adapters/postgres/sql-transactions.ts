/**
 * The SQL-transactions port (src/ports/sql-transactions.ts) on one node-postgres connection: the
 * audit migrations locally (`ledgerline audit migrate`, `ledgerline serve`). Statements go by the
 * extended protocol, which, like the Data API, runs exactly one statement per call.
 */
import type { QueryConfig } from 'pg';
import type { SqlRow, SqlTransaction, SqlTransactions, SqlValue } from '../../ports/sql-transactions';
import type { ClientBase } from './connect';

export function postgresTransactions(client: ClientBase, label = 'PostgreSQL'): SqlTransactions {
  const tx: SqlTransaction = {
    async execute(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
      const query = { text: sql, values: [...params], queryMode: 'extended' } as QueryConfig;
      return (await client.query<SqlRow>(query)).rows;
    },
  };
  return {
    label,
    async inTransaction<T>(work: (transaction: SqlTransaction) => Promise<T>): Promise<T> {
      await client.query('BEGIN');
      let result: T;
      try {
        result = await work(tx);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      // COMMIT of a transaction a failed statement aborted answers ROLLBACK: not committed.
      const commit = await client.query('COMMIT');
      if (commit.command === 'ROLLBACK') throw new Error(`${label}: the transaction was rolled back, not committed (a statement in it failed)`);
      return result;
    },
  };
}
