/**
 * Sign-in through a real OpenID Connect provider (the local `oidc-provider`, in its own process)
 * in headless Chromium, the way people sign in: the workbench's 401 page → Sign in → the
 * provider's login form → back signed in. Two people whose display names differ only in case
 * ("Alice Martin" / "alice martin") are two users (two `sub`s): one proposes a write-off, the
 * other approves it; the proposer approving their own is refused (403), whatever the name.
 * Its callback replayed is refused. Sessions: idle expiry, absolute expiry, the id rotating (the old one refused after its grace window), and sign-out
 * (the session gone, the provider's end-session page, back to /signed-out).
 * Skipped (with a warning) where Chromium is missing.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { SqliteSessionStore } from '../../../src/adapters/embedded/workbench-store';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { caseHref } from '../../../src/recon/workbench/html';
import { OidcSignIn, ROTATION_GRACE_SECONDS, SESSION_COOKIE_NAME } from '../../../src/recon/workbench/oidc';
import type { WorkbenchApp } from '../../../src/recon/workbench/ports';
import { startWorkbenchServer, type WorkbenchServer } from '../../../src/recon/workbench/server';
import { openMemoryDatabase } from '../../support/memory-database';
import { tempDir } from '../../support/runtime';
import { exceptionCase, memoryLedger, memoryStore, raisedEvent } from './helpers';
import { type IdpProcess, startIdpProcess } from './support/local-idp';

const CHROMIUM = '/usr/bin/chromium';
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`oidc-browser.test.ts skipped: no Chromium at ${CHROMIUM}`);

const USERS = {
  clientId: 'ledgerline-workbench',
  groupRoles: { preparers: 'reconciler', approvers: 'approver', viewers: 'viewer' },
  users: [
    { sub: 'u-alice-1', name: 'Alice Martin', email: 'alice.martin@bank.example', groups: ['preparers', 'approvers'] },
    { sub: 'u-alice-2', name: 'alice martin', email: 'a.martin@bank.example', groups: ['approvers'] },
    { sub: 'u-nobody', name: 'Nora', email: 'nora@bank.example', groups: ['marketing'] },
  ],
};

describeWithChromium('the workbench signing in through a real OIDC provider', () => {
  const store = memoryStore();
  const sessions = new SqliteSessionStore(openMemoryDatabase());
  const ledger = memoryLedger();
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const first = exceptionCase({ caseId: 'exception:statement:oidc:0:1', amount: '-3.20' });
  const second = exceptionCase({ caseId: 'exception:statement:oidc:0:2', amount: '-4.10' });
  let server: WorkbenchServer;
  let idp: IdpProcess;
  let browser: Browser;
  let app: WorkbenchApp | undefined;

  beforeAll(async () => {
    for (const c of [first, second]) await store.save(c, raisedEvent(c));
    const deferred = Object.assign(async () => Promise.reject(new Error('not used')), { fetch: (request: Request) => app!.fetch(request) }) as WorkbenchApp;
    server = await startWorkbenchServer({ host: '127.0.0.1', port: 0, app: deferred });
    const usersFile = join(tempDir('workbench-oidc-users-'), 'users.json');
    writeFileSync(usersFile, JSON.stringify(USERS));
    idp = await startIdpProcess(usersFile, server.url);
    const signIn = new OidcSignIn({
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      baseUrl: server.url,
      groupRoles: USERS.groupRoles as Record<string, 'viewer' | 'reconciler' | 'approver'>,
      sessions,
      clock,
      idleSeconds: 600,
      absoluteSeconds: 3600,
      rotateSeconds: 300,
    });
    app = createWorkbenchApp({ store, authenticator: signIn, clock, csrfSecret: 'oidc-browser-test-secret', ledger: ledger.deps });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await idp?.stop();
  });

  async function signIn(login: string): Promise<{ context: BrowserContext; page: Page; callbackUrl: string }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    let callbackUrl = '';
    page.on('request', (request) => {
      if (request.url().startsWith(`${server.url}/callback?`)) callbackUrl = request.url();
    });
    const refused = await page.goto(`${server.url}/cases`);
    expect(refused!.status()).toBe(401);
    await page.locator('a.signin').click();
    // The provider's own login form.
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('not-checked');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${server.url}/cases`);
    return { context, page, callbackUrl };
  }

  async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
    return (await context.cookies(server.url)).find((cookie) => cookie.name === SESSION_COOKIE_NAME)?.value;
  }

  it('signs two people in through the provider; one proposes, the other approves; approving your own is refused', async () => {
    const upper = await signIn('u-alice-1');
    expect(await upper.page.locator('header.top').innerText()).toContain('Alice Martin');
    const cookie = (await upper.context.cookies(server.url)).find((c) => c.name === SESSION_COOKIE_NAME)!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The store keeps no cookie value.
    expect(await sessions.session(cookie.value)).toBeUndefined();

    for (const c of [first, second]) {
      await upper.page.goto(`${server.url}${caseHref(c.caseId)}`);
      const propose = upper.page.locator('form', { has: upper.page.locator('input[name="type"][value="propose-write-off"]') });
      await propose.locator('textarea[name="note"]').fill('bank charge');
      await propose.locator('button[type="submit"]').click();
      await upper.page.waitForURL(/\?done=propose-write-off$/);
    }
    // Alice (preparer and approver) may not approve her own proposal: no button, and a forged POST is a 403.
    await upper.page.goto(`${server.url}${caseHref(first.caseId)}`);
    expect(await upper.page.locator('input[name="type"][value="approve-write-off"]').count()).toBe(0);
    const csrf = await upper.page.locator('input[name="csrf"]').first().getAttribute('value');
    const own = await upper.context.request.post(`${server.url}${caseHref(first.caseId)}/actions`, {
      form: { type: 'approve-write-off', expectedVersion: '2', csrf: csrf! },
      maxRedirects: 0,
    });
    expect(own.status()).toBe(403);
    expect(await own.text()).toContain('four eyes');

    // "alice martin" is another person (another sub): she approves.
    const lower = await signIn('u-alice-2');
    // The provider's callback (its code and state) replayed in the same browser: refused, no new session.
    const before = await sessionCookie(lower.context);
    const replayed = await lower.page.goto(lower.callbackUrl);
    expect(replayed!.status()).toBe(400);
    expect(await lower.page.locator('h1').innerText()).toBe('Sign-in failed');
    expect(await sessionCookie(lower.context)).toBe(before);
    expect((await lower.page.goto(`${server.url}/cases`))!.status()).toBe(200);
    expect(await lower.page.locator('header.top').innerText()).toContain('alice martin');
    await lower.page.goto(`${server.url}${caseHref(first.caseId)}`);
    const approve = lower.page.locator('form', { has: lower.page.locator('input[name="type"][value="approve-write-off"]') });
    await approve.locator('button[type="submit"]').click();
    await lower.page.waitForURL(/\?done=approve-write-off$/);
    const approved = (await store.get(first.caseId))!;
    expect(approved.status).toBe('WRITTEN_OFF');
    expect(approved.resolution?.by).toBe('u-alice-2');
    const history = await store.history(first.caseId);
    expect(history.map((event) => [event.action, event.actor])).toEqual([
      ['import', 'ledgerline'],
      ['propose-write-off', 'u-alice-1'],
      ['approve-write-off', 'u-alice-2'],
    ]);
    expect(ledger.written).toHaveLength(1);

    // Someone whose groups map to no role is refused at the callback, with no session.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.locator('input[name="login"]').fill('u-nobody');
    await page.locator('input[name="password"]').fill('x');
    const [answer] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/callback'), page.locator('button[type="submit"]').click()]);
    expect(answer.status()).toBe(403);
    expect(await sessionCookie(context)).toBeUndefined();
    for (const c of [upper.context, lower.context, context]) await c.close();
  }, 90_000);

  it('rotates the session id while in use, expires idle and old sessions, and signs out at the provider too', async () => {
    offsetMs = 0;
    const { context, page } = await signIn('u-alice-2');
    const before = (await sessionCookie(context))!;
    // Past the rotation period: the next request gets a new id; the old one answers (a parallel request's) only
    // for the rotation's grace window, without setting a cookie, then no longer works.
    offsetMs = 301_000;
    expect((await page.goto(`${server.url}/cases`))!.status()).toBe(200);
    const after = (await sessionCookie(context))!;
    expect(after).not.toBe(before);
    const parallel = await fetch(`${server.url}/api/cases`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${before}` } });
    expect([parallel.status, parallel.headers.get('set-cookie')]).toEqual([200, null]);
    offsetMs += ROTATION_GRACE_SECONDS * 1000;
    const stale = await fetch(`${server.url}/api/cases`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${before}` } });
    expect(stale.status).toBe(401);
    expect((await fetch(`${server.url}/api/cases`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${after}` } })).status).toBe(200);

    // Idle past the limit: signed out.
    offsetMs += 601_000;
    expect((await page.goto(`${server.url}/cases`))!.status()).toBe(401);

    // Absolute limit: active all along, but older than an hour.
    offsetMs = 0;
    const again = await signIn('u-alice-2');
    for (let minutes = 9; minutes <= 63; minutes += 9) {
      offsetMs = minutes * 60_000;
      const status = (await again.page.goto(`${server.url}/cases`))!.status();
      expect(status).toBe(minutes < 60 ? 200 : 401);
    }

    // Sign-out: the form, then the provider's end-session page, then back at /signed-out.
    offsetMs = 0;
    const signedIn = await signIn('u-alice-2');
    const cookie = (await sessionCookie(signedIn.context))!;
    await signedIn.page.locator('a.signout').click();
    await signedIn.page.locator('form button[type="submit"]').click();
    await signedIn.page.waitForURL((url) => url.origin === idp.issuer);
    expect(await sessionCookie(signedIn.context)).toBeUndefined();
    expect((await fetch(`${server.url}/api/cases`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${cookie}` } })).status).toBe(401);
    // The provider asks to confirm its own sign-out, then sends the browser back.
    await signedIn.page.locator('button[autofocus], button[type="submit"]').first().click();
    await signedIn.page.waitForURL(`${server.url}/signed-out`);
    expect(await signedIn.page.locator('h1').innerText()).toBe('Signed out');
    for (const c of [context, again.context, signedIn.context]) await c.close();
  }, 120_000);
});
