/**
 * A stand-in RDSDataClient that runs each Data API call on a real PostgreSQL database, the way the
 * service does on Aurora: BeginTransaction pins a connection, ExecuteStatement runs ONE statement
 * on it (the extended protocol refuses `;`-separated scripts, as the Data API does), named
 * parameters (:name) become positional ($n) with their typed values, JSON records come back, and
 * Commit/RollbackTransaction end the transaction and release the connection. Every call must name
 * the configured cluster, secret and (for Begin/Execute) database. A SQL error rejects as the
 * service's DatabaseErrorException, leaving the transaction open for the rollback.
 *
 * `resuming: n` answers the first n BeginTransaction calls with DatabaseResumingException (a
 * paused Serverless v2 cluster waking up).
 */
import {
  BadRequestException,
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseErrorException,
  DatabaseResumingException,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  TransactionNotFoundException,
  type Field,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import type { DataApiTarget } from '../../src/adapters/aws/audit-data-api';

const INT8 = 20;

function valueOf(field: Field | undefined, name: string): unknown {
  if (!field) throw new BadRequestException({ message: `parameter ${name} has no value`, $metadata: {} });
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return String(field.longValue);
  if (field.booleanValue !== undefined) return field.booleanValue;
  throw new BadRequestException({ message: `parameter ${name}: unsupported value ${JSON.stringify(field)}`, $metadata: {} });
}

/** `:name` → `$n` outside quotes, comments and `::` casts (the service's own parameter parsing). */
export function positional(sql: string, parameters: readonly SqlParameter[] = []): { text: string; values: unknown[] } {
  const index = new Map(parameters.map((parameter, i) => [parameter.name!, i + 1]));
  const text = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|::|:([A-Za-z_][A-Za-z0-9_]*)/g, (match, name: string | undefined) => {
    if (name === undefined) return match;
    const n = index.get(name);
    if (n === undefined) throw new BadRequestException({ message: `no value given for parameter :${name}`, $metadata: {} });
    return `$${n}`;
  });
  return { text, values: parameters.map((parameter) => valueOf(parameter.value, parameter.name!)) };
}

export class FakeRdsDataClient {
  readonly calls: string[] = [];
  private readonly open = new Map<string, PoolClient>();
  private next = 0;

  constructor(
    private readonly pool: Pool,
    private readonly target: DataApiTarget,
    private resuming = 0,
  ) {}

  private check(input: { resourceArn?: string; secretArn?: string; database?: string }, withDatabase: boolean): void {
    if (input.resourceArn !== this.target.resourceArn) throw new BadRequestException({ message: `unknown cluster ${String(input.resourceArn)}`, $metadata: {} });
    if (input.secretArn !== this.target.secretArn) throw new BadRequestException({ message: `secret ${String(input.secretArn)} is not the cluster's`, $metadata: {} });
    if (withDatabase && input.database !== this.target.database) throw new BadRequestException({ message: `database ${String(input.database)} does not exist`, $metadata: {} });
  }

  private take(transactionId: string | undefined): PoolClient {
    const client = transactionId === undefined ? undefined : this.open.get(transactionId);
    if (!client) throw new TransactionNotFoundException({ message: `Transaction ${String(transactionId)} is not found`, $metadata: {} });
    return client;
  }

  /** Transactions begun and not yet ended. */
  get openTransactions(): number {
    return this.open.size;
  }

  async send(command: object): Promise<unknown> {
    if (command instanceof BeginTransactionCommand) {
      this.calls.push('BeginTransaction');
      this.check(command.input, true);
      if (this.resuming > 0) {
        this.resuming -= 1;
        throw new DatabaseResumingException({ message: 'The Aurora DB instance is resuming after being auto-paused. Please wait a few seconds and try again.', $metadata: {} });
      }
      const client = await this.pool.connect();
      await client.query('BEGIN');
      this.next += 1;
      const transactionId = `tx-${this.next}`;
      this.open.set(transactionId, client);
      return { transactionId };
    }
    if (command instanceof ExecuteStatementCommand) {
      this.calls.push('ExecuteStatement');
      const input = command.input;
      this.check(input, true);
      const client = this.take(input.transactionId);
      const { text, values } = positional(input.sql ?? '', input.parameters);
      let result;
      try {
        result = await client.query({ text, values, queryMode: 'extended' } as QueryConfig);
      } catch (error) {
        throw new DatabaseErrorException({ message: `ERROR: ${(error as Error).message}; SQLState: ${(error as { code?: string }).code ?? '?'}`, $metadata: {} });
      }
      if (input.formatRecordsAs !== 'JSON' || result.fields.length === 0) return { numberOfRecordsUpdated: result.rowCount ?? 0 };
      // The service writes int8 as a JSON number, as every other integer.
      const int8 = result.fields.filter((f) => f.dataTypeID === INT8).map((f) => f.name);
      const rows = result.rows.map((row: Record<string, unknown>) => ({ ...row, ...Object.fromEntries(int8.map((name) => [name, row[name] === null ? null : Number(row[name])])) }));
      return { formattedRecords: JSON.stringify(rows), numberOfRecordsUpdated: 0 };
    }
    if (command instanceof CommitTransactionCommand || command instanceof RollbackTransactionCommand) {
      const commit = command instanceof CommitTransactionCommand;
      this.calls.push(commit ? 'CommitTransaction' : 'RollbackTransaction');
      this.check(command.input, false);
      const client = this.take(command.input.transactionId);
      this.open.delete(command.input.transactionId!);
      try {
        const end = await client.query(commit ? 'COMMIT' : 'ROLLBACK');
        return { transactionStatus: commit && end.command === 'COMMIT' ? 'Transaction Committed' : 'Rollback Complete' };
      } finally {
        client.release();
      }
    }
    throw new BadRequestException({ message: `the fake Data API does not answer ${command.constructor.name}`, $metadata: {} });
  }
}
