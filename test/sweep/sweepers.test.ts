/**
 * Both sweepers as configurations of the one sweep engine (SWEEP-1/2, HOOK-2, CHAOS-1), over the
 * embedded stores with generated store errors: whatever fails and wherever, the sweeps account for
 * every candidate, start each deterministic name once, and leave each item where the threshold
 * rule puts it once the faults stop.
 */
import fc from 'fast-check';
import { sweep, type SweepResult } from '../../src/domain/sweeper';
import { authorisedEvent } from '../../src/domain/ingest';
import type { LedgerEvent } from '../../src/domain/events';
import type { Redriver, TransactionState } from '../../src/ports';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { openMemoryDatabase } from '../support/memory-database';
import { authorisation, CapturingPublisher, fixedClock } from '../support/builders';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

function retrying(id: string, attempts: number, pending: boolean): TransactionState {
  const event = { ...authorisedEvent(authorisation({ authorizationId: `A-${id}` }), '2026-11-01T10:00:01Z'), correlationId: id } as LedgerEvent;
  return {
    transactionId: id,
    authorizationId: `A-${id}`,
    status: 'RETRYING',
    stage: 'rules',
    attempts,
    lastError: `Error: ${id} failed`,
    ...(pending ? { pendingEvent: event } : {}),
    version: 0,
    updatedAt: '2026-11-01T10:00:01.000Z',
  };
}

const scenarioArb = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  rows: fc.array(fc.record({ attempts: fc.integer({ min: 0, max: 4 }), pending: fc.constantFrom(true, true, true, false) }), { maxLength: 10 }),
  pageSize: fc.integer({ min: 1, max: 12 }),
  /** Per faulty sweep: the store writes (put) and re-drive calls that fail, by call index. */
  faults: fc.array(fc.record({ puts: fc.uniqueArray(fc.nat(12), { maxLength: 4 }), redrives: fc.uniqueArray(fc.nat(12), { maxLength: 3 }) }), { maxLength: 4 }),
});

describe('the transaction sweeper on the sweep engine (SWEEP-2, CHAOS-1)', () => {
  it('under generated store and re-drive errors: deferred = errors hit, each name started once, every transaction ends RUNNING (+1 attempt) or FAILED with one posting.failed', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const store = new SqliteTransactionStateStore(openMemoryDatabase());
        const rows = scenario.rows.map((row, i) => retrying(`txn-${i}`, row.attempts, row.pending));
        for (const row of rows) await store.put(row, 0);
        let fault = { puts: new Set<number>(), redrives: new Set<number>() };
        const calls = { puts: 0, redrives: 0 };
        let fired = 0;
        const flaky = Object.assign(Object.create(store) as SqliteTransactionStateStore, {
          put: async (state: TransactionState, expectedVersion: number) => {
            if (fault.puts.has(calls.puts++)) {
              fired += 1;
              throw new Error(`SQLITE_BUSY: database is locked (put of ${state.transactionId})`);
            }
            return store.put(state, expectedVersion);
          },
        });
        const started: string[] = [];
        const redriver: Redriver = {
          async redrive(name) {
            if (fault.redrives.has(calls.redrives++)) {
              fired += 1;
              throw new Error(`ThrottlingException: StartExecution ${name}`);
            }
            if (started.includes(name)) return 'already-started';
            started.push(name);
            return 'started';
          },
        };
        const publisher = new CapturingPublisher();
        const deps = { transactions: flaky, redriver, publisher, clock: fixedClock };
        const config = { maxAttempts: scenario.maxAttempts, pageSize: scenario.pageSize };
        const results: SweepResult[] = [];
        for (let round = 0; round < scenario.faults.length + 30; round += 1) {
          const planned = scenario.faults[round];
          fault = { puts: new Set(planned?.puts ?? []), redrives: new Set(planned?.redrives ?? []) };
          calls.puts = calls.redrives = fired = 0;
          const result = await sweep(deps, config);
          results.push(result);
          expect(result.examined).toBeLessThanOrEqual(scenario.pageSize);
          expect(result.deferred ?? 0).toBe(fired);
          // Every candidate is accounted for: a deferred one may also count the re-drive it started.
          const ended = result.redriven + result.alreadyRedriven + result.failed + (result.superseded ?? 0);
          expect(ended).toBeGreaterThanOrEqual(result.examined - (result.deferred ?? 0));
          expect(ended).toBeLessThanOrEqual(result.examined);
          if (!planned && result.examined === 0) break;
        }
        expect(await store.listByStatus('RETRYING', 100)).toEqual([]);
        // Each name started once, and the sweeps reported each start once.
        expect(new Set(started).size).toBe(started.length);
        expect(results.reduce((n, r) => n + r.redriven, 0)).toBe(started.length);
        const failedEvents = publisher.published.filter((event) => event.type === 'posting.failed');
        expect(results.reduce((n, r) => n + r.failed, 0)).toBe(failedEvents.length);
        for (const row of rows) {
          const after = (await store.get(row.transactionId))!;
          const redrive = row.pendingEvent !== undefined && row.attempts < scenario.maxAttempts;
          if (redrive) {
            expect([row.transactionId, after.status, after.attempts]).toEqual([row.transactionId, 'RUNNING', row.attempts + 1]);
            expect(started.filter((name) => name.startsWith(`${row.transactionId}-`))).toEqual([`${row.transactionId}-rules-r${row.attempts + 1}`]);
          } else {
            expect([row.transactionId, after.status]).toEqual([row.transactionId, 'FAILED']);
            expect(after.lastError).toMatch(row.pendingEvent ? /^retries exhausted after \d+ re-drive\(s\) at stage rules: Error: txn-\d+ failed$/ : /^no event to re-drive at stage rules/);
            expect(failedEvents.filter((event) => event.correlationId === row.transactionId)).toHaveLength(1);
          }
        }
      }),
      { numRuns: fuzzRuns(60), seed: fuzzSeed(406) },
    );
  });
});
