/**
 * API-1: the idempotency store locally: SQLite in the state directory, a file of its own
 * (`api-idempotency.db`) so a claim never waits on a posting wave's transaction. Every operation
 * is one IMMEDIATE transaction: two processes (or two requests) claiming one key cannot both win.
 * Keys are stored as SHA-256 of client and key (src/api/idempotency.ts): the table holds no key
 * in the clear, and a response holds no card number (the API refuses one before anything runs).
 */
import type { StateDatabase } from './database';
import { openDurableDatabase } from './database';
import type { ClaimRequest, ClaimResult, CompleteRequest, IdempotencyStore, StoredResponse } from '../../api/idempotency';
import { idempotencyRecordId } from '../../api/idempotency';

export const IDEMPOTENCY_DB_FILE = 'api-idempotency.db';

interface Row {
  record_id: string;
  client_id: string;
  fingerprint: string;
  state: 'in-flight' | 'completed';
  lease_until_ms: number;
  expires_at_ms: number;
  status: number | null;
  headers: string | null;
  body: string | null;
}

function responseOf(row: Row): StoredResponse {
  return { status: row.status!, headers: JSON.parse(row.headers!) as Record<string, string>, body: row.body! };
}

export class SqliteIdempotencyStore implements IdempotencyStore {
  private readonly select;
  private readonly remove;
  private readonly insert;
  private readonly extendLease;
  private readonly store;
  private readonly releaseLease;
  private readonly purge;

  /** Opens the store in `stateDir` (its own file), or on a database given (tests). */
  static open(stateDir: string): SqliteIdempotencyStore {
    return new SqliteIdempotencyStore(openDurableDatabase(stateDir, IDEMPOTENCY_DB_FILE), true);
  }

  constructor(
    private readonly db: StateDatabase,
    private readonly owned = false,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS api_idempotency (
      record_id TEXT PRIMARY KEY,
      client_id TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('in-flight', 'completed')),
      lease_until_ms INTEGER NOT NULL,
      expires_at_ms INTEGER NOT NULL,
      status INTEGER,
      headers TEXT,
      body TEXT
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS api_idempotency_expiry ON api_idempotency (expires_at_ms);`);
    this.select = db.prepare<[string], Row>('SELECT * FROM api_idempotency WHERE record_id = ?');
    this.remove = db.prepare('DELETE FROM api_idempotency WHERE record_id = ?');
    this.insert = db.prepare("INSERT INTO api_idempotency (record_id, client_id, fingerprint, state, lease_until_ms, expires_at_ms) VALUES (?, ?, ?, 'in-flight', ?, ?)");
    this.extendLease = db.prepare('UPDATE api_idempotency SET lease_until_ms = ? WHERE record_id = ?');
    this.store = db.prepare(
      `INSERT INTO api_idempotency (record_id, client_id, fingerprint, state, lease_until_ms, expires_at_ms, status, headers, body) VALUES (?, ?, ?, 'completed', 0, ?, ?, ?, ?)
       ON CONFLICT(record_id) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'completed', lease_until_ms = 0, expires_at_ms = excluded.expires_at_ms,
         status = excluded.status, headers = excluded.headers, body = excluded.body`,
    );
    this.releaseLease = db.prepare("UPDATE api_idempotency SET lease_until_ms = ? WHERE record_id = ? AND fingerprint = ? AND state = 'in-flight'");
    this.purge = db.prepare('DELETE FROM api_idempotency WHERE expires_at_ms <= ?');
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const id = idempotencyRecordId(request.clientId, request.key);
    return this.db
      .transaction((): ClaimResult => {
        let row = this.select.get(id);
        if (row && row.expires_at_ms <= request.nowMs) {
          this.remove.run(id);
          row = undefined;
        }
        if (!row) {
          this.insert.run(id, request.clientId, request.fingerprint, request.nowMs + request.leaseMs, request.nowMs + request.retentionMs);
          return { kind: 'claimed', takenOver: false };
        }
        if (row.fingerprint !== request.fingerprint) return { kind: 'fingerprint-mismatch' };
        if (row.state === 'completed') return { kind: 'completed', response: responseOf(row) };
        if (row.lease_until_ms > request.nowMs) return { kind: 'in-flight', leaseUntilMs: row.lease_until_ms };
        this.extendLease.run(request.nowMs + request.leaseMs, id);
        return { kind: 'claimed', takenOver: true };
      })
      .immediate();
  }

  async complete(request: CompleteRequest): Promise<StoredResponse> {
    const id = idempotencyRecordId(request.clientId, request.key);
    return this.db
      .transaction((): StoredResponse => {
        const row = this.select.get(id);
        if (row && row.state === 'completed' && row.expires_at_ms > request.nowMs && row.fingerprint === request.fingerprint) return responseOf(row);
        const { response } = request;
        this.store.run(id, request.clientId, request.fingerprint, request.nowMs + request.retentionMs, response.status, JSON.stringify(response.headers), response.body);
        return { status: response.status, headers: { ...response.headers }, body: response.body };
      })
      .immediate();
  }

  async release(clientId: string, key: string, fingerprint: string, nowMs: number): Promise<void> {
    this.releaseLease.run(nowMs, idempotencyRecordId(clientId, key), fingerprint);
  }

  /** Deletes records past their retention; returns how many. */
  purgeExpired(nowMs: number): number {
    return this.purge.run(nowMs).changes;
  }

  close(): void {
    if (this.owned) this.db.close();
  }
}
