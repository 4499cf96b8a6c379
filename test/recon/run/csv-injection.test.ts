/**
 * Spreadsheet formula injection, the class test (REC-OUT-1): generated hostile cell contents go
 * through every CSV the project writes — matches.csv, exceptions.csv, the Redshift load files and
 * the workbench export — and a checker that parses each file back (its own RFC 4180 parser)
 * asserts no cell would be evaluated by a spreadsheet, except a plain decimal in a numeric column.
 * The neutralisation is reversible: the workbench import reads back exactly what was written.
 */
import { runLookups } from '../../../src/recon/run/run-lookups';
import { statementRowsOf } from '../../../src/recon/statement-rows';
import { ledgerRowsOf } from '../../../src/recon/ledger-rows';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMemoryDatabase } from '../../support/memory-database';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { csvTable, decodeCsvText, isCanonicalDecimal, numberCell, textCell } from '../../../src/recon/run/csv-writer';
import { LOAD_TABLES } from '../../../src/recon/run/aws/steps';
import { EXCEPTION_COLUMNS, exceptionRows, MATCH_COLUMNS, matchRows, renderExceptionsCsv, renderMatchesCsv } from '../../../src/recon/run/results';
import { casesCsv, CASES_CSV_COLUMNS, createWorkbenchApp } from '../../../src/recon/workbench/app';
import type { ExceptionCase } from '../../../src/recon/workbench/cases';
import { importNewRuns } from '../../../src/recon/workbench/import-run';
import type { ExceptionReason, LedgerEntry, MatchResult, StatementLine } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from '../../support/runtime';
import { exceptionCase, steppingClock } from '../workbench/helpers';
import { reconciled } from './helpers';
import { assertFormulaSafe, HOSTILE_EXAMPLES, hostileAmount, hostileText, parseCsv } from './csv-safety';

const REASONS: ExceptionReason[] = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE'];

/** A match result whose every text field an attacker could choose is hostile. */
const hostileRun = fc
  .record({
    lines: fc.array(fc.record({ bankReference: hostileText, accountId: hostileText, currency: hostileText, amount: hostileAmount }), { minLength: 1, maxLength: 4 }),
    entries: fc.array(fc.record({ entryId: hostileText, accountId: hostileText, currency: hostileText, amount: hostileAmount }), { minLength: 1, maxLength: 4 }),
    matchIds: fc.array(fc.record({ matchId: hostileText, ruleId: hostileText, confidence: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 3 }),
    details: fc.array(fc.record({ detail: hostileText, ageDays: fc.integer({ min: -400, max: 4000 }), reason: fc.constantFrom(...REASONS) }), { minLength: 1, maxLength: 6 }),
  })
  .map(({ lines, entries, matchIds, details }) => {
    const statementLines = lines.map((line, i): StatementLine => ({
      ...line,
      statementLineId: `0123456789ab:0:${i + 1}`,
      format: 'csv',
      statementId: 's',
      bookingDate: '2025-01-01',
      valueDate: '2025-01-01',
      position: { file: 'x', line: i + 1 },
    }));
    // Entry ids are unique per run: the index goes at the end, the hostile start stays.
    const ledgerEntries = entries.map((entry, i): LedgerEntry => ({ ...entry, entryId: `${entry.entryId}#${i}`, bookingDate: '2025-01-01', valueDate: '2025-01-01', reference: '', description: '' }));
    const result: MatchResult = {
      matches: matchIds.map((m, i) => ({
        ...m,
        status: i % 2 ? 'proposed' : 'confirmed',
        statementLineIds: [statementLines[i % statementLines.length]!.statementLineId],
        ledgerEntryIds: [ledgerEntries[i % ledgerEntries.length]!.entryId],
      })),
      unmatched: details.map((d, i) =>
        i % 2
          ? { side: 'ledger' as const, id: ledgerEntries[i % ledgerEntries.length]!.entryId, reason: d.reason, ageDays: d.ageDays, candidateId: statementLines[0]!.statementLineId, detail: d.detail }
          : {
              side: 'statement' as const,
              id: statementLines[i % statementLines.length]!.statementLineId,
              reason: d.reason,
              ageDays: d.ageDays,
              candidateId: ledgerEntries[0]!.entryId,
              detail: d.detail,
            },
      ),
    };
    return { statementLines, ledgerEntries, result };
  });

const hostileCase = fc
  .record({
    caseId: hostileText,
    reason: hostileText,
    accountId: hostileText,
    currency: hostileText,
    amount: hostileAmount,
    ageDays: fc.integer({ min: -400, max: 4000 }),
    bankReference: hostileText,
    ledgerEntryIds: fc.array(hostileText, { maxLength: 3 }),
    ruleId: hostileText,
    confidence: fc.oneof(fc.constantFrom('0.7500', '1.0000'), hostileText),
    assignee: hostileText,
    note: hostileText,
    by: hostileText,
    runId: hostileText,
  })
  .map((c): ExceptionCase =>
    exceptionCase({
      caseId: c.caseId,
      reason: c.reason,
      accountId: c.accountId,
      currency: c.currency,
      amount: c.amount,
      ageDays: c.ageDays,
      bankReference: c.bankReference,
      ledgerEntryIds: c.ledgerEntryIds,
      ruleId: c.ruleId,
      confidence: c.confidence,
      assignee: c.assignee,
      status: 'RESOLVED',
      resolution: { kind: 'BANK_ERROR', note: c.note, by: c.by, at: '2025-03-01T09:00:00.000Z' },
      runId: c.runId,
    }),
  );

describe('the one CSV writer (REC-OUT-1)', () => {
  it('the character-code fast paths decide exactly as the rules written as regular expressions (generated text)', () => {
    // The definitions: a formula start, a canonical decimal, and when a cell is quoted.
    const formulaStart = /^(?:[\t\r\n]|[\p{White_Space}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u;
    const canonicalDecimal = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
    const expectedCell = (text: string): string => {
      const neutral = formulaStart.test(text) || text.startsWith("'") ? `'${text}` : text;
      return /[",\r\n]/.test(neutral) || neutral !== neutral.trim() ? `"${neutral.replace(/"/g, '""')}"` : neutral;
    };
    const decimalLike = fc.array(fc.constantFrom('-', '0', '1', '9', '.', '+', ' ', 'e'), { maxLength: 8 }).map((chars) => chars.join(''));
    const anyText = fc.oneof(hostileText, decimalLike, fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme-ascii', maxLength: 12 }));
    fc.assert(
      fc.property(anyText, (text) => {
        expect(isCanonicalDecimal(text)).toBe(canonicalDecimal.test(text));
        expect(textCell(text)).toBe(expectedCell(text));
        expect(numberCell(text)).toBe(canonicalDecimal.test(text) ? text : expectedCell(text));
      }),
      { numRuns: fuzzRuns(3000), seed: fuzzSeed(4401) },
    );
  });

  it('chunks() writes the same text as render(), in pieces (generated tables)', () => {
    const table = csvTable(['a', 'b', 'n'], { numeric: ['n'] });
    fc.assert(
      fc.property(fc.array(fc.tuple(hostileText, fc.option(hostileText, { nil: undefined }), hostileAmount), { maxLength: 30 }), fc.boolean(), (rows, header) => {
        expect([...table.chunks(rows, { header })].join('')).toBe(table.render(rows, { header }));
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(4402) },
    );
  });

  it('records() is the header (unless left out) and then one piece per row, the same text as render() (generated tables)', () => {
    const table = csvTable(['a', 'b', 'n'], { numeric: ['n'] });
    fc.assert(
      fc.property(fc.array(fc.tuple(hostileText, fc.option(hostileText, { nil: undefined }), hostileAmount), { maxLength: 30 }), fc.boolean(), (rows, header) => {
        const records = [...table.records(rows, { header })];
        expect(records.join('')).toBe(table.render(rows, { header }));
        expect(records).toEqual([...(header ? [table.header()] : []), ...rows.map((row) => table.row(row))]);
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(4403) },
    );
  });

  it('neutralises every formula-like text cell and gives back the original text when read (generated cells)', () => {
    const table = csvTable(['text', 'amount'], { numeric: ['amount'] });
    fc.assert(
      fc.property(hostileText, hostileAmount, (text, amount) => {
        const [record] = assertFormulaSafe(table.row([text, amount]), ['text', 'amount'], ['amount'], { header: false });
        expect(decodeCsvText(record![0]!)).toBe(text);
        // A canonical decimal stays a number; anything else in the numeric column is text, read back intact.
        if (isCanonicalDecimal(amount)) expect(record![1]).toBe(amount);
        else expect(decodeCsvText(record![1]!)).toBe(amount);
      }),
      { numRuns: fuzzRuns(500), seed: fuzzSeed(9101) },
    );
  });

  it('writes the examples of the report as text, and signed amounts as numbers', () => {
    expect(textCell("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    expect(textCell('-2+3')).toBe("'-2+3");
    expect(textCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(textCell(' =1')).toBe("' =1");
    expect(textCell('-12.50')).toBe("'-12.50"); // text columns never carry a bare formula start
    expect(numberCell('-12.50')).toBe('-12.50');
    expect(numberCell(-3)).toBe('-3');
    expect(numberCell('-2+3')).toBe("'-2+3");
    expect(numberCell('+12.50')).toBe("'+12.50");
    expect(numberCell('1e3')).toBe('1e3'); // not a formula start: text as it is
    expect(textCell('plain')).toBe('plain');
    expect(textCell("'quoted")).toBe("''quoted");
  });

  it('matches.csv, exceptions.csv and the Redshift load files carry no formula (generated runs)', () => {
    fc.assert(
      fc.property(hostileRun, ({ statementLines, ledgerEntries, result }) => {
        const lookups = runLookups(statementRowsOf(statementLines), ledgerRowsOf(ledgerEntries), []);
        const matches = assertFormulaSafe(renderMatchesCsv(result, lookups), MATCH_COLUMNS, ['confidence']);
        const exceptions = assertFormulaSafe(renderExceptionsCsv(result, lookups), EXCEPTION_COLUMNS, ['ageDays', 'amount']);
        // Every row is there, and every cell reads back as what the run holds.
        expect(matches.map((row) => row.map(decodeCsvText))).toEqual([...matchRows(result, lookups)]);
        expect(exceptions.map((row) => row.map(decodeCsvText))).toEqual([...exceptionRows(result, lookups)]);
        const runId = 'run-20250101-0123456789abcdef';
        const load = (table: (typeof LOAD_TABLES)[keyof typeof LOAD_TABLES], rows: Iterable<string[]>) =>
          table.render(
            [...rows].map((row) => [runId, ...row]),
            { header: false },
          );
        assertFormulaSafe(load(LOAD_TABLES.matches, matchRows(result, lookups)), LOAD_TABLES.matches.columns, ['confidence'], { header: false });
        assertFormulaSafe(load(LOAD_TABLES.exceptions, exceptionRows(result, lookups)), LOAD_TABLES.exceptions.columns, ['age_days', 'amount'], { header: false });
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(9102) },
    );
  });

  it('the workbench export carries no formula in any column (generated cases)', () => {
    fc.assert(
      fc.property(fc.array(hostileCase, { minLength: 1, maxLength: 5 }), (cases) => {
        const rows = assertFormulaSafe(casesCsv(cases), CASES_CSV_COLUMNS, ['amount', 'ageDays', 'confidence', 'version']);
        expect(rows).toHaveLength(cases.length);
        for (const [i, c] of cases.entries()) {
          const row = Object.fromEntries(CASES_CSV_COLUMNS.map((column, j) => [column, decodeCsvText(rows[i]![j]!)]));
          expect(row).toMatchObject({ caseId: c.caseId, amount: c.amount, assignee: c.assignee, resolutionNote: c.resolution!.note, resolvedBy: c.resolution!.by, bankReference: c.bankReference });
        }
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(9103) },
    );
  });

  it('end to end: a hostile ledger and statement → reconcile → the workbench import and export, formula-free and read back intact', async () => {
    const root = tempDir('recon-csv-injection-');
    const out = join(root, 'out');
    const hostile = HOSTILE_EXAMPLES.filter((text) => !/[\r\n]/.test(text) && text.trim() === text);
    const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
    const ledger = join(root, 'ledger.csv');
    const statement = join(root, 'statement.csv');
    const ledgerRows = hostile.map((text, i) =>
      [quote(`${text}#L${i}`), 'NL26VAYB8060476890', 'EUR', `-${i + 1}.00`, '2025-01-0' + ((i % 9) + 1), '2025-01-0' + ((i % 9) + 1), quote(text), quote(text)].join(','),
    );
    const statementRows = hostile.map((text, i) =>
      ['NL26VAYB8060476890', 'EUR', `${i + 100}.00`, '2025-02-01', '2025-02-01', quote(`${text.slice(0, 28)}#E${i}`), quote(`${text}#B${i}`), '', quote(text), quote(text)].join(','),
    );
    writeFileSync(ledger, `entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n${ledgerRows.join('\n')}\n`);
    writeFileSync(statement, `account,currency,amount,booking_date,value_date,end_to_end_id,bank_reference,customer_reference,description,counterparty\n${statementRows.join('\n')}\n`);
    const outcome = await reconciled({ statements: [statement], ledger: { file: ledger }, profile: 'generic-signed', out, now: () => new Date('2025-03-01T00:00:00Z') });
    expect(outcome.summary.unmatchedLedger).toBe(hostile.length);
    const exceptions = assertFormulaSafe(readFileSync(join(out, 'exceptions.csv'), 'utf8'), EXCEPTION_COLUMNS, ['ageDays', 'amount']);
    assertFormulaSafe(readFileSync(join(out, 'matches.csv'), 'utf8'), MATCH_COLUMNS, ['confidence']);
    // The hostile ledger entry ids are in the file, neutralised, and read back as they were.
    const ids = exceptions.filter((row) => row[0] === 'ledger').map((row) => decodeCsvText(row[1]!));
    expect(ids.sort()).toEqual(hostile.map((text, i) => `${text}#L${i}`).sort());
    expect(exceptions.filter((row) => row[0] === 'ledger').map((row) => row[9])).toEqual(expect.arrayContaining(['-1.00', '-2.00']));

    const store = new SqliteWorkbenchStore(openMemoryDatabase(), steppingClock());
    await importNewRuns(out, store, steppingClock());
    const cases = await store.list({ limit: 1000 });
    expect(
      cases
        .filter((c) => c.side === 'ledger')
        .map((c) => c.caseId)
        .sort(),
    ).toEqual(hostile.map((text, i) => `exception:ledger:${text}#L${i}`).sort());
    const app = createWorkbenchApp({ store, authenticator: { authenticate: async () => ({ user: 'rita', roles: ['reconciler'] }) }, clock: steppingClock(), csrfSecret: 's' });
    const exported = await app({ method: 'GET', path: '/cases.csv', query: { status: 'ALL' }, headers: {}, body: '' });
    expect(exported.status).toBe(200);
    const rows = assertFormulaSafe(exported.body, CASES_CSV_COLUMNS, ['amount', 'ageDays', 'confidence', 'version']);
    expect(rows).toHaveLength(cases.length);
    expect(
      parseCsv(exported.body)
        .flat()
        .some((cell) => cell.startsWith("'=")),
    ).toBe(true);
  });
});
