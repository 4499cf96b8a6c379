/**
 * The SQL-transactions port (src/ports/sql-transactions.ts) on the RDS Data API: the audit
 * trail's Aurora PostgreSQL cluster reached over HTTPS with the cluster's ARN and its master
 * secret, from where the deploy step runs (CodeBuild, outside the cluster's VPC). AUDIT-1.
 *
 * - One Data API transaction per `inTransaction` (BeginTransaction → ExecuteStatement … →
 *   CommitTransaction, or RollbackTransaction when the work fails); a commit that does not say
 *   "Transaction Committed" is an error.
 * - Positional parameters $n become named ones (:pn), typed: strings, integers (longValue),
 *   booleans, NULL. No floating point.
 * - Rows come back as JSON records (formatRecordsAs JSON).
 * - A paused Serverless v2 cluster (0 ACU) answers DatabaseResumingException while it wakes: the
 *   BeginTransaction is retried, with back-off, for up to about five minutes.
 *
 * The caller needs rds-data:BeginTransaction, ExecuteStatement, CommitTransaction and
 * RollbackTransaction on the cluster, and secretsmanager:GetSecretValue on its secret.
 */
import { BeginTransactionCommand, CommitTransactionCommand, ExecuteStatementCommand, RollbackTransactionCommand, type Field, type RDSDataClient, type SqlParameter } from '@aws-sdk/client-rds-data';
import type { SqlRow, SqlTransaction, SqlTransactions, SqlValue } from '../../ports/sql-transactions';
import { renamePlaceholders } from '../../use-cases/migrate-audit-store/sql-statements';

export interface DataApiTarget {
  /** The Aurora cluster's ARN. */
  resourceArn: string;
  /** The Secrets Manager secret holding the database credentials (the RDS-managed master secret). */
  secretArn: string;
  database: string;
}

export interface DataApiOptions {
  /** BeginTransaction attempts while the cluster resumes (default 10: about five minutes with the default back-off). */
  resumeAttempts?: number;
  /** Waits between those attempts (default: 1 s doubling, at most 60 s). */
  sleep?: (ms: number) => Promise<void>;
}

const RESUMING = new Set(['DatabaseResumingException', 'DatabaseUnavailableException']);

function field(value: SqlValue, sql: string, n: number): Field {
  if (value === null) return { isNull: true };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (Number.isSafeInteger(value)) return { longValue: value };
  throw new Error(`Data API parameter $${n} of "${sql.slice(0, 80)}" is ${String(value)}: only strings, safe integers, booleans and null are sent`);
}

export function dataApiTransactions(client: Pick<RDSDataClient, 'send'>, target: DataApiTarget, options: DataApiOptions = {}): SqlTransactions {
  const { resourceArn, secretArn, database } = target;
  const attempts = options.resumeAttempts ?? 10;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const label = `Data API ${resourceArn}/${database}`;

  async function begin(): Promise<string> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { transactionId } = await client.send(new BeginTransactionCommand({ resourceArn, secretArn, database }));
        if (!transactionId) throw new Error(`${label}: BeginTransaction returned no transaction id`);
        return transactionId;
      } catch (error) {
        if (!RESUMING.has((error as Error).name) || attempt >= attempts) throw error;
        await sleep(Math.min(60_000, 1_000 * 2 ** (attempt - 1)));
      }
    }
  }

  return {
    label,
    async inTransaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
      const transactionId = await begin();
      const tx: SqlTransaction = {
        async execute(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
          const parameters: SqlParameter[] = params.map((value, i) => ({ name: `p${i + 1}`, value: field(value, sql, i + 1) }));
          const text = params.length > 0 ? renamePlaceholders(sql, (n) => `:p${n}`) : sql;
          const output = await client.send(
            new ExecuteStatementCommand({ resourceArn, secretArn, database, transactionId, sql: text, ...(parameters.length > 0 ? { parameters } : {}), formatRecordsAs: 'JSON' }),
          );
          return output.formattedRecords ? (JSON.parse(output.formattedRecords) as SqlRow[]) : [];
        },
      };
      let result: T;
      try {
        result = await work(tx);
      } catch (error) {
        await client.send(new RollbackTransactionCommand({ resourceArn, secretArn, transactionId })).catch(() => undefined);
        throw error;
      }
      const { transactionStatus } = await client.send(new CommitTransactionCommand({ resourceArn, secretArn, transactionId }));
      if (transactionStatus !== 'Transaction Committed') throw new Error(`${label}: transaction ${transactionId} was not committed (status "${transactionStatus ?? 'none'}")`);
      return result;
    },
  };
}
