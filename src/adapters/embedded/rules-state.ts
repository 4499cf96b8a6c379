/**
 * Embedded (better-sqlite3) state of the rules stage: per-card velocity and the stored
 * decision per transaction. Each store creates its own tables on construction.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { RulesDecision } from '../../domain/events';
import type { DecisionStore, VelocityStore } from '../../ports';
import { TransientStoreError } from '../../ports';

/** SQLite busy / locked are outages of the moment: retried, never taken as an answer (the rules stage's stores: velocity, decisions, card history). */
export function storeCall<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
      throw new TransientStoreError(`${what}: ${code}`, error);
    }
    throw error;
  }
}

export class SqliteVelocityStore implements VelocityStore {
  private readonly insert: Statement<[string, string, number]>;
  private readonly count: Statement<[string, number, number], { n: number }>;
  private readonly deleteBefore: Statement<[number]>;
  private readonly recordAndCount: (panToken: string, transactionId: string, atEpochMs: number, windowMs: number) => number;

  constructor(db: Database) {
    db.exec(`
      -- One B-tree, clustered by card and time: the window count is a range scan of the key.
      -- A transaction always has the same card and time, so the key is as unique as its id.
      CREATE TABLE IF NOT EXISTS rules_velocity (
        pan_token TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        transaction_id TEXT NOT NULL,
        PRIMARY KEY (pan_token, at_ms, transaction_id)
      ) WITHOUT ROWID;
    `);
    this.insert = db.prepare('INSERT OR IGNORE INTO rules_velocity (transaction_id, pan_token, at_ms) VALUES (?, ?, ?)');
    this.count = db.prepare('SELECT COUNT(*) AS n FROM rules_velocity WHERE pan_token = ? AND at_ms > ? AND at_ms <= ?');
    this.deleteBefore = db.prepare('DELETE FROM rules_velocity WHERE at_ms <= ?');
    // No savepoint needed: the insert is idempotent and the count only reads.
    this.recordAndCount = (panToken: string, transactionId: string, atEpochMs: number, windowMs: number) => {
      this.insert.run(transactionId, panToken, atEpochMs);
      return (this.count.get(panToken, atEpochMs - windowMs, atEpochMs) as { n: number }).n;
    };
  }

  async record(panToken: string, transactionId: string, atEpochMs: number, windowMs: number): Promise<number> {
    if (!Number.isSafeInteger(atEpochMs)) throw new RangeError(`velocity time ${atEpochMs} is not an integer epoch ms`);
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new RangeError(`velocity window ${windowMs} ms must be a positive integer`);
    return storeCall('velocity record', () => this.recordAndCount(panToken, transactionId, atEpochMs, windowMs));
  }

  /** Housekeeping: forgets payments at or before `epochMs` (older than any window still in use). Returns rows removed. */
  prune(epochMs: number): number {
    return storeCall('velocity prune', () => this.deleteBefore.run(epochMs).changes);
  }
}

export class SqliteDecisionStore implements DecisionStore {
  private readonly insert: Statement<[string, string]>;
  private readonly select: Statement<[string], { decision: string }>;

  constructor(db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS rules_decisions (
        correlation_id TEXT PRIMARY KEY,
        decision TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
    this.insert = db.prepare('INSERT OR IGNORE INTO rules_decisions (correlation_id, decision) VALUES (?, ?)');
    this.select = db.prepare('SELECT decision FROM rules_decisions WHERE correlation_id = ?');
  }

  async putIfAbsent(correlationId: string, decision: RulesDecision): Promise<RulesDecision> {
    return storeCall('decision put', () => {
      // INSERT OR IGNORE then read back: whichever writer came first is what everyone gets.
      if (this.insert.run(correlationId, JSON.stringify(decision)).changes === 1) return decision;
      const row = this.select.get(correlationId);
      if (!row) throw new Error(`decision for ${correlationId} vanished after insert`);
      return JSON.parse(row.decision) as RulesDecision;
    });
  }

  async get(correlationId: string): Promise<RulesDecision | undefined> {
    return storeCall('decision get', () => {
      const row = this.select.get(correlationId);
      return row ? (JSON.parse(row.decision) as RulesDecision) : undefined;
    });
  }
}
