/**
 * The small interfaces between the handlers and the outside world. Each has two adapters:
 * `src/adapters/aws/*` (AWS SDK v3) and `src/adapters/embedded/*` (SQLite / local files).
 */
import type { EnrichedProduct, LedgerEvent, PostingLeg, RulesDecision } from '../domain/events';

/** A throttle, timeout or outage of a store. It is retried, never taken as an answer. */
export class TransientStoreError extends Error {
  override name = 'TransientStoreError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export interface Clock {
  now(): Date;
}

// --- Eventing ---------------------------------------------------------------

export interface EventPublisher {
  /** Publishes events to the bus (EventBridge PutEvents, or the embedded router). */
  publish(events: readonly LedgerEvent[]): Promise<void>;
}

// --- Dedup (FR2-FR4) --------------------------------------------------------

export interface DedupClaim {
  businessKey: string;
  eventId: string;
  authorizationId: string;
  /** Epoch seconds after which the claim no longer counts (DynamoDB TTL attribute). */
  expiresAt: number;
}

export type DedupClaimResult = { claimed: true } | { claimed: false; existing: DedupClaim };

export interface DedupStore {
  /**
   * Conditional put: succeeds when no unexpired claim holds `businessKey`.
   * Throws TransientStoreError on throttling or outage.
   */
  claim(claim: DedupClaim, nowEpochSeconds: number): Promise<DedupClaimResult>;
}

export interface ParkedDuplicateStore {
  /** Keeps a parked duplicate (S3 `parked/` prefix, or a local table). Idempotent by event id. */
  park(event: LedgerEvent<'payment.duplicate-parked'>): Promise<void>;
}

// --- Reference data (FR6) ---------------------------------------------------

export interface CardRecord {
  panToken: string;
  accountId: string;
  network: string;
  status: 'ACTIVE' | 'BLOCKED' | 'EXPIRED';
}

export type AccountStatus = 'OPEN' | 'CLOSED' | 'FROZEN' | 'DORMANT';

export interface AccountRecord {
  accountId: string;
  iban: string;
  sortCode: string;
  branch: string;
  holderName: string;
  productType: string;
  status: AccountStatus;
  currency: string;
}

export interface MerchantRecord {
  id: string;
  name: string;
  mcc: string;
  country: string;
  category: string;
  settlementAccountId: string;
  currency: string;
}

/** A product in reference data: the same shape enrichment hands on with the payment (POST-3). */
export type ProductRecord = EnrichedProduct;

export interface FxRateRecord {
  from: string;
  to: string;
  /** Units of `to` per 1 unit of `from`, decimal string. */
  rate: string;
}

export interface ReferenceData {
  readonly version: string;
  card(panToken: string): Promise<CardRecord | undefined>;
  account(accountId: string): Promise<AccountRecord | undefined>;
  merchant(merchantId: string): Promise<MerchantRecord | undefined>;
  product(productType: string): Promise<ProductRecord | undefined>;
  fxRate(from: string, to: string): Promise<FxRateRecord | undefined>;
}

// --- Rules ------------------------------------------------------------------

export interface VelocityStore {
  /**
   * Records the payment for the card (idempotent by transactionId) and returns how many of
   * the card's payments fall in (at - windowMs, at], this one included.
   */
  record(panToken: string, transactionId: string, atEpochMs: number, windowMs: number): Promise<number>;
}

export interface DecisionStore {
  /** First writer wins; returns the decision that is stored (so a re-delivery gets the same one). */
  putIfAbsent(correlationId: string, decision: RulesDecision): Promise<RulesDecision>;
  get(correlationId: string): Promise<RulesDecision | undefined>;
}

// --- Ledger (FR7) -----------------------------------------------------------

export interface BalanceView {
  accountId: string;
  currency: string;
  /** Credits minus debits, decimal string. */
  balance: string;
  /** Number of versioned balance updates applied (summed over shards). */
  version: number;
}

/** One payment's balanced sequence: the unit the ledger records, whole or not at all. */
export interface PostingSequence {
  sequenceId: string;
  authorizationId: string;
  legs: readonly PostingLeg[];
}

export interface RecordPostingsResult {
  /** Sequences recorded by this call (the others were recorded before: re-deliveries). */
  newSequences: string[];
  /** Conditional versioned balance updates made: one per account (shard) touched per write. */
  balanceUpdates: number;
}

export interface LedgerStore {
  /**
   * Records each sequence's legs append-only, idempotent by sequenceId: a sequence's legs and
   * its balance changes are stored together or not at all, and a re-delivered sequence (in any
   * batch composition) changes nothing. Per call, each account (shard) gets ONE conditional
   * versioned balance update per write, retried on conflict (LEDGER-1).
   */
  recordPostings(sequences: readonly PostingSequence[]): Promise<RecordPostingsResult>;
  balances(): Promise<BalanceView[]>;
}

// --- Posting records (FR8) --------------------------------------------------

export interface PostingRecord {
  /** Deterministic: the same sequence always gives the same record id and content. */
  recordId: string;
  sequenceId: string;
  content: string;
}

export interface PostingOutbox {
  /**
   * Writes the core-banking posting records of one batch as ONE object (LEDGER-2). The object's
   * name derives from the records it holds, so a re-delivered batch rewrites the same object;
   * each record carries its recordId, the core-banking idempotency key.
   */
  writeBatch(records: readonly PostingRecord[]): Promise<void>;
}

// --- Transaction state + sweeper (SWEEP-1, SWEEP-2) -----------------------------

export type TransactionStatus = 'RUNNING' | 'RETRYING' | 'FAILED' | 'COMPLETED';

export interface TransactionState {
  transactionId: string;
  authorizationId: string;
  status: TransactionStatus;
  /** The stage whose consumer failed (for RETRYING / FAILED). */
  stage?: string;
  /** Sweeper re-drives so far. */
  attempts: number;
  lastError?: string;
  /** The event to re-drive. */
  pendingEvent?: LedgerEvent;
  /** Optimistic-locking version attribute. */
  version: number;
  updatedAt: string;
}

export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
}

export interface TransactionStateStore {
  get(transactionId: string): Promise<TransactionState | undefined>;
  /**
   * Writes `next` if the stored version equals `expectedVersion` (0 = absent), storing
   * version + 1. Maintains the sparse indexes: retrying / failed / running.
   * Throws VersionConflictError otherwise.
   */
  put(next: TransactionState, expectedVersion: number): Promise<TransactionState>;
  listByStatus(status: 'RETRYING' | 'FAILED' | 'RUNNING', limit: number): Promise<TransactionState[]>;
  /**
   * Ends the transaction as COMPLETED in ONE conditional write (version + 1), creating it if
   * absent, unless it already ended (COMPLETED or FAILED), which is left as it is.
   */
  complete(transactionId: string, authorizationId: string, now: Date): Promise<void>;
}

export interface Redriver {
  /**
   * Re-drives `event` under a deterministic execution name (Step Functions StartExecution
   * on AWS); a name already used starts nothing.
   */
  redrive(executionName: string, event: LedgerEvent): Promise<'started' | 'already-started'>;
}

// --- Adjustments from the workbench (ADJ-1) -----------------------------------

export interface RecordedSequences {
  /** Whether the ledger holds this sequence (a booked adjustment is found again by its sequence id). */
  hasSequence(sequenceId: string): Promise<boolean>;
}

/** The ledger account a reconciled account (its id or IBAN, as a statement names it) is, and its currency. */
export interface LedgerAccountResolver {
  ledgerAccount(accountId: string): Promise<{ accountId: string; currency: string } | undefined>;
}
