/**
 * REC-PERF-1: a run's ledger entries as rows (src/recon/ledger-rows.ts). The columns a ledger file
 * arrives in from its helper thread (columnLedgerRows over encodeLedgerFile's message, through a
 * port as the thread sends it) read exactly as the entries held as objects (ledgerRowsOf): the same
 * length, every field of every row, the same entries (deep-equal, the same key order), and the same
 * rows kept by any filter, filtered again or not. Generated entries hold empty texts, repeated
 * texts, non-ASCII and astral characters, NUL and lone surrogates; columns are shared or joined, a
 * joined column in one piece or cut in many. Columns that do not fit the length are refused.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { LedgerFileMessage } from '../../src/adapters/embedded/ledger-file-transfer';
import { encodeLedgerFile } from '../support/ledger-columns';
import {
  columnLedgerRows,
  LEDGER_FIELDS,
  ledgerRowsOf,
  MAX_SHARED_TEXTS,
  type JoinedColumn,
  type LedgerColumn,
  type LedgerField,
  type LedgerRows,
  type SharedColumn,
} from '../../src/recon/ledger-rows';
import type { LedgerEntry } from '../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

/** Characters a cell may hold: separators, quotes, line breaks, NUL, non-ASCII, astral, the last BMP one. */
const char = fc.constantFrom('a', 'Z', '0', ' ', ',', '"', '\n', '\u0000', 'é', '€', '\ud835\udfd8', '\uffff');
/** Texts: a few repeated ones (the empty one among them), free text of the characters above, any code units at all. */
const text = fc.oneof(fc.constantFrom('', '', 'same', 'same', '\u0000', 'é€'), fc.string({ unit: char, maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 6 }));
/** A column of few texts (as accounts, currencies and dates are). */
const fewTexts = fc.constantFrom('', 'EUR', 'GB00ONE', '2025-06-10', '\u0000');

const entryArb = fc
  .tuple(text, fc.oneof(fewTexts, text), fewTexts, text, fewTexts, fc.oneof(fewTexts, text), text, text)
  .map(([entryId, accountId, currency, amount, bookingDate, valueDate, reference, description]): LedgerEntry => ({
    entryId,
    accountId,
    currency,
    amount,
    bookingDate,
    valueDate,
    reference,
    description,
  }));

/** The message as the helper thread's port delivers it: structured clone, buffers transferred. */
function throughPort(message: LedgerFileMessage, transfer: ArrayBuffer[]): LedgerFileMessage {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(message, transfer);
    return receiveMessageOnPort(port2)!.message as LedgerFileMessage;
  } finally {
    port1.close();
  }
}

/** The rows of `entries` as the run's thread gets them from the helper thread. */
function transferredRows(entries: readonly LedgerEntry[], pieceChars: number | undefined): LedgerRows {
  const { message, transfer } = encodeLedgerFile({ path: 'ledger.csv', format: 'csv', contentHash: 'h', entries: [...entries] }, { pieceChars });
  const received = throughPort(message, transfer);
  return columnLedgerRows(received.rows, received.columns);
}

/** A shared column built here: the distinct texts last seen first (another order than the encoder's). */
function sharedOf(texts: readonly string[]): SharedColumn {
  const distinct = [...new Set([...texts].reverse())];
  const place = new Map(distinct.map((t, i) => [t, i]));
  return { kind: 'shared', texts: distinct, index: Uint32Array.from(texts, (t) => place.get(t)!) };
}

/** A joined column built here: a new piece starts at every row `cuts` marks (row 0 always starts one). */
function joinedOf(texts: readonly string[], cuts: readonly boolean[]): JoinedColumn {
  const pieces: string[] = [];
  const firstRows: number[] = [0];
  const ends = new Uint32Array(texts.length);
  let piece = '';
  texts.forEach((t, row) => {
    if (row > 0 && cuts[row]) {
      pieces.push(piece);
      firstRows.push(row);
      piece = '';
    }
    piece += t;
    ends[row] = piece.length;
  });
  pieces.push(piece);
  return { kind: 'joined', pieces, firstRows, ends };
}

const fieldsOf = (rows: LedgerRows, row: number): string[] => LEDGER_FIELDS.map((field) => rows[field](row));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** `rows` read as `entries`: the length, every field of every row, every entry (deep-equal, the same key order), toArray. */
function expectRowsOf(rows: LedgerRows, entries: readonly LedgerEntry[], label: string): void {
  expect({ label, length: rows.length }).toEqual({ label, length: entries.length });
  expect({ label, fields: range(rows.length).map((row) => fieldsOf(rows, row)) }).toEqual({ label, fields: entries.map((entry) => LEDGER_FIELDS.map((field) => entry[field])) });
  const built = range(rows.length).map((row) => rows.entry(row));
  expect({ label, entries: built }).toStrictEqual({ label, entries: [...entries] });
  expect({ label, keys: built.map((entry) => Object.keys(entry)) }).toEqual({ label, keys: entries.map((entry) => Object.keys(entry)) });
  const array = rows.toArray();
  expect({ label, array }).toStrictEqual({ label, array: [...entries] });
  // A copy: the rows do not change with it.
  array.pop();
  expect(rows.length).toBe(entries.length);
}

/** A filter's predicate: kept by a flag per row, or by the texts of one field (read through the rows it is given). */
type Keep = { kind: 'flags'; flags: boolean[] } | { kind: 'field'; field: LedgerField; picks: number[] };
const keepArb: fc.Arbitrary<Keep> = fc.oneof(
  fc.record({ kind: fc.constant('flags' as const), flags: fc.array(fc.boolean(), { maxLength: 14 }) }),
  fc.record({ kind: fc.constant('field' as const), field: fc.constantFrom(...LEDGER_FIELDS), picks: fc.array(fc.nat(), { maxLength: 3 }) }),
);

/** Filters `rows` by `keep` (read through the rows the filter gives it) and `entries` alike, checking the predicate saw every row, in order, as the entries hold it. */
function filtered(rows: LedgerRows, entries: readonly LedgerEntry[], keep: Keep, label: string): { rows: LedgerRows; entries: LedgerEntry[] } {
  const texts = keep.kind === 'field' && entries.length > 0 ? new Set(keep.picks.map((pick) => entries[pick % entries.length]![keep.field])) : new Set<string>();
  const seen: string[][] = [];
  const kept = rows.filter((all, row) => {
    seen.push(fieldsOf(all, row));
    return keep.kind === 'flags' ? keep.flags[row] === true : texts.has(all[keep.field](row));
  });
  expect({ label, seen }).toEqual({ label, seen: entries.map((entry) => LEDGER_FIELDS.map((field) => entry[field])) });
  const keptEntries = entries.filter((entry, row) => (keep.kind === 'flags' ? keep.flags[row] === true : texts.has(entry[keep.field])));
  return { rows: kept, entries: keptEntries };
}

describe('ledger rows: columns read as the entries held as objects (REC-PERF-1)', () => {
  it('property: the columns from the helper thread and columns built shared or joined read as ledgerRowsOf, filtered or not', () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 12 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        fc.array(fc.constantFrom<LedgerColumn['kind']>('shared', 'joined'), { minLength: LEDGER_FIELDS.length, maxLength: LEDGER_FIELDS.length }),
        fc.array(fc.array(fc.boolean(), { maxLength: 12 }), { minLength: LEDGER_FIELDS.length, maxLength: LEDGER_FIELDS.length }),
        keepArb,
        keepArb,
        (entries, pieceChars, kinds, cuts, firstKeep, secondKeep) => {
          const objects = ledgerRowsOf(entries);
          expectRowsOf(objects, entries, 'objects');
          // Entries held as objects are those objects.
          for (const row of range(entries.length)) expect(objects.entry(row)).toBe(entries[row]);
          const built = columnLedgerRows(
            entries.length,
            LEDGER_FIELDS.map((field, f) => {
              const texts = entries.map((entry) => entry[field]);
              return kinds[f] === 'shared' ? sharedOf(texts) : joinedOf(texts, cuts[f]!);
            }),
          );
          for (const [label, rows] of [
            ['from the helper thread', transferredRows(entries, pieceChars)],
            [`built ${kinds.join(',')}`, built],
            ['objects', objects],
          ] as const) {
            expectRowsOf(rows, entries, label);
            // Every row kept: these same rows.
            expect(rows.filter(() => true)).toBe(rows);
            expectRowsOf(
              rows.filter(() => true),
              entries,
              `${label}, all kept`,
            );
            // Some rows kept, then some of those: read as the entries kept.
            const once = filtered(rows, entries, firstKeep, `${label}, filtered`);
            expectRowsOf(once.rows, once.entries, `${label}, filtered`);
            const twice = filtered(once.rows, once.entries, secondKeep, `${label}, filtered twice`);
            expectRowsOf(twice.rows, twice.entries, `${label}, filtered twice`);
            expect(once.rows.filter(() => true)).toBe(once.rows);
            expectRowsOf(
              once.rows.filter(() => false),
              [],
              `${label}, none kept`,
            );
          }
        },
      ),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(20261207) },
    );
  });

  it('a file of more distinct texts than a shared column holds: its joined columns, in one piece or in many, read as the objects', () => {
    const count = MAX_SHARED_TEXTS + 10;
    const entries: LedgerEntry[] = range(count).map((i) => ({
      entryId: `E${String(i).padStart(7, '0')}`,
      accountId: `GB00ACC${i % 3}`,
      currency: i % 5 === 0 ? 'JPY' : 'EUR',
      amount: `${i}.${String(i % 100).padStart(2, '0')}`,
      bookingDate: '2025-06-10',
      valueDate: i % 7 === 0 ? '' : '2025-06-11',
      reference: i === 5 || i === count - 1 ? '' : `R\u0000${i}é`,
      description: i % 2 === 0 ? 'same text' : `entry 𝟘 ${i % 50}`,
    }));
    const objects = ledgerRowsOf(entries);
    for (const pieceChars of [undefined, 4096]) {
      const { message, transfer } = encodeLedgerFile({ path: 'ledger.csv', format: 'csv', contentHash: 'h', entries }, { pieceChars });
      expect(message.columns.map((column) => column.kind)).toEqual(['joined', 'shared', 'shared', 'joined', 'shared', 'shared', 'joined', 'shared']);
      const pieces = message.columns.map((column) => (column.kind === 'joined' ? column.pieces.length : 0));
      if (pieceChars === undefined) expect(pieces).toEqual([1, 0, 0, 1, 0, 0, 1, 0]);
      else for (const f of [0, 3, 6]) expect(pieces[f]).toBeGreaterThan(10);
      const received = throughPort(message, transfer);
      const rows = columnLedgerRows(received.rows, received.columns);
      expect(rows.length).toBe(count);
      // (A loop rather than an expect per row: 65,000 rows.)
      const differ: unknown[] = [];
      for (let row = 0; row < count && differ.length < 5; row += 1) {
        if (!isDeepStrictEqual(fieldsOf(rows, row), fieldsOf(objects, row))) differ.push({ row, columns: fieldsOf(rows, row), objects: fieldsOf(objects, row) });
        const entry = rows.entry(row);
        if (!isDeepStrictEqual(entry, entries[row]) || Object.keys(entry).join() !== LEDGER_FIELDS.join()) differ.push({ row, entry });
      }
      expect(differ).toEqual([]);
      expect(isDeepStrictEqual(rows.toArray(), entries)).toBe(true);
      const keep = (all: LedgerRows, row: number): boolean => all.accountId(row) !== 'GB00ACC1' && row % 4 !== 0;
      const kept = rows.filter(keep);
      expect(kept.length).toBe(objects.filter(keep).length);
      expect(kept.length).toBeGreaterThan(30_000);
      expect(isDeepStrictEqual(kept.toArray(), objects.filter(keep).toArray())).toBe(true);
      expect(kept.entryId(kept.length - 1)).toBe(entries.filter((_, row) => keep(objects, row)).at(-1)!.entryId);
    }
  });

  describe('columns that do not fit are refused', () => {
    const entries: LedgerEntry[] = range(4).map((i) => ({
      entryId: `E${i}`,
      accountId: 'GB00ONE',
      currency: 'EUR',
      amount: `${i}.00`,
      bookingDate: '2025-06-10',
      valueDate: '2025-06-10',
      reference: `R${i}`,
      description: '',
    }));
    const columns = (): LedgerColumn[] => LEDGER_FIELDS.map((field, f) => (f % 2 === 0 ? sharedOf : (texts: string[]) => joinedOf(texts, [false, false, true, false]))(entries.map((e) => e[field])));

    it('the columns as built fit: they read as the entries', () => {
      expectRowsOf(columnLedgerRows(4, columns()), entries, 'fitting columns');
    });

    it('a shared column of another row count than the rows', () => {
      const short = columns();
      short[2] = sharedOf(entries.slice(0, 3).map((e) => e.currency));
      expect(() => columnLedgerRows(4, short)).toThrow('a shared ledger column has 3 rows, expected 4');
      const long = columns();
      long[0] = sharedOf([...entries, entries[0]!].map((e) => e.entryId));
      expect(() => columnLedgerRows(4, long)).toThrow('a shared ledger column has 5 rows, expected 4');
    });

    it('a joined column of another row count than the rows', () => {
      const short = columns();
      short[1] = joinedOf(
        entries.slice(0, 2).map((e) => e.accountId),
        [],
      );
      expect(() => columnLedgerRows(4, short)).toThrow('a joined ledger column has 2 rows, expected 4');
      const long = columns();
      long[7] = joinedOf(
        [...entries, ...entries].map((e) => e.description),
        [],
      );
      expect(() => columnLedgerRows(4, long)).toThrow('a joined ledger column has 8 rows, expected 4');
    });

    it('every column of a length other than the rows', () => {
      expect(() => columnLedgerRows(5, columns())).toThrow(/ledger column has 4 rows, expected 5$/);
      expect(() => columnLedgerRows(0, columns())).toThrow(/ledger column has 4 rows, expected 0$/);
    });

    it('a wrong number of columns', () => {
      expect(() => columnLedgerRows(4, columns().slice(0, 7))).toThrow('ledger rows have 7 columns, expected 8');
      expect(() => columnLedgerRows(4, [...columns(), sharedOf(entries.map((e) => e.entryId))])).toThrow('ledger rows have 9 columns, expected 8');
      expect(() => columnLedgerRows(0, [])).toThrow('ledger rows have 0 columns, expected 8');
    });
  });
});
