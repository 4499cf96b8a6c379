/**
 * A run's statement lines as rows read field by field (REC-PERF-1), so that a million lines need
 * not be a million objects (the statement side of the plan whose ledger side is ./ledger-rows.ts):
 *
 * - `statementRowsOf(lines)`: lines already held as objects (a small file, the AWS path, a test);
 *   `line(row)` is the object itself.
 * - `StatementColumnsBuilder`: lines gathered into columns as a reader accepts them, each line's
 *   object dropped at once (it dies young). A column of few distinct texts (formats, accounts,
 *   currencies, dates, type codes, statuses) holds each text once and each row's index into them;
 *   any other column holds its rows' texts joined, PIECE_ROWS rows a piece, joined as each piece
 *   fills, so a row's own strings never live long enough to be copied by the collector. An XML
 *   line's element path is kept as two columns (the path to its last index, its last index). The
 *   few fields most lines do not have (a batch's items, bank-specific fields) are kept by row.
 *   `line(row)` builds an object only for the rows a run asks about (its exceptions, its cases).
 * - `concatStatementRows(parts)`: several files' rows as one run's rows, in order.
 *
 * Either way a row reads the same values and `line(row)` is the same line: the same fields in the
 * same order as the parsers' `finishLine` (test/recon/statement-rows.test.ts holds the kinds equal).
 */
import type { BalanceProof, ParsedStatementFile, StatementFormat, StatementLine } from './types';

/** A line's fields other than its position and the rare ones, as a run reads them. */
export interface StatementRows {
  readonly length: number;
  statementLineId(row: number): string;
  format(row: number): StatementFormat;
  statementId(row: number): string;
  accountId(row: number): string;
  currency(row: number): string;
  amount(row: number): string;
  bookingDate(row: number): string | null;
  valueDate(row: number): string | null;
  endToEndId(row: number): string | undefined;
  bankReference(row: number): string | undefined;
  customerReference(row: number): string | undefined;
  remittanceInformation(row: number): string | undefined;
  counterparty(row: number): string | undefined;
  typeCode(row: number): string | undefined;
  status(row: number): string | undefined;
  batchItemCount(row: number): number | undefined;
  batchReference(row: number): string | undefined;
  batchItem(row: number): { index: number; of: number } | undefined;
  batchFault(row: number): string | undefined;
  /** The file the line came from (its position's file). */
  file(row: number): string;
  /** Row `row` as a line (from columns: a new object each time it is asked for). */
  line(row: number): StatementLine;
  /** The rows `keep` accepts, in order (these rows themselves when it accepts every one). */
  filter(keep: (rows: StatementRows, row: number) => boolean): StatementRows;
  /** Rows [start, end) of these, in order. */
  range(start: number, end: number): StatementRows;
  /** Every row as a line, in order. */
  toArray(): StatementLine[];
}

/** Lines held as objects, as rows. */
export function statementRowsOf(lines: readonly StatementLine[]): StatementRows {
  return new LineRows(lines);
}

class LineRows implements StatementRows {
  constructor(private readonly lines: readonly StatementLine[]) {}
  /** Line `row` (a row outside these is refused). */
  private at(row: number): StatementLine {
    const line = this.lines[row];
    if (line === undefined) throw new RangeError(`row ${row} of ${this.lines.length}`);
    return line;
  }
  get length(): number {
    return this.lines.length;
  }
  statementLineId(row: number): string {
    return this.at(row).statementLineId;
  }
  format(row: number): StatementFormat {
    return this.at(row).format;
  }
  statementId(row: number): string {
    return this.at(row).statementId;
  }
  accountId(row: number): string {
    return this.at(row).accountId;
  }
  currency(row: number): string {
    return this.at(row).currency;
  }
  amount(row: number): string {
    return this.at(row).amount;
  }
  bookingDate(row: number): string | null {
    return this.at(row).bookingDate;
  }
  valueDate(row: number): string | null {
    return this.at(row).valueDate;
  }
  endToEndId(row: number): string | undefined {
    return this.at(row).endToEndId;
  }
  bankReference(row: number): string | undefined {
    return this.at(row).bankReference;
  }
  customerReference(row: number): string | undefined {
    return this.at(row).customerReference;
  }
  remittanceInformation(row: number): string | undefined {
    return this.at(row).remittanceInformation;
  }
  counterparty(row: number): string | undefined {
    return this.at(row).counterparty;
  }
  typeCode(row: number): string | undefined {
    return this.at(row).typeCode;
  }
  status(row: number): string | undefined {
    return this.at(row).status;
  }
  batchItemCount(row: number): number | undefined {
    return this.at(row).batchItemCount;
  }
  batchReference(row: number): string | undefined {
    return this.at(row).batchReference;
  }
  batchItem(row: number): { index: number; of: number } | undefined {
    return this.at(row).batchItem;
  }
  batchFault(row: number): string | undefined {
    return this.at(row).batchFault;
  }
  file(row: number): string {
    return this.at(row).position.file;
  }
  line(row: number): StatementLine {
    return this.at(row);
  }
  filter(keep: (rows: StatementRows, row: number) => boolean): StatementRows {
    const kept: StatementLine[] = [];
    for (let row = 0; row < this.lines.length; row += 1) if (keep(this, row)) kept.push(this.at(row));
    return kept.length === this.lines.length ? this : new LineRows(kept);
  }
  range(start: number, end: number): StatementRows {
    if (start < 0 || end > this.lines.length || start > end) throw new RangeError(`rows ${start} to ${end} of ${this.lines.length}`);
    return start === 0 && end === this.lines.length ? this : new LineRows(this.lines.slice(start, end));
  }
  toArray(): StatementLine[] {
    return this.lines.slice();
  }
}

// --- Columns -----------------------------------------------------------------------

/** Rows in one piece of a joined column (a power of two: a row's piece is row >>> PIECE_SHIFT). */
export const PIECE_SHIFT = 12;
export const PIECE_ROWS = 1 << PIECE_SHIFT;
const PIECE_MASK = PIECE_ROWS - 1;
/** Distinct texts a shared column may hold; a column with more goes joined. */
export const MAX_SHARED_TEXTS = 1 << 12;

/** Index values of a shared column for the two absent values (above any text's: MAX_SHARED_TEXTS < 0xfffe). */
const SHARED_UNDEFINED = 0xffff;
const SHARED_NULL = 0xfffe;
/** Marks of a joined column's absent values. */
const JOINED_UNDEFINED = 1;
const JOINED_NULL = 2;

type Cell = string | null | undefined;

/**
 * One text column, built row by row and read by row: shared (each distinct text once, a row's
 * index into them) while it has at most MAX_SHARED_TEXTS distinct texts, else joined (PIECE_ROWS
 * rows' texts a piece, joined as the piece fills; each row's end in its piece). Absent values
 * (undefined, null) are kept as such. A row is read once the row's piece is joined or the column
 * is finished.
 */
class TextColumn {
  private ids: Map<string, number> | undefined = new Map();
  private texts: string[] = [];
  /** Shared: each row's index into `texts` (two bytes a row: MAX_SHARED_TEXTS fits). */
  private index = new Uint16Array(1024);
  /** The text last pushed and its index (a run of rows of one text is the usual case). */
  private last: string | undefined;
  private lastId = 0;
  /** Joined: the pieces so far, the current piece's texts, each row's end, absent marks. */
  private pieces: string[] = [];
  private pending: string[] = [];
  private pendingChars = 0;
  private ends = new Uint32Array(0);
  private marks: Uint8Array | undefined;
  length = 0;

  push(cell: Cell): void {
    const row = this.length;
    this.length = row + 1;
    if (this.ids === undefined) return this.pushJoined(row, cell);
    if (row === this.index.length) this.index = grow(this.index, row * 2);
    // Absent values first: `last` is undefined before any text is pushed.
    if (typeof cell !== 'string') {
      this.index[row] = cell === null ? SHARED_NULL : SHARED_UNDEFINED;
      return;
    }
    if (cell === this.last) {
      this.index[row] = this.lastId;
      return;
    }
    let id = this.ids.get(cell);
    if (id === undefined) {
      if (this.texts.length === MAX_SHARED_TEXTS) {
        this.length = row;
        this.join();
        this.length = row + 1;
        return this.pushJoined(row, cell);
      }
      id = this.texts.length;
      this.texts.push(cell);
      this.ids.set(cell, id);
    }
    this.index[row] = id;
    this.last = cell;
    this.lastId = id;
  }

  private pushJoined(row: number, cell: Cell): void {
    if (row >= this.ends.length) this.ends = grow(this.ends, Math.max(PIECE_ROWS, this.ends.length * 2));
    if (typeof cell === 'string') {
      this.pending.push(cell);
      this.pendingChars += cell.length;
    } else {
      if (this.marks === undefined || this.marks.length < this.ends.length) {
        const marks = new Uint8Array(this.ends.length);
        if (this.marks !== undefined) marks.set(this.marks);
        this.marks = marks;
      }
      this.marks[row] = cell === null ? JOINED_NULL : JOINED_UNDEFINED;
    }
    this.ends[row] = this.pendingChars;
    if ((row & PIECE_MASK) === PIECE_MASK) this.closePiece();
  }

  private closePiece(): void {
    this.pieces.push(this.pending.length === 1 ? this.pending[0]! : this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }

  /** Goes joined: the rows so far pushed again as texts. */
  private join(): void {
    const rows = this.length;
    const texts = this.texts;
    const index = this.index;
    this.ids = undefined;
    this.texts = [];
    this.index = new Uint16Array(0);
    this.last = undefined;
    this.length = 0;
    for (let row = 0; row < rows; row += 1) {
      const at = index[row]!;
      this.length = row + 1;
      this.pushJoined(row, at === SHARED_NULL ? null : at === SHARED_UNDEFINED ? undefined : texts[at]!);
    }
  }

  /** Ends the column: the last piece is joined; the index is cut to the rows. */
  finish(): void {
    if (this.ids !== undefined) {
      // The map is only for pushing: a finished column reads by index.
      this.ids.clear();
      this.last = undefined;
      if (this.index.length !== this.length) this.index = this.index.slice(0, this.length);
      return;
    }
    if ((this.length & PIECE_MASK) !== 0) this.closePiece();
    if (this.ends.length !== this.length) this.ends = this.ends.slice(0, this.length);
    if (this.marks !== undefined && this.marks.length !== this.length) this.marks = this.marks.slice(0, this.length);
  }

  at(row: number): Cell {
    if (this.ids !== undefined) {
      const id = this.index[row]!;
      return id < SHARED_NULL ? this.texts[id]! : id === SHARED_NULL ? null : undefined;
    }
    // The marks end at the last absent value's piece: a row past them has a text.
    const mark = this.marks === undefined || row >= this.marks.length ? 0 : this.marks[row]!;
    if (mark !== 0) return mark === JOINED_NULL ? null : undefined;
    const piece = this.pieces[row >>> PIECE_SHIFT]!;
    return piece.slice((row & PIECE_MASK) === 0 ? 0 : this.ends[row - 1]!, this.ends[row]!);
  }

  /** Bytes of memory the column holds (about: two a character). */
  bytes(): number {
    if (this.ids !== undefined) return this.index.byteLength + this.texts.reduce((n, t) => n + 16 + 2 * t.length, 0);
    return this.ends.byteLength + (this.marks?.byteLength ?? 0) + this.pieces.reduce((n, t) => n + 16 + 2 * t.length, 0);
  }
}

function grow<T extends Uint32Array | Uint16Array | Int32Array>(array: T, length: number): T {
  const grown = new (array.constructor as new (n: number) => T)(length);
  grown.set(array);
  return grown;
}

/**
 * An XML line's element path (`Document/BkToCstmrStmt/Stmt[1]/Ntry[12345]`), as two columns: the
 * path up to its last `[` (the same for a statement's entries: shared) and the rest (`12345]`),
 * so that a camt file's million paths are not a million texts of forty characters. Read only to
 * build a line.
 */
class ElementColumn {
  private readonly heads = new TextColumn();
  private readonly tails = new TextColumn();

  push(element: string | undefined): void {
    if (element === undefined) {
      this.heads.push(undefined);
      this.tails.push(undefined);
      return;
    }
    const cut = element.lastIndexOf('[') + 1;
    this.heads.push(cut === 0 ? element : element.slice(0, cut));
    this.tails.push(cut === 0 ? '' : element.slice(cut));
  }

  finish(): void {
    this.heads.finish();
    this.tails.finish();
  }

  at(row: number): string | undefined {
    const head = this.heads.at(row);
    return head === undefined || head === null ? undefined : head + (this.tails.at(row) as string);
  }

  bytes(): number {
    return this.heads.bytes() + this.tails.bytes();
  }
}

/** What few lines have: kept by row. */
interface Rare {
  batchItemCount?: number;
  batchReference?: string;
  batchItem?: { index: number; of: number };
  batchFault?: string;
  otherFields?: { tag: string; text: string; line?: number }[];
}

/** The columns, in the order of a line's fields. */
const TEXT_FIELDS = [
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
] as const;

/** The shared state of a file's columns (its rows, read by ColumnRows views). */
interface Columns {
  length: number;
  text: TextColumn[];
  file: TextColumn;
  element: ElementColumn;
  /** position.line, or -1 where a line has none. */
  sourceLines: Int32Array;
  rare: Map<number, Rare>;
}

/**
 * A file's statement lines gathered as columns as its reader accepts them (REC-PERF-1): `push`
 * takes a finished line (./parsers/common.ts finishLine) and keeps its fields, not the object.
 * `prefixIds(prefix)` puts the content hash in front of every id once it is known (a file read
 * once is hashed as it is parsed). `finish()` gives the rows; the builder is not used after.
 */
export class StatementColumnsBuilder {
  private readonly columns: Columns = {
    length: 0,
    text: TEXT_FIELDS.map(() => new TextColumn()),
    file: new TextColumn(),
    element: new ElementColumn(),
    sourceLines: new Int32Array(1024),
    rare: new Map(),
  };
  private idPrefix = '';
  private finished = false;

  get length(): number {
    return this.columns.length;
  }

  push(line: StatementLine): void {
    // A finished column's last piece is joined: a row pushed after would be read from the wrong piece.
    if (this.finished) throw new Error('statement columns are finished: no line can be added');
    const c = this.columns;
    const row = c.length;
    const [id, format, statementId, accountId, currency, amount, bookingDate, valueDate, e2e, bank, customer, remittance, counterparty, typeCode, status] = c.text as [
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
    ];
    id.push(line.statementLineId);
    format.push(line.format);
    statementId.push(line.statementId);
    accountId.push(line.accountId);
    currency.push(line.currency);
    amount.push(line.amount);
    bookingDate.push(line.bookingDate);
    valueDate.push(line.valueDate);
    e2e.push(line.endToEndId);
    bank.push(line.bankReference);
    customer.push(line.customerReference);
    remittance.push(line.remittanceInformation);
    counterparty.push(line.counterparty);
    typeCode.push(line.typeCode);
    status.push(line.status);
    c.file.push(line.position.file);
    c.element.push(line.position.element);
    if (row === c.sourceLines.length) c.sourceLines = grow(c.sourceLines, row * 2);
    c.sourceLines[row] = line.position.line ?? -1;
    if (line.batchItemCount !== undefined || line.batchReference !== undefined || line.batchItem !== undefined || line.batchFault !== undefined || line.otherFields !== undefined) {
      const rare: Rare = {};
      if (line.batchItemCount !== undefined) rare.batchItemCount = line.batchItemCount;
      if (line.batchReference !== undefined) rare.batchReference = line.batchReference;
      if (line.batchItem !== undefined) rare.batchItem = line.batchItem;
      if (line.batchFault !== undefined) rare.batchFault = line.batchFault;
      if (line.otherFields !== undefined) rare.otherFields = line.otherFields;
      c.rare.set(row, rare);
    }
    c.length = row + 1;
  }

  /** Every id is read with `prefix` in front (the file's content hash, known at its end). */
  prefixIds(prefix: string): void {
    this.idPrefix = prefix;
  }

  finish(): StatementRows {
    const c = this.columns;
    if (this.finished) return new ColumnRows(c, this.idPrefix, undefined, c.length);
    this.finished = true;
    for (const column of c.text) column.finish();
    c.file.finish();
    c.element.finish();
    if (c.sourceLines.length !== c.length) c.sourceLines = c.sourceLines.slice(0, c.length);
    return new ColumnRows(c, this.idPrefix, undefined, c.length);
  }
}

/** Rows of a file's columns: all of them in order, or the rows `places` names. */
class ColumnRows implements StatementRows {
  private readonly ids: TextColumn;
  private readonly formats: TextColumn;
  private readonly statementIds: TextColumn;
  private readonly accounts: TextColumn;
  private readonly currencies: TextColumn;
  private readonly amounts: TextColumn;
  private readonly bookingDates: TextColumn;
  private readonly valueDates: TextColumn;
  private readonly e2e: TextColumn;
  private readonly bank: TextColumn;
  private readonly customer: TextColumn;
  private readonly remittances: TextColumn;
  private readonly counterparties: TextColumn;
  private readonly typeCodes: TextColumn;
  private readonly statuses: TextColumn;

  constructor(
    private readonly columns: Columns,
    private readonly idPrefix: string,
    private readonly places: Int32Array | undefined,
    readonly length: number,
    private readonly first = 0,
  ) {
    [
      this.ids,
      this.formats,
      this.statementIds,
      this.accounts,
      this.currencies,
      this.amounts,
      this.bookingDates,
      this.valueDates,
      this.e2e,
      this.bank,
      this.customer,
      this.remittances,
      this.counterparties,
      this.typeCodes,
      this.statuses,
    ] = columns.text as [
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
      TextColumn,
    ];
  }
  /** The columns' row of row `row` of these (a row outside these is refused, not read from a neighbour's). */
  private at(row: number): number {
    if (!(row >= 0 && row < this.length)) throw new RangeError(`row ${row} of ${this.length}`);
    return this.places === undefined ? this.first + row : this.places[row]!;
  }
  statementLineId(row: number): string {
    const id = this.ids.at(this.at(row)) as string;
    return this.idPrefix === '' ? id : this.idPrefix + id;
  }
  format(row: number): StatementFormat {
    return this.formats.at(this.at(row)) as StatementFormat;
  }
  statementId(row: number): string {
    return this.statementIds.at(this.at(row)) as string;
  }
  accountId(row: number): string {
    return this.accounts.at(this.at(row)) as string;
  }
  currency(row: number): string {
    return this.currencies.at(this.at(row)) as string;
  }
  amount(row: number): string {
    return this.amounts.at(this.at(row)) as string;
  }
  bookingDate(row: number): string | null {
    return this.bookingDates.at(this.at(row)) as string | null;
  }
  valueDate(row: number): string | null {
    return this.valueDates.at(this.at(row)) as string | null;
  }
  endToEndId(row: number): string | undefined {
    return this.e2e.at(this.at(row)) as string | undefined;
  }
  bankReference(row: number): string | undefined {
    return this.bank.at(this.at(row)) as string | undefined;
  }
  customerReference(row: number): string | undefined {
    return this.customer.at(this.at(row)) as string | undefined;
  }
  remittanceInformation(row: number): string | undefined {
    return this.remittances.at(this.at(row)) as string | undefined;
  }
  counterparty(row: number): string | undefined {
    return this.counterparties.at(this.at(row)) as string | undefined;
  }
  typeCode(row: number): string | undefined {
    return this.typeCodes.at(this.at(row)) as string | undefined;
  }
  status(row: number): string | undefined {
    return this.statuses.at(this.at(row)) as string | undefined;
  }
  private rare(row: number): Rare | undefined {
    return this.columns.rare.size === 0 ? undefined : this.columns.rare.get(this.at(row));
  }
  batchItemCount(row: number): number | undefined {
    return this.rare(row)?.batchItemCount;
  }
  batchReference(row: number): string | undefined {
    return this.rare(row)?.batchReference;
  }
  batchItem(row: number): { index: number; of: number } | undefined {
    return this.rare(row)?.batchItem;
  }
  batchFault(row: number): string | undefined {
    return this.rare(row)?.batchFault;
  }
  file(row: number): string {
    return this.columns.file.at(this.at(row)) as string;
  }
  line(row: number): StatementLine {
    const at = this.at(row);
    const rare = this.columns.rare.size === 0 ? undefined : this.columns.rare.get(at);
    const element = this.columns.element.at(at);
    const sourceLine = this.columns.sourceLines[at]!;
    const file = this.columns.file.at(at) as string;
    const id = this.ids.at(at) as string;
    // finishLine's fields in finishLine's order: a line built here is deep-equal to the parser's.
    return {
      statementLineId: this.idPrefix === '' ? id : this.idPrefix + id,
      format: this.formats.at(at) as StatementFormat,
      statementId: this.statementIds.at(at) as string,
      accountId: this.accounts.at(at) as string,
      currency: this.currencies.at(at) as string,
      amount: this.amounts.at(at) as string,
      bookingDate: this.bookingDates.at(at) as string | null,
      valueDate: this.valueDates.at(at) as string | null,
      endToEndId: this.e2e.at(at) as string | undefined,
      bankReference: this.bank.at(at) as string | undefined,
      customerReference: this.customer.at(at) as string | undefined,
      remittanceInformation: this.remittances.at(at) as string | undefined,
      counterparty: this.counterparties.at(at) as string | undefined,
      typeCode: this.typeCodes.at(at) as string | undefined,
      status: this.statuses.at(at) as string | undefined,
      batchItemCount: rare?.batchItemCount,
      batchReference: rare?.batchReference,
      batchItem: rare?.batchItem,
      batchFault: rare?.batchFault,
      otherFields: rare?.otherFields,
      position: element === undefined ? { file, line: sourceLine < 0 ? undefined : sourceLine } : { file, ...(sourceLine < 0 ? {} : { line: sourceLine }), element },
    };
  }
  filter(keep: (rows: StatementRows, row: number) => boolean): StatementRows {
    const places = new Int32Array(this.length);
    let kept = 0;
    for (let row = 0; row < this.length; row += 1) if (keep(this, row)) places[kept++] = this.at(row);
    if (kept === this.length) return this;
    return new ColumnRows(this.columns, this.idPrefix, places.slice(0, kept), kept);
  }
  range(start: number, end: number): StatementRows {
    if (start < 0 || end > this.length || start > end) throw new RangeError(`rows ${start} to ${end} of ${this.length}`);
    if (start === 0 && end === this.length) return this;
    if (this.places !== undefined) return new ColumnRows(this.columns, this.idPrefix, this.places.slice(start, end), end - start);
    return new ColumnRows(this.columns, this.idPrefix, undefined, end - start, this.first + start);
  }
  toArray(): StatementLine[] {
    const lines: StatementLine[] = [];
    for (let row = 0; row < this.length; row += 1) lines.push(this.line(row));
    return lines;
  }
}

/** About how many bytes of memory rows built by StatementColumnsBuilder hold (for the benchmarks' notes). */
export function statementRowsBytes(rows: StatementRows): number | undefined {
  if (!(rows instanceof ColumnRows)) return undefined;
  const columns = (rows as unknown as { columns: Columns }).columns;
  return columns.text.reduce((n, column) => n + column.bytes(), 0) + columns.file.bytes() + columns.element.bytes() + columns.sourceLines.byteLength;
}

// --- Several files' rows as one --------------------------------------------------------

/** `parts` one after another, as one run's rows. */
export function concatStatementRows(parts: readonly StatementRows[]): StatementRows {
  const nonEmpty = parts.filter((part) => part.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  if (nonEmpty.length === 0) return statementRowsOf([]);
  return new ConcatRows(nonEmpty);
}

class ConcatRows implements StatementRows {
  readonly length: number;
  /** starts[k]: the first row of parts[k]. */
  private readonly starts: Int32Array;
  private lastPart = 0;

  constructor(private readonly parts: readonly StatementRows[]) {
    this.starts = new Int32Array(parts.length);
    let length = 0;
    for (let k = 0; k < parts.length; k += 1) {
      this.starts[k] = length;
      length += parts[k]!.length;
    }
    this.length = length;
  }
  /** The part that holds `row` (rows are mostly read in order: the last part found is tried first). */
  private part(row: number): number {
    let k = this.lastPart;
    const starts = this.starts;
    if (row >= starts[k]! && (k + 1 === starts.length || row < starts[k + 1]!)) return k;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= row) lo = mid;
      else hi = mid - 1;
    }
    k = lo;
    this.lastPart = k;
    return k;
  }
  /** The row `locate` found, in its part. */
  private local = 0;
  /** The part that holds `row`; `local` is then its row there (no closure a read: REC-PERF-1). */
  private locate(row: number): StatementRows {
    if (row < 0 || row >= this.length) throw new RangeError(`row ${row} of ${this.length}`);
    const k = this.part(row);
    this.local = row - this.starts[k]!;
    return this.parts[k]!;
  }
  statementLineId(row: number): string {
    return this.locate(row).statementLineId(this.local);
  }
  format(row: number): StatementFormat {
    return this.locate(row).format(this.local);
  }
  statementId(row: number): string {
    return this.locate(row).statementId(this.local);
  }
  accountId(row: number): string {
    return this.locate(row).accountId(this.local);
  }
  currency(row: number): string {
    return this.locate(row).currency(this.local);
  }
  amount(row: number): string {
    return this.locate(row).amount(this.local);
  }
  bookingDate(row: number): string | null {
    return this.locate(row).bookingDate(this.local);
  }
  valueDate(row: number): string | null {
    return this.locate(row).valueDate(this.local);
  }
  endToEndId(row: number): string | undefined {
    return this.locate(row).endToEndId(this.local);
  }
  bankReference(row: number): string | undefined {
    return this.locate(row).bankReference(this.local);
  }
  customerReference(row: number): string | undefined {
    return this.locate(row).customerReference(this.local);
  }
  remittanceInformation(row: number): string | undefined {
    return this.locate(row).remittanceInformation(this.local);
  }
  counterparty(row: number): string | undefined {
    return this.locate(row).counterparty(this.local);
  }
  typeCode(row: number): string | undefined {
    return this.locate(row).typeCode(this.local);
  }
  status(row: number): string | undefined {
    return this.locate(row).status(this.local);
  }
  batchItemCount(row: number): number | undefined {
    return this.locate(row).batchItemCount(this.local);
  }
  batchReference(row: number): string | undefined {
    return this.locate(row).batchReference(this.local);
  }
  batchItem(row: number): { index: number; of: number } | undefined {
    return this.locate(row).batchItem(this.local);
  }
  batchFault(row: number): string | undefined {
    return this.locate(row).batchFault(this.local);
  }
  file(row: number): string {
    return this.locate(row).file(this.local);
  }
  line(row: number): StatementLine {
    return this.locate(row).line(this.local);
  }
  filter(keep: (rows: StatementRows, row: number) => boolean): StatementRows {
    let all = true;
    const parts = this.parts.map((part, k) => {
      const start = this.starts[k]!;
      const kept = part.filter((_, r) => keep(this, start + r));
      if (kept !== part) all = false;
      return kept;
    });
    return all ? this : concatStatementRows(parts);
  }
  range(start: number, end: number): StatementRows {
    if (start < 0 || end > this.length || start > end) throw new RangeError(`rows ${start} to ${end} of ${this.length}`);
    if (start === 0 && end === this.length) return this;
    const parts: StatementRows[] = [];
    for (let k = 0; k < this.parts.length; k += 1) {
      const from = this.starts[k]!;
      const to = from + this.parts[k]!.length;
      const a = Math.max(start, from);
      const b = Math.min(end, to);
      if (a < b) parts.push(this.parts[k]!.range(a - from, b - from));
    }
    return concatStatementRows(parts);
  }
  toArray(): StatementLine[] {
    return this.parts.flatMap((part) => part.toArray());
  }
}

// --- A parsed file as rows -----------------------------------------------------------------

/** One statement of a parsed file: its identity and balance proof, and its lines as rows. */
export interface StatementOfRows {
  statementId: string;
  accountId: string;
  currency: string;
  /** The statement's lines (a range of its file's rows). */
  rows: StatementRows;
  balance?: BalanceProof;
}

/** A parsed statement file with its lines as rows (ParsedStatementFile's form for a run: REC-PERF-1). */
export interface ParsedStatementRows {
  file: string;
  format: StatementFormat;
  /** SHA-256 of the file's bytes: re-uploads are detected by it. */
  contentHash: string;
  statements: StatementOfRows[];
  /** Every line of the file, statement after statement (each statement's rows are a range of these). */
  rows: StatementRows;
}

/** A file parsed as objects (parseStatementFile, the AWS path, a test), as rows: the same lines, the same objects. */
export function parsedRowsOf(parsed: ParsedStatementFile): ParsedStatementRows {
  const all: StatementLine[] = [];
  for (const statement of parsed.statements) for (const line of statement.lines) all.push(line);
  const rows = statementRowsOf(all);
  return {
    file: parsed.file,
    format: parsed.format,
    contentHash: parsed.contentHash,
    rows,
    statements: parsed.statements.map((statement) => ({
      statementId: statement.statementId,
      accountId: statement.accountId,
      currency: statement.currency,
      rows: statementRowsOf(statement.lines),
      ...(statement.balance ? { balance: statement.balance } : {}),
    })),
  };
}
