/**
 * WB-AUTH-1 end to end as the workbench runs on AWS: the Lambda's own sign-in wiring
 * (functions/reconcile-workbench/sign-in.ts: oidc.ts + the DynamoDB session store) behind the
 * Lambda's ALB translation (multi-value headers, as the target group sends them), against a real
 * OpenID Connect provider (the local `oidc-provider`, src/recon/workbench/idp.ts, in its own
 * process, standing in for Okta), with sessions on dynalite with transactions. A client that
 * follows redirects and keeps cookies plays the browser. Checked: the sign-in and its session
 * (only the id's SHA-256 in the table), the state used once, rotation (the old id refused after its grace window), sign-out
 * (the session gone, on to the provider's end-session page), idle and absolute expiry refused.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { createWorkbenchLambda } from '../../../functions/reconcile-workbench/reconcile-workbench';
import { createWorkbenchSignIn } from '../../../functions/reconcile-workbench/sign-in';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { ROTATION_GRACE_SECONDS } from '../../../src/recon/workbench/oidc';
import type { Role } from '../../../src/recon/workbench/cases';
import { SESSION_KEYS } from '../../../src/adapters/aws/dynamo-session-store';
import { tempDir } from '../../support/runtime';
import { exceptionCase, memoryStore, raisedEvent } from '../workbench/helpers';
import { type IdpProcess, startIdpProcess } from '../workbench/support/local-idp';
import { SessionTables } from './support/sessions-table';

/** The workbench's host behind the ALB (the redirect URI registered with the provider). */
const BASE = 'https://workbench.ledgerline-test.bank.example';
const SESSION_COOKIE = '__Host-ledgerline_session';
const SIGN_IN_COOKIE = 'ledgerline_sign_in';
const TABLE = 'ledgerline-test-workbench-sessions';
const USERS = {
  clientId: 'ledgerline-workbench',
  groupRoles: { 'recon-preparers': 'reconciler', 'recon-approvers': 'approver' } as Record<string, Role>,
  users: [
    { sub: 'u-alice', name: 'Alice Martin', email: 'alice@bank.example', groups: ['recon-preparers'] },
    { sub: 'u-bob', name: 'Bob Okafor', email: 'bob@bank.example', groups: ['recon-approvers'] },
  ],
};
const CONTEXT = { awsRequestId: 'req-e2e' } as Context;
const MINUTE = 60_000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** Cookies by name: Set-Cookie values applied in order (Max-Age=0 removes). */
class Jar {
  readonly cookies = new Map<string, string>();
  take(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const separator = pair!.indexOf('=');
      const name = pair!.slice(0, separator).trim();
      if (/;\s*Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(separator + 1).trim());
    }
  }
  header(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

describe('the workbench on AWS signs people in through a real OIDC provider (sessions on DynamoDB)', () => {
  const tables = new SessionTables([TABLE]);
  const store = memoryStore();
  let idp: IdpProcess;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  let lambda: ReturnType<typeof createWorkbenchLambda>;

  beforeAll(async () => {
    const raised = exceptionCase({ caseId: 'exception:statement:e2e:1', amount: '-7.25' });
    await store.save(raised, raisedEvent(raised));
    await tables.start();
    const usersFile = join(tempDir('workbench-aws-users-'), 'users.json');
    writeFileSync(usersFile, JSON.stringify(USERS));
    idp = await startIdpProcess(usersFile, BASE);
    // Exactly as functions/reconcile-workbench/index.ts builds it, with the provider's issuer and secret in Okta's place.
    const authenticator = createWorkbenchSignIn({
      config: { issuer: idp.issuer, clientId: idp.clientId, baseUrl: BASE, groupRoles: USERS.groupRoles, sessionsTable: TABLE, sessionSeconds: 3600 },
      dynamo: tables.client,
      clientSecret: idp.clientSecret,
      clock,
    });
    const app = createWorkbenchApp({ store, authenticator, clock, csrfSecret: 'e2e-csrf-secret-of-at-least-32-characters' });
    lambda = createWorkbenchLambda({ app });
  }, 60_000);

  afterAll(async () => {
    await idp?.stop();
    await tables.stop();
  });

  /** One request through the Lambda as the ALB delivers it (query values still URL-encoded). */
  async function call(jar: Jar, method: string, pathAndQuery: string, body: string | null = null): Promise<ALBResult & { setCookies: string[] }> {
    const url = new URL(pathAndQuery, BASE);
    const query: Record<string, string[]> = {};
    for (const part of url.search.slice(1).split('&').filter(Boolean)) {
      const [name, value = ''] = part.split('=');
      (query[name!] ??= []).push(value);
    }
    const cookie = jar.header();
    const event: ALBEvent = {
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-test-workbench-fn/0123456789abcdef' } },
      httpMethod: method,
      path: url.pathname,
      multiValueQueryStringParameters: query,
      multiValueHeaders: { host: [url.host], accept: ['text/html'], ...(cookie ? { cookie: [cookie] } : {}), ...(body ? { 'content-type': ['application/x-www-form-urlencoded'] } : {}) },
      body,
      isBase64Encoded: false,
    };
    const result = await lambda(event, CONTEXT);
    const setCookies = (result.multiValueHeaders?.['set-cookie'] ?? []).map(String);
    jar.take(setCookies);
    return { ...result, setCookies };
  }

  /** The provider's side, as a browser: follows its redirects with its cookies, fills in its login form, until it sends the browser back to the workbench. */
  async function atProvider(authorizeUrl: string, login: string): Promise<string> {
    const jar = new Jar();
    let next: { url: string; method: string; body?: string } = { url: authorizeUrl, method: 'GET' };
    for (let hop = 0; hop < 12; hop += 1) {
      const cookie = jar.header();
      const response = await fetch(next.url, {
        method: next.method,
        redirect: 'manual',
        headers: { ...(cookie ? { cookie } : {}), ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(next.body ? { body: next.body } : {}),
      });
      jar.take(response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (location) {
        const target = new URL(location, next.url).toString();
        if (target.startsWith(`${BASE}/`)) return target;
        next = { url: target, method: 'GET' };
        continue;
      }
      const html = await response.text();
      const action = /<form[^>]*action="([^"]+)"[^>]*method="post"/.exec(html)?.[1];
      if (!action) throw new Error(`the provider answered ${response.status} without a form or a redirect`);
      const fields: Record<string, string> = html.includes('name="login"') ? { prompt: 'login', login, password: 'not-checked' } : { prompt: 'consent' };
      next = { url: new URL(action.replace(/&amp;/g, '&'), next.url).toString(), method: 'POST', body: new URLSearchParams(fields).toString() };
    }
    throw new Error('the provider never sent the browser back');
  }

  async function signIn(login: string): Promise<{ jar: Jar; callback: string }> {
    const jar = new Jar();
    const start = await call(jar, 'GET', '/login');
    expect(start.statusCode).toBe(303);
    const location = new URL(String(start.multiValueHeaders!.location![0]));
    expect(location.searchParams.get('redirect_uri')).toBe(`${BASE}/callback`);
    expect(jar.cookies.get(SIGN_IN_COOKIE)).toBe(location.searchParams.get('state'));
    const callback = await atProvider(location.toString(), login);
    const answer = await call(jar, 'GET', callback.slice(BASE.length));
    expect([answer.statusCode, answer.multiValueHeaders!.location]).toEqual([303, ['/cases']]);
    // Two cookies in one answer: the session set, the sign-in's cleared (one Set-Cookie each).
    expect(answer.setCookies).toEqual([
      expect.stringMatching(new RegExp(`^${SESSION_COOKIE}=[\\w-]{43}; Path=/; HttpOnly; SameSite=Lax; Secure$`)),
      expect.stringMatching(/^ledgerline_sign_in=; .*Max-Age=0$/),
    ]);
    return { jar, callback: callback.slice(BASE.length) };
  }

  async function sessionItems(): Promise<string[]> {
    return (await tables.items(TABLE)).map((item) => String(item.pk!.S)).filter((pk) => pk.startsWith('SESSION#'));
  }

  it('signs in (the state once), serves by session, rotates the id (the old one refused after its grace window), signs out (the session gone)', async () => {
    offsetMs = 0;
    const anonymous = await call(new Jar(), 'GET', '/cases');
    expect(anonymous.statusCode).toBe(401);

    const { jar, callback } = await signIn('u-alice');
    const id = jar.cookies.get(SESSION_COOKIE)!;
    const cases = await call(jar, 'GET', '/cases');
    expect(cases.statusCode).toBe(200);
    expect(cases.body).toContain('Alice Martin');
    expect(cases.body).toContain('exception:statement:e2e:1');
    // The table holds the id's SHA-256, never the id; the sign-in it was waiting for is gone.
    const items = JSON.stringify(await tables.items(TABLE));
    expect(await sessionItems()).toEqual([SESSION_KEYS.session(sha256(id))]);
    expect(items).not.toContain(id);
    expect(items).not.toContain('SIGNIN#');

    // The provider's answer replayed: its state was taken once.
    const replay = await call(new Jar(), 'GET', callback);
    expect(replay.statusCode).toBe(400);
    const replayWithCookie = new Jar();
    replayWithCookie.cookies.set(SIGN_IN_COOKIE, new URL(callback, BASE).searchParams.get('state')!);
    expect((await call(replayWithCookie, 'GET', callback)).body).toContain('not waiting for');

    // 16 minutes on (rotation every 15, idle limit 30): the id is replaced; the old one answers (a parallel
    // request's) only for the rotation's grace window, then no longer works.
    offsetMs = 16 * MINUTE;
    const rotatedAnswer = await call(jar, 'GET', '/cases');
    expect(rotatedAnswer.statusCode).toBe(200);
    const rotated = jar.cookies.get(SESSION_COOKIE)!;
    expect(rotated).not.toBe(id);
    expect((await sessionItems()).sort()).toEqual([SESSION_KEYS.session(sha256(id)), SESSION_KEYS.session(sha256(rotated))].sort());
    const stale = new Jar();
    stale.cookies.set(SESSION_COOKIE, id);
    expect((await call(stale, 'GET', '/cases')).statusCode).toBe(200);
    expect(stale.cookies.get(SESSION_COOKIE)).toBe(id);
    offsetMs += ROTATION_GRACE_SECONDS * 1000;
    expect((await call(stale, 'GET', '/cases')).statusCode).toBe(401);
    expect((await call(jar, 'GET', '/cases')).statusCode).toBe(200);

    // Sign-out: the CSRF-checked form, then the session is gone and the browser goes on to the provider's end-session page.
    const form = await call(jar, 'GET', '/logout');
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body ?? '')![1]!;
    const forged = await call(jar, 'POST', '/logout', 'csrf=forged');
    expect(forged.statusCode).toBe(403);
    const out = await call(jar, 'POST', '/logout', `csrf=${encodeURIComponent(csrf)}`);
    expect(out.statusCode).toBe(303);
    expect(String(out.multiValueHeaders!.location![0])).toMatch(new RegExp(`^${idp.issuer}/`));
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(await sessionItems()).toEqual([]);
    const after = new Jar();
    after.cookies.set(SESSION_COOKIE, rotated);
    expect((await call(after, 'GET', '/cases')).statusCode).toBe(401);
  }, 60_000);

  it('refuses an idle session (and deletes it) and one past its absolute limit however active', async () => {
    offsetMs = 0;
    const idle = await signIn('u-bob');
    offsetMs = 31 * MINUTE;
    const refused = await call(idle.jar, 'GET', '/cases');
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('expired');
    expect(await sessionItems()).toEqual([]);

    offsetMs = 0;
    const busy = await signIn('u-alice');
    for (const minutes of [20, 40, 59]) {
      offsetMs = minutes * MINUTE;
      expect((await call(busy.jar, 'GET', '/cases')).statusCode).toBe(200);
    }
    offsetMs = 61 * MINUTE;
    const tooOld = await call(busy.jar, 'GET', '/cases');
    expect(tooOld.statusCode).toBe(401);
    expect(tooOld.body).toContain('expired');
    // It rotated on the way (at 20, 40 and 59 minutes): the expiry deleted the session and the id it replaced;
    // what is left are ids replaced long ago, whose items' TTL (the end of their grace window) has passed.
    const now = clock.now().getTime();
    const left = (await tables.items(TABLE)).filter((item) => String(item.pk!.S).startsWith('SESSION#'));
    expect(left.length).toBeLessThanOrEqual(2);
    for (const item of left) {
      expect(item.replacedBy).toBeDefined();
      expect(Number(item.expiresAt!.N) * 1000).toBeLessThan(now - 60_000);
    }
  }, 60_000);
});
