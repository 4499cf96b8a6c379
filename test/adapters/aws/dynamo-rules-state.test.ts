import { DynamoDecisionStore, DynamoVelocityStore } from '../../../src/adapters/aws/dynamo-rules-state';
import type { RulesDecision } from '../../../src/domain/events';
import { TransientStoreError } from '../../../src/ports';
import type { Dynalite } from './support/dynalite';
import { closedPortClient, startDynalite } from './support/dynalite';

let db: Dynalite;
let velocity: DynamoVelocityStore;
let decisions: DynamoDecisionStore;

beforeAll(async () => {
  db = await startDynalite();
  velocity = new DynamoVelocityStore({ client: db.client, tableName: db.tableNames.rulesState });
  decisions = new DynamoDecisionStore({ client: db.client, tableName: db.tableNames.rulesState });
});

afterAll(async () => {
  await db.stop();
});

const T0 = Date.parse('2025-06-01T12:00:00.000Z');
const HOUR = 3_600_000;

describe('DynamoVelocityStore (dynalite)', () => {
  it('counts the card payments in (at - window, at], this one included', async () => {
    expect(await velocity.record('tok_card1', 'tx-1', T0, HOUR)).toBe(1);
    expect(await velocity.record('tok_card1', 'tx-2', T0 + 10 * 60_000, HOUR)).toBe(2);
    expect(await velocity.record('tok_card1', 'tx-3', T0 + 30 * 60_000, HOUR)).toBe(3);
    // Exactly one window after tx-1: tx-1 falls out (the window is open at its start).
    expect(await velocity.record('tok_card1', 'tx-4', T0 + HOUR, HOUR)).toBe(3);
    expect(await velocity.record('tok_card1', 'tx-5', T0 + 3 * HOUR, HOUR)).toBe(1);
  });

  it('is idempotent by transactionId (a re-delivery counts once)', async () => {
    expect(await velocity.record('tok_card2', 'tx-a', T0, HOUR)).toBe(1);
    expect(await velocity.record('tok_card2', 'tx-a', T0, HOUR)).toBe(1);
    expect(await velocity.record('tok_card2', 'tx-b', T0 + 1, HOUR)).toBe(2);
    expect(await velocity.record('tok_card2', 'tx-b', T0 + 1, HOUR)).toBe(2);
  });

  it('keeps cards apart', async () => {
    expect(await velocity.record('tok_card3', 'tx-1', T0, HOUR)).toBe(1);
  });

  it('maps an unreachable endpoint to TransientStoreError', async () => {
    const client = await closedPortClient();
    await expect(new DynamoVelocityStore({ client, tableName: db.tableNames.rulesState }).record('tok_x', 'tx', T0, HOUR)).rejects.toBeInstanceOf(TransientStoreError);
    client.destroy();
  });
});

describe('DynamoDecisionStore (dynalite)', () => {
  const approve: RulesDecision = { outcome: 'approve', firedRules: [], ruleSetId: 'core', ruleSetVersion: '3', velocityCount: 1 };
  const decline: RulesDecision = { outcome: 'decline', firedRules: ['velocity'], ruleSetId: 'core', ruleSetVersion: '3', velocityCount: 9 };

  it('first writer wins; a later writer gets the stored decision', async () => {
    await expect(decisions.get('corr-1')).resolves.toBeUndefined();
    await expect(decisions.putIfAbsent('corr-1', approve)).resolves.toEqual(approve);
    await expect(decisions.putIfAbsent('corr-1', decline)).resolves.toEqual(approve);
    await expect(decisions.get('corr-1')).resolves.toEqual(approve);
  });

  it('concurrent writers all see one decision', async () => {
    const results = await Promise.all([decline, approve, decline, approve].map((decision) => decisions.putIfAbsent('corr-2', decision)));
    expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
    await expect(decisions.get('corr-2')).resolves.toEqual(results[0]);
  });

  it('maps an unreachable endpoint to TransientStoreError', async () => {
    const client = await closedPortClient();
    const offline = new DynamoDecisionStore({ client, tableName: db.tableNames.rulesState });
    await expect(offline.putIfAbsent('corr-x', approve)).rejects.toBeInstanceOf(TransientStoreError);
    await expect(offline.get('corr-x')).rejects.toBeInstanceOf(TransientStoreError);
    client.destroy();
  });
});
