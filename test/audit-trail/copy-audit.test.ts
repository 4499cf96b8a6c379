/**
 * copyAudit under crashes (AUDIT-1: nothing lost, nothing twice): a copy that dies after an
 * append and before its cursor moves, or before the append, is simply run again; every record
 * ends up in the store exactly once, whatever the page size and wherever it died.
 */
import * as fc from 'fast-check';
import { migrateAuditStore } from '../../src/adapters/postgres/audit-migrations';
import { PostgresAuditStore } from '../../src/adapters/postgres/audit-store';
import type { PartitionedRecord } from '../../src/audit-trail/chain';
import type { AuditTrailStore } from '../../src/ports/audit-trail';
import { type AuditFeed, copyAudit, verifyAuditTrail } from '../../src/use-cases/copy-audit/copy-audit';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { describeWithPostgres, useThrowAwayPostgres } from '../support/postgres';
import { recordOf, recordSpecArb } from './arbitraries';

class Crash extends Error {}

/** A feed over a fixed list, its cursor the index of the last record read. */
function listFeed(name: string, records: readonly PartitionedRecord[], crashOnRead?: number): AuditFeed {
  let reads = 0;
  return {
    name,
    async read(cursor, limit) {
      reads += 1;
      if (crashOnRead !== undefined && reads === crashOnRead) throw new Crash('killed while reading');
      const from = cursor === undefined ? 0 : Number(cursor) + 1;
      const page = records.slice(from, from + limit);
      return { records: [...page], next: page.length > 0 ? String(from + page.length - 1) : cursor, done: from + page.length >= records.length };
    },
  };
}

/** The store, dying at its n-th cursor move (after that page's append committed). */
function crashingStore(inner: AuditTrailStore, crashOnSave: number | undefined): AuditTrailStore {
  let saves = 0;
  return {
    append: (records) => inner.append(records),
    partitions: (prefix) => inner.partitions(prefix),
    head: (partition) => inner.head(partition),
    readPartition: (partition, options) => inner.readPartition(partition, options),
    readChain: (partition) => inner.readChain(partition),
    cursor: (feed) => inner.cursor(feed),
    async saveCursor(feed, position) {
      saves += 1;
      if (crashOnSave !== undefined && saves === crashOnSave) throw new Crash('killed before the cursor moved');
      await inner.saveCursor(feed, position);
    },
  };
}

describeWithPostgres('copyAudit', () => {
  const pg = useThrowAwayPostgres();
  let store: PostgresAuditStore;
  let admin: Awaited<ReturnType<typeof pg.client>>;
  beforeAll(async () => {
    const url = await pg.freshDatabase();
    admin = await pg.client(url);
    await migrateAuditStore(admin);
    store = new PostgresAuditStore(pg.pool(url, 3));
  }, 120_000);

  let run = 0;
  it('a copy killed anywhere and run again stores every record exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.integer(),
        async (n, pageSize, crashOnSave, crashOnRead, seed) => {
          run += 1;
          const records = fc.sample(recordSpecArb, { numRuns: n, seed }).map((spec, i) => recordOf(spec, `copy-${run}:${i}`));
          const feed = `feed-${run}`;
          const first = await copyAudit({ store: crashingStore(store, crashOnSave), feeds: [listFeed(feed, records, crashOnRead)] }, { pageSize }).catch((error: unknown) => {
            if (!(error instanceof Crash)) throw error;
            return undefined;
          });
          const second = await copyAudit({ store, feeds: [listFeed(feed, records)] }, { pageSize });
          const stored = (await admin.query('SELECT source_id FROM audit_rows WHERE starts_with(source_id, $1) ORDER BY source_id', [`copy-${run}:`])).rows.map((row) => row.source_id);
          expect(stored).toEqual(records.map((r) => r.record.sourceId).sort());
          expect((first?.appended ?? 0) + second.appended).toBeLessThanOrEqual(n);
          expect(await store.cursor(feed)).toBe(String(n - 1));
          // A third run finds nothing new.
          expect((await copyAudit({ store, feeds: [listFeed(feed, records)] }, { pageSize })).feeds[0]).toMatchObject({ read: 0, appended: 0 });
        },
      ),
      { numRuns: fuzzRuns(25), seed: fuzzSeed(81) },
    );
    expect((await verifyAuditTrail(store)).faults).toEqual([]);
  });
});
