/**
 * The analytics store's bulk load (REC-OUT-1, REC-OUT-3): rows go through CSV load files and
 * DuckDB's CSV reader. Every value must come back exactly as given (after the store's PCI-3
 * masking): text that looks like a formula, starts with an apostrophe, holds quotes, commas,
 * line breaks, surrounding blanks, full-width signs or format characters; empty text is NULL;
 * amounts exact. A failing load leaves no rows and no load files behind.
 */
import { runLookups } from '../../../src/recon/run/run-lookups';
import { statementRowsOf } from '../../../src/recon/statement-rows';
import { encodeLedgerFile } from '../../support/ledger-columns';
import { columnLedgerRows, ledgerRowsOf, type LedgerRows } from '../../../src/recon/ledger-rows';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactPans } from '../../../src/domain/pan';
import { DUCKDB_FILE, PARQUET_ROW_GROUP_ROWS } from '../../../src/recon/run/analytics-store';
import { loadRun } from './support/load-run';
import { queryStore } from '../../support/analytics-store';
import { exceptionRows, matchRows, type RunSummary } from '../../../src/recon/run/results';
import type { ExceptionReason, LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../../../src/recon/types';

jest.setTimeout(120_000);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ledgerline-analytics-load-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Characters a CSV or a spreadsheet treats specially, plus plain ones. */
const HOSTILE = ["'", '=', '+', '-', '@', ',', '"', '\n', '\r', '\t', ' ', '\uFF1D', '\uFF0B', '\u200B', '\u00A0', 'é', '€', '𝄞', 'a', 'Z', '0', '7', ';', '\\', '|'];
const hostileText = fc.array(fc.constantFrom(...HOSTILE), { maxLength: 12 }).map((chars) => chars.join(''));
const nonEmpty = hostileText.filter((text) => text.trim() !== '');
const optionalText = fc.option(hostileText, { nil: undefined });
const date = fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2039-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
// Small, around DECIMAL(18,6)'s bound (10^12) and up to DECIMAL(38,6)'s: every amount exact whichever cast it takes.
const amount = fc
  .oneof(fc.bigInt({ min: -(10n ** 8n), max: 10n ** 8n }), fc.bigInt({ min: 10n ** 14n - 1000n, max: 10n ** 14n + 1000n }), fc.bigInt({ min: -(10n ** 33n), max: 10n ** 33n }))
  .map((minor) => {
    const digits = (minor < 0n ? -minor : minor).toString().padStart(3, '0');
    return `${minor < 0n ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
  });

const statementLine = fc.record({
  statementId: nonEmpty,
  accountId: nonEmpty,
  currency: fc.constantFrom('EUR', 'GBP', 'USD'),
  amount,
  bookingDate: fc.option(date, { nil: null }),
  valueDate: fc.option(date, { nil: null }),
  endToEndId: optionalText,
  bankReference: optionalText,
  customerReference: optionalText,
  remittanceInformation: optionalText,
  counterparty: optionalText,
  typeCode: optionalText,
  status: optionalText,
  batchItemCount: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
  file: hostileText,
});
const ledgerEntry = fc.record({ accountId: nonEmpty, currency: fc.constantFrom('EUR', 'JPY'), amount, bookingDate: date, valueDate: date, reference: hostileText, description: hostileText });

const dataset = fc.record({
  lines: fc.array(statementLine, { minLength: 1, maxLength: 25 }),
  entries: fc.array(ledgerEntry, { minLength: 1, maxLength: 25 }),
  detail: hostileText,
  ruleId: nonEmpty,
  reason: fc.constantFrom<ExceptionReason>('UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE'),
});

function summaryOf(runId: string, lines: number, entries: number): RunSummary {
  return {
    runId,
    asOf: '2025-06-30',
    ruleSet: { ruleSetId: 'rules,\'=1+1"', version: 1 },
    statementFiles: [],
    reuploaded: [],
    statementLines: lines,
    ledgerEntries: entries,
    ledgerEntriesAlreadyReconciled: 0,
    matched: { total: 0, confirmed: 0, proposed: 0, byRule: {} },
    unmatchedStatement: 0,
    unmatchedLedger: 0,
    exceptions: {},
    balanceChecks: [],
  };
}

const id = (value: string | undefined): string | null => (value === undefined || value === '' ? null : redactPans(value, 'identifier'));
const text = (value: string | undefined): string | null => (value === undefined || value === '' ? null : redactPans(value));
const nulled = (row: string[]): (string | null)[] => row.map((cell) => (cell === '' ? null : cell));

let runs = 0;

describe('the analytics store bulk load', () => {
  it('gives back every value of every table exactly (generated hostile text, amounts, dates, nulls)', async () => {
    await fc.assert(
      fc.asyncProperty(dataset, async ({ lines: specs, entries: entrySpecs, detail, ruleId, reason }) => {
        runs += 1;
        const out = join(root, `store-${runs}`);
        const runId = `run-${runs}`;
        const lines: StatementLine[] = specs.map((spec, i) => {
          const line: StatementLine = {
            statementLineId: `abc:0:${i}`,
            format: 'camt.053',
            statementId: spec.statementId,
            accountId: spec.accountId,
            currency: spec.currency,
            amount: spec.amount,
            bookingDate: spec.bookingDate,
            valueDate: spec.valueDate,
            position: { file: 'x' },
          };
          for (const key of ['endToEndId', 'bankReference', 'customerReference', 'remittanceInformation', 'counterparty', 'typeCode', 'status'] as const)
            if (spec[key] !== undefined) line[key] = spec[key];
          if (spec.batchItemCount !== undefined) line.batchItemCount = spec.batchItemCount;
          return line;
        });
        const entries: LedgerEntry[] = entrySpecs.map((spec, i) => ({ ...spec, entryId: i % 3 === 0 ? `'=E${i}` : `E,${i}` }));
        const matches: Match[] = [{ matchId: `m'=1,"x"`, ruleId, confidence: 0.95, status: 'proposed', statementLineIds: [lines[0]!.statementLineId], ledgerEntryIds: [entries[0]!.entryId] }];
        const unmatched: UnmatchedItem[] = [
          ...lines.slice(1).map((line): UnmatchedItem => ({ side: 'statement', id: line.statementLineId, reason, ageDays: 3, detail })),
          ...entries.slice(1).map((entry, i): UnmatchedItem => ({
            side: 'ledger',
            id: entry.entryId,
            reason,
            ageDays: 400,
            candidateId: lines[0]!.statementLineId,
            detail,
            ...(i % 2 === 0 ? { group: `g'=${i},"x"` } : {}),
          })),
        ];
        const result: MatchResult = { matches, unmatched };
        // Every other run holds its entries as a ledger file's columns from its helper thread (REC-PERF-1): loaded the same.
        let rows: LedgerRows = ledgerRowsOf(entries);
        if (runs % 2 === 0) {
          const { message } = encodeLedgerFile({ path: 'ledger.csv', format: 'csv', contentHash: 'h', entries }, { pieceChars: 16 });
          rows = columnLedgerRows(message.rows, message.columns);
        }
        const lookups = runLookups(statementRowsOf(lines), rows, []);
        const parquetDir = join(out, 'staging', 'parquet');
        const load = await loadRun(
          out,
          {
            runId,
            recordedAt: new Date('2025-07-01T10:00:00Z'),
            summary: summaryOf(runId, lines.length, entries.length),
            statementLines: statementRowsOf(lines),
            fileOf: (lineId) => specs[Number(lineId.split(':')[2])]!.file,
            ledgerEntries: rows,
            result,
            lookups,
            parquetDir,
          },
          // The run's directory is where its parquet/ is: the views list it once committed.
          { runIds: new Set(), runDir: (id) => (id === runId ? join(out, 'staging') : undefined) },
        );
        await load.commit();
        // Only the Parquet copies remain in the staging dir: the load files are gone.
        expect(readdirSync(parquetDir).sort()).toEqual(['exceptions.parquet', 'ledger_entries.parquet', 'matches.parquet', 'runs.parquet', 'statement_lines.parquet']);

        const storedLines = await queryStore<Record<string, string | number | null>>(
          out,
          `SELECT statement_line_id, file, format, statement_id, account_id, currency, CAST(amount AS DECIMAL(38,2))::VARCHAR amount, booking_date::VARCHAR booking_date, value_date::VARCHAR value_date,
             end_to_end_id, bank_reference, customer_reference, remittance_information, counterparty, type_code, status, batch_item_count, run_id
           FROM statement_lines ORDER BY CAST(split_part(statement_line_id, ':', 3) AS INTEGER)`,
        );
        expect(storedLines).toEqual(
          lines.map((l, i) => ({
            statement_line_id: l.statementLineId,
            file: text(specs[i]!.file),
            format: 'camt.053',
            statement_id: id(l.statementId),
            account_id: id(l.accountId),
            currency: l.currency,
            amount: l.amount,
            booking_date: l.bookingDate,
            value_date: l.valueDate,
            end_to_end_id: id(l.endToEndId),
            bank_reference: id(l.bankReference),
            customer_reference: id(l.customerReference),
            remittance_information: text(l.remittanceInformation),
            counterparty: text(l.counterparty),
            type_code: id(l.typeCode),
            status: id(l.status),
            batch_item_count: l.batchItemCount ?? null,
            run_id: runId,
          })),
        );
        const storedEntries = await queryStore<Record<string, string | null>>(
          out,
          `SELECT entry_id, account_id, currency, CAST(amount AS DECIMAL(38,2))::VARCHAR amount, booking_date::VARCHAR booking_date, value_date::VARCHAR value_date, reference, description FROM ledger_entries`,
        );
        expect(storedEntries).toEqual(
          entries.map((e) => ({
            entry_id: id(e.entryId),
            account_id: id(e.accountId),
            currency: e.currency,
            amount: e.amount,
            booking_date: e.bookingDate,
            value_date: e.valueDate,
            reference: id(e.reference),
            description: text(e.description),
          })),
        );
        const storedMatches = await queryStore<Record<string, string | null>>(
          out,
          'SELECT match_id, statement_line_id, bank_reference, ledger_entry_id, rule_id, confidence::VARCHAR confidence, status FROM matches',
        );
        expect(storedMatches.map((row) => Object.values(row))).toEqual([...matchRows(result, lookups)].map(nulled));
        const storedExceptions = await queryStore<Record<string, string | number | null>>(
          out,
          'SELECT side, id, reason, age_days::VARCHAR age_days, statement_line_id, bank_reference, ledger_entry_id, account_id, currency, CAST(amount AS DECIMAL(38,2))::VARCHAR amount, detail, case_group FROM exceptions',
        );
        expect(storedExceptions.map((row) => Object.values(row))).toEqual([...exceptionRows(result, lookups)].map(nulled));
        const [run] = await queryStore<{ run_id: string; rule_set: string; statement_lines: string }>(out, 'SELECT run_id, rule_set, statement_lines::VARCHAR statement_lines FROM runs');
        expect(run).toEqual({ run_id: runId, rule_set: `rules,'=1+1"@1`, statement_lines: String(lines.length) });
        rmSync(out, { recursive: true, force: true });
      }),
      { numRuns: 12, seed: 2026 },
    );
  });

  it('a row DuckDB refuses (an amount or a date DuckDB cannot cast) fails the load: no rows, no store it created, no load files left', async () => {
    const bad: [string, Partial<StatementLine>][] = [
      ['amount', { amount: '12,50' }],
      ['amount', { amount: '1.2.3' }],
      ['booking date', { bookingDate: '2025-02-30' }],
      ['value date', { valueDate: 'yesterday' }],
    ];
    for (const [what, fault] of bad) {
      const out = join(root, `bad-${what.replace(/ /g, '-')}-${runs++}`);
      const good: StatementLine = {
        statementLineId: 'abc:0:0',
        format: 'mt940',
        statementId: 'S',
        accountId: 'A',
        currency: 'EUR',
        amount: '1.00',
        bookingDate: '2025-01-01',
        valueDate: '2025-01-01',
        position: { file: 'x' },
      };
      const lines = [good, { ...good, statementLineId: 'abc:0:1', ...fault }];
      const parquetDir = join(out, 'staging', 'parquet');
      await expect(
        loadRun(
          out,
          {
            runId: 'run-bad',
            recordedAt: new Date(),
            summary: summaryOf('run-bad', 2, 0),
            statementLines: statementRowsOf(lines),
            fileOf: () => 'f',
            ledgerEntries: ledgerRowsOf([]),
            result: { matches: [], unmatched: [] },
            lookups: runLookups(statementRowsOf(lines), ledgerRowsOf([]), []),
            parquetDir,
          },
          { runIds: new Set(), runDir: () => undefined },
        ),
      ).rejects.toThrow();
      expect(existsSync(join(out, DUCKDB_FILE))).toBe(false);
      expect(readdirSync(parquetDir).filter((name) => name.endsWith('.csv'))).toEqual([]);
    }
  });

  it('writes Parquet in row groups of at most PARQUET_ROW_GROUP_ROWS rows (the copies hold one in memory: REC-PERF-1), every row kept', async () => {
    const out = join(root, 'row-groups');
    const runId = 'run-row-groups';
    const count = 2 * PARQUET_ROW_GROUP_ROWS + 1_000;
    const entries: LedgerEntry[] = Array.from({ length: count }, (_, i) => ({
      entryId: `LE${String(i).padStart(7, '0')}`,
      accountId: 'GB33LEDG000001',
      currency: 'EUR',
      amount: `${i}.${String(i % 100).padStart(2, '0')}`,
      bookingDate: '2025-06-20',
      valueDate: '2025-06-20',
      reference: `R${i}`,
      description: 'entry',
    }));
    const result: MatchResult = { matches: [], unmatched: [] };
    const parquetDir = join(out, 'staging', 'parquet');
    const load = await loadRun(
      out,
      {
        runId,
        recordedAt: new Date('2025-07-01T10:00:00Z'),
        summary: summaryOf(runId, 0, count),
        statementLines: statementRowsOf([]),
        fileOf: () => 'none',
        ledgerEntries: ledgerRowsOf(entries),
        result,
        lookups: runLookups(statementRowsOf([]), ledgerRowsOf(entries), []),
        parquetDir,
      },
      { runIds: new Set(), runDir: (id) => (id === runId ? join(out, 'staging') : undefined) },
    );
    await load.commit();
    const groups = await queryStore<{ rows: number }>(
      out,
      `SELECT row_group_num_rows AS rows FROM parquet_metadata('${join(parquetDir, 'ledger_entries.parquet')}') GROUP BY row_group_id, row_group_num_rows ORDER BY row_group_id`,
    );
    expect(groups.length).toBeGreaterThanOrEqual(3);
    for (const group of groups) expect(Number(group.rows)).toBeLessThanOrEqual(PARQUET_ROW_GROUP_ROWS);
    expect(groups.reduce((sum, group) => sum + Number(group.rows), 0)).toBe(count);
    const stored = await queryStore<{ n: number; last: string }>(out, `SELECT count(*)::INTEGER AS n, max(entry_id) AS last FROM ledger_entries WHERE run_id = '${runId}'`);
    expect(stored).toEqual([{ n: count, last: entries[count - 1]!.entryId }]);
  });
});
