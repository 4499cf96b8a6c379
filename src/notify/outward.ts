/**
 * The outward-event publisher (NOTIFY-1): the port through which reconciliation and the workbench
 * hand the notifier their two events (`reconciliation.completed`, `workbench.write-off-approved`,
 * shapes in ./mapping.ts). Embedded, the notify outbox the notifier drains
 * (src/adapters/embedded/notify-outward.ts); on AWS, the EventBridge bus
 * (src/adapters/aws/notify-outward.ts).
 *
 * Each event's id derives from what it reports (the run, the adjustment), so publishing it again
 * (a retry, a re-submitted approval, a re-run commit) is the same event: the outbox keeps it once
 * and the notifier's delivery ids (deliveryIdFor) derive from it, so nobody is notified twice.
 */
import { deterministicId } from '../domain/events';
import type { Money } from '../domain/money';
import { fromMinorUnits, toMinorUnits } from '../domain/money';
import type { MatchResult, StatementLine } from '../recon/types';
import type { ReconciliationCompletedEvent, WriteOffApprovedEvent } from './mapping';

export type OutwardEvent = ReconciliationCompletedEvent | WriteOffApprovedEvent;

export interface OutwardEventPublisher {
  /** Publishes the event (idempotent by its id). Rejects when it could not be kept: the caller retries. */
  publish(event: OutwardEvent): Promise<void>;
}

/** A write-off was approved and its adjusting entry booked (ADJ-1): one event per adjustment. */
export function writeOffApprovedEvent(input: { caseId: string; adjustmentId: string; amount: Money; approvedBy: string; note?: string; at: string }): WriteOffApprovedEvent {
  const { caseId, adjustmentId, amount, approvedBy, note, at } = input;
  return {
    id: deterministicId('workbench.write-off-approved', adjustmentId),
    type: 'workbench.write-off-approved',
    occurredAt: at,
    correlationId: deterministicId('workbench.case', caseId),
    data: { caseId, amount, approvedBy, ...(note !== undefined && note !== '' ? { note } : {}) },
  };
}

/** What reconciliation.completed is built from: the committed run's id, its as-of date, statement lines and match result. */
export interface CommittedRun {
  runId: string;
  asOf: string;
  statementLines: readonly StatementLine[];
  result: MatchResult;
}

/**
 * `reconciliation.completed` for a committed run: one event per statement account and currency
 * (what finance reconciles), with the statement lines matched, the statement lines left as
 * exceptions and their total (exact, the absolute amounts summed in minor units), dated by the
 * account's latest booking date (the run's as-of date when no line has one). Ids derive from the
 * run, the account and the currency: publishing them again is publishing the same events.
 */
export function reconciliationCompletedEvents(run: CommittedRun, at: string): ReconciliationCompletedEvent[] {
  const matched = new Set(run.result.matches.flatMap((match) => match.statementLineIds));
  const unmatched = new Set(run.result.unmatched.filter((item) => item.side === 'statement').map((item) => item.id));
  const byAccount = new Map<string, { accountId: string; currency: string; matched: number; exceptions: number; unmatchedMinor: bigint; statementDate: string }>();
  for (const line of run.statementLines) {
    const key = `${line.accountId}\u001f${line.currency}`;
    let account = byAccount.get(key);
    if (!account) {
      account = { accountId: line.accountId, currency: line.currency, matched: 0, exceptions: 0, unmatchedMinor: 0n, statementDate: '' };
      byAccount.set(key, account);
    }
    if (matched.has(line.statementLineId)) account.matched += 1;
    if (unmatched.has(line.statementLineId)) {
      account.exceptions += 1;
      const minor = toMinorUnits(line.amount.replace(/^[-+]/, ''), line.currency);
      account.unmatchedMinor += minor;
    }
    if (line.bookingDate !== null && line.bookingDate > account.statementDate) account.statementDate = line.bookingDate;
  }
  return [...byAccount.values()]
    .sort((a, b) => (a.accountId + a.currency < b.accountId + b.currency ? -1 : 1))
    .map((account) => ({
      id: deterministicId('reconciliation.completed', run.runId, account.accountId, account.currency),
      type: 'reconciliation.completed' as const,
      occurredAt: at,
      correlationId: deterministicId('reconciliation.run', run.runId),
      data: {
        runId: run.runId,
        accountId: account.accountId,
        // The template shows an instant: the date's start, UTC.
        statementDate: `${(account.statementDate || run.asOf).slice(0, 10)}T00:00:00.000Z`,
        matched: account.matched,
        exceptions: account.exceptions,
        unmatchedTotal: { value: fromMinorUnits(account.unmatchedMinor, account.currency), currency: account.currency },
      },
    }));
}
