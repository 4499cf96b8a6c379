/**
 * Statement upload in a real browser (headless Chromium through playwright-core), signed in through
 * the real local OIDC provider, in the workbench app itself (its CSP: scripts from 'self' only):
 * the navigation's Upload link leads to the form; without JavaScript the plain form uploads the
 * chosen file; with it, the drop zone's static script takes a dropped file into the same form.
 * Either way the file lands in the inbox byte for byte, the page shows it queued, and after
 * `ledgerline inbox` (runInbox) the committed run, the quarantine reason of a bad file, or Failed
 * with the reason when the inbox could not take it for another reason (the ledger unreadable). No
 * CSP violation, no request leaving the workbench. Screenshots of the form and a committed upload
 * go to docs/img/ when LEDGERLINE_SCREENSHOTS=1 (support/screenshots.ts). Skipped (with a warning) where Chromium is missing.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { runInbox } from '../../../src/recon/run/inbox';
import { FolderStatementInbox } from '../../../src/recon/workbench/upload-inbox';
import { tempDir } from '../../support/runtime';
import { BAI2_UNKNOWN, CAMT053, MT940, writeLedger } from '../run/helpers';
import { memoryStore } from './helpers';
import { screenshotDir } from './support/screenshots';
import { describeWithChromium, type SignedInBrowser, startSignedInBrowser, watchProblems } from './support/signed-in-browser';

const IMAGES = screenshotDir();
const USERS = {
  clientId: 'ledgerline-workbench',
  groupRoles: { preparers: 'reconciler' },
  users: [{ sub: 'u-rita', name: 'Rita Reconciler', email: 'rita@bank.example', groups: ['preparers'] }],
};

describeWithChromium(__filename)('statement upload in a browser', () => {
  const root = tempDir('workbench-upload-browser-');
  const inboxDir = join(root, 'inbox');
  const out = join(root, 'out');
  const ledger = writeLedger(root);
  let workbench: SignedInBrowser;

  beforeAll(async () => {
    mkdirSync(inboxDir);
    mkdirSync(IMAGES, { recursive: true });
    workbench = await startSignedInBrowser({ store: memoryStore(), users: USERS, csrfSecret: 'upload-browser-secret', deps: { inbox: new FolderStatementInbox(inboxDir, out) } });
  }, 60_000);

  afterAll(async () => workbench?.close());

  /** Signed in, from the case list to the upload page by the navigation's link. */
  async function open(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const page = await workbench.signIn('u-rita', { javaScriptEnabled, viewport: { width: 1100, height: 700 } });
    const problems = watchProblems(page, workbench.url);
    await page.locator('nav.links').getByRole('link', { name: 'Upload', exact: true }).click();
    await page.waitForURL(`${workbench.url}/uploads`);
    return { context: page.context(), page, problems };
  }

  const inboxOnce = (ledgerFile = ledger) => runInbox({ dir: inboxDir, out, ledger: { file: ledgerFile }, once: true, progress: () => undefined });
  const waiting = () => readdirSync(inboxDir).filter((name) => /^\d{8}T\d{6}Z-[0-9a-f]{12}--/.test(name));

  it('without JavaScript: the plain form uploads the chosen file; the page shows it queued, then the committed run', async () => {
    const { context, page, problems } = await open(false);
    expect(await page.locator('[data-dropzone]').getAttribute('class')).toBe('dropzone');
    await page.setInputFiles('#statement-file', CAMT053);
    await page.screenshot({ path: join(IMAGES, 'workbench-upload.png') });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/\/uploads\/\d{8}T\d{6}Z-[0-9a-f]{12}$/);
    await expect(page.locator('.upload-status').textContent()).resolves.toMatch(/^Queued\. camt053\.v2\.multi\.statement\.xml is in the inbox/);
    const [name] = waiting();
    expect(readFileSync(join(inboxDir, name!))).toEqual(readFileSync(CAMT053));

    const [event] = await inboxOnce();
    expect(event!.outcome).toBe('reconciled');
    await page.reload();
    await expect(page.locator('.upload-status').textContent()).resolves.toContain(`Committed. camt053.v2.multi.statement.xml was reconciled in run ${event!.runId}`);
    await page.screenshot({ path: join(IMAGES, 'workbench-upload-committed.png') });
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('with JavaScript: a file dropped on the zone goes through the same form; a bad one shows its quarantine reason', async () => {
    const { context, page, problems } = await open(true);
    // The drop zone's script ran under the CSP (it marks the zone).
    await page.waitForSelector('[data-dropzone].enhanced');
    const content = readFileSync(BAI2_UNKNOWN, 'latin1');
    // A drag from the desktop, as the browser hands it to the page (built in the page: DataTransfer is the browser's).
    const dataTransfer = await page.evaluateHandle(
      `(() => { const transfer = new DataTransfer(); transfer.items.add(new File([${JSON.stringify(content)}], 'dropped statement.txt', { type: 'text/plain' })); return transfer; })()`,
    );
    await page.dispatchEvent('[data-dropzone]', 'dragover', { dataTransfer });
    expect(await page.locator('[data-dropzone]').getAttribute('class')).toContain('over');
    await page.dispatchEvent('[data-dropzone]', 'drop', { dataTransfer });
    await page.waitForURL(/\/uploads\/\d{8}T\d{6}Z-[0-9a-f]{12}$/);
    await expect(page.locator('.upload-status').textContent()).resolves.toMatch(/^Queued\. dropped_statement\.txt/);
    const id = page.url().split('/').pop()!;
    expect(readFileSync(join(inboxDir, `${id}--dropped_statement.txt`), 'latin1')).toBe(content);

    const [event] = await inboxOnce();
    expect(event!.outcome).toBe('quarantined');
    await page.reload();
    const alert = page.getByRole('alert');
    await expect(alert.textContent()).resolves.toContain('Quarantined. dropped_statement.txt was not reconciled');
    await expect(page.locator('pre.reason').textContent()).resolves.toMatch(/^unknown-format: dropped_statement\.txt line 1: unknown statement format/);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);
  it('a file the inbox could not take for another reason (the ledger unreadable) shows Failed with the reason, not Queued', async () => {
    const { context, page, problems } = await open(false);
    // Content the inbox has not seen (a known one would be a re-upload, taken before the ledger is read).
    await page.setInputFiles('#statement-file', MT940);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/\/uploads\/\d{8}T\d{6}Z-[0-9a-f]{12}$/);
    await expect(page.locator('.upload-status').textContent()).resolves.toMatch(/^Queued\./);

    const [event] = await inboxOnce(writeLedger(root, ['L-BAD,NL26VAYB8060476890,EUR,1.234,2014-12-31,2014-12-31,R,'], 'unreadable-ledger.csv'));
    expect(event!.outcome).toBe('failed');
    await page.reload();
    const alert = page.getByRole('alert');
    await expect(alert.textContent()).resolves.toMatch(/^Failed\. mt940\.sta was not reconciled/);
    await expect(page.locator('pre.reason').textContent()).resolves.toMatch(/^unreadable-ledger\.csv line 2: field "amount"/);
    expect(await page.content()).not.toContain(root);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);
});
