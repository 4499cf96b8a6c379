/**
 * MODE-4: one authorisation's outcome, read from what the hot path did with it: the outward
 * events it published (FUSE-2) and the sequences it recorded. Pure: the local real-time poster
 * (src/modes/real-time.ts) and the AWS function (functions/authorise) answer with it alike.
 */
import type { Authorisation, LedgerEvent, PostingLeg } from '../domain/events';
import { isApproved } from '../domain/ingest';

/** A leg as the caller sees it: exact money as a decimal string with its currency. */
export interface OutcomeLeg {
  legIndex: number;
  legType: PostingLeg['legType'];
  accountId: string;
  direction: PostingLeg['direction'];
  amount: PostingLeg['amount'];
  valueDate: string;
}

export type RealTimeOutcome =
  | { outcome: 'posted'; authorizationId: string; correlationId: string; sequenceId: string; postingRecordId: string; legs: OutcomeLeg[] }
  | { outcome: 'duplicate'; authorizationId: string; reason: string; originalAuthorizationId?: string }
  | { outcome: 'declined'; authorizationId: string; reason: string }
  | { outcome: 'review'; authorizationId: string; reason: string }
  | { outcome: 'rejected'; authorizationId?: string; reason: string }
  | { outcome: 'failed'; authorizationId: string; reason: string }
  | { outcome: 'pending'; authorizationId: string; reason: string };

/** The sequences the hot path recorded (posting.recorded's data, or the ledger's input). */
export interface RecordedSequence {
  sequenceId: string;
  legs: readonly PostingLeg[];
}

/** The outcome of `authorisation` from the events published and the sequences recorded while it ran. */
export function outcomeFromEvents(authorisation: Authorisation, events: readonly LedgerEvent[], sequences: readonly RecordedSequence[]): RealTimeOutcome {
  const authorizationId = authorisation.authorizationId;
  if (!isApproved(authorisation)) return { outcome: 'declined', authorizationId, reason: `declined by the issuer (response code ${authorisation.responseCode}): not posted` };
  for (const event of events) {
    switch (event.type) {
      case 'payment.duplicate-parked':
        return {
          outcome: 'duplicate',
          authorizationId,
          reason: `${event.data.reason}: the same payment as authorisation ${event.data.originalAuthorizationId}; parked, not posted`,
          originalAuthorizationId: event.data.originalAuthorizationId,
        };
      case 'payment.rejected':
        return { outcome: 'rejected', authorizationId, reason: `${event.data.reason}: ${event.data.detail}` };
      case 'payment.rules-decided':
        if (event.data.decision.outcome === 'decline' || event.data.decision.outcome === 'review') {
          const rules = event.data.decision.firedRules.join(', ') || 'none';
          return {
            outcome: event.data.decision.outcome === 'decline' ? 'declined' : 'review',
            authorizationId,
            reason: `rule set ${event.data.decision.ruleSetId} v${event.data.decision.ruleSetVersion}: ${event.data.decision.outcome} (rules fired: ${rules})`,
          };
        }
        break;
      case 'posting.completed': {
        const sequence = sequences.find((candidate) => candidate.sequenceId === event.data.sequenceId);
        const legs = (sequence?.legs ?? []).map((leg): OutcomeLeg => ({
          legIndex: leg.legIndex,
          legType: leg.legType,
          accountId: leg.accountId,
          direction: leg.direction,
          amount: leg.amount,
          valueDate: leg.valueDate,
        }));
        return { outcome: 'posted', authorizationId, correlationId: event.correlationId, sequenceId: event.data.sequenceId, postingRecordId: event.data.postingRecordId, legs };
      }
      case 'posting.failed':
        return { outcome: 'failed', authorizationId, reason: `${event.data.stage}: ${event.data.reason} (after ${event.data.attempts} attempts)` };
      default:
        break;
    }
  }
  return { outcome: 'pending', authorizationId, reason: 'not settled in this call (RETRYING or RUNNING): the sweeper re-drives it' };
}
