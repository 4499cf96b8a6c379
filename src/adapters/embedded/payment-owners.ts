/**
 * API-3 locally: who submitted each payment, in the API's own SQLite file beside its idempotency
 * keys (`api-idempotency.db`, a connection of its own: a claim never waits on a posting wave).
 * INSERT OR IGNORE then read back: the first client to claim a payment owns it.
 */
import type { StateDatabase } from './database';
import { openDurableDatabase } from './database';
import { IDEMPOTENCY_DB_FILE } from './idempotency-store';
import type { PaymentOwners } from '../../api/ownership';
import { checkOwnership } from '../../api/ownership';

export class SqlitePaymentOwners implements PaymentOwners {
  private readonly insert;
  private readonly select;

  /** Opens the owners in `stateDir` (the API's file), or on a database given (tests). */
  static open(stateDir: string): SqlitePaymentOwners {
    return new SqlitePaymentOwners(openDurableDatabase(stateDir, IDEMPOTENCY_DB_FILE), true);
  }

  constructor(
    private readonly db: StateDatabase,
    private readonly owned = false,
  ) {
    db.exec('CREATE TABLE IF NOT EXISTS api_payment_owners (payment_id TEXT PRIMARY KEY, client_id TEXT NOT NULL) WITHOUT ROWID');
    this.insert = db.prepare<[string, string]>('INSERT OR IGNORE INTO api_payment_owners (payment_id, client_id) VALUES (?, ?)');
    this.select = db.prepare<[string], { client_id: string }>('SELECT client_id FROM api_payment_owners WHERE payment_id = ?');
  }

  async claim(paymentId: string, clientId: string): Promise<string> {
    checkOwnership(paymentId, clientId);
    this.insert.run(paymentId, clientId);
    return this.select.get(paymentId)!.client_id;
  }

  async ownerOf(paymentId: string): Promise<string | undefined> {
    return this.select.get(paymentId)?.client_id;
  }

  close(): void {
    if (this.owned) this.db.close();
  }
}
