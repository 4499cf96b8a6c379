/**
 * The flow audit (FLOW-1, FLOW-2, FLOW-3), pure: from the facts the stores hold for each payment
 * of a window (src/ports/flow.ts), count and total (exact, per currency) the payments at every
 * stage boundary, check that the boundaries balance, name each stuck payment and plan its repair.
 *
 * Each boundary is counted from its own fact (a claim, a decision, legs, a posting record), not
 * from the payment's position, so a fact out of order (legs with no decision, a decision with no
 * dedup verdict) unbalances an equation instead of hiding. The equations, top to bottom (FLOW-1):
 *
 *   ingested         = not approved + approved
 *   approved         = duplicates parked + unique + failed before dedup + in flight at dedup
 *   unique           = rejected + decided + failed before rules + in flight at standardise/enrich/rules
 *   decided          = declined + review + approved by rules
 *   approved by rules = posted + failed before posting + in flight at posting
 *   posted           = recorded + failed before assembly + in flight at assembly
 *
 * A payment in flight past the threshold is stuck (FLOW-2), as is a transaction RUNNING or
 * RETRYING past it. Its repair (FLOW-3) re-emits its `payment.authorised` event under its own
 * deterministic id, rebuilt by the repairer from the ingestion record: every stage is idempotent
 * by id (dedup recognises its own claim, rules keep the first decision, the ledger its legs by
 * sequence, the outbox its records by id), so the payment resumes where it stopped and nothing
 * posts twice.
 */
import { deterministicId, EventTypes, type LedgerEvent } from './events';
import { fromMinorUnits, toMinorUnits } from './money';
import type { FlowWindow, OrphanFact, PaymentFlowFacts, RepairOutcome, RepairRequest } from '../ports/flow';

export const FLOW_TERMS = [
  'ingested',
  'notApproved',
  'approved',
  'duplicatesParked',
  'unique',
  'rejected',
  'decided',
  'declined',
  'review',
  'approvedByRules',
  'posted',
  'recorded',
  'failedBeforeDedup',
  'failedBeforeRules',
  'failedBeforePosting',
  'failedBeforeAssembly',
  'inFlightAtDedup',
  'inFlightAtRules',
  'inFlightAtPosting',
  'inFlightAtAssembly',
] as const;
export type FlowTerm = (typeof FLOW_TERMS)[number];

/** Where a payment waits: the stage whose input it has reached but whose output the store lacks. */
export type FlowStop = 'dedup' | 'rules' | 'posting' | 'assembly';

export interface BoundaryFigure {
  count: number;
  /** Exact decimal totals by ISO 4217 currency, sorted by currency. */
  totals: Record<string, string>;
}

export interface FlowEquation {
  /** The term on the left, e.g. "unique". */
  left: FlowTerm;
  right: FlowTerm[];
  holds: boolean;
  /** Left minus right, in payments and per currency (all zero when it holds). */
  difference: BoundaryFigure;
}

export interface StuckPayment {
  location: string;
  authorizationId: string;
  transactionId: string;
  amount: { value: string; currency: string };
  /** The stage it has reached the input of without the store holding that stage's output. */
  stoppedAt: FlowStop;
  /** What the store lacks, e.g. "no rules decision". */
  missing: string;
  /** Since when (ISO 8601): the transaction's last update, else its ingestion. */
  since: string;
  transactionStatus?: string;
  /** The event to re-emit (FLOW-3). */
  repair: RepairRequest;
}

export interface FlowAuditConfig {
  now: Date;
  /** A payment in flight for longer than this is stuck. */
  stuckAfterMs: number;
}

export interface FlowAuditReport {
  window: { from?: string; to?: string };
  at: string;
  stuckAfterMs: number;
  boundaries: Record<FlowTerm, BoundaryFigure>;
  equations: FlowEquation[];
  /** Every equation holds and no fact is an orphan. */
  balanced: boolean;
  /** In flight, not yet past the threshold. */
  inFlight: number;
  stuck: StuckPayment[];
  orphans: OrphanFact[];
}

/** The equations of FLOW-1, in flow order. */
export const FLOW_EQUATIONS: readonly { left: FlowTerm; right: readonly FlowTerm[] }[] = [
  { left: 'ingested', right: ['notApproved', 'approved'] },
  { left: 'approved', right: ['duplicatesParked', 'unique', 'failedBeforeDedup', 'inFlightAtDedup'] },
  { left: 'unique', right: ['rejected', 'decided', 'failedBeforeRules', 'inFlightAtRules'] },
  { left: 'decided', right: ['declined', 'review', 'approvedByRules'] },
  { left: 'approvedByRules', right: ['posted', 'failedBeforePosting', 'inFlightAtPosting'] },
  { left: 'posted', right: ['recorded', 'failedBeforeAssembly', 'inFlightAtAssembly'] },
];

const MISSING: Record<FlowStop, string> = {
  dedup: 'no dedup verdict (claim or parked duplicate)',
  rules: 'no rules decision',
  posting: 'no ledger legs for an approved decision',
  assembly: 'no posting record for recorded legs',
};
const FAILED_TERM: Record<FlowStop, FlowTerm> = { dedup: 'failedBeforeDedup', rules: 'failedBeforeRules', posting: 'failedBeforePosting', assembly: 'failedBeforeAssembly' };
const IN_FLIGHT_TERM: Record<FlowStop, FlowTerm> = { dedup: 'inFlightAtDedup', rules: 'inFlightAtRules', posting: 'inFlightAtPosting', assembly: 'inFlightAtAssembly' };

/** The stage a payment waits at, or undefined when it reached an end (posted, parked, rejected, declined, review, not approved). */
export function flowStop(payment: PaymentFlowFacts): FlowStop | undefined {
  if (!payment.approved) return undefined;
  if (payment.dedup === 'duplicate') return undefined;
  if (payment.dedup === undefined) return 'dedup';
  if (payment.rejected) return undefined;
  if (payment.decision === undefined) return 'rules';
  if (payment.decision !== 'approve') return undefined;
  if (!payment.legs) return 'posting';
  if (!payment.record) return 'assembly';
  return undefined;
}

/** The id of a payment's `payment.authorised` event (src/domain/ingest.ts authorisedEvent). */
export function authorisedEventId(authorizationId: string): string {
  return deterministicId(EventTypes.authorised, authorizationId);
}

class Figure {
  count = 0;
  readonly minor = new Map<string, bigint>();

  add(payment: PaymentFlowFacts, sign: 1n | -1n = 1n): void {
    this.count += Number(sign);
    const { currency } = payment.amount;
    this.minor.set(currency, (this.minor.get(currency) ?? 0n) + sign * toMinorUnits(payment.amount.value, currency));
  }

  plus(other: Figure, sign: 1n | -1n): void {
    this.count += Number(sign) * other.count;
    for (const [currency, minor] of other.minor) this.minor.set(currency, (this.minor.get(currency) ?? 0n) + sign * minor);
  }

  toJSON(dropZeros = false): BoundaryFigure {
    const totals: Record<string, string> = {};
    for (const [currency, minor] of [...this.minor].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (dropZeros && minor === 0n) continue;
      totals[currency] = fromMinorUnits(minor, currency);
    }
    return { count: this.count, totals };
  }

  isZero(): boolean {
    return this.count === 0 && [...this.minor.values()].every((minor) => minor === 0n);
  }
}

function sinceOf(payment: PaymentFlowFacts): string {
  return payment.transaction?.updatedAt ?? payment.ingestedAt;
}

/** Audits one window's facts (FLOW-1, FLOW-2) and plans the repairs (FLOW-3). */
export function auditFlow(payments: readonly PaymentFlowFacts[], orphans: readonly OrphanFact[], window: FlowWindow, config: FlowAuditConfig): FlowAuditReport {
  if (!Number.isFinite(config.stuckAfterMs) || config.stuckAfterMs < 0) throw new RangeError(`stuck-after must be a non-negative number of milliseconds, got ${config.stuckAfterMs}`);
  const figures = Object.fromEntries(FLOW_TERMS.map((term) => [term, new Figure()])) as Record<FlowTerm, Figure>;
  const stuck: StuckPayment[] = [];
  let inFlight = 0;
  const now = config.now.getTime();
  for (const payment of payments) {
    const add = (term: FlowTerm): void => figures[term].add(payment);
    // Each boundary from its own fact (FLOW-1).
    add('ingested');
    if (!payment.approved) {
      add('notApproved');
      continue;
    }
    add('approved');
    if (payment.dedup === 'duplicate') add('duplicatesParked');
    if (payment.dedup === 'unique') add('unique');
    if (payment.rejected) add('rejected');
    if (payment.decision !== undefined) {
      add('decided');
      add(payment.decision === 'approve' ? 'approvedByRules' : payment.decision === 'decline' ? 'declined' : 'review');
    }
    if (payment.legs) add('posted');
    if (payment.record) add('recorded');
    // Its position: where it waits, failed there, or in flight (FLOW-2).
    const stop = flowStop(payment);
    const status = payment.transaction?.status;
    if (stop === undefined) continue;
    if (status === 'FAILED') {
      add(FAILED_TERM[stop]);
      continue;
    }
    add(IN_FLIGHT_TERM[stop]);
    const since = sinceOf(payment);
    const sinceMs = Date.parse(since);
    if (Number.isFinite(sinceMs) && now - sinceMs < config.stuckAfterMs) {
      inFlight += 1;
      continue;
    }
    stuck.push({
      location: payment.location,
      authorizationId: payment.authorizationId,
      transactionId: payment.transactionId,
      amount: { value: payment.amount.value, currency: payment.amount.currency },
      stoppedAt: stop,
      missing: MISSING[stop],
      since,
      ...(status ? { transactionStatus: status } : {}),
      repair: { location: payment.location, authorizationId: payment.authorizationId, transactionId: payment.transactionId, eventId: authorisedEventId(payment.authorizationId) },
    });
  }
  const equations = FLOW_EQUATIONS.map(({ left, right }): FlowEquation => {
    const difference = new Figure();
    difference.plus(figures[left], 1n);
    for (const term of right) difference.plus(figures[term], -1n);
    return { left, right: [...right], holds: difference.isZero(), difference: difference.toJSON(true) };
  });
  stuck.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : a.authorizationId < b.authorizationId ? -1 : a.authorizationId > b.authorizationId ? 1 : 0));
  return {
    window: { ...(window.from ? { from: window.from.toISOString() } : {}), ...(window.to ? { to: window.to.toISOString() } : {}) },
    at: config.now.toISOString(),
    stuckAfterMs: config.stuckAfterMs,
    boundaries: Object.fromEntries(FLOW_TERMS.map((term) => [term, figures[term].toJSON()])) as Record<FlowTerm, BoundaryFigure>,
    equations,
    balanced: equations.every((equation) => equation.holds) && orphans.length === 0,
    inFlight,
    stuck,
    orphans: [...orphans],
  };
}

/**
 * FLOW-3: what a repairer re-emits for each request, from the events its store can rebuild (or why
 * not): a rebuilt event is re-emitted only under exactly the planned id and transaction, so a repair
 * can never post a payment under a second id. One definition for the embedded and AWS repairers.
 */
export function plannedReemits(
  requests: readonly RepairRequest[],
  rebuild: (authorizationId: string) => LedgerEvent<'payment.authorised'> | string,
): { events: LedgerEvent[]; outcomes: RepairOutcome[] } {
  const events: LedgerEvent[] = [];
  const outcomes = requests.map((request): RepairOutcome => {
    const rebuilt = rebuild(request.authorizationId);
    if (typeof rebuilt === 'string') return { authorizationId: request.authorizationId, outcome: 'unrepairable', reason: rebuilt };
    if (rebuilt.id !== request.eventId || rebuilt.correlationId !== request.transactionId) {
      return {
        authorizationId: request.authorizationId,
        outcome: 'unrepairable',
        reason: `the rebuilt event ${rebuilt.id} (transaction ${rebuilt.correlationId}) is not the planned ${request.eventId} (transaction ${request.transactionId})`,
      };
    }
    events.push(rebuilt);
    return { authorizationId: request.authorizationId, outcome: 'reemitted' };
  });
  return { events, outcomes };
}
