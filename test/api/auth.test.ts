/**
 * API-3: every endpoint needs a JWT of the issuer, for this API, in time, with the endpoint's
 * scope: none, expired, not yet valid, another issuer, another audience, a forged signature, the
 * wrong algorithm, an id token → 401 (with WWW-Authenticate); a valid token without the scope → 403.
 */
import { API_ROUTES } from '../../src/api/routes';
import { digitFreeId, sampleAuthorisations, startHarness, type Harness, type TokenSpec } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});

async function call(route: (typeof API_ROUTES)[number], token: string | undefined): Promise<Response> {
  const path = route.path.replace('{paymentId}', 'no-such-payment').replace('{accountId}', 'NO-SUCH-ACCOUNT');
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': digitFreeId('k') };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(`${h.url}${path}`, { method: route.method, headers, ...(route.method === 'POST' ? { body: JSON.stringify(sampleAuthorisations(1, 99)[0]) } : {}) });
}

const BAD_TOKENS: [string, TokenSpec | 'none' | 'garbage'][] = [
  ['missing', 'none'],
  ['not a JWT', 'garbage'],
  ['expired', { expiresIn: -120 }],
  ['not valid yet', { notBeforeIn: 600 }],
  ['another issuer', { issuer: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_other' }],
  ['another audience', { audience: 'some-other-api' }],
  ['no audience and an unknown client_id', { audience: null }],
  ['forged signature', { foreignKey: true }],
  ['HS256', { alg: 'HS256' }],
  ['an id token', { tokenUse: 'id' }],
];

describe.each(API_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s', (_name, route) => {
  it.each(BAD_TOKENS)('refuses a token that is %s with 401 and WWW-Authenticate', async (_case, spec) => {
    const token = spec === 'none' ? undefined : spec === 'garbage' ? 'not-a-jwt' : await h.token(spec);
    const response = await call(route, token);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="ledgerline"/);
    const problem = (await response.json()) as { status: number; type: string };
    expect(problem).toMatchObject({ status: 401, type: 'https://ledgerline.bank/problems/unauthorized' });
  });

  it('refuses a valid token without the route scope with 403 naming the scope', async () => {
    const others = ['ledgerline/payments.write', 'ledgerline/payments.read', 'ledgerline/balances.read'].filter((scope) => scope !== route.scope);
    const response = await call(route, await h.token({ scopes: others }));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain(`scope="${route.scope}"`);
  });

  it('lets a valid token with the scope through (any answer but 401/403)', async () => {
    const response = await call(route, await h.token({ scopes: [route.scope] }));
    expect([401, 403]).not.toContain(response.status);
  });
});

it('issues tokens at POST /oauth2/token for a client with the right secret and the scopes it may have, and none otherwise', async () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const ask = (fields: Record<string, string>, auth?: string) =>
    fetch(`${h.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) }, body: form(fields) });
  const ok = await ask({ grant_type: 'client_credentials', scope: 'ledgerline/payments.read' }, `Basic ${Buffer.from('reader:a-test-secret-of-some-length').toString('base64')}`);
  expect(ok.status).toBe(200);
  const { access_token: token, scope } = (await ok.json()) as { access_token: string; scope: string };
  expect(scope).toBe('ledgerline/payments.read');
  expect((await h.get('/v1/payments/unknown', token)).status).toBe(404);
  expect((await h.get('/v1/accounts/X/balance', token)).status).toBe(403);
  expect((await ask({ grant_type: 'client_credentials', client_id: 'reader', client_secret: 'wrong-secret!!' })).status).toBe(401);
  expect((await ask({ grant_type: 'client_credentials', client_id: 'reader', client_secret: 'a-test-secret-of-some-length', scope: 'ledgerline/payments.write' })).status).toBe(400);
  expect((await ask({ grant_type: 'password', client_id: 'reader', client_secret: 'a-test-secret-of-some-length' })).status).toBe(400);
  const jwks = (await (await fetch(`${h.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
  expect(jwks.keys).toHaveLength(1);
  expect(jwks.keys[0]).not.toHaveProperty('d');
});
