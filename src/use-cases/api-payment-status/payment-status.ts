/**
 * API-1: GET /v1/payments/{paymentId}, the payment's lifecycle status, read from the stores the
 * hot path writes (never from an event): the ledger (its sequence recorded ⇒ posted), the
 * transaction-state store (SWEEP-1: RUNNING, RETRYING, FAILED, COMPLETED; the failure path only)
 * and the rules decisions (review, decline). A payment none of them knows is not found: never
 * received, or answered without entering the ledger path (an issuer decline, a duplicate, a
 * rejection), which POST /v1/authorisations answered with its reason.
 *
 * API-3: a client sees only the payments it submitted. Another client's payment, or one no client
 * submitted through the API, is answered exactly as a payment that does not exist (404 with the
 * same detail), before any store is read.
 */
import { sequenceIdFor } from '../../domain/posting';
import type { DecisionStore, RecordedSequences, TransactionStateStore } from '../../ports';
import type { ApiAnswer } from '../../api/answer';
import type { PaymentOwners } from '../../api/ownership';

export interface PaymentStatusDeps {
  ledger: RecordedSequences;
  transactions: Pick<TransactionStateStore, 'get'>;
  decisions: Pick<DecisionStore, 'get'>;
  owners: Pick<PaymentOwners, 'ownerOf'>;
}

const TRANSACTION_STATUS = { RUNNING: 'processing', RETRYING: 'retrying', FAILED: 'failed', COMPLETED: 'completed' } as const;

/** The one answer for a payment this client may not see: absent, or another client's. */
function notFound(paymentId: string): ApiAnswer {
  return { kind: 'not-found', detail: `no payment ${paymentId} of this client` };
}

export function createPaymentStatus(deps: PaymentStatusDeps): (paymentId: string, clientId: string) => Promise<ApiAnswer> {
  return async (paymentId, clientId) => {
    if ((await deps.owners.ownerOf(paymentId)) !== clientId) return notFound(paymentId);
    const sequenceId = sequenceIdFor(paymentId);
    if (await deps.ledger.hasSequence(sequenceId)) return { kind: 'ok', status: 200, body: { paymentId, status: 'posted', sequenceId } };
    const transaction = await deps.transactions.get(paymentId);
    if (transaction) {
      const body: Record<string, unknown> = {
        paymentId,
        status: TRANSACTION_STATUS[transaction.status],
        authorizationId: transaction.authorizationId,
        attempts: transaction.attempts,
        updatedAt: transaction.updatedAt,
      };
      if (transaction.stage !== undefined) body.stage = transaction.stage;
      if (transaction.lastError !== undefined && transaction.status !== 'COMPLETED') body.reason = transaction.lastError.slice(0, 2000);
      return { kind: 'ok', status: 200, body };
    }
    const decision = await deps.decisions.get(paymentId);
    if (decision && (decision.outcome === 'review' || decision.outcome === 'decline')) {
      const rules = decision.firedRules.join(', ') || 'none';
      return {
        kind: 'ok',
        status: 200,
        body: {
          paymentId,
          status: decision.outcome === 'review' ? 'review' : 'declined',
          reason: `rule set ${decision.ruleSetId} v${decision.ruleSetVersion}: ${decision.outcome} (rules fired: ${rules})`,
          ...(decision.reasons && decision.reasons.length > 0 ? { reasons: decision.reasons } : {}),
        },
      };
    }
    return notFound(paymentId);
  };
}
