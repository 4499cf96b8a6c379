/**
 * FRAUD-1: streaming fraud features per card and per merchant, exposed to the CEL rules as
 * `fraud.<name>`. Pure core: no storage, no clock, no floats.
 *
 * Determinism (CHAOS-1, FLOW-4): a payment's features depend only on the SET of the card's
 * payments that precede it in EVENT time (transmittedAt, ties broken by transaction id) inside
 * the window, never on arrival order. The store records each payment idempotently by id (as
 * velocity does), the rules stage runs a card's payments in card order lanes, and the first
 * decision per transaction is kept, so retries, kills and re-deliveries give the same features.
 *
 * Money stays exact: sums are bigint minor units; the spend ratio is a scaled integer
 * (per mille, floored); the mean is floored integer division.
 */
import { containsPan } from './pan';

/** One earlier payment of the card, as the history store keeps it (no card number). */
export interface CardHistoryEntry {
  readonly transactionId: string;
  readonly atEpochMs: number;
  /** Account-currency minor units. */
  readonly amountMinor: bigint;
  /** ISO 3166 alpha-2 of the merchant. */
  readonly merchantCountry: string;
}

export interface FraudWindows {
  /** Baseline window for the card's spend mean (ms). */
  readonly baselineWindowMs: number;
  /** Country-hop window (ms). */
  readonly hopWindowMs: number;
}

export const DEFAULT_FRAUD_WINDOWS: FraudWindows = Object.freeze({
  baselineWindowMs: 30 * 24 * 60 * 60 * 1000,
  hopWindowMs: 60 * 60 * 1000,
});

/** The features one payment is judged on. CEL field types in FRAUD_FIELDS. */
export interface FraudFeatures {
  /** The card's earlier payments in the baseline window. */
  readonly baselineCount: bigint;
  /** Floor of their mean amount, minor units (0 without a baseline). */
  readonly baselineMeanMinor: bigint;
  /** floor(amount * 1000 / baselineMeanMinor): 1000 = at the card's mean; 0 without a baseline. */
  readonly spendRatioPermille: bigint;
  /** Distinct merchant countries of the card in the hop window, this payment included. */
  readonly countriesInWindow: bigint;
  /** Merchant country of the card's previous payment ("" if none in the baseline window). */
  readonly previousCountry: string;
  /** Whole minutes since that payment (-1 if none). */
  readonly minutesSincePrevious: bigint;
  /** Merchant risk score 0..100 from reference data (0 if the merchant is not listed). */
  readonly merchantRiskScore: bigint;
  /** Score of the fraud model in per mille (-1 when no model is configured). */
  readonly modelScorePermille: bigint;
}

export const FRAUD_FIELDS = {
  baselineCount: 'int',
  baselineMeanMinor: 'int',
  spendRatioPermille: 'int',
  countriesInWindow: 'int',
  previousCountry: 'string',
  minutesSincePrevious: 'int',
  merchantRiskScore: 'int',
  modelScorePermille: 'int',
} as const;

/** Input that cannot give features: names the input and the fault. */
export class FraudFeatureError extends Error {
  override name = 'FraudFeatureError';
}

export interface FraudPayment {
  readonly transactionId: string;
  readonly atEpochMs: number;
  readonly amountMinor: bigint;
  readonly merchantCountry: string;
  readonly merchantId: string;
}

/** The latest event time a card history keys: 15 digits of epoch ms (the store's sort-key width). */
export const MAX_CARD_HISTORY_EPOCH_MS = 999_999_999_999_999;

const hasControl = (text: string): boolean => [...text].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);

/**
 * What every card history store (CardHistoryStore) checks before it records: the same refusals
 * embedded and on DynamoDB, each naming the input and the fault. The card is a token, never a card
 * number (PCI-3); the entry is an exact, non-negative amount at an epoch-ms time a store can key,
 * in an ISO 3166 alpha-2 country; the window is a positive whole number of ms.
 */
export function checkCardHistoryInput(panToken: string, entry: CardHistoryEntry, windowMs: number): void {
  const id = entry.transactionId;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200 || hasControl(id)) {
    throw new RangeError(`card history: transaction id ${JSON.stringify(id)} must be 1..200 printable characters`);
  }
  if (typeof panToken !== 'string' || panToken.length === 0 || panToken.length > 200 || hasControl(panToken)) {
    throw new RangeError(`card history: card token of ${id} must be 1..200 printable characters`);
  }
  if (containsPan(panToken)) throw new RangeError(`card history: the card of ${id} is given as a card number, not a token (PCI-3)`);
  if (!Number.isSafeInteger(entry.atEpochMs) || entry.atEpochMs < 0 || entry.atEpochMs > MAX_CARD_HISTORY_EPOCH_MS) {
    throw new RangeError(`card history: time ${entry.atEpochMs} of ${id} is not an integer epoch ms in 0..${MAX_CARD_HISTORY_EPOCH_MS}`);
  }
  if (typeof entry.amountMinor !== 'bigint' || entry.amountMinor < 0n) throw new RangeError(`card history: amount ${String(entry.amountMinor)} of ${id} is not a non-negative bigint of minor units`);
  if (typeof entry.merchantCountry !== 'string' || !/^[A-Z]{2}$/.test(entry.merchantCountry)) {
    throw new RangeError(`card history: merchant country ${JSON.stringify(entry.merchantCountry)} of ${id} is not ISO 3166 alpha-2`);
  }
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new RangeError(`card history: window ${windowMs} ms must be a positive integer`);
}

/** Event-time order: by time, then by transaction id. */
export function precedes(a: { atEpochMs: number; transactionId: string }, b: { atEpochMs: number; transactionId: string }): boolean {
  return a.atEpochMs < b.atEpochMs || (a.atEpochMs === b.atEpochMs && a.transactionId < b.transactionId);
}

function checkWindow(name: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new FraudFeatureError(`${name} ${ms} ms must be a positive integer`);
}

/**
 * Pure: the features of `payment` given any superset of the card's history (other payments and
 * later ones are ignored; duplicates of one id count once). `merchantRisk` maps merchant id to a
 * 0..100 score; `modelScorePermille` is the model's answer or undefined.
 */
export function computeFraudFeatures(
  payment: FraudPayment,
  history: Iterable<CardHistoryEntry>,
  windows: FraudWindows,
  merchantRisk: ReadonlyMap<string, number>,
  modelScorePermille?: number,
): FraudFeatures {
  checkWindow('baseline window', windows.baselineWindowMs);
  checkWindow('hop window', windows.hopWindowMs);
  if (!Number.isSafeInteger(payment.atEpochMs)) throw new FraudFeatureError(`payment ${payment.transactionId}: time ${payment.atEpochMs} is not an integer epoch ms`);
  if (payment.amountMinor < 0n) throw new FraudFeatureError(`payment ${payment.transactionId}: amount ${payment.amountMinor} is negative`);
  const byId = new Map<string, CardHistoryEntry>();
  for (const entry of history) {
    if (entry.transactionId === payment.transactionId) continue;
    if (!precedes(entry, payment)) continue;
    if (entry.amountMinor < 0n) throw new FraudFeatureError(`history entry ${entry.transactionId}: amount ${entry.amountMinor} is negative`);
    const seen = byId.get(entry.transactionId);
    if (seen && (seen.atEpochMs !== entry.atEpochMs || seen.amountMinor !== entry.amountMinor || seen.merchantCountry !== entry.merchantCountry)) {
      throw new FraudFeatureError(`history entry ${entry.transactionId}: recorded twice with different time, amount or country`);
    }
    byId.set(entry.transactionId, entry);
  }
  let count = 0n;
  let sum = 0n;
  let previous: CardHistoryEntry | undefined;
  const countries = new Set<string>([payment.merchantCountry]);
  for (const entry of byId.values()) {
    const age = payment.atEpochMs - entry.atEpochMs;
    if (age < windows.baselineWindowMs) {
      count += 1n;
      sum += entry.amountMinor;
      if (!previous || precedes(previous, entry)) previous = entry;
    }
    if (age < windows.hopWindowMs) countries.add(entry.merchantCountry);
  }
  const mean = count === 0n ? 0n : sum / count;
  const ratio = mean === 0n ? 0n : (payment.amountMinor * 1000n) / mean;
  const risk = merchantRisk.get(payment.merchantId) ?? 0;
  if (!Number.isSafeInteger(risk) || risk < 0 || risk > 100) throw new FraudFeatureError(`merchant ${payment.merchantId}: risk score ${risk} is not an integer 0..100`);
  let model = -1n;
  if (modelScorePermille !== undefined) {
    if (!Number.isSafeInteger(modelScorePermille) || modelScorePermille < 0 || modelScorePermille > 1000) {
      throw new FraudFeatureError(`payment ${payment.transactionId}: model score ${modelScorePermille} is not an integer 0..1000 per mille`);
    }
    model = BigInt(modelScorePermille);
  }
  return {
    baselineCount: count,
    baselineMeanMinor: mean,
    spendRatioPermille: ratio,
    countriesInWindow: BigInt(countries.size),
    previousCountry: previous?.merchantCountry ?? '',
    minutesSincePrevious: previous ? BigInt(Math.floor((payment.atEpochMs - previous.atEpochMs) / 60000)) : -1n,
    merchantRiskScore: BigInt(risk),
    modelScorePermille: model,
  };
}

/** Neutral features: what a payment with no history, an unlisted merchant and no model gets. */
export function neutralFraudFeatures(): FraudFeatures {
  return {
    baselineCount: 0n,
    baselineMeanMinor: 0n,
    spendRatioPermille: 0n,
    countriesInWindow: 1n,
    previousCountry: '',
    minutesSincePrevious: -1n,
    merchantRiskScore: 0n,
    modelScorePermille: -1n,
  };
}

/**
 * The reason of a hold: each `fraud.<name>` a fired rule's expression reads, with its value,
 * e.g. "FRAUD_COUNTRY_HOP: fraud.countriesInWindow=3".
 */
export function fraudReason(ruleId: string, when: string, features: FraudFeatures): string | undefined {
  const names = [...new Set([...when.matchAll(/\bfraud\.([A-Za-z]+)/g)].map((m) => m[1]!))].filter((n): n is keyof FraudFeatures => n in FRAUD_FIELDS);
  if (names.length === 0) return undefined;
  return `${ruleId}: ${names.map((n) => `fraud.${n}=${typeof features[n] === 'string' ? JSON.stringify(features[n]) : String(features[n])}`).join(', ')}`;
}
