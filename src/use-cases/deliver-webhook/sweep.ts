/**
 * The webhook sweeper (HOOK-2 through SWEEP-1/2): the same pattern as the transaction sweeper
 * (src/domain/sweeper.ts), over the delivery state. It reads the sparse index of RETRYING
 * deliveries that are due (dueAt ≤ now) and re-drives each under a deterministic name
 * `<deliveryId>-a<attempt>`: the claim is an optimistic write on the delivery's version and the
 * attempt number is started once in the delivery log, so a name already used starts nothing.
 * Past the policy's end a delivery is marked FAILED with the reason (the dead letter).
 *
 * It also recovers deliveries left RUNNING longer than `staleRunningMs` (a process killed between
 * a send and its log): they are re-driven as if due.
 *
 * The loop, the per-item error isolation and the counts are the sweep engine's
 * (src/domain/sweep-engine.ts); this file configures it.
 */
import type { DeliveryState } from '../../ports/notify';
import type { SweepSpec } from '../../domain/sweep-engine';
import { ALREADY, countOf, runSweep } from '../../domain/sweep-engine';
import type { DeliverDeps } from './deliver';
import { attemptDelivery } from './deliver';

export interface DeliverySweepConfig {
  /** Deliveries read per sweep. */
  pageSize: number;
  /** A RUNNING delivery not updated for this long is re-driven (its process died). */
  staleRunningMs: number;
}

export const DEFAULT_DELIVERY_SWEEP_CONFIG: DeliverySweepConfig = Object.freeze({ pageSize: 200, staleRunningMs: 5 * 60 * 1000 });

export interface DeliverySweepResult {
  examined: number;
  delivered: number;
  parked: number;
  deadLettered: number;
  /** Re-drives another process had started (the name was used): nothing started here. */
  alreadyRedriven: number;
  /** Re-drives that failed to run (a store error): each stays where it was, for the next sweep. */
  deferred: number;
}

/** The deterministic re-drive name of a delivery's next attempt. */
export function redriveNameOf(state: Pick<DeliveryState, 'deliveryId' | 'attempts'>): string {
  return `${state.deliveryId}-a${state.attempts + 1}`;
}

type DeliveryOutcome = 'delivered' | 'parked' | 'dead-lettered';

/** The webhook sweeper as a configuration of the sweep engine (src/domain/sweep-engine.ts). */
function deliverySweep(deps: DeliverDeps, config: DeliverySweepConfig, now: Date): SweepSpec<DeliveryState, DeliveryOutcome> {
  return {
    // Due: the RETRYING deliveries due by now, then those RUNNING past the stale threshold (their process died).
    page: async () => {
      const due = await deps.deliveries.listDue(now, config.pageSize);
      const stale = (await deps.deliveries.listByStatus('RUNNING', config.pageSize)).filter((state) => now.getTime() - Date.parse(state.updatedAt) >= config.staleRunningMs);
      return [...due, ...stale];
    },
    attempts: (state) => state.attempts,
    // The delivery policy (src/notify/delivery-policy.ts) decides the dead letter after each attempt:
    // a due delivery is always attempted, and an attempt past the policy's end dead-letters it.
    limit: Number.POSITIVE_INFINITY,
    nameOf: redriveNameOf,
    reasonOf: (state) => `delivery ${state.deliveryId} cannot be re-driven`,
    redrive: async (candidate) => {
      const outcome = await attemptDelivery(deps, candidate, { inline: false, by: (attempt) => `sweeper:${redriveNameOf({ deliveryId: candidate.deliveryId, attempts: attempt - 1 })}` });
      if (outcome.kind === 'contended') return ALREADY;
      if (outcome.state.status === 'COMPLETED') return 'delivered';
      if (outcome.state.status === 'FAILED') return 'dead-lettered';
      return 'parked';
    },
    // Never reached (no threshold before an attempt); the policy's dead letter is written by the attempt.
    markFailed: async () => false,
  };
}

export async function sweepDeliveries(deps: DeliverDeps, config: DeliverySweepConfig = DEFAULT_DELIVERY_SWEEP_CONFIG): Promise<DeliverySweepResult> {
  const tally = await runSweep(deliverySweep(deps, config, deps.clock.now()));
  return {
    examined: tally.examined,
    delivered: countOf(tally, 'delivered'),
    parked: countOf(tally, 'parked'),
    deadLettered: countOf(tally, 'dead-lettered'),
    alreadyRedriven: countOf(tally, ALREADY),
    deferred: countOf(tally, 'deferred'),
  };
}
