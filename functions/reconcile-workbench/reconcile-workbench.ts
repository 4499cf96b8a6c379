/**
 * reconcile-workbench: the exceptions workbench (WB-1) as a Lambda target
 * of the internal ALB. The ALB has already run Okta OIDC; this handler only translates:
 * ALBEvent → WorkbenchRequest (base64 bodies decoded, query parameters URL-decoded, header names
 * lower-cased) → the framework-free app → ALBResult. A failure the app did not answer becomes a
 * 500 JSON body that names only the request id (details go to the redacting log, never headers:
 * they carry the identity token).
 */
import { STATUS_CODES } from 'node:http';
import middy from '@middy/core';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import type { WorkbenchHandler, WorkbenchRequest, WorkbenchResponse } from '../../src/recon/workbench/ports';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';

export interface WorkbenchLambdaDeps {
  app: WorkbenchHandler;
  logger?: Logger;
}

/** A query parameter the ALB passed through still URL-encoded (form encoding: '+' is a space). */
function decodeQueryComponent(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** The app's view of an ALB request; throws URIError on a malformed percent-escape. */
export function toWorkbenchRequest(event: ALBEvent): WorkbenchRequest {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[decodeQueryComponent(name)] = decodeQueryComponent(value);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const body = event.body === null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return { method: event.httpMethod.toUpperCase(), path: event.path, query, headers, body };
}

export function toAlbResult(response: WorkbenchResponse): ALBResult {
  return {
    statusCode: response.status,
    statusDescription: `${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}`,
    headers: { ...response.headers },
    body: response.body,
    isBase64Encoded: false,
  };
}

function jsonError(status: number, body: Record<string, string>): ALBResult {
  return toAlbResult({
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body: JSON.stringify(body),
  });
}

export function createWorkbenchLambda(deps: WorkbenchLambdaDeps): middy.MiddyfiedHandler<ALBEvent, ALBResult, Error, Context> {
  const logger = deps.logger ?? silentLogger;
  return middy<ALBEvent, ALBResult, Error, Context>().handler(async function serveWorkbench(event, context) {
    let request: WorkbenchRequest;
    try {
      request = toWorkbenchRequest(event);
    } catch {
      logger.warn('malformed query string', { method: event.httpMethod, path: event.path });
      return jsonError(400, { error: 'INVALID', message: 'the query string is not valid URL encoding' });
    }
    try {
      const response = await deps.app(request);
      logger.info('request', { method: request.method, path: request.path, status: response.status });
      return toAlbResult(response);
    } catch (error) {
      logger.error('request failed', { method: request.method, path: request.path, requestId: context.awsRequestId, error });
      return jsonError(500, { error: 'INTERNAL', message: 'the workbench failed to answer; quote this request id to support', requestId: context.awsRequestId });
    }
  });
}
