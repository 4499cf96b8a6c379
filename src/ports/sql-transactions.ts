/**
 * A SQL database that runs work in one transaction (AUDIT-1: the audit store's migrations). Two
 * adapters: node-postgres on a connection (src/adapters/postgres/sql-transactions.ts: locally)
 * and the RDS Data API (src/adapters/aws/audit-data-api.ts: on AWS, where the deploy step is not
 * in the cluster's VPC). The contract tests (test/audit/migrations-port.test.ts) hold both to it.
 */

/** A parameter value. No floating point: numbers are integers (amounts travel as strings). */
export type SqlValue = string | number | boolean | null;

/** A result row: column name → value (integer columns up to int4 as numbers, text as strings, NULL as null). */
export type SqlRow = Record<string, unknown>;

/** One open transaction. */
export interface SqlTransaction {
  /**
   * Runs ONE statement (no `;`-separated scripts: the Data API refuses them) with positional
   * parameters $1…$n; resolves to its rows (none for a statement without a result). A failed
   * statement rejects with the database's message; the transaction is then only good for rollback.
   */
  execute(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
}

export interface SqlTransactions {
  /** Where the statements go, for messages (e.g. "PostgreSQL localhost/audit", "Data API …:cluster:x"). */
  readonly label: string;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it rejects (the
   * rejection passes through). One transaction at a time per instance.
   */
  inTransaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
}
