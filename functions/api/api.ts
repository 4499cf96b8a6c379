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
import type { ApiHandler } from '../../src/api/app';
import type { ApiRequest } from '../../src/api/http';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';

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
