/**
 * The workbench in a real browser (headless Chromium through playwright-core) on real reconcile
 * output: sign in through the printed login URL, see the list, open a case, resolve it with a
 * note, see it RESOLVED with its history line; a second tab still showing the old version gets
 * the conflict message and changes nothing. Skipped (with a warning) where Chromium is missing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { reconcile } from '../../../src/recon/run/reconcile';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { importLatestRun } from '../../support/workbench-import';
import { LocalAuthenticator } from '../../../src/recon/workbench/local-auth';
import { startWorkbenchServer, type WorkbenchServer } from '../../../src/recon/workbench/server';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, LEDGER_ROWS, writeLedger } from '../run/helpers';
import { reconciler } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`browser.test.ts skipped: no Chromium at ${CHROMIUM} (install the chromium package to run the browser scenario)`);

describeWithChromium('the workbench in a browser', () => {
  const out = join(tempDir('workbench-browser-'), 'out');
  const db = openWorkbenchDatabase(out);
  const store = new SqliteWorkbenchStore(db);
  const authenticator = new LocalAuthenticator(reconciler);
  let server: WorkbenchServer;
  let browser: Browser;

  beforeAll(async () => {
    const ledger = writeLedger(
      tempDir('workbench-browser-ledger-'),
      LEDGER_ROWS.filter((row) => row.startsWith('L-CAMT-1') || row.startsWith('L-BAI-B')),
    );
    await reconcile({ statements: [CAMT053, BAI2], ledger: { file: ledger }, out, progress: () => undefined });
    await importLatestRun(out, store, { now: () => new Date() });
    const app = createWorkbenchApp({ store, authenticator, clock: { now: () => new Date() }, csrfSecret: 'browser-test-secret' });
    server = await startWorkbenchServer({ host: '127.0.0.1', port: 0, app });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    db.close();
  });

  it('signs in, resolves a case with a note, and shows a stale second tab the conflict', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();

    const unauthenticated = await page.goto(`${server.url}/cases`);
    expect(unauthenticated!.status()).toBe(401);

    await page.goto(authenticator.loginUrl(server.url));
    expect(new URL(page.url()).pathname).toBe('/cases');
    expect(await page.locator('header.top').innerText()).toContain(reconciler.user);
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(10);

    // The camt line of -7.00 EUR that no ledger entry matches.
    const row = page.locator('tbody tr', { hasText: 'UNMATCHED' });
    expect(await row.locator('td.num').first().innerText()).toBe('-7.00');
    await row.locator('a').click();
    expect(await page.locator('h1').innerText()).toContain('Open');
    const caseUrl = page.url();

    const staleTab = await context.newPage();
    await staleTab.goto(caseUrl);

    const resolve = page.locator('form', { has: page.locator('input[name="type"][value="resolve"]') });
    await resolve.locator('select[name="resolution"]').selectOption('TIMING_DIFFERENCE');
    await resolve.locator('textarea[name="note"]').fill('Booked by the bank a day later');
    await resolve.locator('button[type="submit"]').click();
    await page.waitForURL(/\?done=resolve$/);
    expect(await page.locator('h1').innerText()).toContain('Resolved');
    expect(await page.locator('.flash.ok').innerText()).toContain('Done: resolve');
    const history = await page.locator('table').last().innerText();
    expect(history).toContain('Resolve');
    expect(history).toContain('Booked by the bank a day later');
    expect(history).toContain(reconciler.user);

    const staleComment = staleTab.locator('form', { has: staleTab.locator('input[name="type"][value="comment"]') });
    await staleComment.locator('textarea[name="note"]').fill('written on the old page');
    await Promise.all([staleTab.waitForResponse((response) => response.request().method() === 'POST'), staleComment.locator('button[type="submit"]').click()]);
    expect(await staleTab.locator('.flash.error').innerText()).toContain('reload it and try again');
    expect(await staleTab.locator('h1').innerText()).toContain('Resolved');
    expect(await staleTab.locator('table').last().innerText()).not.toContain('written on the old page');

    await context.close();
  });
});
