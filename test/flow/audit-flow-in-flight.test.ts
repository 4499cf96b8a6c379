/**
 * FLOW-3 where the repair is consumed asynchronously (AWS: the re-emitted event reaches the hot
 * path through its queue, after the auditor's second read): a payment re-emitted by this run is in
 * flight, not unrepaired, so the alarm metric stays 0; one the store could not rebuild, or one
 * not re-emitted, still counts. Embedded (the option off), the second read is the verdict.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { SqliteFlowFacts } from '../../src/adapters/embedded/flow-facts';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import type { FlowRepairer, RepairRequest } from '../../src/ports/flow';
import { runAuditFlow } from '../../src/use-cases/audit-flow/audit-flow';
import { tempDir } from '../support/runtime';
import { orderIndependentLines } from './support';

const clock = { now: () => new Date() };

/** A repairer whose re-emits are accepted but not yet consumed; the ids in `refuse` cannot be rebuilt. */
function asyncRepairer(refuse: (index: number) => boolean): FlowRepairer {
  return {
    reemit: async (requests: readonly RepairRequest[]) =>
      requests.map((request, index) =>
        refuse(index)
          ? { authorizationId: request.authorizationId, outcome: 'unrepairable' as const, reason: 'not in the store (test)' }
          : { authorizationId: request.authorizationId, outcome: 'reemitted' as const },
      ),
  };
}

it('re-emitted payments are in flight with the option and unrepaired without it; the ones not rebuilt count either way (generated)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0.05, max: 0.5, noNaN: true }), fc.integer({ min: 0, max: 4 }), async (seed, ratio, everyNth) => {
      const state = join(tempDir('ledgerline-flow-inflight-'), 'A');
      const runtime = new EmbeddedRuntime({ stateDir: state, faultDrop: ratio });
      try {
        await runtime.post(orderIndependentLines(80, seed), 'input');
      } finally {
        runtime.close();
      }
      const refuse = (index: number) => everyNth > 0 && index % everyNth === 0;
      const facts = new SqliteFlowFacts([state]);
      const asAws = await runAuditFlow({ facts, repairer: asyncRepairer(refuse), clock }, { window: {}, stuckAfterMs: 0, repair: true, reemittedInFlight: true });
      const asCli = await runAuditFlow({ facts, repairer: asyncRepairer(refuse), clock }, { window: {}, stuckAfterMs: 0, repair: true });
      const stuck = asAws.audit.stuck.length;
      const refused = asAws.audit.stuck.filter((_payment, index) => refuse(index)).length;
      expect(asAws.repair?.reemitted).toBe(stuck - refused);
      expect(asAws.unrepaired).toBe(refused);
      expect(asCli.unrepaired).toBe(stuck);
    }),
    { numRuns: 8 },
  );
});
