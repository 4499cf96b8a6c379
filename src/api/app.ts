/**
 * The payments API's one handler (API-1..5): a core request in, a response and its access record
 * out. The local server (src/cli/serve-command.ts, Hono) and the Lambda (functions/api) adapt
 * their requests to ApiRequest and call this; nothing else decides an answer.
 *
 * In order: the route (404 / 405) → the bearer token (401) and the route's scope (403) → the
 * client's rate limit (429 + Retry-After) → path and query parameters (422) → the body (413, 415,
 * 400, 422: src/api/input.ts) → the Idempotency-Key (API-1, src/api/idempotency.ts) → the use case.
 */
import type { Authorisation } from '../domain/events';
import { containsPan } from '../domain/pan';
import type { ApiAnswer } from './answer';
import { jsonResponse, problemResponse, type ApiRequest, type ApiResponse, type FieldError } from './http';
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN, requestFingerprint, type IdempotencyStore, type StoredResponse } from './idempotency';
import { cardNumber, checkAuthorisation, DEFAULT_BODY_LIMIT_BYTES, invalidFields, parseJsonBody } from './input';
import { bearerToken, type Principal, type TokenVerifier } from './jwt';
import type { TokenBucketLimiter } from './rate-limit';
import { API_ROUTES, isValidId, matchRoute, type ApiRoute } from './routes';

export interface ApiUseCases {
  /** `clientId`: the verified token's client, who submits the payment (API-3). */
  submitAuthorisation(authorisation: Authorisation, clientId: string): Promise<ApiAnswer>;
  /** `clientId`: the verified token's client; another client's payment is not found (API-3). */
  paymentStatus(paymentId: string, clientId: string): Promise<ApiAnswer>;
  accountBalance(accountId: string): Promise<ApiAnswer>;
}

export interface ApiDeps {
  verifyToken: TokenVerifier;
  limiter: TokenBucketLimiter;
  idempotency: IdempotencyStore;
  useCases: ApiUseCases;
  /** Milliseconds since the epoch. */
  now: () => number;
  bodyLimitBytes?: number;
  /** How long a claimed Idempotency-Key holds before a retry may take it over (default 30 s). */
  idempotencyLeaseMs?: number;
  /** How long a key and its response are kept (default 24 h). */
  idempotencyRetentionMs?: number;
  /** Told of a use case or store failure (the message is PAN-redacted by the logger behind it). */
  onError?: (error: unknown, record: AccessRecord) => void;
}

/** One access-log record: no body, no header values, the route's template (never the raw path: PCI-3). */
export interface AccessRecord {
  requestId: string;
  method: string;
  route: string | null;
  status: number;
  clientId?: string;
  problem?: string;
  idempotentReplay?: boolean;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
}

export interface ApiResult {
  response: ApiResponse;
  access: AccessRecord;
}

export type ApiHandler = (request: ApiRequest) => Promise<ApiResult>;

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

function withRequestId(response: ApiResponse, requestId: string): ApiResponse {
  return { ...response, headers: { ...response.headers, 'x-request-id': requestId } };
}

function problemKindOf(response: ApiResponse): string | undefined {
  if (response.status < 400) return undefined;
  try {
    const type = (JSON.parse(response.body) as { type?: string }).type;
    return type?.slice(type.lastIndexOf('/') + 1);
  } catch {
    return undefined;
  }
}

export function createApi(deps: ApiDeps, routes: readonly ApiRoute[] = API_ROUTES): ApiHandler {
  const limit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const leaseMs = deps.idempotencyLeaseMs ?? DEFAULT_LEASE_MS;
  const retentionMs = deps.idempotencyRetentionMs ?? DEFAULT_RETENTION_MS;

  function answer(result: ApiAnswer, requestId: string, route: ApiRoute): ApiResponse {
    if (result.kind === 'not-found') return problemResponse('not-found', result.detail, { requestId, instance: route.path });
    if (result.kind === 'submitted-by-another-client') return problemResponse('submitted-by-another-client', result.detail, { requestId, instance: route.path });
    return jsonResponse(result.status, result.body, result.headers);
  }

  async function authenticate(request: ApiRequest, route: ApiRoute): Promise<{ principal: Principal } | { response: ApiResponse }> {
    const { requestId } = request;
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      return { response: problemResponse('unauthorized', 'a bearer token is required (Authorization: Bearer <JWT>)', { requestId, headers: { 'www-authenticate': 'Bearer realm="ledgerline"' } }) };
    }
    const verified = await deps.verifyToken(token);
    if (!verified.ok) {
      return {
        response: problemResponse('unauthorized', verified.reason, {
          requestId,
          headers: { 'www-authenticate': `Bearer realm="ledgerline", error="invalid_token", error_description="${verified.reason}"` },
        }),
      };
    }
    if (!verified.principal.scopes.has(route.scope)) {
      return {
        response: problemResponse('insufficient-scope', `this endpoint needs the scope ${route.scope}`, {
          requestId,
          headers: { 'www-authenticate': `Bearer realm="ledgerline", error="insufficient_scope", scope="${route.scope}"` },
        }),
      };
    }
    return { principal: verified.principal };
  }

  function checkParameters(request: ApiRequest, params: Record<string, string>, route: ApiRoute): ApiResponse | undefined {
    const { requestId } = request;
    for (const [name, value] of Object.entries(request.query)) {
      if (containsPan(name) || containsPan(value)) return cardNumber('query', containsPan(name) ? '(name)' : name, requestId);
    }
    const errors: FieldError[] = [];
    for (const parameter of route.pathParameters) {
      const value = params[parameter.name] ?? '';
      if (containsPan(value)) return cardNumber('path', parameter.name, requestId);
      if (!isValidId(value)) errors.push({ in: 'path', field: parameter.name, detail: 'must be 1-128 of A-Z a-z 0-9 . _ : -' });
    }
    return errors.length > 0 ? invalidFields(errors, requestId) : undefined;
  }

  async function submit(request: ApiRequest, route: ApiRoute, principal: Principal): Promise<{ response: ApiResponse; replay?: boolean }> {
    const { requestId } = request;
    const body = parseJsonBody(request, limit);
    if (!body.ok) return { response: body.response };
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (key === undefined || key === '') return { response: problemResponse('idempotency-key-required', 'POST needs an Idempotency-Key header (1-255 visible ASCII characters)', { requestId }) };
    if (containsPan(key)) return { response: cardNumber('header', 'Idempotency-Key', requestId) };
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) return { response: invalidFields([{ in: 'header', field: 'Idempotency-Key', detail: 'must be 1-255 visible ASCII characters' }], requestId) };
    const authorisation = checkAuthorisation(body.value, requestId);
    if (!authorisation.ok) return { response: authorisation.response };
    const fingerprint = requestFingerprint(route.method, route.path, body.value);
    const claim = await deps.idempotency.claim({ clientId: principal.clientId, key, fingerprint, nowMs: deps.now(), leaseMs, retentionMs });
    switch (claim.kind) {
      case 'completed':
        return { response: stored(claim.response), replay: true };
      case 'fingerprint-mismatch':
        return { response: problemResponse('idempotency-key-reused', 'this Idempotency-Key was used with a different request body: use a new key for a new request', { requestId }) };
      case 'in-flight': {
        const seconds = Math.max(1, Math.ceil((claim.leaseUntilMs - deps.now()) / 1000));
        return {
          response: problemResponse('request-in-progress', 'the first request with this Idempotency-Key is still being answered: retry after the given time', {
            requestId,
            headers: { 'retry-after': String(Math.min(seconds, 60)) },
          }),
        };
      }
      case 'claimed':
        break;
    }
    let result: ApiAnswer;
    try {
      result = await deps.useCases.submitAuthorisation(authorisation.value, principal.clientId);
    } catch (error) {
      await deps.idempotency.release(principal.clientId, key, fingerprint, deps.now()).catch(() => undefined);
      throw error;
    }
    const response = answer(result, requestId, route);
    const kept = await deps.idempotency.complete({ clientId: principal.clientId, key, fingerprint, response: storable(response), nowMs: deps.now(), retentionMs });
    return { response: stored(kept) };
  }

  return async function handle(request) {
    const started = deps.now();
    const { requestId } = request;
    const access: AccessRecord = { requestId, method: request.method, route: null, status: 0, bytesIn: request.body?.length ?? 0, bytesOut: 0, durationMs: 0 };
    const finish = (response: ApiResponse): ApiResult => {
      const final = withRequestId(response, requestId);
      access.status = final.status;
      access.bytesOut = Buffer.byteLength(final.body);
      access.durationMs = Math.max(0, deps.now() - started);
      const problem = problemKindOf(final);
      if (problem) access.problem = problem;
      return { response: final, access };
    };
    const match = matchRoute(request.method, request.path, routes);
    if (match.kind === 'none') return finish(problemResponse('not-found', 'no such endpoint', { requestId }));
    if (match.kind === 'wrong-method')
      return finish(problemResponse('method-not-allowed', `this endpoint answers ${match.allowed.join(', ')}`, { requestId, headers: { allow: match.allowed.join(', ') } }));
    const { route, params } = match;
    access.route = route.path;
    try {
      const auth = await authenticate(request, route);
      if ('response' in auth) return finish(auth.response);
      access.clientId = auth.principal.clientId;
      const rate = deps.limiter.take(auth.principal.clientId, deps.now());
      if (!rate.allowed) {
        return finish(
          problemResponse('rate-limited', `over this client's rate limit: retry after ${rate.retryAfterSeconds} s`, { requestId, headers: { 'retry-after': String(rate.retryAfterSeconds) } }),
        );
      }
      const parameterFault = checkParameters(request, params, route);
      if (parameterFault) return finish(parameterFault);
      switch (route.useCase) {
        case 'submitAuthorisation': {
          const { response, replay } = await submit(request, route, auth.principal);
          if (replay) access.idempotentReplay = true;
          return finish(replay ? { ...response, headers: { ...response.headers, 'idempotent-replayed': 'true' } } : response);
        }
        case 'paymentStatus':
          return finish(answer(await deps.useCases.paymentStatus(params.paymentId!, auth.principal.clientId), requestId, route));
        case 'accountBalance':
          return finish(answer(await deps.useCases.accountBalance(params.accountId!), requestId, route));
      }
    } catch (error) {
      const result = finish(
        problemResponse('unavailable', 'the request could not be answered now: retry (with the same Idempotency-Key, nothing is posted twice)', { requestId, headers: { 'retry-after': '1' } }),
      );
      deps.onError?.(error, result.access);
      return result;
    }
  };
}

/** The response as stored: status, the headers that belong to it, the body bytes. */
function storable(response: ApiResponse): StoredResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (name === 'content-type' || name === 'location') headers[name] = value;
  return { status: response.status, headers, body: response.body };
}

function stored(response: StoredResponse): ApiResponse {
  return { status: response.status, headers: { ...response.headers }, body: response.body };
}
