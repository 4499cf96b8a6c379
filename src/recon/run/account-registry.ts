/**
 * The accounts finance reconciles (REC-ACC-1): a registry file that declares statement accounts,
 * so that an account with no ledger entries yet (a new account) reconciles to "all unmatched"
 * instead of being refused as unknown. The ledger side still decides for every account it knows;
 * the registry only adds accounts it does not.
 *
 * Format: one account id or IBAN per line, as the statements name it; blank lines and `#` comments
 * are ignored; IBANs may be written in groups of four (spaces are removed, letters uppercased).
 */
import { readFileSync } from 'node:fs';
import { containsPan } from '../../domain/pan';
import type { LedgerSide } from './ledger-file';

export class AccountRegistryError extends Error {
  override name = 'AccountRegistryError';
}

const ACCOUNT = /^[A-Za-z0-9._:/-]{1,64}$/;
const IBAN = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/;

/** The canonical spelling of a declared or statement account: IBANs without spaces, uppercased. */
export function canonicalAccount(text: string): string {
  const squeezed = text.trim().replace(/\s+/g, '');
  return IBAN.test(squeezed.toUpperCase()) ? squeezed.toUpperCase() : squeezed;
}

/** Parses a registry's text; every fault names the file, the line and what is wrong. */
export function parseAccountRegistry(text: string, file: string): ReadonlySet<string> {
  const accounts = new Set<string>();
  const faults: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const account = canonicalAccount(line);
    const at = `${file}:${index + 1}`;
    // PCI-3: a card number is never an account; the fault does not repeat it.
    if (containsPan(account, 'identifier')) faults.push(`${at}: a card number is not an account (PCI-3)`);
    else if (!ACCOUNT.test(account)) faults.push(`${at}: "${account.slice(0, 64)}" is not an account id or IBAN (letters, digits and . _ : / - only, at most 64)`);
    else accounts.add(account);
  });
  if (faults.length > 0) throw new AccountRegistryError(`account registry ${file}: ${faults.length} fault${faults.length === 1 ? '' : 's'}:\n  ${faults.join('\n  ')}`);
  return accounts;
}

export function readAccountRegistry(file: string): ReadonlySet<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AccountRegistryError(`account registry ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseAccountRegistry(text, file);
}

/** The ledger side, knowing also the declared accounts (their entries: whatever the ledger has, often none). */
export function withDeclaredAccounts(ledger: LedgerSide, declared: ReadonlySet<string>): LedgerSide {
  if (declared.size === 0) return ledger;
  const knownToLedger = (accounts: ReadonlySet<string>): Set<string> => new Set([...accounts].filter((account) => ledger.knows(account)));
  return {
    ...ledger,
    knows: (accountId) => ledger.knows(accountId) || declared.has(canonicalAccount(accountId)),
    // A declared account the ledger does not know has no entries yet: its lines all stay unmatched.
    entries: (accounts) => ledger.entries(knownToLedger(accounts)),
    digest: (accounts) => {
      const declaredOnly = [...accounts].filter((account) => !ledger.knows(account)).sort();
      const digest = ledger.digest(knownToLedger(accounts));
      return declaredOnly.length > 0 ? `${digest}+declared:${declaredOnly.join(',')}` : digest;
    },
  };
}
