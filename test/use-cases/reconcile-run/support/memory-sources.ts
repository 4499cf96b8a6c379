/**
 * In-memory statement and ledger sources for the run use case's tests: statement files by name
 * (a content hash a committed run holds is skipped, as a registry would have it), and one account's
 * ledger entries as rows (`wrap` lets a test watch how the run reads them).
 */
import type { LedgerSource, StatementSource } from '../../../../src/ports/reconciliation';
import { ledgerRowsOf, type LedgerRows } from '../../../../src/recon/ledger-rows';
import type { LedgerEntry, ParsedStatementFile } from '../../../../src/recon/types';
import { parsedRowsOf } from '../../../../src/recon/statement-rows';

export function memoryStatements(files: ReadonlyMap<string, ParsedStatementFile>): StatementSource<string> {
  return {
    describe: (ref) => ref,
    async read(ref, skip) {
      const file = files.get(ref)!;
      // As the run's sources give them: the lines as rows.
      return (await skip(file.contentHash)) ? { name: ref, contentHash: file.contentHash } : { name: ref, contentHash: file.contentHash, parsed: parsedRowsOf(file) };
    },
  };
}

export function memoryLedger(account: string, entries: readonly LedgerEntry[], wrap: (rows: LedgerRows) => LedgerRows = (rows) => rows): LedgerSource {
  return {
    kind: 'file',
    source: 'memory',
    knows: async (accountId) => accountId === account,
    unknownAccountFault: (accountId) => `account ${accountId} is not in the ledger`,
    unknownAccountScope: () => 'the ledger memory',
    entries: async (accounts) => wrap(ledgerRowsOf(entries.filter((entry) => accounts.has(entry.accountId)))),
    digest: async () => 'memory',
  };
}
