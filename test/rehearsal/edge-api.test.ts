/**
 * The payments API's edge rehearsed (API-5, API-3): the api Lambda's handler (functions/api/api.ts)
 * answers HTTP API v2 events built from the SYNTHESIZED routes (stacks/lib/api.ts, per environment),
 * with Cognito-shaped access tokens signed by a local JWKS for the SYNTHESIZED app clients (their
 * client ids are the authorizer's audience, their scopes the clients' allowed scopes).
 *
 * For every route × partner, and for generated tokens (any client id, any scope set), the JWT
 * authorizer as synthesized (client_id in the audience, one of the route's authorization scopes in
 * the token) and the handler agree: where the authorizer lets a request through, the handler does
 * not refuse it as unauthenticated or forbidden; where the authorizer would refuse it (a request
 * reaching the function another way), the handler refuses it (401/403) and runs no use case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { App, Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { SqliteIdempotencyStore } from '../../src/adapters/embedded/idempotency-store';
import { createApi } from '../../src/api/app';
import { createTokenVerifier } from '../../src/api/jwt';
import { TokenBucketLimiter } from '../../src/api/rate-limit';
import { API_SCOPES } from '../../src/api/routes';
import { createApiLambda } from '../../functions/api/api';
import { ENVIRONMENTS } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { PaymentsApiEdge } from '../../stacks/lib/api';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface SynthesizedRoute {
  method: string;
  path: string;
  scopes: readonly string[];
}

interface SynthesizedEdge {
  issuer: string;
  audience: readonly string[];
  routes: readonly SynthesizedRoute[];
  /** Partner → its app client's id (the Terraform reference the authorizer's audience holds) and scopes. */
  clients: ReadonlyMap<string, { clientId: string; scopes: readonly string[] }>;
}

function synthesize(config: (typeof ENVIRONMENTS)[number]): SynthesizedEdge {
  const app = new App({ skipValidation: true });
  const stack = new TerraformStack(app, `edge-rehearsal-${config.name}`);
  new AwsProvider(stack, 'aws', { region: config.region });
  const names = Names.of(config);
  new PaymentsApiEdge(stack, 'payments-api', {
    names,
    config: config.api,
    account: config.account,
    tags: config.tags,
    functionName: names.functionName('authorise'),
    functionArn: names.functionArn('authorise'),
    logsKmsKeyArn: `arn:aws:kms:${config.region}:${config.account}:key/logs`,
    logRetentionDays: config.retention.logDays,
    protect: false,
  });
  const json = JSON.parse(Testing.synth(stack)) as Json;
  const authorizer = Object.values(json.resource.aws_apigatewayv2_authorizer as Record<string, Json>)[0]!;
  const clients = new Map<string, { clientId: string; scopes: readonly string[] }>();
  for (const [logicalId, client] of Object.entries(json.resource.aws_cognito_user_pool_client as Record<string, Json>)) {
    const partner = String(client.name).slice(`${config.prefix}-payments-api-`.length);
    clients.set(partner, { clientId: `\${aws_cognito_user_pool_client.${logicalId}.id}`, scopes: client.allowed_oauth_scopes as string[] });
  }
  return {
    // The pool id is a Terraform reference at synth: any string stands for it, the same on both sides.
    issuer: String(authorizer.jwt_configuration.issuer),
    audience: authorizer.jwt_configuration.audience as string[],
    routes: Object.values(json.resource.aws_apigatewayv2_route as Record<string, Json>).map((route) => {
      const [method, path] = String(route.route_key).split(' ');
      return { method: method!, path: path!, scopes: route.authorization_scopes as string[] };
    }),
    clients,
  };
}

/** What the synthesized JWT authorizer decides (API Gateway: audience has the client id, and the token has one of the route's scopes). */
function authorizerAllows(edge: SynthesizedEdge, route: SynthesizedRoute, clientId: string, scopes: readonly string[]): boolean {
  return edge.audience.includes(clientId) && route.scopes.some((scope) => scopes.includes(scope));
}

function v2Event(method: string, rawPath: string, token: string, body?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers: { host: 'api.example.test', authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'rehearsal-key-1' },
    requestContext: {
      accountId: '111111111111',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

const SCOPE_NAMES = Object.keys(API_SCOPES);
let state: string;
let privateKey: KeyLike;
let jwk: JWK;

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), 'ledgerline-edge-rehearsal-'));
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' };
});

afterAll(() => rmSync(state, { recursive: true, force: true }));

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s', (name, config) => {
  let edge: SynthesizedEdge;
  let idempotency: SqliteIdempotencyStore;
  let useCaseCalls = 0;
  let handler: ReturnType<typeof createApiLambda>;

  beforeAll(() => {
    edge = synthesize(config);
    idempotency = SqliteIdempotencyStore.open(join(state, name));
    handler = createApiLambda(
      createApi({
        // The handler's COGNITO_ISSUER / API_AUDIENCES are the authorizer's issuer and audience (PaymentsApiEdge.handlerEnvironment).
        verifyToken: createTokenVerifier({ issuer: edge.issuer, audiences: [...edge.audience], keys: createLocalJWKSet({ keys: [jwk] }) }),
        limiter: new TokenBucketLimiter(() => ({ burst: 1_000_000, perSecond: 1_000_000 })),
        idempotency,
        now: () => Date.now(),
        useCases: {
          submitAuthorisation: async () => {
            useCaseCalls += 1;
            throw new Error('rehearsal: no poster');
          },
          paymentStatus: async (id) => {
            useCaseCalls += 1;
            return { kind: 'not-found', detail: `payment ${id} unknown` };
          },
          accountBalance: async (id) => {
            useCaseCalls += 1;
            return { kind: 'not-found', detail: `account ${id} unknown` };
          },
        },
      }),
    );
  });
  afterAll(() => idempotency.close());

  const token = (clientId: string, scopes: readonly string[]) =>
    new SignJWT({ client_id: clientId, scope: scopes.join(' '), token_use: 'access' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(edge.issuer).setExpirationTime('1h').sign(privateKey);

  async function call(route: SynthesizedRoute, clientId: string, scopes: readonly string[], id: string): Promise<number> {
    const rawPath = route.path.replace(/\{[^}]+\}/g, id);
    const result = await handler(v2Event(route.method, rawPath, await token(clientId, scopes), route.method === 'POST' ? '{}' : undefined), {} as Context);
    return (result as { statusCode: number }).statusCode;
  }

  test('every synthesized route × every partner: the authorizer and the handler agree', async () => {
    expect(edge.routes.length).toBeGreaterThan(0);
    for (const route of edge.routes) {
      for (const [partner, client] of edge.clients) {
        const before = useCaseCalls;
        const status = await call(route, client.clientId, client.scopes, 'pay-1');
        const allowed = authorizerAllows(edge, route, client.clientId, client.scopes);
        if (allowed) expect({ partner, route: route.path, refused: [401, 403].includes(status) }).toEqual({ partner, route: route.path, refused: false });
        else {
          expect([401, 403]).toContain(status);
          expect(useCaseCalls).toBe(before);
        }
      }
    }
  });

  test('generated tokens (any client, any scopes): the authorizer and the handler agree', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...edge.routes),
        fc.oneof(
          fc.constantFrom(...edge.audience),
          fc.string({ minLength: 1, maxLength: 30 }).filter((id) => !/\s/.test(id)),
        ),
        fc.subarray(SCOPE_NAMES),
        fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/),
        async (route, clientId, scopes, id) => {
          const before = useCaseCalls;
          const status = await call(route, clientId, scopes, id);
          if (authorizerAllows(edge, route, clientId, scopes)) expect([401, 403]).not.toContain(status);
          else {
            expect([401, 403]).toContain(status);
            expect(useCaseCalls).toBe(before);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
