/**
 * The Lambda handler (functions/api) on real API Gateway HTTP API v2 events: a POST posts and a
 * replay answers the same bytes, a GET reads the status, a base64 body is decoded. And the one
 * handler: the same request through the Lambda adapter and through the local server's Hono adapter
 * gets the same status, headers and body (the request id aside).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { Hono } from 'hono';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { SqliteIdempotencyStore } from '../../src/adapters/embedded/idempotency-store';
import { createApi, type ApiHandler } from '../../src/api/app';
import { createTokenVerifier } from '../../src/api/jwt';
import { TokenBucketLimiter } from '../../src/api/rate-limit';
import { coreRequest } from '../../src/cli/serve-command';
import { RealTimePoster } from '../../src/modes/real-time';
import { createPaymentStatus } from '../../src/use-cases/api-payment-status/payment-status';
import { createSubmitAuthorisation } from '../../src/use-cases/api-submit-authorisation/submit-authorisation';
import { createApiLambda } from '../../functions/api/api';
import { ALL_SCOPES, postableAuthorisations } from './support/harness';
import { SqliteLedgerStore } from '../../src/adapters/embedded/ledger-store';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { SqliteDecisionStore } from '../../src/adapters/embedded/rules-state';
import { SqlitePaymentOwners } from '../../src/adapters/embedded/payment-owners';
import { openStateDatabase } from '../../src/adapters/embedded/database';

const LIMIT = 4096;
let state: string;
let poster: RealTimePoster;
let idempotency: SqliteIdempotencyStore;
let owners: SqlitePaymentOwners;
let api: ApiHandler;
let token: string;
let db: ReturnType<typeof openStateDatabase>;

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), 'ledgerline-api-lambda-'));
  poster = new RealTimePoster({ stateDir: state });
  idempotency = SqliteIdempotencyStore.open(state);
  owners = SqlitePaymentOwners.open(state);
  db = openStateDatabase(state);
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  // A Cognito-shaped access token: no aud, client_id is the app client.
  token = await new SignJWT({ client_id: 'app-client-1', scope: ALL_SCOPES.join(' '), token_use: 'access' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer('https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_test')
    .setExpirationTime('1h')
    .sign(privateKey);
  api = createApi({
    verifyToken: createTokenVerifier({ issuer: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_test', audiences: ['app-client-1'], keys: createLocalJWKSet({ keys: [jwk] }) }),
    limiter: new TokenBucketLimiter(() => ({ burst: 1000, perSecond: 1000 })),
    idempotency,
    now: () => Date.now(),
    bodyLimitBytes: LIMIT,
    useCases: {
      submitAuthorisation: createSubmitAuthorisation((a) => poster.postOne(a), owners),
      paymentStatus: createPaymentStatus({ ledger: new SqliteLedgerStore(db), transactions: new SqliteTransactionStateStore(db), decisions: new SqliteDecisionStore(db), owners }),
      accountBalance: async (id) => ({ kind: 'not-found', detail: `account ${id} has no balance in the ledger` }),
    },
  });
});

afterAll(() => {
  poster.close();
  idempotency.close();
  owners.close();
  db.close();
  rmSync(state, { recursive: true, force: true });
});

/** An HTTP API (payload format 2.0) event as API Gateway sends it, JWT authorizer claims included. */
function v2Event(method: string, rawPath: string, options: { headers?: Record<string, string>; body?: string; base64?: boolean; query?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  const body = options.body === undefined ? undefined : options.base64 ? Buffer.from(options.body).toString('base64') : options.body;
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { host: 'api.example.test', 'user-agent': 'jest', 'x-forwarded-for': '192.0.2.1', ...options.headers },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '111111111111',
      apiId: 'abc123',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      requestId: `req-${Math.floor(Math.random() * 1e6)}`,
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: '06/Dec/2026:06:00:00 +0000',
      timeEpoch: 1796536800000,
      authorizer: { jwt: { claims: { client_id: 'app-client-1' }, scopes: ALL_SCOPES } },
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: options.base64 === true,
  } as APIGatewayProxyEventV2;
}

const lambdaContext = {} as Context;

it('a v2 POST posts; the replay (base64 body this time) answers the same bytes; the status reads posted', async () => {
  const handler = createApiLambda(api);
  const [auth] = postableAuthorisations(1, 401);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'lambda-1' };
  const first = await handler(v2Event('POST', '/v1/authorisations', { headers, body: JSON.stringify(auth) }), lambdaContext);
  expect(first.statusCode).toBe(201);
  const replay = await handler(v2Event('POST', '/v1/authorisations', { headers, body: JSON.stringify(auth), base64: true }), lambdaContext);
  expect(replay.statusCode).toBe(201);
  expect(replay.body).toBe(first.body);
  const { paymentId } = JSON.parse(first.body!) as { paymentId: string };
  const status = await handler(v2Event('GET', `/v1/payments/${paymentId}`, { headers: { authorization: `Bearer ${token}` } }), lambdaContext);
  expect(status.statusCode).toBe(200);
  expect(JSON.parse(status.body!)).toMatchObject({ status: 'posted' });
});

it('the same request through the Lambda and the local server adapters: the same answer', async () => {
  const handler = createApiLambda(api);
  const app = new Hono();
  app.all('*', async (c) => {
    const { response } = await api(await coreRequest(c, LIMIT));
    return new Response(response.body, { status: response.status, headers: response.headers });
  });
  const [auth] = postableAuthorisations(1, 402);
  const bearer = { authorization: `Bearer ${token}` };
  const json = { ...bearer, 'content-type': 'application/json' };
  const cases: { method: string; path: string; headers: Record<string, string>; body?: string; query?: Record<string, string> }[] = [
    { method: 'GET', path: '/v1/payments/unknown-payment', headers: bearer },
    { method: 'GET', path: '/v1/payments/unknown-payment', headers: {} },
    { method: 'GET', path: '/v1/accounts/4111111111111111/balance', headers: bearer },
    { method: 'GET', path: '/v1/accounts/ACC-1/balance', headers: bearer, query: { q: '5500 0000 0000 0004' } },
    { method: 'DELETE', path: '/v1/authorisations', headers: bearer },
    { method: 'GET', path: '/v2/nothing', headers: bearer },
    { method: 'POST', path: '/v1/authorisations', headers: json, body: JSON.stringify(auth) },
    { method: 'POST', path: '/v1/authorisations', headers: { ...json, 'idempotency-key': 'x' }, body: JSON.stringify({ ...auth, stan: 'bad' }) },
    { method: 'POST', path: '/v1/authorisations', headers: { ...json, 'idempotency-key': 'y' }, body: JSON.stringify({ ...auth, note: 'card 4111 1111 1111 1111' }) },
    { method: 'POST', path: '/v1/authorisations', headers: { ...json, 'idempotency-key': 'z' }, body: 'x'.repeat(LIMIT + 1) },
    { method: 'POST', path: '/v1/authorisations', headers: { ...bearer, 'content-type': 'text/csv', 'idempotency-key': 'w' }, body: '{}' },
  ];
  const withoutRequestId = (text: string | undefined) => (text ?? '').replace(/"requestId":"[^"]*",?/, '');
  for (const c of cases) {
    const query = c.query ? `?${new URLSearchParams(c.query).toString()}` : '';
    const viaLambda = await handler(v2Event(c.method, c.path, { headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}), ...(c.query ? { query: c.query } : {}) }), lambdaContext);
    const viaHono = await app.request(`http://localhost${c.path}${query}`, { method: c.method, headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}) });
    const honoBody = await viaHono.text();
    expect({ case: `${c.method} ${c.path}`, status: viaHono.status }).toEqual({ case: `${c.method} ${c.path}`, status: viaLambda.statusCode });
    expect(withoutRequestId(honoBody)).toBe(withoutRequestId(viaLambda.body));
    expect(viaHono.headers.get('content-type')).toBe(viaLambda.headers!['content-type']);
  }
});
