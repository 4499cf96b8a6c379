/**
 * The flow-audit ports (FLOW-1..3): what the stores know about each payment of a window, and how a
 * repair re-emits a payment's missing event. Adapters: src/adapters/embedded/flow-facts.ts
 * (SQLite, every partition of a state).
 */
import type { LedgerEvent, RulesDecision } from '../domain/events';
import type { Money } from '../domain/money';
import type { TransactionStatus } from './index';

/** A window of ingestion time, [from, to). Either end may be open. */
export interface FlowWindow {
  from?: Date;
  to?: Date;
}

/**
 * What the stores hold for one ingested payment, boundary by boundary. Each field is read from the
 * store the stage writes (never from an event), so a lost event shows as a gap between two facts.
 */
export interface PaymentFlowFacts {
  /** Where the payment's state lives (a partition directory locally; the table on AWS). */
  location: string;
  authorizationId: string;
  /** The correlation id: the transaction's id everywhere downstream. */
  transactionId: string;
  amount: Money;
  /** When it was ingested (ISO 8601). */
  ingestedAt: string;
  /** The network approved it (only approved authorisations enter the hot path). */
  approved: boolean;
  /** dedup's verdict, from its claim (unique) or its parked duplicate (duplicate); absent: dedup never ran. */
  dedup?: 'unique' | 'duplicate';
  /** enrichment rejected it (kept with the reason). */
  rejected?: boolean;
  /** The rules decision kept for it. */
  decision?: RulesDecision['outcome'];
  /** Ledger legs recorded for its sequence. */
  legs?: boolean;
  /** Its core-banking posting record is in the outbox. */
  record?: boolean;
  /** Its transaction-state item, when one exists (failure path only: LEDGER-1). */
  transaction?: { status: TransactionStatus; updatedAt: string; stage?: string };
}

/** Facts that name no ingested payment (a leg, a decision, a record with no ingestion behind it). */
export interface OrphanFact {
  location: string;
  kind: 'claim' | 'decision' | 'legs' | 'record';
  id: string;
}

export interface FlowFacts {
  payments: PaymentFlowFacts[];
  orphans: OrphanFact[];
}

export interface FlowFactsReader {
  read(window: FlowWindow): Promise<FlowFacts>;
}

/** A repair to carry out: the event to put back on the flow, where the payment lives. */
export interface RepairRequest {
  location: string;
  authorizationId: string;
  transactionId: string;
  /** The deterministic id the re-emitted event must carry. */
  eventId: string;
}

export interface RepairOutcome {
  authorizationId: string;
  /** re-emitted: the event went back on the flow; unrepairable: the store cannot rebuild it. */
  outcome: 'reemitted' | 'unrepairable';
  reason?: string;
}

export interface FlowRepairer {
  /** Rebuilds each payment's event from what the store holds and re-emits it under its own id. */
  reemit(requests: readonly RepairRequest[]): Promise<RepairOutcome[]>;
}

/** Helper type: the event a repair rebuilt. */
export type RebuiltEvent = LedgerEvent<'payment.authorised'>;
