/**
 * API-2, API-4: what a request must be before it reaches a use case, checked in this order (the
 * first fault answers; a fault names the field, never its value, PCI-3):
 * 1. the body within the limit (413), JSON by content type (415), UTF-8 (400);
 * 2. JSON (400), strict JSON (ING-1: one object, bounded depth, no duplicate names; 400);
 * 3. no card number in any string, number or member name (422 naming the field; the number is
 *    never echoed, logged or stored), nor in the raw text (a number too long for a double);
 * 4. the schema (422 naming every failing field as a JSON pointer);
 * 5. the domain's own checks of an authorisation (ING-2 timestamps, ING-3 exact non-zero amounts),
 *    through the one classifier every mode uses (src/domain/ingest.ts).
 * Path and query parameters and the Idempotency-Key header get the card-number guard too.
 */
import type { Authorisation } from '../domain/events';
import { AUTHORISATION_TIMESTAMP_FIELDS, classifyLine } from '../domain/ingest';
import { timestampFault } from '../domain/timestamps';
import { containsPan, findPan } from '../domain/pan';
import { strictJsonFault } from '../domain/strict-json';
import { schemaFaults, type ApiSchemaName } from '../../schemas/api';
import { validateAuthorisation } from '../../schemas';
import { problemResponse, type ApiResponse, type FieldError } from './http';

/** API-4: the default body limit. An authorisation is well under 2 KiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

export type Checked<T> = { ok: true; value: T } | { ok: false; response: ApiResponse };

const CARD_DETAIL = 'holds a card number: send the card token (panToken), never the number';

/** `$.merchant.name` / `$.a[2]` / `$.merchant{key}` (findPan's path) → a JSON pointer (`/merchant/name`; a member name is its own pointer). */
export function pointerOf(findPanPath: string): string {
  let rest = findPanPath.startsWith('$') ? findPanPath.slice(1) : findPanPath;
  let pointer = '';
  while (rest.length > 0) {
    if (rest.startsWith('{key}')) {
      rest = rest.slice(5);
      continue;
    }
    const index = /^\[(\d+)\]/.exec(rest);
    if (index) {
      pointer += `/${index[1]}`;
      rest = rest.slice(index[0].length);
      continue;
    }
    // `.name`: up to the next `.`, `[` or `{key}` (member names with those characters are rare; the pointer stays a best reading).
    const member = /^\.((?:(?!\{key\})[^.[])*)/.exec(rest)!;
    pointer += `/${member[1]!.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    rest = rest.slice(member[0].length);
  }
  return pointer;
}

function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type ?? '')) return false;
  return parameters.every((parameter) => !parameter.startsWith('charset=') || parameter === 'charset=utf-8' || parameter === 'charset="utf-8"');
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The body as a JSON value, or the problem that refuses it (steps 1–3). */
export function parseJsonBody(request: { body: Uint8Array | undefined; headers: Readonly<Record<string, string>>; requestId: string }, limitBytes: number): Checked<unknown> {
  const { requestId } = request;
  if (request.body === undefined || request.body.length === 0) return { ok: false, response: problemResponse('malformed-request', 'a JSON body is required', { requestId }) };
  if (request.body.length > limitBytes) return { ok: false, response: problemResponse('body-too-large', `the body is over the limit of ${limitBytes} bytes`, { requestId }) };
  if (!isJsonContentType(request.headers['content-type'])) {
    return { ok: false, response: problemResponse('unsupported-media-type', 'the body must be application/json (UTF-8)', { requestId }) };
  }
  let text: string;
  try {
    text = decoder.decode(request.body);
  } catch {
    return { ok: false, response: problemResponse('malformed-request', 'the body is not valid UTF-8', { requestId }) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: its text may still carry a card number (PCI-3: refused as such, never echoed).
    if (containsPan(text)) return { ok: false, response: cardNumber('body', '', requestId) };
    return { ok: false, response: problemResponse('malformed-request', 'the body is not JSON', { requestId }) };
  }
  const fault = strictJsonFault(text, parsed);
  if (fault) return { ok: false, response: problemResponse('malformed-request', `the body is not strict JSON: ${fault.reason}`, { requestId }) };
  const where = findPan(parsed);
  if (where !== undefined) return { ok: false, response: cardNumber('body', pointerOf(where), requestId) };
  // A number too long for a double no longer spells its digits once parsed: judge the text too.
  if (containsPan(text)) return { ok: false, response: cardNumber('body', '', requestId) };
  return { ok: true, value: parsed };
}

export function cardNumber(location: FieldError['in'], field: string, requestId: string): ApiResponse {
  return problemResponse('card-number', `${location} ${location === 'body' ? `field "${field}"` : `"${field}"`} ${CARD_DETAIL}`, { requestId, errors: [{ in: location, field, detail: CARD_DETAIL }] });
}

export function invalidFields(errors: FieldError[], requestId: string): ApiResponse {
  const names = errors.map((error) => (error.in === 'body' ? error.field || '(body)' : `${error.in} ${error.field}`));
  return problemResponse('invalid-fields', `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${names.join(', ')}`, { requestId, errors });
}

/** Step 4 against any API schema. */
export function checkSchema(name: ApiSchemaName, value: unknown, requestId: string): Checked<unknown> {
  const faults = schemaFaults(name, value);
  if (faults.length === 0) return { ok: true, value };
  return {
    ok: false,
    response: invalidFields(
      faults.map((fault) => ({ in: 'body', field: fault.pointer, detail: fault.detail })),
      requestId,
    ),
  };
}

/** The field a domain reason names (classifyLine's reasons start with the field, or name it in parentheses). */
function fieldOfReason(reason: string): string {
  const zero = /^zero amount \((amount|billingAmount)\)/.exec(reason);
  if (zero) return `/${zero[1]}/value`;
  const money = /^(amount|billingAmount)\.(value|currency): /.exec(reason);
  if (money) return `/${money[1]}/${money[2]}`;
  const named = /^([A-Za-z]+): /.exec(reason);
  return named ? `/${named[1]}` : '';
}

/** Steps 4–5 for an authorisation: the schema, then the domain's checks. */
export function checkAuthorisation(value: unknown, requestId: string): Checked<Authorisation> {
  const faults = schemaFaults('Authorisation', value);
  if (faults.length > 0) {
    // ING-2 timestamps the schema's format lets through are named alongside the schema's faults.
    const named = new Set(faults.map((fault) => fault.pointer));
    for (const field of AUTHORISATION_TIMESTAMP_FIELDS) {
      const text = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
      const fault = typeof text === 'string' && !named.has(`/${field}`) ? timestampFault(text) : undefined;
      if (fault) faults.push({ pointer: `/${field}`, detail: fault });
    }
    return {
      ok: false,
      response: invalidFields(
        faults.map((fault) => ({ in: 'body', field: fault.pointer, detail: fault.detail })),
        requestId,
      ),
    };
  }
  const classified = classifyLine(JSON.stringify(value), validateAuthorisation);
  if (classified.kind === 'valid') return { ok: true, value: classified.authorisation };
  return { ok: false, response: invalidFields([{ in: 'body', field: fieldOfReason(classified.reason), detail: classified.reason }], requestId) };
}

/**
 * Compiles both validators an authorisation passes (the API's request schemas and the event
 * contracts) ahead of the first request. Each compiles lazily on first use, every schema at once,
 * which otherwise lands on the first request while a server's opening burst queues behind it.
 */
export function compileRequestValidators(): void {
  schemaFaults('Authorisation', {});
  classifyLine('{}', validateAuthorisation);
}
