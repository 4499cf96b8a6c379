/**
 * Generated schedules of bulk-job advancers (WB-BULK-1) over the embedded stores: any number of
 * cases (some RESOLVED, which refuse an assignment), any chunk size, three advancers taking turns or
 * running two at once, any of them crashing between saving a case and recording it, the clock
 * jumping past the lease now and then. Whatever the schedule, once the job is driven to its end:
 * it is done, every case has exactly one result in case order (ok iff it was OPEN), and every OPEN
 * case took the assignment exactly once (one history event carrying the job id), a RESOLVED one never.
 */
import fc from 'fast-check';
import { SqliteBulkJobStore } from '../../../src/adapters/embedded/bulk-job-store';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { BulkJobs } from '../../../src/recon/workbench/bulk';
import type { BulkJobStore, BulkLease, BulkItem } from '../../../src/recon/workbench/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { exceptionCase, raisedEvent, reconciler } from './helpers';

const LEASE_MS = 60_000;

const step = fc.record({ advancer: fc.integer({ min: 0, max: 2 }), crash: fc.boolean(), alongside: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), expire: fc.boolean() });

describe('bulk jobs under generated advancer schedules', () => {
  it('finish with one result per case and each OPEN case changed exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 10 }), fc.integer({ min: 1, max: 4 }), fc.array(step, { minLength: 1, maxLength: 25 }), async (resolvedFlags, chunkSize, schedule) => {
        const db = openMemoryDatabase();
        const store = new SqliteWorkbenchStore(db);
        const jobs = new SqliteBulkJobStore(db);
        const cases = resolvedFlags.map((resolved, i) => exceptionCase({ caseId: `exception:statement:gen:${i}`, status: resolved ? 'RESOLVED' : 'OPEN' }));
        for (const c of cases) await store.save(c, raisedEvent(c));
        let now = Date.parse('2026-03-10T10:00:00.000Z');
        const clock = () => new Date(now);
        const crashNext = [false, false, false];
        const advancers = [0, 1, 2].map((n) => {
          // This advancer's process dies at its next record: after saving that case, before recording it.
          const crashing: BulkJobStore = Object.assign(Object.create(jobs) as BulkJobStore, {
            record: async (lease: BulkLease, index: number, item: BulkItem) => {
              if (crashNext[n]) {
                crashNext[n] = false;
                throw new Error('the process died');
              }
              return jobs.record(lease, index, item);
            },
          });
          return new BulkJobs(store, crashing, clock, { chunkSize, leaseMs: LEASE_MS });
        });
        const jobId = await advancers[0]!.start(
          reconciler,
          { type: 'assign', assignee: 'kim' },
          cases.map((c) => c.caseId),
          'status=ALL',
        );
        for (const { advancer, crash, alongside, expire } of schedule) {
          if (expire) now += LEASE_MS;
          crashNext[advancer] = crash;
          const turns = [advancer, ...(alongside !== undefined && alongside !== advancer ? [alongside] : [])];
          await Promise.all(turns.map((a) => advancers[a]!.advance(jobId).catch(() => false)));
        }
        crashNext.fill(false);
        for (let turn = 0; turn < 100 && (await jobs.get(jobId))!.state !== 'done'; turn += 1) {
          now += LEASE_MS;
          await advancers[turn % 3]!.advance(jobId);
        }
        const job = (await jobs.get(jobId))!;
        expect(job.state).toBe('done');
        expect(job.items.map((item) => [item.caseId, item.ok])).toEqual(cases.map((c) => [c.caseId, c.status === 'OPEN']));
        for (const c of cases) {
          const events = (await store.history(c.caseId)).filter((event) => event.bulkJobId === jobId);
          expect([events.length, (await store.get(c.caseId))!.version]).toEqual(c.status === 'OPEN' ? [1, 2] : [0, 1]);
        }
        db.close();
      }),
      { numRuns: 150 },
    );
  });
});
