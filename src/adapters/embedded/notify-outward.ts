/**
 * The notify outbox locally (NOTIFY-1): the outward events reconciliation and the workbench
 * publish (src/notify/outward.ts) are kept in `<state>/notify/outward-events.db`, a file of their
 * own (the publisher never waits on the notifier's database or its lock), one row per event id
 * (INSERT OR IGNORE: a re-published event is kept once), numbered in publish order. The notifier
 * drains it as one more source (`outbox:outward`) of ArchiveNotifyEventSource, past its cursor.
 */
import { join } from 'node:path';
import type { StateDatabase } from './database';
import { openDurableDatabase } from './database';
import { NOTIFY_DIR } from './notify-sqlite';
import type { OutwardEvent, OutwardEventPublisher } from '../../notify/outward';

export const OUTWARD_DB_FILE = 'outward-events.db';
export const OUTWARD_SOURCE = 'outbox:outward';

export function createOutwardTable(db: StateDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS outward_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL
  )`);
}

export class SqliteOutwardEventPublisher implements OutwardEventPublisher {
  private readonly insert;

  /** The outbox of the state `stateDir` (made on first use). */
  static open(stateDir: string): SqliteOutwardEventPublisher {
    return new SqliteOutwardEventPublisher(openDurableDatabase(join(stateDir, NOTIFY_DIR), OUTWARD_DB_FILE), true);
  }

  constructor(
    private readonly db: StateDatabase,
    private readonly owned = false,
  ) {
    createOutwardTable(db);
    this.insert = db.prepare<[string, string, string]>('INSERT OR IGNORE INTO outward_events (event_id, event_type, body) VALUES (?, ?, ?)');
  }

  async publish(event: OutwardEvent): Promise<void> {
    this.insert.run(event.id, event.type, JSON.stringify(event));
  }

  close(): void {
    if (this.owned) this.db.close();
  }
}
