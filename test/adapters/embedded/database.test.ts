/**
 * openDurableDatabase under another connection's locks: SQLite answers the switch to WAL with
 * SQLITE_BUSY at once (its busy handler is not asked) while another connection holds a lock on the
 * file, so a store created while something else opens it (a workbench probed while a run creates
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
    // The probe really contended: it held the lock of the stores many times.
    expect(await probed).toBeGreaterThan(60);
    await probe.terminate();
    expect(failures).toEqual([]);
    for (let n = 0; n < 60; n += 1) {
      const db = new Database(join(dir, `db${n}.db`), { readonly: true });
      expect(db.prepare('SELECT a FROM t').all()).toEqual([{ a: String(n) }]);
      db.close();
    }
  });
});
