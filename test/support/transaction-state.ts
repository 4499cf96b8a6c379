import type { LedgerEvent } from '../../src/domain/events';
import type { TransactionStateStore } from '../../src/ports';
import { VersionConflictError } from '../../src/ports';

/** Seeds a RUNNING transaction for `event` with one conditional put (already tracked: left alone). */
export async function markRunning(store: TransactionStateStore, event: LedgerEvent, now: Date): Promise<void> {
  const data = event.data as { authorisation?: { authorizationId: string }; authorizationId?: string };
  const authorizationId = data.authorisation?.authorizationId ?? data.authorizationId ?? event.correlationId;
  try {
    await store.put({ transactionId: event.correlationId, authorizationId, status: 'RUNNING', attempts: 0, version: 0, updatedAt: now.toISOString() }, 0);
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
  }
}
