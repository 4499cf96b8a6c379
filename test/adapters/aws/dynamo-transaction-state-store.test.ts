import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoTransactionStateStore, statusBucket } from '../../../src/adapters/aws/dynamo-transaction-state-store';
import { TRANSACTION_STATUS_INDEXES } from '../../../src/adapters/aws/tables';
import type { LedgerEvent } from '../../../src/domain/events';
import { correlationIdFor, EventTypes, nextEvent } from '../../../src/domain/events';
import { updateTransaction } from '../../../src/domain/transaction-state';
import type { TransactionState } from '../../../src/ports';
import { TransientStoreError, VersionConflictError } from '../../../src/ports';
import type { Dynalite } from './support/dynalite';
import { closedPortClient, startDynalite } from './support/dynalite';

let db: Dynalite;
let store: DynamoTransactionStateStore;

beforeAll(async () => {
  db = await startDynalite();
  store = new DynamoTransactionStateStore({ client: db.client, tableName: db.tableNames.transactions });
});

afterAll(async () => {
  await db.stop();
});

function state(transactionId: string, status: TransactionState['status'], updatedAt: string, extra: Partial<TransactionState> = {}): TransactionState {
  return { transactionId, authorizationId: `auth-${transactionId}`, status, attempts: 0, version: 0, updatedAt, ...extra };
}

const failedEvent: LedgerEvent = nextEvent(
  { id: 'cause-1', correlationId: correlationIdFor('AUTH-1') },
  EventTypes.postingFailed,
  'ledgerline.sweeper',
  { authorizationId: 'AUTH-1', stage: 'posting', reason: 'boom', attempts: 3 },
  '2025-06-01T10:00:00.000Z',
);

async function rawItem(transactionId: string) {
  const result = await db.client.send(new GetItemCommand({ TableName: db.tableNames.transactions, Key: { transactionId: { S: transactionId } } }));
  return result.Item ?? {};
}

describe('DynamoTransactionStateStore (dynalite)', () => {
  it('creates with expectedVersion 0, then requires the stored version', async () => {
    const created = await store.put(state('tx-1', 'RUNNING', '2025-06-01T00:00:00.000Z'), 0);
    expect(created.version).toBe(1);
    await expect(store.get('tx-1')).resolves.toEqual(state('tx-1', 'RUNNING', '2025-06-01T00:00:00.000Z', { version: 1 }));

    await expect(store.put(state('tx-1', 'RUNNING', '2025-06-01T00:00:01.000Z'), 0)).rejects.toBeInstanceOf(VersionConflictError);
    const updated = await store.put(state('tx-1', 'RETRYING', '2025-06-01T00:00:02.000Z', { stage: 'posting', lastError: 'TransientStoreError: x', pendingEvent: failedEvent, attempts: 1 }), 1);
    expect(updated.version).toBe(2);
    await expect(store.put(state('tx-1', 'COMPLETED', '2025-06-01T00:00:03.000Z'), 1)).rejects.toBeInstanceOf(VersionConflictError);
    await expect(store.get('tx-1')).resolves.toEqual(updated);
    expect((await store.get('tx-1'))?.pendingEvent).toEqual(failedEvent);
    await expect(store.get('tx-unknown')).resolves.toBeUndefined();
  });

  it('keeps exactly one sparse status attribute, holding the bucket key, and removes it on completion', async () => {
    await store.put(state('tx-2', 'RUNNING', '2025-06-01T00:00:00.000Z'), 0);
    let item = await rawItem('tx-2');
    expect(item.runningJob).toEqual({ S: statusBucket('RUNNING', 'tx-2') });
    expect(item.runningJob?.S).toMatch(/^RUNNING#\d{2}$/);
    expect(item.retryJob).toBeUndefined();
    expect(item.failedJob).toBeUndefined();

    await store.put(state('tx-2', 'RETRYING', '2025-06-01T00:01:00.000Z'), 1);
    item = await rawItem('tx-2');
    expect(item.retryJob).toEqual({ S: statusBucket('RETRYING', 'tx-2') });
    expect(item.runningJob).toBeUndefined();

    await store.put(state('tx-2', 'FAILED', '2025-06-01T00:02:00.000Z'), 2);
    item = await rawItem('tx-2');
    expect(item.failedJob).toEqual({ S: statusBucket('FAILED', 'tx-2') });
    expect(item.retryJob).toBeUndefined();

    await store.put(state('tx-2', 'COMPLETED', '2025-06-01T00:03:00.000Z'), 3);
    item = await rawItem('tx-2');
    expect(Object.keys(item).filter((name) => name.endsWith('Job'))).toEqual([]);
  });

  it('lists a status across all its buckets, oldest first, up to the limit', async () => {
    const retrying = Array.from({ length: 30 }, (_, i) => `list-r-${String(i).padStart(2, '0')}`);
    // Inserted newest first, so the order must come from updatedAt, not from insertion.
    for (const [i, id] of [...retrying].reverse().entries()) {
      await store.put(state(id, 'RETRYING', `2025-01-01T00:00:${String(59 - i).padStart(2, '0')}.000Z`, { pendingEvent: failedEvent }), 0);
    }
    for (let i = 0; i < 5; i += 1) await store.put(state(`list-f-${i}`, 'FAILED', `2025-01-01T00:00:0${i}.000Z`), 0);
    for (let i = 0; i < 5; i += 1) await store.put(state(`list-c-${i}`, 'COMPLETED', `2025-01-01T00:00:0${i}.000Z`), 0);

    const buckets = new Set(retrying.map((id) => statusBucket('RETRYING', id)));
    expect(buckets.size).toBe(TRANSACTION_STATUS_INDEXES.RETRYING.buckets);

    const all = await store.listByStatus('RETRYING', 100);
    expect(all.map((s) => s.transactionId).filter((id) => id.startsWith('list-'))).toEqual(retrying);
    expect(all.length).toBeGreaterThan(retrying.length); // earlier tests left RETRYING items too (newer)
    expect(all.every((s) => s.status === 'RETRYING' && s.pendingEvent?.id === failedEvent.id)).toBe(true);

    const oldest = await store.listByStatus('RETRYING', 7);
    expect(oldest.map((s) => s.transactionId)).toEqual(retrying.slice(0, 7));

    const failed = await store.listByStatus('FAILED', 10);
    expect(failed.map((s) => s.transactionId)).toEqual(['list-f-0', 'list-f-1', 'list-f-2', 'list-f-3', 'list-f-4']);
    await expect(store.listByStatus('RETRYING', 0)).resolves.toEqual([]);
  });

  it('serialises concurrent read-modify-writes through version conflicts (none lost)', async () => {
    await store.put(state('tx-counter', 'RETRYING', '2025-06-01T00:00:00.000Z'), 0);
    await Promise.all(Array.from({ length: 5 }, () => updateTransaction(store, 'tx-counter', (current) => current && { ...current, attempts: current.attempts + 1 })));
    const final = await store.get('tx-counter');
    expect(final?.attempts).toBe(5);
    expect(final?.version).toBe(6);
  });

  it('maps an unreachable endpoint to TransientStoreError (never a conflict)', async () => {
    const client = await closedPortClient();
    const offline = new DynamoTransactionStateStore({ client, tableName: db.tableNames.transactions });
    await expect(offline.get('tx-1')).rejects.toBeInstanceOf(TransientStoreError);
    await expect(offline.put(state('tx-9', 'RUNNING', '2025-06-01T00:00:00.000Z'), 0)).rejects.toBeInstanceOf(TransientStoreError);
    await expect(offline.listByStatus('RETRYING', 5)).rejects.toBeInstanceOf(TransientStoreError);
    client.destroy();
  });

  // Last: it leaves a FAILED item, which the listing tests above would otherwise see.
  it('complete: one conditional write that ends a transaction, creates it if absent, and leaves an ended one alone', async () => {
    const now = new Date('2025-06-02T00:00:00.000Z');
    await store.complete('tx-c1', 'auth-c1', now);
    expect(await store.get('tx-c1')).toEqual({ transactionId: 'tx-c1', authorizationId: 'auth-c1', status: 'COMPLETED', attempts: 0, version: 1, updatedAt: now.toISOString() });

    await store.put(state('tx-c2', 'RUNNING', '2025-06-01T00:00:00.000Z'), 0);
    await store.complete('tx-c2', 'auth-c2', now);
    expect(await store.get('tx-c2')).toMatchObject({ status: 'COMPLETED', version: 2 });
    expect(await rawItem('tx-c2')).not.toHaveProperty(TRANSACTION_STATUS_INDEXES.RUNNING.attribute);
    expect((await store.listByStatus('RUNNING', 100)).map((s) => s.transactionId)).not.toContain('tx-c2');

    await store.put(state('tx-c3', 'FAILED', '2025-06-01T00:00:00.000Z', { lastError: 'gave up' }), 0);
    await store.complete('tx-c3', 'auth-c3', now);
    expect(await store.get('tx-c3')).toMatchObject({ status: 'FAILED', version: 1, lastError: 'gave up' });
    await store.complete('tx-c2', 'auth-c2', now);
    expect(await store.get('tx-c2')).toMatchObject({ version: 2 });
  });
});
