/**
 * The re-upload registry: a SQLite file (`registry.db`, by default in the --out directory,
 * or in --registry DIR) that remembers, per committed run, the statement files by SHA-256
 * content hash, the statements they held by identity, and the ledger entries they matched.
 *
 * - A statement file whose content hash is registered is a re-upload: it is reported as
 *   `reuploaded` and its lines are skipped (never double-counted).
 * - So is a statement whose identity is registered (REC-OUT-2): the same format, account,
 *   statement id or sequence number and period, however the file is encoded (CRLF or LF, a
 *   byte-order mark, a trailing newline). See ./statement-identity.ts for what makes an identity.
 * - The registry is the record of committed runs: the analytics store holds exactly its runs
 *   (REC-OUT-3).
 * - Ledger entries matched by an earlier committed run are already reconciled: later runs
 *   leave them out (they are not reported again as unmatched).
 *
 * Nothing is written until a run commits: `stage()` opens the transaction (creating the file if
 * needed), `commit()` / `rollback()` end it. A run that fails never touches the registry.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StatementIdentity } from './statement-identity';

export { statementIdentity, type StatementIdentity } from './statement-identity';

export const REGISTRY_FILE = 'registry.db';

export interface RegisteredFile {
  contentHash: string;
  runId: string;
  file: string;
  format: string;
  statementLines: number;
}

export interface RegisteredStatement {
  key: string;
  runId: string;
  file: string;
  contentHash: string;
  statementId: string;
  accountId: string;
}

export interface RunRecord {
  runId: string;
  asOf: string;
  recordedAt: string;
  files: RegisteredFile[];
  /** The statements the run reconciled, by identity (with the file that held them). */
  statements: (StatementIdentity & { file: string; contentHash: string })[];
  /** Ledger entries matched in this run (any iterable: they may be produced as they are written). */
  matchedLedger: Iterable<MatchedLedgerEntry>;
}

export interface MatchedLedgerEntry {
  accountId: string;
  entryId: string;
  matchId: string;
}

/** Matched ledger entries per stored block (one row holds an account's entries of a run, up to this many). */
const BLOCK_ENTRIES = 8192;

/** The registry's tables, created where missing, in one transaction (one commit for a new registry, not one a table: REC-PERF-1). */
function schema(db: Database.Database): void {
  db.transaction(() => createTables(db))();
}

function createTables(db: Database.Database): void {
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
    CREATE TABLE IF NOT EXISTS statement_identities (
      identity TEXT PRIMARY KEY,
      run_id TEXT NOT NULL,
      file TEXT NOT NULL,
      content_hash TEXT NOT NULL,
      format TEXT NOT NULL,
      account_id TEXT NOT NULL,
      statement_id TEXT NOT NULL,
      period TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS reconciled_ledger_entries (
      account_id TEXT NOT NULL,
      entry_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      match_id TEXT NOT NULL,
      PRIMARY KEY (account_id, entry_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS reconciled_ledger_blocks (
      account_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      block INTEGER NOT NULL,
      entry_ids TEXT NOT NULL,
      match_ids TEXT NOT NULL,
      PRIMARY KEY (account_id, run_id, block)
    ) WITHOUT ROWID;`);
}

/**
 * The run's matched ledger entries, as blocks: per account, up to BLOCK_ENTRIES entry ids and their
 * match ids a row (two JSON arrays, in the order the run produced them). A million entries are
 * some hundreds of rows instead of a million B-tree inserts (REC-PERF-1). Registries written
 * before hold one row per entry in reconciled_ledger_entries; both are read. An entry given twice
 * is stored twice; its first match is the one that counts (reconciledLedgerKeys holds it once).
 */
function stageMatched(db: Database.Database, runId: string, matched: Iterable<MatchedLedgerEntry>): void {
  const insert = db.prepare('INSERT INTO reconciled_ledger_blocks (account_id, run_id, block, entry_ids, match_ids) VALUES (?, ?, ?, ?, ?)');
  const open = new Map<string, { block: number; entryIds: string[]; matchIds: string[] }>();
  const flush = (accountId: string, pending: { block: number; entryIds: string[]; matchIds: string[] }): void => {
    insert.run(accountId, runId, pending.block, JSON.stringify(pending.entryIds), JSON.stringify(pending.matchIds));
    pending.block += 1;
    pending.entryIds = [];
    pending.matchIds = [];
  };
  let lastAccount: string | undefined;
  let lastPending: { block: number; entryIds: string[]; matchIds: string[] } | undefined;
  for (const m of matched) {
    // Matches come account by account: the last account is most often the one wanted.
    let pending = lastAccount === m.accountId ? lastPending : open.get(m.accountId);
    if (pending === undefined) open.set(m.accountId, (pending = { block: 0, entryIds: [], matchIds: [] }));
    lastAccount = m.accountId;
    lastPending = pending;
    pending.entryIds.push(m.entryId);
    pending.matchIds.push(m.matchId);
    if (pending.entryIds.length === BLOCK_ENTRIES) flush(m.accountId, pending);
  }
  for (const [accountId, pending] of open) if (pending.entryIds.length > 0) flush(accountId, pending);
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
      { content_hash: string; run_id: string; file: string; format: string; statement_lines: number } | undefined;
    return row ? { contentHash: row.content_hash, runId: row.run_id, file: row.file, format: row.format, statementLines: row.statement_lines } : undefined;
  }

  /** The committed statement with this identity key, if any. */
  lookupStatement(key: string): RegisteredStatement | undefined {
    const row = this.reader()?.prepare('SELECT identity, run_id, file, content_hash, statement_id, account_id FROM statement_identities WHERE identity = ?').get(key) as
      { identity: string; run_id: string; file: string; content_hash: string; statement_id: string; account_id: string } | undefined;
    return row ? { key: row.identity, runId: row.run_id, file: row.file, contentHash: row.content_hash, statementId: row.statement_id, accountId: row.account_id } : undefined;
  }

  /** The ids of every committed run, oldest first. */
  runIds(): string[] {
    return (this.reader()?.prepare('SELECT run_id FROM runs ORDER BY seq').pluck().all() as string[] | undefined) ?? [];
  }

  /** Keys `accountId \u0000 entryId` of ledger entries matched by earlier runs. */
  reconciledLedgerKeys(accountIds: Iterable<string>): Set<string> {
    const db = this.reader();
    const keys = new Set<string>();
    if (!db) return keys;
    const select = db.prepare('SELECT entry_id FROM reconciled_ledger_entries WHERE account_id = ?').pluck();
    const blocks = db.prepare('SELECT entry_ids FROM reconciled_ledger_blocks WHERE account_id = ?').pluck();
    for (const accountId of accountIds) {
      for (const entryId of select.all(accountId) as string[]) keys.add(`${accountId}\u0000${entryId}`);
      for (const block of blocks.all(accountId) as string[]) for (const entryId of JSON.parse(block) as string[]) keys.add(`${accountId}\u0000${entryId}`);
    }
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
      const statement = db.prepare('INSERT INTO statement_identities VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const s of run.statements) statement.run(s.key, run.runId, s.file, s.contentHash, s.format, s.accountId, s.statementId, s.period);
      stageMatched(db, run.runId, run.matchedLedger);
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
