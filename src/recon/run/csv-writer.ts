/**
 * The one CSV writer (REC-OUT-1): every CSV the project writes — matches.csv, exceptions.csv,
 * the AWS Redshift load files, the workbench export — is rendered by `csvTable`. RFC 4180
 * quoting (a cell is quoted when it holds a quote, comma or line break, or has surrounding
 * whitespace), UTF-8, `\n` line ends.
 *
 * Spreadsheet formulas are neutralised (the OWASP CSV-injection rule): a TEXT cell that starts
 * with = + - @ (ASCII or full-width), TAB, CR or LF — also after leading whitespace or invisible
 * format characters, which spreadsheets skip — gets a leading apostrophe, so Excel, LibreOffice
 * and Google Sheets show it as text and never run it. A text cell that itself starts with an
 * apostrophe gets one more, so the rule is reversible: `decodeCsvText` (for our own readers,
 * e.g. the workbench import) drops exactly one leading apostrophe and gives back the original.
 *
 * Numbers stay usable: a column declared numeric is written by the typed number writer, which
 * writes a canonical decimal (`-12.50`, `0.9500`, `17`) as it is and treats anything else as
 * text (neutralised). So `-12.50` in an amount column is a number to the spreadsheet, while
 * `-2+3` in any column — numeric or not — is text.
 */

/** What a cell may be given: text, a number (numeric columns), or nothing. */
export type CsvValue = string | number | bigint | null | undefined;

/** A cell a spreadsheet would evaluate: = + - @ (or full-width) after optional whitespace/format characters, or a leading TAB / CR / LF. */
const FORMULA_START = /^(?:[\t\r\n]|[\p{White_Space}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * A first character that settles FORMULA_START without the regex: printable ASCII other than
 * = + - @ can neither start a formula nor be skipped before one (not White_Space, not Cf).
 */
function plainStart(code: number): boolean {
  return code > 0x20 && code < 0x7f && code !== 0x3d && code !== 0x2b && code !== 0x2d && code !== 0x40;
}

/** True when a spreadsheet opening the cell's text would treat it as a formula. */
export function startsLikeFormula(text: string): boolean {
  if (text.length === 0 || plainStart(text.charCodeAt(0))) return false;
  return FORMULA_START.test(text);
}

/**
 * True for the decimals the number writer writes as they are: optional minus, no leading zeros,
 * optional fraction (`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$`, checked by character codes).
 */
export function isCanonicalDecimal(text: string): boolean {
  const length = text.length;
  let i = text.charCodeAt(0) === 0x2d ? 1 : 0;
  const first = text.charCodeAt(i);
  if (first === 0x30) i += 1;
  else if (first >= 0x31 && first <= 0x39) {
    i += 1;
    while (i < length && isDigit(text.charCodeAt(i))) i += 1;
  } else return false;
  if (i === length) return true;
  if (text.charCodeAt(i) !== 0x2e || i + 1 === length) return false;
  for (i += 1; i < length; i += 1) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** A text cell's content, formula-neutralised (reversible: see decodeCsvText). */
export function neutraliseText(text: string): string {
  return text.charCodeAt(0) === 0x27 || startsLikeFormula(text) ? `'${text}` : text;
}

/** Reverses neutraliseText for a text cell read back from one of our CSVs. */
export function decodeCsvText(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/** Whether String.prototype.trim could remove something: a first or last character that is not printable ASCII. */
function mayTrim(text: string): boolean {
  if (text.length === 0) return false;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  return !(first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f) && text !== text.trim();
}

function quoted(text: string): string {
  return NEEDS_QUOTES.test(text) || mayTrim(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * True when `text` is its own text cell: printable ASCII without quote or comma, a first character
 * that can neither start a formula nor be an apostrophe (plainStart, not '), and a last character
 * that is not a space. One scan, no regex (REC-PERF-1: most cells of a million-row file are ids
 * and references like this); anything else takes textCell's full path. `panGuarded`: the cell also
 * passes a PAN guard first (results.ts), so what the guard could change is refused too: a backslash
 * (an escape it decodes) or a 13th digit.
 */
export function isPlainCell(text: string, panGuarded = false): boolean {
  const length = text.length;
  if (length === 0) return false;
  const first = text.charCodeAt(0);
  if (!plainStart(first) || first === 0x27 || text.charCodeAt(length - 1) === 0x20) return false;
  let digits = 0;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (!plainChar(code)) return false;
    if (panGuarded && (code === 0x5c || (code >= 0x30 && code <= 0x39 && (digits += 1) >= 13))) return false;
  }
  return true;
}

/** isPlainCell's rule for every character: printable ASCII, not a quote or a comma. */
function plainChar(code: number): boolean {
  return code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x2c;
}

/** = + - @: a first character that makes the cell a formula (the writer puts an apostrophe before it) but needs no quoting. */
function formulaStart(code: number): boolean {
  return code === 0x3d || code === 0x2b || code === 0x2d || code === 0x40;
}

/**
 * textCell(text) written as bytes into `out` at `at`, in one scan, for the common cells (REC-PERF-1):
 * a plain cell (isPlainCell(text, panGuarded)) as it is, and a plain text after a first = + - @
 * (a negative amount) with the apostrophe the neutraliser puts before it (such a cell needs no
 * quotes: no quote, comma, line break or surrounding space). Returns the position after the cell,
 * or -1 for any other text (`out` then holds garbage from `at`: the caller writes the full path's
 * cell there). `out` has room for text.length + 1 bytes at `at`.
 */
export function copySimpleCell(text: string, out: Uint8Array, at: number, panGuarded: boolean): number {
  const length = text.length;
  if (length === 0 || text.charCodeAt(length - 1) === 0x20) return -1;
  const first = text.charCodeAt(0);
  let to = at;
  if (!plainStart(first) || first === 0x27) {
    if (!formulaStart(first)) return -1;
    out[to++] = 0x27;
  }
  let digits = 0;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (!plainChar(code)) return -1;
    if (panGuarded && (code === 0x5c || (code >= 0x30 && code <= 0x39 && (digits += 1) >= 13))) return -1;
    out[to++] = code;
  }
  return to;
}

/** A text cell, encoded (neutralised, then quoted when needed). */
export function textCell(value: CsvValue): string {
  if (typeof value === 'string' && isPlainCell(value)) return value;
  if (value === undefined || value === null) return '';
  return quoted(neutraliseText(String(value)));
}

/** A numeric cell: a canonical decimal as it is; anything else is text (neutralised). */
export function numberCell(value: CsvValue): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return isCanonicalDecimal(text) ? text : textCell(text);
}

export interface CsvTable<Column extends string> {
  readonly columns: readonly Column[];
  /** The header line (with its line break). */
  header(): string;
  /** One record (with its line break); cells in column order, numeric columns through the number writer. */
  row(cells: readonly CsvValue[]): string;
  /** Header (unless `header: false`) and every row. */
  render(rows: Iterable<readonly CsvValue[]>, options?: { header?: boolean }): string;
  /** The same text as `render`, as ~1 MB pieces (for a file written as it is rendered, never one giant string). */
  chunks(rows: Iterable<readonly CsvValue[]>, options?: { header?: boolean }): Generator<string>;
  /** The same text as `render`, one piece per record (the header first unless `header: false`): for a writer that encodes each piece as it comes. */
  records(rows: Iterable<readonly CsvValue[]>, options?: { header?: boolean }): Generator<string>;
}

/** Characters gathered into one piece of `chunks`. */
const CHUNK = 1 << 20;

/**
 * A CSV table: its columns and which of them hold numbers. Every CSV output of the project is
 * written through one of these.
 */
export function csvTable<Column extends string>(columns: readonly Column[], options: { numeric?: readonly Column[] } = {}): CsvTable<Column> {
  const numeric = columns.map((column) => (options.numeric ?? []).includes(column));
  const row = (cells: readonly CsvValue[]): string => {
    if (cells.length !== columns.length) throw new Error(`a CSV row has ${cells.length} cells; the table has ${columns.length} columns (${columns.join(',')})`);
    let line = numeric[0] ? numberCell(cells[0]) : textCell(cells[0]);
    for (let i = 1; i < cells.length; i += 1) line += `,${numeric[i] ? numberCell(cells[i]) : textCell(cells[i])}`;
    return `${line}\n`;
  };
  const header = (): string => `${columns.map(textCell).join(',')}\n`;
  function* chunks(rows: Iterable<readonly CsvValue[]>, chunkOptions: { header?: boolean } = {}): Generator<string> {
    let piece = chunkOptions.header === false ? '' : header();
    for (const cells of rows) {
      piece += row(cells);
      if (piece.length >= CHUNK) {
        yield piece;
        piece = '';
      }
    }
    if (piece.length > 0) yield piece;
  }
  function* records(rows: Iterable<readonly CsvValue[]>, recordOptions: { header?: boolean } = {}): Generator<string> {
    if (recordOptions.header !== false) yield header();
    for (const cells of rows) yield row(cells);
  }
  return {
    columns,
    header,
    row,
    records,
    // Through ~1 MB pieces: never an array holding one string per row of a million-row file.
    render: (rows, renderOptions = {}) => [...chunks(rows, renderOptions)].join(''),
    chunks,
  };
}

/** Bytes gathered into one piece of a CsvBytes rendering. */
const BYTES_CHUNK = 1 << 20;

/**
 * A CSV file rendered straight into bytes (REC-PERF-1: a million records with no string per
 * record or per row array). Cells go into a ~1 MB buffer: a common cell copied as it is scanned
 * (copySimpleCell), any other through the same writers a csvTable's rows use (textCell, or the
 * caller's full path: a PAN guard, then textCell). When a record has filled the buffer (`full`),
 * `take()` hands its bytes over and starts the next buffer: the renderings yield those pieces
 * (writeChunksAsync writes them as they come). The text is the one the csvTable writes.
 */
export class CsvBytes {
  private buffer = Buffer.allocUnsafe(BYTES_CHUNK + (BYTES_CHUNK >> 4));
  private used = 0;

  /** True once the buffer holds a piece's worth: take() it after the record. */
  get full(): boolean {
    return this.used >= BYTES_CHUNK;
  }

  /** The bytes written since the last take (the buffer is not reused). */
  take(): Uint8Array {
    const bytes = this.buffer.subarray(0, this.used);
    this.buffer = Buffer.allocUnsafe(this.buffer.length);
    this.used = 0;
    return bytes;
  }

  private room(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.used + bytes));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }

  /** Text that is already CSV (cells as written, separators, a header): UTF-8. */
  raw(text: string): void {
    const length = text.length;
    // UTF-8 takes at most 3 bytes a UTF-16 unit.
    this.room(3 * length);
    const buffer = this.buffer;
    let at = this.used;
    for (let i = 0; i < length; i += 1) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        this.used += buffer.write(text, this.used, 'utf8');
        return;
      }
      buffer[at++] = code;
    }
    this.used = at;
  }

  /** One ASCII character (a comma, a line break). */
  char(code: number): void {
    this.room(1);
    this.buffer[this.used++] = code;
  }

  /**
   * textCell(value). True when the cell as written holds a value that starts with an apostrophe
   * (bare or first inside quotes): one a reader has to decode (decodeCsvText).
   */
  text(value: string | null | undefined): boolean {
    // Nothing, or '': an empty cell (textCell writes nothing for either).
    if (value === undefined || value === null || value.length === 0) return false;
    this.room(value.length + 1);
    const end = copySimpleCell(value, this.buffer, this.used, false);
    return end >= 0 ? this.ended(end) : this.written(textCell(value));
  }

  /** numberCell(value): a canonical decimal as it is, anything else as text(). True as for text(). */
  number(value: string): boolean {
    if (!isCanonicalDecimal(value)) return this.text(value);
    this.raw(value);
    return false;
  }

  /**
   * `full(value)` — a PAN guard, then textCell — written, where `value` as it is stands for it when
   * it is a common cell that no guard changes (copySimpleCell with the guard's rule). A value the
   * guard leaves as it is writes the same either way; nothing, or '', is an empty cell (as every
   * guard writes it). True as for text().
   */
  guarded(value: string | undefined, full: (value: string | undefined) => string): boolean {
    if (value === undefined || value.length === 0) return false;
    this.room(value.length + 1);
    const end = copySimpleCell(value, this.buffer, this.used, true);
    return end >= 0 ? this.ended(end) : this.written(full(value));
  }

  private ended(end: number): boolean {
    const apostrophe = this.buffer[this.used] === 0x27;
    this.used = end;
    return apostrophe;
  }

  private written(cell: string): boolean {
    this.raw(cell);
    return cell.charCodeAt(0) === 0x27 || (cell.charCodeAt(0) === 0x22 && cell.charCodeAt(1) === 0x27);
  }
}
