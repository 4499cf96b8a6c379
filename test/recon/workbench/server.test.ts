/**
 * The embedded server end to end over real HTTP (node:http on a free port) with the local
 * authenticator: refused without the token, the login link sets an HttpOnly SameSite=Strict
 * cookie, the cookie and the bearer token both work, a body over 64 KiB is a 413.
 */
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { LocalAuthenticator, SESSION_COOKIE } from '../../../src/recon/workbench/local-auth';
import { startWorkbenchServer, type WorkbenchServer } from '../../../src/recon/workbench/server';
import { exceptionCase, memoryStore, raisedEvent, reconciler, steppingClock } from './helpers';

describe('startWorkbenchServer with LocalAuthenticator', () => {
  const authenticator = new LocalAuthenticator(reconciler);
  const c = exceptionCase();
  let server: WorkbenchServer;

  beforeAll(async () => {
    const store = memoryStore();
    await store.save(c, raisedEvent(c));
    const app = createWorkbenchApp({ store, authenticator, clock: steppingClock(), csrfSecret: 'server-test-secret' });
    server = await startWorkbenchServer({ host: '127.0.0.1', port: 0, app });
  });

  afterAll(() => server.close());

  it('listens on 127.0.0.1 on the port it was given (0 = a free one) and answers /healthz', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
    const response = await fetch(`${server.url}/healthz`);
    expect([response.status, await response.text()]).toEqual([200, 'ok']);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses pages and the API without the token or a session (401)', async () => {
    expect((await fetch(`${server.url}/cases`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/cases`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${server.url}/cases`, { headers: { cookie: `${SESSION_COOKIE}=${authenticator.token}` } })).status).toBe(401);
    const badLogin = await fetch(`${server.url}/login?token=${'0'.repeat(64)}`, { redirect: 'manual' });
    expect(badLogin.status).toBe(401);
    expect(badLogin.headers.get('set-cookie')).toBeNull();
  });

  it('the login link sets an HttpOnly SameSite=Strict session cookie (not the token) and redirects to /cases', async () => {
    const login = await fetch(authenticator.loginUrl(server.url), { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/cases');
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict$`));
    expect(setCookie).not.toContain(authenticator.token);
    expect(login.headers.get('referrer-policy')).toBe('no-referrer');

    const cookie = setCookie.split(';')[0]!;
    const page = await fetch(`${server.url}/cases`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(encodeURIComponent(c.caseId));
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('scripts may use Authorization: Bearer <token> with the JSON API', async () => {
    const response = await fetch(`${server.url}/api/cases/${encodeURIComponent(c.caseId)}/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${authenticator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'comment', note: 'from a script', expectedVersion: 1 }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { event: unknown }).event).toMatchObject({ action: 'comment', actor: reconciler.user, note: 'from a script' });
  });

  it('answers 413 to a body over 64 KiB', async () => {
    const response = await fetch(`${server.url}/api/cases/${encodeURIComponent(c.caseId)}/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${authenticator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'comment', note: 'x'.repeat(70 * 1024), expectedVersion: 2 }),
    });
    expect(response.status).toBe(413);
  });
});
