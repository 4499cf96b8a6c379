/**
 * THE route table of the payments API (API-1..3, API-5): method, path, OAuth scope, request and
 * response schemas, the use case that answers. Written once and read by the local server and the
 * Lambda handler (src/api/app.ts), the OpenAPI generator (src/api/openapi.ts → docs/openapi.json)
 * and the infrastructure (API Gateway routes, Cognito resource-server scopes, request validation).
 */
import type { ApiSchemaName } from '../../schemas/api';

/** The Cognito resource server's identifier: scopes are `<server>/<name>` (how Cognito spells them in `scope`). */
export const RESOURCE_SERVER = 'ledgerline';

/** Every OAuth scope the API knows, with what it allows (Cognito resource-server scopes; the local issuer's too). */
export const API_SCOPES = {
  [`${RESOURCE_SERVER}/payments.write`]: 'submit authorisations for posting',
  [`${RESOURCE_SERVER}/payments.read`]: "read a payment's lifecycle status",
  [`${RESOURCE_SERVER}/balances.read`]: "read an account's balance",
} as const;

export type ApiScope = keyof typeof API_SCOPES;

/** The use cases the routes bind to (src/use-cases/api-*). */
export type UseCaseName = 'submitAuthorisation' | 'paymentStatus' | 'accountBalance';

export interface PathParameter {
  name: string;
  description: string;
  /** The parameter's schema: the common `id` definition (1–128 of [A-Za-z0-9._:-]). */
  schema: 'id';
}

export interface RouteResponse {
  description: string;
  schema: ApiSchemaName;
}

export interface ApiRoute {
  /** The operation id (OpenAPI) and the name the infrastructure gives the route. */
  operationId: string;
  method: 'GET' | 'POST';
  /** The path template, OpenAPI style (`{name}`), which API Gateway HTTP APIs also use. */
  path: `/v1/${string}`;
  summary: string;
  scope: ApiScope;
  useCase: UseCaseName;
  pathParameters: readonly PathParameter[];
  /** The request body's schema (a JSON body is required when present). */
  requestSchema?: ApiSchemaName;
  /** API-1: the route requires an Idempotency-Key header and replays its first response. */
  idempotent: boolean;
  /** Success responses by status. */
  responses: Readonly<Record<number, RouteResponse>>;
  /** Error statuses this route can answer (problem documents), beyond the ones every route has. */
  problems: readonly number[];
}

/** Statuses every route can answer with a problem document. */
export const COMMON_PROBLEM_STATUSES = [400, 401, 403, 404, 405, 413, 422, 429, 500, 503] as const;

export const API_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'submitAuthorisation',
    method: 'POST',
    path: '/v1/authorisations',
    summary: 'Submit one authorised card payment for posting (real-time mode, answered with its outcome)',
    scope: `${RESOURCE_SERVER}/payments.write`,
    useCase: 'submitAuthorisation',
    pathParameters: [],
    requestSchema: 'Authorisation',
    idempotent: true,
    responses: {
      201: { description: 'Posted: the legs are in the ledger', schema: 'AuthorisationOutcome' },
      200: { description: 'Answered without a new posting: duplicate, declined, rejected or failed, with the reason', schema: 'AuthorisationOutcome' },
      202: { description: 'Accepted, not settled yet (held for review, or retrying: the sweeper re-drives it)', schema: 'AuthorisationOutcome' },
    },
    problems: [409, 415],
  },
  {
    operationId: 'getPayment',
    method: 'GET',
    path: '/v1/payments/{paymentId}',
    summary: "A payment's lifecycle status",
    scope: `${RESOURCE_SERVER}/payments.read`,
    useCase: 'paymentStatus',
    pathParameters: [{ name: 'paymentId', description: 'The paymentId POST /v1/authorisations answered with', schema: 'id' }],
    idempotent: false,
    responses: { 200: { description: "The payment's status", schema: 'PaymentStatus' } },
    problems: [],
  },
  {
    operationId: 'getAccountBalance',
    method: 'GET',
    path: '/v1/accounts/{accountId}/balance',
    summary: "An account's balance, every balance shard summed",
    scope: `${RESOURCE_SERVER}/balances.read`,
    useCase: 'accountBalance',
    pathParameters: [{ name: 'accountId', description: 'The ledger account id', schema: 'id' }],
    idempotent: false,
    responses: { 200: { description: 'The balance per currency', schema: 'AccountBalance' } },
    problems: [],
  },
];

/** The route key API Gateway HTTP APIs use: `POST /v1/authorisations`. */
export function routeKey(route: ApiRoute): string {
  return `${route.method} ${route.path}`;
}

export type RouteMatch = { kind: 'matched'; route: ApiRoute; params: Record<string, string> } | { kind: 'wrong-method'; allowed: string[] } | { kind: 'none' };

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The pattern of a path parameter's value (the common `id` definition). */
export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

function segmentsOf(path: string): string[] {
  return path.split('/').slice(1);
}

/**
 * Matches a request path against the table. A parameter matches one non-empty segment (decoded;
 * a segment that does not decode is taken as is, and its validation refuses it).
 */
export function matchRoute(method: string, path: string, routes: readonly ApiRoute[] = API_ROUTES): RouteMatch {
  const actual = segmentsOf(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
  const allowed: string[] = [];
  for (const route of routes) {
    const template = segmentsOf(route.path);
    if (template.length !== actual.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (let i = 0; i < template.length && matches; i += 1) {
      const expected = template[i]!;
      const segment = actual[i]!;
      if (expected.startsWith('{') && expected.endsWith('}')) {
        if (segment === '') matches = false;
        else params[expected.slice(1, -1)] = decodeSegment(segment);
      } else if (expected !== segment) matches = false;
    }
    if (!matches) continue;
    if (route.method === method.toUpperCase()) return { kind: 'matched', route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'none' };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
