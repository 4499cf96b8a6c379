/**
 * The audit store on PostgreSQL (AUDIT-1): Aurora PostgreSQL Serverless v2 on AWS, a real
 * server locally. Tables from db/audit/migrations (audit_rows, audit_heads, audit_cursors).
 *
 * An append is one transaction per partition: create the partition's head if absent, lock it
 * (`SELECT … FOR UPDATE`), drop the records whose source id is stored already (in any partition:
 * a re-delivery is a no-op), chain the rest after the head (src/audit-trail/chain.ts), insert
 * them and move the head. Two appenders of one partition queue on its head, so its chain stays
 * one line; appenders of different partitions never wait for each other. A partition that fails
 * is reported (its records named) and the others still commit.
 */
import type { Pool, PoolClient } from './connect';
import { chainRows, GENESIS_HASH, type ChainHead, type PartitionedRecord } from '../../audit-trail/chain';
import type { AuditRecord, AuditRow, AuditSource, JsonValue } from '../../audit-trail/row';
import type { AppendFailure, AppendResult, AuditTrailStore } from '../../ports/audit-trail';

export interface PostgresAuditStoreOptions {
  /** Run every statement as this role (SET ROLE), e.g. `ledgerline_audit_writer`. */
  role?: string;
  /** Partitions appended at once (default 4). */
  concurrency?: number;
  /** Rows per INSERT statement (default 500). */
  insertChunk?: number;
  /** When a row is recorded (default the system clock). */
  now?: () => Date;
}

/** SQLSTATEs worth another attempt: serialization failure, deadlock, unique violation (a racing copy of the same source id). */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const ATTEMPTS = 3;

const TIME = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const ROW_COLUMNS = `partition_key, seq::text AS seq, source, source_id, source_position, event_type, ${TIME('occurred_at')} AS occurred_at, ${TIME('recorded_at')} AS recorded_at, actor, subject_ids, payload::text AS payload, prev_hash, row_hash`;

interface StoredRow {
  partition_key: string;
  seq: string;
  source: string;
  source_id: string;
  source_position: string;
  event_type: string;
  occurred_at: string;
  recorded_at: string;
  actor: string;
  subject_ids: string[];
  payload: string;
  prev_hash: string;
  row_hash: string;
}

function fromStored(row: StoredRow): AuditRow {
  return {
    partition: row.partition_key,
    seq: Number(row.seq),
    source: row.source as AuditSource,
    sourceId: row.source_id,
    sourcePosition: row.source_position,
    eventType: row.event_type,
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
    actor: row.actor,
    subjectIds: row.subject_ids,
    payload: JSON.parse(row.payload) as JsonValue,
    prevHash: row.prev_hash,
    rowHash: row.row_hash,
  };
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export class PostgresAuditStore implements AuditTrailStore {
  private readonly concurrency: number;
  private readonly insertChunk: number;
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresAuditStoreOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.insertChunk = Math.max(1, options.insertChunk ?? 500);
    this.now = options.now ?? (() => new Date());
  }

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      if (this.options.role) await client.query(`SET ROLE ${quoteIdent(this.options.role)}`);
      return await work(client);
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      if (this.options.role && !broken) await client.query('RESET ROLE').catch(() => undefined);
      client.release(broken && !isSqlError(broken) ? broken : undefined);
    }
  }

  async append(records: readonly PartitionedRecord[]): Promise<AppendResult> {
    const byPartition = new Map<string, AuditRecord[]>();
    const seen = new Set<string>();
    let duplicates = 0;
    for (const { partition, record } of records) {
      if (seen.has(record.sourceId)) {
        duplicates += 1;
        continue;
      }
      seen.add(record.sourceId);
      const list = byPartition.get(partition) ?? [];
      list.push(record);
      byPartition.set(partition, list);
    }
    let appended = 0;
    const failures: AppendFailure[] = [];
    const queue = [...byPartition.entries()];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [partition, list] = next;
        try {
          const result = await this.appendPartitionWithRetry(partition, list);
          appended += result.appended;
          duplicates += result.duplicates;
        } catch (error) {
          failures.push({ partition, sourceIds: list.map((record) => record.sourceId), error: error as Error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
    failures.sort((a, b) => (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0));
    return { appended, duplicates, failures };
  }

  private async appendPartitionWithRetry(partition: string, records: readonly AuditRecord[]): Promise<{ appended: number; duplicates: number }> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.withClient((client) => this.appendPartition(client, partition, records));
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= ATTEMPTS || code === undefined || !RETRYABLE.has(code)) {
          throw new Error(`audit partition ${partition}: append of ${records.length} record(s) failed: ${(error as Error).message}`, { cause: error });
        }
      }
    }
  }

  private async appendPartition(client: PoolClient, partition: string, records: readonly AuditRecord[]): Promise<{ appended: number; duplicates: number }> {
    await client.query('BEGIN');
    try {
      await client.query('INSERT INTO audit_heads (partition_key, last_seq, last_hash) VALUES ($1, 0, $2) ON CONFLICT (partition_key) DO NOTHING', [partition, GENESIS_HASH]);
      const locked = await client.query<{ last_seq: string; last_hash: string }>('SELECT last_seq::text AS last_seq, last_hash FROM audit_heads WHERE partition_key = $1 FOR UPDATE', [partition]);
      const headRow = locked.rows[0];
      if (!headRow) throw new Error(`audit partition ${partition}: its head vanished`);
      const existing = await client.query<{ source_id: string }>('SELECT source_id FROM audit_rows WHERE source_id = ANY($1::text[])', [records.map((record) => record.sourceId)]);
      const stored = new Set(existing.rows.map((row) => row.source_id));
      const fresh = records.filter((record) => !stored.has(record.sourceId));
      if (fresh.length === 0) {
        await client.query('COMMIT');
        return { appended: 0, duplicates: records.length };
      }
      const head: ChainHead = { partition, lastSeq: Number(headRow.last_seq), lastHash: headRow.last_hash };
      const chained = chainRows(head, fresh, this.now().toISOString());
      for (let at = 0; at < chained.rows.length; at += this.insertChunk) {
        const chunk = chained.rows.slice(at, at + this.insertChunk).map((row) => ({
          partition_key: row.partition,
          seq: row.seq,
          source: row.source,
          source_id: row.sourceId,
          source_position: row.sourcePosition,
          event_type: row.eventType,
          occurred_at: row.occurredAt,
          recorded_at: row.recordedAt,
          actor: row.actor,
          subject_ids: row.subjectIds,
          // As text, cast below: a JSON null payload stays the jsonb `null`, never SQL NULL.
          payload: JSON.stringify(row.payload),
          prev_hash: row.prevHash,
          row_hash: row.rowHash,
        }));
        await client.query(
          `INSERT INTO audit_rows (partition_key, seq, source, source_id, source_position, event_type, occurred_at, recorded_at, actor, subject_ids, payload, prev_hash, row_hash)
           SELECT partition_key, seq, source, source_id, source_position, event_type, occurred_at, recorded_at, actor, subject_ids, payload::jsonb, prev_hash, row_hash
           FROM jsonb_to_recordset($1::jsonb) AS r(partition_key text, seq bigint, source text, source_id text, source_position text, event_type text,
             occurred_at timestamptz, recorded_at timestamptz, actor text, subject_ids text[], payload text, prev_hash text, row_hash text)
           ORDER BY seq`,
          [JSON.stringify(chunk)],
        );
      }
      await client.query('UPDATE audit_heads SET last_seq = $2, last_hash = $3 WHERE partition_key = $1', [partition, chained.head.lastSeq, chained.head.lastHash]);
      await client.query('COMMIT');
      return { appended: fresh.length, duplicates: records.length - fresh.length };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async partitions(prefix?: string): Promise<string[]> {
    return this.withClient(async (client) => {
      const result = prefix
        ? await client.query<{ partition_key: string }>('SELECT partition_key FROM audit_heads WHERE starts_with(partition_key, $1) ORDER BY partition_key COLLATE "C"', [prefix])
        : await client.query<{ partition_key: string }>('SELECT partition_key FROM audit_heads ORDER BY partition_key COLLATE "C"');
      return result.rows.map((row) => row.partition_key);
    });
  }

  async head(partition: string): Promise<ChainHead | undefined> {
    return this.withClient(async (client) => {
      const row = (await client.query<{ last_seq: string; last_hash: string }>('SELECT last_seq::text AS last_seq, last_hash FROM audit_heads WHERE partition_key = $1', [partition])).rows[0];
      return row ? { partition, lastSeq: Number(row.last_seq), lastHash: row.last_hash } : undefined;
    });
  }

  async readPartition(partition: string, options: { fromSeq?: number; limit?: number } = {}): Promise<AuditRow[]> {
    return this.withClient(async (client) => {
      const result = await client.query<StoredRow>(`SELECT ${ROW_COLUMNS} FROM audit_rows WHERE partition_key = $1 AND seq >= $2 ORDER BY audit_rows.seq LIMIT $3`, [
        partition,
        options.fromSeq ?? 1,
        options.limit ?? 10_000,
      ]);
      return result.rows.map(fromStored);
    });
  }

  async readChain(partition: string): Promise<{ head: ChainHead | undefined; rows: AuditRow[] }> {
    return this.withClient(async (client) => {
      // One snapshot for the head and the rows: appends that commit meanwhile are not seen by either.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const headRow = (await client.query<{ last_seq: string; last_hash: string }>('SELECT last_seq::text AS last_seq, last_hash FROM audit_heads WHERE partition_key = $1', [partition])).rows[0];
        const rows = (await client.query<StoredRow>(`SELECT ${ROW_COLUMNS} FROM audit_rows WHERE partition_key = $1 ORDER BY audit_rows.seq`, [partition])).rows.map(fromStored);
        await client.query('COMMIT');
        return { head: headRow ? { partition, lastSeq: Number(headRow.last_seq), lastHash: headRow.last_hash } : undefined, rows };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async cursor(feed: string): Promise<string | undefined> {
    return this.withClient(async (client) => (await client.query<{ position: string }>('SELECT position FROM audit_cursors WHERE feed = $1', [feed])).rows[0]?.position);
  }

  async saveCursor(feed: string, position: string): Promise<void> {
    await this.withClient((client) =>
      client.query('INSERT INTO audit_cursors (feed, position) VALUES ($1, $2) ON CONFLICT (feed) DO UPDATE SET position = excluded.position, updated_at = now()', [feed, position]),
    );
  }
}

/** An error PostgreSQL answered (the connection is still good), as opposed to a broken connection. */
function isSqlError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
