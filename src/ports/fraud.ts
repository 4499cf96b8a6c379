/**
 * FRAUD-1 ports: the card history the fraud features are computed from, and an optional
 * fraud model behind an endpoint.
 */
import type { CardHistoryEntry, FraudFeatures } from '../domain/fraud';

export interface CardHistoryStore {
  /**
   * Records the payment for the card (idempotent by transactionId: a re-delivery changes
   * nothing) and returns the card's entries with time in (at - windowMs, at], this one included.
   * Callers compute features from the entries that precede the payment in event time, so the
   * answer does not depend on arrival order (CHAOS-1).
   */
  recordAndRead(panToken: string, entry: CardHistoryEntry, windowMs: number): Promise<CardHistoryEntry[]>;
}

/** What the model sees: the features, never a card number (PCI-3). */
export interface FraudModelInput {
  readonly transactionId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly mcc: string;
  readonly merchantCountry: string;
  readonly features: Omit<FraudFeatures, 'modelScorePermille'>;
}

export interface FraudModel {
  /** Score in per mille 0..1000; deterministic for the same input. */
  score(input: FraudModelInput): Promise<number>;
}
