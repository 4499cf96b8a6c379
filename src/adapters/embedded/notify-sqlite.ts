/**
 * The embedded notification state (NOTIFY-2, HOOK-2): one SQLite file, `<state>/notify/notify.db`,
 * apart from the ledger's database so the notifier never holds the posting writer's lock.
 *
 * - `deliveries`: the delivery state (SWEEP-1 pattern): status, attempts, due time, version. The
 *   columns `retry_due`, `running_job` and `failed_job` hold a value only in that status, each
 *   with a partial (sparse) index, like the DynamoDB sparse GSIs of the AWS adapter.
 * - `delivery_attempts`: the delivery log, one row per attempt, keyed (delivery, attempt number).
 * - `subscriptions`, `signing_keys`: the partner endpoints and their secrets (locally only; on AWS
 *   the secrets live in Secrets Manager).
 * - `cursors`: how far the notifier has read each event source.
 */
import { join } from 'node:path';
import type { SigningKey } from '../../notify/signing';
import type { Purpose } from '../../notify/catalogue';
import type { DeliveryAttempt, DeliveryState, DeliveryStore, NotifyCursorStore, SigningKeyStore, Subscription, SubscriptionRegistry } from '../../ports/notify';
import { VersionConflictError } from '../../ports/notify';
import type { StateDatabase } from './database';
import { openDurableDatabase } from './database';

export const NOTIFY_DIR = 'notify';
export const NOTIFY_DB_FILE = 'notify.db';

/** Opens (creating) `<state>/notify/notify.db`. */
export function openNotifyDatabase(stateDir: string): StateDatabase {
  return openDurableDatabase(join(stateDir, NOTIFY_DIR), NOTIFY_DB_FILE);
}

interface DeliveryRow {
  delivery_id: string;
  body: string;
  version: number;
}

export class SqliteDeliveryStore implements DeliveryStore {
  private readonly insert;
  private readonly selectOne;
  private readonly update;
  private readonly due;
  private readonly byStatus;
  private readonly insertAttempt;
  private readonly updateAttempt;
  private readonly selectAttempts;

  constructor(db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS deliveries (
      delivery_id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_at TEXT NOT NULL,
      retry_due TEXT,
      running_job TEXT,
      failed_job TEXT,
      body TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS deliveries_retry_due ON deliveries (retry_due) WHERE retry_due IS NOT NULL;
    CREATE INDEX IF NOT EXISTS deliveries_running ON deliveries (running_job) WHERE running_job IS NOT NULL;
    CREATE INDEX IF NOT EXISTS deliveries_failed ON deliveries (failed_job) WHERE failed_job IS NOT NULL;
    CREATE TABLE IF NOT EXISTS delivery_attempts (
      delivery_id TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (delivery_id, attempt)
    ) WITHOUT ROWID;`);
    const columns = '(delivery_id, status, version, updated_at, retry_due, running_job, failed_job, body)';
    this.insert = db.prepare(`INSERT INTO deliveries ${columns} VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(delivery_id) DO NOTHING`);
    this.selectOne = db.prepare<[string], DeliveryRow>('SELECT delivery_id, body, version FROM deliveries WHERE delivery_id = ?');
    this.update = db.prepare('UPDATE deliveries SET status = ?, version = ?, updated_at = ?, retry_due = ?, running_job = ?, failed_job = ?, body = ? WHERE delivery_id = ? AND version = ?');
    this.due = db.prepare<[string, number], DeliveryRow>('SELECT delivery_id, body, version FROM deliveries WHERE retry_due IS NOT NULL AND retry_due <= ? ORDER BY retry_due LIMIT ?');
    this.byStatus = {
      RETRYING: db.prepare<[number], DeliveryRow>('SELECT delivery_id, body, version FROM deliveries WHERE retry_due IS NOT NULL ORDER BY retry_due LIMIT ?'),
      RUNNING: db.prepare<[number], DeliveryRow>('SELECT delivery_id, body, version FROM deliveries WHERE running_job IS NOT NULL ORDER BY running_job LIMIT ?'),
      FAILED: db.prepare<[number], DeliveryRow>('SELECT delivery_id, body, version FROM deliveries WHERE failed_job IS NOT NULL ORDER BY failed_job LIMIT ?'),
    };
    this.insertAttempt = db.prepare('INSERT INTO delivery_attempts (delivery_id, attempt, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.updateAttempt = db.prepare('INSERT INTO delivery_attempts (delivery_id, attempt, body) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET body = excluded.body');
    this.selectAttempts = db.prepare<[string], { body: string }>('SELECT body FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt');
  }

  private static values(state: DeliveryState): [string, number, string, string | null, string | null, string | null, string] {
    const stored: Partial<DeliveryState> = { ...state };
    for (const key of Object.keys(stored) as (keyof DeliveryState)[]) if (stored[key] === undefined) delete stored[key];
    return [
      state.status,
      state.version,
      state.updatedAt,
      state.status === 'RETRYING' ? (state.dueAt ?? state.updatedAt) : null,
      // Sorted by last update: the oldest RUNNING (the likeliest stale) first.
      state.status === 'RUNNING' ? `${state.updatedAt}#${state.deliveryId}` : null,
      state.status === 'FAILED' ? `${state.updatedAt}#${state.deliveryId}` : null,
      JSON.stringify(stored),
    ];
  }

  async create(state: Omit<DeliveryState, 'version'>): Promise<boolean> {
    const full: DeliveryState = { ...state, version: 1 };
    return this.insert.run(full.deliveryId, ...SqliteDeliveryStore.values(full)).changes === 1;
  }

  async get(deliveryId: string): Promise<DeliveryState | undefined> {
    const row = this.selectOne.get(deliveryId);
    return row ? fromRow(row) : undefined;
  }

  async put(next: DeliveryState, expectedVersion: number): Promise<DeliveryState> {
    const stored: DeliveryState = { ...next, version: expectedVersion + 1 };
    const { changes } = this.update.run(...SqliteDeliveryStore.values(stored), next.deliveryId, expectedVersion);
    if (changes !== 1) throw new VersionConflictError(`delivery ${next.deliveryId}: version ${expectedVersion} is stale`);
    return stored;
  }

  async listDue(now: Date, limit: number): Promise<DeliveryState[]> {
    return this.due.all(now.toISOString(), limit).map(fromRow);
  }

  async listByStatus(status: 'RUNNING' | 'RETRYING' | 'FAILED', limit: number): Promise<DeliveryState[]> {
    return this.byStatus[status].all(limit).map(fromRow);
  }

  async startAttempt(attempt: DeliveryAttempt): Promise<boolean> {
    return this.insertAttempt.run(attempt.deliveryId, attempt.attempt, JSON.stringify(attempt)).changes === 1;
  }

  async finishAttempt(attempt: DeliveryAttempt): Promise<void> {
    this.updateAttempt.run(attempt.deliveryId, attempt.attempt, JSON.stringify(attempt));
  }

  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    return this.selectAttempts.all(deliveryId).map((row) => JSON.parse(row.body) as DeliveryAttempt);
  }
}

function fromRow(row: DeliveryRow): DeliveryState {
  return { ...(JSON.parse(row.body) as DeliveryState), version: row.version };
}

export class SqliteSubscriptionRegistry implements SubscriptionRegistry {
  private readonly upsert;
  private readonly selectOne;
  private readonly selectAll;
  private readonly deleteOne;

  constructor(db: StateDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID');
    this.upsert = db.prepare('INSERT INTO subscriptions (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body');
    this.selectOne = db.prepare<[string], { body: string }>('SELECT body FROM subscriptions WHERE id = ?');
    this.selectAll = db.prepare<[], { body: string }>('SELECT body FROM subscriptions ORDER BY id');
    this.deleteOne = db.prepare('DELETE FROM subscriptions WHERE id = ?');
  }

  async subscriptionsFor(purpose: Purpose): Promise<readonly Subscription[]> {
    return (await this.list()).filter((subscription) => subscription.purposes.includes(purpose));
  }

  async get(id: string): Promise<Subscription | undefined> {
    const row = this.selectOne.get(id);
    return row ? (JSON.parse(row.body) as Subscription) : undefined;
  }

  async list(): Promise<readonly Subscription[]> {
    return this.selectAll.all().map((row) => JSON.parse(row.body) as Subscription);
  }

  async put(subscription: Subscription): Promise<void> {
    this.upsert.run(subscription.id, JSON.stringify(subscription));
  }

  async remove(id: string): Promise<boolean> {
    return this.deleteOne.run(id).changes === 1;
  }
}

/** Signing secrets, locally: in the notify database (a developer's machine; AWS keeps them in Secrets Manager). */
export class SqliteSigningKeyStore implements SigningKeyStore {
  private readonly upsert;
  private readonly selectOne;

  constructor(db: StateDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS signing_keys (key_id TEXT PRIMARY KEY, secret TEXT NOT NULL) WITHOUT ROWID');
    this.upsert = db.prepare('INSERT INTO signing_keys (key_id, secret) VALUES (?, ?) ON CONFLICT(key_id) DO UPDATE SET secret = excluded.secret');
    this.selectOne = db.prepare<[string], { secret: string }>('SELECT secret FROM signing_keys WHERE key_id = ?');
  }

  async keys(keyIds: readonly string[]): Promise<SigningKey[]> {
    return keyIds.map((keyId) => {
      const row = this.selectOne.get(keyId);
      if (!row) throw new Error(`signing key ${keyId} is not known`);
      return { keyId, secret: row.secret };
    });
  }

  async put(key: SigningKey): Promise<void> {
    this.upsert.run(key.keyId, key.secret);
  }
}

/** How far the notifier has read each source (e.g. each partition's event archive): a sequence number. */
export class SqliteNotifyCursors implements NotifyCursorStore {
  private readonly selectOne;
  private readonly upsert;

  constructor(db: StateDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID');
    this.selectOne = db.prepare<[string], { position: number }>('SELECT position FROM cursors WHERE source = ?');
    this.upsert = db.prepare('INSERT INTO cursors (source, position) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET position = excluded.position');
  }

  async position(source: string): Promise<number> {
    return this.selectOne.get(source)?.position ?? 0;
  }

  async advance(source: string, position: number): Promise<void> {
    this.upsert.run(source, position);
  }
}
