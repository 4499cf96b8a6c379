/**
 * The BulkJobStore contract (WB-BULK-1), run against both adapters (SQLite in memory; DynamoDB on
 * dynalite with the rehearsal's transactions, on the workbench table): chunks in order, leases
 * conditional (two leasers never hold one chunk, also when they ask at once) and taken again once
 * expired with only the items still without a result, the first result of an item stays, a chunk
 * completes only when all its items have one, and the job is done when every chunk is. Then the
 * job runner (bulk.ts) over the store and a workbench store: exactly once per case when a chunk is
 * retried after an advancer crashed between saving a case and recording it, and when several
 * advancers work the same chunks at once (leases that expire at once).
 */
import { BulkJobs } from '../../../src/recon/workbench/bulk';
import type { Actor, CaseAction } from '../../../src/recon/workbench/cases';
import { staleOpenCase } from '../../recon/workbench/helpers';
import type { BulkJobStore, BulkLease, NewBulkJob, WorkbenchStore } from '../../../src/recon/workbench/ports';

export interface BulkJobStoreAdapter {
  name: string;
  /** A fresh bulk job store and the (empty) workbench store its jobs act on. */
  open(): Promise<{ jobs: BulkJobStore; cases: WorkbenchStore }>;
}

const RITA: Actor = { user: 'rita@bank.example', roles: ['reconciler'] };
const COMMENT: CaseAction = { type: 'comment', note: 'checked in bulk' };
const T0 = Date.parse('2026-03-10T10:00:00.000Z');

function newJob(jobId: string, count: number): NewBulkJob {
  return { jobId, actor: RITA, action: COMMENT, filter: 'status=OPEN', caseIds: Array.from({ length: count }, (_, i) => `exception:statement:b${i}`), startedAt: new Date(T0).toISOString() };
}

const openCase = (caseId: string) => staleOpenCase(caseId, new Date(T0).toISOString());

const item = (caseId: string, ok = true) => ({ caseId, ok, message: ok ? 'OPEN → OPEN, version 2' : 'refused' });

export function bulkJobStoreContract(adapter: BulkJobStoreAdapter): void {
  describe(`BulkJobStore contract: ${adapter.name}`, () => {
    it('stores a job in chunks taken in order under leases, none twice while leased, each again once its lease expires with only its items still pending', async () => {
      const { jobs } = await adapter.open();
      expect(await jobs.get('nope')).toBeUndefined();
      const job = newJob('job-a', 7);
      await jobs.create(job, 3);
      const stored = (await jobs.get('job-a'))!;
      expect(stored).toMatchObject({ jobId: 'job-a', actor: RITA, action: COMMENT, filter: 'status=OPEN', caseIds: job.caseIds, startedAt: job.startedAt, items: [], state: 'running' });
      expect(stored.finishedAt).toBeUndefined();

      const first = (await jobs.lease('job-a', 'p1', T0, 1000))!;
      const second = (await jobs.lease('job-a', 'p2', T0, 1000))!;
      const third = (await jobs.lease('job-a', 'p1', T0 + 10, 1000))!;
      expect([first.chunk, second.chunk, third.chunk]).toEqual([0, 1, 2]);
      expect(first.pending).toEqual([0, 1, 2].map((index) => ({ index, caseId: job.caseIds[index] })));
      expect(third.pending.map((p) => p.index)).toEqual([6]);
      expect([first.owner, second.owner, first.until]).toEqual(['p1', 'p2', T0 + 1000]);
      // Every chunk is leased: nothing for anyone until a lease expires.
      expect(await jobs.lease('job-a', 'p3', T0 + 999, 1000)).toBeUndefined();

      // p1 crashed after recording item 0 of chunk 0: after expiry the chunk is taken again with items 1 and 2 only.
      expect(await jobs.record(first, 0, item(job.caseIds[0]!))).toBe(true);
      const again = (await jobs.lease('job-a', 'p3', T0 + 1000, 1000))!;
      expect(again.chunk).toBe(0);
      expect(again.pending.map((p) => p.index)).toEqual([1, 2]);
      // Chunk 1's lease expired at the same moment: it is next.
      expect((await jobs.lease('job-a', 'p4', T0 + 1000, 1000))!.chunk).toBe(1);
      expect(await jobs.lease('job-a', 'p5', T0 + 1000, 1000)).toBeUndefined();
      expect(await jobs.lease('other-job', 'p5', T0, 1000)).toBeUndefined();
    });

    it('keeps the first result of an item, lists results in case order, completes a chunk only when every item has one, and is done when every chunk is', async () => {
      const { jobs } = await adapter.open();
      const job = newJob('job-b', 5);
      await jobs.create(job, 2);
      const leases: BulkLease[] = [];
      for (let i = 0; i < 3; i += 1) leases.push((await jobs.lease('job-b', 'p', T0, 60_000))!);
      // Recorded out of order, one twice (the second result is ignored).
      expect(await jobs.record(leases[1]!, 3, item(job.caseIds[3]!, false))).toBe(true);
      expect(await jobs.record(leases[0]!, 1, item(job.caseIds[1]!))).toBe(true);
      expect(await jobs.record(leases[0]!, 1, item(job.caseIds[1]!, false))).toBe(false);
      expect(await jobs.complete(leases[0]!, '2026-03-10T10:01:00.000Z')).toBe(false);
      expect(await jobs.record(leases[0]!, 0, item(job.caseIds[0]!))).toBe(true);
      expect(await jobs.complete(leases[0]!, '2026-03-10T10:01:00.000Z')).toBe(true);
      expect(await jobs.complete(leases[0]!, '2026-03-10T10:01:30.000Z')).toBe(false);
      let stored = (await jobs.get('job-b'))!;
      expect(stored.items).toEqual([item(job.caseIds[0]!), item(job.caseIds[1]!), item(job.caseIds[3]!, false)]);
      expect(stored.state).toBe('running');
      // A completed chunk is never leased again, even long after.
      expect(await jobs.lease('job-b', 'q', T0 + 3_600_000, 60_000)).toMatchObject({ chunk: 1, pending: [{ index: 2, caseId: job.caseIds[2] }] });
      expect(await jobs.record(leases[1]!, 2, item(job.caseIds[2]!))).toBe(true);
      expect(await jobs.complete(leases[1]!, '2026-03-10T10:03:00.000Z')).toBe(true);
      expect(await jobs.record(leases[2]!, 4, item(job.caseIds[4]!))).toBe(true);
      expect(await jobs.complete(leases[2]!, '2026-03-10T10:02:00.000Z')).toBe(true);
      stored = (await jobs.get('job-b'))!;
      expect(stored.state).toBe('done');
      expect(stored.finishedAt).toBe('2026-03-10T10:03:00.000Z');
      expect(stored.items.map((i) => [i.caseId, i.ok])).toEqual(job.caseIds.map((caseId, i) => [caseId, i !== 3]));
      expect(await jobs.lease('job-b', 'q', T0 + 7_200_000, 60_000)).toBeUndefined();
      expect(await jobs.unfinished()).not.toContain('job-b');
    });

    it('lists the running jobs oldest first, up to a limit; a job leaves the list once its every chunk is done, not before', async () => {
      const { jobs } = await adapter.open();
      const ids = ['job-u0', 'job-u1', 'job-u2'];
      for (const [i, jobId] of ids.entries()) await jobs.create({ ...newJob(jobId, 3), startedAt: new Date(T0 + i * 1000).toISOString() }, 2);
      expect(await jobs.unfinished()).toEqual(ids);
      expect(await jobs.unfinished(2)).toEqual(ids.slice(0, 2));
      const finish = async (jobId: string, chunks: number) => {
        for (let i = 0; i < chunks; i += 1) {
          const lease = (await jobs.lease(jobId, 'p', T0, 60_000))!;
          for (const { index, caseId } of lease.pending) await jobs.record(lease, index, item(caseId));
          expect(await jobs.complete(lease, '2026-03-10T10:05:00.000Z')).toBe(true);
        }
      };
      // One chunk of two done: still running, still listed.
      await finish('job-u0', 1);
      expect(await jobs.unfinished()).toEqual(ids);
      await finish('job-u0', 1);
      expect((await jobs.get('job-u0'))!.state).toBe('done');
      expect(await jobs.unfinished(1)).toEqual(['job-u1']);
      expect(await jobs.unfinished()).toEqual(['job-u1', 'job-u2']);
      await finish('job-u2', 2);
      expect(await jobs.unfinished()).toEqual(['job-u1']);
      // Asked again: the same answer (a listing changes nothing a job or its chunks hold).
      expect(await jobs.unfinished()).toEqual(['job-u1']);
      expect((await jobs.get('job-u2'))!.items).toHaveLength(3);
    });

    it('never gives one chunk to two leasers asking at once', async () => {
      const { jobs } = await adapter.open();
      await jobs.create(newJob('job-c', 12), 4);
      const leases = await Promise.all(Array.from({ length: 8 }, (_, i) => jobs.lease('job-c', `p${i}`, T0, 60_000)));
      const taken = leases.filter((lease): lease is BulkLease => lease !== undefined);
      expect(taken.map((lease) => lease.chunk).sort()).toEqual([0, 1, 2]);
      expect(await jobs.unfinished()).toContain('job-c');
    });

    it("applies the action once to a case whose advancer crashed after saving it and before recording it: the retried chunk finds the job's event", async () => {
      const { jobs, cases } = await adapter.open();
      const ids = Array.from({ length: 5 }, (_, i) => `exception:statement:crash${i}`);
      for (const id of ids) {
        const { next, event } = openCase(id);
        await cases.save(next, event);
      }
      let now = T0;
      const clock = () => new Date(now);
      let crash = true;
      const crashing: BulkJobStore = Object.assign(Object.create(jobs) as BulkJobStore, {
        record: async (lease: BulkLease, index: number, result: ReturnType<typeof item>) => {
          if (crash) throw new Error('the process died');
          return jobs.record(lease, index, result);
        },
      });
      const first = new BulkJobs(cases, crashing, clock, { chunkSize: 5, leaseMs: 60_000 });
      const jobId = await first.start(RITA, COMMENT, ids, 'status=OPEN');
      await expect(first.advance(jobId)).rejects.toThrow('the process died');
      expect((await cases.history(ids[0]!)).filter((e) => e.bulkJobId === jobId)).toHaveLength(1);
      crash = false;
      const second = new BulkJobs(cases, jobs, clock, { chunkSize: 5, leaseMs: 60_000 });
      // The crashed advancer's lease still holds.
      expect(await second.advance(jobId)).toBe(false);
      now += 60_000;
      expect(await second.advance(jobId)).toBe(true);
      const job = (await jobs.get(jobId))!;
      expect(job.state).toBe('done');
      expect(job.items.map((i) => [i.caseId, i.ok, i.message])).toEqual(ids.map((id) => [id, true, 'OPEN → OPEN, version 2']));
      for (const id of ids) {
        expect((await cases.get(id))!.version).toBe(2);
        expect((await cases.history(id)).map((e) => [e.version, e.bulkJobId])).toEqual([
          [1, undefined],
          [2, jobId],
        ]);
      }
    });

    it('applies the action once per case when three advancers work the same chunks at once (leases that expire at once)', async () => {
      const { jobs, cases } = await adapter.open();
      const ids = Array.from({ length: 12 }, (_, i) => `exception:statement:race${String(i).padStart(2, '0')}`);
      for (const id of ids) {
        const { next, event } = openCase(id);
        await cases.save(next, event);
      }
      const clock = () => new Date(T0);
      const advancers = Array.from({ length: 3 }, () => new BulkJobs(cases, jobs, clock, { chunkSize: 4, leaseMs: 0 }));
      const jobId = await advancers[0]!.start(RITA, COMMENT, ids, 'status=OPEN');
      const run = async (advancer: BulkJobs) => {
        for (let turn = 0; turn < 50 && (await jobs.get(jobId))!.state !== 'done'; turn += 1) await advancer.advance(jobId);
      };
      await Promise.all(advancers.map(run));
      const job = (await jobs.get(jobId))!;
      expect(job.state).toBe('done');
      expect(job.items.map((i) => [i.caseId, i.ok])).toEqual(ids.map((id) => [id, true]));
      for (const id of ids) {
        expect((await cases.history(id)).filter((e) => e.bulkJobId === jobId)).toHaveLength(1);
        expect((await cases.get(id))!.version).toBe(2);
      }
    });
  });
}
