/**
 * REC-PERF-1: a run's statement lines as rows (src/recon/statement-rows.ts). Lines gathered into
 * columns (StatementColumnsBuilder) read exactly as the lines held as objects (statementRowsOf):
 * the same length, every field of every row, the same lines (deep-equal, the same JSON, the same
 * key order: the parsers' finishLine shape), the same rows kept by any filter and any range, of
 * each other too, and ids read with the prefix given once. Generated lines hold empty texts,
 * repeated texts, non-ASCII and astral characters, NUL and lone surrogates, absent values (null,
 * undefined) anywhere the type allows, batch fields and bank-specific fields on a few, and text
 * (a line number) or XML (an element, with or without a line number) positions. Columns go from
 * shared to joined and are cut in many pieces on ~20k rows; several files' rows read as one; a
 * parsed file's rows are its statements' lines; the real sample files read the same through
 * columns; and typical lines as columns hold far fewer bytes than as objects.
 */
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseStatementFile } from '../../src/recon/parsers';
import { concatStatementRows, MAX_SHARED_TEXTS, parsedRowsOf, PIECE_ROWS, StatementColumnsBuilder, statementRowsBytes, statementRowsOf, type StatementRows } from '../../src/recon/statement-rows';
import type { BalanceProof, ParsedStatementFile, SourcePosition, StatementFormat, StatementLine } from '../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

const TEXT_FORMATS: StatementFormat[] = ['mt940', 'mt942', 'bai2', 'csv'];
const XML_FORMATS: StatementFormat[] = ['camt.052', 'camt.053', 'camt.054'];

/** Every field a row reads, and the same field of a line. */
const ACCESSORS = [
  'statementLineId',
  'format',
  'statementId',
  'accountId',
  'currency',
  'amount',
  'bookingDate',
  'valueDate',
  'endToEndId',
  'bankReference',
  'customerReference',
  'remittanceInformation',
  'counterparty',
  'typeCode',
  'status',
  'batchItemCount',
  'batchReference',
  'batchItem',
  'batchFault',
] as const satisfies readonly (keyof StatementRows & keyof StatementLine)[];
type Accessor = (typeof ACCESSORS)[number];

const fieldsOfRow = (rows: StatementRows, row: number): unknown[] => [...ACCESSORS.map((field) => rows[field](row)), rows.file(row)];
const fieldsOfLine = (line: StatementLine): unknown[] => [...ACCESSORS.map((field) => line[field]), line.position.file];
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * A line shaped as the parsers' finishLine shapes it (src/recon/parsers/common.ts): every field
 * present in its order (absent ones undefined), the position `{ file, line }` for a text format
 * (the line number undefined when none) or the XML position as it came (`{ file, element }` or
 * `{ file, line, element }`), a bank-specific field's line only where it has one.
 */
function finished(fields: {
  statementLineId: string;
  format: StatementFormat;
  statementId: string;
  accountId: string;
  currency: string;
  amount: string;
  bookingDate: string | null;
  valueDate: string | null;
  endToEndId?: string | undefined;
  bankReference?: string | undefined;
  customerReference?: string | undefined;
  remittanceInformation?: string | undefined;
  counterparty?: string | undefined;
  typeCode?: string | undefined;
  status?: string | undefined;
  batchItemCount?: number | undefined;
  batchReference?: string | undefined;
  batchItem?: { index: number; of: number } | undefined;
  batchFault?: string | undefined;
  otherFields?: { tag: string; text: string; line?: number | undefined }[] | undefined;
  file: string;
  line?: number | undefined;
  element?: string | undefined;
}): StatementLine {
  const position: SourcePosition =
    fields.element === undefined
      ? { file: fields.file, line: fields.line }
      : fields.line === undefined
        ? { file: fields.file, element: fields.element }
        : { file: fields.file, line: fields.line, element: fields.element };
  return {
    statementLineId: fields.statementLineId,
    format: fields.format,
    statementId: fields.statementId,
    accountId: fields.accountId,
    currency: fields.currency,
    amount: fields.amount,
    bookingDate: fields.bookingDate,
    valueDate: fields.valueDate,
    endToEndId: fields.endToEndId,
    bankReference: fields.bankReference,
    customerReference: fields.customerReference,
    remittanceInformation: fields.remittanceInformation,
    counterparty: fields.counterparty,
    typeCode: fields.typeCode,
    status: fields.status,
    batchItemCount: fields.batchItemCount,
    batchReference: fields.batchReference,
    batchItem: fields.batchItem,
    batchFault: fields.batchFault,
    otherFields: fields.otherFields?.map((field) => ({ tag: field.tag, text: field.text, ...(field.line === undefined ? {} : { line: field.line }) })),
    position,
  };
}

// --- Generated lines ------------------------------------------------------------------------

/** Characters a text may hold: separators, brackets (an element path's), quotes, line breaks, NUL, non-ASCII, astral, the last BMP one. */
const char = fc.constantFrom('a', 'Z', '0', ' ', ',', ':', '[', ']', '"', '\n', '\u0000', 'é', '€', '\ud835\udfd8', '\uffff');
/** Texts: a few repeated ones (the empty one among them), free text of the characters above, any code units at all (lone surrogates). */
const text = fc.oneof(fc.constantFrom('', '', 'same', 'same', '\u0000', 'é€', '\ud800'), fc.string({ unit: char, maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 6 }));
/** A field of few texts (as accounts, currencies, dates, statuses are). */
const fewTexts = fc.constantFrom('', 'EUR', 'GB00ONE', '2025-06-10', '\u0000', 'BOOK');
const anyText = fc.oneof(fewTexts, text);
/** A field most lines lack: absent, mostly. */
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: arb, weight: 1 });
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof(fc.constant(undefined), arb);
const sourceLine = fc.oneof(fc.nat({ max: 40 }), fc.nat());

const lineArb: fc.Arbitrary<StatementLine> = fc
  .record({
    statementLineId: anyText,
    xml: fc.boolean(),
    textFormat: fc.constantFrom(...TEXT_FORMATS),
    xmlFormat: fc.constantFrom(...XML_FORMATS),
    statementId: anyText,
    accountId: anyText,
    currency: fewTexts,
    amount: anyText,
    bookingDate: fc.option(anyText, { nil: null }),
    valueDate: fc.option(anyText, { nil: null }),
    endToEndId: sometimes(anyText),
    bankReference: sometimes(anyText),
    customerReference: sometimes(anyText),
    remittanceInformation: sometimes(text),
    counterparty: sometimes(anyText),
    typeCode: sometimes(fewTexts),
    status: sometimes(fewTexts),
    batchItemCount: rarely(fc.nat()),
    batchReference: rarely(text),
    batchItem: rarely(fc.record({ index: fc.nat(), of: fc.nat() })),
    batchFault: rarely(text),
    otherFields: rarely(fc.array(fc.record({ tag: text, text, line: sometimes(sourceLine) }), { maxLength: 3 })),
    file: fc.oneof(fc.constantFrom('a.sta', 'b.xml'), text),
    line: sometimes(sourceLine),
    element: fc.oneof(fc.constantFrom('Document/BkToCstmrStmt/Stmt[1]/Ntry[1]', 'Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/NtryDtls/TxDtls[1]', 'Ntry[', '[1]', 'Document'), text),
  })
  .map(({ xml, textFormat, xmlFormat, element, ...fields }) => finished({ ...fields, format: xml ? xmlFormat : textFormat, element: xml ? element : undefined }));

const linesArb = fc.array(lineArb, { maxLength: 14 });

// --- Rows of lines --------------------------------------------------------------------------

/** The lines gathered as columns; ids read with `prefix` in front when one is given (set after `prefixAfter` lines). */
function columnsOf(lines: readonly StatementLine[], prefix?: { text: string; after: number }): StatementRows {
  const builder = new StatementColumnsBuilder();
  const lengths: number[] = [];
  lines.forEach((line, row) => {
    if (prefix !== undefined && prefix.after === row) builder.prefixIds(prefix.text);
    builder.push(line);
    if (builder.length !== row + 1) lengths.push(row, builder.length);
  });
  expect(lengths).toEqual([]);
  if (prefix !== undefined && prefix.after >= lines.length) builder.prefixIds(prefix.text);
  return builder.finish();
}

/** A line that is `line` with `prefix` in front of its id (its keys in the same order). */
const prefixed = (line: StatementLine, prefix: string): StatementLine => ({ ...line, statementLineId: prefix + line.statementLineId });

/** The keys of a line, its position's and its bank-specific fields', in order. */
const keysOf = (line: StatementLine): string[][] => [Object.keys(line), Object.keys(line.position), ...(line.otherFields ?? []).map((field) => Object.keys(field))];

/** `actual` deep-equal to `expected` (strictly: undefined fields, prototypes); jest's report of them where they differ. */
function same(actual: unknown, expected: unknown): void {
  // (The node check first: jest's takes most of this suite's time on rows that agree.)
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected);
}

/** `rows` read as `lines`: the length, every field of every row, every line (deep-equal, the same JSON, the same key order), toArray. */
function expectRowsOf(rows: StatementRows, lines: readonly StatementLine[], label: string): void {
  same({ label, length: rows.length }, { label, length: lines.length });
  same({ label, fields: range(rows.length).map((row) => fieldsOfRow(rows, row)) }, { label, fields: lines.map(fieldsOfLine) });
  const built = range(rows.length).map((row) => rows.line(row));
  same({ label, lines: built }, { label, lines: [...lines] });
  same({ label, json: built.map((line) => JSON.stringify(line)) }, { label, json: lines.map((line) => JSON.stringify(line)) });
  same({ label, keys: built.map(keysOf) }, { label, keys: lines.map(keysOf) });
  const array = rows.toArray();
  same({ label, array }, { label, array: [...lines] });
  // A copy: the rows do not change with it.
  array.pop();
  expect(rows.length).toBe(lines.length);
  // A row outside these is refused (never a neighbouring row of the columns or parts they view).
  expect(() => rows.line(rows.length)).toThrow();
  expect(() => rows.statementLineId(-1)).toThrow();
  expect(() => rows.amount(rows.length)).toThrow();
  expect(() => rows.file(rows.length + 1)).toThrow();
}

/** A filter's predicate: kept by a flag per row, or by the values of one field (read through the rows it is given). */
type Keep = { kind: 'flags'; flags: boolean[] } | { kind: 'field'; field: Accessor; picks: number[] };
const keepArb: fc.Arbitrary<Keep> = fc.oneof(
  fc.record({ kind: fc.constant('flags' as const), flags: fc.array(fc.boolean(), { maxLength: 16 }) }),
  fc.record({ kind: fc.constant('field' as const), field: fc.constantFrom(...ACCESSORS), picks: fc.array(fc.nat(), { maxLength: 3 }) }),
);

/** Filters `rows` by `keep` and `lines` alike, checking the predicate saw every row, in order, as the lines hold it. */
function filtered(rows: StatementRows, lines: readonly StatementLine[], keep: Keep, label: string): { rows: StatementRows; lines: StatementLine[] } {
  const picked = keep.kind === 'field' && lines.length > 0 ? keep.picks.map((pick) => lines[pick % lines.length]![keep.field]) : [];
  const kept = (read: (field: Accessor) => unknown, row: number): boolean => (keep.kind === 'flags' ? keep.flags[row] === true : picked.some((value) => isDeepStrictEqual(value, read(keep.field))));
  const seen: unknown[][] = [];
  const keptRows = rows.filter((all, row) => {
    seen.push(fieldsOfRow(all, row));
    return kept((field) => all[field](row), row);
  });
  same({ label, seen }, { label, seen: lines.map(fieldsOfLine) });
  const keptLines = lines.filter((line, row) => kept((field) => line[field], row));
  if (keptLines.length === lines.length) expect(keptRows).toBe(rows);
  return { rows: keptRows, lines: keptLines };
}

/** Bounds within `length` from any two numbers. */
const boundsIn = (length: number, [a, b]: [number, number]): [number, number] => {
  const x = a % (length + 1);
  const y = b % (length + 1);
  return x <= y ? [x, y] : [y, x];
};

/** Rows [start, end) of `rows` and of `lines`, checked alike; bounds outside the rows are refused. */
function ranged(rows: StatementRows, lines: readonly StatementLine[], bounds: [number, number], label: string): { rows: StatementRows; lines: StatementLine[] } {
  const [start, end] = boundsIn(lines.length, bounds);
  const part = rows.range(start, end);
  const partLines = lines.slice(start, end);
  expectRowsOf(part, partLines, `${label} [${start}, ${end})`);
  if (start === 0 && end === lines.length) expect(part).toBe(rows);
  expect(() => rows.range(-1, end)).toThrow(RangeError);
  expect(() => rows.range(start, lines.length + 1 + bounds[1])).toThrow(RangeError);
  if (start < end) expect(() => rows.range(end, start)).toThrow(RangeError);
  return { rows: part, lines: partLines };
}

/** Everything a run does with rows, checked against the lines: reads, filters (again), ranges (of a range, of a filter, filtered). */
function expectReadsAs(rows: StatementRows, lines: readonly StatementLine[], label: string, ops: { keeps: [Keep, Keep]; bounds: [[number, number], [number, number]] }): void {
  expectRowsOf(rows, lines, label);
  expect(rows.filter(() => true)).toBe(rows);
  expectRowsOf(
    rows.filter(() => false),
    [],
    `${label}, none kept`,
  );
  const once = filtered(rows, lines, ops.keeps[0], `${label}, filtered`);
  expectRowsOf(once.rows, once.lines, `${label}, filtered`);
  const twice = filtered(once.rows, once.lines, ops.keeps[1], `${label}, filtered twice`);
  expectRowsOf(twice.rows, twice.lines, `${label}, filtered twice`);
  expect(once.rows.filter(() => true)).toBe(once.rows);
  const part = ranged(rows, lines, ops.bounds[0], `${label}, range`);
  ranged(part.rows, part.lines, ops.bounds[1], `${label}, range of a range`);
  const partOfFiltered = ranged(once.rows, once.lines, ops.bounds[1], `${label}, range of a filter`);
  const filteredPart = filtered(part.rows, part.lines, ops.keeps[1], `${label}, filter of a range`);
  expectRowsOf(filteredPart.rows, filteredPart.lines, `${label}, filter of a range`);
  ranged(partOfFiltered.rows, partOfFiltered.lines, ops.bounds[0], `${label}, range of a range of a filter`);
}

const opsArb = fc.record({
  keeps: fc.tuple(keepArb, keepArb),
  bounds: fc.tuple(fc.tuple(fc.nat(), fc.nat()), fc.tuple(fc.nat(), fc.nat())),
});

describe('statement rows: columns read as the lines held as objects (REC-PERF-1)', () => {
  it('property: lines as objects and as columns read as the lines, filtered, ranged, of each other', () => {
    fc.assert(
      fc.property(linesArb, opsArb, (lines, ops) => {
        const objects = statementRowsOf(lines);
        // Lines held as objects are those objects.
        for (const row of range(lines.length)) expect(objects.line(row)).toBe(lines[row]);
        expect(statementRowsBytes(objects)).toBeUndefined();
        const columns = columnsOf(lines);
        expect(statementRowsBytes(columns)).toEqual(lines.length === 0 ? 0 : expect.any(Number));
        if (lines.length > 0) expect(statementRowsBytes(columns)).toBeGreaterThan(0);
        for (const [label, rows] of [
          ['objects', objects],
          ['columns', columns],
        ] as const) {
          expectReadsAs(rows, lines, label, ops);
        }
        // A line built from columns is a new object each time it is asked for.
        if (lines.length > 0) expect(columns.line(0)).not.toBe(columns.line(0));
        // Finished columns take no more lines; finished again, they read the same.
        const builder = new StatementColumnsBuilder();
        for (const line of lines) builder.push(line);
        const first = builder.finish();
        expect(() =>
          builder.push(lines[0] ?? finished({ statementLineId: 'x', format: 'csv', statementId: '', accountId: '', currency: '', amount: '', bookingDate: null, valueDate: null, file: 'f' })),
        ).toThrow('statement columns are finished');
        expect(builder.length).toBe(lines.length);
        expectRowsOf(first, lines, 'finished, a line refused after');
        expectRowsOf(builder.finish(), lines, 'finished twice');
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(20261207) },
    );
  });

  it('property: ids are read with the prefix given once (at any point before the rows are finished), filtered and ranged too', () => {
    fc.assert(
      fc.property(linesArb, text, fc.nat({ max: 16 }), opsArb, (lines, prefix, after, ops) => {
        const rows = columnsOf(lines, { text: prefix, after });
        const expected = lines.map((line) => prefixed(line, prefix));
        expectReadsAs(rows, expected, `ids prefixed after ${after} lines`, ops);
        // The last prefix given is the one read.
        const builder = new StatementColumnsBuilder();
        builder.prefixIds('first');
        for (const line of lines) builder.push(line);
        builder.prefixIds(prefix);
        expectRowsOf(builder.finish(), expected, 'prefix given twice');
      }),
      { numRuns: fuzzRuns(60), seed: fuzzSeed(20261208) },
    );
  });

  it('property: several files’ rows (objects, columns, empty, ranged, filtered, concatenated) read as one, in order and out of order', () => {
    type PartKind = 'objects' | 'columns' | 'prefixed' | 'range' | 'filter' | 'concat';
    const partArb = fc.record({
      kind: fc.constantFrom<PartKind>('objects', 'columns', 'prefixed', 'range', 'filter', 'concat'),
      lines: fc.array(lineArb, { maxLength: 6 }),
      cut: fc.nat(),
      flags: fc.array(fc.boolean(), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(partArb, { maxLength: 5 }), opsArb, fc.array(fc.nat(), { maxLength: 40 }), (specs, ops, reads) => {
        const parts = specs.map(({ kind, lines, cut, flags }): { rows: StatementRows; lines: StatementLine[] } => {
          switch (kind) {
            case 'objects':
              return { rows: statementRowsOf(lines), lines };
            case 'columns':
              return { rows: columnsOf(lines), lines };
            case 'prefixed':
              return { rows: columnsOf(lines, { text: 'p:', after: cut % (lines.length + 1) }), lines: lines.map((line) => prefixed(line, 'p:')) };
            case 'range': {
              const at = cut % (lines.length + 1);
              return { rows: columnsOf(lines).range(at, lines.length), lines: lines.slice(at) };
            }
            case 'filter':
              return { rows: columnsOf(lines).filter((_, row) => flags[row] === true), lines: lines.filter((_, row) => flags[row] === true) };
            case 'concat': {
              const at = cut % (lines.length + 1);
              return { rows: concatStatementRows([columnsOf(lines.slice(0, at)), statementRowsOf([]), statementRowsOf(lines.slice(at))]), lines };
            }
          }
        });
        const rows = concatStatementRows(parts.map((part) => part.rows));
        const lines = parts.flatMap((part) => part.lines);
        expectReadsAs(rows, lines, `concat of ${specs.map((spec) => `${spec.kind}(${spec.lines.length})`).join(',')}`, ops);
        // Rows read out of order (each part found again, not only the next one).
        for (const pick of reads) {
          if (lines.length === 0) break;
          const row = pick % lines.length;
          same({ row, fields: fieldsOfRow(rows, row) }, { row, fields: fieldsOfLine(lines[row]!) });
          same({ row, line: rows.line(row) }, { row, line: lines[row] });
        }
        // Rows outside are refused (no part's neighbour read instead).
        if (rows.length > 0 && parts.filter((part) => part.rows.length > 0).length > 1) {
          expect(() => rows.statementLineId(rows.length)).toThrow(RangeError);
          expect(() => rows.line(-1)).toThrow(RangeError);
        }
        // One non-empty part: that part's rows themselves.
        const nonEmpty = parts.filter((part) => part.rows.length > 0);
        if (nonEmpty.length === 1) expect(rows).toBe(nonEmpty[0]!.rows);
      }),
      { numRuns: fuzzRuns(80), seed: fuzzSeed(20261209) },
    );
  });

  it('property: a parsed file as rows: its rows are its statements’ lines in order, each statement’s rows its lines, the same objects', () => {
    const balanceArb: fc.Arbitrary<BalanceProof> = fc.record({
      statementId: text,
      accountId: text,
      currency: fewTexts,
      opening: text,
      movements: text,
      closing: text,
      difference: text,
      ok: fc.boolean(),
    });
    const statementArb = fc.record({ statementId: text, accountId: text, currency: fewTexts, lines: fc.array(lineArb, { maxLength: 5 }), balance: sometimes(balanceArb) });
    fc.assert(
      fc.property(fc.array(statementArb, { maxLength: 4 }), fc.constantFrom(...TEXT_FORMATS, ...XML_FORMATS), text, (statements, format, contentHash) => {
        const parsed: ParsedStatementFile = {
          file: 'file.sta',
          format,
          contentHash,
          statements: statements.map(({ balance, ...statement }) => (balance === undefined ? statement : { ...statement, balance })),
        };
        const rows = parsedRowsOf(parsed);
        expect({ file: rows.file, format: rows.format, contentHash: rows.contentHash }).toEqual({ file: 'file.sta', format, contentHash });
        const lines = parsed.statements.flatMap((statement) => statement.lines);
        expectRowsOf(rows.rows, lines, 'the file’s rows');
        for (const row of range(lines.length)) expect(rows.rows.line(row)).toBe(lines[row]);
        expect(rows.statements.length).toBe(parsed.statements.length);
        rows.statements.forEach((statement, s) => {
          const source = parsed.statements[s]!;
          expect({ statementId: statement.statementId, accountId: statement.accountId, currency: statement.currency, balance: statement.balance }).toStrictEqual({
            statementId: source.statementId,
            accountId: source.accountId,
            currency: source.currency,
            balance: source.balance,
          });
          expect('balance' in statement).toBe(source.balance !== undefined);
          expectRowsOf(statement.rows, source.lines, `statement ${s}`);
          for (const row of range(source.lines.length)) expect(statement.rows.line(row)).toBe(source.lines[row]);
        });
      }),
      { numRuns: fuzzRuns(60), seed: fuzzSeed(20261210) },
    );
  });

  it('the real sample files: their parsed lines read the same as columns, each file and all of them as one', async () => {
    const fixtures = resolve(__dirname, '../../../shared/fixtures');
    const names = [
      ...readdirSync(join(fixtures, 'camt'))
        .filter((name) => name.endsWith('.xml') && !['camt053.v2.all-balance-types.xml', 'camt053.v2.five.decimals.xml', 'camt053.v2.wrong.xml', 'camt53.only-Dt-with-DtTm.xml'].includes(name))
        .map((name) => join('camt', name)),
      'mt940/cmxl/mt940.sta',
      'mt940/mBank/mt940.sta',
      'mt940/mBank/mt942.sta',
      'mt940/betterplace/sepa_mt9401.sta',
      'bai2/sample1.txt',
      'bai2/sample2.txt',
      'bai2/sample3.txt',
    ];
    const files = await Promise.all(names.map((name) => parseStatementFile(join(fixtures, name))));
    const all: StatementLine[] = [];
    const parts: StatementRows[] = [];
    for (const file of files) {
      const lines = file.statements.flatMap((statement) => statement.lines);
      expect(lines.length).toBeGreaterThan(0);
      const rows = columnsOf(lines);
      expectRowsOf(rows, lines, file.file);
      expectRowsOf(parsedRowsOf(file).rows, lines, `${file.file} parsed as rows`);
      all.push(...lines);
      parts.push(rows, parsedRowsOf(file).rows.range(0, 0));
    }
    // Both kinds of position, and batch items among them.
    expect(all.some((line) => line.position.element !== undefined)).toBe(true);
    expect(all.some((line) => line.position.line !== undefined)).toBe(true);
    expect(all.some((line) => line.batchItemCount !== undefined || line.batchItem !== undefined)).toBe(true);
    expectRowsOf(concatStatementRows(parts), all, 'every sample file');
    expectRowsOf(columnsOf(all), all, 'every sample file, one set of columns');
  });
});

// --- Many rows ------------------------------------------------------------------------------

/**
 * `count` lines whose columns take every path: ids and amounts of more distinct texts than a shared
 * column holds (joined at row MAX_SHARED_TEXTS), cut in many pieces; a column of exactly
 * MAX_SHARED_TEXTS texts (stays shared) and one of one more (goes joined at its last new text); a
 * column whose absent values come before it goes joined (and none after the first piece) or in
 * its last rows; empty and non-ASCII texts; rare fields on a few rows; both kinds of position.
 */
function manyLines(count: number): StatementLine[] {
  const lines: StatementLine[] = [];
  for (let i = 0; i < count; i += 1) {
    const xml = i % 1000 >= 600;
    lines.push(
      finished({
        statementLineId: `h:${i >>> 11}:${i}`,
        format: xml ? 'camt.053' : 'mt940',
        statementId: `S${i >>> 11}`,
        accountId: `GB00ACC${i % 3}`,
        currency: i % 5 === 0 ? 'JPY' : 'EUR',
        amount: i % 97 === 0 ? '' : `${i % 2 === 0 ? '-' : ''}${i}.${String(i % 100).padStart(2, '0')}`,
        // Absent (null) in the first rows only, then a new text every row: joined with its marks ending early.
        bookingDate: i < 3 ? null : `2025-${String(i).padStart(6, '0')}`,
        valueDate: i % 7 === 0 ? null : i % 11 === 0 ? '' : '2025-06-11',
        // Absent in the first row, texts after; absent again in the last rows.
        endToEndId: i === 0 || i >= count - 5 ? undefined : `E2E\u0000${i}é`,
        bankReference: i % 4 === 1 ? undefined : `B${i % (MAX_SHARED_TEXTS + 1)}`,
        customerReference: i % 13 === 0 ? 'NONREF' : `C${i % MAX_SHARED_TEXTS}`,
        remittanceInformation: i % 2 === 0 ? 'same text for many' : i % 3 === 0 ? '' : `pay 𝟘 ${i} \ud800 ${i % 50}`,
        counterparty: i < PIECE_ROWS ? undefined : `Counterparty ${i % 7}`,
        typeCode: i % 17 === 0 ? undefined : 'NTRF',
        status: i === count - 1 ? undefined : 'BOOK',
        batchItemCount: i % 1013 === 0 ? 3 : undefined,
        batchReference: i % 2027 === 1 ? `batch ${i}` : undefined,
        batchItem: i % 2027 === 1 ? { index: 1, of: 2 } : undefined,
        batchFault: i % 3001 === 2 ? 'items do not sum' : undefined,
        otherFields:
          i % 4001 === 3
            ? [
                { tag: 'NS', text: `other ${i}`, line: i },
                { tag: 'NS', text: '' },
              ]
            : undefined,
        file: i < count / 2 ? 'first.sta' : 'second.xml',
        line: xml && i % 2 === 0 ? undefined : i + 1,
        element: xml ? `Document/BkToCstmrStmt/Stmt[1]/Ntry[${i}]` : undefined,
      }),
    );
  }
  return lines;
}

/** Rows that differ from the lines (the first few), read by field and as lines (deep-equal, the same JSON, the same keys). */
function differences(rows: StatementRows, lines: readonly StatementLine[], order: readonly number[] = range(lines.length)): unknown[] {
  const differ: unknown[] = [];
  if (rows.length !== lines.length) differ.push({ length: rows.length, expected: lines.length });
  for (const row of order) {
    if (differ.length >= 5) break;
    const line = lines[row]!;
    const fields = fieldsOfRow(rows, row);
    if (!isDeepStrictEqual(fields, fieldsOfLine(line))) differ.push({ row, fields, expected: fieldsOfLine(line) });
    const built = rows.line(row);
    if (!isDeepStrictEqual(built, line) || JSON.stringify(built) !== JSON.stringify(line) || !isDeepStrictEqual(keysOf(built), keysOf(line))) differ.push({ row, line: built, expected: line });
  }
  return differ;
}

describe('statement rows: many rows (columns joined, in many pieces)', () => {
  // One multiple of PIECE_ROWS (the last piece ends with the rows) and one not.
  for (const count of [5 * PIECE_ROWS, 5 * PIECE_ROWS + 17]) {
    it(`${count} rows as columns read as the lines: every field, filtered, ranged, concatenated, out of order`, () => {
      const lines = manyLines(count);
      const objects = statementRowsOf(lines);
      const rows = columnsOf(lines);
      expect(differences(rows, lines)).toEqual([]);
      expect(isDeepStrictEqual(rows.toArray(), lines)).toBe(true);

      // Filtered, then filtered again; ranged across pieces; a range of the filtered rows.
      const keep = (all: StatementRows, row: number): boolean => all.accountId(row) !== 'GB00ACC1' && row % 4 !== 0 && all.endToEndId(row) !== undefined;
      const keptLines = lines.filter((_, row) => keep(objects, row));
      const kept = rows.filter(keep);
      expect(keptLines.length).toBeGreaterThan(count / 3);
      expect(differences(kept, keptLines)).toEqual([]);
      expect(differences(kept, objects.filter(keep).toArray())).toEqual([]);
      const again = (all: StatementRows, row: number): boolean => all.bookingDate(row) === null || all.amount(row).startsWith('-');
      expect(
        differences(
          kept.filter(again),
          keptLines.filter((line) => line.bookingDate === null || line.amount.startsWith('-')),
        ),
      ).toEqual([]);
      const [start, end] = [PIECE_ROWS - 3, 3 * PIECE_ROWS + 5];
      expect(differences(rows.range(start, end), lines.slice(start, end))).toEqual([]);
      expect(differences(rows.range(start, end).range(2, PIECE_ROWS + 2), lines.slice(start + 2, start + PIECE_ROWS + 2))).toEqual([]);
      expect(differences(kept.range(100, kept.length - 1), keptLines.slice(100, keptLines.length - 1))).toEqual([]);
      expect(differences(rows.range(count - 5, count), lines.slice(count - 5))).toEqual([]);

      // Ids with the prefix known at the end.
      const builder = new StatementColumnsBuilder();
      for (const line of lines) builder.push(line);
      builder.prefixIds('0123456789ab');
      expect(
        differences(
          builder.finish(),
          lines.map((line) => prefixed(line, '0123456789ab')),
        ),
      ).toEqual([]);

      // Several files as one (columns, objects, a filter, a range), read in order and out of it.
      const half = count >>> 1;
      const concat = concatStatementRows([
        columnsOf(lines.slice(0, half)),
        statementRowsOf([]),
        statementRowsOf(lines.slice(half, half + 10)),
        columnsOf(lines.slice(half + 10)).filter(keep),
        rows.range(7, 9),
      ]);
      const concatLines = [
        ...lines.slice(0, half),
        ...lines.slice(half, half + 10),
        ...lines.slice(half + 10).filter((_, row) => keep(statementRowsOf(lines.slice(half + 10)), row)),
        ...lines.slice(7, 9),
      ];
      expect(differences(concat, concatLines)).toEqual([]);
      let seed = 12345;
      const shuffled = range(concatLines.length).map(() => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % concatLines.length;
      });
      expect(differences(concat, concatLines, shuffled)).toEqual([]);
      const concatKept = concat.filter(keep);
      expect(
        differences(
          concatKept,
          concatLines.filter((_, row) => keep(statementRowsOf(concatLines), row)),
        ),
      ).toEqual([]);
      expect(differences(concat.range(half - 50, half + 50), concatLines.slice(half - 50, half + 50))).toEqual([]);
    });
  }

  it('a column of as many distinct texts as a shared column holds, and of one more, as the first rows or after absent ones', () => {
    for (const distinct of [MAX_SHARED_TEXTS - 1, MAX_SHARED_TEXTS, MAX_SHARED_TEXTS + 1, 2 * MAX_SHARED_TEXTS]) {
      for (const absentFirst of [0, 1, PIECE_ROWS - 1, PIECE_ROWS]) {
        const lines = range(absentFirst + distinct + 3).map((i) =>
          finished({
            statementLineId: `id${i % 3}`,
            format: 'bai2',
            statementId: 'S',
            accountId: 'A',
            currency: 'USD',
            amount: '1.00',
            bookingDate: i < absentFirst ? null : `d${i - absentFirst}`,
            valueDate: null,
            remittanceInformation: i < absentFirst ? undefined : `r${(i - absentFirst) % distinct}`,
            counterparty: i >= absentFirst + distinct ? undefined : `c${i}`,
            file: 'f.txt',
            line: i,
          }),
        );
        expect({ distinct, absentFirst, differ: differences(columnsOf(lines), lines) }).toEqual({ distinct, absentFirst, differ: [] });
      }
    }
  });
});

// --- Memory ---------------------------------------------------------------------------------

describe('statement rows: memory (REC-PERF-1)', () => {
  it('100,000 typical MT940 lines as columns hold far fewer bytes than as objects (under 200 a line)', () => {
    const count = 100_000;
    const builder = new StatementColumnsBuilder();
    /** The texts as objects hold them at the least: each distinct one once (16 bytes and two a character, as statementRowsBytes counts). */
    const texts = new Set<string>();
    let textBytes = 0;
    for (let i = 0; i < count; i += 1) {
      const line = finished({
        statementLineId: `:${i >>> 14}:${i}`,
        format: 'mt940',
        statementId: `00${(i >>> 14) + 1}/001`,
        accountId: 'DE89370400440532013000',
        currency: 'EUR',
        amount: `${i % 3 === 0 ? '-' : ''}${(i * 7919) % 100_000}.${String(i % 100).padStart(2, '0')}`,
        bookingDate: '2025-06-10',
        valueDate: '2025-06-10',
        bankReference: `B${String(i).padStart(9, '0')}`,
        customerReference: `INV-${String(i).padStart(7, '0')}`,
        remittanceInformation: `Payment for invoice ${String(i).padStart(8, '0')} ok`,
        typeCode: 'NTRF',
        status: 'BOOK',
        file: 'statement.sta',
        line: 5 + 3 * i,
      });
      for (const value of [...Object.values(line), line.position.file]) {
        if (typeof value !== 'string' || texts.has(value)) continue;
        texts.add(value);
        textBytes += 16 + 2 * value.length;
      }
      builder.push(line);
    }
    builder.prefixIds('0123456789ab');
    const rows = builder.finish();
    expect(rows.length).toBe(count);
    expect(rows.statementLineId(count - 1)).toBe(`0123456789ab:6:${count - 1}`);
    const perLine = statementRowsBytes(rows)! / count;
    // As objects, a line holds at the least its fields (21, 8 bytes each, and a header), its
    // position (an object of two), and its own texts: over 400 bytes a line here. Columns hold
    // the characters of the texts no two lines share and a few bytes a row.
    const objectsPerLine = 16 + 21 * 8 + (16 + 2 * 8) + textBytes / count;
    expect(objectsPerLine).toBeGreaterThan(400);
    expect(perLine).toBeLessThan(200);
    expect(perLine).toBeLessThan(objectsPerLine / 2);
    // Rows of these (a filter, a range) are views of the same columns.
    expect(statementRowsBytes(rows.range(10, 20))).toBe(statementRowsBytes(rows));
    expect(statementRowsBytes(rows.filter((all, row) => row % 2 === 0))).toBe(statementRowsBytes(rows));
  });

  it('100,000 camt entries: their element paths (one an entry, forty characters) cost a few bytes a line, and read back whole', () => {
    const count = 100_000;
    const line = (i: number, xml: boolean): StatementLine =>
      finished({
        statementLineId: `:${i >>> 14}:${i}`,
        format: 'camt.053',
        statementId: `STMT-${i >>> 14}`,
        accountId: 'DE89370400440532013000',
        currency: 'EUR',
        amount: `${i}.00`,
        bookingDate: '2025-06-10',
        valueDate: '2025-06-10',
        bankReference: `ACCT-${i}`,
        file: 'statement.xml',
        line: xml ? undefined : i,
        // An entry, or now and then an item of a batch entry split into its items.
        element: xml ? `Document/BkToCstmrStmt/Stmt[${(i >>> 14) + 1}]/Ntry[${i + 1}]${i % 500 === 7 ? '/NtryDtls/TxDtls[2]' : ''}` : undefined,
      });
    const withPaths = new StatementColumnsBuilder();
    const withLines = new StatementColumnsBuilder();
    for (let i = 0; i < count; i += 1) {
      withPaths.push(line(i, true));
      withLines.push(line(i, false));
    }
    const paths = withPaths.finish();
    const lines = withLines.finish();
    expect((statementRowsBytes(paths)! - statementRowsBytes(lines)!) / count).toBeLessThan(24);
    const differ = [0, 1, 7, 507, PIECE_ROWS, 3 * PIECE_ROWS + 7, count - 1].filter((i) => !isDeepStrictEqual(paths.line(i), line(i, true)));
    expect(differ).toEqual([]);
  });
});
