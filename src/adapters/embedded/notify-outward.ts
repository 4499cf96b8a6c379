/**
 * The notify outbox locally (NOTIFY-1): the outward events reconciliation and the workbench
 * publish (src/notify/outward.ts) are kept in `<state>/notify/outward-events.db`, a file of their
 * own (the publisher never waits on the notifier's database or its lock), one row per event id
 * (INSERT OR IGNORE: a re-published event is kept once), numbered in publish order. The notifier
 * drains it as one more source (`outbox:outward`) of ArchiveNotifyEventSource, past its cursor.
 *
 * Prepared events (PreparedOutbox, never lost): `outward_prepared` keeps a key's events before the
 * commit they announce, in the same file but out of the notifier's sight; `release` moves them into
 * `outward_events` and forgets the key in ONE transaction, so a crash leaves them either prepared
 * (settled at the next start: src/notify/outward.ts settlePrepared) or published, never both,
 * never neither.
 */
import { join } from 'node:path';
import { openDurableDatabase, type StateDatabase, writeTransaction } from './database';
import { NOTIFY_DIR } from './notify-sqlite';
import type { OutwardEvent, PreparedOutbox } from '../../notify/outward';

export const OUTWARD_DB_FILE = 'outward-events.db';
export const OUTWARD_SOURCE = 'outbox:outward';

export function createOutwardTable(db: StateDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS outward_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL
  )`);
  db.exec(`CREATE TABLE IF NOT EXISTS outward_prepared (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    prepared_key TEXT NOT NULL UNIQUE,
    prepared_at TEXT NOT NULL,
    events TEXT NOT NULL
  )`);
}

export class SqliteOutwardEventPublisher implements PreparedOutbox {
  private readonly insert;
  private readonly keep;
  private readonly held;
  private readonly forget;
  private readonly list;
  private readonly releaseKey;

  /** The outbox of the state `stateDir` (made on first use). */
  static open(stateDir: string, now?: () => Date): SqliteOutwardEventPublisher {
    return new SqliteOutwardEventPublisher(openDurableDatabase(join(stateDir, NOTIFY_DIR), OUTWARD_DB_FILE), true, now);
  }

  constructor(
    private readonly db: StateDatabase,
    private readonly owned = false,
    private readonly now: () => Date = () => new Date(),
  ) {
    createOutwardTable(db);
    this.insert = db.prepare<[string, string, string]>('INSERT OR IGNORE INTO outward_events (event_id, event_type, body) VALUES (?, ?, ?)');
    this.keep = db.prepare<[string, string, string]>(
      'INSERT INTO outward_prepared (prepared_key, prepared_at, events) VALUES (?, ?, ?) ON CONFLICT (prepared_key) DO UPDATE SET events = excluded.events',
    );
    this.held = db.prepare<[string]>('SELECT events FROM outward_prepared WHERE prepared_key = ?');
    this.forget = db.prepare<[string]>('DELETE FROM outward_prepared WHERE prepared_key = ?');
    // Keys are compared by their prefix as text (no LIKE: a key's own % or _ mean nothing).
    this.list = db.prepare<[string, string]>('SELECT prepared_key AS key, prepared_at AS preparedAt FROM outward_prepared WHERE substr(prepared_key, 1, length(?)) = ? ORDER BY seq');
    this.releaseKey = writeTransaction(db, (key: string) => {
      const row = this.held.get(key) as { events: string } | undefined;
      if (!row) return;
      for (const event of JSON.parse(row.events) as OutwardEvent[]) this.insert.run(event.id, event.type, JSON.stringify(event));
      this.forget.run(key);
    });
  }

  async publish(event: OutwardEvent): Promise<void> {
    this.insert.run(event.id, event.type, JSON.stringify(event));
  }

  async prepare(key: string, events: readonly OutwardEvent[]): Promise<void> {
    this.keep.run(key, this.now().toISOString(), JSON.stringify(events));
  }

  async release(key: string): Promise<void> {
    this.releaseKey(key);
  }

  async discard(key: string): Promise<void> {
    this.forget.run(key);
  }

  async prepared(prefix: string): Promise<{ key: string; preparedAt: string }[]> {
    return this.list.all(prefix, prefix) as { key: string; preparedAt: string }[];
  }

  close(): void {
    if (this.owned) this.db.close();
  }
}
