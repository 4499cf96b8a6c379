/**
 * The re-upload registry: a SQLite file (`registry.db`, by default in the --out directory,
 * or in --registry DIR) that remembers, per committed run, the statement files by SHA-256
 * content hash and the ledger entries they matched.
 *
 * - A statement file whose content hash is registered is a re-upload: it is reported as
 *   `reuploaded` and its lines are skipped (never double-counted).
 * - Ledger entries matched by an earlier committed run are already reconciled: later runs
 *   leave them out (they are not reported again as unmatched).
 *
 * Nothing is written until a run commits: `stage()` opens the transaction (creating the file if
 * needed), `commit()` / `rollback()` end it. A run that fails never touches the registry.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const REGISTRY_FILE = 'registry.db';

export interface RegisteredFile {
  contentHash: string;
  runId: string;
  file: string;
  format: string;
  statementLines: number;
}

export interface RunRecord {
  runId: string;
  asOf: string;
  recordedAt: string;
  files: RegisteredFile[];
  /** Ledger entries matched in this run. */
  matchedLedger: { accountId: string; entryId: string; matchId: string }[];
}

function schema(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS runs (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      run_id TEXT NOT NULL UNIQUE,
      as_of TEXT NOT NULL,
      recorded_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS statement_files (
      content_hash TEXT PRIMARY KEY,
      run_id TEXT NOT NULL,
      file TEXT NOT NULL,
      format TEXT NOT NULL,
      statement_lines INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS reconciled_ledger_entries (
      account_id TEXT NOT NULL,
      entry_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      match_id TEXT NOT NULL,
      PRIMARY KEY (account_id, entry_id)
    ) WITHOUT ROWID;`);
}

export class RunRegistry {
  /** True when stage() created the file (a rollback then removes it again). */
  private created = false;

  private constructor(
    readonly path: string,
    private db: Database.Database | undefined,
  ) {}

  /** The registry in `dir` (not created until a run is staged). */
  static at(dir: string): RunRegistry {
    const path = join(dir, REGISTRY_FILE);
    return new RunRegistry(path, undefined);
  }

  get exists(): boolean {
    return this.db !== undefined || existsSync(this.path);
  }

  private reader(): Database.Database | undefined {
    if (this.db) return this.db;
    if (!existsSync(this.path)) return undefined;
    const db = new Database(this.path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    schema(db);
    this.db = db;
    return db;
  }

  lookup(contentHash: string): RegisteredFile | undefined {
    const row = this.reader()?.prepare('SELECT content_hash, run_id, file, format, statement_lines FROM statement_files WHERE content_hash = ?').get(contentHash) as
      | { content_hash: string; run_id: string; file: string; format: string; statement_lines: number }
      | undefined;
    return row ? { contentHash: row.content_hash, runId: row.run_id, file: row.file, format: row.format, statementLines: row.statement_lines } : undefined;
  }

  /** Keys `accountId \u0000 entryId` of ledger entries matched by earlier runs. */
  reconciledLedgerKeys(accountIds: Iterable<string>): Set<string> {
    const db = this.reader();
    const keys = new Set<string>();
    if (!db) return keys;
    const select = db.prepare('SELECT entry_id FROM reconciled_ledger_entries WHERE account_id = ?').pluck();
    for (const accountId of accountIds) for (const entryId of select.all(accountId) as string[]) keys.add(`${accountId}\u0000${entryId}`);
    return keys;
  }

  /** How many runs were committed (part of the next run's id). */
  runCount(): number {
    return (this.reader()?.prepare('SELECT count(*) FROM runs').pluck().get() as number | undefined) ?? 0;
  }

  /** Opens the run's transaction and writes it (not visible until commit). */
  stage(run: RunRecord): void {
    if (!this.db) {
      mkdirSync(join(this.path, '..'), { recursive: true });
      this.created = !existsSync(this.path);
      this.db = new Database(this.path);
      this.db.pragma('busy_timeout = 5000');
      schema(this.db);
    }
    const db = this.db;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.prepare('INSERT INTO runs (run_id, as_of, recorded_at) VALUES (?, ?, ?)').run(run.runId, run.asOf, run.recordedAt);
      const file = db.prepare('INSERT INTO statement_files VALUES (?, ?, ?, ?, ?)');
      for (const f of run.files) file.run(f.contentHash, f.runId, f.file, f.format, f.statementLines);
      const entry = db.prepare('INSERT OR IGNORE INTO reconciled_ledger_entries VALUES (?, ?, ?, ?)');
      for (const m of run.matchedLedger) entry.run(m.accountId, m.entryId, run.runId, m.matchId);
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }

  commit(): void {
    if (this.db?.inTransaction) this.db.exec('COMMIT');
    this.created = false;
  }

  /** Undoes stage(); a registry file the staged run created is removed again. */
  rollback(): void {
    if (this.db?.inTransaction) this.db.exec('ROLLBACK');
    if (this.created) {
      this.db?.close();
      this.db = undefined;
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${this.path}${suffix}`, { force: true });
      this.created = false;
    }
  }

  close(): void {
    this.rollback();
    this.db?.close();
    this.db = undefined;
  }
}
