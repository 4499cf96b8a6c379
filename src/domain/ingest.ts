/**
 * FR1: an upstream authorisation record becomes exactly one `payment.authorised` event when
 * it was approved (response code "00"). Parsing, schema validation and the PAN guard live here.
 *
 * What a line must be before it is a payment, in the order checked (the first fault is the
 * reason; a line can fail only itself, ING-4):
 * 1. no card number in the raw text of a line without escapes (PCI-3);
 * 2. JSON (JSON.parse: native, iterative);
 * 3. strict JSON (ING-1, src/domain/strict-json.ts): one object, at most 32 deep, no duplicate
 *    member names after unescaping, no lone surrogates; checked before anything walks the value;
 * 4. no card number in any string or name of a line with escapes, as parsed (PCI-3);
 * 5. the schema (schemas/authorisation.schema.json);
 * 6. every timestamp a real RFC 3339 instant in 2000-2099 (ING-2, src/domain/timestamps.ts);
 * 7. amounts exact in their currency, and not zero (ING-3).
 */
import type { Authorisation, LedgerEvent } from './events';
import { correlationIdFor, deterministicId, EventTypes, EVENT_VERSION } from './events';
import { containsPan, findPan, redactPans } from './pan';
import { currencyExponent, isKnownCurrency, MoneyError, toMinorUnits } from './money';
import { strictJsonFault } from './strict-json';
import { timestampFault } from './timestamps';

export const APPROVED_RESPONSE_CODE = '00';

export type LineClassification = { kind: 'invalid'; reason: string; redactedLine: string } | { kind: 'valid'; authorisation: Authorisation };

/** Schema validation is injected (schemas/index.ts) so the domain stays free of ajv wiring. */
export type AuthorisationValidator = (value: unknown) => Authorisation;

const MAX_KEPT_LINE = 4096;

/** The authorisation's date-time fields (ING-2); test/domain/ingest-input.test.ts holds this to the schema. */
export const AUTHORISATION_TIMESTAMP_FIELDS = ['transmittedAt'] as const;

/** The UTF-8 byte-order mark as it reads in a decoded line (ING-1: ignored on a file's first line). */
export const BYTE_ORDER_MARK = '\uFEFF';

/** A file's first line without its byte-order mark, as every reader takes it (ING-1). */
export function withoutByteOrderMark(firstLine: string): string {
  return firstLine.startsWith(BYTE_ORDER_MARK) ? firstLine.slice(1) : firstLine;
}

/**
 * The line as kept in a dead letter: PAN-like runs masked, at most MAX_KEPT_LINE characters. A
 * line whose escapes spell a card number is withheld whole (PCI-3): the line may not be JSON that
 * findPan could walk, and containsPan judges escaped text by its decoded value.
 */
function redacted(line: string): string {
  if (line.includes('\\') && containsPan(line)) return '[withheld: contains an escaped PAN]';
  const safe = redactPans(line);
  return safe.length > MAX_KEPT_LINE ? `${safe.slice(0, MAX_KEPT_LINE)}…` : safe;
}

/**
 * JSON.parse's message without the excerpt of the line it may quote (`Unexpected token 'o',
 * "not json" is not valid JSON`): a reason names the fault, never content (PCI-3). A quoted
 * character that is not printable ASCII is given by its code.
 */
function jsonErrorReason(message: string): string {
  return message.replace(/, ".*" is not valid JSON$/s, '').replace(/'([^\x20-\x7e])'/g, (_quoted, char: string) => `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

function invalid(reason: string, line: string): LineClassification {
  return { kind: 'invalid', reason, redactedLine: redacted(line) };
}

/** ING-2: the first authorisation timestamp that is not a real instant, named with its fault. */
export function authorisationTimestampFault(authorisation: Authorisation): string | undefined {
  for (const field of AUTHORISATION_TIMESTAMP_FIELDS) {
    const value = authorisation[field] as string | undefined;
    if (value === undefined) continue;
    const fault = timestampFault(value);
    if (fault) return `${field}: ${fault}`;
  }
  return undefined;
}

/** Classifies one input line. A PAN-like value anywhere rejects the record; its digits are not kept. */
export function classifyLine(line: string, validate: AuthorisationValidator): LineClassification {
  // A line with escapes is checked for card numbers in its parsed strings below, never in its raw
  // text: the hex digits of a \u escape are not digits of the value, and the verdict must not depend
  // on the spelling (ING-5). Without escapes, the raw text is the strings: a fast path, no parse.
  const escaped = line.includes('\\');
  if (!escaped && containsPan(line)) return invalid('record contains a PAN-like number (13-19 digits passing Luhn); only card tokens are accepted', line);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return invalid(`not JSON: ${jsonErrorReason((error as Error).message)}`, line);
  }
  // ING-1, before anything walks the value: depth is bounded from here on.
  const fault = strictJsonFault(line, parsed);
  if (fault) return invalid(`not strict JSON: ${fault.reason}`, line);
  if (escaped) {
    const where = findPan(parsed);
    if (where) return { kind: 'invalid', reason: `field ${where} contains a PAN-like number; only card tokens are accepted`, redactedLine: '[withheld: contains an escaped PAN]' };
  }
  let authorisation: Authorisation;
  try {
    authorisation = validate(parsed);
  } catch (error) {
    return invalid((error as Error).message, line);
  }
  const timestamp = authorisationTimestampFault(authorisation);
  if (timestamp) return invalid(timestamp, line);
  const amount = minorUnitsOrFault('amount', authorisation.amount);
  if (typeof amount === 'string') return invalid(amount, line);
  const billing = authorisation.billingAmount ? minorUnitsOrFault('billingAmount', authorisation.billingAmount) : undefined;
  if (typeof billing === 'string') return invalid(billing, line);
  // ING-3: a zero amount is not a posting.
  if (amount === 0n) return invalid('zero amount (amount)', line);
  if (billing === 0n) return invalid('zero amount (billingAmount)', line);
  return { kind: 'valid', authorisation };
}

/**
 * ING-2: a money field's minor units, or the dead-letter reason naming its path and the rule it
 * breaks (never its value, README "What an input line must be").
 */
function minorUnitsOrFault(path: 'amount' | 'billingAmount', money: { value: string; currency: string }): bigint | string {
  try {
    return toMinorUnits(money.value, money.currency);
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
    // The schema holds a currency to three capital letters: the code is shown, as the one value that explains the fault.
    if (!isKnownCurrency(money.currency)) return `${path}.currency: ${error.message}`;
    const places = /\.([0-9]*)$/.exec(money.value)?.[1]?.length ?? 0;
    const exponent = currencyExponent(money.currency);
    return places > exponent ? `${path}.value: has ${places} decimal places; ${money.currency} allows ${exponent}` : `${path}.value: not a decimal string`;
  }
}

export function isApproved(authorisation: Authorisation): boolean {
  return authorisation.responseCode === APPROVED_RESPONSE_CODE;
}

/** The post-authorisation event. Its id derives from the authorisation id: one per authorisation. */
export function authorisedEvent(authorisation: Authorisation, occurredAt: string): LedgerEvent<'payment.authorised'> {
  return {
    id: deterministicId(EventTypes.authorised, authorisation.authorizationId),
    type: EventTypes.authorised,
    version: EVENT_VERSION,
    occurredAt,
    correlationId: correlationIdFor(authorisation.authorizationId, authorisation.transmittedAt),
    causationId: authorisation.authorizationId,
    source: 'ledgerline.ingest',
    data: { authorisation },
  };
}
