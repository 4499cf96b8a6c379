/**
 * api: the payments API on AWS (API-1..5). API Gateway (HTTP API) sends each request as a v2
 * event; this turns it into the core ApiRequest, exactly as `ledgerline serve` turns a Hono
 * request into one (src/cli/serve-command.ts), runs the one handler (src/api/app.ts) and answers
 * with its response. An access-log line per request (JSON, no body, no header values, the route's
 * template: PCI-3). API Gateway's own JWT authorizer and WAF sit in front (API-5); the handler
 * verifies the token again with the same code as locally, so neither path trusts the other.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createRemoteJWKSet } from 'jose';
import type { ApiHandler } from '../../src/api/app';
import { createApi } from '../../src/api/app';
import { createTokenVerifier } from '../../src/api/jwt';
import { TokenBucketLimiter } from '../../src/api/rate-limit';
import { DynamoIdempotencyStore } from '../../src/adapters/aws/dynamo-idempotency-store';
import { DynamoPaymentOwners } from '../../src/adapters/aws/dynamo-payment-owners';
import { postingAdapters, rulesAdapters, type AwsContext } from '../../src/adapters/aws/wiring';
import type { RealTimeOutcome } from '../../src/modes/outcome';
import type { Authorisation } from '../../src/domain/events';
import { createAccountBalance } from '../../src/use-cases/api-account-balance/account-balance';
import { createPaymentStatus } from '../../src/use-cases/api-payment-status/payment-status';
import { createSubmitAuthorisation } from '../../src/use-cases/api-submit-authorisation/submit-authorisation';
import type { ApiRequest } from '../../src/api/http';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';

/**
 * The api function's environment beyond the hot path's contract (it posts through the authorise
 * handler in process, so it also reads what authorise reads: runtime-config.ts).
 */
export const API_VARIABLES = Object.freeze({
  COGNITO_ISSUER: "The user pool's issuer URL (its JWKS is <issuer>/.well-known/jwks.json)",
  API_AUDIENCES: "The app client ids allowed, comma-separated (the JWT authorizer's audience)",
  API_IDEMPOTENCY_TABLE: 'DynamoDB table TABLES.apiIdempotency (API-1)',
  API_RATE_LIMIT: 'Optional BURST/PER_SECOND: a per-container backstop behind the edge throttling (API-5; default 200/100)',
});

export interface ApiConfig {
  issuer: string;
  audiences: string[];
  idempotencyTable: string;
  rateLimit: { burst: number; perSecond: number };
}

/** Reads API_VARIABLES once; one error names every missing or malformed variable. */
export function readApiConfig(env: Readonly<Record<string, string | undefined>> = process.env): ApiConfig {
  const faults: string[] = [];
  const required = (name: keyof typeof API_VARIABLES): string => {
    const value = env[name];
    if (!value) faults.push(`${name} is not set`);
    return value ?? '';
  };
  const issuer = required('COGNITO_ISSUER');
  const audiences = required('API_AUDIENCES')
    .split(',')
    .map((audience) => audience.trim())
    .filter((audience) => audience.length > 0);
  const idempotencyTable = required('API_IDEMPOTENCY_TABLE');
  const limit = env.API_RATE_LIMIT ?? '200/100';
  const match = /^([1-9]\d{0,6})\/([1-9]\d{0,6})$/.exec(limit);
  if (!match) faults.push(`API_RATE_LIMIT ${JSON.stringify(limit)} is not BURST/PER_SECOND (positive integers)`);
  if (faults.length > 0) throw new Error(`api: environment: ${faults.join('; ')}`);
  return { issuer, audiences, idempotencyTable, rateLimit: { burst: Number(match![1]), perSecond: Number(match![2]) } };
}

/** The core request of an API Gateway HTTP API (payload 2.0) event. */
export function requestOfEvent(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  if (event.cookies && event.cookies.length > 0) headers.cookie = event.cookies.join('; ');
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query[name] = value;
  const body = event.body === undefined || event.body === null ? undefined : event.isBase64Encoded ? new Uint8Array(Buffer.from(event.body, 'base64')) : new TextEncoder().encode(event.body);
  return { method: event.requestContext.http.method, path: event.rawPath, headers, query, body, requestId: event.requestContext.requestId };
}

export function createApiLambda(api: ApiHandler, logger: Logger = silentLogger): middy.MiddyfiedHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(async function apiHandler(event) {
    const { response, access } = await api(requestOfEvent(event));
    logger.info('access', { ...access });
    return { statusCode: response.status, headers: response.headers, body: response.body, isBase64Encoded: false };
  });
}

/**
 * The payments API on AWS, wired once: the token verifier on the pool's JWKS, the per-container
 * rate limit, the idempotency keys and the payments' owners (API-3) in the idempotency table, the
 * use cases over the hot path's stores. `authorise` is the authorise function's handler, in process.
 */
export function createAwsApi(context: AwsContext, authorise: (authorisation: Authorisation) => Promise<RealTimeOutcome>, config: ApiConfig = readApiConfig()): ApiHandler {
  const ledger = postingAdapters(context).ledger;
  const table = { client: context.dynamo, tableName: config.idempotencyTable };
  const owners = new DynamoPaymentOwners(table);
  return createApi({
    verifyToken: createTokenVerifier({ issuer: config.issuer, audiences: config.audiences, keys: createRemoteJWKSet(new URL(`${config.issuer}/.well-known/jwks.json`)) }),
    limiter: new TokenBucketLimiter(() => config.rateLimit),
    idempotency: new DynamoIdempotencyStore(table),
    now: () => Date.now(),
    useCases: {
      submitAuthorisation: createSubmitAuthorisation(authorise, owners),
      paymentStatus: createPaymentStatus({ ledger, transactions: context.transactions, decisions: rulesAdapters(context).decisions, owners }),
      // A keyed read of the account's shards would avoid the balances-index scan: fine at today's account counts.
      accountBalance: createAccountBalance({ rowsOf: async (accountId) => (await ledger.balances()).filter((row) => row.accountId === accountId) }),
    },
    onError: (error, record) => context.logger.error('request failed', { requestId: record.requestId, route: record.route, error }),
  });
}
