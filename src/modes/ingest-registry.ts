/**
 * The local modes' own bookkeeping, `<state>/ingest.db` beside the state's databases:
 * - MODE-2: each batch file by its content hash (SHA-256), with its status, attempts and
 *   per-file summary: a file whose hash is recorded as posted posts nothing again;
 * - MODE-3: each tailed file's committed position (byte offset and line count of the last
 *   complete line posted), so a restarted tail carries on where it stopped.
 *
 * The posting itself is recognised by the state (an authorisation id is recorded once per state),
 * so a crash between a committed wave and this record re-posts nothing: the re-run finds those
 * lines already received.
 */
import type { StateDatabase } from '../adapters/embedded/database';
import { openDurableDatabase } from '../adapters/embedded/database';
import type { RunSummary } from '../runtime/embedded-runtime';

export const INGEST_DB_FILE = 'ingest.db';

export interface FileRecord {
  contentHash: string;
  source: string;
  /** The file's name when first seen (masked: PCI-3). */
  fileName: string;
  status: 'posting' | 'posted';
  /** Times posting the file was started (> 1: resumed after a crash or failure). */
  attempts: number;
  firstSeenAt: string;
  postedAt?: string;
  summary?: RunSummary;
}

export interface TailPosition {
  byteOffset: number;
  lines: number;
}

interface FileRow {
  content_hash: string;
  source: string;
  file_name: string;
  status: 'posting' | 'posted';
  attempts: number;
  first_seen_at: string;
  posted_at: string | null;
  summary: string | null;
}

export class IngestRegistry {
  private readonly db: StateDatabase;

  constructor(stateDir: string) {
    this.db = openDurableDatabase(stateDir, INGEST_DB_FILE);
    this.db.exec(`CREATE TABLE IF NOT EXISTS ingest_files (
        content_hash TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        file_name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('posting', 'posted')),
        attempts INTEGER NOT NULL,
        first_seen_at TEXT NOT NULL,
        posted_at TEXT,
        summary TEXT
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS tail_positions (
        path TEXT PRIMARY KEY,
        byte_offset INTEGER NOT NULL,
        lines INTEGER NOT NULL
      ) WITHOUT ROWID`);
  }

  file(contentHash: string): FileRecord | undefined {
    const row = this.db.prepare<[string], FileRow>('SELECT * FROM ingest_files WHERE content_hash = ?').get(contentHash);
    return row && toRecord(row);
  }

  files(): FileRecord[] {
    return this.db.prepare<[], FileRow>('SELECT * FROM ingest_files ORDER BY first_seen_at, content_hash').all().map(toRecord);
  }

  /** Marks a file as being posted (a new attempt); returns its record. */
  startFile(contentHash: string, source: string, fileName: string, at: Date): FileRecord {
    this.db
      .prepare(
        `INSERT INTO ingest_files (content_hash, source, file_name, status, attempts, first_seen_at) VALUES (?, ?, ?, 'posting', 1, ?)
         ON CONFLICT (content_hash) DO UPDATE SET attempts = attempts + 1 WHERE status = 'posting'`,
      )
      .run(contentHash, source, fileName, at.toISOString());
    return this.file(contentHash)!;
  }

  finishFile(contentHash: string, summary: RunSummary, at: Date): FileRecord {
    this.db.prepare(`UPDATE ingest_files SET status = 'posted', posted_at = ?, summary = ? WHERE content_hash = ?`).run(at.toISOString(), JSON.stringify(summary), contentHash);
    return this.file(contentHash)!;
  }

  tailPosition(path: string): TailPosition {
    const row = this.db.prepare<[string], { byte_offset: number; lines: number }>('SELECT byte_offset, lines FROM tail_positions WHERE path = ?').get(path);
    return row ? { byteOffset: row.byte_offset, lines: row.lines } : { byteOffset: 0, lines: 0 };
  }

  setTailPosition(path: string, position: TailPosition): void {
    this.db
      .prepare('INSERT INTO tail_positions VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET byte_offset = excluded.byte_offset, lines = excluded.lines')
      .run(path, position.byteOffset, position.lines);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toRecord(row: FileRow): FileRecord {
  return {
    contentHash: row.content_hash,
    source: row.source,
    fileName: row.file_name,
    status: row.status,
    attempts: row.attempts,
    firstSeenAt: row.first_seen_at,
    ...(row.posted_at ? { postedAt: row.posted_at } : {}),
    ...(row.summary ? { summary: JSON.parse(row.summary) as RunSummary } : {}),
  };
}
