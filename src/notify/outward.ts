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
import type { StatementRows } from '../recon/statement-rows';
import type { MatchResult } from '../recon/types';
import type { ReconciliationCompletedEvent, WriteOffApprovedEvent } from './mapping';

export type OutwardEvent = ReconciliationCompletedEvent | WriteOffApprovedEvent;

export interface OutwardEventPublisher {
  /** Publishes the event (idempotent by its id). Rejects when it could not be kept: the caller retries. */
  publish(event: OutwardEvent): Promise<void>;
}

/**
 * Never lost, never twice (NOTIFY-1, REC-1): an outbox that can keep events PREPARED under a key,
 * durably and unseen by the notifier, before the commit they announce, and publish them once the
 * commit is known. Whoever owns the commit decides, for a key a crash left prepared, whether its
 * commit happened (publish) or not (discard): `settlePrepared`.
 */
export interface PreparedOutbox extends OutwardEventPublisher {
  /** Keeps `events` under `key` (replacing what the key held), not yet published. */
  prepare(key: string, events: readonly OutwardEvent[]): Promise<void>;
  /** Publishes what `key` holds (each event once, by its id) and forgets the key; nothing when it holds nothing. */
  release(key: string): Promise<void>;
  /** Forgets what `key` holds, unpublished. */
  discard(key: string): Promise<void>;
  /** The keys held under `prefix`, oldest first, with when each was prepared. */
  prepared(prefix: string): Promise<{ key: string; preparedAt: string }[]>;
}

export type PreparedFate = 'publish' | 'discard' | 'keep';

/**
 * Settles what a crash left prepared under `prefix`: `fate(key)` says whether its commit happened
 * ('publish'), never will ('discard') or may still ('keep'). Publishing again what was published
 * is harmless: the event ids are the same, the outbox and the notifier keep each once.
 */
export async function settlePrepared(outbox: PreparedOutbox, prefix: string, fate: (key: string, preparedAt: string) => Promise<PreparedFate>): Promise<{ published: string[]; discarded: string[] }> {
  const published: string[] = [];
  const discarded: string[] = [];
  for (const { key, preparedAt } of await outbox.prepared(prefix)) {
    const decided = await fate(key, preparedAt);
    if (decided === 'publish') {
      await outbox.release(key);
      published.push(key);
    } else if (decided === 'discard') {
      await outbox.discard(key);
      discarded.push(key);
    }
  }
  return { published, discarded };
}

export function isPreparedOutbox(publisher: OutwardEventPublisher): publisher is PreparedOutbox {
  const candidate = publisher as Partial<PreparedOutbox>;
  return typeof candidate.prepare === 'function' && typeof candidate.release === 'function' && typeof candidate.prepared === 'function';
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

/** What reconciliation.completed is built from: the committed run's id, its as-of date, statement lines (as rows: REC-PERF-1) and match result. */
export interface CommittedRun {
  runId: string;
  asOf: string;
  statementLines: StatementRows;
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
  type AccountTotals = { accountId: string; currency: string; matched: number; exceptions: number; unmatchedMinor: bigint; statementDate: string };
  const byAccount = new Map<string, AccountTotals>();
  // The lines read field by field (REC-PERF-1); a statement's lines share their account and currency, so most need no map lookup.
  const rows = run.statementLines;
  let account: AccountTotals | undefined;
  for (let row = 0; row < rows.length; row += 1) {
    const accountId = rows.accountId(row);
    const currency = rows.currency(row);
    if (account === undefined || account.accountId !== accountId || account.currency !== currency) {
      const key = `${accountId}\u001f${currency}`;
      account = byAccount.get(key);
      if (!account) {
        account = { accountId, currency, matched: 0, exceptions: 0, unmatchedMinor: 0n, statementDate: '' };
        byAccount.set(key, account);
      }
    }
    const statementLineId = rows.statementLineId(row);
    if (matched.has(statementLineId)) account.matched += 1;
    if (unmatched.has(statementLineId)) {
      account.exceptions += 1;
      const minor = toMinorUnits(rows.amount(row).replace(/^[-+]/, ''), currency);
      account.unmatchedMinor += minor;
    }
    const bookingDate = rows.bookingDate(row);
    if (bookingDate !== null && bookingDate > account.statementDate) account.statementDate = bookingDate;
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

/**
 * The announcement of committed reconciliation runs through a PreparedOutbox (REC-1, NOTIFY-1),
 * for one run registry (`scope` names it: the keys are `<scope><runId>`): the run's events are
 * prepared before its registry commit (dated at the run's recording), released after it, and
 * `settle` (at the next start, under the registry's writer lock) publishes the prepared runs the
 * registry holds and discards those it does not (interrupted before their commit).
 */
export function runAnnouncer(outbox: PreparedOutbox, scope: string) {
  const key = (runId: string): string => `${scope}${runId}`;
  return {
    prepare: (run: CommittedRun & { recordedAt: Date }) => outbox.prepare(key(run.runId), reconciliationCompletedEvents(run, run.recordedAt.toISOString())),
    committed: (run: { runId: string }) => outbox.release(key(run.runId)),
    settle: (committedRunIds: ReadonlySet<string>) => settlePrepared(outbox, scope, async (prepared) => (committedRunIds.has(prepared.slice(scope.length)) ? 'publish' : 'discard')),
  };
}
