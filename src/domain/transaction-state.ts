/**
 * The transaction-state lifecycle (SWEEP-1): RUNNING → COMPLETED, or → RETRYING (sweeper)
 * → COMPLETED / FAILED. Every write is optimistic: read the version, write if unchanged,
 * retry on conflict.
 */
import type { LedgerEvent } from './events';
import type { TransactionState, TransactionStateStore } from '../ports';
import { VersionConflictError } from '../ports';

const MAX_CONFLICT_RETRIES = 8;

/** Read-modify-write with optimistic locking. `change` returns undefined to leave the item alone. */
export async function updateTransaction(
  store: TransactionStateStore,
  transactionId: string,
  change: (current: TransactionState | undefined) => TransactionState | undefined,
): Promise<TransactionState | undefined> {
  for (let attempt = 0; ; attempt += 1) {
    const current = await store.get(transactionId);
    const next = change(current);
    if (!next) return current;
    try {
      return await store.put(next, current?.version ?? 0);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}

function authorizationIdOf(event: LedgerEvent): string {
  const data = event.data as { authorisation?: { authorizationId: string }; authorizationId?: string };
  return data.authorisation?.authorizationId ?? data.authorizationId ?? event.correlationId;
}

export async function markCompleted(store: TransactionStateStore, transactionId: string, authorizationId: string, now: Date): Promise<void> {
  await store.complete(transactionId, authorizationId, now);
}

/** A consumer gave up on `event` (deliveries exhausted): park it for the sweeper. */
export async function markRetrying(store: TransactionStateStore, event: LedgerEvent, stage: string, error: unknown, now: Date): Promise<void> {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await updateTransaction(store, event.correlationId, (current) =>
    current?.status === 'COMPLETED' || current?.status === 'FAILED'
      ? undefined
      : {
          transactionId: event.correlationId,
          authorizationId: authorizationIdOf(event),
          status: 'RETRYING',
          stage,
          attempts: current?.attempts ?? 0,
          lastError: reason.slice(0, 500),
          pendingEvent: event,
          version: current?.version ?? 0,
          updatedAt: now.toISOString(),
        },
  );
}

/** Ends a transaction that is tracked (e.g. one the sweeper re-drove) without creating one. */
export async function completeIfTracked(store: TransactionStateStore, transactionId: string, now: Date): Promise<void> {
  await updateTransaction(store, transactionId, (current) =>
    current && current.status !== 'COMPLETED' && current.status !== 'FAILED' ? { ...current, status: 'COMPLETED', updatedAt: now.toISOString() } : undefined,
  );
}
