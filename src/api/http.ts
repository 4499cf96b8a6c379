/**
 * The core request and response of the payments API (API-1..5): what the local server (Hono) and
 * the Lambda handler (API Gateway HTTP API v2) both turn their requests into, so one handler
 * serves both. Pure: no server, AWS or storage import.
 */

export interface ApiRequest {
  method: string;
  /** The path without the query string, as received (percent-encoding kept). */
  path: string;
  /** Header names lower-cased; a repeated header joined with ", " (as both adapters deliver them). */
  headers: Readonly<Record<string, string>>;
  /** Query parameters (first value of each). */
  query: Readonly<Record<string, string>>;
  /**
   * The body's bytes, or undefined when there is none. An adapter may stop reading after
   * `limit + 1` bytes (the core refuses anything over the limit with 413 without looking further).
   */
  body: Uint8Array | undefined;
  /** The request id the adapter assigned (API Gateway's requestId, or a generated one). */
  requestId: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const JSON_CONTENT_TYPE = 'application/json';

/** Where a faulty field is: a JSON pointer into the body, or the name of a path or query parameter or header. */
export interface FieldError {
  in: 'body' | 'path' | 'query' | 'header';
  field: string;
  detail: string;
}

/** A problem-details document (RFC 9457, schemas/api/problem.schema.json). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
}

const PROBLEM_BASE = 'https://ledgerline.bank/problems/';

/** The problem kinds the API answers with: slug, status, title. One definition (docs/api.md lists them from here). */
export const PROBLEMS = {
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  'insufficient-scope': { status: 403, title: 'Forbidden: insufficient scope' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'body-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'malformed-request': { status: 400, title: 'Malformed request' },
  'idempotency-key-required': { status: 400, title: 'Idempotency-Key required' },
  'idempotency-key-reused': { status: 409, title: 'Idempotency-Key reused with a different request' },
  'request-in-progress': { status: 409, title: 'A request with this Idempotency-Key is in progress' },
  'submitted-by-another-client': { status: 409, title: 'Payment submitted by another client' },
  'card-number': { status: 422, title: 'Card number refused' },
  'invalid-fields': { status: 422, title: 'Invalid fields' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEMS;

export function problemType(kind: ProblemKind): string {
  return `${PROBLEM_BASE}${kind}`;
}

/** A problem response: application/problem+json, with any extra headers (WWW-Authenticate, Retry-After, Allow). */
export function problemResponse(kind: ProblemKind, detail: string, options: { requestId?: string; instance?: string; errors?: FieldError[]; headers?: Record<string, string> } = {}): ApiResponse {
  const { status, title } = PROBLEMS[kind];
  const problem: Problem = { type: problemType(kind), title, status, detail };
  if (options.instance !== undefined) problem.instance = options.instance;
  if (options.requestId !== undefined) problem.requestId = options.requestId;
  if (options.errors && options.errors.length > 0) problem.errors = options.errors;
  return { status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...options.headers }, body: JSON.stringify(problem) };
}

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(value) };
}
