/**
 * AWS Lambda entry point of the payments API (API-1..5), behind the HTTP API's JWT authorizer
 * (stacks/lib/api.ts; catalogued in stacks/catalogue.ts). The app stack wires it with
 * the hot path's configuration contract (it posts through the authorise function's handler, in
 * process: functions/authorise/index.ts) plus:
 * - COGNITO_ISSUER: the user pool's issuer URL (its JWKS is `<issuer>/.well-known/jwks.json`);
 * - API_AUDIENCES: the app client ids allowed (comma-separated), as the JWT authorizer's audience;
 * - API_IDEMPOTENCY_TABLE: the idempotency table (IDEMPOTENCY_TABLE in dynamo-idempotency-store.ts);
 * - API_RATE_LIMIT (optional, BURST/PER_SECOND): a per-container backstop behind API Gateway's
 *   per-client throttling and the WAF's rate-based rule.
 * Logic: ./api.ts and src/api/app.ts.
 */
import type { Context } from 'aws-lambda';
import { createRemoteJWKSet } from 'jose';
import { createApi } from '../../src/api/app';
import { createTokenVerifier } from '../../src/api/jwt';
import { TokenBucketLimiter } from '../../src/api/rate-limit';
import { DynamoIdempotencyStore } from '../../src/adapters/aws/dynamo-idempotency-store';
import { awsContext, postingAdapters, rulesAdapters } from '../../src/adapters/aws/wiring';
import type { RealTimeOutcome } from '../../src/modes/outcome';
import { FUSED_CONSUMER } from '../../src/routes';
import { createAccountBalance } from '../../src/use-cases/api-account-balance/account-balance';
import { createPaymentStatus } from '../../src/use-cases/api-payment-status/payment-status';
import { createSubmitAuthorisation } from '../../src/use-cases/api-submit-authorisation/submit-authorisation';
import { handler as authorise } from '../authorise/index';
import { createApiLambda } from './api';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`api: environment variable ${name} is not set`);
  return value;
}

const context = awsContext(FUSED_CONSUMER, 'api');
const issuer = required('COGNITO_ISSUER');
const [burst, perSecond] = (process.env.API_RATE_LIMIT ?? '200/100').split('/').map(Number);
const ledger = postingAdapters(context).ledger;
const invocation = { functionName: 'api', awsRequestId: 'in-process', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

export const handler = createApiLambda(
  createApi({
    verifyToken: createTokenVerifier({ issuer, audiences: required('API_AUDIENCES').split(','), keys: createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)) }),
    limiter: new TokenBucketLimiter(() => ({ burst: burst ?? 200, perSecond: perSecond ?? 100 })),
    idempotency: new DynamoIdempotencyStore({ client: context.dynamo, tableName: required('API_IDEMPOTENCY_TABLE') }),
    now: () => Date.now(),
    useCases: {
      submitAuthorisation: createSubmitAuthorisation((authorisation) => authorise(authorisation as unknown as Record<string, unknown>, invocation) as Promise<RealTimeOutcome>),
      paymentStatus: createPaymentStatus({ ledger, transactions: context.transactions, decisions: rulesAdapters(context).decisions }),
      // A keyed read of the account's shards would avoid the balances-index scan: fine at today's account counts.
      accountBalance: createAccountBalance({ rowsOf: async (accountId) => (await ledger.balances()).filter((row) => row.accountId === accountId) }),
    },
    onError: (error, record) => context.logger.error('request failed', { requestId: record.requestId, route: record.route, error }),
  }),
  context.logger,
);
