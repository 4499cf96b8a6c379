/**
 * Shared machinery for the statement parsers: exact amounts, dates, positions, the sink that
 * parsers emit into, and line splitting (byte → text decoding is ./decode.ts).
 *
 * Every parser is push-based: it is fed decoded text chunk by chunk (`push`), then `end()`.
 * It emits each StatementLine as soon as it is complete and each statement's summary (with its
 * balance proof) when the statement ends, so memory stays flat whatever the file size.
 */
import { currencyExponent, fromMinorUnits, isKnownCurrency, MoneyError, toMinorUnits } from '../../domain/money';
import { redactPans } from '../../domain/pan';
import { StatementParseError, type BalanceProof, type SourcePosition, type StatementFormat, type StatementLine } from '../types';
import { AMOUNT_TEXT as AMOUNT_LIMIT, LINE_FIELDS as LINE_LIMITS } from './limits';

/** Read once: an imported binding may be a getter call on every use, and these are read per field. */
const AMOUNT_TEXT = AMOUNT_LIMIT;
const LINE_FIELDS = LINE_LIMITS;

/**
 * Runs the final flush of a text parser. A fault in the file's last record or field most likely
 * means the file was cut inside it, so the error says so.
 */
export function flushLast(flush: () => void, what: 'record' | 'field'): void {
  try {
    flush();
  } catch (error) {
    if (error instanceof StatementParseError) throw new StatementParseError(error.position, `${error.fault} (the last ${what} of the file: truncated file?)`);
    throw error;
  }
}

/**
 * Throws the reader's typed error. Faults name the field, the line and what is wrong, never the
 * field's content (PCI-3); as a last guard, anything card-number-like left in a fault or an
 * element path is masked here.
 */
export function fail(position: SourcePosition, fault: string): never {
  throw new StatementParseError(safePosition(position), maskText(fault));
}

function safePosition(position: SourcePosition): SourcePosition {
  if (!position.element) return position;
  const element = maskText(position.element);
  return element === position.element ? position : { ...position, element };
}

// eslint-disable-next-line no-control-regex -- finding binary data is the point
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/** A C0 control character (but tab) or DEL in a text line is binary data: refused, naming the line. */
export function checkControls(line: string, position: SourcePosition): void {
  const bad = CONTROL.exec(line);
  if (bad) fail(position, `control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} in the text (binary data in a statement file)`);
}

/** "field X is longer than N characters": the one wording of a length refusal (REC-IN-1). */
export function tooLong(position: SourcePosition, field: string, limit: number): never {
  fail(position, `${field} is longer than ${limit} characters`);
}

/** Refuses `text` when it is longer than `limit` (REC-IN-1); returns it otherwise. */
export function bounded(text: string, limit: number, position: SourcePosition, field: string): string {
  if (text.length > limit) tooLong(position, field, limit);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Card numbers (PCI-2, PCI-3): statement fields are masked where they are read.

/** Identifier fields (account ids, references, end-to-end ids): a card number needs card-scheme evidence (PCI-2). */
export function maskIdentifier(text: string): string {
  return redactPans(text, 'identifier');
}

/**
 * Free text (narratives, remittance information, names, bank-specific fields): REC-PAN-1's
 * narrative evidence (a Luhn-valid number in an issuer range or card grouping, or any Luhn-valid
 * spelling when a card word is near); bank references and account numbers in it are kept.
 */
export function maskText(text: string): string {
  return redactPans(text, 'narrative');
}

type IdentifierField = 'statementId' | 'accountId' | 'endToEndId' | 'bankReference' | 'customerReference' | 'typeCode' | 'status';
type TextField = 'remittanceInformation' | 'counterparty';

/**
 * A copy of `text` that holds nothing else alive (REC-PERF-1). V8 keeps a slice of a long string as a
 * view of the string it was cut from, and a concatenation as a pair: a line holding such a value would
 * keep the whole decoded chunk it was read from (64 KB) in memory for as long as the run holds the
 * line, so a run would hold its whole statement file twice over. Short values are copies already.
 * Joining two pieces of it is an exact copy into one new flat string, with no view object in front of
 * it (as a JSON round trip is, at a third of the cost; a one-piece join would hand back the view).
 */
export function own(text: string): string;
export function own(text: string | undefined): string | undefined;
export function own(text: string | undefined): string | undefined {
  return text === undefined || text.length < 13 ? text : [text.slice(0, 1), text.slice(1)].join('');
}

/** Values many lines share (accounts, statements, dates, codes): one owned copy each (REC-PERF-1). */
const shared = new Map<string, string>();
const SHARED_LIMIT = 200_000;

function intern(text: string): string {
  let value = shared.get(text);
  if (value === undefined) {
    if (shared.size >= SHARED_LIMIT) shared.clear();
    value = own(text);
    shared.set(value, value);
  }
  return value;
}

/**
 * Shared identifiers that masking leaves as they are (most lines repeat their statement's, type
 * code and status): masked once per distinct value. Only values without a card number are kept,
 * so the table never holds an unmasked one (PCI-2).
 */
const cleanIdentifiers = new Map<string, string>();
const CLEAN_IDENTIFIERS_LIMIT = 4096;

function sharedIdentifier(text: string): string {
  const known = cleanIdentifiers.get(text);
  if (known !== undefined) return known;
  const masked = maskIdentifier(text);
  const value = intern(masked);
  if (masked === text) {
    if (cleanIdentifiers.size >= CLEAN_IDENTIFIERS_LIMIT) cleanIdentifiers.clear();
    cleanIdentifiers.set(value, value);
  }
  return value;
}

function ownIdentifier(value: string | undefined, field: IdentifierField, limit: number, position: SourcePosition): string | undefined {
  if (value === undefined) return undefined;
  bounded(value, limit, position, field);
  return own(maskIdentifier(value));
}

/**
 * An identifier many lines share (statement, account, type code, status): masked once per distinct
 * value, and the field's last clean value (consecutive lines repeat it) handed out again before any
 * table is looked at (REC-PERF-1).
 */
class SharedIdentifier {
  private last: string | undefined = undefined;
  constructor(
    private readonly field: IdentifierField,
    private readonly limit: number,
  ) {}

  of(value: string | undefined, position: SourcePosition): string | undefined {
    if (value === undefined) return undefined;
    const last = this.last;
    if (value === last) return last;
    bounded(value, this.limit, position, this.field);
    const shared = sharedIdentifier(value);
    if (shared === value) this.last = shared;
    return shared;
  }
}

/**
 * A free-text field: bounded, masked as text and owned, and the field's last clean value (a
 * counterparty's name, a purpose: consecutive lines often repeat them) handed out again for an equal
 * value instead of being masked and copied once more (REC-PERF-1). Only values that masking leaves
 * as they are are kept (PCI-2), as their owned copies (never a view of a decoded chunk).
 */
class OwnText {
  private last: string | undefined = undefined;
  constructor(
    private readonly field: TextField,
    private readonly limit: number,
  ) {}

  of(value: string | undefined, position: SourcePosition): string | undefined {
    if (value === undefined) return undefined;
    const last = this.last;
    if (value === last) return last;
    bounded(value, this.limit, position, this.field);
    const masked = maskText(value);
    const owned = own(masked);
    if (masked === value) this.last = owned;
    return owned;
  }
}

const statementIds = new SharedIdentifier('statementId', LINE_FIELDS.statementId!);
const accountIds = new SharedIdentifier('accountId', LINE_FIELDS.accountId!);
const typeCodes = new SharedIdentifier('typeCode', LINE_FIELDS.typeCode!);
const statuses = new SharedIdentifier('status', LINE_FIELDS.status!);
const remittances = new OwnText('remittanceInformation', LINE_FIELDS.remittanceInformation!);
const counterparties = new OwnText('counterparty', LINE_FIELDS.counterparty!);
const END_TO_END_ID = LINE_FIELDS.endToEndId!;
const BANK_REFERENCE = LINE_FIELDS.bankReference!;
const CUSTOMER_REFERENCE = LINE_FIELDS.customerReference!;

/** The last currency and dates a line gave, as intern gave them back (lines repeat their statement's; statements list their lines by date). */
const last = { currency: 'EUR', bookingDate: '', valueDate: '' };

/**
 * The last step before a StatementLine leaves a reader: every text field is bounded
 * (LINE_FIELDS) and masked, identifiers as identifiers and free text as text. The line leaves as
 * a new object of one shape (every field present, in one order; absent ones undefined) holding only
 * its own strings (own), so a run's million lines are compact and the matcher's reads of them stay
 * monomorphic (REC-PERF-1). Fields are checked in the order they are listed (the first fault is the one reported).
 */
export function finishLine(line: StatementLine): StatementLine {
  const position = line.position;
  const rawValueDate = line.valueDate;
  const valueDate = rawValueDate === null ? null : rawValueDate === last.valueDate ? last.valueDate : (last.valueDate = intern(rawValueDate));
  const rawBookingDate = line.bookingDate;
  const bookingDate =
    rawBookingDate === null ? null : rawBookingDate === rawValueDate ? valueDate : rawBookingDate === last.bookingDate ? last.bookingDate : (last.bookingDate = intern(rawBookingDate));
  return {
    statementLineId: line.statementLineId,
    format: line.format,
    statementId: statementIds.of(line.statementId, position)!,
    accountId: accountIds.of(line.accountId, position)!,
    currency: line.currency === last.currency ? last.currency : (last.currency = intern(line.currency)),
    amount: line.amount,
    bookingDate,
    valueDate,
    endToEndId: ownIdentifier(line.endToEndId, 'endToEndId', END_TO_END_ID, position),
    bankReference: ownIdentifier(line.bankReference, 'bankReference', BANK_REFERENCE, position),
    customerReference: ownIdentifier(line.customerReference, 'customerReference', CUSTOMER_REFERENCE, position),
    remittanceInformation: remittances.of(line.remittanceInformation, position),
    counterparty: counterparties.of(line.counterparty, position),
    typeCode: typeCodes.of(line.typeCode, position),
    status: statuses.of(line.status, position),
    batchItemCount: line.batchItemCount,
    batchReference: own(line.batchReference),
    batchItem: line.batchItem,
    batchFault: line.batchFault,
    otherFields: line.otherFields?.map((field) => ({ tag: field.tag, text: own(field.text), ...(field.line === undefined ? {} : { line: field.line }) })),
    position: position.element === undefined ? { file: intern(position.file), line: position.line } : { ...position, element: own(position.element) },
  };
}

/** A statement summary's identifiers, masked like its lines' (so they still agree). */
export function finishSummary(summary: StatementSummary): StatementSummary {
  summary.statementId = maskIdentifier(summary.statementId);
  summary.accountId = maskIdentifier(summary.accountId);
  if (summary.balance) {
    summary.balance.statementId = summary.statementId;
    summary.balance.accountId = summary.accountId;
  }
  return summary;
}

/** A statement's summary, emitted once the statement is complete. */
export interface StatementSummary {
  /** 0-based position of the statement in the file (the middle part of statementLineId). */
  index: number;
  statementId: string;
  accountId: string;
  currency: string;
  lineCount: number;
  balance?: BalanceProof;
}

/** Where parsers put their output. */
export interface StatementSink {
  line(statementIndex: number, line: StatementLine): void;
  statement(summary: StatementSummary): void;
}

export interface ParseContext {
  /** The file name used in positions and errors. */
  file: string;
  /** First 12 hex characters of the SHA-256 of the file's bytes. */
  hashPrefix: string;
  /** The file-level format (a parser may refine it per statement, e.g. mt940 vs mt942). */
  format: StatementFormat;
  /**
   * 'lexical' (default): an amount written with more decimals than its currency has is a
   * precision error even when the extra digits are zeros ("8.850" EUR), as SWIFT rule T43 and
   * money.ts require. 'value': extra trailing zeros are accepted (xs:decimal value semantics).
   */
  trailingZeros?: 'lexical' | 'value';
}

/** A push-based parser over decoded text. */
export interface TextParser {
  push(text: string): void;
  /** Signals end of input: throws StatementParseError when the input is incomplete. */
  end(): void;
  /** The 1-based line the parser is at (for errors that are not the parser's own). */
  line?(): number;
}

/** The last statement's id prefix ("<hash>:<statement index>:"), built once per statement. */
const idPrefix = { hashPrefix: '', statementIndex: -1, prefix: '' };

export function statementLineId(ctx: ParseContext, statementIndex: number, lineIndex: number): string {
  if (statementIndex !== idPrefix.statementIndex || ctx.hashPrefix !== idPrefix.hashPrefix) {
    idPrefix.hashPrefix = ctx.hashPrefix;
    idPrefix.statementIndex = statementIndex;
    idPrefix.prefix = [ctx.hashPrefix, statementIndex, ''].join(':');
  }
  // A run's reader copies the id into its id column's joined text at once (REC-PERF-1: statement-rows.ts), so
  // a concatenation is enough; it is never kept as a chain.
  return idPrefix.prefix + lineIndex;
}

// ---------------------------------------------------------------------------------------------
// Money

const CURRENCY_CODE = /^[A-Z]{3}$/;

/** Validates an ISO 4217 code that money.ts knows; the error names the position. */
export function checkCurrency(code: string, position: SourcePosition, what = 'currency'): string {
  if (!CURRENCY_CODE.test(code)) fail(position, `${what} is not an ISO 4217 currency code (three capital letters)`);
  // Three capital letters: safe to name.
  if (!isKnownCurrency(code)) fail(position, `${what} ${code} is not supported (no ISO 4217 minor-unit exponent known)`);
  return code;
}

const PLAIN_DECIMAL = /^([+-])?([0-9]+)(?:\.([0-9]*))?$/;

/**
 * Parses an unsigned-or-signed plain decimal ("123", "123.4", "-0.50") into minor units.
 * `trailingZeros: 'value'` accepts extra fractional zeros beyond the currency's exponent
 * ("8.850" EUR is the value 8.85: the ISO 20022 amount type is xs:decimal, whose fractionDigits
 * facet constrains the value, not the lexical form); with 'lexical' (SWIFT rule T43, money.ts)
 * any digit beyond the exponent is an error. A non-zero digit beyond it is always an error.
 */
export function decimalToMinor(text: string, currency: string, position: SourcePosition, trailingZeros: 'value' | 'lexical' = 'lexical', what = 'amount'): bigint {
  bounded(text, AMOUNT_TEXT, position, what);
  // Fast path: a canonical decimal that money.ts accepts as is (the common case at scale).
  try {
    return toMinorUnits(text, currency);
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
  }
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) fail(position, `${what} is not a decimal number`);
  const sign = match[1] === '-' ? '-' : '';
  const whole = match[2]!.replace(/^0+(?=[0-9])/, '');
  let fraction = match[3] ?? '';
  const exponent = currencyExponent(currency);
  if (trailingZeros === 'value' && fraction.length > exponent && /^0*$/.test(fraction.slice(exponent))) {
    fraction = fraction.slice(0, exponent);
  }
  try {
    return toMinorUnits(`${sign}${whole}${fraction ? `.${fraction}` : ''}`, currency);
  } catch (error) {
    if (error instanceof MoneyError) {
      fail(position, `${what} has ${fraction.length} decimal places but ${currency} allows ${exponent}`);
    }
    throw error;
  }
}

export function formatMinor(minor: bigint, currency: string): string {
  return fromMinorUnits(minor, currency);
}

/** opening + movements = closing, as a BalanceProof. */
export function balanceProof(statementId: string, accountId: string, currency: string, opening: bigint, movements: bigint, closing: bigint, fault?: string): BalanceProof {
  const difference = closing - (opening + movements);
  const proof: BalanceProof = {
    statementId,
    accountId,
    currency,
    opening: fromMinorUnits(opening, currency),
    movements: fromMinorUnits(movements, currency),
    closing: fromMinorUnits(closing, currency),
    difference: fromMinorUnits(difference, currency),
    ok: difference === 0n && fault === undefined,
  };
  if (fault !== undefined) proof.fault = fault;
  return proof;
}

// ---------------------------------------------------------------------------------------------
// Dates

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function validDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const limit = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  return day <= limit;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

export function isoDate(year: number, month: number, day: number, position: SourcePosition, what = 'date'): string {
  // Numbers the reader parsed from a date field (at most 4 digits each): safe to name.
  if (!validDate(year, month, day)) fail(position, `${what} ${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} is not a calendar date`);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return Number.NaN;
    value = value * 10 + code;
  }
  return value;
}

export { digitsAt };

/** Two-digit years (SWIFT / BAI YYMMDD): 00-79 → 20YY, 80-99 → 19YY. */
export function centuryYear(yy: number): number {
  return yy < 80 ? 2000 + yy : 1900 + yy;
}

/** YYMMDD → YYYY-MM-DD. */
export function yymmdd(text: string, position: SourcePosition, what = 'date'): string {
  if (text.length !== 6) fail(position, `${what} is not YYMMDD`);
  const yy = digitsAt(text, 0, 2);
  const mm = digitsAt(text, 2, 2);
  const dd = digitsAt(text, 4, 2);
  if (Number.isNaN(yy) || Number.isNaN(mm) || Number.isNaN(dd)) fail(position, `${what} is not YYMMDD`);
  return isoDate(centuryYear(yy), mm, dd, position, what);
}

/** An ISO 8601 date or date-time ("2014-12-31", "2014-12-31T13:15:00+01:00") → its calendar date as written. */
export function isoDatePart(text: string, position: SourcePosition, what = 'date'): string {
  const value = text.trim();
  if (value.length < 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || (value.length > 10 && value[10] !== 'T' && value[10] !== 'Z' && value[10] !== '+' && value[10] !== '-')) {
    fail(position, `${what} is not an ISO 8601 date`);
  }
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  if (Number.isNaN(year) || Number.isNaN(month) || Number.isNaN(day)) fail(position, `${what} is not an ISO 8601 date`);
  return isoDate(year, month, day, position, what);
}

// ---------------------------------------------------------------------------------------------
// Line splitting

/**
 * Splits pushed text into lines (LF or CRLF, a lone final line without newline included at end()),
 * calling `onLine(line, lineNumber)` with 1-based physical line numbers.
 *
 * A line longer than `maxLine` characters (REC-IN-1) is refused as soon as that many characters
 * have arrived, before the rest of it is read: `onTooLong` gets the line's first characters (to
 * name the field it starts) and its number, and must throw.
 */
export class LineSplitter {
  private carry = '';
  lineNumber = 0;

  constructor(
    private readonly onLine: (line: string, lineNumber: number) => void,
    private readonly maxLine = Number.POSITIVE_INFINITY,
    private readonly onTooLong: (head: string, lineNumber: number) => never = (_head, lineNumber) => {
      throw new StatementParseError({ file: '', line: lineNumber }, `line is longer than ${maxLine} characters`);
    },
  ) {}

  push(text: string): void {
    let start = 0;
    let nl = text.indexOf('\n');
    if (this.carry.length > 0) {
      // The line the last chunk left open ends in this one: joined alone, so the chunk itself is
      // never copied into one string with it (REC-PERF-1).
      const carry = this.carry;
      if (nl === -1) {
        this.carry = carry + text;
        this.checkCarry();
        return;
      }
      this.carry = '';
      let line = nl > 0 ? carry + text.slice(0, nl) : carry;
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      this.lineNumber++;
      if (line.length > this.maxLine) this.onTooLong((carry + text).slice(0, 16), this.lineNumber);
      this.onLine(line, this.lineNumber);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    while (nl !== -1) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.lineNumber++;
      if (end - start > this.maxLine) this.onTooLong(text.slice(start, start + 16), this.lineNumber);
      this.onLine(text.slice(start, end), this.lineNumber);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.carry = start < text.length ? text.slice(start) : '';
    this.checkCarry();
  }

  /** REC-IN-1: the open line, refused as soon as it passes the bound (a final CR may still be a CRLF's). */
  private checkCarry(): void {
    const pending = this.carry.length - (this.carry.charCodeAt(this.carry.length - 1) === 13 ? 1 : 0);
    if (pending > this.maxLine) this.onTooLong(this.carry.slice(0, 16), this.lineNumber + 1);
  }

  end(): void {
    if (this.carry.length > 0) {
      let line = this.carry;
      this.carry = '';
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      this.lineNumber++;
      this.onLine(line, this.lineNumber);
    }
  }
}
