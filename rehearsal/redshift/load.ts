/**
 * Runs a reconciliation run's load SQL (redshiftLoadSql in src/recon/run/aws/steps.ts: the
 * Redshift Data API batch of the workflow's LoadResults state) against the PostgreSQL stand-in, as
 * Redshift would: ONE transaction, all or nothing (REC-2).
 *
 *   DELETE …                     through the dialect layer (redshift/dialect.ts), unchanged
 *   COPY t FROM 's3://…' …       substitution D6: the object's content (read with `readObject`)
 *                                streamed into `COPY t FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL
 *                                (<text columns>))` — FORCE_NOT_NULL because Redshift loads an
 *                                empty text cell as '' unless the COPY says EMPTYASNULL (then the
 *                                text columns load NULL, as PostgreSQL's CSV default does)
 *
 * After each COPY the VARCHAR byte limits are enforced as Redshift does (its VARCHAR(n) is n
 * BYTES; PostgreSQL's is n characters): a value longer in UTF-8 bytes fails the load with
 * Redshift's wording, "String length exceeds DDL length".
 *
 * Not emulated (redshift/README.md): COPY's S3 prefix matching (Redshift loads every object whose
 * key starts with the URI; this loads exactly the object), IAM_ROLE (no credentials here), and any
 * COPY option other than FORMAT AS CSV / EMPTYASNULL (refused, naming it).
 */
import { Query, type Client } from 'pg';
import { parseRedshiftCopy, toPostgres, type RedshiftCopy } from '../../redshift/dialect';
import { connectPostgres } from '../../redshift/executors';

export type ObjectReader = (s3Uri: string) => Promise<string>;

export class LoadError extends Error {
  override name = 'LoadError';
  constructor(
    /** 0-based index of the failing SQL in the batch. */
    readonly index: number,
    readonly sql: string,
    readonly reason: string,
  ) {
    super(`load statement ${index + 1} (${sql.length > 160 ? `${sql.slice(0, 157)}...` : sql}) failed; the transaction was rolled back: ${reason}`);
  }
}

export interface CopiedObject {
  table: string;
  source: string;
  rows: number;
}

export interface LoadOutcome {
  statements: number;
  copied: CopiedObject[];
}

interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** A pg Query that answers the server's CopyInResponse with `data` (COPY … FROM STDIN). */
class CopyFromText extends Query {
  constructor(
    text: string,
    private readonly data: Buffer,
  ) {
    super(text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (let at = 0; at < this.data.length; at += 64 * 1024) connection.sendCopyFromChunk(this.data.subarray(at, at + 64 * 1024));
    connection.endCopyFrom();
  }
}

function copyFromStdin(client: Client, sql: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const query = new CopyFromText(sql, data) as CopyFromText & { callback?: (error: Error | null, result?: { rowCount?: number | null }) => void };
    query.callback = (error, result) => (error ? reject(error) : resolve(result?.rowCount ?? 0));
    client.query(query);
  });
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

interface ColumnInfo {
  name: string;
  type: string;
  maxLength: number | null;
}

async function columnsOf(client: Client, table: string): Promise<ColumnInfo[]> {
  const [schema, name] = table.includes('.') ? table.split('.', 2) : ['public', table];
  const result = await client.query<{ column_name: string; data_type: string; character_maximum_length: string | number | null }>(
    'SELECT column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema!.replace(/"/g, '').toLowerCase(), name!.replace(/"/g, '').toLowerCase()],
  );
  if (result.rows.length === 0) throw new Error(`table ${table} does not exist (are the migrations applied?)`);
  return result.rows.map((row) => ({ name: row.column_name, type: row.data_type, maxLength: row.character_maximum_length === null ? null : Number(row.character_maximum_length) }));
}

const TEXT_TYPES = new Set(['character varying', 'character', 'text']);

/** Redshift's VARCHAR(n) holds n bytes: the first column (if any) whose longest value is longer. */
async function byteOverflow(client: Client, table: string, columns: readonly ColumnInfo[]): Promise<string | undefined> {
  const bounded = columns.filter((column) => TEXT_TYPES.has(column.type) && column.maxLength !== null);
  if (bounded.length === 0) return undefined;
  const select = bounded.map((column, i) => `MAX(OCTET_LENGTH(${quoteIdent(column.name)})) AS c${i}`).join(', ');
  const row = (await client.query<Record<string, string | number | null>>(`SELECT ${select} FROM ${table}`)).rows[0] ?? {};
  for (const [i, column] of bounded.entries()) {
    const bytes = row[`c${i}`];
    if (bytes !== null && bytes !== undefined && Number(bytes) > column.maxLength!) {
      return `String length exceeds DDL length: column ${column.name} of ${table} is VARCHAR(${column.maxLength}) (bytes in Redshift) and a value is ${bytes} bytes`;
    }
  }
  return undefined;
}

async function emulateCopy(client: Client, copy: RedshiftCopy, readObject: ObjectReader): Promise<number> {
  const columns = await columnsOf(client, copy.table);
  const text = columns.filter((column) => TEXT_TYPES.has(column.type)).map((column) => quoteIdent(column.name));
  const options = ['FORMAT csv', ...(copy.emptyAsNull || text.length === 0 ? [] : [`FORCE_NOT_NULL (${text.join(', ')})`])];
  const content = await readObject(copy.source);
  const rows = await copyFromStdin(client, `COPY ${copy.table} FROM STDIN WITH (${options.join(', ')})`, Buffer.from(content, 'utf8'));
  const overflow = await byteOverflow(client, copy.table, columns);
  if (overflow) throw new Error(overflow);
  return rows;
}

/**
 * Runs `sqls` (the output of redshiftLoadSql) in one transaction on PostgreSQL (a connection URL
 * or a connected client, which is left open). Throws LoadError (rolled back) naming the failing
 * statement and PostgreSQL's error.
 */
export async function runLoadSql(target: string | Client, sqls: readonly string[], readObject: ObjectReader): Promise<LoadOutcome> {
  const client = typeof target === 'string' ? await connectPostgres(target) : target;
  const copied: CopiedObject[] = [];
  try {
    await client.query('BEGIN');
    for (const [index, sql] of sqls.entries()) {
      try {
        const copy = parseRedshiftCopy(sql, `load statement ${index + 1}`);
        if (copy) copied.push({ table: copy.table, source: copy.source, rows: await emulateCopy(client, copy, readObject) });
        else await client.query(toPostgres(sql, `load statement ${index + 1}`).text);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new LoadError(index, sql, error instanceof Error ? error.message : String(error));
      }
    }
    await client.query('COMMIT');
    return { statements: sqls.length, copied };
  } finally {
    if (typeof target === 'string') await client.end();
  }
}
