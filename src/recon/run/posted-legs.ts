/**
 * Posted legs as ledger entries (REC-1): the one mapping every posting-ledger source uses (the
 * embedded state, the DynamoDB journal), so both sides of a run read legs alike. Pure.
 */
import { createHash } from 'node:crypto';
import { fromMinorUnits } from '../../domain/money';
import type { LedgerEntry } from '../types';
import { maskLedgerEntry } from './ledger-file';

/** A recorded leg as a ledger source reads it: amount in minor units, direction apart (posting's ledger adapters return it). */
export interface PostedLeg {
  legId: string;
  sequenceId: string;
  accountId: string;
  direction: 'DEBIT' | 'CREDIT';
  amountMinor: bigint;
  currency: string;
  valueDate: string;
  /** The authorisation id (the reconciliation reference), when known. */
  authorizationId?: string;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One leg as a ledger entry of the statement account it belongs to: credit = +, debit = -;
 * entryId = leg id; reference = the authorisation id, else the sequence id; booking date = value
 * date. PCI-3: nothing card-like leaves the reader.
 */
export function legEntry(leg: PostedLeg, statementAccount: string): LedgerEntry {
  const minor = leg.direction === 'CREDIT' ? leg.amountMinor : -leg.amountMinor;
  return maskLedgerEntry({
    entryId: leg.legId,
    accountId: statementAccount,
    currency: leg.currency,
    amount: fromMinorUnits(minor, leg.currency),
    bookingDate: leg.valueDate,
    valueDate: leg.valueDate,
    reference: leg.authorizationId ?? leg.sequenceId,
    description: `${leg.direction === 'CREDIT' ? 'credit' : 'debit'} ${leg.accountId} posting ${leg.sequenceId}`,
  });
}

/** Entries in a stable order (account, value date, entry id) and their digest (part of the run id). */
export function entriesWithDigest(entries: LedgerEntry[]): { entries: LedgerEntry[]; digest: string } {
  entries.sort((a, b) => compare(a.accountId, b.accountId) || compare(a.valueDate, b.valueDate) || compare(a.entryId, b.entryId));
  const hash = createHash('sha256');
  for (const entry of entries) hash.update(`${entry.entryId}\u0000${entry.accountId}\u0000${entry.amount}\u0000${entry.currency}\u0000${entry.valueDate}\u0000${entry.reference}\n`);
  return { entries, digest: hash.digest('hex') };
}
