/**
 * The sweeper (SWEEP-2): find transactions in the sparse RETRYING index, re-drive those under the
 * attempt threshold under a deterministic execution name, and mark the rest FAILED with the reason.
 */
import type { LedgerEvent } from './events';
import { EventTypes, nextEvent } from './events';
import type { Clock, EventPublisher, Redriver, TransactionState, TransactionStateStore } from '../ports';
import { updateTransaction } from './transaction-state';

export interface SweeperConfig {
  /** Re-drives allowed per transaction before it is marked FAILED. */
  maxAttempts: number;
  /** Items read from the index per sweep. */
  pageSize: number;
}

export const DEFAULT_SWEEPER_CONFIG: SweeperConfig = { maxAttempts: 3, pageSize: 500 };

export interface SweepResult {
  examined: number;
  redriven: number;
  alreadyRedriven: number;
  failed: number;
  /**
   * Candidates whose re-drive or state write failed (a busy or throttled store): each stays
   * RETRYING for the next sweep, and the others of the page go on (CHAOS-1). A re-drive already
   * started is found again under its deterministic name, so deferring never re-drives twice.
   */
  deferred?: number;
}

/** Deterministic: the same transaction, stage and attempt always yields the same name (≤ 80 chars). */
export function redriveExecutionName(state: Pick<TransactionState, 'transactionId' | 'stage' | 'attempts'>): string {
  return `${state.transactionId}-${state.stage ?? 'unknown'}-r${state.attempts + 1}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

export interface SweeperDeps {
  transactions: TransactionStateStore;
  redriver: Redriver;
  publisher: EventPublisher;
  clock: Clock;
}

export async function sweep(deps: SweeperDeps, config: SweeperConfig = DEFAULT_SWEEPER_CONFIG): Promise<SweepResult> {
  const result: SweepResult = { examined: 0, redriven: 0, alreadyRedriven: 0, failed: 0 };
  const candidates = await deps.transactions.listByStatus('RETRYING', config.pageSize);
  const failures: LedgerEvent[] = [];
  for (const candidate of candidates) {
    result.examined += 1;
    try {
      const now = deps.clock.now();
      if (candidate.attempts < config.maxAttempts && candidate.pendingEvent) {
        const name = redriveExecutionName(candidate);
        const outcome = await deps.redriver.redrive(name, candidate.pendingEvent);
        if (outcome === 'started') result.redriven += 1;
        else result.alreadyRedriven += 1;
        await updateTransaction(deps.transactions, candidate.transactionId, (current) =>
          current && current.status === 'RETRYING' && current.attempts === candidate.attempts
            ? { ...current, status: 'RUNNING', attempts: current.attempts + 1, updatedAt: now.toISOString() }
            : undefined,
        );
        continue;
      }
      const reason = candidate.pendingEvent
        ? `retries exhausted after ${candidate.attempts} re-drive(s) at stage ${candidate.stage ?? 'unknown'}: ${candidate.lastError ?? 'unknown error'}`
        : `no event to re-drive at stage ${candidate.stage ?? 'unknown'}: ${candidate.lastError ?? 'unknown error'}`;
      const updated = await updateTransaction(deps.transactions, candidate.transactionId, (current) =>
        current && current.status === 'RETRYING' ? { ...current, status: 'FAILED', lastError: reason, updatedAt: now.toISOString() } : undefined,
      );
      if (updated?.status === 'FAILED') {
        result.failed += 1;
        const cause = candidate.pendingEvent ?? { id: `sweeper:${candidate.transactionId}`, correlationId: candidate.transactionId };
        failures.push(
          nextEvent(
            cause,
            EventTypes.postingFailed,
            'ledgerline.sweeper',
            { authorizationId: candidate.authorizationId, stage: candidate.stage ?? 'unknown', reason: reason.slice(0, 1000), attempts: candidate.attempts },
            now.toISOString(),
            'failed',
          ),
        );
      }
    } catch {
      result.deferred = (result.deferred ?? 0) + 1;
    }
  }
  if (failures.length > 0) await deps.publisher.publish(failures);
  return result;
}
