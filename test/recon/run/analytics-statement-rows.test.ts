/**
 * REC-PERF-1: a run's statement lines held as columns (StatementColumnsBuilder: one file or
 * several, ids prefixed, some rows left out) record exactly what the same lines held as objects
 * (statementRowsOf) record: the statement_lines load file and its Parquet rows, matches.csv and
 * exceptions.csv (rendered cell by cell and through the one writer, the columns noted for
 * decoding alike) and the default as-of date, byte for byte. The load file is also the text the
 * one CSV writer renders from each line's cells (REC-OUT-1, PCI-3 masking): what it was when the
 * lines were objects. Generated lines hold null dates, absent references, batch fields, other
 * fields, element positions, card numbers and text a CSV or a spreadsheet treats specially; a
 * large run takes its columns past the shared texts' limit and over several pieces.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactPans } from '../../../src/domain/pan';
import { ledgerRowsOf, type LedgerRows } from '../../../src/recon/ledger-rows';
import { runParquetWriter } from '../../../src/recon/run/analytics-store';
import { csvTable } from '../../../src/recon/run/csv-writer';
import { defaultAsOf, exceptionsCsvBytes, matchesCsvBytes, mayHoldPan, renderExceptionsCsv, renderMatchesCsv, type Lookups } from '../../../src/recon/run/results';
import { runLookups, unmatchedLedgerIds } from '../../../src/recon/run/run-lookups';
import { concatStatementRows, MAX_SHARED_TEXTS, PIECE_ROWS, StatementColumnsBuilder, statementRowsOf, type StatementRows } from '../../../src/recon/statement-rows';
import type { LedgerEntry, MatchResult, StatementLine, UnmatchedItem } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { cardPanArb } from '../../support/pan-spellings';

jest.setTimeout(180_000);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ledgerline-statement-rows-outputs-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Characters a CSV or a spreadsheet treats specially, plus plain ones. */
const HOSTILE = ["'", '=', '+', '-', '@', ',', '"', '\n', '\r', '\t', ' ', '\uFF1D', '\u200B', '\u00A0', 'é', '€', '𝄞', 'a', 'Z', '0', '7', ';', '\\', '|'];
const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...HOSTILE), { maxLength: 10 }).map((chars) => chars.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('', 'card ', '=', "'"), cardPanArb()).map(([before, pan]) => `${before}${pan}`) },
);
const optionalText = fc.option(hostileText, { nil: undefined, freq: 2 });
const date = fc.option(
  fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2039-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  { nil: null, freq: 3 },
);

const lineSpec = fc.record({
  format: fc.constantFrom('mt940', 'camt.053', 'bai2', 'csv-generic'),
  statementId: hostileText,
  accountId: fc.oneof(fc.constantFrom('NL91ABNA0417164300', 'GB33BUKB20201555555555'), hostileText),
  currency: fc.constantFrom('EUR', 'GBP', 'USD'),
  // Decimal strings (the store casts them to DECIMAL): '-' and '+' lead the cell as a formula would.
  amount: fc.tuple(fc.constantFrom('', '-', '+'), fc.bigInt({ min: 0n, max: 10n ** 14n })).map(([sign, minor]) => `${sign}${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`),
  bookingDate: date,
  valueDate: date,
  endToEndId: optionalText,
  bankReference: optionalText,
  customerReference: optionalText,
  remittanceInformation: optionalText,
  counterparty: optionalText,
  typeCode: optionalText,
  status: optionalText,
  batchItemCount: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined, freq: 2 }),
  batchReference: optionalText,
  batchItem: fc.option(
    fc.integer({ min: 1, max: 9 }).chain((of) => fc.record({ index: fc.integer({ min: 0, max: of - 1 }), of: fc.constant(of) })),
    { nil: undefined, freq: 2 },
  ),
  batchFault: optionalText,
  otherFields: fc.option(fc.array(fc.record({ tag: fc.constantFrom('86', 'AddtlInf'), text: hostileText }), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 2 }),
  element: fc.option(fc.constantFrom('Document/BkToCstmrStmt/Stmt[1]/Ntry[1]', 'Ntry[2]'), { nil: undefined }),
});
type LineSpec = typeof lineSpec extends fc.Arbitrary<infer T> ? T : never;

/** A line as the parsers give it: every field, in finishLine's order; a position of a file and a line, or of an element. */
function lineOf(spec: LineSpec, statementLineId: string, file: string, n: number): StatementLine {
  return {
    statementLineId,
    format: spec.format as StatementLine['format'],
    statementId: spec.statementId,
    accountId: spec.accountId,
    currency: spec.currency,
    amount: spec.amount,
    bookingDate: spec.bookingDate,
    valueDate: spec.valueDate,
    endToEndId: spec.endToEndId,
    bankReference: spec.bankReference,
    customerReference: spec.customerReference,
    remittanceInformation: spec.remittanceInformation,
    counterparty: spec.counterparty,
    typeCode: spec.typeCode,
    status: spec.status,
    batchItemCount: spec.batchItemCount,
    batchReference: spec.batchReference,
    batchItem: spec.batchItem,
    batchFault: spec.batchFault,
    otherFields: spec.otherFields,
    position: spec.element === undefined ? { file, line: n + 1 } : { file, element: spec.element },
  };
}

/** A statement file of a run: its shown name, content hash and lines. */
interface FileSpec {
  name: string;
  hash: string;
  lines: LineSpec[];
}

interface Built {
  /** Every line of the run, as objects, in order (the rows a run left out excluded). */
  lines: StatementLine[];
  /** The same lines as columns: each file built by StatementColumnsBuilder (ids without their hash, then prefixed), then concatenated and filtered. */
  columns: StatementRows;
  fileOf: (statementLineId: string) => string;
}

/** `files` as a run's lines; a row `leftOut` says true for (by its place in the run) is left out, as a run keeps lines out of matching. */
function build(files: readonly FileSpec[], leftOut: (place: number) => boolean): Built {
  const all: StatementLine[] = [];
  const names = new Map<string, string>();
  const parts: StatementRows[] = [];
  for (const [f, file] of files.entries()) {
    const builder = new StatementColumnsBuilder();
    const prefix = `${file.hash}:`;
    file.lines.forEach((spec, n) => {
      const line = lineOf(spec, `${prefix}${Math.floor(n / 5)}:${n + 1}`, `/in/${f}/${file.name}`, n);
      all.push(line);
      builder.push({ ...line, statementLineId: line.statementLineId.slice(prefix.length) });
    });
    builder.prefixIds(prefix);
    parts.push(builder.finish());
    names.set(file.hash, file.name);
  }
  const places = new Map(all.map((line, place) => [line.statementLineId, place]));
  const lines = all.filter((_, place) => !leftOut(place));
  const columns = concatStatementRows(parts).filter((rows, row) => !leftOut(places.get(rows.statementLineId(row))!));
  return { lines, columns, fileOf: (statementLineId) => names.get(statementLineId.slice(0, statementLineId.indexOf(':')))! };
}

/** Some matches, statement and ledger exceptions (a ledger one naming a candidate line), as a run of these lines may give. */
function resultOf(lines: readonly StatementLine[], entries: readonly LedgerEntry[], seed: number): MatchResult {
  const matched = Math.min(lines.length >> 1, entries.length);
  const matches = lines.slice(0, matched).map((line, i) => ({
    matchId: `m'=${i}`,
    ruleId: i % 2 === 0 ? 'exact' : 'ref,"fuzzy"',
    confidence: i % 3 === 0 ? 1 : 0.875,
    status: i % 3 === 0 ? ('confirmed' as const) : ('proposed' as const),
    statementLineIds: [line.statementLineId],
    ledgerEntryIds: [entries[i]!.entryId],
  }));
  const unmatched: UnmatchedItem[] = [
    ...lines
      .slice(matched)
      .map((line, i): UnmatchedItem => ({ side: 'statement', id: line.statementLineId, reason: 'UNMATCHED', ageDays: (i + seed) % 40, detail: `=d${i}`, ...(i % 3 === 0 ? { group: `g${i}` } : {}) })),
    ...entries.slice(matched).map((entry, i): UnmatchedItem => ({
      side: 'ledger',
      id: entry.entryId,
      reason: 'AMOUNT_MISMATCH',
      ageDays: i,
      ...(lines.length > 0 ? { candidateId: lines[(i * 7 + seed) % lines.length]!.statementLineId } : {}),
    })),
  ];
  return { matches, unmatched };
}

const entryOf = (i: number): LedgerEntry => ({
  entryId: `LE-${String(i).padStart(5, '0')}`,
  accountId: 'NL91ABNA0417164300',
  currency: 'EUR',
  amount: `${i}.50`,
  bookingDate: '2025-03-01',
  valueDate: '2025-03-02',
  reference: `R${i}`,
  description: "'=entry",
});

/** The statement_lines load file's columns (every column of the table but run_id). */
const STATEMENT_LINES_LOAD = csvTable([
  'statement_line_id',
  'file',
  'format',
  'statement_id',
  'account_id',
  'currency',
  'amount',
  'booking_date',
  'value_date',
  'end_to_end_id',
  'bank_reference',
  'customer_reference',
  'remittance_information',
  'counterparty',
  'type_code',
  'status',
  'batch_item_count',
]);
/** PCI-3 at the store: identifiers under identifier evidence, free text under free-text evidence; '' is NULL (an empty cell). */
const id = (value: string | undefined): string => (value === undefined || value === '' ? '' : mayHoldPan(value) ? redactPans(value, 'identifier') : value);
const text = (value: string | undefined): string => (value === undefined || value === '' ? '' : mayHoldPan(value) ? redactPans(value) : value);

/** The statement_lines load file the one writer renders from each line's cells, as it was rendered from the lines as objects. */
function expectedLoadFile(lines: readonly StatementLine[], fileOf: (statementLineId: string) => string): string {
  return STATEMENT_LINES_LOAD.render(
    lines.map((l) => [
      l.statementLineId,
      text(fileOf(l.statementLineId)),
      l.format,
      id(l.statementId),
      id(l.accountId),
      l.currency,
      l.amount,
      l.bookingDate ?? '',
      l.valueDate ?? '',
      id(l.endToEndId),
      id(l.bankReference),
      id(l.customerReference),
      text(l.remittanceInformation),
      text(l.counterparty),
      id(l.typeCode),
      id(l.status),
      l.batchItemCount === undefined ? '' : String(l.batchItemCount),
    ]),
  );
}

/** A Parquet file's rows, as JSON, in the file's order. */
async function parquetRows(path: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path.replace(/'/g, "''")}')`);
    return (reader.getRowObjectsJson() as unknown[]).map((row) => JSON.stringify(row));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

let dirs = 0;

/** What a run records of its statement lines, `rows` (its input tables' load files and Parquet rows, its results files). */
async function recorded(rows: StatementRows, fileOf: (statementLineId: string) => string, entries: LedgerRows, result: MatchResult) {
  const dir = join(root, `run-${(dirs += 1)}`);
  const writer = runParquetWriter('run-1', dir);
  let loadFile: Buffer;
  try {
    await writer.writeInputs({ statementLines: rows, fileOf, ledgerEntries: entries });
    // Written by now; finish() removes it once its copy is done.
    loadFile = readFileSync(join(dir, 'statement_lines.load.csv'));
  } finally {
    await writer.finish();
  }
  const parquet = await parquetRows(join(dir, 'statement_lines.parquet'));
  rmSync(dir, { recursive: true, force: true });
  const lookups = runLookups(rows, entries, unmatchedLedgerIds(result));
  const matchesDecoded: boolean[] = [];
  const exceptionsDecoded: boolean[] = [];
  // The lookups as a run's record carries them without the bank reference alone: every line read whole.
  const whole: Lookups = { statementLine: lookups.statementLine, ledgerEntry: lookups.ledgerEntry };
  return {
    matchesWhole: Buffer.concat([...matchesCsvBytes(result, whole)]),
    loadFile,
    parquet,
    matchesCsv: Buffer.concat([...matchesCsvBytes(result, lookups, matchesDecoded)]),
    matchesDecoded,
    exceptionsCsv: Buffer.concat([...exceptionsCsvBytes(result, lookups, exceptionsDecoded)]),
    exceptionsDecoded,
    matchesRendered: renderMatchesCsv(result, lookups),
    exceptionsRendered: renderExceptionsCsv(result, lookups),
    asOf: defaultAsOf(rows, entries, new Date('2030-01-01T00:00:00Z')),
  };
}

/** The run of `files` recorded from its lines as columns and as objects: the same bytes, and the load file the writer's text of the lines. */
async function expectRecordedAlike(files: readonly FileSpec[], leftOut: (place: number) => boolean, seed: number): Promise<void> {
  const { lines, columns, fileOf } = build(files, leftOut);
  expect(columns.length).toBe(lines.length);
  const entries = Array.from({ length: 1 + (seed % 23) }, (_, i) => entryOf(i));
  const result = resultOf(lines, entries, seed);
  const fromObjects = await recorded(statementRowsOf(lines), fileOf, ledgerRowsOf(entries), result);
  const fromColumns = await recorded(columns, fileOf, ledgerRowsOf(entries), result);
  expect(fromObjects.loadFile.toString('utf8')).toBe(expectedLoadFile(lines, fileOf));
  expect(fromColumns.loadFile.equals(fromObjects.loadFile)).toBe(true);
  expect(fromColumns.parquet).toEqual(fromObjects.parquet);
  expect(fromObjects.parquet).toHaveLength(lines.length);
  expect(fromColumns.matchesCsv.equals(fromObjects.matchesCsv)).toBe(true);
  expect(fromColumns.matchesWhole.equals(fromObjects.matchesCsv)).toBe(true);
  expect(fromObjects.matchesWhole.equals(fromObjects.matchesCsv)).toBe(true);
  expect(fromColumns.exceptionsCsv.equals(fromObjects.exceptionsCsv)).toBe(true);
  expect(fromColumns.matchesCsv.toString('utf8')).toBe(fromObjects.matchesRendered);
  expect(fromColumns.exceptionsCsv.toString('utf8')).toBe(fromObjects.exceptionsRendered);
  expect(fromColumns.matchesRendered).toBe(fromObjects.matchesRendered);
  expect(fromColumns.exceptionsRendered).toBe(fromObjects.exceptionsRendered);
  expect(fromColumns.matchesDecoded).toEqual(fromObjects.matchesDecoded);
  expect(fromColumns.exceptionsDecoded).toEqual(fromObjects.exceptionsDecoded);
  expect(fromColumns.asOf).toBe(fromObjects.asOf);
}

const fileSpec = fc.record({
  name: fc.oneof(fc.constantFrom('statement.sta', 'camt.xml'), hostileText),
  hash: fc.constantFrom('0a1b2c3d4e5f', 'ffffffffffff', '123456789abc'),
  lines: fc.array(lineSpec, { maxLength: 14 }),
});

describe('a run recorded from its statement lines as columns and as objects (REC-PERF-1)', () => {
  it('property: the same statement_lines load file (the writer’s text of the lines), Parquet rows, matches.csv, exceptions.csv and as-of date', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fileSpec, { minLength: 1, maxLength: 3, selector: (file) => file.hash }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.nat(1000),
        async (files, drop, seed) => expectRecordedAlike(files, (place) => drop[place % 8]! && place % 3 === 0, seed),
      ),
      { numRuns: fuzzRuns(20), seed: fuzzSeed(20261208) },
    );
  });

  it('a large run (columns past the shared texts’ limit, over several pieces, two files, some rows left out) records the same bytes', async () => {
    const count = 2 * PIECE_ROWS + MAX_SHARED_TEXTS / 2 + 17;
    const specs: LineSpec[] = fc.sample(lineSpec, { numRuns: 64, seed: 7 });
    // Each line its own remittance information and end-to-end id (the joined columns); few accounts, dates, statuses (shared).
    const lines = Array.from({ length: count }, (_, n): LineSpec => {
      const spec = specs[n % specs.length]!;
      return { ...spec, remittanceInformation: n % 11 === 0 ? undefined : `${spec.remittanceInformation ?? ''}#${n}`, endToEndId: n % 13 === 0 ? spec.endToEndId : `E2E-${n}` };
    });
    const cut = PIECE_ROWS + 5;
    await expectRecordedAlike(
      [
        { name: "'=big.sta", hash: '0a1b2c3d4e5f', lines: lines.slice(0, cut) },
        { name: 'big,"2".xml', hash: 'ffffffffffff', lines: lines.slice(cut) },
      ],
      (place) => place % 97 === 5,
      11,
    );
  });
});
