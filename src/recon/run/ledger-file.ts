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
import { LineSplitter } from '../parsers/common';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CURRENCY_EXPONENTS, fromMinorUnits, isKnownCurrency, MoneyError, toMinorUnits } from '../../domain/money';
import { containsPan, redactPans } from '../../domain/pan';
import type { LedgerEntry } from '../types';
import { BadInputError, type BadInputKind } from './errors';
import { csvRecords, CsvSyntaxError } from './csv';

export const LEDGER_FIELDS = ['entryId', 'accountId', 'currency', 'amount', 'bookingDate', 'valueDate', 'reference', 'description'] as const;
type LedgerField = (typeof LEDGER_FIELDS)[number];

export interface LedgerSide {
  kind: 'file' | 'state';
  /** The ledger file path or the state directory, as given. */
  source: string;
  /** Whether a statement account is known to this ledger side. */
  knows(accountId: string): boolean;
  /** "is not in the ledger <file>" / "is not in reference data". */
  unknownAccountFault(accountId: string): string;
  /** The entries to reconcile against statements of `statementAccounts`, in a stable order. */
  entries(statementAccounts: ReadonlySet<string>): LedgerEntry[];
  /** SHA-256 of the ledger input in scope (part of the run id). */
  digest(statementAccounts: ReadonlySet<string>): string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SIGNED_DECIMAL = /^([+-])?(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const MAX_TEXT = 1000;

/** Dates already checked: a ledger holds few distinct dates among a million rows. */
const checkedDates = new Map<string, boolean>();

export function isIsoDate(text: string): boolean {
  let valid = checkedDates.get(text);
  if (valid === undefined) {
    valid = checkIsoDate(text);
    if (checkedDates.size < 100_000) checkedDates.set(text, valid);
  }
  return valid;
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
  const exponent = exponentOf(currency);
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

/** The currency's exponent (undefined: not ISO 4217), looked up once per currency. */
const exponents = new Map<string, number | undefined>();
function exponentOf(currency: string): number | undefined {
  if (exponents.has(currency)) return exponents.get(currency);
  const exponent = isKnownCurrency(currency) ? CURRENCY_EXPONENTS[currency] : undefined;
  if (exponents.size < 1000) exponents.set(currency, exponent);
  return exponent;
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

/** Accounts already checked for a card number: a ledger holds few accounts among a million rows. */
const checkedAccounts = new Map<string, boolean>();

function accountIsPan(accountId: string): boolean {
  let pan = checkedAccounts.get(accountId);
  if (pan === undefined) {
    pan = containsPan(accountId, 'identifier');
    if (checkedAccounts.size < 100_000) checkedAccounts.set(accountId, pan);
  }
  return pan;
}

/** A field's text (no closure per row: a million rows). */
function fieldText(values: Partial<Record<LedgerField, unknown>>, field: LedgerField, required: boolean): string {
  const value = values[field];
  if (value === undefined || value === null) {
    if (required) throw new RowFault(field, 'is missing');
    return '';
  }
  if (typeof value !== 'string') throw new RowFault(field, `must be a string, got ${typeof value === 'number' ? `the JSON number ${String(value)} (amounts are decimal strings)` : typeof value}`);
  if (required && value.trim() === '') throw new RowFault(field, 'is empty');
  if (value.length > MAX_TEXT) throw new RowFault(field, `is longer than ${MAX_TEXT} characters`);
  return value;
}

function validateRow(values: Partial<Record<LedgerField, unknown>>): LedgerEntry {
  const entryId = fieldText(values, 'entryId', true).trim();
  const accountId = fieldText(values, 'accountId', true).trim();
  // PCI-3: a card number as the account is refused, not masked: masked, every such account would look alike.
  if (accountIsPan(accountId)) throw new RowFault('accountId', 'is a card number (PCI-3); an account id or IBAN is expected');
  const currency = fieldText(values, 'currency', true).trim();
  if (exponentOf(currency) === undefined) throw new RowFault('currency', `"${currency}" is not a known ISO 4217 currency`);
  const rawAmount = fieldText(values, 'amount', true).trim();
  let amount: string;
  try {
    amount = canonicalAmount(rawAmount, currency);
  } catch (error) {
    const message = (error as Error).message;
    throw new RowFault('amount', message, /decimal places/.test(message) ? 'precision' : 'invalid-row');
  }
  const bookingDate = fieldText(values, 'bookingDate', true).trim();
  if (!isIsoDate(bookingDate)) throw new RowFault('bookingDate', `"${bookingDate}" is not a date YYYY-MM-DD`);
  const valueDate = fieldText(values, 'valueDate', true).trim();
  if (!isIsoDate(valueDate)) throw new RowFault('valueDate', `"${valueDate}" is not a date YYYY-MM-DD`);
  return { entryId, accountId, currency, amount, bookingDate, valueDate, reference: fieldText(values, 'reference', false).trim(), description: fieldText(values, 'description', false) };
}

/** PCI-3: a ledger entry's identifiers masked under identifier evidence, its description under free-text evidence. */
export function maskLedgerEntry(entry: LedgerEntry): LedgerEntry {
  const entryId = redactPans(entry.entryId, 'identifier');
  const accountId = redactPans(entry.accountId, 'identifier');
  const reference = redactPans(entry.reference, 'identifier');
  const description = redactPans(entry.description);
  // Nearly always nothing to mask: the entry itself, not a copy (a million rows).
  if (entryId === entry.entryId && accountId === entry.accountId && reference === entry.reference && description === entry.description) return entry;
  return { ...entry, entryId, accountId, reference, description };
}

export interface LedgerFile {
  path: string;
  format: 'csv' | 'ndjson';
  contentHash: string;
  entries: LedgerEntry[];
}

/** Bytes read at a time. */
const READ_CHUNK = 1 << 20;

/**
 * Reads and validates a ledger file (streamed; every row checked). The file is read in 1 MB
 * chunks and each chunk's lines are handled synchronously: a CSV line without a quote is split
 * at its commas; a line with quotes (and the lines a quoted cell spans) goes through the RFC 4180
 * reader (./csv.ts), so every quoting rule and fault is that reader's.
 */
export async function readLedgerFile(path: string): Promise<LedgerFile> {
  if (!existsSync(path)) throw new BadInputError(path, { file: path }, 'ledger file does not exist', 'malformed');
  if (statSync(path).isDirectory()) throw new BadInputError(path, { file: path }, 'ledger path is a directory, expected a CSV or NDJSON file', 'malformed');
  const hash = createHash('sha256');
  const entries: LedgerEntry[] = [];
  // A fault may quote a value (`"1.234" has 3 decimal places`): never one holding a card number (PCI-3).
  const fail = (line: number, field: string | undefined, fault: string, kind: BadInputKind = 'invalid-row'): never => {
    throw new BadInputError(path, { file: path, line }, redactPans(field ? `field "${field}" ${fault}` : fault), kind);
  };
  // Entry ids as read, per account (no key string per row): a repeat is refused naming the first line.
  const seen = new Map<string, Map<string, number>>();
  // Entry ids as kept (masked), per masked account: needed only once masking changed an id or account.
  let kept: Map<string, Set<string>> | undefined;
  const keep = (entry: LedgerEntry): void => {
    let ids = kept!.get(entry.accountId);
    if (!ids) kept!.set(entry.accountId, (ids = new Set()));
    ids.add(entry.entryId);
  };
  const accept = (entry: LedgerEntry, line: number): void => {
    let ids = seen.get(entry.accountId);
    if (!ids) seen.set(entry.accountId, (ids = new Map()));
    const first = ids.get(entry.entryId);
    if (first !== undefined) fail(line, 'entryId', `"${entry.entryId}" repeats the entry at line ${first} of account ${entry.accountId}`);
    ids.set(entry.entryId, line);
    // PCI-3: masked here; two ids masked alike stay two entries (the later one named by its line).
    let safe = maskLedgerEntry(entry);
    if (!kept && (safe.accountId !== entry.accountId || safe.entryId !== entry.entryId)) {
      // Until now every kept id was the id as read, unique per account by `seen`.
      kept = new Map();
      for (const earlier of entries) keep(earlier);
    }
    if (kept) {
      if (kept.get(safe.accountId)?.has(safe.entryId)) safe = { ...safe, entryId: `${safe.entryId}#line${line}` };
      keep(safe);
    }
    entries.push(safe);
  };
  const check = (values: Partial<Record<LedgerField, unknown>>, line: number): void => {
    try {
      accept(validateRow(values), line);
    } catch (error) {
      if (error instanceof RowFault) fail(line, error.field, error.fault, error.kind);
      throw error;
    }
  };

  let format: 'csv' | 'ndjson' | undefined;
  // CSV: the header's columns, and the lines of a record whose quoted cell is still open.
  let header: string[] | undefined;
  let columns: number[] = [];
  let quoted: { lines: string[]; start: number; quotes: number; length: number } | undefined;

  const csvRecord = (cells: string[], line: number): void => {
    if (!header) {
      header = cells.map((cell) => cell.trim());
      const missing = LEDGER_FIELDS.filter((field) => !header!.includes(field) && field !== 'reference' && field !== 'description');
      if (missing.length > 0) fail(line, undefined, `the CSV header lacks column(s) ${missing.join(', ')} (needs ${LEDGER_FIELDS.join(',')})`, 'malformed');
      columns = LEDGER_FIELDS.map((field) => header!.indexOf(field));
      return;
    }
    if (cells.length !== header.length)
      fail(
        line,
        undefined,
        `has ${cells.length} cells, the header has ${header.length}${cells.length < header.length ? ' (truncated row?)' : ''}`,
        cells.length < header.length ? 'truncated' : 'malformed',
      );
    const values: Partial<Record<LedgerField, string>> = {};
    for (let f = 0; f < LEDGER_FIELDS.length; f += 1) if (columns[f]! >= 0) values[LEDGER_FIELDS[f]!] = cells[columns[f]!];
    check(values, line);
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
  /** One physical line; a promise only when the line goes through the RFC 4180 reader. */
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
  const handle = async (lines: { line: string; lineNo: number }[]): Promise<void> => {
    for (const { line, lineNo } of lines) {
      if (format === undefined) {
        waiting.push({ line, lineNo });
        if (line.trim() === '') continue;
        format = line.trimStart().startsWith('{') ? 'ndjson' : 'csv';
        await handle(waiting.splice(0));
        continue;
      }
      if (format === 'ndjson') ndjsonLine(line, lineNo);
      else {
        const pending = csvLine(line, lineNo);
        if (pending) await pending;
      }
    }
  };

  // REC-IN-1: a ledger line is bounded like a CSV statement line, refused before it is built.
  const ready: { line: string; lineNo: number }[] = [];
  const splitter = new LineSplitter(
    (line, lineNo) => ready.push({ line: lineNo === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line, lineNo }),
    CSV_LIMITS.line,
    (_head, lineNo) => fail(lineNo, undefined, `line is longer than ${CSV_LIMITS.line} characters`, 'malformed'),
  );
  const decoder = new StringDecoder('utf8');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const read = readSync(fd, buffer, 0, READ_CHUNK, null);
      let refusal: unknown;
      try {
        if (read === 0) {
          splitter.push(decoder.end());
          splitter.end();
        } else {
          const chunk = buffer.subarray(0, read);
          hash.update(chunk);
          splitter.push(decoder.write(chunk));
        }
      } catch (error) {
        refusal = error;
      }
      // The lines before an over-long one are handled first, in order; then its refusal.
      await handle(ready.splice(0));
      if (refusal !== undefined) throw refusal;
      if (read === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  if (format === undefined) fail(1, undefined, 'the ledger file is empty (expected a CSV header or NDJSON objects)', 'malformed');
  if (quoted) await flushQuoted();
  return { path, format: format!, contentHash: hash.digest('hex'), entries };
}

/** A ledger file as the ledger side: it defines its own accounts. */
export async function ledgerFileSide(path: string): Promise<LedgerSide & { file: LedgerFile }> {
  const file = await readLedgerFile(path);
  const accounts = new Set(file.entries.map((entry) => entry.accountId));
  return {
    kind: 'file',
    source: path,
    file,
    knows: (accountId) => accounts.has(accountId),
    unknownAccountFault: (accountId) => `account ${accountId} is not in the ledger ${path}`,
    // In scope: the accounts the run's statements cover (other accounts wait for their own statements).
    entries: (statementAccounts) => file.entries.filter((entry) => statementAccounts.has(entry.accountId)),
    digest: (statementAccounts) => `${file.contentHash}:${[...statementAccounts].sort().join(',')}`,
  };
}
