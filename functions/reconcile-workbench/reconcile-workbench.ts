/**
 * reconcile-workbench: the exceptions workbench (WB-1) as a Lambda target of the internal ALB.
 * The ALB only forwards; the app signs people in itself (WB-AUTH-1: src/recon/workbench/oidc.ts,
 * the same code as locally). This handler only translates: ALBEvent → WorkbenchRequest (base64
 * bodies decoded, header names lower-cased) → the framework-free app → ALBResult. The target group
 * sends and expects multi-value headers (stacks/app-stack.ts: a sign-in answer sets two cookies,
 * one Set-Cookie each), and with them multi-value query parameters: every value of a repeated
 * parameter, still URL-encoded as sent. The app gets the query string those make, every parameter
 * as often as it was given (WorkbenchRequest.search), and reads it as it reads a local request's
 * URL, so a parameter given twice, or one the route does not read, is refused here as locally
 * (src/recon/workbench/query.ts). The event groups a parameter's values under its name, so a
 * repeated parameter's values reach the app together, at its first place. A single-value event
 * (the target group without multi-value headers: a repeated parameter's last value only) is read
 * too. A repeated header is joined (`; ` for Cookie, `, ` otherwise). A failure the app did not
 * answer becomes a 500 JSON body that names only the request id (details go to the redacting log,
 * never headers: they carry the session cookie).
 *
 * WB-BULK-1: the same function is also invoked every minute by a schedule (./schedule.ts):
 * `createWorkbenchFunction` tells that event from an ALB request by its shape and works the running
 * bulk jobs (BulkJobs.advanceUnfinished, the job page's own `advance`) until the time left before
 * the function's timeout (the context's getRemainingTimeInMillis) falls under the reserve, then
 * logs one line: jobs seen, chunks and cases worked (counts only: no case id, no card number).
 */
import { STATUS_CODES } from 'node:http';
import middy from '@middy/core';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { requestQuery, type WorkbenchHandler, type WorkbenchRequest, type WorkbenchResponse } from '../../src/recon/workbench/ports';
import type { AdvanceUnfinishedOptions, BulkAdvanceSummary } from '../../src/recon/workbench/bulk';
import { BULK_ADVANCE_MAX_RUN_MS, BULK_ADVANCE_RESERVE_MS, type BulkAdvanceEvent, isBulkAdvanceEvent } from './schedule';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';

export interface WorkbenchLambdaDeps {
  app: WorkbenchHandler;
  logger?: Logger;
}

/**
 * The query string of an ALB request as it was sent: the event's parameters, which the ALB passes
 * still URL-encoded, as `name=value` pairs, every value of a multi-value parameter in its order.
 */
export function albSearch(event: Pick<ALBEvent, 'multiValueQueryStringParameters' | 'queryStringParameters'>): string {
  const pairs: [string, readonly string[]][] = event.multiValueQueryStringParameters
    ? Object.entries(event.multiValueQueryStringParameters).map(([name, values]) => [name, values ?? []])
    : Object.entries(event.queryStringParameters ?? {}).map(([name, value]) => [name, value === undefined ? [] : [value]]);
  return pairs.flatMap(([name, values]) => values.map((value) => `${name}=${value}`)).join('&');
}

/** The app's view of an ALB request: the query exactly as sent (requestQuery), header names lower-cased, the body decoded. */
export function toWorkbenchRequest(event: ALBEvent): WorkbenchRequest {
  const { query, search } = requestQuery(albSearch(event));
  const headers: Record<string, string> = {};
  const headerValues: [string, string[]][] = event.multiValueHeaders
    ? Object.entries(event.multiValueHeaders).map(([name, values]) => [name, values ?? []])
    : Object.entries(event.headers ?? {}).map(([name, value]) => [name, value === undefined ? [] : [value]]);
  for (const [name, values] of headerValues) {
    const lower = name.toLowerCase();
    const all = [...(headers[lower] === undefined ? [] : [headers[lower]]), ...values];
    if (all.length > 0) headers[lower] = all.join(lower === 'cookie' ? '; ' : ', ');
  }
  const body = event.body === null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return { method: event.httpMethod.toUpperCase(), path: event.path, query, search, headers, body };
}

/**
 * The ALB result of an app response: multi-value headers (the target group has them on), with
 * each of the app's newline-joined Set-Cookie values as a header of its own.
 */
export function toAlbResult(response: WorkbenchResponse): ALBResult {
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    multiValueHeaders[name] = name.toLowerCase() === 'set-cookie' ? value.split('\n').filter((cookie) => cookie !== '') : [value];
  }
  return {
    statusCode: response.status,
    statusDescription: `${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}`,
    multiValueHeaders,
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
    const request = toWorkbenchRequest(event);
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

/** The ALB's request as the app's handler reads it, by shape (the Lambda's only other event is the schedule's). */
function isAlbEvent(event: unknown): event is ALBEvent {
  if (typeof event !== 'object' || event === null) return false;
  const fields = event as Partial<Record<keyof ALBEvent, unknown>>;
  return typeof fields.httpMethod === 'string' && typeof fields.path === 'string';
}

export interface WorkbenchFunctionDeps extends WorkbenchLambdaDeps {
  /** WB-BULK-1: the running jobs' advancer (BulkJobs over the workbench's stores). */
  bulk: { advanceUnfinished(options: AdvanceUnfinishedOptions): Promise<BulkAdvanceSummary> };
  /** Epoch ms (default Date.now): the run's own cap counts from it. */
  now?: () => number;
}

/**
 * The function's handler: an ALB request is served by the workbench (createWorkbenchLambda); the
 * schedule's event advances the running bulk jobs within the time left; anything else is refused
 * (an error naming its fields, never their values).
 */
export function createWorkbenchFunction(deps: WorkbenchFunctionDeps): middy.MiddyfiedHandler<ALBEvent | BulkAdvanceEvent, ALBResult | BulkAdvanceSummary, Error, Context> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const serve = createWorkbenchLambda(deps);
  return middy<ALBEvent | BulkAdvanceEvent, ALBResult | BulkAdvanceSummary, Error, Context>().handler(async function workbenchFunction(event: unknown, context) {
    if (isAlbEvent(event)) return serve(event, context);
    if (isBulkAdvanceEvent(event)) {
      const started = now();
      const timeLeftMs = () => Math.min(context.getRemainingTimeInMillis(), started + BULK_ADVANCE_MAX_RUN_MS - now());
      const summary = await deps.bulk.advanceUnfinished({ timeLeftMs, reserveMs: BULK_ADVANCE_RESERVE_MS });
      logger.info('bulk jobs advanced', { ...summary, elapsedMs: now() - started });
      return summary;
    }
    const fields = typeof event === 'object' && event !== null ? Object.keys(event).sort().join(', ') : typeof event;
    logger.error('unrecognised event', { fields });
    throw new Error(`reconcile-workbench: neither an ALB request nor the bulk schedule's event (fields: ${fields})`);
  });
}
