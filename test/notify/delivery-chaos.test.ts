/**
 * HOOK-2 under generated faults: for random sequences of receiver failures (resets, 5xx, 429,
 * refusals), random events seen more than once, and sweeps racing each other, every delivery ends
 * COMPLETED (processed exactly once by the idempotent receiver) or FAILED with a reason; none is
 * lost, none processed twice; the log's attempts are numbered 1..n with no gap and never more than
 * the policy allows.
 */
import * as fc from 'fast-check';
import type { LedgerEvent, RulesDecidedData } from '../../src/domain/events';
import { sweepDeliveries } from '../../src/use-cases/deliver-webhook/sweep';
import { notifyEvent } from '../../src/use-cases/notify/notify';
import { enrichedData, envelope } from '../support/builders';
import { harness, TEST_POLICY } from './support/harness';
import type { Failure } from './support/receiver';
import { WebhookReceiver } from './support/receiver';

const SECRET = 'whsec_chaos_0123456789abcdef';

function declined(authorizationId: string): LedgerEvent {
  const data: RulesDecidedData = {
    ...enrichedData({ authorisation: { authorizationId } }),
    decision: { outcome: 'decline', firedRules: ['R'], ruleSetId: 'r', ruleSetVersion: '1', velocityCount: 1 },
  };
  return envelope('payment.rules-decided', data, authorizationId);
}

const failureArb: fc.Arbitrary<Failure | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom<Failure>({ kind: 'status', status: 500 }, { kind: 'status', status: 503 }, { kind: 'status', status: 429 }, { kind: 'reset' }) },
  { weight: 1, arbitrary: fc.constant<Failure>({ kind: 'status', status: 410 }) },
);

describe('webhook delivery under generated faults', () => {
  it('property: every delivery ends delivered once or dead-lettered with a reason; the log is complete', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(failureArb, { minLength: 0, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        async (failures, eventOrder, racingSweepers) => {
          const h = harness({ policy: { ...TEST_POLICY, maxAttempts: 6 } });
          const receiver = new WebhookReceiver({ k1: SECRET }, () => h.clock.now().getTime());
          await receiver.start();
          try {
            await h.keys.put({ keyId: 'k1', secret: SECRET });
            await h.subscriptions.put({ id: 's', partner: 'p', url: receiver.url, purposes: ['payment.declined'], keyIds: ['k1'], createdAt: '2026-12-01T00:00:00Z', enabled: true });
            // The receiver answers the requests in arrival order: a failure from the list, or success for an empty slot.
            receiver.script(failures);
            const ids = new Set<string>();
            for (const n of eventOrder) {
              const result = await notifyEvent(h.deps, declined(`AUTH-${n}`));
              for (const delivery of result.deliveries) ids.add(delivery.deliveryId);
            }
            for (let round = 0; round < 40; round += 1) {
              const retrying = await h.deliveries.listByStatus('RETRYING', 100);
              if (retrying.length === 0) break;
              const due = Math.min(...retrying.map((state) => Date.parse(state.dueAt!)));
              h.clock.advance(Math.max(0, due - h.clock.now().getTime()));
              await Promise.all(Array.from({ length: racingSweepers }, () => sweepDeliveries(h.deps)));
            }
            expect(ids.size).toBe(new Set(eventOrder).size);
            for (const id of ids) {
              const state = (await h.deliveries.get(id))!;
              const log = await h.deliveries.attempts(id);
              expect(['COMPLETED', 'FAILED']).toContain(state.status);
              expect(log.map((attempt) => attempt.attempt)).toEqual(log.map((_, i) => i + 1));
              expect(log.length).toBe(state.attempts);
              expect(log.length).toBeLessThanOrEqual(6);
              expect(log.every((attempt) => attempt.outcome !== undefined)).toBe(true);
              if (state.status === 'COMPLETED') {
                expect(receiver.processed.has(id)).toBe(true);
                expect(log.at(-1)!.outcome).toBe('delivered');
              } else {
                expect(state.lastError).toMatch(/attempts exhausted|refused|HTTP 410/);
                expect(receiver.processed.has(id)).toBe(false);
              }
            }
            expect(receiver.requests.filter((request) => request.valid && !request.duplicate)).toHaveLength(receiver.processed.size);
            expect(receiver.requests.filter((request) => request.duplicate)).toHaveLength(0);
          } finally {
            await receiver.stop();
            h.db.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
