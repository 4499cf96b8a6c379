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

/** A kept dead letter with its row id and what redrives did with it (DLQ-1). */
export interface StoredDeadLetter extends DeadLetter {
  id: number;
  /** Redrives so far (0: never redriven). */
  redrives: number;
  /** When it was last redriven (ISO 8601). */
  lastRedriveAt?: string;
}

export class SqliteDeadLetterStore {
  private readonly insert;
  private readonly list;
  private readonly listStored;
  private readonly getStored;
  private readonly recordRedrive;

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
    db.exec(`CREATE TABLE IF NOT EXISTS dead_letter_redrives (
      letter_id INTEGER PRIMARY KEY,
      redrives INTEGER NOT NULL,
      last_redrive_at TEXT NOT NULL
    )`);
    const stored =
      'SELECT d.id, d.source, d.position, d.reason, d.content, COALESCE(r.redrives, 0) AS redrives, r.last_redrive_at AS lastRedriveAt FROM dead_letters d LEFT JOIN dead_letter_redrives r ON r.letter_id = d.id';
    this.listStored = db.prepare(`${stored} ORDER BY d.id LIMIT ?`);
    this.getStored = db.prepare(`${stored} WHERE d.id = ?`);
    this.recordRedrive = db.prepare(
      'INSERT INTO dead_letter_redrives (letter_id, redrives, last_redrive_at) VALUES (?, 1, ?) ON CONFLICT (letter_id) DO UPDATE SET redrives = redrives + 1, last_redrive_at = excluded.last_redrive_at',
    );
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

  /** The kept letters with their ids and redrive counts, oldest first (DLQ-1). */
  stored(limit = 1_000_000): StoredDeadLetter[] {
    return (this.listStored.all(limit) as (StoredDeadLetter & { lastRedriveAt: string | null })[]).map(withoutNulls);
  }

  /** One kept letter by id, or undefined. */
  get(id: number): StoredDeadLetter | undefined {
    const row = this.getStored.get(id) as (StoredDeadLetter & { lastRedriveAt: string | null }) | undefined;
    return row ? withoutNulls(row) : undefined;
  }

  /** Notes a redrive of letter `id` (the letter itself is kept: it is the record of what failed). */
  markRedriven(id: number, at: Date): void {
    this.recordRedrive.run(id, at.toISOString());
  }
}

function withoutNulls(row: StoredDeadLetter & { lastRedriveAt: string | null }): StoredDeadLetter {
  const { lastRedriveAt, ...rest } = row;
  return lastRedriveAt === null ? rest : { ...rest, lastRedriveAt };
}
