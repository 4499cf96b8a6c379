/**
 * A run's ledger entries as rows read field by field (REC-PERF-1), so that a million entries need
 * not be a million objects:
 *
 * - `ledgerRowsOf(entries)`: entries already held as objects (a small file, the posting state, the
 *   AWS path); `entry(row)` is the object itself.
 * - `columnLedgerRows(length, columns)`: the columns a ledger file arrives in from its helper
 *   thread (adapters/embedded/ledger-file-transfer.ts), read where they are: a column of few
 *   distinct texts (accounts, currencies, dates) holds each text once and each row's index into
 *   them; any other column holds the rows' texts end to end with each row's end offset. A text is
 *   cut out when asked for, and `entry(row)` builds an object only for the rows a run asks about
 *   (its exceptions, its cases). Measured at 1M entries: 187 bytes of heap an entry as objects,
 *   about 74 as columns, and no second of rebuilding objects on the run's thread.
 *
 * Either way a row reads the same texts in the same order: the matcher, the load files and the
 * lookups see no difference (test/recon/ledger-rows.test.ts holds the two kinds equal).
 */
import type { LedgerEntry } from './types';

/** A ledger entry's fields, in the order the ledger file's columns travel. */
export const LEDGER_FIELDS = ['entryId', 'accountId', 'currency', 'amount', 'bookingDate', 'valueDate', 'reference', 'description'] as const;
export type LedgerField = (typeof LEDGER_FIELDS)[number];

/** A column of few distinct texts: each once, and each row's index into them. */
export interface SharedColumn {
  kind: 'shared';
  texts: string[];
  index: Uint32Array;
}

/** A column of the rows' texts end to end: piece k holds rows firstRows[k] up to firstRows[k + 1]; ends[row] is where the row's text ends in its piece. */
export interface JoinedColumn {
  kind: 'joined';
  pieces: string[];
  firstRows: number[];
  ends: Uint32Array;
}

export type LedgerColumn = SharedColumn | JoinedColumn;

/** A run's ledger entries, read row by row and field by field. */
export interface LedgerRows {
  readonly length: number;
  entryId(row: number): string;
  accountId(row: number): string;
  currency(row: number): string;
  amount(row: number): string;
  bookingDate(row: number): string;
  valueDate(row: number): string;
  reference(row: number): string;
  description(row: number): string;
  /** Row `row` as an entry (from columns: a new object each time it is asked for). */
  entry(row: number): LedgerEntry;
  /** The rows `keep` accepts, in order (these rows themselves when it accepts every one). */
  filter(keep: (rows: LedgerRows, row: number) => boolean): LedgerRows;
  /** Every row as an entry, in order. */
  toArray(): LedgerEntry[];
}

/** Entries held as objects, as rows. */
export function ledgerRowsOf(entries: readonly LedgerEntry[]): LedgerRows {
  return new EntryRows(entries);
}

class EntryRows implements LedgerRows {
  constructor(private readonly entries: readonly LedgerEntry[]) {}
  get length(): number {
    return this.entries.length;
  }
  entryId(row: number): string {
    return this.entries[row]!.entryId;
  }
  accountId(row: number): string {
    return this.entries[row]!.accountId;
  }
  currency(row: number): string {
    return this.entries[row]!.currency;
  }
  amount(row: number): string {
    return this.entries[row]!.amount;
  }
  bookingDate(row: number): string {
    return this.entries[row]!.bookingDate;
  }
  valueDate(row: number): string {
    return this.entries[row]!.valueDate;
  }
  reference(row: number): string {
    return this.entries[row]!.reference;
  }
  description(row: number): string {
    return this.entries[row]!.description;
  }
  entry(row: number): LedgerEntry {
    return this.entries[row]!;
  }
  filter(keep: (rows: LedgerRows, row: number) => boolean): LedgerRows {
    const kept: LedgerEntry[] = [];
    for (let row = 0; row < this.entries.length; row += 1) if (keep(this, row)) kept.push(this.entries[row]!);
    return kept.length === this.entries.length ? this : new EntryRows(kept);
  }
  toArray(): LedgerEntry[] {
    return this.entries.slice();
  }
}

/**
 * A column ready to read: the text of row r is texts[index[r]] (shared), piece.slice(ends[r - 1],
 * ends[r]) (joined in one piece, the usual case), or texts[r] (joined over several pieces: cut up
 * front, as only a column of more than a piece's characters is).
 */
interface ReadColumn {
  texts: string[];
  index: Uint32Array | undefined;
  piece: string | undefined;
  ends: Uint32Array | undefined;
}

function readColumn(column: LedgerColumn, length: number): ReadColumn {
  if (column.kind === 'shared') {
    if (column.index.length !== length) throw new Error(`a shared ledger column has ${column.index.length} rows, expected ${length}`);
    return { texts: column.texts, index: column.index, piece: undefined, ends: undefined };
  }
  if (column.ends.length !== length) throw new Error(`a joined ledger column has ${column.ends.length} rows, expected ${length}`);
  if (column.pieces.length === 1) return { texts: [], index: undefined, piece: column.pieces[0]!, ends: column.ends };
  const texts: string[] = [];
  for (let piece = 0; piece < column.pieces.length; piece += 1) {
    const text = column.pieces[piece]!;
    const last = piece + 1 < column.firstRows.length ? column.firstRows[piece + 1]! : length;
    let start = 0;
    for (let row = column.firstRows[piece]!; row < last; row += 1) {
      const end = column.ends[row]!;
      texts.push(text.slice(start, end));
      start = end;
    }
  }
  return { texts, index: undefined, piece: undefined, ends: undefined };
}

function textAt(column: ReadColumn, row: number): string {
  if (column.index !== undefined) return column.texts[column.index[row]!]!;
  if (column.piece !== undefined) return column.piece.slice(row === 0 ? 0 : column.ends![row - 1]!, column.ends![row]!);
  return column.texts[row]!;
}

/** `length` rows held as `columns`, one per LEDGER_FIELDS field in that order. */
export function columnLedgerRows(length: number, columns: readonly LedgerColumn[]): LedgerRows {
  if (columns.length !== LEDGER_FIELDS.length) throw new Error(`ledger rows have ${columns.length} columns, expected ${LEDGER_FIELDS.length}`);
  return new ColumnRows(
    columns.map((column) => readColumn(column, length)),
    length,
    undefined,
  );
}

class ColumnRows implements LedgerRows {
  private readonly ids: ReadColumn;
  private readonly accounts: ReadColumn;
  private readonly currencies: ReadColumn;
  private readonly amounts: ReadColumn;
  private readonly bookingDates: ReadColumn;
  private readonly valueDates: ReadColumn;
  private readonly references: ReadColumn;
  private readonly descriptions: ReadColumn;

  /** `places`: the column rows these rows are, in order (all of them when undefined). */
  constructor(
    private readonly columns: readonly ReadColumn[],
    readonly length: number,
    private readonly places: Int32Array | undefined,
  ) {
    [this.ids, this.accounts, this.currencies, this.amounts, this.bookingDates, this.valueDates, this.references, this.descriptions] = columns as [
      ReadColumn,
      ReadColumn,
      ReadColumn,
      ReadColumn,
      ReadColumn,
      ReadColumn,
      ReadColumn,
      ReadColumn,
    ];
  }
  private at(row: number): number {
    return this.places === undefined ? row : this.places[row]!;
  }
  entryId(row: number): string {
    return textAt(this.ids, this.at(row));
  }
  accountId(row: number): string {
    return textAt(this.accounts, this.at(row));
  }
  currency(row: number): string {
    return textAt(this.currencies, this.at(row));
  }
  amount(row: number): string {
    return textAt(this.amounts, this.at(row));
  }
  bookingDate(row: number): string {
    return textAt(this.bookingDates, this.at(row));
  }
  valueDate(row: number): string {
    return textAt(this.valueDates, this.at(row));
  }
  reference(row: number): string {
    return textAt(this.references, this.at(row));
  }
  description(row: number): string {
    return textAt(this.descriptions, this.at(row));
  }
  entry(row: number): LedgerEntry {
    const at = this.at(row);
    // The reader's field order (LEDGER_FIELDS): an entry built here is deep-equal to the reader's.
    return {
      entryId: textAt(this.ids, at),
      accountId: textAt(this.accounts, at),
      currency: textAt(this.currencies, at),
      amount: textAt(this.amounts, at),
      bookingDate: textAt(this.bookingDates, at),
      valueDate: textAt(this.valueDates, at),
      reference: textAt(this.references, at),
      description: textAt(this.descriptions, at),
    };
  }
  filter(keep: (rows: LedgerRows, row: number) => boolean): LedgerRows {
    const places = new Int32Array(this.length);
    let kept = 0;
    for (let row = 0; row < this.length; row += 1) if (keep(this, row)) places[kept++] = this.at(row);
    if (kept === this.length) return this;
    return new ColumnRows(this.columns, kept, places.slice(0, kept));
  }
  toArray(): LedgerEntry[] {
    const entries: LedgerEntry[] = [];
    for (let row = 0; row < this.length; row += 1) entries.push(this.entry(row));
    return entries;
  }
}

/** Distinct texts a shared column may hold; a column with more goes joined. */
export const MAX_SHARED_TEXTS = 1 << 16;
/** Characters in one piece of a joined column (V8's longest string is about 2^29). */
export const PIECE_CHARS = 1 << 26;

/**
 * One column built row by row: shared (each distinct text once, a row's index into them) while it
 * has at most MAX_SHARED_TEXTS distinct texts, else joined (the rows' texts, joined into pieces at
 * the end). A text like the row before's needs no lookup (accounts, currencies, dates repeat).
 */
class ColumnBuilder {
  private ids: Map<string, number> | undefined = new Map();
  /** Shared: the distinct texts; joined: every row's text. */
  private texts: string[] = [];
  private index = new Uint32Array(1024);
  private length = 0;
  private last: string | undefined;
  private lastId = 0;

  push(text: string): void {
    const row = this.length;
    this.length = row + 1;
    const ids = this.ids;
    if (ids === undefined) {
      this.texts.push(text);
      return;
    }
    if (row === this.index.length) {
      const grown = new Uint32Array(row * 2);
      grown.set(this.index);
      this.index = grown;
    }
    if (text === this.last) {
      this.index[row] = this.lastId;
      return;
    }
    let id = ids.get(text);
    if (id === undefined) {
      if (this.texts.length === MAX_SHARED_TEXTS) {
        this.join(row);
        this.texts.push(text);
        return;
      }
      id = this.texts.length;
      this.texts.push(text);
      ids.set(text, id);
    }
    this.index[row] = id;
    this.last = text;
    this.lastId = id;
  }

  /** Goes joined: the rows before `row` as their texts. */
  private join(row: number): void {
    const texts = this.texts;
    const index = this.index;
    const rows: string[] = new Array<string>(row);
    for (let r = 0; r < row; r += 1) rows[r] = texts[index[r]!]!;
    this.texts = rows;
    this.ids = undefined;
    this.index = new Uint32Array(0);
    this.last = undefined;
  }

  text(row: number): string {
    return this.ids === undefined ? this.texts[row]! : this.texts[this.index[row]!]!;
  }

  finish(pieceChars: number): LedgerColumn {
    if (this.ids !== undefined) return { kind: 'shared', texts: this.texts, index: this.index.slice(0, this.length) };
    const rows = this.texts;
    const pieces: string[] = [];
    const firstRows: number[] = [0];
    const ends = new Uint32Array(rows.length);
    let first = 0;
    let length = 0;
    for (let row = 0; row < rows.length; row += 1) {
      const text = rows[row]!;
      if (length > 0 && length + text.length > pieceChars) {
        pieces.push(rows.slice(first, row).join(''));
        firstRows.push(row);
        first = row;
        length = 0;
      }
      length += text.length;
      ends[row] = length;
    }
    pieces.push(first === 0 ? rows.join('') : rows.slice(first).join(''));
    return { kind: 'joined', pieces, firstRows, ends };
  }
}

/**
 * A ledger's rows gathered as columns as they are read (REC-PERF-1: a large ledger file on its
 * helper thread), never as an object per row: the columns columnLedgerRows reads, built as the
 * reader accepts each entry. The reader asks back an earlier row's id and account (its checks for
 * repeated ids).
 */
export class LedgerColumnsBuilder {
  private readonly columns = LEDGER_FIELDS.map(() => new ColumnBuilder());
  private rows = 0;

  get length(): number {
    return this.rows;
  }

  push(entry: LedgerEntry): void {
    const [entryId, accountId, currency, amount, bookingDate, valueDate, reference, description] = this.columns as [
      ColumnBuilder,
      ColumnBuilder,
      ColumnBuilder,
      ColumnBuilder,
      ColumnBuilder,
      ColumnBuilder,
      ColumnBuilder,
      ColumnBuilder,
    ];
    entryId.push(entry.entryId);
    accountId.push(entry.accountId);
    currency.push(entry.currency);
    amount.push(entry.amount);
    bookingDate.push(entry.bookingDate);
    valueDate.push(entry.valueDate);
    reference.push(entry.reference);
    description.push(entry.description);
    this.rows += 1;
  }

  entryId(row: number): string {
    return this.columns[0]!.text(row);
  }

  accountId(row: number): string {
    return this.columns[1]!.text(row);
  }

  /** The columns, in LEDGER_FIELDS order (call once, at the end). */
  finish(pieceChars = PIECE_CHARS): LedgerColumn[] {
    return this.columns.map((column) => column.finish(pieceChars));
  }
}
