/**
 * FR2-FR4: duplicate detection on a deterministic business key.
 * Key = network + STAN + RRN + transmission time + amount (never an arrival timestamp).
 */
import { hash } from 'node:crypto';
import type { Authorisation, LedgerEvent } from './events';
import { EventTypes, nextEvent } from './events';
import { canonical } from './money';
import type { DedupClaim, DedupClaimResult } from '../ports';

export interface DedupConfig {
  /** How long a business key blocks duplicates (also the DynamoDB TTL horizon). */
  windowSeconds: number;
}

export const DEFAULT_DEDUP_CONFIG: DedupConfig = { windowSeconds: 7 * 24 * 3600 };

/**
 * The business key: 12 hex digits of the transmission time (Unix ms) then the first 52 hex digits
 * of the SHA-256 of the canonical fields. Time is normalised to UTC milliseconds. The time prefix
 * (itself one of the key's fields) keeps the dedup store's inserts local; 208 hash bits remain.
 */
export function businessKey(authorisation: Authorisation): string {
  const amount = canonical(authorisation.amount);
  const at = Date.parse(authorisation.transmittedAt);
  const transmitted = new Date(at).toISOString();
  const digest = hash('sha256', [authorisation.network, authorisation.stan, authorisation.rrn, transmitted, amount.value, amount.currency].join('|'), 'hex');
  return Math.max(0, Math.min(at, 0xffffffffffff)).toString(16).padStart(12, '0') + digest.slice(0, 52);
}

export function dedupClaim(event: LedgerEvent<'payment.authorised'>, nowEpochSeconds: number, config: DedupConfig): DedupClaim {
  return {
    businessKey: businessKey(event.data.authorisation),
    eventId: event.id,
    authorizationId: event.data.authorisation.authorizationId,
    expiresAt: nowEpochSeconds + config.windowSeconds,
  };
}

export type DedupOutcome =
  | { kind: 'unique'; event: LedgerEvent<'payment.deduplicated'> }
  | { kind: 'redelivery'; event: LedgerEvent<'payment.deduplicated'> }
  | { kind: 'duplicate'; event: LedgerEvent<'payment.duplicate-parked'> };

/**
 * Turns the store's answer into the outcome. A claim held by this very event is a
 * re-delivery (same output again, nothing new); one held by another event is a duplicate.
 */
export function decideDuplicate(event: LedgerEvent<'payment.authorised'>, claim: DedupClaim, result: DedupClaimResult, occurredAt: string): DedupOutcome {
  const source = 'ledgerline.dedup';
  const { authorisation } = event.data;
  if (result.claimed || result.existing.eventId === event.id) {
    const next = nextEvent(event, EventTypes.deduplicated, source, { authorisation, businessKey: claim.businessKey }, occurredAt);
    return { kind: result.claimed ? 'unique' : 'redelivery', event: next };
  }
  const parked = nextEvent(
    event,
    EventTypes.duplicateParked,
    source,
    {
      authorisation,
      businessKey: claim.businessKey,
      reason: 'DUPLICATE_BUSINESS_KEY',
      originalEventId: result.existing.eventId,
      originalAuthorizationId: result.existing.authorizationId,
    },
    occurredAt,
  );
  return { kind: 'duplicate', event: parked };
}
