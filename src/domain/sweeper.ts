/**
 * The sweeper (SWEEP-2): find transactions in the sparse RETRYING index, re-drive those under the
 * attempt threshold under a deterministic execution name, and mark the rest FAILED with the reason
 * and a posting.failed event. The loop, the per-item error isolation, the threshold decision and
 * the counts are the sweep engine's (./sweep-engine.ts); this file configures it.
 */
import type { LedgerEvent } from './events';
import { EventTypes, nextEvent } from './events';
import type { Clock, EventPublisher, Redriver, TransactionState, TransactionStateStore } from '../ports';
import { updateTransaction } from './transaction-state';
import type { SweepSpec, SweepTally } from './sweep-engine';
import { ALREADY, countOf, runSweep } from './sweep-engine';

export interface SweeperConfig {
  /** Re-drives allowed per transaction before it is marked FAILED. */
  maxAttempts: number;
  /** Items read from the index per sweep. */
  pageSize: number;
}

export const DEFAULT_SWEEPER_CONFIG: SweeperConfig = { maxAttempts: 3, pageSize: 500 };

export interface SweepResult {
  examined: number;
  /** Re-drives this sweep started (including one whose state write was then deferred: it counts in `deferred` too). */
  redriven: number;
  /** Re-drives found already started under their name (likewise). */
  alreadyRedriven: number;
  /** Transactions this sweep marked FAILED (each with a posting.failed event). */
  failed: number;
  /**
   * Candidates whose re-drive or state write failed (a busy or throttled store): each stays
   * RETRYING for the next sweep, and the others of the page go on (CHAOS-1). A re-drive already
   * started is found again under its deterministic name, so deferring never re-drives twice.
   */
  deferred?: number;
  /** Past-threshold candidates another process moved on before this sweep could mark them (nothing marked). */
  superseded?: number;
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

type TransactionOutcome = 'started';

/** The transaction sweeper as a configuration of the sweep engine (src/domain/sweep-engine.ts). */
function transactionSweep(deps: SweeperDeps, config: SweeperConfig, failures: LedgerEvent[]): SweepSpec<TransactionState, TransactionOutcome> {
  return {
    // Due: every transaction in the sparse RETRYING index (SWEEP-1).
    page: () => deps.transactions.listByStatus('RETRYING', config.pageSize),
    attempts: (candidate) => candidate.attempts,
    limit: config.maxAttempts,
    redrivable: (candidate) => candidate.pendingEvent !== undefined,
    nameOf: redriveExecutionName,
    reasonOf: (candidate, cause) =>
      cause === 'exhausted'
        ? `retries exhausted after ${candidate.attempts} re-drive(s) at stage ${candidate.stage ?? 'unknown'}: ${candidate.lastError ?? 'unknown error'}`
        : `no event to re-drive at stage ${candidate.stage ?? 'unknown'}: ${candidate.lastError ?? 'unknown error'}`,
    redrive: async (candidate, name) => ((await deps.redriver.redrive(name, candidate.pendingEvent!)) === 'started' ? 'started' : ALREADY),
    settle: async (candidate) => {
      const now = deps.clock.now();
      await updateTransaction(deps.transactions, candidate.transactionId, (current) =>
        current && current.status === 'RETRYING' && current.attempts === candidate.attempts
          ? { ...current, status: 'RUNNING', attempts: current.attempts + 1, updatedAt: now.toISOString() }
          : undefined,
      );
    },
    markFailed: async (candidate, reason) => {
      const now = deps.clock.now();
      const updated = await updateTransaction(deps.transactions, candidate.transactionId, (current) =>
        current && current.status === 'RETRYING' ? { ...current, status: 'FAILED', lastError: reason, updatedAt: now.toISOString() } : undefined,
      );
      if (updated?.status !== 'FAILED') return false;
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
      return true;
    },
  };
}

/** The result of a sweep from the engine's tally: a re-drive started before its state write was deferred counts in both. */
function resultOf(tally: SweepTally<TransactionState, TransactionOutcome>): SweepResult {
  const deferred = tally.items.filter((swept) => swept.bucket === 'deferred');
  const result: SweepResult = {
    examined: tally.examined,
    redriven: countOf(tally, 'started') + deferred.filter((swept) => swept.redrive === 'started').length,
    alreadyRedriven: countOf(tally, ALREADY) + deferred.filter((swept) => swept.redrive === ALREADY).length,
    failed: countOf(tally, 'failed'),
  };
  if (deferred.length > 0) result.deferred = deferred.length;
  const superseded = countOf(tally, 'superseded');
  if (superseded > 0) result.superseded = superseded;
  return result;
}

export async function sweep(deps: SweeperDeps, config: SweeperConfig = DEFAULT_SWEEPER_CONFIG): Promise<SweepResult> {
  const failures: LedgerEvent[] = [];
  const result = resultOf(await runSweep(transactionSweep(deps, config, failures)));
  if (failures.length > 0) await deps.publisher.publish(failures);
  return result;
}

/** Adds `result` into `total` (a run of several sweeps). */
export function addSweepResult(total: SweepResult, result: SweepResult): SweepResult {
  total.examined += result.examined;
  total.redriven += result.redriven;
  total.alreadyRedriven += result.alreadyRedriven;
  total.failed += result.failed;
  if (result.deferred) total.deferred = (total.deferred ?? 0) + result.deferred;
  if (result.superseded) total.superseded = (total.superseded ?? 0) + result.superseded;
  return total;
}
