/**
 * API-1: GET /v1/payments/{paymentId}, the payment's lifecycle status, read from the stores the
 * hot path writes (never from an event): the ledger (its sequence recorded ⇒ posted), the
 * transaction-state store (SWEEP-1: RUNNING, RETRYING, FAILED, COMPLETED; the failure path only)
 * and the rules decisions (review, decline). A payment none of them knows is not found: never
 * received, or answered without entering the ledger path (an issuer decline, a duplicate, a
 * rejection), which POST /v1/authorisations answered with its reason.
 */
import { sequenceIdFor } from '../../domain/posting';
import type { DecisionStore, RecordedSequences, TransactionStateStore } from '../../ports';
import type { ApiAnswer } from '../../api/answer';

export interface PaymentStatusDeps {
  ledger: RecordedSequences;
  transactions: Pick<TransactionStateStore, 'get'>;
  decisions: Pick<DecisionStore, 'get'>;
}

const TRANSACTION_STATUS = { RUNNING: 'processing', RETRYING: 'retrying', FAILED: 'failed', COMPLETED: 'completed' } as const;

export function createPaymentStatus(deps: PaymentStatusDeps): (paymentId: string) => Promise<ApiAnswer> {
  return async (paymentId) => {
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
        },
      };
    }
    return { kind: 'not-found', detail: `no payment ${paymentId} in the ledger, the transaction states or the rules decisions` };
  };
}
