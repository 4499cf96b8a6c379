/**
 * The velocity window's edges (the rules stage's `payment.velocityCount`): a card's payments in
 * (at - window, at], at each end and one millisecond either side of it. The rule that reads the
 * count (VELOCITY_EXCEEDED: count > limit) has its own edge in test/domain/rules.test.ts.
 */
import Database from 'better-sqlite3';
import { SqliteVelocityStore } from '../../../src/adapters/embedded/rules-state';
import { DEFAULT_VELOCITY_WINDOW_MS } from '../../../functions/rules/rules';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const WINDOW = 10_000;

describe('velocity window edges', () => {
  let db: Database.Database;
  let store: SqliteVelocityStore;
  beforeEach(() => {
    db = new Database(':memory:');
    store = new SqliteVelocityStore(db);
  });
  afterEach(() => db.close());

  it.each([
    ['one millisecond inside the window', WINDOW - 1, 2],
    ['exactly one window later (the open end)', WINDOW, 1],
    ['one millisecond past the window', WINDOW + 1, 1],
    ['at the same millisecond (the closed end)', 0, 2],
  ])('an earlier payment %s', async (_name, later, expected) => {
    await store.record('tok_card00001', 'tx-1', T0, WINDOW);
    expect(await store.record('tok_card00001', 'tx-2', T0 + later, WINDOW)).toBe(expected);
  });

  it('a payment one millisecond after `at` is not counted (out-of-order arrival)', async () => {
    await store.record('tok_card00001', 'tx-later', T0 + 1, WINDOW);
    expect(await store.record('tok_card00001', 'tx-now', T0, WINDOW)).toBe(1);
  });

  it('the smallest window, 1 ms, counts only payments of the same millisecond', async () => {
    await store.record('tok_card00001', 'tx-1', T0 - 1, 1);
    await store.record('tok_card00001', 'tx-2', T0, 1);
    expect(await store.record('tok_card00001', 'tx-3', T0, 1)).toBe(2);
    await expect(store.record('tok_card00001', 'tx-4', T0, 0)).rejects.toThrow('must be a positive integer');
  });

  it('the default window is one hour', () => {
    expect(DEFAULT_VELOCITY_WINDOW_MS).toBe(3_600_000);
  });
});
