/**
 * The SQL-transactions port's contract (src/ports/sql-transactions.ts), held by BOTH adapters on a
 * real PostgreSQL server: node-postgres, and the Data API adapter over a stand-in RDSDataClient
 * that executes on the same server. Commit on success, rollback on failure, one statement per
 * call, typed parameters, isolation between concurrent transactions.
 */
import fc from 'fast-check';
import type { Client } from 'pg';
import { dataApiTransactions } from '../../src/adapters/aws/audit-data-api';
import { describeWithPostgres, useThrowAwayPostgres } from '../support/postgres';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { ADAPTERS, connect, releaseConnections, TARGET } from './migrations-adapters';
import { FakeRdsDataClient } from './migrations-fake-data-api';

describeWithPostgres('the SQL-transactions port', () => {
  const pg = useThrowAwayPostgres();
  let url: string;
  let admin: Client;
  beforeAll(async () => {
    url = await pg.freshDatabase();
    admin = await pg.client(url);
    await admin.query('CREATE TABLE items (id text PRIMARY KEY, n integer)');
  }, 120_000);
  afterEach(releaseConnections);

  const count = async (prefix: string): Promise<number> => Number((await admin.query('SELECT count(*) AS n FROM items WHERE starts_with(id, $1)', [prefix])).rows[0].n);

  describe.each(ADAPTERS)('%s', (adapter) => {
    it('commits when the work resolves, and others see nothing before the commit', async () => {
      const { db } = await connect(pg, adapter, url);
      const result = await db.inTransaction(async (tx) => {
        await tx.execute('INSERT INTO items (id, n) VALUES ($1, $2)', [`${adapter}:commit`, 1]);
        expect(await count(`${adapter}:commit`)).toBe(0);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await count(`${adapter}:commit`)).toBe(1);
    });

    it('rolls back when the work rejects, passing the rejection through unchanged', async () => {
      const { db, fake } = await connect(pg, adapter, url);
      const failure = new Error('work failed');
      await expect(
        db.inTransaction(async (tx) => {
          await tx.execute('INSERT INTO items (id, n) VALUES ($1, $2)', [`${adapter}:rollback`, 1]);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await count(`${adapter}:rollback`)).toBe(0);
      if (fake) expect(fake.openTransactions).toBe(0);
    });

    it('a failed statement rejects with the database message, and nothing of its transaction stays', async () => {
      const { db, fake } = await connect(pg, adapter, url);
      await expect(
        db.inTransaction(async (tx) => {
          await tx.execute('INSERT INTO items (id, n) VALUES ($1, $2)', [`${adapter}:failed`, 1]);
          await tx.execute('INSERT INTO no_such_table VALUES (1)');
        }),
      ).rejects.toThrow(/relation "no_such_table" does not exist/);
      expect(await count(`${adapter}:failed`)).toBe(0);
      if (fake) expect(fake.calls.at(-1)).toBe('RollbackTransaction');
    });

    it('a transaction whose failed statement was swallowed is not committed', async () => {
      const { db } = await connect(pg, adapter, url);
      await expect(
        db.inTransaction(async (tx) => {
          await tx.execute('INSERT INTO items (id, n) VALUES ($1, $2)', [`${adapter}:swallowed`, 1]);
          await tx.execute('SELECT 1 / 0').catch(() => undefined);
        }),
      ).rejects.toThrow(/not committed|rolled back/);
      expect(await count(`${adapter}:swallowed`)).toBe(0);
    });

    it('runs one statement per call: a script of two is refused', async () => {
      const { db } = await connect(pg, adapter, url);
      await expect(db.inTransaction((tx) => tx.execute(`INSERT INTO items (id) VALUES ('${adapter}:two'); SELECT 1`))).rejects.toThrow(/multiple commands|Multistatement/i);
      expect(await count(`${adapter}:two`)).toBe(0);
    });

    it('passes any generated text, integer, boolean and NULL through exactly, with $n inside a literal left alone', async () => {
      const { db } = await connect(pg, adapter, url);
      await fc.assert(
        fc.asyncProperty(
          fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\u0000')),
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          fc.oneof(fc.constant(7_104_202_611), fc.maxSafeInteger(), fc.integer()),
          fc.boolean(),
          async (text, int, long, flag) => {
            const [row] = await db.inTransaction((tx) =>
              tx.execute(
                "SELECT CAST($1 AS text) AS text, CAST($2 AS integer) AS int, CAST(CAST($3 AS bigint) AS text) AS long, CAST($4 AS boolean) AS flag, CAST($5 AS text) IS NULL AS null_is_null, '$1 :p1' AS literal",
                [text, int, long, flag, null],
              ),
            );
            expect(row).toEqual({ text, int, long: String(long), flag, null_is_null: true, literal: '$1 :p1' });
          },
        ),
        { numRuns: fuzzRuns(40), seed: fuzzSeed(61_208) },
      );
    });

    it('two transactions at once are isolated: the second waits for the first one’s lock, then sees its commit', async () => {
      const first = await connect(pg, adapter, url);
      const second = await connect(pg, adapter, url);
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const a = first.db.inTransaction(async (tx) => {
        await tx.execute('SELECT count(*) AS n FROM (SELECT pg_advisory_xact_lock(42)) AS l');
        locked();
        await held;
        await tx.execute('INSERT INTO items (id, n) VALUES ($1, 1)', [`${adapter}:iso`]);
        order.push('first committed');
      });
      await lockTaken;
      const b = second.db.inTransaction(async (tx) => {
        await tx.execute('SELECT count(*) AS n FROM (SELECT pg_advisory_xact_lock(42)) AS l');
        order.push('second locked');
        return Number((await tx.execute('SELECT count(*) AS n FROM items WHERE id = $1', [`${adapter}:iso`]))[0]!.n);
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(order).toEqual([]);
      release();
      await a;
      expect(await b).toBe(1);
      expect(order).toEqual(['first committed', 'second locked']);
    });
  });

  describe('Data API only', () => {
    it('waits for a paused cluster to resume: BeginTransaction retried with back-off', async () => {
      const waits: number[] = [];
      const { db, fake } = await connect(pg, 'Data API', url, { sleep: async (ms) => void waits.push(ms) }, 3);
      await db.inTransaction((tx) => tx.execute('SELECT 1 AS one'));
      expect(waits).toEqual([1_000, 2_000, 4_000]);
      expect(fake!.calls.filter((call) => call === 'BeginTransaction')).toHaveLength(4);
    });

    it('gives up after its attempts, with the service’s error', async () => {
      const waits: number[] = [];
      const { db } = await connect(pg, 'Data API', url, { sleep: async (ms) => void waits.push(ms), resumeAttempts: 2 }, 5);
      await expect(db.inTransaction((tx) => tx.execute('SELECT 1'))).rejects.toMatchObject({ name: 'DatabaseResumingException' });
      expect(waits).toHaveLength(1);
    });

    it('refuses a non-integer number parameter before sending it, naming it', async () => {
      const fake = new FakeRdsDataClient(pg.pool(url, 1), TARGET);
      const db = dataApiTransactions(fake, TARGET);
      await expect(db.inTransaction((tx) => tx.execute('SELECT CAST($1 AS numeric) AS x', [0.1]))).rejects.toThrow(/parameter \$1 of "SELECT CAST\(\$1 AS numeric\) AS x" is 0\.1/);
      expect(fake.calls).not.toContain('ExecuteStatement');
      expect(fake.openTransactions).toBe(0);
    });

    it('names the cluster, the secret and the database on every call (the stand-in refuses any other)', async () => {
      const fake = new FakeRdsDataClient(pg.pool(url, 1), TARGET);
      const wrong = dataApiTransactions(fake, { ...TARGET, secretArn: `${TARGET.secretArn}-other` });
      await expect(wrong.inTransaction((tx) => tx.execute('SELECT 1'))).rejects.toThrow(/is not the cluster's/);
      const db = dataApiTransactions(fake, TARGET);
      await db.inTransaction((tx) => tx.execute('SELECT 1 AS one'));
      expect(fake.calls).toEqual(['BeginTransaction', 'BeginTransaction', 'ExecuteStatement', 'CommitTransaction']);
    });
  });
});
