/**
 * The OIDC callback against a scripted issuer (discovery, JWKS, a token endpoint that checks the
 * client's credentials and PKCE verifier, codes good once) over real HTTP: the good answer signs
 * in; every generated fault — a wrong state, a state not bound to this browser, a replayed
 * callback, a replayed code, an ID token from another issuer or for another audience, a wrong or
 * missing nonce, expired or not yet valid, signed by another key, unsigned or HMAC-signed, without
 * `sub` — is refused with nothing signed in (no session cookie, no session stored).
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { SignJWT, type JWTPayload } from 'jose';
import { SqliteSessionStore } from '../../../src/adapters/embedded/workbench-store';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { OidcSignIn, SESSION_COOKIE_NAME, SIGN_IN_COOKIE_NAME } from '../../../src/recon/workbench/oidc';
import type { WorkbenchApp, WorkbenchResponse } from '../../../src/recon/workbench/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { memoryStore } from './helpers';

const CLIENT_ID = 'workbench-test';
const CLIENT_SECRET = 'client-secret-for-the-scripted-issuer';
const BASE = 'https://workbench.test';

const keyA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyB = generateKeyPairSync('rsa', { modulusLength: 2048 });

interface Issued {
  nonce: string;
  challenge: string;
  used: boolean;
  claims: (nonce: string) => Promise<string>;
}

const FAULTS = [
  'wrong-issuer',
  'wrong-audience',
  'several-audiences-no-azp',
  'wrong-nonce',
  'no-nonce',
  'expired',
  'not-yet-valid',
  'other-key',
  'unsigned',
  'hmac-with-client-secret',
  'no-sub',
] as const;
type TokenFault = (typeof FAULTS)[number];

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function idToken(issuer: string, fault: TokenFault | undefined, nonce: string, person: { sub: string; name: string; groups: string[] }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload & Record<string, unknown> = { sub: person.sub, name: person.name, groups: person.groups, nonce, aud: CLIENT_ID, iss: issuer, iat: now, exp: now + 300 };
  if (fault === 'wrong-issuer') claims.iss = `${issuer}/other`;
  if (fault === 'wrong-audience') claims.aud = 'another-client';
  if (fault === 'several-audiences-no-azp') claims.aud = [CLIENT_ID, 'another-client'];
  if (fault === 'wrong-nonce') claims.nonce = `${nonce}x`;
  if (fault === 'no-nonce') delete claims.nonce;
  if (fault === 'expired') Object.assign(claims, { iat: now - 900, exp: now - 300 });
  if (fault === 'not-yet-valid') claims.nbf = now + 600;
  if (fault === 'no-sub') delete claims.sub;
  if (fault === 'unsigned') return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
  if (fault === 'hmac-with-client-secret') return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'a' }).sign(Buffer.from(CLIENT_SECRET));
  const key: KeyObject = fault === 'other-key' ? keyB.privateKey : keyA.privateKey;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'a' }).sign(key);
}

describe('the OIDC callback against a scripted issuer', () => {
  let issuerServer: Server;
  let issuer: string;
  const codes = new Map<string, Issued>();
  let app: WorkbenchApp;
  let sessions: SqliteSessionStore;
  let counter = 0;

  beforeAll(async () => {
    issuerServer = createServer((request, response) => {
      const url = new URL(request.url!, issuer);
      const json = (status: number, value: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (url.pathname === '/.well-known/openid-configuration') {
        return json(200, { issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
      }
      if (url.pathname === '/jwks') return json(200, { keys: [{ ...keyA.publicKey.export({ format: 'jwk' }), kid: 'a', alg: 'RS256', use: 'sig' }] });
      if (url.pathname === '/token' && request.method === 'POST') {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          void (async () => {
            const form = new URLSearchParams(body);
            const expectedAuth = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
            if (request.headers.authorization !== expectedAuth) return json(401, { error: 'invalid_client' });
            const issued = codes.get(form.get('code') ?? '');
            if (!issued || issued.used) return json(400, { error: 'invalid_grant' });
            issued.used = true;
            const verifier = form.get('code_verifier') ?? '';
            if (createHash('sha256').update(verifier).digest('base64url') !== issued.challenge) return json(400, { error: 'invalid_grant' });
            if (form.get('redirect_uri') !== `${BASE}/callback`) return json(400, { error: 'invalid_grant' });
            return json(200, { access_token: 'at', token_type: 'Bearer', id_token: await issued.claims(issued.nonce) });
          })();
        });
        return undefined;
      }
      return json(404, { error: 'not_found' });
    });
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    sessions = new SqliteSessionStore(openMemoryDatabase());
    const signIn = new OidcSignIn({
      issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      baseUrl: BASE,
      groupRoles: { recon: 'reconciler' },
      sessions,
      clock: { now: () => new Date() },
    });
    app = createWorkbenchApp({ store: memoryStore(), authenticator: signIn, clock: { now: () => new Date() }, csrfSecret: 'secret' });
  });

  afterAll(() => new Promise<void>((resolve) => issuerServer.close(() => resolve())));

  const get = (path: string, query: Record<string, string> = {}, cookie?: string): Promise<WorkbenchResponse> => app({ method: 'GET', path, query, headers: cookie ? { cookie } : {}, body: '' });

  /** GET /login: the authorization request's parameters and the sign-in cookie. */
  async function startSignIn(): Promise<{ state: string; nonce: string; challenge: string; cookie: string }> {
    const login = await get('/login');
    expect(login.status).toBe(303);
    const location = new URL(login.headers.location!);
    expect(location.origin + location.pathname).toBe(`${issuer}/auth`);
    const params = Object.fromEntries(location.searchParams);
    expect(params).toMatchObject({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: `${BASE}/callback`, code_challenge_method: 'S256' });
    expect(params.scope!.split(' ')).toEqual(expect.arrayContaining(['openid', 'groups']));
    const cookie = login.headers['set-cookie']!.split(';')[0]!;
    expect(cookie).toBe(`${SIGN_IN_COOKIE_NAME}=${params.state}`);
    expect(login.headers['set-cookie']).toMatch(/; Path=\/callback; HttpOnly; SameSite=Lax; Secure; Max-Age=600$/);
    return { state: params.state!, nonce: params.nonce!, challenge: params.code_challenge!, cookie };
  }

  function issueCode(nonce: string, challenge: string, claims: Issued['claims']): string {
    counter += 1;
    const code = `code-${counter}`;
    codes.set(code, { nonce, challenge, used: false, claims });
    return code;
  }

  const sessionCookieOf = (response: WorkbenchResponse) => (response.headers['set-cookie'] ?? '').split('\n').find((c) => c.startsWith(`__Host-${SESSION_COOKIE_NAME}=`) && !c.includes('Max-Age=0'));

  it('signs in on the good answer: a __Host- session cookie (HttpOnly, Secure, Lax), the identity from sub and groups', async () => {
    const { state, nonce, challenge, cookie } = await startSignIn();
    const code = issueCode(nonce, challenge, (n) => idToken(issuer, undefined, n, { sub: 'u-1', name: 'Una', groups: ['recon', 'other'] }));
    const answer = await get('/callback', { code, state }, cookie);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/cases');
    const session = sessionCookieOf(answer)!;
    expect(session).toMatch(new RegExp(`^__Host-${SESSION_COOKIE_NAME}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax; Secure$`));
    const api = await app({ method: 'GET', path: '/api/cases', query: {}, headers: { cookie: session.split(';')[0]! }, body: '' });
    expect(api.status).toBe(200);
    const page = await app({ method: 'GET', path: '/cases', query: {}, headers: { cookie: session.split(';')[0]! }, body: '' });
    expect(page.body).toContain('Una');
    expect(page.body).toContain('u-1');
  });

  it('refuses every generated fault in the ID token, with nothing signed in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FAULTS),
        fc.record({ sub: fc.stringMatching(/^[a-z0-9]{1,12}$/), name: fc.string({ maxLength: 20 }), groups: fc.subarray(['recon', 'x', 'y']) }),
        async (fault, person) => {
          const { state, nonce, challenge, cookie } = await startSignIn();
          const code = issueCode(nonce, challenge, (n) => idToken(issuer, fault, n, { ...person, groups: ['recon', ...person.groups] }));
          const answer = await get('/callback', { code, state }, cookie);
          expect(answer.status).toBe(401);
          expect(sessionCookieOf(answer)).toBeUndefined();
          expect(answer.body).toContain('Sign-in failed');
          expect(answer.body).not.toContain(code);
        },
      ),
      { numRuns: 44 },
    );
  });

  it('refuses a wrong or unbound state, a replayed callback and a replayed code; a person with no mapped group', async () => {
    const good = (n: string) => idToken(issuer, undefined, n, { sub: 'u-2', name: 'Dos', groups: ['recon'] });
    const cases: { name: string; run: () => Promise<WorkbenchResponse> }[] = [
      {
        name: 'unknown state',
        run: async () => {
          const { nonce, challenge, cookie } = await startSignIn();
          return get('/callback', { code: issueCode(nonce, challenge, good), state: 'not-a-state' }, cookie);
        },
      },
      {
        name: 'state of another browser',
        run: async () => {
          const mine = await startSignIn();
          const theirs = await startSignIn();
          return get('/callback', { code: issueCode(theirs.nonce, theirs.challenge, good), state: theirs.state }, mine.cookie);
        },
      },
      {
        name: 'no sign-in cookie',
        run: async () => {
          const { state, nonce, challenge } = await startSignIn();
          return get('/callback', { code: issueCode(nonce, challenge, good), state });
        },
      },
      {
        name: 'replayed callback',
        run: async () => {
          const { state, nonce, challenge, cookie } = await startSignIn();
          const code = issueCode(nonce, challenge, good);
          expect((await get('/callback', { code, state }, cookie)).status).toBe(303);
          return get('/callback', { code, state }, cookie);
        },
      },
      {
        name: 'replayed code under a new state',
        run: async () => {
          const first = await startSignIn();
          const code = issueCode(first.nonce, first.challenge, good);
          expect((await get('/callback', { code, state: first.state }, first.cookie)).status).toBe(303);
          const second = await startSignIn();
          return get('/callback', { code, state: second.state }, second.cookie);
        },
      },
      {
        name: 'provider error',
        run: async () => {
          const { state, cookie } = await startSignIn();
          return get('/callback', { error: 'access_denied', state }, cookie);
        },
      },
      {
        name: 'no role',
        run: async () => {
          const { state, nonce, challenge, cookie } = await startSignIn();
          return get('/callback', { code: issueCode(nonce, challenge, (n) => idToken(issuer, undefined, n, { sub: 'u-3', name: 'Tres', groups: ['marketing'] })), state }, cookie);
        },
      },
    ];
    for (const { name, run } of cases) {
      const answer = await run();
      expect([name, answer.status >= 400 && answer.status < 500]).toEqual([name, true]);
      expect([name, sessionCookieOf(answer)]).toEqual([name, undefined]);
    }
  });
});
