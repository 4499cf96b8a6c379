/**
 * Realistic posting sequences for the ledger tests: the generator's authorisations (its mix of
 * merchants, currencies and amounts, on the shipped reference data) enriched and posted by the
 * domain code itself, so each sequence is exactly what posting hands the ledger (2, 4 or 6 legs;
 * SETTLE-GBP-001 settles 59 of the 200 merchants). Deterministic per seed.
 */
import type { RulesDecidedData } from '../../../../src/domain/events';
import { correlationIdFor } from '../../../../src/domain/events';
import { enrich, resolveReference } from '../../../../src/domain/enrichment';
import { buildPostingLegs, signedMinor } from '../../../../src/domain/posting';
import { DEFAULT_REFERENCE_DATA_DIR, EmbeddedReferenceData } from '../../../../src/adapters/embedded/reference-data';
import { generateAuthorisations } from '../../../../src/generator/authorisations';
import type { PostingSequence } from '../../../../src/ports';

let reference: EmbeddedReferenceData | undefined;

export function referenceData(): EmbeddedReferenceData {
  reference ??= new EmbeddedReferenceData(DEFAULT_REFERENCE_DATA_DIR);
  return reference;
}

/** `count` approved, enriched, posted payments' sequences, in generation order. */
export async function realisticSequences(count: number, seed: number): Promise<PostingSequence[]> {
  const data = referenceData();
  const sequences: PostingSequence[] = [];
  const seen = new Set<string>();
  for (const authorisation of generateAuthorisations({ count: count * 2 + 50, seed, referenceData: data })) {
    if (sequences.length >= count) break;
    if (authorisation.responseCode !== '00') continue;
    const outcome = enrich({ authorisation }, await resolveReference(authorisation, data));
    if (outcome.kind !== 'enriched') continue;
    const decided = { authorisation, businessKey: '', enrichment: outcome.enrichment, decision: { outcome: 'approve', firedRules: [], ruleSetId: 'test', ruleSetVersion: '1', velocityCount: 1 } };
    const legs = buildPostingLegs(correlationIdFor(authorisation.authorizationId, authorisation.transmittedAt), decided as unknown as RulesDecidedData);
    const sequenceId = legs[0]!.sequenceId;
    if (seen.has(sequenceId)) continue;
    seen.add(sequenceId);
    sequences.push({ sequenceId, authorizationId: authorisation.authorizationId, legs });
  }
  if (sequences.length < count) throw new Error(`the generator gave ${sequences.length} postable payments, wanted ${count}`);
  return sequences;
}

/** "accountId currency" → credits minus debits (minor units) of `sequences`, each counted once. */
export function expectedBalances(sequences: Iterable<PostingSequence>): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  const counted = new Set<string>();
  for (const sequence of sequences) {
    if (counted.has(sequence.sequenceId)) continue;
    counted.add(sequence.sequenceId);
    for (const leg of sequence.legs) {
      const key = `${leg.accountId} ${leg.amount.currency}`;
      totals.set(key, (totals.get(key) ?? 0n) + signedMinor(leg));
    }
  }
  return totals;
}
