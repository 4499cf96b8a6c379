/**
 * The dead-letter store: every input line or message that could not be processed, with where it
 * came from, its position and the reason. Content is stored PAN-redacted. Idempotent: the same
 * line of the same source is kept once, however often the run is repeated.
 */
import { createHash } from 'node:crypto';
import type { StateDatabase } from './database';

export interface DeadLetter {
  source: string;
  /** Line number in the source file (1-based), or 0 for queue messages. */
  position: number;
  reason: string;
  content: string;
}

export class SqliteDeadLetterStore {
  private readonly insert;
  private readonly list;

  constructor(db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      source TEXT NOT NULL,
      position INTEGER NOT NULL,
      reason TEXT NOT NULL,
      content TEXT NOT NULL,
      fingerprint TEXT NOT NULL UNIQUE
    )`);
    this.insert = db.prepare('INSERT OR IGNORE INTO dead_letters (source, position, reason, content, fingerprint) VALUES (?, ?, ?, ?, ?)');
    this.list = db.prepare('SELECT source, position, reason, content FROM dead_letters ORDER BY id LIMIT ?');
  }

  add(letter: DeadLetter): void {
    const fingerprint = createHash('sha256').update(`${letter.source}\u001f${letter.position}\u001f${letter.content}`).digest('hex');
    this.insert.run(letter.source, letter.position, letter.reason, letter.content, fingerprint);
  }

  all(limit = 1_000_000): DeadLetter[] {
    return this.list.all(limit) as DeadLetter[];
  }
}
