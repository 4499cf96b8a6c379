/**
 * The local posting outbox (transactional-outbox pattern). A batch's records are inserted inside the
 * run's database transaction (writeBatch, LEDGER-2); after commit, `flush` writes them to numbered files in `<state>/outbox/`
 * (temp file + rename, so a file is whole or absent). A file is allocated its rows before it is
 * written, so a crash at any point re-writes the same file with the same content, never a duplicate.
 * Temp names carry the writer's pid and thread (LOCK-1 already keeps one writer per state; this keeps
 * two runtimes opened on one directory by library code from writing through each other's temp file).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { StateDatabase } from './database';
import type { PostingOutbox, PostingRecord } from '../../ports';

export class SqliteFileOutbox implements PostingOutbox {
  private readonly insert;
  private readonly db: StateDatabase;

  constructor(
    db: StateDatabase,
    readonly directory: string,
  ) {
    this.db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS posting_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      record_id TEXT NOT NULL UNIQUE,
      sequence_id TEXT NOT NULL,
      content TEXT NOT NULL,
      file_no INTEGER
    );
    CREATE INDEX IF NOT EXISTS posting_outbox_unfiled ON posting_outbox (seq) WHERE file_no IS NULL;
    CREATE INDEX IF NOT EXISTS posting_outbox_file ON posting_outbox (file_no) WHERE file_no IS NOT NULL;
    CREATE TABLE IF NOT EXISTS posting_outbox_files (file_no INTEGER PRIMARY KEY, written INTEGER NOT NULL DEFAULT 0);`);
    this.insert = db.prepare('INSERT OR IGNORE INTO posting_outbox (record_id, sequence_id, content) VALUES (?, ?, ?)');
  }

  /**
   * Inserts a batch's records (LEDGER-2), all or none, each once by record id (a re-delivered
   * record is ignored). They reach a file at the next flush, in insertion order.
   */
  async writeBatch(records: readonly PostingRecord[]): Promise<void> {
    if (records.length > 0) this.insertAll(records);
  }

  private readonly insertAll = (records: readonly PostingRecord[]): void =>
    this.db.transaction(() => {
      for (const record of records) this.insert.run(record.recordId, record.sequenceId, record.content);
    })();

  fileName(fileNo: number): string {
    return join(this.directory, `postings-${String(fileNo).padStart(8, '0')}.txt`);
  }

  /** Must be called outside a transaction. Returns the files written. */
  flush(): string[] {
    mkdirSync(this.directory, { recursive: true });
    const allocate = this.db.transaction(() => {
      const pending = this.db.prepare('SELECT count(*) FROM posting_outbox WHERE file_no IS NULL').pluck().get() as number;
      if (pending === 0) return;
      const next = ((this.db.prepare('SELECT max(file_no) FROM posting_outbox_files').pluck().get() as number | null) ?? 0) + 1;
      this.db.prepare('UPDATE posting_outbox SET file_no = ? WHERE file_no IS NULL').run(next);
      this.db.prepare('INSERT INTO posting_outbox_files (file_no) VALUES (?)').run(next);
    });
    allocate();
    const written: string[] = [];
    const fileNumbers = this.db.prepare('SELECT file_no FROM posting_outbox_files WHERE written = 0 ORDER BY file_no').pluck().all() as number[];
    for (const fileNo of fileNumbers) {
      const target = this.fileName(fileNo);
      if (existsSync(target)) {
        this.db.prepare('UPDATE posting_outbox_files SET written = 1 WHERE file_no = ?').run(fileNo);
        continue;
      }
      const content = (this.db.prepare('SELECT content FROM posting_outbox WHERE file_no = ? ORDER BY seq').pluck().all(fileNo) as string[]).join('');
      const temp = `${target}.${process.pid}.${threadId}.tmp`;
      writeFileSync(temp, content);
      const fd = openSync(temp, 'r+');
      fsyncSync(fd);
      closeSync(fd);
      renameSync(temp, target);
      this.db.prepare('UPDATE posting_outbox_files SET written = 1 WHERE file_no = ?').run(fileNo);
      written.push(target);
    }
    return written;
  }
}
