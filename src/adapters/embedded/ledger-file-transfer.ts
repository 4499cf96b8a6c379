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
import type { SourcePosition } from '../../recon/types';
import { columnLedgerRows, type LedgerColumn, type LedgerRows } from '../../recon/ledger-rows';
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

/** A ledger file read into columns (readLedgerFileColumns) as one message, and the buffers to transfer with it. */
export function ledgerFileMessage(file: Omit<LedgerFile, 'entries'> & { length: number; columns: LedgerColumn[] }): { message: LedgerFileMessage; transfer: ArrayBuffer[] } {
  const { columns } = file;
  const transfer = columns.map((column) => (column.kind === 'shared' ? column.index.buffer : column.ends.buffer) as ArrayBuffer);
  return { message: { type: 'ledger-file', path: file.path, format: file.format, contentHash: file.contentHash, rows: file.length, columns }, transfer };
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
