/**
 * A ledger file read on a helper thread (./ledger-file.thread.ts), sent back to the run's thread
 * compactly (REC-PERF-1): a structured clone of a million LedgerEntry objects costs seconds to
 * write and more to read back, so each of the eight fields travels as one column instead:
 *
 * - `shared`: a column of few distinct texts (accounts, currencies, dates, repeated descriptions):
 *   the distinct texts once, and each row's index into them in a Uint32Array. Rows read from it
 *   share one string per text, as the reader's own entries do.
 * - `joined`: any other column (entry ids, amounts, references): the rows' texts end to end in
 *   pieces of at most PIECE_CHARS characters (far below V8's longest string), and each row's end
 *   offset within its piece in a Uint32Array. Offsets, not a separator: a cell may hold any
 *   character at all (a NUL included), so no separator is safe.
 *
 * The Uint32Arrays' buffers are transferred, not copied. The run's thread keeps the columns as
 * they are (decodeLedgerRows: LedgerRows, src/recon/ledger-rows.ts), reading a row's fields where
 * they lie and building an entry, with the reader's field order and values, only for a row it
 * reports; so everything downstream (the result bytes included) is the same as when the run's
 * thread reads the file itself.
 *
 * A failure travels as its fields: a BadInputError comes back as a BadInputError with the same
 * file, position, fault, kind and message (quarantine behaves exactly as when read here); any other
 * error as an Error with the same name, message and code.
 */
import type { LedgerEntry, SourcePosition } from '../../recon/types';
import { columnLedgerRows, LEDGER_FIELDS, type JoinedColumn, type LedgerColumn, type LedgerRows, type SharedColumn } from '../../recon/ledger-rows';
import type { LedgerFile } from '../../recon/run/ledger-file';
import { BadInputError, type BadInputKind } from '../../recon/run/errors';

type Column = LedgerColumn;

/** A ledger file as the helper thread sends it: its columns in LEDGER_FIELDS order. */
export interface LedgerFileMessage {
  type: 'ledger-file';
  path: string;
  format: LedgerFile['format'];
  contentHash: string;
  rows: number;
  columns: Column[];
}

type ErrorFields =
  { badInput: true; file: string; position: SourcePosition; fault: string; kind: BadInputKind; message: string } | { badInput: false; name: string; message: string; code?: string; stack?: string };

/** The reader's failure as the helper thread sends it. */
export interface LedgerFailureMessage {
  type: 'ledger-failure';
  error: ErrorFields;
}

export type LedgerThreadMessage = LedgerFileMessage | LedgerFailureMessage;

/** Distinct texts a shared column may hold; a column with more goes joined. */
export const MAX_SHARED_TEXTS = 1 << 16;
/** Characters in one piece of a joined column (V8's longest string is about 2^29). */
export const PIECE_CHARS = 1 << 26;

/**
 * The rows' texts of one field, read by a loop of its own per field (REC-PERF-1): each reads one
 * property of entries of one shape, where a loop over the field name would be a keyed read seeing
 * eight names.
 */
function columnTexts(entries: readonly LedgerEntry[], field: keyof LedgerEntry): string[] {
  switch (field) {
    case 'entryId':
      return entries.map((entry) => entry.entryId);
    case 'accountId':
      return entries.map((entry) => entry.accountId);
    case 'currency':
      return entries.map((entry) => entry.currency);
    case 'amount':
      return entries.map((entry) => entry.amount);
    case 'bookingDate':
      return entries.map((entry) => entry.bookingDate);
    case 'valueDate':
      return entries.map((entry) => entry.valueDate);
    case 'reference':
      return entries.map((entry) => entry.reference);
    case 'description':
      return entries.map((entry) => entry.description);
  }
}

function sharedColumn(rows: readonly string[]): SharedColumn | undefined {
  const ids = new Map<string, number>();
  const texts: string[] = [];
  const index = new Uint32Array(rows.length);
  // A text like the row before's (the same account, currency, date: common) needs no lookup.
  let last: string | undefined;
  let lastId = 0;
  for (let row = 0; row < rows.length; row += 1) {
    const text = rows[row]!;
    if (text === last) {
      index[row] = lastId;
      continue;
    }
    let id = ids.get(text);
    if (id === undefined) {
      if (texts.length === MAX_SHARED_TEXTS) return undefined;
      id = texts.length;
      texts.push(text);
      ids.set(text, id);
    }
    index[row] = id;
    last = text;
    lastId = id;
  }
  return { kind: 'shared', texts, index };
}

function joinedColumn(rows: readonly string[], pieceChars: number): JoinedColumn {
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

/** The file as one message, and the buffers to transfer with it. */
export function encodeLedgerFile(file: LedgerFile, options: { pieceChars?: number } = {}): { message: LedgerFileMessage; transfer: ArrayBuffer[] } {
  const columns = LEDGER_FIELDS.map((field): Column => {
    const texts = columnTexts(file.entries, field);
    return sharedColumn(texts) ?? joinedColumn(texts, options.pieceChars ?? PIECE_CHARS);
  });
  const transfer = columns.map((column) => (column.kind === 'shared' ? column.index.buffer : column.ends.buffer) as ArrayBuffer);
  return { message: { type: 'ledger-file', path: file.path, format: file.format, contentHash: file.contentHash, rows: file.entries.length, columns }, transfer };
}

/** The ledger file the message holds, its entries read where they are (REC-PERF-1: no object per entry). */
export function decodeLedgerRows(message: LedgerFileMessage): Omit<LedgerFile, 'entries'> & { rows: LedgerRows } {
  return { path: message.path, format: message.format, contentHash: message.contentHash, rows: columnLedgerRows(message.rows, message.columns) };
}

/** The ledger file the message holds: every entry rebuilt with the reader's field order. */
export function decodeLedgerFile(message: LedgerFileMessage): LedgerFile {
  const { rows, ...file } = decodeLedgerRows(message);
  return { ...file, entries: rows.toArray() };
}

/** The reader's failure as a message. */
export function encodeLedgerFailure(error: unknown): LedgerFailureMessage {
  if (error instanceof BadInputError) {
    return { type: 'ledger-failure', error: { badInput: true, file: error.file, position: error.position, fault: error.fault, kind: error.kind, message: error.message } };
  }
  const failure = error instanceof Error ? error : new Error(String(error));
  const code = (failure as NodeJS.ErrnoException).code;
  return {
    type: 'ledger-failure',
    error: { badInput: false, name: failure.name, message: failure.message, ...(typeof code === 'string' ? { code } : {}), ...(failure.stack ? { stack: failure.stack } : {}) },
  };
}

/** The failure the message holds, as the reader threw it on the helper thread. */
export function decodeLedgerFailure(message: LedgerFailureMessage): Error {
  const fields = message.error;
  // The fields were masked (PCI-3) by the BadInputError on the thread; masking them again changes nothing.
  if (fields.badInput) return new BadInputError(fields.file, fields.position, fields.fault, fields.kind, fields.message);
  const error: Error & { code?: string } = new Error(fields.message);
  error.name = fields.name;
  if (fields.code !== undefined) error.code = fields.code;
  if (fields.stack !== undefined) error.stack = `${fields.stack}\n    (on the ledger file's helper thread)`;
  return error;
}

export function isLedgerThreadMessage(message: unknown): message is LedgerThreadMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'ledger-file' || type === 'ledger-failure';
}
