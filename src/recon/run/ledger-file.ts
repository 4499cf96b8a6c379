/**
 * The ledger side of a reconciliation run, and the ledger file.
 *
 * A ledger file is CSV with a header, or NDJSON (detected from the first non-blank character),
 * with at least entryId, accountId, currency, amount, bookingDate, valueDate, reference,
 * description. Every row is validated; a bad row is a BadInputError naming the file, the line
 * and the field. Amounts are signed decimal strings (+ = money in), canonicalised to the
 * currency's exponent; more decimals than the currency allows is an error. The file defines its
 * own accounts (no reference-data lookup). The posting pipeline's state: ./ledger-state.ts.
 *
 * PCI-3: card numbers never get past the reader. Identifiers (entryId, accountId, reference) are
 * masked under identifier evidence (PCI-2: a Luhn-valid bank reference stays visible), the
 * description under free-text evidence (PCI-1); error messages quote nothing that holds one.
 * No native modules here: the Lambdas bundle this file.
 */
import { CSV_LIMITS } from '../parsers/limits';
import { wideEncoding, wideEncodingFault } from '../parsers/encoding';
import { createHash } from 'node:crypto';
import { isAscii } from 'node:buffer';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CURRENCY_EXPONENTS, fromMinorUnits, isKnownCurrency, MoneyError, toMinorUnits } from '../../domain/money';
import { containsPan, redactPans } from '../../domain/pan';
import type { LedgerEntry } from '../types';
import { LEDGER_FIELDS, LedgerColumnsBuilder, ledgerRowsOf, type LedgerColumn, type LedgerField, type LedgerRows } from '../ledger-rows';
import { BadInputError, type BadInputKind } from './errors';
import { csvRecords, CsvSyntaxError } from './csv';

export interface LedgerSide {
  kind: 'file' | 'state';
  /** The ledger file path or the state directory, as given. */
  source: string;
  /** Whether a statement account is known to this ledger side. */
  knows(accountId: string): boolean;
  /** "is not in the ledger <file>" / "is not in reference data". */
  unknownAccountFault(accountId: string): string;
  /** The entries to reconcile against statements of `statementAccounts`, in a stable order. */
  entries(statementAccounts: ReadonlySet<string>): LedgerRows;
  /** SHA-256 of the ledger input in scope (part of the run id). */
  digest(statementAccounts: ReadonlySet<string>): string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SIGNED_DECIMAL = /^([+-])?(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const MAX_TEXT = 1000;

/** Dates already checked, each kept as one string (a ledger holds few distinct dates among a million rows); null: not a date. */
const checkedDates = new Map<string, string | null>();

/** The date as one shared string, or null when `text` is not a date YYYY-MM-DD. */
function dateOf(text: string): string | null {
  let date = checkedDates.get(text);
  if (date === undefined) {
    date = checkIsoDate(text) ? text : null;
    if (checkedDates.size < 100_000) checkedDates.set(text, date);
  }
  return date;
}

export function isIsoDate(text: string): boolean {
  return dateOf(text) !== null;
}

function checkIsoDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A signed decimal string in `currency`, canonicalised to the currency's exponent ("+12.5" → "12.50"). */
export function canonicalAmount(text: string, currency: string): string {
  if (isCanonicalFor(text, currency)) return text;
  const match = SIGNED_DECIMAL.exec(text);
  if (!match) throw new MoneyError(`"${text}" is not a signed decimal amount (e.g. -12.30)`);
  const unsigned = match[3] === undefined ? match[2]! : `${match[2]}.${match[3]}`;
  const minor = toMinorUnits(unsigned, currency);
  return fromMinorUnits(match[1] === '-' ? -minor : minor, currency);
}

/**
 * Whether `text` is already the canonical form canonicalAmount gives (checked by character codes):
 * an optional minus, no leading zeros, exactly the currency's decimals, not a negative zero.
 */
function isCanonicalFor(text: string, currency: string): boolean {
  const exponent = currencyOf(currency)?.exponent;
  if (exponent === undefined) return false;
  const negative = text.charCodeAt(0) === 0x2d;
  let i = negative ? 1 : 0;
  const start = i;
  let nonZero = false;
  while (i < text.length && isDigit(text.charCodeAt(i))) {
    if (text.charCodeAt(i) !== 0x30) nonZero = true;
    i += 1;
  }
  const whole = i - start;
  if (whole === 0 || (whole > 1 && text.charCodeAt(start) === 0x30)) return false;
  if (exponent === 0) return i === text.length && (nonZero || !negative);
  if (text.charCodeAt(i) !== 0x2e || text.length - i - 1 !== exponent) return false;
  for (i += 1; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return false;
    if (code !== 0x30) nonZero = true;
  }
  return nonZero || !negative;
}

interface KnownCurrency {
  /** The code as one shared string. */
  code: string;
  exponent: number;
}

/** ISO 4217 currencies as met (null: not ISO 4217), looked up once per code. */
const currencies = new Map<string, KnownCurrency | null>();
function currencyOf(code: string): KnownCurrency | null {
  let known = currencies.get(code);
  if (known === undefined) {
    const exponent = isKnownCurrency(code) ? CURRENCY_EXPONENTS[code] : undefined;
    known = exponent === undefined ? null : { code, exponent };
    if (currencies.size < 1000) currencies.set(code, known);
  }
  return known;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

class RowFault extends Error {
  constructor(
    readonly field: string,
    readonly fault: string,
    readonly kind: BadInputKind = 'invalid-row',
  ) {
    super(fault);
  }
}

/** Accounts already checked for a card number, each kept as one string (a ledger holds few accounts among a million rows); null: a card number. */
const checkedAccounts = new Map<string, string | null>();

function accountOf(accountId: string): string | null {
  let account = checkedAccounts.get(accountId);
  if (account === undefined) {
    account = containsPan(accountId, 'identifier') ? null : accountId;
    if (checkedAccounts.size < 100_000) checkedAccounts.set(accountId, account);
  }
  return account;
}

/** A field's text (no closure per row: a million rows). */
function fieldText(value: unknown, field: LedgerField, required: boolean): string {
  if (value === undefined || value === null) {
    if (required) throw new RowFault(field, 'is missing');
    return '';
  }
  if (typeof value !== 'string') throw new RowFault(field, `must be a string, got ${typeof value === 'number' ? `the JSON number ${String(value)} (amounts are decimal strings)` : typeof value}`);
  if (required && value.trim() === '') throw new RowFault(field, 'is empty');
  if (value.length > MAX_TEXT) throw new RowFault(field, `is longer than ${MAX_TEXT} characters`);
  return value;
}

/** A required field's text, trimmed (fieldText's checks, in its order, trimming once). */
function requiredText(value: unknown, field: LedgerField): string {
  if (typeof value !== 'string') return fieldText(value, field, true).trim();
  const text = value.trim();
  if (text === '') throw new RowFault(field, 'is empty');
  if (value.length > MAX_TEXT) throw new RowFault(field, `is longer than ${MAX_TEXT} characters`);
  return text;
}

/**
 * One row's fields, in LEDGER_FIELDS order, as a ledger entry (or a RowFault). Every entry has
 * the same fields in the same order (one object shape), and its account, currency and dates are
 * shared strings: a million entries stay small.
 */
function validateRow(
  rawEntryId: unknown,
  rawAccountId: unknown,
  rawCurrency: unknown,
  rawAmountText: unknown,
  rawBookingDate: unknown,
  rawValueDate: unknown,
  rawReference: unknown,
  rawDescription: unknown,
): LedgerEntry {
  const entryId = requiredText(rawEntryId, 'entryId');
  // PCI-3: a card number as the account is refused, not masked: masked, every such account would look alike.
  const accountId = accountOf(requiredText(rawAccountId, 'accountId'));
  if (accountId === null) throw new RowFault('accountId', 'is a card number (PCI-3); an account id or IBAN is expected');
  const currencyText = requiredText(rawCurrency, 'currency');
  const currency = currencyOf(currencyText);
  if (currency === null) throw new RowFault('currency', `"${currencyText}" is not a known ISO 4217 currency`);
  const rawAmount = requiredText(rawAmountText, 'amount');
  let amount: string;
  try {
    amount = canonicalAmount(rawAmount, currency.code);
  } catch (error) {
    const message = (error as Error).message;
    throw new RowFault('amount', message, /decimal places/.test(message) ? 'precision' : 'invalid-row');
  }
  const bookingText = requiredText(rawBookingDate, 'bookingDate');
  const bookingDate = dateOf(bookingText);
  if (bookingDate === null) throw new RowFault('bookingDate', `"${bookingText}" is not a date YYYY-MM-DD`);
  const valueText = requiredText(rawValueDate, 'valueDate');
  const valueDate = valueText === bookingText ? bookingDate : dateOf(valueText);
  if (valueDate === null) throw new RowFault('valueDate', `"${valueText}" is not a date YYYY-MM-DD`);
  const reference = fieldText(rawReference, 'reference', false).trim();
  const description = fieldText(rawDescription, 'description', false);
  return { entryId, accountId, currency: currency.code, amount, bookingDate, valueDate, reference, description };
}

/** PCI-3: a ledger entry's identifiers masked under identifier evidence, its description under free-text evidence. */
export function maskLedgerEntry(entry: LedgerEntry): LedgerEntry {
  const entryId = redactPans(entry.entryId, 'identifier');
  const accountId = redactPans(entry.accountId, 'identifier');
  const reference = redactPans(entry.reference, 'identifier');
  const description = redactPans(entry.description);
  // Nearly always nothing to mask: the entry itself, not a copy (a million rows).
  if (entryId === entry.entryId && accountId === entry.accountId && reference === entry.reference && description === entry.description) return entry;
  return { entryId, accountId, currency: entry.currency, amount: entry.amount, bookingDate: entry.bookingDate, valueDate: entry.valueDate, reference, description };
}

export interface LedgerFile {
  path: string;
  format: 'csv' | 'ndjson';
  contentHash: string;
  entries: LedgerEntry[];
}

/** Bytes read at a time. */
const READ_CHUNK = 4 << 20;

/** The file's bytes, a chunk at a time (one buffer, reused: each chunk is consumed before the next read). */
function* fileChunks(path: string): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const read = readSync(fd, buffer, 0, READ_CHUNK, null);
      if (read === 0) return;
      yield buffer.subarray(0, read);
    }
  } finally {
    closeSync(fd);
  }
}

/** Cell `column` (-1: absent) of the row starting at `start` whose cells end at `cuts`. */
function cutCell(data: string, start: number, cuts: Int32Array, column: number): string | undefined {
  return column < 0 ? undefined : data.slice(column === 0 ? start : cuts[column - 1]! + 1, cuts[column]);
}

/** Slots of the cache of cell texts that repeat (accounts, currencies, dates, descriptions): a power of two. */
const SHARED_CELLS = 1 << 14;

/**
 * Cell `column` (-1: absent) like cutCell, but as the one string a cache slot holds for that text
 * when it does (no string built: a million rows repeat a few hundred accounts, currencies, dates).
 */
function sharedCell(data: string, start: number, cuts: Int32Array, column: number, cache: (string | undefined)[]): string | undefined {
  if (column < 0) return undefined;
  const from = column === 0 ? start : cuts[column - 1]! + 1;
  const to = cuts[column]!;
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i += 1) hash = Math.imul(hash ^ data.charCodeAt(i), 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & (SHARED_CELLS - 1);
  const cached = cache[slot];
  if (cached !== undefined && cached.length === to - from && data.startsWith(cached, from)) return cached;
  const text = data.slice(from, to);
  cache[slot] = text;
  return text;
}

/**
 * The cells of one CSV line holding quotes, by the RFC 4180 reader's rules (./csv.ts), when the
 * line is a whole record; undefined when a quoted cell stays open or the line breaks a rule (the
 * reader itself then takes the record, and names the fault).
 */
function quotedLineCells(text: string): string[] | undefined {
  const cells: string[] = [];
  let cell = '';
  let i = 0;
  let inQuotes = false;
  let quotedCell = false;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (inQuotes) {
      const close = text.indexOf('"', i);
      if (close < 0) return undefined;
      cell += text.slice(i, close);
      if (text.charCodeAt(close + 1) === 0x22) {
        cell += '"';
        i = close + 2;
        continue;
      }
      inQuotes = false;
      i = close + 1;
      if (i < text.length && text.charCodeAt(i) !== 0x2c) return undefined;
      continue;
    }
    if (code === 0x2c) {
      cells.push(cell);
      cell = '';
      quotedCell = false;
      i += 1;
      continue;
    }
    if (code === 0x22) {
      if (cell.length > 0 || quotedCell) return undefined;
      inQuotes = true;
      quotedCell = true;
      i += 1;
      continue;
    }
    let next = i + 1;
    while (next < text.length && text.charCodeAt(next) !== 0x2c && text.charCodeAt(next) !== 0x22) next += 1;
    cell += text.slice(i, next);
    i = next;
  }
  if (inQuotes) return undefined;
  cells.push(cell);
  return cells;
}

/**
 * Reads and validates a ledger file (streamed; every row checked): see readLedger.
 */
export async function readLedgerFile(path: string): Promise<LedgerFile> {
  return readLedger(path, fileChunks(ledgerFilePath(path)));
}

/** `path`, a file that exists (a missing file or a directory is bad input naming it). */
function ledgerFilePath(path: string): string {
  if (!existsSync(path)) throw new BadInputError(path, { file: path }, 'ledger file does not exist', 'malformed');
  if (statSync(path).isDirectory()) throw new BadInputError(path, { file: path }, 'ledger path is a directory, expected a CSV or NDJSON file', 'malformed');
  return path;
}

/**
 * Reads and validates a ledger (named `path` in errors) from its bytes as they arrive, in chunks
 * of any size (a file, an object's body stream); every row is checked. Lines are found in each
 * decoded chunk with indexOf and a CSV line's cells cut at its commas, straight out of the chunk
 * (no per-line array or object); a line with quotes is read by the RFC 4180 reader's rules, and a
 * quoted cell spanning lines (or a line breaking a quoting rule) goes through that reader
 * (./csv.ts), so every quoting rule and fault is that reader's.
 */
export async function readLedger(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<LedgerFile> {
  const entries: LedgerEntry[] = [];
  const sink: RowSink = {
    get length() {
      return entries.length;
    },
    push: (entry) => void entries.push(entry),
    entryId: (row) => entries[row]!.entryId,
    accountId: (row) => entries[row]!.accountId,
  };
  return { ...(await readLedgerInto(path, chunks, sink)), entries };
}

/**
 * Reads a ledger file as readLedgerFile does (the same checks, masking and faults) into columns as
 * it goes, with no object kept per entry (REC-PERF-1: a large ledger file on its helper thread):
 * the columns columnLedgerRows reads, in LEDGER_FIELDS order.
 */
export async function readLedgerFileColumns(path: string, options: { pieceChars?: number } = {}): Promise<Omit<LedgerFile, 'entries'> & { length: number; columns: LedgerColumn[] }> {
  const builder = new LedgerColumnsBuilder();
  const file = await readLedgerInto(path, fileChunks(ledgerFilePath(path)), builder);
  return { ...file, length: builder.length, columns: builder.finish(options.pieceChars) };
}

/** Where the reader puts the entries it accepts; it reads back an earlier row's id and account (repeated ids). */
interface RowSink {
  readonly length: number;
  push(entry: LedgerEntry): void;
  entryId(row: number): string;
  accountId(row: number): string;
}

async function readLedgerInto(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, sink: RowSink): Promise<Omit<LedgerFile, 'entries'>> {
  const hash = createHash('sha256');
  // A fault may quote a value (`"1.234" has 3 decimal places`): never one holding a card number (PCI-3).
  const fail = (line: number, field: string | undefined, fault: string, kind: BadInputKind = 'invalid-row'): never => {
    throw new BadInputError(path, { file: path, line }, redactPans(field ? `field "${field}" ${fault}` : fault), kind);
  };
  // A repeated entry id (per account, as read) is refused naming the first line. While ids arrive
  // in strictly increasing order (as ledger exports list them) none can repeat and nothing more
  // is kept; from the first id out of order on, every id goes into one map by id (an id met under
  // several accounts: by account and id).
  const rowLines: number[] = [];
  let lastId = '';
  let byId: Map<string, number> | undefined;
  let byAccountAndId: Map<string, number> | undefined;
  // Rows whose masking changed their id or account, as read.
  const readAs = new Map<number, { entryId: string; accountId: string }>();
  const readAccount = (row: number): string => readAs.get(row)?.accountId ?? sink.accountId(row);
  /** Remembers row `row`'s id; the row of an earlier entry with the same account and id, if any. */
  const remember = (entryId: string, accountId: string, row: number): number | undefined => {
    const first = byId!.get(entryId);
    if (first === undefined) {
      byId!.set(entryId, row);
      return undefined;
    }
    if (readAccount(first) === accountId) return first;
    byAccountAndId ??= new Map();
    const key = `${accountId}\u0000${entryId}`;
    const earlier = byAccountAndId.get(key);
    if (earlier !== undefined) return earlier;
    byAccountAndId.set(key, row);
    return undefined;
  };
  // Entry ids as kept (masked), per masked account: needed only once masking changed an id or account.
  let kept: Map<string, Set<string>> | undefined;
  const keep = (accountId: string, entryId: string): void => {
    let ids = kept!.get(accountId);
    if (!ids) kept!.set(accountId, (ids = new Set()));
    ids.add(entryId);
  };
  const accept = (entry: LedgerEntry, line: number): void => {
    const row = sink.length;
    if (byId === undefined) {
      if (entry.entryId > lastId) lastId = entry.entryId;
      else {
        byId = new Map();
        for (let earlier = 0; earlier < row; earlier += 1) remember(readAs.get(earlier)?.entryId ?? sink.entryId(earlier), readAccount(earlier), earlier);
      }
    }
    if (byId !== undefined) {
      const first = remember(entry.entryId, entry.accountId, row);
      if (first !== undefined) fail(line, 'entryId', `"${entry.entryId}" repeats the entry at line ${rowLines[first]} of account ${entry.accountId}`);
    }
    // PCI-3: masked here; two ids masked alike stay two entries (the later one named by its line).
    let safe = maskLedgerEntry(entry);
    if (!kept && (safe.accountId !== entry.accountId || safe.entryId !== entry.entryId)) {
      // Until now every kept id was the id as read, unique per account.
      kept = new Map();
      for (let earlier = 0; earlier < row; earlier += 1) keep(sink.accountId(earlier), sink.entryId(earlier));
    }
    if (kept) {
      if (kept.get(safe.accountId)?.has(safe.entryId)) safe = { ...safe, entryId: `${safe.entryId}#line${line}` };
      keep(safe.accountId, safe.entryId);
    }
    if (safe.accountId !== entry.accountId || safe.entryId !== entry.entryId) readAs.set(row, { entryId: entry.entryId, accountId: entry.accountId });
    rowLines.push(line);
    sink.push(safe);
  };
  const rowFault = (error: unknown, line: number): never => {
    if (error instanceof RowFault) fail(line, error.field, error.fault, error.kind);
    throw error;
  };
  const check = (values: Partial<Record<LedgerField, unknown>>, line: number): void => {
    try {
      accept(validateRow(values.entryId, values.accountId, values.currency, values.amount, values.bookingDate, values.valueDate, values.reference, values.description), line);
    } catch (error) {
      rowFault(error, line);
    }
  };

  let format: 'csv' | 'ndjson' | undefined;
  // CSV: the header's columns (-1: absent), and the lines of a record whose quoted cell is still open.
  let header: string[] | undefined;
  let columns: number[] = [];
  let quoted: { lines: string[]; start: number; quotes: number; length: number } | undefined;

  /** A CSV record's cells (a row: the header's count of cells) as an entry. */
  const csvRow = (cells: string[], line: number): void => {
    const c = columns;
    try {
      accept(validateRow(cells[c[0]!], cells[c[1]!], cells[c[2]!], cells[c[3]!], cells[c[4]!], cells[c[5]!], cells[c[6]!], cells[c[7]!]), line);
    } catch (error) {
      rowFault(error, line);
    }
  };
  const csvRecord = (cells: string[], line: number): void => {
    if (!header) {
      header = cells.map((cell) => cell.trim());
      const missing = LEDGER_FIELDS.filter((field) => !header!.includes(field) && field !== 'reference' && field !== 'description');
      if (missing.length > 0) fail(line, undefined, `the CSV header lacks column(s) ${missing.join(', ')} (needs ${LEDGER_FIELDS.join(',')})`, 'malformed');
      columns = LEDGER_FIELDS.map((field) => header!.indexOf(field));
      cuts = new Int32Array(header.length + 1);
      return;
    }
    if (cells.length !== header.length)
      fail(
        line,
        undefined,
        `has ${cells.length} cells, the header has ${header.length}${cells.length < header.length ? ' (truncated row?)' : ''}`,
        cells.length < header.length ? 'truncated' : 'malformed',
      );
    csvRow(cells, line);
  };
  /** The lines of one quoted record through the RFC 4180 reader (an empty first line keeps its BOM rule to the file's first line). */
  const flushQuoted = async (): Promise<void> => {
    const record = quoted!;
    quoted = undefined;
    const offset = record.start - 2;
    try {
      for await (const parsed of csvRecords(['', ...record.lines] as unknown as AsyncIterable<string>)) csvRecord(parsed.cells, parsed.line + offset);
    } catch (error) {
      if (error instanceof CsvSyntaxError) fail(error.line + offset, undefined, error.fault, /never closed/.test(error.fault) ? 'truncated' : 'malformed');
      throw error;
    }
  };
  const countQuotes = (text: string): number => {
    let n = 0;
    for (let at = text.indexOf('"'); at >= 0; at = text.indexOf('"', at + 1)) n += 1;
    return n;
  };
  /** One physical line (one CR already dropped); a promise only when the line goes through the RFC 4180 reader. */
  const csvLine = (raw: string, lineNo: number): Promise<void> | undefined => {
    // The RFC 4180 reader's rules: one trailing CR dropped, a BOM dropped from the file's first line.
    const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    const text = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
    if (quoted) {
      quoted.lines.push(line);
      quoted.quotes += countQuotes(text);
      quoted.length += text.length + 1;
      // Even quotes: the quoted cell closed. Over the record bound: the reader refuses it at this line.
      return quoted.quotes % 2 === 0 || quoted.length > CSV_LIMITS.record ? flushQuoted() : undefined;
    }
    if (text.length === 0) return undefined;
    const quotes = countQuotes(text);
    if (quotes === 0) {
      csvRecord(text.split(','), lineNo);
      return undefined;
    }
    // A line that is a whole record (its quoted cells close on it) needs no reader of its own.
    const cells = quotes % 2 === 0 ? quotedLineCells(text) : undefined;
    if (cells) {
      csvRecord(cells, lineNo);
      return undefined;
    }
    quoted = { lines: [line], start: lineNo, quotes, length: text.length };
    return quotes % 2 === 0 ? flushQuoted() : undefined;
  };
  const ndjsonLine = (line: string, lineNo: number): void => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      // Node's JSON.parse message quotes the start of the line: only the position is kept.
      const at = /position \d+/.exec((error as Error).message)?.[0];
      fail(
        lineNo,
        undefined,
        `is not a JSON object (invalid JSON${at ? ` at ${at}` : ''})${line.trimEnd().endsWith('}') ? '' : '; truncated line?'}`,
        line.trimEnd().endsWith('}') ? 'malformed' : 'truncated',
      );
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail(lineNo, undefined, 'is not a JSON object', 'malformed');
    check(parsed as Record<string, unknown>, lineNo);
  };
  // Lines before the first non-blank one wait until it tells the format.
  const waiting: { line: string; lineNo: number }[] = [];
  /** One physical line (one trailing CR dropped, and the file's BOM). */
  const handle = async (line: string, lineNo: number): Promise<void> => {
    if (format === undefined) {
      waiting.push({ line, lineNo });
      if (line.trim() === '') return;
      format = line.trimStart().startsWith('{') ? 'ndjson' : 'csv';
      for (const early of waiting.splice(0)) await handle(early.line, early.lineNo);
      return;
    }
    if (format === 'ndjson') ndjsonLine(line, lineNo);
    else {
      const pending = csvLine(line, lineNo);
      if (pending) await pending;
    }
  };

  // The fast path: a CSV row (after the header, outside a quoted record) without a quote or a
  // second CR, cut at its commas straight out of the decoded chunk.
  let cuts = new Int32Array(0);
  const shared: (string | undefined)[] = new Array<string | undefined>(SHARED_CELLS).fill(undefined);
  /** Whether the row data[start, end) was taken (false: it goes the general way, which names its fault). */
  const fastRow = (data: string, start: number, end: number, lineNo: number): boolean => {
    const last = header!.length - 1;
    let n = 0;
    let at = start;
    for (;;) {
      const comma = data.indexOf(',', at);
      if (comma < 0 || comma >= end) break;
      if (n === last) return false;
      cuts[n] = comma;
      n += 1;
      at = comma + 1;
    }
    if (n !== last) return false;
    cuts[last] = end;
    const c = columns;
    try {
      accept(
        validateRow(
          cutCell(data, start, cuts, c[0]!),
          sharedCell(data, start, cuts, c[1]!, shared),
          sharedCell(data, start, cuts, c[2]!, shared),
          cutCell(data, start, cuts, c[3]!),
          sharedCell(data, start, cuts, c[4]!, shared),
          sharedCell(data, start, cuts, c[5]!, shared),
          cutCell(data, start, cuts, c[6]!),
          sharedCell(data, start, cuts, c[7]!, shared),
        ),
        lineNo,
      );
    } catch (error) {
      rowFault(error, lineNo);
    }
    return true;
  };

  // REC-IN-1: a ledger line is bounded like a CSV statement line, refused before it is built.
  const tooLong = (lineNo: number): never => fail(lineNo, undefined, `line is longer than ${CSV_LIMITS.line} characters`, 'malformed');
  let carry = '';
  let lineNo = 0;
  /** The lines `text` completes, in order; the rest waits for the next chunk. */
  const lines = async (text: string): Promise<void> => {
    const data = carry.length > 0 ? carry + text : text;
    let start = 0;
    let quote = -1;
    for (let nl = data.indexOf('\n'); nl >= 0; nl = data.indexOf('\n', start)) {
      const end = nl > start && data.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      lineNo += 1;
      if (end - start > CSV_LIMITS.line) tooLong(lineNo);
      if (quote !== -2 && quote < start) {
        quote = data.indexOf('"', start);
        if (quote < 0) quote = -2;
      }
      const plain = format === 'csv' && header !== undefined && quoted === undefined && end > start && (quote === -2 || quote >= end) && data.charCodeAt(end - 1) !== 13;
      if (!plain || !fastRow(data, start, end, lineNo)) {
        const line = data.slice(start, end);
        await handle(lineNo === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line, lineNo);
      }
      start = nl + 1;
    }
    carry = start < data.length ? data.slice(start) : '';
    const pending = carry.length - (carry.charCodeAt(carry.length - 1) === 13 ? 1 : 0);
    if (pending > CSV_LIMITS.line) tooLong(lineNo + 1);
  };

  // Chunks decode as UTF-8; while every byte so far is ASCII (nothing held back by the decoder), a chunk of ASCII is copied as is.
  const decoder = new StringDecoder('utf8');
  let decoding = false;
  let first = true;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (first) {
      first = false;
      // A UTF-16/32 file is named as such, not read as a CSV whose header lacks every column.
      const wide = wideEncoding(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      if (wide) fail(1, undefined, wideEncodingFault(wide, 'ledger files are read as UTF-8: save or export it as UTF-8'), 'malformed');
    }
    hash.update(chunk);
    let text: string;
    if (!decoding && isAscii(chunk)) text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1');
    else {
      text = decoder.write(chunk as Buffer);
      // The decoder holds back an incomplete character only when the chunk ends inside one.
      decoding = chunk[chunk.length - 1]! >= 0x80;
    }
    await lines(text);
  }
  await lines(decoder.end());
  if (carry.length > 0) {
    const line = carry.charCodeAt(carry.length - 1) === 13 ? carry.slice(0, -1) : carry;
    carry = '';
    lineNo += 1;
    await handle(lineNo === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line, lineNo);
  }
  if (format === undefined) fail(1, undefined, 'the ledger file is empty (expected a CSV header or NDJSON objects)', 'malformed');
  if (quoted) await flushQuoted();
  return { path, format: format!, contentHash: hash.digest('hex') };
}

/** A ledger file as the ledger side: it defines its own accounts. */
export async function ledgerFileSide(path: string): Promise<LedgerSide> {
  return ledgerFileSideOf(path, await readLedgerFile(path));
}

/** A ledger file whose entries are rows (read on a helper thread, REC-PERF-1: ledger-file-transfer.ts). */
export type LedgerFileRows = Omit<LedgerFile, 'entries'> & { rows: LedgerRows };

/** A ledger file already read (here, or on a helper thread: REC-PERF-1) as the ledger side named `path`. */
export function ledgerFileSideOf(path: string, file: LedgerFile | LedgerFileRows): LedgerSide {
  const rows = 'rows' in file ? file.rows : ledgerRowsOf(file.entries);
  const accounts = new Set<string>();
  let last: string | undefined;
  for (let row = 0; row < rows.length; row += 1) {
    const accountId = rows.accountId(row);
    if (accountId !== last) accounts.add((last = accountId));
  }
  return {
    kind: 'file',
    source: path,
    knows: (accountId) => accounts.has(accountId),
    unknownAccountFault: (accountId) => `account ${accountId} is not in the ledger ${path}`,
    // In scope: the accounts the run's statements cover (other accounts wait for their own statements).
    entries: (statementAccounts) => rows.filter((all, row) => statementAccounts.has(all.accountId(row))),
    digest: (statementAccounts) => `${file.contentHash}:${[...statementAccounts].sort().join(',')}`,
  };
}
