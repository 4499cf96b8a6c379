/**
 * The posting pipeline's state (`--state DIR`, its SQLite `ledger_legs`) as the ledger side:
 * one LedgerEntry per leg (credit = +, debit = -; entryId = leg id; reference = the
 * authorisation id, else the sequence id; booking date = value date), for the accounts the
 * statements name. A statement account resolves through reference data by IBAN or by account
 * id ("account X is not in reference data" otherwise); the entries then carry the statement's
 * identifier so both sides partition alike. Bank-internal accounts (FX positions, fee income)
 * are never on a statement and so never in scope.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fromMinorUnits } from '../../domain/money';
import { sequenceIdFor } from '../../domain/posting';
import { STATE_DB_FILE } from '../../adapters/embedded/database';
import { partitionDirs } from '../../runtime/state-layout';

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
import type { EmbeddedReferenceData } from '../../adapters/embedded/reference-data';
import type { LedgerEntry } from '../types';
import { BadInputError } from './errors';
import { maskLedgerEntry, type LedgerSide } from './ledger-file';

interface LegRow {
  leg_id: string;
  sequence_id: string;
  account_id: string;
  direction: string;
  amount_minor: bigint;
  currency: string;
  value_date: string;
}

/**
 * The posting pipeline's state as the ledger side. Statement accounts resolve through
 * reference data (IBAN or account id); unknown ones are "not in reference data".
 */
export function stateLedgerSide(stateDir: string, referenceData: EmbeddedReferenceData): LedgerSide {
  if (!existsSync(stateDir)) throw new BadInputError(stateDir, { file: stateDir }, 'state directory does not exist (run `ledgerline post --state DIR ...` first)', 'malformed');
  // A partitioned state (src/runtime/state-layout.ts) has one ledger database per partition.
  const dbFiles = partitionDirs(stateDir).map((dir) => join(dir, STATE_DB_FILE));
  if (dbFiles.length === 0) throw new BadInputError(stateDir, { file: join(stateDir, STATE_DB_FILE) }, 'state directory has no ledger database', 'malformed');
  const byIban = new Map<string, string>();
  for (const account of [...referenceData.accounts, ...referenceData.settlementAccounts]) byIban.set(account.iban, account.accountId);
  const resolve = (statementAccount: string): string | undefined => byIban.get(statementAccount) ?? referenceData.accountSync(statementAccount)?.accountId;
  const cache = new Map<string, { entries: LedgerEntry[]; digest: string }>();
  const load = (statementAccounts: ReadonlySet<string>) => {
    const key = [...statementAccounts].sort().join('\u0000');
    const hit = cache.get(key);
    if (hit) return hit;
    const ledgerToStatement = new Map<string, string>();
    for (const account of [...statementAccounts].sort()) {
      const ledgerAccount = resolve(account);
      if (ledgerAccount === undefined) throw new Error(`account ${account} is not in reference data`);
      if (!ledgerToStatement.has(ledgerAccount)) ledgerToStatement.set(ledgerAccount, account);
    }
    const rows: LegRow[] = [];
    const authorisations = new Map<string, string>();
    for (const dbFile of dbFiles) {
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      try {
        const hasLegs = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_legs'").get();
        if (!hasLegs || ledgerToStatement.size === 0) continue;
        const ids = [...ledgerToStatement.keys()];
        // Legs keep their authorisation id; a state written before they did finds it through its transaction rows.
        const hasAuthorisation = (db.prepare("SELECT name FROM pragma_table_info('ledger_legs')").pluck().all() as string[]).includes('authorization_id');
        const select = db
          .prepare(
            `SELECT leg_id, sequence_id, account_id, direction, amount_minor, currency, value_date${hasAuthorisation ? ', authorization_id' : ''} FROM ledger_legs WHERE account_id IN (${ids.map(() => '?').join(',')})`,
          )
          .safeIntegers(true);
        const found = select.all(...ids) as (LegRow & { authorization_id?: string | null })[];
        rows.push(...found);
        for (const row of found) if (row.authorization_id) authorisations.set(row.sequence_id, row.authorization_id);
        const missing = new Set(found.filter((row) => !row.authorization_id).map((row) => row.sequence_id));
        for (const [sequence, authorisation] of authorisationIds(db, missing)) authorisations.set(sequence, authorisation);
      } finally {
        db.close();
      }
    }
    rows.sort((a, b) => compare(a.account_id, b.account_id) || compare(a.value_date, b.value_date) || compare(a.leg_id, b.leg_id));
    const hash = createHash('sha256');
    const entries = rows.map((row): LedgerEntry => {
      const minor = row.direction === 'CREDIT' ? row.amount_minor : -row.amount_minor;
      const reference = authorisations.get(row.sequence_id) ?? row.sequence_id;
      // PCI-3: an authorisation id is upstream text; nothing card-like leaves the reader.
      const entry: LedgerEntry = maskLedgerEntry({
        entryId: row.leg_id,
        accountId: ledgerToStatement.get(row.account_id)!,
        currency: row.currency,
        amount: fromMinorUnits(minor, row.currency),
        bookingDate: row.value_date,
        valueDate: row.value_date,
        reference,
        description: `${row.direction === 'CREDIT' ? 'credit' : 'debit'} ${row.account_id} posting ${row.sequence_id}`,
      });
      hash.update(`${entry.entryId}\u0000${entry.accountId}\u0000${entry.amount}\u0000${entry.currency}\u0000${entry.valueDate}\u0000${entry.reference}\n`);
      return entry;
    });
    const result = { entries, digest: hash.digest('hex') };
    cache.set(key, result);
    return result;
  };
  return {
    kind: 'state',
    source: stateDir,
    knows: (accountId) => resolve(accountId) !== undefined,
    unknownAccountFault: (accountId) => `account ${accountId} is not in reference data`,
    entries: (statementAccounts) => load(statementAccounts).entries,
    digest: (statementAccounts) => load(statementAccounts).digest,
  };
}

/** sequence id → authorisation id, through the transactions table (sequence id = f(correlation id)). */
function authorisationIds(db: Database.Database, wanted: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  if (wanted.size === 0) return found;
  const hasTransactions = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'transactions'").get();
  if (!hasTransactions) return found;
  for (const row of db.prepare('SELECT transaction_id, authorization_id FROM transactions').iterate() as IterableIterator<{ transaction_id: string; authorization_id: string }>) {
    const sequenceId = sequenceIdFor(row.transaction_id);
    if (wanted.has(sequenceId)) {
      found.set(sequenceId, row.authorization_id);
      if (found.size === wanted.size) break;
    }
  }
  return found;
}
