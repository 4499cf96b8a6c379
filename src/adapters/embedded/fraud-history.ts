/**
 * Embedded (better-sqlite3) card history for the FRAUD-1 features, and the local fraud model,
 * which is a STUB (no model runs locally).
 */
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { CardHistoryEntry } from '../../domain/fraud';
import { checkCardHistoryInput } from '../../domain/fraud';
import type { CardHistoryStore, FraudModel, FraudModelInput } from '../../ports/fraud';
import { storeCall } from './rules-state';

interface Row {
  transaction_id: string;
  at_ms: number;
  amount_minor: string;
  country: string;
}

export class SqliteCardHistoryStore implements CardHistoryStore {
  private readonly insert: Statement<[string, number, string, string, string]>;
  private readonly select: Statement<[string, number, number], Row>;

  constructor(db: Database) {
    db.exec(`
      -- Clustered by card and event time; the window read is a range scan of the key.
      CREATE TABLE IF NOT EXISTS rules_card_history (
        pan_token TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        transaction_id TEXT NOT NULL,
        amount_minor TEXT NOT NULL,
        country TEXT NOT NULL,
        PRIMARY KEY (pan_token, at_ms, transaction_id)
      ) WITHOUT ROWID;
    `);
    this.insert = db.prepare('INSERT OR IGNORE INTO rules_card_history (pan_token, at_ms, transaction_id, amount_minor, country) VALUES (?, ?, ?, ?, ?)');
    this.select = db.prepare('SELECT transaction_id, at_ms, amount_minor, country FROM rules_card_history WHERE pan_token = ? AND at_ms > ? AND at_ms <= ? ORDER BY at_ms, transaction_id');
  }

  async recordAndRead(panToken: string, entry: CardHistoryEntry, windowMs: number): Promise<CardHistoryEntry[]> {
    checkCardHistoryInput(panToken, entry, windowMs);
    // A busy database is a TransientStoreError, as for velocity and decisions: the payment is retried (CHAOS-1).
    storeCall('card history record', () => this.insert.run(panToken, entry.atEpochMs, entry.transactionId, entry.amountMinor.toString(), entry.merchantCountry));
    const rows = storeCall('card history read', () => this.select.all(panToken, entry.atEpochMs - windowMs, entry.atEpochMs));
    return rows.map((row) => ({
      transactionId: row.transaction_id,
      atEpochMs: row.at_ms,
      amountMinor: BigInt(row.amount_minor),
      merchantCountry: row.country,
    }));
  }
}

/**
 * STUB fraud model: NOT a model. A deterministic score (a hash of the input's features, per
 * mille) so local runs and tests exercise the port. Never use its score for a real decision.
 */
export class StubFraudModel implements FraudModel {
  async score(input: FraudModelInput): Promise<number> {
    const canonical = JSON.stringify(input, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    return createHash('sha256').update(canonical).digest().readUInt32BE(0) % 1001;
  }
}
