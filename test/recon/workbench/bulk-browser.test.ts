/**
 * Bulk actions in headless Chromium, signed in through the real local OIDC provider: the list
 * filtered to STALE cases, "Bulk action…" previews them, the form starts the job, the job page
 * (reloading itself while it runs, no script) shows every case's result with the one failure
 * listed and its reason. The job runs as on AWS: no background, each reload of its page advances
 * it by a chunk (here of 2 cases, so it takes several). Skipped (with a warning) where Chromium is missing.
 */
import { SqliteBulkJobStore } from '../../../src/adapters/embedded/bulk-job-store';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { openMemoryDatabase } from '../../support/memory-database';
import { exceptionCase, raisedEvent, steppingClock } from './helpers';

import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { CHROMIUM, type SignedInBrowser, startSignedInBrowser } from './support/signed-in-browser';

const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`bulk-browser.test.ts skipped: no Chromium at ${CHROMIUM}`);

const USERS = {
  clientId: 'ledgerline-workbench',
  groupRoles: { preparers: 'reconciler' },
  users: [{ sub: 'u-kim', name: 'Kim Keys', email: 'kim@bank.example', groups: ['preparers'] }],
};

const stale = Array.from({ length: 5 }, (_, i) => exceptionCase({ caseId: `exception:statement:bulk-${i}`, reason: 'STALE', ageDays: 40 + i, amount: `-${i + 1}.00` }));
const resolved = exceptionCase({ caseId: 'exception:statement:bulk-done', reason: 'STALE', ageDays: 50, status: 'RESOLVED' });
const other = exceptionCase({ caseId: 'exception:statement:bulk-other', reason: 'UNMATCHED', ageDays: 2 });

describeWithChromium('bulk actions in the browser', () => {
  const db = openMemoryDatabase();
  const store = new SqliteWorkbenchStore(db, steppingClock());
  let workbench: SignedInBrowser;

  beforeAll(async () => {
    for (const c of [...stale, resolved, other]) await store.save(c, raisedEvent(c));
    workbench = await startSignedInBrowser({ store, users: USERS, csrfSecret: 'bulk-browser-secret', deps: { bulk: { store: new SqliteBulkJobStore(db), chunkSize: 2 } } });
  }, 60_000);

  afterAll(async () => workbench?.close());

  const signedIn = (): Promise<Page> => workbench.signIn('u-kim');

  it('filters, previews, runs the job and lists every result, the failure with its reason', async () => {
    const page = await signedIn();
    await page.locator('select[name="status"]').selectOption('ALL');
    await page.locator('input[name="reason"]').fill('STALE');
    await page.locator('form.filters button[type="submit"]').click();
    await page.waitForURL(/reason=STALE/);
    await page.locator('a.bulk').click();
    await page.waitForURL(/\/bulk\?/);
    expect(await page.locator('h1').innerText()).toBe('Bulk action on 6 cases');
    expect(await page.locator('table[aria-label="Selected cases"]').innerText()).not.toContain(other.caseId);

    await page.locator('#bulk-type').selectOption('resolve');
    await page.locator('#bulk-resolution').selectOption('TIMING_DIFFERENCE');
    await page.locator('#bulk-note').fill('booked next day by the bank');
    await page.locator('#bulk-form button[type="submit"]').click();
    await page.waitForURL(/\/bulk\/jobs\/[0-9a-f]{24}$/);
    // The page reloads itself until the job is done.
    await page.waitForSelector('p.job-state[data-state="done"]', { timeout: 30_000 });
    expect(await page.locator('p.job-state').innerText()).toBe('Done: 5 of 6 cases changed, 1 failed');
    const failed = page.locator('tr.failed');
    expect(await failed.count()).toBe(1);
    expect(await failed.innerText()).toContain(resolved.caseId);
    expect(await failed.innerText()).toContain('is RESOLVED; resolving needs OPEN');
    expect(await page.locator('tr.ok').count()).toBe(5);
    for (const c of stale) expect((await store.get(c.caseId))!).toMatchObject({ status: 'RESOLVED', version: 2, resolution: { kind: 'TIMING_DIFFERENCE', by: 'u-kim' } });
    expect((await store.get(other.caseId))!.status).toBe('OPEN');
  }, 120_000);
});
