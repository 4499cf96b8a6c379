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
 */
import type { DeliveryState } from '../../ports/notify';
import type { DeliverDeps, DeliverResult } from './deliver';
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

export async function sweepDeliveries(deps: DeliverDeps, config: DeliverySweepConfig = DEFAULT_DELIVERY_SWEEP_CONFIG): Promise<DeliverySweepResult> {
  const result: DeliverySweepResult = { examined: 0, delivered: 0, parked: 0, deadLettered: 0, alreadyRedriven: 0, deferred: 0 };
  const now = deps.clock.now();
  const due = await deps.deliveries.listDue(now, config.pageSize);
  const stale = (await deps.deliveries.listByStatus('RUNNING', config.pageSize)).filter((state) => now.getTime() - Date.parse(state.updatedAt) >= config.staleRunningMs);
  for (const candidate of [...due, ...stale]) {
    result.examined += 1;
    let outcome: DeliverResult;
    try {
      outcome = await attemptDelivery(deps, candidate, { inline: false, by: (attempt) => `sweeper:${candidate.deliveryId}-a${attempt}` });
    } catch {
      result.deferred += 1;
      continue;
    }
    if (outcome.kind === 'contended') result.alreadyRedriven += 1;
    else if (outcome.state.status === 'COMPLETED') result.delivered += 1;
    else if (outcome.state.status === 'FAILED') result.deadLettered += 1;
    else result.parked += 1;
  }
  return result;
}
