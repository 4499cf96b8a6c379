/**
 * The embedded ledger sources of a reconciliation run (REC-1, ports/reconciliation.ts LedgerSource):
 *
 * - the posting pipeline's state (`--state DIR`): the legs posting recorded, read through the
 *   posting ledger adapter (./ledger-store.ts `postedLegs`), one LedgerEntry per leg (credit = +,
 *   debit = -; entryId = leg id; reference = the authorisation id, else the sequence id; booking
 *   date = value date), for the accounts the statements name. A statement account resolves
 *   through reference data by IBAN or by account id ("account X is not in reference data"
 *   otherwise); the entries then carry the statement's identifier so both sides partition alike.
 *   Bank-internal accounts (FX positions, fee income) are never on a statement and so never in scope.
 * - a ledger file (`--ledger FILE`, CSV or NDJSON: src/recon/run/ledger-file.ts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LedgerSource } from '../../ports/reconciliation';
import type { LedgerEntry } from '../../recon/types';
import { BadInputError } from '../../recon/run/errors';
import { ledgerFileSide, type LedgerSide } from '../../recon/run/ledger-file';
import { entriesWithDigest, legEntry } from '../../recon/run/posted-legs';
import { partitionDirs } from '../../runtime/state-layout';
import { STATE_DB_FILE } from './database';
import { postedLegs } from './ledger-store';
import { loadReferenceData, type EmbeddedReferenceData } from './reference-data';

/** A synchronous ledger side (a file, the state) as the run's LedgerSource. */
export function ledgerSourceOf(side: LedgerSide): LedgerSource {
  const source = resolve(side.source);
  return {
    kind: side.kind,
    source,
    knows: async (accountId) => side.knows(accountId),
    unknownAccountFault: (accountId) => side.unknownAccountFault(accountId),
    unknownAccountScope: () => (side.kind === 'file' ? `the ledger ${side.source}` : 'reference data'),
    entries: async (accounts) => side.entries(accounts),
    digest: async (accounts) => side.digest(accounts),
  };
}

/** A ledger file as the ledger source (it defines its own accounts). Bad rows: BadInputError naming the file. */
export async function fileLedgerSource(path: string): Promise<LedgerSource> {
  return ledgerSourceOf(await ledgerFileSide(path));
}

/**
 * The posting pipeline's state as the ledger side (synchronous: the embedded run and the
 * partitioned runtime's tests read it). Statement accounts resolve through reference data.
 */
export function stateLedgerSide(stateDir: string, referenceData: EmbeddedReferenceData): LedgerSide {
  if (!existsSync(stateDir)) throw new BadInputError(stateDir, { file: stateDir }, 'state directory does not exist (run `ledgerline post --state DIR ...` first)', 'malformed');
  // A partitioned state (src/runtime/state-layout.ts) has one ledger database per partition.
  const dbFiles = partitionDirs(stateDir).map((dir) => join(dir, STATE_DB_FILE));
  if (dbFiles.length === 0) throw new BadInputError(stateDir, { file: join(stateDir, STATE_DB_FILE) }, 'state directory has no ledger database', 'malformed');
  const byIban = new Map<string, string>();
  for (const account of [...referenceData.accounts, ...referenceData.settlementAccounts]) byIban.set(account.iban, account.accountId);
  const ledgerAccount = (statementAccount: string): string | undefined => byIban.get(statementAccount) ?? referenceData.accountSync(statementAccount)?.accountId;
  const cache = new Map<string, { entries: LedgerEntry[]; digest: string }>();
  const load = (statementAccounts: ReadonlySet<string>) => {
    const key = [...statementAccounts].sort().join('\u0000');
    const hit = cache.get(key);
    if (hit) return hit;
    const ledgerToStatement = new Map<string, string>();
    for (const account of [...statementAccounts].sort()) {
      const resolved = ledgerAccount(account);
      if (resolved === undefined) throw new Error(`account ${account} is not in reference data`);
      if (!ledgerToStatement.has(resolved)) ledgerToStatement.set(resolved, account);
    }
    const ids = [...ledgerToStatement.keys()];
    const entries = dbFiles.flatMap((dbFile) => postedLegs(dbFile, ids).map((leg) => legEntry(leg, ledgerToStatement.get(leg.accountId)!)));
    const result = entriesWithDigest(entries);
    cache.set(key, result);
    return result;
  };
  return {
    kind: 'state',
    source: stateDir,
    knows: (accountId) => ledgerAccount(accountId) !== undefined,
    unknownAccountFault: (accountId) => `account ${accountId} is not in reference data`,
    entries: (statementAccounts) => load(statementAccounts).entries,
    digest: (statementAccounts) => load(statementAccounts).digest,
  };
}

/** The posting pipeline's state as the run's ledger source; accounts resolve through the reference data in `referenceDataDir` (default: the bundled set). */
export function stateLedgerSource(stateDir: string, referenceDataDir?: string): LedgerSource {
  return ledgerSourceOf(stateLedgerSide(stateDir, loadReferenceData(referenceDataDir)));
}
