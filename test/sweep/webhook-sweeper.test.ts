/**
 * The webhook sweeper on the sweep engine (HOOK-2 through SWEEP-1/2, CHAOS-1): generated
 * deliveries whose endpoint fails a generated number of times (or refuses), under generated store
 * errors on the claim, the log and the settle. Every sweep accounts for each delivery it examined
 * exactly once; each attempt number is sent once (its name is used once); once the faults stop,
 * every delivery ends delivered or dead-lettered with its reason.
 */
import fc from 'fast-check';
import type { AttemptOutcome } from '../../src/notify/delivery-policy';
import type { DeliveryAttempt, DeliveryState, DeliveryStore, WebhookRequest } from '../../src/ports/notify';
import { DEFAULT_DELIVERY_SWEEP_CONFIG, sweepDeliveries } from '../../src/use-cases/deliver-webhook/sweep';
import { DELIVERY_ID_HEADER } from '../../src/notify/signing';
import { harness, TEST_POLICY } from '../notify/support/harness';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

type Endpoint = { failures: number } | 'refuses';
type StoreCall = 'put' | 'startAttempt' | 'finishAttempt';

const scenarioArb = fc.record({
  endpoints: fc.array(fc.oneof({ weight: 5, arbitrary: fc.record({ failures: fc.integer({ min: 0, max: 9 }) }) }, { weight: 1, arbitrary: fc.constant<Endpoint>('refuses') }), {
    minLength: 1,
    maxLength: 6,
  }),
  faults: fc.array(fc.array(fc.record({ call: fc.constantFrom<StoreCall>('put', 'startAttempt', 'finishAttempt'), index: fc.nat(10) }), { maxLength: 4 }), { maxLength: 5 }),
});

describe('the webhook sweeper on the sweep engine (HOOK-2, SWEEP-2, CHAOS-1)', () => {
  it('under generated endpoint failures and store errors: counts add up to examined, deferred = errors hit, each attempt sent once, every delivery ends delivered or dead-lettered', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const h = harness();
        try {
          await h.keys.put({ keyId: 'k1', secret: 'whsec_sweep_0123456789abcdef' });
          await h.subscriptions.put({ id: 'sub-1', partner: 'p', url: 'https://example.test/hook', purposes: ['payment.declined'], keyIds: ['k1'], createdAt: '2026-12-01T00:00:00Z', enabled: true });
          const sent = new Map<string, number>();
          const endpointOf = new Map<string, Endpoint>();
          const transport = {
            post: async (request: WebhookRequest): Promise<AttemptOutcome> => {
              const id = request.headers[DELIVERY_ID_HEADER]!;
              const n = (sent.get(id) ?? 0) + 1;
              sent.set(id, n);
              const endpoint = endpointOf.get(id)!;
              if (endpoint === 'refuses') return { kind: 'refused', reason: 'HTTP 410', status: 410 };
              return n <= endpoint.failures ? { kind: 'retryable', reason: 'HTTP 503', status: 503 } : { kind: 'delivered', status: 200 };
            },
          };
          const now = h.clock.now().toISOString();
          for (const [i, endpoint] of scenario.endpoints.entries()) {
            const deliveryId = `dlv-${i}`;
            endpointOf.set(deliveryId, endpoint);
            await h.deliveries.create({
              deliveryId,
              eventId: `evt-${i}`,
              eventType: 'payment.rules-decided',
              purpose: 'payment.declined',
              channel: 'webhook',
              recipient: 'sub-1',
              destination: 'https://example.test/hook',
              status: 'RETRYING',
              attempts: 0,
              dueAt: now,
              payload: JSON.stringify({ id: deliveryId }),
              createdAt: now,
              updatedAt: now,
            });
          }
          let faults = new Set<string>();
          const calls: Record<StoreCall, number> = { put: 0, startAttempt: 0, finishAttempt: 0 };
          let fired = 0;
          const fault = (call: StoreCall, id: string) => {
            if (faults.has(`${call}:${calls[call]++}`)) {
              fired += 1;
              throw new Error(`ProvisionedThroughputExceededException: ${call} of ${id}`);
            }
          };
          const store = h.deliveries;
          const flaky: DeliveryStore = Object.assign(Object.create(store) as DeliveryStore, {
            put: async (next: DeliveryState, expected: number) => (fault('put', next.deliveryId), store.put(next, expected)),
            startAttempt: async (attempt: DeliveryAttempt) => (fault('startAttempt', attempt.deliveryId), store.startAttempt(attempt)),
            finishAttempt: async (attempt: DeliveryAttempt) => (fault('finishAttempt', attempt.deliveryId), store.finishAttempt(attempt)),
          });
          const deps = { ...h.deps, deliveries: flaky, transport };
          for (let round = 0; round < scenario.faults.length + 40; round += 1) {
            faults = new Set((scenario.faults[round] ?? []).map((f) => `${f.call}:${f.index}`));
            calls.put = calls.startAttempt = calls.finishAttempt = fired = 0;
            const result = await sweepDeliveries(deps);
            expect(result.delivered + result.parked + result.deadLettered + result.alreadyRedriven + result.deferred).toBe(result.examined);
            expect(result.deferred).toBe(fired);
            const open = [...(await store.listByStatus('RETRYING', 100)), ...(await store.listByStatus('RUNNING', 100))];
            if (open.length === 0 && round >= scenario.faults.length) break;
            // The schedule's next tick: past every due time and the stale threshold of a RUNNING one.
            h.clock.advance(DEFAULT_DELIVERY_SWEEP_CONFIG.staleRunningMs + TEST_POLICY.maxDelayMs);
          }
          for (const [i, endpoint] of scenario.endpoints.entries()) {
            const deliveryId = `dlv-${i}`;
            const state = (await store.get(deliveryId))!;
            const log = await store.attempts(deliveryId);
            // Each attempt number (its name) started once and sent once, in increasing order. A store
            // error between the claim and the log skips a number: that attempt was never sent.
            const numbers = log.map((a) => a.attempt);
            expect([deliveryId, numbers]).toEqual([deliveryId, [...new Set(numbers)].sort((a, b) => a - b)]);
            expect([deliveryId, sent.get(deliveryId) ?? 0]).toEqual([deliveryId, log.length]);
            expect(log.every((a) => a.by === `sweeper:${deliveryId}-a${a.attempt}`)).toBe(true);
            expect(state.attempts).toBeLessThanOrEqual(TEST_POLICY.maxAttempts + 1);
            if (endpoint === 'refuses') expect([deliveryId, state.status, state.lastError]).toEqual([deliveryId, 'FAILED', expect.stringContaining('HTTP 410')]);
            else if ((sent.get(deliveryId) ?? 0) > endpoint.failures) expect([deliveryId, state.status]).toEqual([deliveryId, 'COMPLETED']);
            else expect([deliveryId, state.status, state.lastError]).toEqual([deliveryId, 'FAILED', expect.stringContaining('attempts exhausted')]);
            if (endpoint !== 'refuses' && endpoint.failures < TEST_POLICY.maxAttempts && log.length === state.attempts) expect(state.status).toBe('COMPLETED');
          }
        } finally {
          h.db.close();
        }
      }),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(407) },
    );
  });
});
