/**
 * Durable bulk jobs through the app (WB-BULK-1):
 * - the Lambda case: a job started by one app instance is finished by another over the same store
 *   (SQLite, and DynamoDB on dynalite as deployed), with no background: nothing moves until a job
 *   page is viewed, each view advances one chunk, whichever instance answers, and the failure stays
 *   listed with its reason;
 * - the local case: the workbench restarts mid-job (its database file closed and opened again, a
 *   chunk still leased by the process that ended); the new process resumes the job on start, takes
 *   the dead process's chunk once its lease expires, and finishes without anyone viewing the page.
 * Every case takes the action once: one history event carrying the job id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoBulkJobStore } from '../../../src/adapters/aws/dynamo-bulk-job-store';
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { SqliteBulkJobStore } from '../../../src/adapters/embedded/bulk-job-store';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { createWorkbenchApp, csrfToken } from '../../../src/recon/workbench/app';
import { BULK_LEASE_MS } from '../../../src/recon/workbench/bulk';
import type { BulkJobStore, WorkbenchApp, WorkbenchRequest, WorkbenchStore } from '../../../src/recon/workbench/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { WorkbenchStandIn } from '../../adapters/aws/support/workbench-standin';
import { exceptionCase, raisedEvent, reconciler } from './helpers';

const open = Array.from({ length: 7 }, (_, i) => exceptionCase({ caseId: `exception:statement:durable:${i}`, reason: 'STALE', ageDays: 20 - i }));
const resolved = exceptionCase({ caseId: 'exception:statement:durable:done', reason: 'STALE', ageDays: 30, status: 'RESOLVED' });

function controlledClock(start = '2026-03-10T10:00:00.000Z') {
  let ms = Date.parse(start);
  return { now: () => new Date(ms), advance: (by: number) => (ms += by) };
}

function appOver(store: WorkbenchStore, jobs: BulkJobStore, clock: { now: () => Date }, options: { background?: boolean; chunkSize?: number; retryMs?: number } = {}): WorkbenchApp {
  return createWorkbenchApp({ store, authenticator: { authenticate: async () => reconciler }, clock, csrfSecret: 'durable', bulk: { store: jobs, chunkSize: 3, ...options } });
}

const call = (app: WorkbenchApp, method: string, path: string, query: Record<string, string> = {}, body = '') =>
  app({ method, path, query, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body } satisfies WorkbenchRequest);

async function startJob(app: WorkbenchApp): Promise<string> {
  const started = await call(
    app,
    'POST',
    '/bulk',
    { status: 'ALL', reason: 'STALE' },
    new URLSearchParams({ csrf: csrfToken('durable', reconciler.user), type: 'comment', note: 'bank confirmed' }).toString(),
  );
  expect(started.status).toBe(303);
  return started.headers.location!;
}

async function expectOnceEach(store: WorkbenchStore, jobId: string): Promise<void> {
  for (const c of open) {
    expect((await store.history(c.caseId)).map((e) => [e.version, e.action, e.bulkJobId])).toEqual([
      [1, 'import', undefined],
      [2, 'comment', jobId],
    ]);
  }
  expect((await store.history(resolved.caseId)).map((e) => e.action)).toEqual(['import', 'comment']);
}

const table = new WorkbenchStandIn();
afterAll(async () => table.stop());

describe.each([
  {
    name: 'SQLite',
    open: async () => {
      const db = openMemoryDatabase();
      return { store: new SqliteWorkbenchStore(db), jobs: () => new SqliteBulkJobStore(db) };
    },
  },
  {
    name: 'DynamoDB (dynalite)',
    open: async () => {
      if (!table.client) await table.start();
      await table.clear();
      return { store: new DynamoWorkbenchStore({ client: table.client, tableName: table.tableName }), jobs: () => new DynamoBulkJobStore({ client: table.client, tableName: table.tableName }) };
    },
  },
])('a bulk job as on AWS, over $name', ({ open: openStores }) => {
  it('is started by one instance and finished by another, one chunk per view of its page, nothing in between', async () => {
    const { store, jobs } = await openStores();
    // A comment is taken by a RESOLVED case too; an assignment is not: the failure must be listed.
    for (const c of [...open, resolved]) await store.save(c, raisedEvent(c));
    const clock = controlledClock();
    const a = appOver(store, jobs(), clock);
    const b = appOver(store, jobs(), clock);
    const location = await call(
      a,
      'POST',
      '/bulk',
      { status: 'ALL', reason: 'STALE' },
      new URLSearchParams({ csrf: csrfToken('durable', reconciler.user), type: 'assign', assignee: 'kim' }).toString(),
    );
    const jobPath = location.headers.location!;
    const jobId = jobPath.split('/').at(-1)!;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await jobs().get(jobId))!.items).toEqual([]);

    const seen: string[] = [];
    for (const app of [b, a, b]) {
      const page = await call(app, 'GET', jobPath);
      expect(page.status).toBe(200);
      seen.push(/data-state="[a-z]+">([^<]*)</.exec(page.body)![1]!);
      expect(page.body.includes('http-equiv="refresh"')).toBe(!page.body.includes('data-state="done"'));
    }
    expect(seen).toEqual(['Running: 3 of 8 cases worked', 'Running: 6 of 8 cases worked', 'Done: 7 of 8 cases changed, 1 failed']);
    const done = await call(a, 'GET', jobPath);
    const failed = done.body.slice(done.body.indexOf('<tr class="failed">'));
    expect(failed).toContain(resolved.caseId);
    expect(failed).toContain(`case ${resolved.caseId} is RESOLVED; assigning needs OPEN or PENDING_APPROVAL`);
    for (const c of open) {
      expect((await store.get(c.caseId))!).toMatchObject({ assignee: 'kim', version: 2 });
      expect((await store.history(c.caseId)).filter((e) => e.bulkJobId === jobId)).toHaveLength(1);
    }
    expect((await call(b, 'GET', '/bulk/jobs/0123456789abcdef01234567')).status).toBe(404);
  }, 60_000);
});

describe('a bulk job page whose chunk cannot be worked', () => {
  it('still answers with the job as it stands (the chunk is taken again later)', async () => {
    const db = openMemoryDatabase();
    const store = new SqliteWorkbenchStore(db);
    for (const c of [...open, resolved]) await store.save(c, raisedEvent(c));
    const jobs = new SqliteBulkJobStore(db);
    const failing: BulkJobStore = Object.assign(Object.create(jobs) as BulkJobStore, { lease: async () => Promise.reject(new Error('throttled')) });
    const clock = controlledClock();
    const location = await startJob(appOver(store, failing, clock));
    const errors = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const page = await call(appOver(store, failing, clock), 'GET', location);
      expect([page.status, /data-state="[a-z]+">([^<]*)</.exec(page.body)![1]]).toEqual([200, 'Running: 0 of 8 cases worked']);
      expect(errors.mock.calls.map(([line]) => String(line)).join('')).toContain('workbench bulk job could not advance');
    } finally {
      errors.mockRestore();
    }
    const later = await call(appOver(store, jobs, clock), 'GET', location);
    expect(later.body).toContain('Running: 3 of 8 cases worked');
  });
});

describe('a bulk job in the local workbench', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bulk-durable-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("survives a restart: the new process resumes it on start, takes the ended process's chunk once its lease expires, and finishes it unviewed", async () => {
    const clock = controlledClock();
    const before = openWorkbenchDatabase(dir);
    const beforeStore = new SqliteWorkbenchStore(before);
    for (const c of [...open, resolved]) await beforeStore.save(c, raisedEvent(c));
    // The process that ended: it started the job and held the first chunk when it stopped.
    const location = await startJob(appOver(beforeStore, new SqliteBulkJobStore(before), clock));
    const jobId = location.split('/').at(-1)!;
    expect(await new SqliteBulkJobStore(before).lease(jobId, 'the-ended-process', clock.now().getTime(), BULK_LEASE_MS)).toMatchObject({ chunk: 0 });
    before.close();

    const db = openWorkbenchDatabase(dir);
    const store = new SqliteWorkbenchStore(db);
    const jobs = new SqliteBulkJobStore(db);
    const app = appOver(store, jobs, clock, { background: true, retryMs: 5 });
    const settled = async (worked: number) => {
      for (let i = 0; i < 400; i += 1) {
        const job = (await jobs.get(jobId))!;
        if (job.items.length === worked) return job;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`the job did not reach ${worked} results`);
    };
    // Every chunk but the leased one, with nobody viewing the page.
    expect((await settled(5)).state).toBe('running');
    expect((await jobs.get(jobId))!.items.map((item) => item.caseId)).toEqual([resolved, ...open].slice(3).map((c) => c.caseId));
    clock.advance(BULK_LEASE_MS);
    const job = await settled(8);
    expect(job.state).toBe('done');
    expect(job.items.every((item) => item.ok)).toBe(true);
    await expectOnceEach(store, jobId);
    const page = await call(app, 'GET', location);
    expect(page.body).toContain('Done: 8 of 8 cases changed, 0 failed');
    db.close();
  }, 30_000);
});
