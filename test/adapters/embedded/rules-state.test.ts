import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RulesDecision } from '../../../src/domain/events';
import { TransientStoreError } from '../../../src/ports';
import { SqliteDecisionStore, SqliteVelocityStore } from '../../../src/adapters/embedded/rules-state';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');

describe('SqliteVelocityStore', () => {
  let db: Database.Database;
  let store: SqliteVelocityStore;
  beforeEach(() => {
    db = new Database(':memory:');
    store = new SqliteVelocityStore(db);
  });
  afterEach(() => db.close());

  it('counts the card payments in (at - window, at], this one included', async () => {
    expect(await store.record('tok_card00001', 'tx-1', T0, HOUR)).toBe(1);
    expect(await store.record('tok_card00001', 'tx-2', T0 + 10 * 60_000, HOUR)).toBe(2);
    expect(await store.record('tok_card00001', 'tx-3', T0 + 30 * 60_000, HOUR)).toBe(3);
    // Exactly one window after tx-1: tx-1 is at the open end and drops out.
    expect(await store.record('tok_card00001', 'tx-4', T0 + HOUR, HOUR)).toBe(3);
    // Long after: only itself.
    expect(await store.record('tok_card00001', 'tx-5', T0 + 5 * HOUR, HOUR)).toBe(1);
  });

  it('counts each card on its own', async () => {
    await store.record('tok_card00001', 'tx-1', T0, HOUR);
    await store.record('tok_card00001', 'tx-2', T0 + 1, HOUR);
    expect(await store.record('tok_card00002', 'tx-3', T0 + 2, HOUR)).toBe(1);
    expect(await store.record('tok_card00001', 'tx-4', T0 + 3, HOUR)).toBe(3);
  });

  it('does not count payments later than `at` (out-of-order arrival)', async () => {
    await store.record('tok_card00001', 'tx-late', T0 + 20 * 60_000, HOUR);
    expect(await store.record('tok_card00001', 'tx-early', T0, HOUR)).toBe(1);
  });

  it('is idempotent by transaction id: a re-delivery does not count twice', async () => {
    expect(await store.record('tok_card00001', 'tx-1', T0, HOUR)).toBe(1);
    expect(await store.record('tok_card00001', 'tx-1', T0, HOUR)).toBe(1);
    expect(await store.record('tok_card00001', 'tx-2', T0 + 1000, HOUR)).toBe(2);
    expect(await store.record('tok_card00001', 'tx-1', T0, HOUR)).toBe(1);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rules_velocity').get()).toEqual({ n: 2 });
  });

  it('creates its table clustered by (pan_token, at_ms) idempotently, and the count query is a key range scan', async () => {
    await store.record('tok_card00001', 'tx-1', T0, HOUR);
    const again = new SqliteVelocityStore(db);
    expect(await again.record('tok_card00001', 'tx-2', T0 + 1, HOUR)).toBe(2);
    const table = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'rules_velocity'").get() as { sql: string };
    expect(table.sql).toMatch(/PRIMARY KEY \(pan_token, at_ms, transaction_id\)/);
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT COUNT(*) AS n FROM rules_velocity WHERE pan_token = ? AND at_ms > ? AND at_ms <= ?').all('tok_card00001', 0, 1) as Array<{ detail: string }>;
    expect(plan.map((row) => row.detail).join(' ')).toMatch(/USING PRIMARY KEY \(pan_token=\? AND at_ms>\? AND at_ms<\?\)/);
  });

  it('prunes payments older than a horizon', async () => {
    await store.record('tok_card00001', 'tx-1', T0, HOUR);
    await store.record('tok_card00001', 'tx-2', T0 + 2 * HOUR, HOUR);
    expect(store.prune(T0 + HOUR)).toBe(1);
    expect(await store.record('tok_card00001', 'tx-3', T0 + 2 * HOUR + 1, 3 * HOUR)).toBe(2);
  });

  it('rejects a non-integer time or a non-positive window', async () => {
    await expect(store.record('tok_card00001', 'tx-1', 1.5, HOUR)).rejects.toThrow(RangeError);
    await expect(store.record('tok_card00001', 'tx-1', T0, 0)).rejects.toThrow(RangeError);
  });
});

describe('SqliteDecisionStore', () => {
  const approve: RulesDecision = { outcome: 'approve', firedRules: [], ruleSetId: 'card-posting', ruleSetVersion: '1.0.0', velocityCount: 1 };
  const review: RulesDecision = {
    outcome: 'review',
    firedRules: ['NEAR_TRANSACTION_LIMIT', 'VELOCITY_EXCEEDED'],
    ruleSetId: 'card-posting',
    ruleSetVersion: '1.0.0',
    velocityCount: 9,
  };
  let db: Database.Database;
  let store: SqliteDecisionStore;
  beforeEach(() => {
    db = new Database(':memory:');
    store = new SqliteDecisionStore(db);
  });
  afterEach(() => db.close());

  it('has nothing for an unknown transaction', async () => {
    expect(await store.get('corr-unknown')).toBeUndefined();
  });

  it('stores the first decision and returns it to every later writer', async () => {
    expect(await store.putIfAbsent('corr-1', review)).toEqual(review);
    expect(await store.putIfAbsent('corr-1', approve)).toEqual(review);
    expect(await store.get('corr-1')).toEqual(review);
    expect(await store.putIfAbsent('corr-2', approve)).toEqual(approve);
  });

  it('keeps decisions as JSON text, visible to another store on the same database', async () => {
    await store.putIfAbsent('corr-1', review);
    const row = db.prepare('SELECT decision FROM rules_decisions WHERE correlation_id = ?').get('corr-1') as { decision: string };
    expect(JSON.parse(row.decision)).toEqual(review);
    const again = new SqliteDecisionStore(db);
    expect(await again.get('corr-1')).toEqual(review);
  });
});

describe('a locked database', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledgerline-rules-state-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a TransientStoreError (retried), not an answer', async () => {
    const file = path.join(dir, 'state.db');
    const holder = new Database(file);
    const velocityHolder = new SqliteVelocityStore(holder);
    const decisionsHolder = new SqliteDecisionStore(holder);
    const other = new Database(file, { timeout: 0 });
    const velocity = new SqliteVelocityStore(other);
    const decisions = new SqliteDecisionStore(other);
    try {
      holder.exec('BEGIN EXCLUSIVE');
      await expect(velocity.record('tok_card00001', 'tx-1', T0, HOUR)).rejects.toThrow(TransientStoreError);
      await expect(decisions.get('corr-1')).rejects.toThrow(TransientStoreError);
      holder.exec('COMMIT');
      expect(await velocity.record('tok_card00001', 'tx-1', T0, HOUR)).toBe(1);
      expect(await velocityHolder.record('tok_card00001', 'tx-2', T0 + 1, HOUR)).toBe(2);
      expect(await decisionsHolder.get('corr-1')).toBeUndefined();
    } finally {
      other.close();
      holder.close();
    }
  });
});
