import type { StateDatabase } from './database';
import type { TransactionState, TransactionStateStore } from '../../ports';
import { VersionConflictError } from '../../ports';

interface Row {
  transaction_id: string;
  authorization_id: string;
  status: TransactionState['status'];
  stage: string | null;
  attempts: number;
  last_error: string | null;
  pending_event: string | null;
  version: number;
  updated_at: string;
}

/**
 * The transaction-state table (SWEEP-1). `retry_job`, `failed_job` and `running_job` hold the id only
 * in that status, and each has a partial (sparse) index, exactly like the DynamoDB sparse GSIs.
 */
export class SqliteTransactionStateStore implements TransactionStateStore {
  private readonly selectOne;
  private readonly insert;
  private readonly update;
  private readonly byStatus;
  private readonly completeStatement;
  private readonly counts;

  constructor(db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS transactions (
      transaction_id TEXT PRIMARY KEY,
      authorization_id TEXT NOT NULL,
      status TEXT NOT NULL,
      stage TEXT,
      attempts INTEGER NOT NULL,
      last_error TEXT,
      pending_event TEXT,
      version INTEGER NOT NULL,
      updated_at TEXT NOT NULL,
      retry_job TEXT,
      failed_job TEXT,
      running_job TEXT
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS transactions_retrying ON transactions (retry_job) WHERE retry_job IS NOT NULL;
    CREATE INDEX IF NOT EXISTS transactions_failed ON transactions (failed_job) WHERE failed_job IS NOT NULL;
    CREATE INDEX IF NOT EXISTS transactions_running ON transactions (running_job) WHERE running_job IS NOT NULL;`);
    this.selectOne = db.prepare('SELECT * FROM transactions WHERE transaction_id = ?');
    this.insert = db.prepare(
      `INSERT INTO transactions (authorization_id, status, stage, attempts, last_error, pending_event, version, updated_at, retry_job, failed_job, running_job, transaction_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(transaction_id) DO NOTHING`,
    );
    this.update = db.prepare(
      `UPDATE transactions SET authorization_id = ?, status = ?, stage = ?, attempts = ?, last_error = ?, pending_event = ?, version = ?, updated_at = ?,
         retry_job = ?, failed_job = ?, running_job = ? WHERE transaction_id = ? AND version = ?`,
    );
    this.completeStatement = db.prepare(
      `INSERT INTO transactions (authorization_id, status, stage, attempts, last_error, pending_event, version, updated_at, retry_job, failed_job, running_job, transaction_id)
       VALUES (?, 'COMPLETED', NULL, 0, NULL, NULL, 1, ?, NULL, NULL, NULL, ?)
       ON CONFLICT(transaction_id) DO UPDATE SET status = 'COMPLETED', stage = NULL, last_error = NULL, pending_event = NULL, version = version + 1,
         updated_at = excluded.updated_at, retry_job = NULL, failed_job = NULL, running_job = NULL
       WHERE transactions.status NOT IN ('COMPLETED', 'FAILED')`,
    );
    this.counts = {
      RETRYING: db.prepare('SELECT count(*) FROM transactions WHERE retry_job IS NOT NULL').pluck(),
      FAILED: db.prepare('SELECT count(*) FROM transactions WHERE failed_job IS NOT NULL').pluck(),
      RUNNING: db.prepare('SELECT count(*) FROM transactions WHERE running_job IS NOT NULL').pluck(),
    };
    this.byStatus = {
      RETRYING: db.prepare('SELECT * FROM transactions WHERE retry_job IS NOT NULL ORDER BY retry_job LIMIT ?'),
      FAILED: db.prepare('SELECT * FROM transactions WHERE failed_job IS NOT NULL ORDER BY failed_job LIMIT ?'),
      RUNNING: db.prepare('SELECT * FROM transactions WHERE running_job IS NOT NULL ORDER BY running_job LIMIT ?'),
    };
  }

  async get(transactionId: string): Promise<TransactionState | undefined> {
    const row = this.selectOne.get(transactionId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  async put(next: TransactionState, expectedVersion: number): Promise<TransactionState> {
    const stored: TransactionState = { ...next, version: expectedVersion + 1 };
    const values = toValues(stored);
    const { changes } = expectedVersion === 0 ? this.insert.run(values) : this.update.run(values, expectedVersion);
    if (changes !== 1) throw new VersionConflictError(`transaction ${next.transactionId}: version ${expectedVersion} is stale`);
    return stored;
  }

  async complete(transactionId: string, authorizationId: string, now: Date): Promise<void> {
    this.completeStatement.run(authorizationId, now.toISOString(), transactionId);
  }

  /** How many transactions are in `status` (a count over the sparse index, nothing loaded). */
  countByStatus(status: 'RETRYING' | 'FAILED' | 'RUNNING'): number {
    return this.counts[status].get() as number;
  }

  async listByStatus(status: 'RETRYING' | 'FAILED' | 'RUNNING', limit: number): Promise<TransactionState[]> {
    return (this.byStatus[status].all(limit) as Row[]).map(fromRow);
  }
}

/** Column values in the order of the INSERT / UPDATE statements above (transaction_id last). */
function toValues(state: TransactionState): unknown[] {
  return [
    state.authorizationId,
    state.status,
    state.stage ?? null,
    state.attempts,
    state.lastError ?? null,
    state.pendingEvent ? JSON.stringify(state.pendingEvent) : null,
    state.version,
    state.updatedAt,
    state.status === 'RETRYING' ? state.transactionId : null,
    state.status === 'FAILED' ? state.transactionId : null,
    state.status === 'RUNNING' ? state.transactionId : null,
    state.transactionId,
  ];
}

function fromRow(row: Row): TransactionState {
  return {
    transactionId: row.transaction_id,
    authorizationId: row.authorization_id,
    status: row.status,
    ...(row.stage === null ? {} : { stage: row.stage }),
    attempts: row.attempts,
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    ...(row.pending_event === null ? {} : { pendingEvent: JSON.parse(row.pending_event) }),
    version: row.version,
    updatedAt: row.updated_at,
  };
}
