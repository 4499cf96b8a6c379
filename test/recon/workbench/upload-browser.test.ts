/**
 * Statement upload in a real browser (headless Chromium through playwright-core), under the
 * workbench's CSP with scripts from 'self' only: without JavaScript the plain form uploads the
 * chosen file; with it, the drop zone's static script takes a dropped file into the same form.
 * Either way the file lands in the inbox byte for byte, the page shows it queued, and after
 * `ledgerline inbox` (runInbox) the committed run, or the quarantine reason of a bad file. No CSP
 * violation, no request leaving the workbench. Screenshots of the form and a committed upload go
 * to docs/img/. The routes run behind a sign-in stand-in (a cookie names the user). Skipped (with a
 * warning) where Chromium is missing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { runInbox } from '../../../src/recon/run/inbox';
import { csrfToken, sameSecret } from '../../../src/recon/workbench/app';
import type { Actor } from '../../../src/recon/workbench/cases';
import { STYLESHEET_PATH, WORKBENCH_CSS } from '../../../src/recon/workbench/html';
import type { WorkbenchApp } from '../../../src/recon/workbench/ports';
import { startWorkbenchServer, type WorkbenchServer } from '../../../src/recon/workbench/server';
import { FolderStatementInbox } from '../../../src/recon/workbench/upload-inbox';
import { registerUploadRoutes, type UploadEnv } from '../../../src/recon/workbench/upload';
import { tempDir } from '../../support/runtime';
import { BAI2_UNKNOWN, CAMT053, writeLedger } from '../run/helpers';
import { reconciler } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const IMAGES = join(__dirname, '../../../docs/img');
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`upload-browser.test.ts skipped: no Chromium at ${CHROMIUM}`);

describeWithChromium('statement upload in a browser', () => {
  const root = tempDir('workbench-upload-browser-');
  const inboxDir = join(root, 'inbox');
  const out = join(root, 'out');
  const ledger = writeLedger(root);
  const SECRET = 'upload-browser-secret';
  const USERS: Record<string, Actor> = { rita: reconciler };
  let server: WorkbenchServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(inboxDir);
    mkdirSync(IMAGES, { recursive: true });
    const signedIn: MiddlewareHandler<UploadEnv> = async (c, next) => {
      const user = /(?:^|;\s*)user=(\w+)/.exec(c.req.header('cookie') ?? '')?.[1];
      const actor = user ? USERS[user] : undefined;
      if (!actor) return c.text('sign in first', 401);
      c.set('actor', actor);
      c.set('csrfSubject', actor.user);
      await next();
    };
    const app = new Hono<UploadEnv>();
    // The workbench's CSP, with the script source its upload page needs.
    app.use(secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } }));
    // The workbench's own static files (app.ts serves them; its script empty here).
    app.get(STYLESHEET_PATH, (c) => c.body(WORKBENCH_CSS, 200, { 'content-type': 'text/css' }));
    app.get('/static/workbench.js', (c) => c.body('', 200, { 'content-type': 'text/javascript' }));
    registerUploadRoutes(app, { inbox: new FolderStatementInbox(inboxDir, out), signedIn, csrfToken: (subject) => csrfToken(SECRET, subject), sameSecret });
    server = await startWorkbenchServer({ host: '127.0.0.1', port: 0, app: { fetch: (request: Request) => app.fetch(request) } as WorkbenchApp });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1100, height: 700 } });
    await context.addCookies([{ name: 'user', value: 'rita', url: server.url }]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url)) problems.push(`request to ${request.url()}`);
    });
    await page.goto(`${server.url}/uploads`);
    return { context, page, problems };
  }

  const inboxOnce = () => runInbox({ dir: inboxDir, out, ledger: { file: ledger }, once: true, progress: () => undefined });
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
});
