/**
 * The Redshift Data API over the PostgreSQL stand-in (REC-2): BatchExecuteStatement (one
 * transaction, through the load emulation: the dialect layer for DDL/DML, D6 for COPY),
 * ExecuteStatement, DescribeStatement (STARTED until the work settles, then FINISHED or FAILED
 * with the failing sub-statement's error, the rest ABORTED) and GetStatementResult. Shaped like
 * the SDK's inputs and outputs, so a test routes a mocked RedshiftDataClient (or a state machine's
 * redshiftdata task) to it.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { toPostgres } from '../../redshift/dialect';
import { connectPostgres } from '../../redshift/executors';
import { LoadError, runLoadSql, type ObjectReader } from './load';

type Status = 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

interface Statement {
  id: string;
  sqls: string[];
  batch: boolean;
  settled: boolean;
  error?: { index: number | undefined; message: string };
  rows?: Record<string, string | null>[];
  columns?: string[];
  done: Promise<void>;
}

export interface DescribedStatement {
  Id: string;
  Status: Status;
  Error?: string;
  HasResultSet: boolean;
  QueryString?: string;
  SubStatements?: { Id: string; Status: Status; Error?: string; QueryString: string }[];
}

export class PostgresDataApi {
  private client: Promise<Client> | undefined;
  private readonly statements = new Map<string, Statement>();
  /** Every SQL batch received, in order (for assertions). */
  readonly received: string[][] = [];

  constructor(
    private readonly url: string,
    private readonly readObject: ObjectReader = async (uri) => {
      throw new Error(`no object reader given: cannot COPY from ${uri}`);
    },
  ) {}

  private connection(): Promise<Client> {
    this.client ??= connectPostgres(this.url);
    return this.client;
  }

  /** Runs statements one after another on the one connection (as a Data API session would). */
  private queue: Promise<unknown> = Promise.resolve();

  private start(sqls: string[], batch: boolean, work: (client: Client, statement: Statement) => Promise<void>): { Id: string } {
    this.received.push(sqls);
    const statement: Statement = { id: randomUUID(), sqls, batch, settled: false, done: Promise.resolve() };
    statement.done = this.queue
      .then(() => this.connection())
      .then((client) => work(client, statement))
      .catch((error: unknown) => {
        statement.error = error instanceof LoadError ? { index: error.index, message: error.reason } : { index: undefined, message: error instanceof Error ? error.message : String(error) };
      })
      .finally(() => {
        statement.settled = true;
      });
    this.queue = statement.done;
    this.statements.set(statement.id, statement);
    return { Id: statement.id };
  }

  async batchExecuteStatement(input: { Sqls?: string[] }): Promise<{ Id: string }> {
    const sqls = input.Sqls ?? [];
    if (sqls.length === 0 || sqls.length > 40) throw Object.assign(new Error(`Sqls must hold 1 to 40 statements, got ${sqls.length}`), { name: 'ValidationException' });
    return this.start(sqls, true, async (client) => {
      await runLoadSql(client, sqls, this.readObject);
    });
  }

  async executeStatement(input: { Sql?: string }): Promise<{ Id: string }> {
    const sql = input.Sql ?? '';
    return this.start([sql], false, async (client, statement) => {
      const result = await client.query(toPostgres(sql, 'ExecuteStatement').text);
      statement.rows = result.rows as Record<string, string | null>[];
      statement.columns = (result.fields ?? []).map((field) => field.name);
    });
  }

  async describeStatement(input: { Id?: string }): Promise<DescribedStatement> {
    const statement = this.statements.get(input.Id ?? '');
    if (!statement) throw Object.assign(new Error(`Query does not exist: ${input.Id}`), { name: 'ResourceNotFoundException' });
    if (!statement.settled) return { Id: statement.id, Status: 'STARTED', HasResultSet: false };
    const failed = statement.error;
    const described: DescribedStatement = {
      Id: statement.id,
      Status: failed ? 'FAILED' : 'FINISHED',
      ...(failed ? { Error: failed.message } : {}),
      HasResultSet: !statement.batch && !failed && statement.columns !== undefined && statement.columns.length > 0,
    };
    if (statement.batch) {
      described.SubStatements = statement.sqls.map((sql, i) => {
        const status: Status = !failed ? 'FINISHED' : failed.index === undefined || i > failed.index ? 'ABORTED' : i === failed.index ? 'FAILED' : 'FINISHED';
        return { Id: `${statement.id}:${i + 1}`, Status: status, ...(status === 'FAILED' ? { Error: failed!.message } : {}), QueryString: sql };
      });
    } else {
      described.QueryString = statement.sqls[0];
    }
    return described;
  }

  async getStatementResult(input: { Id?: string }): Promise<{ Records: ({ stringValue: string } | { isNull: true })[][]; ColumnMetadata: { name: string }[]; TotalNumRows: number }> {
    const statement = this.statements.get(input.Id ?? '');
    if (!statement?.settled || !statement.rows || !statement.columns) throw Object.assign(new Error(`Query ${input.Id} has no result set`), { name: 'ResourceNotFoundException' });
    const columns = statement.columns;
    return {
      ColumnMetadata: columns.map((name) => ({ name })),
      Records: statement.rows.map((row) => columns.map((name) => (row[name] === null || row[name] === undefined ? { isNull: true as const } : { stringValue: String(row[name]) }))),
      TotalNumRows: statement.rows.length,
    };
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.client) await (await this.client).end();
    this.client = undefined;
  }
}
