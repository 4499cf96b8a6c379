/**
 * The audit store on a real PostgreSQL server (AUDIT-1, AUDIT-2): migrations, idempotent
 * re-delivery, append-only refusal, concurrent appenders, and tamper detection as a property:
 * random changes, deletions and swaps of rows, made as the superuser with the triggers off, are
 * named exactly by the verifier.
 */
import * as fc from 'fast-check';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, Pool } from 'pg';
import { AUDIT_MIGRATIONS_DIR, migrateAuditStore, readAuditMigrations } from '../../src/adapters/postgres/audit-migrations';
import { PostgresAuditStore } from '../../src/adapters/postgres/audit-store';
import type { PartitionedRecord } from '../../src/audit-trail/chain';
import { verifyAuditTrail } from '../../src/use-cases/copy-audit/copy-audit';
import { describeWithPostgres, useThrowAwayPostgres } from '../support/postgres';
import { fuzzRuns } from '../support/fuzz';
import { recordOf, recordsArb, recordSpecArb } from './arbitraries';

const WRITER = 'ledgerline_audit_writer';

describeWithPostgres('PostgreSQL audit store', () => {
  const pg = useThrowAwayPostgres();
  let url: string;
  let admin: Client;
  let pool: Pool;
  let store: PostgresAuditStore;

  beforeAll(async () => {
    url = await pg.freshDatabase();
    admin = await pg.client(url);
    await migrateAuditStore(admin);
    pool = pg.pool(url, 4);
    store = new PostgresAuditStore(pool, { role: WRITER });
  }, 120_000);

  /** Every stored row of the source ids under `prefix`, all columns, by source id. */
  async function snapshot(prefix: string): Promise<Record<string, unknown>[]> {
    const result = await admin.query('SELECT *, payload::text AS payload_text FROM audit_rows WHERE starts_with(source_id, $1) ORDER BY source_id COLLATE "C"', [`${prefix}:`]);
    return result.rows;
  }

  describe('migrations', () => {
    it('apply once: a second run applies nothing, and the tables, triggers and role exist', async () => {
      const again = await migrateAuditStore(admin);
      expect(again).toEqual([]);
      const tables = (await admin.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((row) => row.tablename);
      expect(tables).toEqual(['audit_cursors', 'audit_heads', 'audit_migrations', 'audit_rows']);
      const triggers = (await admin.query('SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1')).rows.map((row) => row.tgname);
      expect(triggers).toEqual(['audit_heads_forward_only', 'audit_heads_no_truncate', 'audit_rows_append_only', 'audit_rows_no_truncate']);
      const grants = (await admin.query("SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = $1 AND table_name = 'audit_rows' ORDER BY 1", [WRITER])).rows.map(
        (row) => row.privilege_type,
      );
      expect(grants).toEqual(['INSERT', 'SELECT']);
    });

    it('refuse a migration edited after it was applied, naming the file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'audit-migrations-'));
      try {
        cpSync(AUDIT_MIGRATIONS_DIR, dir, { recursive: true });
        const [first] = readAuditMigrations(dir);
        writeFileSync(first!.file, `${first!.sql}\n-- edited\n`);
        await expect(migrateAuditStore(admin, readAuditMigrations(dir))).rejects.toThrow(`${first!.file}: changed after it was applied`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuse a misnamed migration file, naming it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'audit-migrations-'));
      try {
        writeFileSync(join(dir, '1_bad.sql'), 'SELECT 1;');
        expect(() => readAuditMigrations(dir)).toThrow(`${join(dir, '1_bad.sql')}: a migration is named NNNN_<lower_case_name>.sql`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('idempotent re-delivery', () => {
    let run = 0;
    it('the same records re-delivered many times, in shuffled batches, store the same table as one delivery', async () => {
      await fc.assert(
        fc.asyncProperty(
          recordsArb('x', 1, 25).chain((records) =>
            fc.tuple(
              fc.constant(records),
              // Each delivery: the records (some repeated) shuffled, cut into batches.
              fc.array(fc.tuple(fc.shuffledSubarray([...records, ...records], { minLength: 1 }), fc.integer({ min: 1, max: 7 })), { minLength: 1, maxLength: 4 }),
            ),
          ),
          async ([generated, deliveries]) => {
            run += 1;
            const prefix = `redelivery-${run}`;
            const rename = (r: PartitionedRecord): PartitionedRecord => ({ partition: r.partition, record: { ...r.record, sourceId: `${prefix}:${r.record.sourceId}` } });
            const records = generated.map(rename);
            let appended = 0;
            const deliver = async (): Promise<void> => {
              for (const [batch, size] of deliveries) {
                const renamed = batch.map(rename);
                for (let at = 0; at < renamed.length; at += size) {
                  const result = await store.append(renamed.slice(at, at + size));
                  expect(result.failures).toEqual([]);
                  appended += result.appended;
                }
              }
              // Every record at least once, whatever the deliveries held.
              const result = await store.append(records);
              expect(result.failures).toEqual([]);
              appended += result.appended;
            };
            await deliver();
            const first = await snapshot(prefix);
            expect(appended).toBe(records.length);
            expect(first.map((row) => row.source_id)).toEqual(records.map((r) => r.record.sourceId).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
            // The stored content is each record's, exactly (payload through jsonb and back).
            const byId = new Map(records.map((r) => [r.record.sourceId, r]));
            for (const row of first) {
              const r = byId.get(String(row.source_id))!;
              expect(JSON.parse(String(row.payload_text))).toEqual(JSON.parse(JSON.stringify(r.record.payload)));
              expect(row.partition_key).toBe(r.partition);
              expect(row.actor).toBe(r.record.actor);
            }
            // Delivering it all again changes nothing at all.
            appended = 0;
            await deliver();
            expect(appended).toBe(0);
            expect(await snapshot(prefix)).toEqual(first);
            expect((await verifyAuditTrail(store)).faults).toEqual([]);
          },
        ),
        { numRuns: fuzzRuns(12) },
      );
    });

    it('a re-encoded record (members in another order) is the same record: a no-op', async () => {
      const spec = fc.sample(recordSpecArb, { numRuns: 1, seed: 7 })[0]!;
      const original = recordOf({ ...spec, payload: { a: 1, b: { c: 'x', d: [1, 2] } } }, 'reencoded:1');
      const reencoded = recordOf({ ...spec, payload: { b: { d: [1, 2], c: 'x' }, a: 1 } }, 'reencoded:1');
      expect((await store.append([original])).appended).toBe(1);
      expect(await store.append([reencoded])).toEqual({ appended: 0, duplicates: 1, failures: [] });
    });
  });

  describe('append-only', () => {
    let row: { partition_key: string; seq: string };
    beforeAll(async () => {
      const records = fc.sample(recordsArb('refusal', 2, 2), { numRuns: 1, seed: 3 })[0]!;
      await store.append(records);
      row = (await admin.query("SELECT partition_key, seq::text AS seq FROM audit_rows WHERE starts_with(source_id, 'refusal:') LIMIT 1")).rows[0];
    });

    it.each([
      ['UPDATE', "UPDATE audit_rows SET actor = 'someone else' WHERE partition_key = $1 AND seq = $2"],
      ['DELETE', 'DELETE FROM audit_rows WHERE partition_key = $1 AND seq = $2'],
    ])('%s of a row is refused even for the superuser (the trigger names the row)', async (op, sql) => {
      await expect(admin.query(sql, [row.partition_key, row.seq])).rejects.toThrow(`audit trail is append-only: ${op} of audit_rows (partition ${row.partition_key}, seq ${row.seq}) refused`);
    });

    it('TRUNCATE is refused', async () => {
      await expect(admin.query('TRUNCATE audit_rows')).rejects.toThrow('audit trail is append-only: TRUNCATE on audit_rows refused');
    });

    it.each([
      ['UPDATE', "UPDATE audit_rows SET actor = 'x' WHERE partition_key = $1 AND seq = $2"],
      ['DELETE', 'DELETE FROM audit_rows WHERE partition_key = $1 AND seq = $2'],
    ])('the writer role has no %s grant (refused before any trigger)', async (_op, sql) => {
      const client = await pool.connect();
      try {
        await client.query(`SET ROLE ${WRITER}`);
        const error = await client.query(sql, [row.partition_key, row.seq]).catch((e: unknown) => e);
        expect((error as { code?: string }).code).toBe('42501');
        expect((error as Error).message).toBe('permission denied for table audit_rows');
      } finally {
        await client.query('RESET ROLE');
        client.release();
      }
    });

    it('a head never moves back and is never deleted', async () => {
      await expect(admin.query('UPDATE audit_heads SET last_seq = last_seq - 1 WHERE partition_key = $1', [row.partition_key])).rejects.toThrow(
        `audit head of partition ${row.partition_key} may only move forward`,
      );
      await expect(admin.query('DELETE FROM audit_heads WHERE partition_key = $1', [row.partition_key])).rejects.toThrow('audit trail is append-only: DELETE of audit_heads refused');
    });
  });

  describe('concurrent appenders', () => {
    it('eight appenders on their own connections, overlapping records, the same partitions: every chain stays one line, each record once', async () => {
      const records = fc
        .sample(recordSpecArb, { numRuns: 120, seed: 11 })
        .map((spec, i) => recordOf(spec, `concurrent:${i}`))
        .map((r, i): PartitionedRecord => ({ partition: `concurrent/${i % 3}`, record: r.record }));
      const appenders = Array.from({ length: 8 }, (_, k) => {
        const own = new PostgresAuditStore(pg.pool(url, 1), { role: WRITER, concurrency: 1 });
        // Each appender delivers a shifted, overlapping slice in batches of 5.
        const mine = [...records.slice((k * 15) % records.length), ...records.slice(0, (k * 15) % records.length)].slice(0, 70);
        return (async () => {
          let appended = 0;
          for (let at = 0; at < mine.length; at += 5) {
            const result = await own.append(mine.slice(at, at + 5));
            expect(result.failures).toEqual([]);
            appended += result.appended;
          }
          return appended;
        })();
      });
      // Verified again and again while they append: a chain read mid-append is intact (one snapshot per chain).
      let appending = true;
      const verifier = (async () => {
        let checks = 0;
        while (appending || checks === 0) {
          const verification = await verifyAuditTrail(store, { partition: 'concurrent' });
          // (Before the first append there is no such partition yet.)
          if (verification.rows > 0) {
            expect(verification.faults).toEqual([]);
            checks += 1;
          }
        }
        return checks;
      })();
      const appended = (await Promise.all(appenders)).reduce((sum, n) => sum + n, 0);
      appending = false;
      expect(await verifier).toBeGreaterThan(0);
      const delivered = new Set(
        Array.from({ length: 8 }, (_, k) => [...records.slice((k * 15) % records.length), ...records.slice(0, (k * 15) % records.length)].slice(0, 70))
          .flat()
          .map((r) => r.record.sourceId),
      );
      expect(appended).toBe(delivered.size);
      for (let p = 0; p < 3; p += 1) {
        const partition = `concurrent/${p}`;
        const seqs = (await admin.query('SELECT seq::int AS seq FROM audit_rows WHERE partition_key = $1 ORDER BY seq', [partition])).rows.map((row) => row.seq);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
        const head = await store.head(partition);
        expect(head?.lastSeq).toBe(seqs.length);
      }
      const ids = (await admin.query("SELECT source_id FROM audit_rows WHERE starts_with(source_id, 'concurrent:')")).rows.map((row) => row.source_id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(delivered.size);
      const verification = await verifyAuditTrail(store, { partition: 'concurrent' });
      expect(verification.partitions.map((p) => p.partition)).toEqual(['concurrent/0', 'concurrent/1', 'concurrent/2']);
      expect(verification.faults).toEqual([]);
    });
  });

  describe('tamper detection', () => {
    type Op = { kind: 'change'; seq: number; field: number } | { kind: 'delete'; seq: number } | { kind: 'swap'; a: number; b: number };
    const CHANGES: readonly string[] = [
      "payload = jsonb_build_object('tampered', true, 'was', payload)",
      "actor = actor || 'x'",
      "occurred_at = occurred_at + interval '1 millisecond'",
      "recorded_at = recorded_at - interval '1 second'",
      "source_position = source_position || '0'",
      "subject_ids = array_append(subject_ids, 'extra')",
      "event_type = event_type || '.forged'",
      "source_id = source_id || '-forged'",
      'row_hash = md5(row_hash) || md5(prev_hash)',
      'prev_hash = md5(prev_hash) || md5(row_hash)',
    ];

    /** A plan: n rows, and operations on distinct rows. */
    const planArb = fc.integer({ min: 3, max: 24 }).chain((n) =>
      fc
        .tuple(
          fc.shuffledSubarray(
            Array.from({ length: n }, (_, i) => i + 1),
            { minLength: 1, maxLength: Math.min(n, 9) },
          ),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: CHANGES.length - 1 })), { minLength: 9, maxLength: 9 }),
        )
        .map(([seqs, kinds]) => {
          const ops: Op[] = [];
          const pool = [...seqs];
          for (const [kind, field] of kinds) {
            if (pool.length === 0) break;
            if (kind === 2 && pool.length >= 2) ops.push({ kind: 'swap', a: pool.shift()!, b: pool.shift()! });
            else if (kind === 1) ops.push({ kind: 'delete', seq: pool.shift()! });
            else ops.push({ kind: 'change', seq: pool.shift()!, field });
          }
          return { n, ops };
        }),
    );

    let run = 0;
    it('random changes, deletions and swaps of rows are each named, and nothing else is', async () => {
      await fc.assert(
        fc.asyncProperty(planArb, fc.integer({ min: 0, max: 1000 }), async ({ n, ops }, seed) => {
          run += 1;
          const partition = `tamper/${run}`;
          const records = fc.sample(recordSpecArb, { numRuns: n, seed }).map((spec, i): PartitionedRecord => ({ partition, record: recordOf(spec, `tamper-${run}:${i}`).record }));
          // Appended in three deliveries, as a feed would.
          for (let at = 0; at < n; at += Math.ceil(n / 3)) expect((await store.append(records.slice(at, at + Math.ceil(n / 3)))).failures).toEqual([]);
          expect((await verifyAuditTrail(store, { partition })).faults).toEqual([]);

          await admin.query('BEGIN');
          await admin.query('SET LOCAL session_replication_role = replica'); // triggers off: the superuser tampering
          for (const op of ops) {
            if (op.kind === 'change') await admin.query(`UPDATE audit_rows SET ${CHANGES[op.field]} WHERE partition_key = $1 AND seq = $2`, [partition, op.seq]);
            else if (op.kind === 'delete') await admin.query('DELETE FROM audit_rows WHERE partition_key = $1 AND seq = $2', [partition, op.seq]);
            else {
              await admin.query('UPDATE audit_rows SET seq = 1000000 WHERE partition_key = $1 AND seq = $2', [partition, op.a]);
              await admin.query('UPDATE audit_rows SET seq = $3 WHERE partition_key = $1 AND seq = $2', [partition, op.b, op.a]);
              await admin.query('UPDATE audit_rows SET seq = $2 WHERE partition_key = $1 AND seq = 1000000', [partition, op.b]);
            }
          }
          await admin.query('COMMIT');

          const expected = ops
            .flatMap((op) => (op.kind === 'change' ? [`${op.seq} changed`] : op.kind === 'delete' ? [`${op.seq} deleted`] : [`${op.a} reordered→${op.b}`, `${op.b} reordered→${op.a}`]))
            .sort();
          const verification = await verifyAuditTrail(store, { partition });
          const named = verification.faults.map((f) => `${f.seq} ${f.kind}${f.belongsAt !== undefined ? `→${f.belongsAt}` : ''}`).sort();
          expect(named).toEqual(expected);
          expect(verification.faults.every((f) => f.partition === partition)).toBe(true);
          // Other partitions are untouched by the tampering.
          expect((await verifyAuditTrail(store, { partition: 'concurrent' })).faults).toEqual([]);
        }),
        { numRuns: fuzzRuns(30) },
      );
    });
  });

  describe('reading', () => {
    it('reads a partition in seq order, in pages, and its chain as one snapshot', async () => {
      const { head, rows } = await store.readChain('concurrent/0');
      expect(rows.length).toBeGreaterThan(3);
      expect(head?.lastSeq).toBe(rows.length);
      const paged = [...(await store.readPartition('concurrent/0', { limit: 3 })), ...(await store.readPartition('concurrent/0', { fromSeq: 4 }))];
      expect(rows.map((row) => row.seq)).toEqual(rows.map((_, i) => i + 1));
      expect(paged.map((row) => row.seq)).toEqual(rows.map((row) => row.seq));
      expect(paged).toEqual(rows);
      expect(await store.partitions('concurrent/')).toEqual(['concurrent/0', 'concurrent/1', 'concurrent/2']);
      expect(await store.readChain('no-such-partition')).toEqual({ head: undefined, rows: [] });
    });
  });

  describe('cursors', () => {
    it('a feed cursor reads back what was saved last, and is absent before', async () => {
      expect(await store.cursor('feed-a')).toBeUndefined();
      await store.saveCursor('feed-a', '[1]');
      await store.saveCursor('feed-a', '[2]');
      expect(await store.cursor('feed-a')).toBe('[2]');
    });
  });
});
