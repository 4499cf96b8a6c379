/**
 * API-1, MODE-4: POST /v1/authorisations. The validated authorisation goes to the real-time
 * poster (locally src/modes/real-time.ts RealTimePoster; on AWS the authorise function's handler)
 * and its outcome is the answer: 201 posted, 202 not settled yet (review, pending), 200 for the
 * rest (duplicate, declined, rejected, failed), each with the reason. The payment's id is its
 * transaction (correlation) id, derived from the authorisation, so the same authorisation always
 * has the same payment id; GET /v1/payments/{paymentId} reads its status.
 *
 * API-3: the payment is claimed for the submitting client BEFORE it is posted, so a posted
 * payment always has its owner. The same authorisation sent by another client is not posted and
 * not answered with the payment's outcome (that would show one partner another's payment): 409.
 */
import type { Authorisation } from '../../domain/events';
import { correlationIdFor } from '../../domain/events';
import type { RealTimeOutcome } from '../../modes/outcome';
import type { ApiAnswer } from '../../api/answer';
import type { PaymentOwners } from '../../api/ownership';

/** The real-time poster: one authorisation in, its outcome out once it is settled or parked. */
export type RealTimeAuthoriser = (authorisation: Authorisation) => Promise<RealTimeOutcome>;

/** The HTTP status of each outcome. */
export const OUTCOME_STATUS: Readonly<Record<RealTimeOutcome['outcome'], number>> = {
  posted: 201,
  review: 202,
  pending: 202,
  duplicate: 200,
  declined: 200,
  rejected: 200,
  failed: 200,
};

export function paymentIdOf(authorisation: Authorisation): string {
  return correlationIdFor(authorisation.authorizationId, authorisation.transmittedAt);
}

export function paymentPath(paymentId: string): string {
  return `/v1/payments/${encodeURIComponent(paymentId)}`;
}

export function createSubmitAuthorisation(authorise: RealTimeAuthoriser, owners: PaymentOwners): (authorisation: Authorisation, clientId: string) => Promise<ApiAnswer> {
  return async (authorisation, clientId) => {
    const paymentId = paymentIdOf(authorisation);
    const owner = await owners.claim(paymentId, clientId);
    if (owner !== clientId) {
      return { kind: 'submitted-by-another-client', detail: `authorisation ${authorisation.authorizationId} was submitted by another client: it is not posted again and its payment is not shown` };
    }
    const outcome = await authorise(authorisation);
    const body: Record<string, unknown> = { paymentId, authorizationId: authorisation.authorizationId, outcome: outcome.outcome };
    if ('reason' in outcome) body.reason = outcome.reason;
    if (outcome.outcome === 'posted') {
      body.sequenceId = outcome.sequenceId;
      body.postingRecordId = outcome.postingRecordId;
      body.legs = outcome.legs.map((leg) => ({ legIndex: leg.legIndex, legType: leg.legType, accountId: leg.accountId, direction: leg.direction, amount: leg.amount, valueDate: leg.valueDate }));
    }
    if (outcome.outcome === 'duplicate' && outcome.originalAuthorizationId !== undefined) body.originalAuthorizationId = outcome.originalAuthorizationId;
    body.links = { payment: paymentPath(paymentId) };
    const status = OUTCOME_STATUS[outcome.outcome];
    const headers: Record<string, string> = status === 201 ? { location: paymentPath(paymentId) } : {};
    return { kind: 'ok', status, body, headers };
  };
}
