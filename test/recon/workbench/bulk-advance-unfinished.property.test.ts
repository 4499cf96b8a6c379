/**
 * Generated scheduled advances (WB-BULK-1 on AWS: BulkJobs.advanceUnfinished, what the workbench
 * function runs every minute) over the embedded stores: several jobs of any size and chunk size
 * (some cases RESOLVED, which refuse an assignment), runs with any time budget (in chunks), a run
 * whose store fails part way (its chunk stays leased), the clock passing the lease now and then.
 * Whatever the runs:
 *   - a run never starts a chunk once its time is spent (chunks worked ≤ its budget);
 *   - a run with time for every running job, and no lease held by a failed run, moves every one of
 *     them (one chunk of each in turn, oldest first: no job waits behind another's whole length);
 *   - once driven to the end, every job is done, every case has exactly one result (ok iff it was
 *     OPEN), each OPEN case took its job's assignment exactly once, and the runs' counts add up to
 *     the cases (a result recorded once is counted once).
 */
import fc from 'fast-check';
import { SqliteBulkJobStore } from '../../../src/adapters/embedded/bulk-job-store';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { BulkJobs, type BulkAdvanceSummary } from '../../../src/recon/workbench/bulk';
import type { BulkItem, BulkJobStore, BulkLease } from '../../../src/recon/workbench/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { exceptionCase, raisedEvent, reconciler } from './helpers';

const LEASE_MS = 60_000;
const RESERVE_MS = 10_000;

const job = fc.record({ resolved: fc.array(fc.boolean(), { maxLength: 9 }), chunkSize: fc.integer({ min: 1, max: 4 }) });
const run = fc.record({ budget: fc.integer({ min: 0, max: 6 }), fail: fc.boolean(), expire: fc.boolean() });

/** Time for `chunks` chunks: the time left is asked once before each. */
function budgetOf(chunks: number): () => number {
  let asked = 0;
  return () => (asked++ < chunks ? RESERVE_MS + 1 : RESERVE_MS - 1);
}

describe('scheduled advances of the running bulk jobs, generated', () => {
  it('work within their budget, move every running job in turn, and finish every job with each case changed once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(job, { minLength: 1, maxLength: 4 }), fc.array(run, { minLength: 1, maxLength: 12 }), async (shapes, runs) => {
        const db = openMemoryDatabase();
        const store = new SqliteWorkbenchStore(db);
        const jobs = new SqliteBulkJobStore(db);
        let now = Date.parse('2026-03-10T10:00:00.000Z');
        const clock = () => new Date(now);
        const started: { jobId: string; cases: ReturnType<typeof exceptionCase>[] }[] = [];
        for (const [j, shape] of shapes.entries()) {
          const cases = shape.resolved.map((resolved, i) => exceptionCase({ caseId: `exception:statement:job${j}:${i}`, status: resolved ? 'RESOLVED' : 'OPEN' }));
          for (const c of cases) await store.save(c, raisedEvent(c));
          const jobId = await new BulkJobs(store, jobs, clock, { chunkSize: shape.chunkSize, leaseMs: LEASE_MS }).start(
            reconciler,
            { type: 'assign', assignee: 'kim' },
            cases.map((c) => c.caseId),
            'status=ALL',
          );
          started.push({ jobId, cases });
          now += 1000;
        }
        const summaries: BulkAdvanceSummary[] = [];
        let leaseHeld = false;
        for (const { budget, fail, expire } of runs) {
          if (expire) {
            now += LEASE_MS;
            leaseHeld = false;
          }
          // This run's store fails at its first record (after saving that case): its chunk stays leased.
          let failNext = fail;
          const failing: BulkJobStore = Object.assign(Object.create(jobs) as BulkJobStore, {
            record: async (lease: BulkLease, index: number, item: BulkItem) => {
              if (failNext) {
                failNext = false;
                throw new Error('DynamoDB throttled');
              }
              return jobs.record(lease, index, item);
            },
          });
          const running = await jobs.unfinished();
          const before = new Map(await Promise.all(running.map(async (jobId) => [jobId, (await jobs.get(jobId))!.items.length] as const)));
          const summary = await new BulkJobs(store, failing, clock, { leaseMs: LEASE_MS }).advanceUnfinished({ timeLeftMs: budgetOf(budget), reserveMs: RESERVE_MS });
          summaries.push(summary);
          expect(summary.jobsSeen).toBe(running.length);
          expect(summary.chunksWorked + summary.chunksFailed).toBeLessThanOrEqual(budget);
          if (summary.chunksFailed > 0) leaseHeld = true;
          if (!fail && !leaseHeld && budget >= running.length) {
            for (const jobId of running) {
              const after = (await jobs.get(jobId))!;
              // Moved: a result more, or (a job of no case) done.
              expect([jobId, after.items.length > before.get(jobId)! || after.state === 'done']).toEqual([jobId, true]);
            }
          }
        }
        // Driven to the end: past every lease, with time for everything.
        now += LEASE_MS;
        for (let turn = 0; turn < 3 && (await jobs.unfinished()).length > 0; turn += 1) {
          summaries.push(await new BulkJobs(store, jobs, clock, { leaseMs: LEASE_MS }).advanceUnfinished({ timeLeftMs: () => LEASE_MS, reserveMs: RESERVE_MS }));
        }
        expect(await jobs.unfinished()).toEqual([]);
        for (const { jobId, cases } of started) {
          const done = (await jobs.get(jobId))!;
          expect(done.state).toBe('done');
          expect(done.items.map((item) => [item.caseId, item.ok])).toEqual(cases.map((c) => [c.caseId, c.status === 'OPEN']));
          for (const c of cases) {
            const events = (await store.history(c.caseId)).filter((event) => event.bulkJobId === jobId);
            expect([c.caseId, events.length]).toEqual([c.caseId, c.status === 'OPEN' ? 1 : 0]);
          }
        }
        const all = started.flatMap(({ cases }) => cases);
        expect(summaries.reduce((sum, s) => sum + s.casesDone, 0)).toBe(all.filter((c) => c.status === 'OPEN').length);
        expect(summaries.reduce((sum, s) => sum + s.casesFailed, 0)).toBe(all.filter((c) => c.status !== 'OPEN').length);
        db.close();
      }),
      { numRuns: 120 },
    );
  }, 120_000);
});
