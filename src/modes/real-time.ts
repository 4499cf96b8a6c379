/**
 * MODE-4 (FR11): real-time mode locally. One authorisation in, its outcome out, synchronously:
 * posted (with its sequence id, posting record id and legs), or duplicate / declined / review /
 * rejected / failed with the reason. Each call is one committed wave of the embedded runtime
 * (src/runtime/embedded-runtime.ts): the same ingest, the same hot-path handlers and stores as
 * `post`, the batch inbox and the tail (MODE-5), so it posts nothing twice however often an
 * authorisation is sent.
 *
 * A partitioned state (PART-1) is honoured: the line is routed to its partition through the
 * state's routing table exactly as the partitioned coordinator routes it.
 */
import type { Authorisation, PostingLeg } from '../domain/events';
import { classifyLine, isApproved, withoutByteOrderMark } from '../domain/ingest';
import { validateAuthorisation } from '../../schemas';
import { StatePoster, type StatePosterOptions, type WaveResult } from './state-poster';

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

export interface RealTimeOptions extends StatePosterOptions {
  /** The source name recorded with each authorisation (default: payments-api). */
  source?: string;
}

/**
 * Posts authorisations one at a time against a state directory. Calls are serialised (one wave
 * at a time); the caller holds the state's writer lock (LOCK-1) for the poster's lifetime.
 */
export class RealTimePoster {
  private readonly poster: StatePoster;
  private readonly source: string;
  private received = 0;

  constructor(options: RealTimeOptions) {
    this.poster = new StatePoster(options);
    this.source = options.source ?? 'payments-api';
  }

  /** One authorisation (an object, or its JSON text) → its outcome, once its wave is committed. */
  async postOne(input: unknown): Promise<RealTimeOutcome> {
    const line = typeof input === 'string' ? withoutByteOrderMark(input.trim()) : JSON.stringify(input);
    if (line === undefined || line === '') return { outcome: 'rejected', reason: 'empty input: expected one authorisation as a JSON object' };
    this.received += 1;
    // The line goes through the runtime even when invalid: it is dead-lettered with its reason (nothing lost).
    const wave = await this.poster.postWave([{ lineNo: this.received, text: line }], this.source);
    const classified = classifyLine(line, validateAuthorisation);
    if (classified.kind === 'invalid') return { outcome: 'rejected', reason: classified.reason };
    return outcomeOf(classified.authorisation, wave);
  }

  close(): void {
    this.poster.close();
  }
}

function outcomeOf(authorisation: Authorisation, { summary, events, sequences }: WaveResult): RealTimeOutcome {
  const authorizationId = authorisation.authorizationId;
  if (summary.replayed > 0) return { outcome: 'duplicate', authorizationId, reason: `authorisation ${authorizationId} was received before: nothing posted again` };
  if (summary.notApproved > 0 || !isApproved(authorisation))
    return { outcome: 'declined', authorizationId, reason: `declined by the issuer (response code ${authorisation.responseCode}): not posted` };
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
