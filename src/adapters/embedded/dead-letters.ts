/**
 * The dead-letter store: every input line or message that could not be processed, with where it
 * came from, its position and the reason. Idempotent: the same line of the same source is kept
 * once, however often the run is repeated.
 *
 * PCI-3: no card number reaches storage. Callers redact what they hand over, and this store
 * redacts the source, reason and content once more (PCI-1 text evidence, `\u` escapes included)
 * before anything is written, so no caller can store a PAN's digits by mistake (a truncated line,
 * a reason quoting content). Redaction is idempotent, so the fingerprint of redacted content is
 * unchanged.
 */
import { createHash } from 'node:crypto';
import { redactPans } from '../../domain/pan';
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
    const source = redactPans(letter.source);
    const reason = redactPans(letter.reason);
    const content = redactPans(letter.content);
    const fingerprint = createHash('sha256').update(`${source}\u001f${letter.position}\u001f${content}`).digest('hex');
    this.insert.run(source, letter.position, reason, content, fingerprint);
  }

  all(limit = 1_000_000): DeadLetter[] {
    return this.list.all(limit) as DeadLetter[];
  }
}
