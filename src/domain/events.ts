/**
 * The lifecycle events of a card payment. Each type has exactly one JSON Schema in
 * `schemas/<type>.schema.json`, one route in `src/routes.ts` (when it has a consumer),
 * and one handler in `functions/<consumer>/`.
 */
import { hash } from 'node:crypto';
import type { Money } from './money';
import { containsPan } from './pan';

export const EVENT_VERSION = 1;

export const EventTypes = {
  /** FR1: one post-authorisation event per approved authorisation. */
  authorised: 'payment.authorised',
  /** FR3: a duplicate, kept with the reason and the original's id, and processed no further. */
  duplicateParked: 'payment.duplicate-parked',
  /** FR4: passed the duplicate check. */
  deduplicated: 'payment.deduplicated',
  /** FR5: standardised to an ISO 20022 pacs.008.001.09 credit transfer. */
  standardised: 'payment.standardised',
  /** FR6: enriched with account, branch, holder, product, description, merchant and FX. */
  enriched: 'payment.enriched',
  /** FR6: enrichment could not resolve the card or the account is closed. */
  rejected: 'payment.rejected',
  /** Rules engine outcome: approve, decline or review. */
  rulesDecided: 'payment.rules-decided',
  /** FR7: a balanced double-entry sequence, recorded in the ledger whole (all its legs, once). */
  recorded: 'posting.recorded',
  /** FR8: the sequence was assembled and written to the core-banking outbox. */
  postingCompleted: 'posting.completed',
  /** Retries exhausted (sweeper threshold reached): the transaction is failed with a reason. */
  postingFailed: 'posting.failed',
} as const;

export type EventType = (typeof EventTypes)[keyof typeof EventTypes];
export const ALL_EVENT_TYPES: readonly EventType[] = Object.values(EventTypes);

/** Every event shares this envelope. */
export interface EventEnvelope<T extends EventType = EventType, D = unknown> {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  /** One per transaction, carried unchanged through the whole flow. */
  correlationId: string;
  /** The id of the event (or input record) that caused this one. */
  causationId: string;
  /** The producing component, e.g. "ledgerline.dedup". */
  source: string;
  data: D;
}

// ---------------------------------------------------------------------------
// Payloads

export interface Merchant {
  id: string;
  name: string;
  mcc: string;
  country: string;
}

/** The upstream authorisation record (input). Field names are a contract. */
export interface Authorisation {
  authorizationId: string;
  network: string;
  stan: string;
  rrn: string;
  transmittedAt: string;
  panToken: string;
  responseCode: string;
  amount: Money;
  merchant: Merchant;
  billingAmount?: Money;
  conversionRate?: string;
  authCode?: string;
  terminalId?: string;
}

export interface AuthorisedData {
  authorisation: Authorisation;
}

export interface DuplicateParkedData {
  authorisation: Authorisation;
  businessKey: string;
  reason: 'DUPLICATE_BUSINESS_KEY';
  originalEventId: string;
  originalAuthorizationId: string;
}

export interface DeduplicatedData {
  authorisation: Authorisation;
  businessKey: string;
}

/** pacs.008.001.09 credit transfer, JSON form (see src/domain/iso20022/pacs008.ts). */
export type Pacs008Document = Record<string, unknown>;

export interface StandardisedData {
  authorisation: Authorisation;
  businessKey: string;
  pacs008: Pacs008Document;
}

export interface EnrichedAccount {
  accountId: string;
  iban: string;
  sortCode: string;
  branch: string;
  holderName: string;
  productType: string;
  status: string;
  currency: string;
}

/** The card's state in reference data when the payment was enriched (the rules decide what it means). */
export interface EnrichedCard {
  network: string;
  status: 'ACTIVE' | 'BLOCKED' | 'EXPIRED';
}

export interface EnrichedMerchant extends Merchant {
  category: string;
  settlementAccountId: string;
}

export interface CurrencyConversion {
  /** The transaction amount, in the merchant's currency. */
  source: Money;
  /** The amount in the card account's currency, before fees. */
  converted: Money;
  rate: string;
  rateSource: 'NETWORK' | 'REFERENCE';
  /** The foreign-transaction fee in the account's currency. */
  fee: Money;
  feeBasisPoints: number;
}

/** The account's product as enrichment resolved it: rules read it here, never look it up again (POST-3). */
export interface EnrichedProduct {
  productType: string;
  name: string;
  /** Largest single payment, in the account currency. */
  perTransactionLimit: Money;
  /** Foreign-transaction fee in basis points of the converted amount. */
  fxFeeBasisPoints: number;
  /** Payments per card allowed inside the velocity window. */
  velocityLimit: number;
  foreignTransactionsAllowed: boolean;
}

export interface Enrichment {
  card: EnrichedCard;
  product: EnrichedProduct;
  account: EnrichedAccount;
  merchant: EnrichedMerchant;
  description: string;
  /** The amount debited from the customer (excluding fee), in the account currency. */
  accountAmount: Money;
  conversion?: CurrencyConversion;
  referenceDataVersion: string;
}

/**
 * The enriched payment. It does not carry the pacs.008 document: that is standardise's output,
 * written once (the `payment.standardised` event), and no later stage reads it (POST-3).
 */
export interface EnrichedData extends DeduplicatedData {
  enrichment: Enrichment;
}

export interface RejectedData {
  authorisation: Authorisation;
  reason: 'UNKNOWN_CARD' | 'UNKNOWN_ACCOUNT' | 'ACCOUNT_CLOSED' | 'UNKNOWN_MERCHANT' | 'NO_FX_RATE' | 'UNSUPPORTED_CURRENCY';
  detail: string;
}

export type RuleOutcome = 'approve' | 'decline' | 'review';

export interface RulesDecision {
  outcome: RuleOutcome;
  firedRules: string[];
  ruleSetId: string;
  ruleSetVersion: string;
  velocityCount: number;
  /**
   * FRAUD-1: why a fraud rule fired, one line per fired rule that reads the fraud features, e.g.
   * "FRAUD_COUNTRY_HOP: fraud.countriesInWindow=3": rule ids, feature names and their values only,
   * never a card number or token (PCI-3). Absent when no fraud rule fired (and on decisions stored
   * before reasons were carried).
   */
  reasons?: string[];
}

export interface RulesDecidedData extends EnrichedData {
  decision: RulesDecision;
}

export type LegDirection = 'DEBIT' | 'CREDIT';
export type LegType =
  'CUSTOMER_DEBIT' | 'MERCHANT_SETTLEMENT_CREDIT' | 'FX_POSITION_CREDIT' | 'FX_POSITION_DEBIT' | 'FX_FEE_DEBIT' | 'FX_FEE_INCOME_CREDIT' | 'WRITE_OFF' | 'SUSPENSE' | 'ADJUSTED_ACCOUNT';

export interface PostingLeg {
  legId: string;
  sequenceId: string;
  legIndex: number;
  legCount: number;
  legType: LegType;
  accountId: string;
  direction: LegDirection;
  /** Always positive; the direction gives the sign. */
  amount: Money;
  valueDate: string;
  narrative: string;
  authorizationId: string;
}

/** FR7/FR8: one payment's whole balanced sequence, handed to assembly in one piece (POST-3). */
export interface PostingRecordedData {
  sequenceId: string;
  authorizationId: string;
  legs: PostingLeg[];
}

export interface PostingCompletedData {
  sequenceId: string;
  authorizationId: string;
  legCount: number;
  postingRecordId: string;
}

export interface PostingFailedData {
  authorizationId: string;
  stage: string;
  reason: string;
  attempts: number;
}

export interface EventDataByType {
  'payment.authorised': AuthorisedData;
  'payment.duplicate-parked': DuplicateParkedData;
  'payment.deduplicated': DeduplicatedData;
  'payment.standardised': StandardisedData;
  'payment.enriched': EnrichedData;
  'payment.rejected': RejectedData;
  'payment.rules-decided': RulesDecidedData;
  'posting.recorded': PostingRecordedData;
  'posting.completed': PostingCompletedData;
  'posting.failed': PostingFailedData;
}

export type LedgerEvent<T extends EventType = EventType> = T extends EventType ? EventEnvelope<T, EventDataByType[T]> : never;

// ---------------------------------------------------------------------------
// Construction

/**
 * A deterministic RFC 4122-shaped id from its parts (SHA-1, version 5 layout). An id whose hex
 * digits happen to form a PAN-like run (13-19 digits passing Luhn, dashes allowed) is re-derived,
 * so no id ever trips the PCI scanners or is redacted from logs.
 */
export function deterministicId(...parts: string[]): string {
  const seed = parts.join('\u001f');
  for (let salt = 0; ; salt += 1) {
    const hex = hash('sha1', salt === 0 ? seed : `${seed}\u001f${salt}`, 'hex');
    const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    if (!containsPan(id)) return id;
  }
}

/** The variant digit (RFC 4122: 10xx) by the hex digit it replaces. */
const VARIANT = '89ab';

/**
 * deterministicId(...parts) for the already joined seed `parts.join('\u001f')`: the same id, built
 * with fewer intermediate strings (REC-PERF-1: a reconciliation run derives a million match ids).
 * deterministicId's own output never changes; a test holds the two equal.
 */
export function deterministicIdOfSeed(seed: string): string {
  for (let salt = 0; ; salt += 1) {
    const hex = hash('sha1', salt === 0 ? seed : `${seed}\u001f${salt}`, 'hex');
    const nibble = hex.charCodeAt(16);
    const variant = VARIANT.charCodeAt((nibble <= 57 ? nibble - 48 : nibble - 87) & 0x3);
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${String.fromCharCode(variant)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    if (!containsPan(id)) return id;
  }
}

/** The correlation id of a transaction: derived from its authorisation id, so replays agree. */
export function correlationIdFor(authorizationId: string, transmittedAt?: string): string {
  const at = transmittedAt === undefined ? Number.NaN : Date.parse(transmittedAt);
  return Number.isFinite(at) ? timeOrderedId(at, 'ledgerline.transaction', authorizationId) : deterministicId('ledgerline.transaction', authorizationId);
}

/**
 * A deterministic id in the RFC 9562 UUIDv7 layout: 48 bits of Unix milliseconds (the business
 * time, e.g. the transmission time), then bits from SHA-1 of its parts. Ids of payments made
 * around the same time sort together, so the stores keyed by them (transaction state, decisions,
 * ledger legs, outbox) append to the right edge of their B-trees instead of writing pages all over
 * them. PAN-like ids are re-derived, as in deterministicId.
 */
export function timeOrderedId(epochMs: number, ...parts: string[]): string {
  const time = Math.max(0, Math.min(epochMs, 0xffffffffffff)).toString(16).padStart(12, '0');
  const seed = parts.join('\u001f');
  for (let salt = 0; ; salt += 1) {
    const hex = hash('sha1', salt === 0 ? seed : `${seed}\u001f${salt}`, 'hex');
    const variant = ((parseInt(hex.slice(3, 4), 16) & 0x3) | 0x8).toString(16);
    const id = `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex.slice(0, 3)}-${variant}${hex.slice(4, 7)}-${hex.slice(7, 19)}`;
    if (!containsPan(id)) return id;
  }
}

/** The Unix milliseconds of a time-ordered id (undefined for other ids). */
export function timeOfId(id: string): number | undefined {
  if (id.length !== 36 || id[14] !== '7') return undefined;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * Creates the next event in a flow. Its id derives from its cause and type, so a
 * re-delivered cause re-emits byte-for-byte the same event id (idempotent downstream).
 */
export function nextEvent<T extends EventType>(
  cause: Pick<EventEnvelope, 'id' | 'correlationId'>,
  type: T,
  source: string,
  data: EventDataByType[T],
  occurredAt: string,
  discriminator = '',
): LedgerEvent<T> {
  return {
    id: deterministicId(type, cause.id, discriminator),
    type,
    version: EVENT_VERSION,
    occurredAt,
    correlationId: cause.correlationId,
    causationId: cause.id,
    source,
    data,
  } as LedgerEvent<T>;
}
