/**
 * FR1: an upstream authorisation record becomes exactly one `payment.authorised` event when
 * it was approved (response code "00"). Parsing, schema validation and the PAN guard live here.
 */
import type { Authorisation, LedgerEvent } from './events';
import { correlationIdFor, deterministicId, EventTypes, EVENT_VERSION } from './events';
import { containsPan, findPan, redactPans } from './pan';
import { MoneyError, toMinorUnits } from './money';

export const APPROVED_RESPONSE_CODE = '00';

export type LineClassification =
  | { kind: 'invalid'; reason: string; redactedLine: string }
  | { kind: 'valid'; authorisation: Authorisation };

/** Schema validation is injected (schemas/index.ts) so the domain stays free of ajv wiring. */
export type AuthorisationValidator = (value: unknown) => Authorisation;

const MAX_KEPT_LINE = 4096;

function redacted(line: string): string {
  const safe = redactPans(line);
  return safe.length > MAX_KEPT_LINE ? `${safe.slice(0, MAX_KEPT_LINE)}…` : safe;
}

/** Classifies one input line. A PAN-like value anywhere rejects the record; its digits are not kept. */
export function classifyLine(line: string, validate: AuthorisationValidator): LineClassification {
  // Fast path: a PAN in the raw text (outside \u escapes) is found without parsing.
  if (containsPan(line)) return { kind: 'invalid', reason: 'record contains a PAN-like number (13-19 digits passing Luhn); only card tokens are accepted', redactedLine: redacted(line) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return { kind: 'invalid', reason: `not JSON: ${(error as Error).message}`, redactedLine: redacted(line) };
  }
  if (line.includes('\\u')) {
    const where = findPan(parsed);
    if (where) return { kind: 'invalid', reason: `field ${where} contains a PAN-like number; only card tokens are accepted`, redactedLine: '[withheld: contains an escaped PAN]' };
  }
  let authorisation: Authorisation;
  try {
    authorisation = validate(parsed);
  } catch (error) {
    return { kind: 'invalid', reason: (error as Error).message, redactedLine: redacted(line) };
  }
  try {
    toMinorUnits(authorisation.amount.value, authorisation.amount.currency);
    if (authorisation.billingAmount) toMinorUnits(authorisation.billingAmount.value, authorisation.billingAmount.currency);
  } catch (error) {
    if (error instanceof MoneyError) return { kind: 'invalid', reason: `amount: ${error.message}`, redactedLine: redacted(line) };
    throw error;
  }
  return { kind: 'valid', authorisation };
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
