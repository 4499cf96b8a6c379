import type { StateDatabase } from './database';
import type { DedupClaim, DedupClaimResult, DedupStore, ParkedDuplicateStore } from '../../ports';
import type { LedgerEvent } from '../../domain/events';

/** Conditional put on the business key; an expired claim (past its TTL) may be taken over. */
export class SqliteDedupStore implements DedupStore {
  private readonly claimStatement;
  private readonly readStatement;

  constructor(db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS dedup_claims (
      business_key TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      authorization_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.claimStatement = db.prepare(
      `INSERT INTO dedup_claims (business_key, event_id, authorization_id, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(business_key) DO UPDATE SET event_id = excluded.event_id, authorization_id = excluded.authorization_id, expires_at = excluded.expires_at
       WHERE dedup_claims.expires_at < ?`,
    );
    this.readStatement = db.prepare('SELECT event_id, authorization_id, expires_at FROM dedup_claims WHERE business_key = ?');
  }

  async claim(claim: DedupClaim, nowEpochSeconds: number): Promise<DedupClaimResult> {
    const { changes } = this.claimStatement.run(claim.businessKey, claim.eventId, claim.authorizationId, claim.expiresAt, nowEpochSeconds);
    if (changes === 1) return { claimed: true };
    const row = this.readStatement.get(claim.businessKey) as { event_id: string; authorization_id: string; expires_at: number };
    return { claimed: false, existing: { businessKey: claim.businessKey, eventId: row.event_id, authorizationId: row.authorization_id, expiresAt: row.expires_at } };
  }
}

/** Parked duplicates are kept whole, with the reason and the original's id (FR3). */
export class SqliteParkedDuplicateStore implements ParkedDuplicateStore {
  private readonly insert;

  constructor(db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS parked_duplicates (
      event_id TEXT PRIMARY KEY,
      authorization_id TEXT NOT NULL,
      original_event_id TEXT NOT NULL,
      original_authorization_id TEXT NOT NULL,
      reason TEXT NOT NULL,
      event_json TEXT NOT NULL
    ) WITHOUT ROWID`);
    this.insert = db.prepare('INSERT OR IGNORE INTO parked_duplicates VALUES (?, ?, ?, ?, ?, ?)');
  }

  async park(event: LedgerEvent<'payment.duplicate-parked'>): Promise<void> {
    const { data } = event;
    this.insert.run(event.id, data.authorisation.authorizationId, data.originalEventId, data.originalAuthorizationId, data.reason, JSON.stringify(event));
  }
}
