/**
 * The embedded flow repairer (FLOW-3): rebuilds each stuck payment's `payment.authorised` event
 * from its partition's flow journal (src/adapters/embedded/flow-facts.ts) and re-emits it through
 * that partition's runtime, in one committed wave per partition. The stages are idempotent by
 * event id, so a payment resumes at the stage it stopped at and nothing posts twice.
 */
import { plannedReemits } from '../domain/flow-audit';
import type { FlowRepairer, RepairOutcome, RepairRequest } from '../ports/flow';
import type { RuntimeOptions } from './embedded-runtime';
import { EmbeddedRuntime } from './embedded-runtime';

/** Re-emits the requests that belong to `runtime`'s state; returns one outcome per request. */
export async function reemitInRuntime(runtime: EmbeddedRuntime, requests: readonly RepairRequest[]): Promise<RepairOutcome[]> {
  const { events, outcomes } = plannedReemits(requests, (authorizationId) => runtime.flowJournal.rebuildAuthorised(authorizationId));
  if (events.length > 0) await runtime.reemit(events);
  return outcomes;
}

/** Repairs over an embedded state: each request goes to the partition it names (its location). */
export class EmbeddedFlowRepairer implements FlowRepairer {
  constructor(private readonly options: Omit<RuntimeOptions, 'stateDir' | 'faultDrop'> = {}) {}

  async reemit(requests: readonly RepairRequest[]): Promise<RepairOutcome[]> {
    const byLocation = new Map<string, RepairRequest[]>();
    for (const request of requests) {
      let group = byLocation.get(request.location);
      if (!group) byLocation.set(request.location, (group = []));
      group.push(request);
    }
    const outcomes: RepairOutcome[] = [];
    for (const [location, group] of byLocation) {
      const runtime = new EmbeddedRuntime({ ...this.options, stateDir: location });
      try {
        for (const outcome of await reemitInRuntime(runtime, group)) outcomes.push(outcome);
      } finally {
        runtime.close();
      }
    }
    return outcomes;
  }
}
