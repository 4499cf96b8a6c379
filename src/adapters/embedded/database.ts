/**
 * The embedded runtime's durable state: one SQLite database (WAL) in the --state directory.
 * WAL + synchronous=NORMAL survives a killed process (kill -9) without losing a commit.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type StateDatabase = Database.Database;

export const STATE_DB_FILE = 'ledgerline.db';

/** How long an open waits for another connection's lock, as any statement does (busy_timeout). */
const BUSY_TIMEOUT_MS = 5000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Switches `db` to WAL, waiting for other connections as a statement would. SQLite answers the
 * switch with SQLITE_BUSY at once, without its busy handler, while another connection holds the
 * file's write lock (a workbench probing the store while a run creates its workbench.db: readers
 * take no lock of ours, LOCK-1), or leaves the old mode: both are retried until the busy timeout.
 */
function enterWal(db: StateDatabase, path: string): void {
  for (const until = Date.now() + BUSY_TIMEOUT_MS; ; Atomics.wait(pause, 0, 0, 5)) {
    let mode: unknown;
    try {
      mode = db.pragma('journal_mode = WAL', { simple: true });
    } catch (error) {
      if (!(error as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw error;
      if (Date.now() > until) {
        // The same error (its code kept for callers that tell busy apart), naming the file.
        (error as Error).message = `${path}: ${(error as Error).message} (another connection held it for ${BUSY_TIMEOUT_MS / 1000} s while it was opened)`;
        throw error;
      }
      continue;
    }
    if (mode === 'wal') return;
    if (Date.now() > until) throw new Error(`${path}: could not switch to WAL (the journal mode stayed ${String(mode)}): another connection holds the file`);
  }
}

/**
 * A write transaction of a file more than one connection writes (workbench.db, the outward-events
 * outbox): IMMEDIATE, so it takes the write lock first, waiting up to the busy timeout, and then reads
 * the latest data. A DEFERRED one (better-sqlite3's default) that reads before it writes fails at once,
 * with SQLITE_BUSY or SQLITE_BUSY_SNAPSHOT, when another connection commits in between. Called inside an
 * open transaction it is a savepoint, as any better-sqlite3 transaction is.
 */
export function writeTransaction<A extends unknown[], R>(db: StateDatabase, fn: (...args: A) => R): (...args: A) => R {
  const transaction = db.transaction(fn);
  return (...args: A): R => transaction.immediate(...args);
}

/** Opens (creating) one durable SQLite file in `dir`: WAL, synchronous=NORMAL, a 5 s busy timeout. */
export function openDurableDatabase(dir: string, file: string): StateDatabase {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    enterWal(db, path);
    db.pragma('synchronous = NORMAL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

export function openStateDatabase(stateDir: string): StateDatabase {
  const db = openDurableDatabase(stateDir, STATE_DB_FILE);
  // Checkpoint the WAL every ~128 MiB rather than every 4 MiB: fewer, larger checkpoints.
  db.pragma('wal_autocheckpoint = 32768');
  db.pragma('cache_size = -262144'); // 256 MiB page cache: random-key B-trees stay hot at 1M+ payments
  db.pragma('temp_store = MEMORY');
  return db;
}
