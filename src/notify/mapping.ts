/**
 * Which events notify whom, with what (NOTIFY-1, HOOK-2): ONE definition, read by the notifier
 * (src/use-cases/notify), the docs and the tests.
 *
 * The inputs are the outward lifecycle events (the ones that leave the hot path and are archived:
 * src/use-cases/replay/archive-pattern.ts) and two events of reconciliation and the workbench whose
 * shape is declared here (`reconciliation.completed`, `workbench.write-off-approved`).
 *
 * Audiences:
 * - customer: the account holder, on the channels their contact record allows (email, sms, push);
 * - partners: every webhook subscription to the purpose (the webhook event type is the purpose);
 * - operations: the configured operations recipients (email).
 */
import type { Authorisation, LedgerEvent } from '../domain/events';
import { deterministicId, EventTypes } from '../domain/events';
import type { Money } from '../domain/money';
import type { Purpose } from './catalogue';
import type { Variables } from './render';

export type Audience = 'customer' | 'partners' | 'operations';

/** A reconciliation run finished (emitted by the reconciliation run; shape owned here). */
export interface ReconciliationCompletedEvent {
  id: string;
  type: 'reconciliation.completed';
  occurredAt: string;
  correlationId: string;
  data: { runId: string; accountId: string; statementDate: string; matched: number; exceptions: number; unmatchedTotal: Money };
}

/** A write-off was approved on the workbench and its adjusting entry posted (ADJ-1). */
export interface WriteOffApprovedEvent {
  id: string;
  type: 'workbench.write-off-approved';
  occurredAt: string;
  correlationId: string;
  data: { caseId: string; amount: Money; approvedBy: string; note?: string };
}

export type NotifiableEvent = LedgerEvent | ReconciliationCompletedEvent | WriteOffApprovedEvent;

/** Who the customer audience is for an event: the account, the card. */
export interface CustomerRef {
  accountId?: string;
  panToken?: string;
}

export interface NotificationIntent {
  eventId: string;
  eventType: string;
  occurredAt: string;
  purpose: Purpose;
  audiences: readonly Audience[];
  customer?: CustomerRef;
  variables: Variables;
}

/** The routes, as data: event (and outcome) → purpose → audiences. */
export const NOTIFICATION_ROUTES: readonly { event: string; when?: string; purpose: Purpose; audiences: readonly Audience[] }[] = [
  { event: EventTypes.postingCompleted, purpose: 'payment.posted', audiences: ['customer', 'partners'] },
  { event: EventTypes.rulesDecided, when: 'decision.outcome = decline', purpose: 'payment.declined', audiences: ['customer', 'partners'] },
  { event: EventTypes.rulesDecided, when: 'decision.outcome = review', purpose: 'payment.held-for-review', audiences: ['customer', 'partners'] },
  { event: EventTypes.rejected, purpose: 'payment.rejected', audiences: ['partners'] },
  { event: EventTypes.postingFailed, purpose: 'payment.failed', audiences: ['partners', 'operations'] },
  { event: 'reconciliation.completed', purpose: 'reconciliation.summary', audiences: ['operations', 'partners'] },
  { event: 'workbench.write-off-approved', purpose: 'write-off.approved', audiences: ['operations', 'partners'] },
];

function routeFor(event: string, when?: string): { purpose: Purpose; audiences: readonly Audience[] } {
  const route = NOTIFICATION_ROUTES.find((candidate) => candidate.event === event && candidate.when === when);
  if (!route) throw new Error(`no notification route for ${event}${when ? ` when ${when}` : ''}`);
  return route;
}

/**
 * The authorisation whose details an event's notification needs but does not carry (a completed
 * posting names only its authorisation id): the notifier looks it up (PaymentFacts port).
 */
export function authorisationNeeded(event: NotifiableEvent): string | undefined {
  return event.type === EventTypes.postingCompleted ? event.data.authorizationId : undefined;
}

function paymentVariables(authorisation: Authorisation): Record<string, Variables[string]> {
  return {
    amount: authorisation.amount,
    merchant: authorisation.merchant.name,
    card: { panToken: authorisation.panToken },
    reference: authorisation.authorizationId,
  };
}

/**
 * The notification an event causes, or undefined when it notifies nobody (an approval before
 * posting, a parked duplicate, intermediate hot-path events). `authorisation` is the looked-up
 * authorisation when `authorisationNeeded(event)` named one.
 */
export function notificationFor(event: NotifiableEvent, authorisation?: Authorisation): NotificationIntent | undefined {
  const base = { eventId: event.id, eventType: event.type, occurredAt: event.occurredAt };
  switch (event.type) {
    case EventTypes.postingCompleted: {
      if (!authorisation) throw new Error(`posting.completed ${event.id}: the authorisation ${event.data.authorizationId} is needed (amount, merchant, card) and was not found`);
      const route = routeFor(event.type);
      return {
        ...base,
        ...route,
        customer: { panToken: authorisation.panToken },
        variables: { ...paymentVariables(authorisation), reference: event.data.authorizationId, postedAt: event.occurredAt },
      };
    }
    case EventTypes.rulesDecided: {
      const outcome = event.data.decision.outcome;
      if (outcome === 'approve') return undefined;
      const route = routeFor(event.type, `decision.outcome = ${outcome}`);
      return {
        ...base,
        ...route,
        customer: { accountId: event.data.enrichment.account.accountId, panToken: event.data.authorisation.panToken },
        variables: {
          ...paymentVariables(event.data.authorisation),
          customerName: event.data.enrichment.account.holderName,
          at: event.occurredAt,
          reason: event.data.decision.firedRules.join(', ') || outcome,
          // FRAUD-1: the features behind a fraud hold (partners' webhook shows them; never a card number or token).
          fraudReasons: event.data.decision.reasons?.join('; ') || 'none',
        },
      };
    }
    case EventTypes.rejected:
      return {
        ...base,
        ...routeFor(event.type),
        variables: { ...paymentVariables(event.data.authorisation), at: event.occurredAt, reason: event.data.reason },
      };
    case EventTypes.postingFailed:
      return {
        ...base,
        ...routeFor(event.type),
        variables: { stage: event.data.stage, reason: event.data.reason, attempts: event.data.attempts, at: event.occurredAt, reference: event.data.authorizationId },
      };
    case 'reconciliation.completed':
      return { ...base, ...routeFor(event.type), variables: { ...event.data } };
    case 'workbench.write-off-approved':
      return { ...base, ...routeFor(event.type), variables: { ...event.data, note: event.data.note ?? '', at: event.occurredAt } };
    default:
      return undefined;
  }
}

/** The event types that notify anyone. */
export const NOTIFYING_EVENT_TYPES: readonly string[] = [...new Set(NOTIFICATION_ROUTES.map((route) => route.event))];

/**
 * The deterministic id of one delivery: an event's purpose to one recipient on one channel. The
 * same event seen twice (a re-delivery, a replay, a restart) gives the same id, so it is
 * delivered once per recipient; a receiver uses it as its idempotency key.
 */
export function deliveryIdFor(eventId: string, purpose: Purpose, channel: string, recipient: string): string {
  return deterministicId('ledgerline.notify', eventId, purpose, channel, recipient);
}
