/**
 * A workbench served over HTTP whose sign-in is the real local OIDC provider (in its own process),
 * and a headless Chromium that signs in through the provider's login form: the set-up of the
 * browser tests that work cases as a signed-in person (WB-AUTH-1), and what they all watch: no
 * CSP violation, no request leaving the workbench.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { SqliteSessionStore } from '../../../../src/adapters/embedded/workbench-store';
import { createWorkbenchApp, type WorkbenchAppDeps } from '../../../../src/recon/workbench/app';
import { OidcSignIn } from '../../../../src/recon/workbench/oidc';
import type { Role } from '../../../../src/recon/workbench/cases';
import type { WorkbenchApp, WorkbenchStore } from '../../../../src/recon/workbench/ports';
import { startWorkbenchServer, type WorkbenchServer } from '../../../../src/recon/workbench/server';
import { openMemoryDatabase } from '../../../support/memory-database';
import { tempDir } from '../../../support/runtime';
import { type IdpProcess, startIdpProcess } from './local-idp';

export const CHROMIUM = '/usr/bin/chromium';

/** `describe` where Chromium is; elsewhere `describe.skip`, with a warning naming the test file. */
export function describeWithChromium(testFile: string): typeof describe {
  if (existsSync(CHROMIUM)) return describe;
  console.warn(`${basename(testFile)} skipped: no Chromium at ${CHROMIUM}`);
  return describe.skip;
}

/** Collects what must not happen on `page`: a CSP violation, a request to anywhere but `origin`. */
export function watchProblems(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(origin)) problems.push(`request to ${request.url()}`);
  });
  return problems;
}

export interface SignedInBrowser {
  url: string;
  /** A new browser context (with `context` options) signed in as `login` (a user of the users file), on /cases. */
  signIn(login: string, context?: BrowserContextOptions): Promise<Page>;
  /** A new browser context that has not signed in, on a blank page. */
  signedOut(context?: BrowserContextOptions): Promise<Page>;
  close(): Promise<void>;
}

export async function startSignedInBrowser(options: {
  store: WorkbenchStore;
  /** The users file's content: users, and the groups that map to roles. */
  users: { groupRoles: Record<string, string> } & Record<string, unknown>;
  csrfSecret: string;
  deps?: Partial<WorkbenchAppDeps>;
}): Promise<SignedInBrowser> {
  let app: WorkbenchApp | undefined;
  const deferred = Object.assign(async () => Promise.reject(new Error('not used')), { fetch: (request: Request) => app!.fetch(request) }) as WorkbenchApp;
  const server: WorkbenchServer = await startWorkbenchServer({ host: '127.0.0.1', port: 0, app: deferred });
  let idp: IdpProcess | undefined;
  let browser: Browser | undefined;
  try {
    const usersFile = join(tempDir('workbench-browser-users-'), 'users.json');
    writeFileSync(usersFile, JSON.stringify(options.users));
    idp = await startIdpProcess(usersFile, server.url);
    const clock = { now: () => new Date() };
    const signIn = new OidcSignIn({
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      baseUrl: server.url,
      groupRoles: options.users.groupRoles as Record<string, Role>,
      sessions: new SqliteSessionStore(openMemoryDatabase()),
      clock,
      idleSeconds: 600,
      absoluteSeconds: 3600,
      rotateSeconds: 300,
    });
    app = createWorkbenchApp({ store: options.store, authenticator: signIn, clock, csrfSecret: options.csrfSecret, ...options.deps });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  } catch (error) {
    await browser?.close();
    await server.close();
    await idp?.stop();
    throw error;
  }
  const started = { idp: idp!, browser: browser! };
  return {
    url: server.url,
    async signIn(login, context) {
      const page = await (await started.browser.newContext(context)).newPage();
      await page.goto(`${server.url}/cases`);
      await page.locator('a.signin').click();
      await page.waitForURL((url) => url.origin === started.idp.issuer);
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill('not-checked');
      await page.locator('button[type="submit"]').click();
      await page.waitForURL(`${server.url}/cases`);
      return page;
    },
    async signedOut(context) {
      return (await started.browser.newContext(context)).newPage();
    },
    async close() {
      await started.browser.close();
      await server.close();
      await started.idp.stop();
    },
  };
}
