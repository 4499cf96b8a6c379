/**
 * Per-account sums and a deterministic shard of a batch of posting legs: checks the posting tests
 * make of legs (the ledgers keep their own: src/adapters/{embedded,aws}/*ledger*). Test-only.
 */
import { PostingError } from '../../src/domain/posting';
import type { PostingLeg } from '../../src/domain/events';
import { fnv1a32 } from '../../src/domain/fnv';
import { minorOf } from '../../src/domain/money';

export interface AccountDelta {
  accountId: string;
  currency: string;
  debitMinor: bigint;
  creditMinor: bigint;
  legs: PostingLeg[];
}

/** Sums a batch's legs once per account. */
export function sumByAccount(legs: readonly PostingLeg[]): Map<string, AccountDelta> {
  const deltas = new Map<string, AccountDelta>();
  for (const leg of legs) {
    let delta = deltas.get(leg.accountId);
    if (!delta) {
      delta = { accountId: leg.accountId, currency: leg.amount.currency, debitMinor: 0n, creditMinor: 0n, legs: [] };
      deltas.set(leg.accountId, delta);
    } else if (delta.currency !== leg.amount.currency) {
      throw new PostingError(`account ${leg.accountId} receives ${leg.amount.currency} and ${delta.currency} legs`);
    }
    const minor = minorOf(leg.amount);
    if (leg.direction === 'DEBIT') delta.debitMinor += minor;
    else delta.creditMinor += minor;
    delta.legs.push(leg);
  }
  return deltas;
}

/** Deterministic shard for a batch: a re-delivery of the same legs picks the same shard. */
export function shardFor(legs: readonly PostingLeg[], shards: number): number {
  if (shards <= 1 || legs.length === 0) return 0;
  let smallest = legs[0]!.legId;
  for (const leg of legs) if (leg.legId < smallest) smallest = leg.legId;
  return fnv1a32(smallest) % shards;
}
