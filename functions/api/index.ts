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
import { awsContext } from '../../src/adapters/aws/wiring';
import type { RealTimeOutcome } from '../../src/modes/outcome';
import { FUSED_CONSUMER } from '../../src/routes';
import { handler as authorise } from '../authorise/index';
import { createApiLambda, createAwsApi } from './api';

const context = awsContext(FUSED_CONSUMER, 'api');
const invocation = { functionName: 'api', awsRequestId: 'in-process', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

export const handler = createApiLambda(
  createAwsApi(context, (authorisation) => authorise(authorisation as unknown as Record<string, unknown>, invocation) as Promise<RealTimeOutcome>),
  context.logger,
);
