/**
 * The two SqlExecutors of the migration runner (REC-2):
 *
 *   redshiftExecutor  the Redshift Data API: one statement = ExecuteStatement (+ GetStatementResult),
 *                     one transaction = BatchExecuteStatement; each polled with DescribeStatement
 *                     until FINISHED / FAILED / ABORTED. Credentials: the Secrets Manager secret.
 *   postgresExecutor  pg against PostgreSQL; every statement through the dialect layer first
 *                     (redshift/dialect.ts), a batch as BEGIN … COMMIT (ROLLBACK on failure).
 *
 * Errors name the target and the failing statement, and carry the engine's own message.
 */
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type DescribeStatementResponse,
  type Field,
} from '@aws-sdk/client-redshift-data';
import type { Client } from 'pg';
import { toPostgres } from './dialect';
import { BatchError, type SqlExecutor } from './migrations';

export interface RedshiftTarget {
  workgroup: string;
  database: string;
  secretArn: string;
  /** Default: a client for the environment's region and credentials. */
  client?: RedshiftDataClient;
  region?: string;
  /** First DescribeStatement delay (ms; doubles up to 5 s). Default 500. */
  pollMs?: number;
  /** Give up (and cancel the statement) after this long. Default 15 minutes. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const TERMINAL = new Set(['FINISHED', 'FAILED', 'ABORTED']);

function fieldText(field: Field): string | null {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return String(field.longValue);
  if (field.booleanValue !== undefined) return String(field.booleanValue);
  // Not used by the runner's queries (no floating point anywhere money flows); named, not guessed.
  throw new Error(`Redshift Data API returned a field the migration runner does not read: ${JSON.stringify(field)}`);
}

export function redshiftExecutor(target: RedshiftTarget): SqlExecutor {
  const client = target.client ?? new RedshiftDataClient(target.region ? { region: target.region } : {});
  const sleep = target.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const where = `Redshift workgroup ${target.workgroup}, database ${target.database}`;
  const common = { WorkgroupName: target.workgroup, Database: target.database, SecretArn: target.secretArn };

  const wait = async (id: string, label: string): Promise<DescribeStatementResponse> => {
    const deadline = Date.now() + (target.timeoutMs ?? 15 * 60_000);
    let delay = target.pollMs ?? 500;
    for (;;) {
      const described = await client.send(new DescribeStatementCommand({ Id: id }));
      if (described.Status && TERMINAL.has(described.Status)) return described;
      if (Date.now() > deadline) {
        await client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
        throw new Error(`${label} on ${where}: statement ${id} still ${described.Status ?? 'unknown'} after ${Math.round((target.timeoutMs ?? 15 * 60_000) / 1000)} s; cancelled`);
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  };

  return {
    target: where,
    async query(sql) {
      const { Id } = await client.send(new ExecuteStatementCommand({ ...common, Sql: sql, StatementName: 'ledgerline-migrate' }));
      const described = await wait(Id!, 'query');
      if (described.Status !== 'FINISHED') throw new Error(`query on ${where} ended ${described.Status}: ${described.Error ?? 'no error given'} (SQL: ${sql.split('\n')[0]})`);
      if (!described.HasResultSet) return [];
      const rows: Record<string, string | null>[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new GetStatementResultCommand({ Id: Id!, NextToken: token }));
        const names = (page.ColumnMetadata ?? []).map((column) => column.name ?? column.label ?? '');
        for (const record of page.Records ?? []) rows.push(Object.fromEntries(record.map((field, i) => [names[i]!, fieldText(field)])));
        token = page.NextToken;
      } while (token);
      return rows;
    },
    async batch(sqls, label) {
      const { Id } = await client.send(new BatchExecuteStatementCommand({ ...common, Sqls: [...sqls], StatementName: `ledgerline-migrate-${label}`.slice(0, 500) }));
      const described = await wait(Id!, label);
      if (described.Status === 'FINISHED') return;
      const subs = described.SubStatements ?? [];
      const failed = subs.findIndex((sub) => sub.Status === 'FAILED' || sub.Status === 'ABORTED');
      const index = failed >= 0 ? failed : undefined;
      throw new BatchError(index, `Redshift ${described.Status}: ${(failed >= 0 ? subs[failed]!.Error : undefined) ?? described.Error ?? 'no error given'} (statement ${Id})`);
    },
    async close() {
      client.destroy();
    },
  };
}

/** A connected pg Client that hands every value back as text (the runner compares text). */
export async function connectPostgres(url: string): Promise<Client> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url, types: { getTypeParser: () => (value: string) => value } });
  await client.connect();
  return client;
}

export function postgresExecutor(client: Client, label = 'PostgreSQL'): SqlExecutor {
  const pgText = (sql: string, where: string): string => toPostgres(sql, where).text;
  return {
    target: label,
    async query(sql) {
      const result = await client.query(pgText(sql, `query on ${label}`));
      return result.rows as Record<string, string | null>[];
    },
    async batch(sqls, name) {
      const statements = sqls.map((sql, i) => pgText(sql, `${name} statement ${i + 1}`));
      await client.query('BEGIN');
      let index = 0;
      try {
        for (; index < statements.length; index += 1) await client.query(statements[index]!);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new BatchError(index < statements.length ? index : undefined, `PostgreSQL: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async close() {
      await client.end();
    },
  };
}
