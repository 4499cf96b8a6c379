/**
 * A workbench served over HTTP whose sign-in is the real local OIDC provider (in its own process),
 * and a headless Chromium that signs in through the provider's login form: the set-up of the
 * browser tests that work cases as a signed-in person (WB-AUTH-1).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
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

export interface SignedInBrowser {
  url: string;
  /** A new browser context signed in as `login` (a user of the users file), on /cases. */
  signIn(login: string): Promise<Page>;
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
    async signIn(login) {
      const page = await (await started.browser.newContext()).newPage();
      await page.goto(`${server.url}/cases`);
      await page.locator('a.signin').click();
      await page.waitForURL((url) => url.origin === started.idp.issuer);
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill('not-checked');
      await page.locator('button[type="submit"]').click();
      await page.waitForURL(`${server.url}/cases`);
      return page;
    },
    async close() {
      await started.browser.close();
      await server.close();
      await started.idp.stop();
    },
  };
}
