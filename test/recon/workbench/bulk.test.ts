/**
 * Bulk actions through the app: the preview counts what the list filter selects; the job works
 * every case at its own version in the background, recording a result per case, failures listed
 * with the reason while the others go on; refused up front: a viewer, a manual match, a foreign form.
 */
import { createWorkbenchApp, csrfToken } from '../../../src/recon/workbench/app';
import type { Actor } from '../../../src/recon/workbench/cases';
import type { WorkbenchRequest } from '../../../src/recon/workbench/ports';
import { SqliteBulkJobStore } from '../../../src/adapters/embedded/bulk-job-store';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { openMemoryDatabase } from '../../support/memory-database';
import { exceptionCase, raisedEvent, reconciler, steppingClock, viewer } from './helpers';

const ACTORS: Record<string, Actor> = { rita: reconciler, victor: viewer };

async function setUp() {
  const db = openMemoryDatabase();
  const store = new SqliteWorkbenchStore(db, steppingClock());
  const open = Array.from({ length: 7 }, (_, i) => exceptionCase({ caseId: `exception:statement:bulk:${i}`, reason: 'STALE', amount: `-${i + 1}.00` }));
  const done = exceptionCase({ caseId: 'exception:statement:bulk:done', reason: 'STALE', status: 'RESOLVED' });
  const other = exceptionCase({ caseId: 'exception:statement:other', reason: 'UNMATCHED' });
  for (const c of [...open, done, other]) await store.save(c, raisedEvent(c));
  const app = createWorkbenchApp({
    store,
    authenticator: { authenticate: async (r) => ACTORS[r.headers['x-test-user'] ?? '']! },
    clock: steppingClock('2026-03-10T10:00:00.000Z'),
    csrfSecret: 'bulk',
    bulk: { store: new SqliteBulkJobStore(db), background: true },
  });
  const call = (user: string, method: string, path: string, query: Record<string, string>, body = '') =>
    app({ method, path, query, headers: { 'x-test-user': user, 'content-type': 'application/x-www-form-urlencoded' }, body } satisfies WorkbenchRequest);
  const post = (user: string, query: Record<string, string>, fields: Record<string, string>) =>
    call(user, 'POST', '/bulk', query, new URLSearchParams({ csrf: csrfToken('bulk', ACTORS[user]!.user), ...fields }).toString());
  const finished = async (location: string) => {
    for (let i = 0; i < 200; i += 1) {
      const page = await call('rita', 'GET', location, {});
      if (page.body.includes('data-state="done"')) return page;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the job did not finish');
  };
  return { store, call, post, finished, open, done, other };
}

describe('bulk actions', () => {
  it('previews what the filter selects, then resolves each case as a background job, the failure listed with its reason', async () => {
    const { store, call, post, finished, open, done, other } = await setUp();
    const preview = await call('rita', 'GET', '/bulk', { status: 'ALL', reason: 'STALE' });
    expect(preview.status).toBe(200);
    expect(preview.body).toContain('Bulk action on 8 cases');
    expect(preview.body).toContain('Run on 8 cases');
    expect(preview.body).not.toContain(other.caseId);
    const started = await post('rita', { status: 'ALL', reason: 'STALE' }, { type: 'resolve', resolution: 'BANK_ERROR', note: 'bank batch error' });
    expect(started.status).toBe(303);
    expect(started.headers.location).toMatch(/^\/bulk\/jobs\/[0-9a-f]{24}$/);
    const job = await finished(started.headers.location!);
    expect(job.body).toContain('Done: 7 of 8 cases changed, 1 failed');
    const failed = job.body.slice(job.body.indexOf('<tr class="failed">'));
    expect(failed).toContain(done.caseId);
    expect(failed).toContain(`case ${done.caseId} is RESOLVED; resolving needs OPEN`);
    for (const c of open) {
      const after = (await store.get(c.caseId))!;
      expect([after.status, after.version, after.resolution?.kind]).toEqual(['RESOLVED', 2, 'BANK_ERROR']);
      expect((await store.history(c.caseId)).map((e) => e.action)).toEqual(['import', 'resolve']);
    }
    expect((await store.get(other.caseId))!.status).toBe('OPEN');
  });

  it('refuses a viewer, a manual match, an unknown action and a foreign form, changing nothing', async () => {
    const { store, post, open } = await setUp();
    expect((await post('victor', {}, { type: 'comment', note: 'x' })).status).toBe(403);
    const manual = await post('rita', {}, { type: 'resolve', resolution: 'MATCHED_MANUALLY', note: 'x', ledgerEntryIds: 'L-1' });
    expect(manual.status).toBe(400);
    expect(manual.body).toContain('match cases one by one');
    expect((await post('rita', {}, { type: 'approve-write-off' })).status).toBe(400);
    const { call } = await setUp();
    expect((await call('rita', 'POST', '/bulk', {}, 'type=comment&note=x&csrf=forged')).status).toBe(403);
    for (const c of open) expect((await store.get(c.caseId))!.version).toBe(1);
  });
});
