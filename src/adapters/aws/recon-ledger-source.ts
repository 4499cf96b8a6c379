/**
 * The AWS ledger sources of a reconciliation run (ports/reconciliation.ts LedgerSource).
 *
 * - The ledger export object (RunConfig `ledger: {bucket, key}`): CSV or NDJSON in the format of
 *   `ledgerline reconcile --ledger` (src/recon/run/ledger-file.ts), read when first needed (a
 *   re-upload needs no ledger). It defines its own accounts.
 * - The posting ledger's journal (RunConfig `ledger: {table}`): the legs posting recorded in the
 *   DynamoDB ledger table, exactly once each (the journal item is the sequence's idempotency
 *   marker). Chosen over the posting outbox objects in S3: a re-delivered batch in another
 *   composition writes another outbox object holding the same records, the journal never does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ReconcileConfigError, type LedgerSource } from '../../ports/reconciliation';
import type { ObjectRef } from '../../recon/run/aws/objects';
import { readLedgerFile, type LedgerFile } from '../../recon/run/ledger-file';
import { downloadObject, s3Uri } from './recon-s3';
import type { PostingLeg } from '../../domain/events';
import { toMinorUnits } from '../../domain/money';
import type { LedgerEntry } from '../../recon/types';
import { ledgerRowsOf } from '../../recon/ledger-rows';
import { entriesWithDigest, legEntry } from '../../recon/run/posted-legs';

/** The ledger export object as the ledger source; a bad export is a configuration error naming the object. */
export function s3LedgerExportSource(s3: S3Client, ref: ObjectRef, options: { tmpDir?: string } = {}): LedgerSource {
  const uri = s3Uri(ref.bucket, ref.key);
  let loading: Promise<{ file: LedgerFile; accounts: Set<string> }> | undefined;
  const load = () =>
    (loading ??= (async () => {
      const work = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'recon-ledger-'));
      const path = join(work, `ledger-${basename(ref.key) || 'export'}`);
      try {
        await downloadObject(s3, ref, path);
        const file = await readLedgerFile(path);
        return { file, accounts: new Set(file.entries.map((entry) => entry.accountId)) };
      } catch (error) {
        const message = error instanceof Error ? error.message.split(path).join(uri) : String(error);
        throw new ReconcileConfigError(`ledger export: ${message}`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    })());
  return {
    kind: 'file',
    source: uri,
    knows: async (accountId) => (await load()).accounts.has(accountId),
    unknownAccountFault: (accountId) => `account ${accountId} is not in the ledger`,
    unknownAccountScope: () => `the ledger ${uri}`,
    entries: async (accounts) => ledgerRowsOf((await load()).file.entries.filter((entry) => accounts.has(entry.accountId))),
    digest: async (accounts) => `${(await load()).file.contentHash}:${[...accounts].sort().join(',')}`,
  };
}

/** What the journal ledger source reads: the DynamoDB posting ledger (DynamoLedgerStore.postedLegs). */
export interface PostedLegReader {
  postedLegs(accountIds: ReadonlySet<string>): Promise<PostingLeg[]>;
}

/**
 * The posting ledger itself (the DynamoDB journal items posting writes) as the ledger source:
 * one LedgerEntry per leg (credit = +, debit = -; entryId = leg id; reference = the authorisation
 * id; booking date = value date), for the statement accounts. A statement account names a ledger
 * account directly or through `accounts` (statement account, e.g. an IBAN → ledger account id);
 * it is known when the journal holds legs of it. The entries carry the statement's account.
 */
export function journalLedgerSource(ledger: PostedLegReader, options: { source: string; accounts?: Readonly<Record<string, string>> }): LedgerSource {
  const ledgerAccount = (statementAccount: string): string => options.accounts?.[statementAccount] ?? statementAccount;
  const cache = new Map<string, Promise<{ entries: LedgerEntry[]; digest: string }>>();
  const load = (statementAccounts: ReadonlySet<string>) => {
    const key = [...statementAccounts].sort().join('\u0000');
    let hit = cache.get(key);
    if (!hit) {
      hit = (async () => {
        const toStatement = new Map<string, string>();
        for (const account of [...statementAccounts].sort()) if (!toStatement.has(ledgerAccount(account))) toStatement.set(ledgerAccount(account), account);
        const legs = await ledger.postedLegs(new Set(toStatement.keys()));
        return entriesWithDigest(
          legs.map((leg) => {
            const minor = toMinorUnits(leg.amount.value, leg.amount.currency);
            return legEntry(
              {
                legId: leg.legId,
                sequenceId: leg.sequenceId,
                accountId: leg.accountId,
                direction: leg.direction,
                amountMinor: minor,
                currency: leg.amount.currency,
                valueDate: leg.valueDate,
                ...(leg.authorizationId ? { authorizationId: leg.authorizationId } : {}),
              },
              toStatement.get(leg.accountId)!,
            );
          }),
        );
      })();
      cache.set(key, hit);
    }
    return hit;
  };
  return {
    kind: 'journal',
    source: options.source,
    knows: async (accountId) => (await load(new Set([accountId]))).entries.length > 0,
    unknownAccountFault: (accountId) => `account ${accountId} has no postings in the ledger`,
    unknownAccountScope: () => `the ledger ${options.source}`,
    entries: async (accounts) => ledgerRowsOf((await load(accounts)).entries),
    digest: async (accounts) => (await load(accounts)).digest,
  };
}
