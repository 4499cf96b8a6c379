/**
 * REC-1, REC-PERF-1: scope reads the run's lines in one pass (listing, filing, bookable or
 * excluded, accounts). Whatever the files, statements, statuses, currencies and id shapes, it must
 * answer as the definitions it folds together: splitBookable over the statements, the accounts of
 * every line (first seen first), the ledger asked for those, the registry for the ledger's own
 * accounts, and committed entries left out.
 */
import fc from 'fast-check';
import type { LedgerSource } from '../../../src/ports/reconciliation';
import { ledgerRowsOf } from '../../../src/recon/ledger-rows';
import { splitBookable } from '../../support/bookable-split';
import type { LedgerEntry, ParsedStatement, ParsedStatementFile, StatementLine } from '../../../src/recon/types';
import { scope, type AdmittedInput } from '../../../src/use-cases/reconcile-run/reconcile-run';
import { parsedRowsOf } from '../../../src/recon/statement-rows';

/** Each input's statements as objects (the run is given them as rows: parsedRowsOf). */
const objectsOf = new WeakMap<AdmittedInput<string>, ParsedStatement[]>();

const ACCOUNTS = ['GB01', 'GB02', 'GB03'];

const aLine = fc.record({
  account: fc.nat(2),
  currency: fc.constantFrom('EUR', 'EUR', 'USD'),
  status: fc.constantFrom(undefined, 'BOOK', 'BOOK', 'PDNG', 'INFO'),
  ownPrefix: fc.constantFrom(true, true, true, false),
});

const aStatement = fc.record({ currency: fc.constantFrom('EUR', 'EUR', undefined), lines: fc.array(aLine, { maxLength: 8 }) });
const aFile = fc.record({ hash: fc.constantFrom('0a1b2c3d4e5f', 'ffffffffffff'), statements: fc.array(aStatement, { maxLength: 3 }), reupload: fc.boolean() });

function inputsOf(
  files: Array<{
    hash: string;
    statements: Array<{ currency: string | undefined; lines: Array<{ account: number; currency: string; status: string | undefined; ownPrefix: boolean }> }>;
    reupload: boolean;
  }>,
): AdmittedInput<string>[] {
  let n = 0;
  return files.map((file, f) => {
    const statements = file.statements.map((statement, s) => {
      const lines = statement.lines.map((line) => {
        n += 1;
        const row: Partial<StatementLine> = {
          statementLineId: line.ownPrefix ? `${file.hash}:${s + 1}:${n}` : `other-${n}`,
          accountId: ACCOUNTS[line.account]!,
          currency: line.currency,
          amount: '1.00',
          bookingDate: '2025-06-20',
        };
        if (line.status !== undefined) (row as { status?: string }).status = line.status;
        return row as StatementLine;
      });
      return { currency: statement.currency, lines } as unknown as ParsedStatement;
    });
    const input: AdmittedInput<string> = { ref: `file-${f}`, name: `file-${f}.sta`, contentHash: `${file.hash}${'0'.repeat(52)}` };
    if (!file.reupload) {
      input.parsed = parsedRowsOf({ statements } as unknown as ParsedStatementFile);
      objectsOf.set(input, statements);
    }
    return input;
  });
}

describe('scope (REC-1, REC-PERF-1)', () => {
  it('property: lines, bookable and excluded lines, accounts and ledger as the separate definitions give them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(aFile, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(2), fc.nat(5)), { maxLength: 10 }),
        fc.array(fc.nat(5), { maxLength: 3 }),
        async (files, entryRows, committed) => {
          const inputs = inputsOf(files);
          const entries = entryRows.map(([account, k]) => ({ entryId: `LE${k}`, accountId: ACCOUNTS[account]!, currency: 'EUR', amount: '1.00', bookingDate: '2025-06-20' }) as LedgerEntry);
          let askedLedger: string[] = [];
          let askedRegistry: string[] = [];
          const ledger = {
            source: 'ledger.csv',
            entries: async (accounts: ReadonlySet<string>) => {
              askedLedger = [...accounts];
              return ledgerRowsOf(entries);
            },
            digest: async () => 'digest',
          } as unknown as LedgerSource;
          const registry = {
            reconciledLedgerKeys: async (accounts: ReadonlySet<string>) => {
              askedRegistry = [...accounts];
              return new Set(committed.map((k) => `${ACCOUNTS[k % 3]}\u0000LE${k}`));
            },
          };
          const result = await scope({ ledger, registry }, inputs, { asOf: '2025-06-30', now: new Date(0) });

          const statements = inputs.flatMap((input) => objectsOf.get(input) ?? []);
          const lines = statements.flatMap((statement) => statement.lines);
          expect(result.statementLines.toArray()).toEqual(lines);
          const split = splitBookable(statements);
          expect(result.bookable.toArray()).toEqual(split.bookable);
          expect(result.excluded).toEqual(split.excluded);
          expect([...result.statementAccounts]).toEqual([...new Set(lines.map((line) => line.accountId))]);
          expect(askedLedger).toEqual([...new Set(lines.map((line) => line.accountId))]);
          expect(askedRegistry).toEqual([...new Set(entries.map((entry) => entry.accountId))]);
          const reconciled = new Set(committed.map((k) => `${ACCOUNTS[k % 3]}\u0000LE${k}`));
          expect(result.ledgerEntries.toArray()).toEqual(reconciled.size > 0 ? entries.filter((entry) => !reconciled.has(`${entry.accountId}\u0000${entry.entryId}`)) : entries);
          expect(result.alreadyReconciled).toBe(entries.length - result.ledgerEntries.length);
          for (const line of lines) {
            const input = inputs.find((candidate) => objectsOf.get(candidate)?.some((statement) => statement.lines.includes(line)))!;
            const prefix = `${input.contentHash.slice(0, 12)}:`;
            if (!line.statementLineId.startsWith(prefix)) expect(result.fileOfLine.get(line.statementLineId)).toBe(input.name);
          }
          for (const input of inputs) expect(result.fileOfLine.get(`${input.contentHash.slice(0, 12)}:`)).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: an as-of date before lines' booking dates is warned about, with their count and the latest date; otherwise nothing is said", async () => {
    const DAYS = ['2025-06-01', '2025-06-15', '2025-06-30', '2025-07-02'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.constantFrom(...DAYS), { nil: null }), { maxLength: 12 }), fc.option(fc.constantFrom(...DAYS), { nil: undefined }), async (bookingDates, asOf) => {
        const lines = bookingDates.map(
          (bookingDate, n) => ({ statementLineId: `0a1b2c3d4e5f:1:${n}`, accountId: 'GB01', currency: 'EUR', amount: '1.00', bookingDate, valueDate: '2025-07-09' }) as StatementLine,
        );
        const inputs: AdmittedInput<string>[] = [
          { ref: 'f', name: 'f.sta', contentHash: `0a1b2c3d4e5f${'0'.repeat(52)}`, parsed: parsedRowsOf({ statements: [{ currency: 'EUR', lines }] } as unknown as ParsedStatementFile) },
        ];
        const ledger = { source: 'ledger.csv', entries: async () => ledgerRowsOf([]), digest: async () => 'digest' } as unknown as LedgerSource;
        const said: string[] = [];
        const result = await scope({ ledger, registry: { reconciledLedgerKeys: async () => new Set<string>() }, progress: (m) => said.push(m) }, inputs, { asOf, now: new Date(0) });
        const later = asOf === undefined ? [] : bookingDates.filter((day): day is string => day !== null && day > asOf);
        const warnings = said.filter((m) => m.startsWith('warning: the as-of date'));
        if (later.length === 0) expect(warnings).toEqual([]);
        else {
          expect(warnings).toHaveLength(1);
          expect(warnings[0]).toContain(`the as-of date ${asOf} is before the booking date of ${later.length} statement line(s) (the latest ${[...later].sort().at(-1)})`);
        }
        // The warning changes nothing: the run is as of the date given (or its default).
        if (asOf !== undefined) expect(result.asOf).toBe(asOf);
      }),
      { numRuns: 300 },
    );
  });
});
