/**
 * The embedded runtime's durable state: one SQLite database (WAL) in the --state directory.
 * WAL + synchronous=NORMAL survives a killed process (kill -9) without losing a commit.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type StateDatabase = Database.Database;

export const STATE_DB_FILE = 'ledgerline.db';

/** Opens (creating) one durable SQLite file in `dir`: WAL, synchronous=NORMAL, a 5 s busy timeout. */
export function openDurableDatabase(dir: string, file: string): StateDatabase {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
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
