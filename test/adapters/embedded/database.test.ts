/**
 * openDurableDatabase under another connection's locks: SQLite answers the switch to WAL with
 * SQLITE_BUSY at once (its busy handler is not asked) while another connection holds the file's
 * write lock, so a store created while something else opens it (a workbench probed while a run creates
 * its workbench.db) must wait as a statement would, never fail.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openDurableDatabase } from '../../../src/adapters/embedded/database';

/** A thread that keeps taking and dropping the write lock of db<n>.db (n from the shared cell; -1 stops it), as a reader probing a store would. */
const PROBE = `
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { workerData, parentPort } = require('node:worker_threads');
const cell = new Int32Array(workerData.shared);
let held = 0;
for (let n; (n = Atomics.load(cell, 0)) !== -1; ) {
  const path = join(workerData.dir, 'db' + n + '.db');
  if (!existsSync(path)) continue;
  let db;
  try {
    db = new Database(path, { timeout: 0, fileMustExist: true });
    db.exec('BEGIN IMMEDIATE');
    held += 1;
    db.exec('ROLLBACK');
  } catch (error) {
    if (!String(error.code).startsWith('SQLITE_BUSY') && error.code !== 'SQLITE_CANTOPEN') throw error;
  } finally {
    if (db) db.close();
  }
}
parentPort.postMessage(held);
`;

/** A thread that takes `lock` on the file, says so (cell 0 = 1), holds it `holdMs`, then lets go (cell 0 = 2). */
const HOLDER = `
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const { workerData } = require('node:worker_threads');
const cell = new Int32Array(workerData.shared);
const db = new Database(workerData.path);
db.exec(workerData.lock);
Atomics.store(cell, 0, 1);
Atomics.notify(cell, 0);
Atomics.wait(cell, 1, 0, workerData.holdMs);
db.exec('ROLLBACK');
db.close();
Atomics.store(cell, 0, 2);
`;

describe('openDurableDatabase', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'durable-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a new store is WAL with synchronous=NORMAL and a 5 s busy timeout, and it survives a reopen', () => {
    const db = openDurableDatabase(join(dir, 'nested', 'deeper'), 'state.db');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.exec('CREATE TABLE t (a TEXT); INSERT INTO t VALUES (1)');
    db.close();
    const again = openDurableDatabase(join(dir, 'nested', 'deeper'), 'state.db');
    expect(again.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    again.close();
  });

  it.each([
    ['a reader mid-query (a read lock)', 'BEGIN; SELECT count(*) FROM sqlite_schema'],
    ['a writer mid-transaction (the write lock)', 'BEGIN IMMEDIATE'],
  ])('a new file that %s holds for a moment: the open waits for it, then the store is WAL', async (_lock, lock) => {
    const path = join(dir, 'moment.db');
    new Database(path).close(); // an empty database file, as a reader sees one a writer just created
    const shared = new SharedArrayBuffer(8);
    const cell = new Int32Array(shared);
    const holder = new Worker(HOLDER, { eval: true, workerData: { path, lock, holdMs: 400, shared } });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    Atomics.wait(cell, 0, 0, 10_000);
    expect(Atomics.load(cell, 0)).toBe(1);
    const started = Date.now();
    const db = openDurableDatabase(dir, 'moment.db');
    // Opened only once the holder let go (before, SQLite refused the switch at once: SQLITE_BUSY).
    expect(Atomics.load(cell, 0)).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    await exited;
  });

  it('a file another connection keeps locked past the busy timeout: the busy error, naming the file, and nothing left open', () => {
    const path = join(dir, 'held.db');
    const holder = new Database(path);
    holder.exec('CREATE TABLE t (a TEXT); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)');
    const started = Date.now();
    let thrown: unknown;
    try {
      openDurableDatabase(dir, 'held.db');
    } catch (error) {
      thrown = error;
    }
    // It waited (as a statement would), then gave up with SQLite's own code kept.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    expect((thrown as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
    expect((thrown as Error).message).toContain(path);
    expect((thrown as Error).message).toMatch(/another connection held it for 5 s/);
    holder.exec('COMMIT');
    holder.close();
    // Once free, it opens as WAL.
    const db = openDurableDatabase(dir, 'held.db');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('created while another connection keeps taking its write lock, every store opens and writes (never SQLITE_BUSY)', async () => {
    const shared = new SharedArrayBuffer(4);
    const cell = new Int32Array(shared);
    const probe = new Worker(PROBE, { eval: true, workerData: { dir, shared } });
    const probed = new Promise<number>((resolve, reject) => {
      probe.once('message', resolve);
      probe.once('error', reject);
    });
    const failures: string[] = [];
    try {
      for (let n = 0; n < 60; n += 1) {
        Atomics.store(cell, 0, n);
        try {
          const db = openDurableDatabase(dir, `db${n}.db`);
          db.exec('CREATE TABLE IF NOT EXISTS t (a TEXT)');
          db.prepare('INSERT INTO t VALUES (?)').run(String(n));
          expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
          db.close();
        } catch (error) {
          failures.push(`db${n}.db: ${(error as Error).message}`);
        }
      }
    } finally {
      Atomics.store(cell, 0, -1);
    }
    // The probe ran beside the opens (how often it won the lock depends on the machine's load).
    expect(await probed).toBeGreaterThan(0);
    await probe.terminate();
    expect(failures).toEqual([]);
    for (let n = 0; n < 60; n += 1) {
      const db = new Database(join(dir, `db${n}.db`), { readonly: true });
      expect(db.prepare('SELECT a FROM t').all()).toEqual([{ a: String(n) }]);
      db.close();
    }
  });
});
