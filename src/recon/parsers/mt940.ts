/**
 * SWIFT MT940 (customer statement) and MT942 (interim transaction report).
 *
 * Accepts files with or without SWIFT block framing ({1:…}{2:…}{3:…}{4: … -}{5:…}), several
 * messages per file, CRLF / LF / no final newline, SOH/ETX framing bytes around messages (some
 * banks' file exports), blank lines between messages, multi-line fields (continuation lines).
 *
 * Field sequence (checked; an out-of-sequence field is an error naming the line):
 *   MT940: :20: [:21:] :25: :28C: :60F:|:60M: {:61: [:86:]} :62F:|:62M: [:64:] {:65:} [:86:]
 *   MT942: :20: [:21:] :25: :28C: :34F: [:34F:] :13D: {:61: [:86:]} [:90D:] [:90C:] [:86:]
 * (the pre-1997 :28: statement number is accepted for :28C:).
 *
 * :61: grammar: value date YYMMDD, optional entry date MMDD (its year is the one that puts it
 * nearest the value date, so a 31 Dec value date with entry date 0102 books on 2 Jan of the
 * next year), debit/credit mark D | C | RD | RC (RD, reversal of a debit, is a credit; RC,
 * reversal of a credit, is a debit), optional funds code letter (3rd letter of the currency,
 * e.g. "CR" = credit with funds code R), amount with decimal comma (at most the currency's
 * decimals: SWIFT rule T43), transaction type N/F/S + 3 characters, customer reference up to
 * "//", bank reference after "//", supplementary details on the next line.
 *
 * :86: in the German structured layout (GVC + "?NN" subfields, DFÜ-Abkommen / DK SEPA keywords
 * EREF+ KREF+ SVWZ+ …) is decomposed: EREF → endToEndId, KREF → customerReference, SVWZ (else the
 * whole purpose ?20-?29, ?60-?63) → remittanceInformation, ?32+?33 → counterparty. Any other :86:
 * is kept whole (its lines joined as written) as remittanceInformation.
 *
 * Balance proof (MT940): opening (:60F:/:60M:) + sum of :61: = closing (:62F:/:62M:). MT942 has
 * no balances; its :90D:/:90C: counts and sums are checked against the :61: entries instead.
 *
 * Real banks' layouts accepted (REC-MT940-1 … 8):
 *   1. ABN AMRO: "ABNANL2A" / "940" / "ABNANL2A" lines before every message, skipped (outside a field only).
 *   2. ING: "0000 01INGBNL2AXXXX00001…" header lines (and "940 00") before the first message, skipped;
 *      its "-XXX" message end is a "-" terminator.
 *   3. Rabobank: a ":940:" line at the start, skipped.
 *   4. Older Rabobank: one :86: per line of text, several after one :61:, joined in order (a space between).
 *   5. Citi, ASN Bank: blanks where the optional :61: entry date goes (value date only).
 *   6. German savings banks: "30 February" (and 29 February of a common year) as a :61: value or entry
 *      date is the last day of February; the date as written is kept (valueDateAsWritten,
 *      entryDateAsWritten). Any other impossible date is still an error naming the line.
 *   7. A final MT940 message may end without "-" when it has its :62F: (not after a :62M:).
 *   8. Bank-specific fields ":AA:" (e.g. :NS:) are kept as written (masked) in otherFields of the
 *      entry they follow, else of the statement; they take no part in the field sequence. An
 *      unknown numeric tag is still an error.
 *
 * Bounds (REC-IN-1): a physical line is at most MT940_LINE characters and is refused as soon as
 * it passes that, a field's content at most MT940_FIELDS[tag] (checked after the field's sequence,
 * so a misplaced field is reported as such), the :61: subfields and every amount (15d) by
 * MT940_SUBFIELDS. Errors name the field and the line, never its content; references and account
 * identifications are masked as identifiers, :86: and supplementary details as free text (PCI-2, PCI-3).
 *
 * Speed (REC-PERF-1): the streaming path reads the common entry (a :61: and a one-line :86:) straight
 * into its statement line, without regular expressions or intermediate objects, and hands anything
 * unusual to the general readers, which decide the result or the error. A differential property test
 * (test/recon/parsers/mt940-reference.test.ts) holds it to the parser it replaced, kept under test/.
 */
import { currencyExponent } from '../../domain/money';
import type { SourcePosition, StatementLine } from '../types';
import {
  balanceProof,
  checkCurrency,
  decimalToMinor,
  digitsAt,
  fail,
  finishLine,
  finishSummary,
  flushLast,
  formatMinor,
  isoDate,
  LineSplitter,
  maskIdentifier,
  maskText,
  statementLineId,
  tooLong,
  validDate,
  yymmdd,
  type ParseContext,
  type StatementSink,
  type TextParser,
} from './common';
import { MT940_FIELD_DEFAULT, MT940_FIELDS, MT940_LINE, MT940_SUBFIELDS } from './limits';

export type DebitCreditMark = 'C' | 'D' | 'RC' | 'RD';

export interface Mt940Balance {
  mark: 'C' | 'D';
  /** YYYY-MM-DD */
  date: string;
  currency: string;
  /** Unsigned decimal as written, normalised ("380115," → "380115", "001,12" → "1.12"). */
  amount: string;
}

export interface Mt940StatementLine {
  valueDate: string;
  entryDate?: string;
  mark: DebitCreditMark;
  fundsCode?: string;
  /** Unsigned decimal, normalised. */
  amount: string;
  /** e.g. "NTRF" */
  transactionType: string;
  customerReference: string;
  bankReference?: string;
  supplementaryDetails?: string;
  /** A date as written when it is not a calendar date but a bank's booking convention (30 February → last day of February). */
  valueDateAsWritten?: string;
  entryDateAsWritten?: string;
}

/** A bank-specific field the SWIFT grammar does not define (e.g. :NS:), kept as written (masked as text). */
export interface Mt940OtherField {
  tag: string;
  /** 1-based line of the field. */
  line: number;
  text: string;
}

export interface Mt940StructuredDetails {
  /** Geschäftsvorfallcode (3 digits). */
  transactionCode: string;
  postingText?: string;
  primaNota?: string;
  /** ?20-?29 and ?60-?63 joined as sent. */
  purpose?: string;
  counterpartyBic?: string;
  counterpartyAccount?: string;
  counterpartyName?: string;
  textKeyAddition?: string;
  /** SEPA keyword segments of the purpose (EREF, KREF, MREF, CRED, SVWZ, …). */
  sepa: Record<string, string>;
}

export interface Mt940Details {
  /** The field's lines joined as written (line breaks are SWIFT framing, not content). */
  text: string;
  lines: string[];
  structured?: Mt940StructuredDetails;
}

export interface Mt940Transaction extends Mt940StatementLine {
  /** 1-based line of the :61: field. */
  line: number;
  /** Signed, with the statement currency's precision. */
  signedAmount: string;
  details?: Mt940Details;
  /** Bank-specific fields between this :61: and the next entry (REC-MT940-8). */
  otherFields?: Mt940OtherField[];
}

export interface Mt940Message {
  kind: 'mt940' | 'mt942';
  /** 1-based line of :20:. */
  line: number;
  transactionReference: string;
  relatedReference?: string;
  accountIdentification: string;
  statementNumber: string;
  sequenceNumber?: string;
  currency: string;
  openingBalance?: Mt940Balance & { intermediate: boolean };
  closingBalance?: Mt940Balance & { intermediate: boolean };
  availableBalance?: Mt940Balance;
  forwardAvailableBalances: Mt940Balance[];
  floorLimits: { mark?: 'C' | 'D'; currency: string; amount: string }[];
  /** :13D: as ISO 8601 date-time with offset. */
  dateTime?: string;
  sumDebits?: { count: number; currency: string; amount: string };
  sumCredits?: { count: number; currency: string; amount: string };
  /** Statement-level :86: (after the closing balance / sums). */
  information?: string;
  /** Ended with a "-" (or "-}") terminator. */
  terminated: boolean;
  /** Bank-specific fields outside any entry (REC-MT940-8). */
  otherFields?: Mt940OtherField[];
  /** Filled only by parseMt940Text (the streaming parser does not keep them). */
  transactions: Mt940Transaction[];
}

// ---------------------------------------------------------------------------------------------
// Field-level parsers (exported for tests and tools)

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}

function isAlnum(code: number): boolean {
  return isUpper(code) || isDigit(code);
}

/** SWIFT 15d amount ("380115,12", "380115,", "0,12"; a missing comma is tolerated) → normalised decimal. */
export function parseSwiftAmount(text: string, position: SourcePosition, what = 'amount'): string {
  if (text.length > MT940_SUBFIELDS.amount) tooLong(position, what, MT940_SUBFIELDS.amount);
  const comma = text.indexOf(',');
  const whole = comma === -1 ? text : text.slice(0, comma);
  const fraction = comma === -1 ? '' : text.slice(comma + 1);
  if (whole.length === 0 || !/^[0-9]+$/.test(whole) || !/^[0-9]*$/.test(fraction)) {
    fail(position, `${what} is not a SWIFT amount (digits with a decimal comma)`);
  }
  const normalisedWhole = whole.replace(/^0+(?=[0-9])/, '');
  return fraction.length > 0 ? `${normalisedWhole}.${fraction}` : normalisedWhole;
}

/** :60a: / :62a: / :64: / :65: — D/C mark, YYMMDD, currency, amount. `field` names it in errors. */
export function parseMt940Balance(value: string, position: SourcePosition, field = 'balance'): Mt940Balance {
  const text = value.trim();
  const mark = text[0];
  if (mark !== 'C' && mark !== 'D') fail(position, `${field} must start with C or D`);
  const date = yymmdd(text.slice(1, 7), position, `${field} date`);
  const currency = text.slice(7, 10);
  if (!/^[A-Z]{3}$/.test(currency)) fail(position, `${field} has no currency code`);
  const amount = parseSwiftAmount(text.slice(10), position, `${field} amount`);
  return { mark, date, currency, amount };
}

/** :28C: "5n[/5n]" statement number and sequence number. */
export function parseMt940StatementNumber(field: string, position: SourcePosition): { statementNumber: string; sequenceNumber?: string } {
  const match = /^([0-9]{1,5})(?:\/([0-9]{1,5}))?$/.exec(field.trim());
  if (!match) fail(position, ':28C: statement number is not 5n[/5n]');
  return match[2] !== undefined ? { statementNumber: match[1]!, sequenceNumber: match[2] } : { statementNumber: match[1]! };
}

/**
 * German savings banks book interest and fees on "30 February" (29 February in a common year
 * too): such a day is read as the last day of February of its year (REC-MT940-6). Any other day that is
 * not a calendar date is still refused.
 */
function februaryEnd(year: number, mm: number, dd: number): number | undefined {
  if (mm !== 2 || (dd !== 29 && dd !== 30) || validDate(year, mm, dd)) return undefined;
  return validDate(year, 2, 29) ? 29 : 28;
}

/** :61: value date YYMMDD, with the 30 February convention (REC-MT940-6). */
function valueDateOf(text: string, position: SourcePosition): { date: string; asWritten?: string } {
  const mm = digitsAt(text, 2, 2);
  const dd = digitsAt(text, 4, 2);
  if (mm === 2 && (dd === 29 || dd === 30) && !Number.isNaN(digitsAt(text, 0, 2))) {
    const asWritten = yymmdd(`${text.slice(0, 4)}01`, position, ':61: value date').slice(0, 4);
    const year = Number(asWritten);
    const end = februaryEnd(year, 2, dd);
    if (end !== undefined) return { date: isoDate(year, 2, end, position, ':61: value date'), asWritten: text };
  }
  return { date: yymmdd(text, position, ':61: value date') };
}

/** Entry date MMDD: the year that puts it nearest to the value date. */
function entryDateNear(valueDate: string, mm: number, dd: number, position: SourcePosition): string {
  const year = digitsAt(valueDate, 0, 4);
  const valueMonth = digitsAt(valueDate, 5, 2);
  const valueDay = digitsAt(valueDate, 8, 2);
  // The common case: booked on the value date.
  if (mm === valueMonth && dd === valueDay) return valueDate;
  if (mm === 2 && (dd === 29 || dd === 30) && !validDate(year, 2, dd)) {
    // REC-MT940-6: "30 February" — the February nearest the value date, on its last day.
    const y = valueMonth >= 9 ? year + 1 : year;
    const end = februaryEnd(y, mm, dd);
    if (end !== undefined) return isoDate(y, 2, end, position, 'entry date');
  }
  // Within five months of the value date's month, the same year is always the nearest.
  if (Math.abs(mm - valueMonth) <= 5) return isoDate(year, mm, dd, position, 'entry date');
  const value = Date.UTC(year, valueMonth - 1, valueDay);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const y of [year - 1, year, year + 1]) {
    if (!validDate(y, mm, dd)) continue;
    const distance = Math.abs(Date.UTC(y, mm - 1, dd) - value);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = isoDate(y, mm, dd, position);
    }
  }
  if (best === undefined) fail(position, `entry date ${String(mm).padStart(2, '0')}${String(dd).padStart(2, '0')} is not a calendar date`);
  return best;
}

/** :61: value dates and entry dates already read, by their digits (YYMMDD; YYMMDD * 10000 + MMDD). */
const VALUE_DATES = new Map<number, string>();
const ENTRY_DATES = new Map<number, string>();
const DATES_LIMIT = 4096;
/** The last :61: transaction type read (statements repeat a few): reused instead of copied. */
let lastType = 'NTRF';

function remember(table: Map<number, string>, key: number, date: string): void {
  if (table.size >= DATES_LIMIT) table.clear();
  table.set(key, date);
}

/**
 * parseSwiftAmount of s[start, end) (digits and at most one comma, at `comma` or -1; within the
 * :61: grammar's scan), without copying it first: the same result and the same errors.
 */
function swiftAmountOf(s: string, start: number, comma: number, end: number, position: SourcePosition): string {
  if (end - start > MT940_SUBFIELDS.amount || comma === start) return parseSwiftAmount(s.slice(start, end), position, ':61: amount');
  let first = start;
  const wholeEnd = comma === -1 ? end : comma;
  while (first < wholeEnd - 1 && s.charCodeAt(first) === 48) first++;
  if (comma === -1 || comma === end - 1) return s.slice(first, wholeEnd);
  return `${s.slice(first, comma)}.${s.slice(comma + 1, end)}`;
}

/** The minor units of the last amount signedAmountOf read, signed (a second result, without an object for it). */
let lastMinor = 0;

/**
 * A :61: amount (parseSwiftAmount's normalised decimal: digits, and a fraction after a point when
 * there is one) as its signed decimal with the currency's `exponent` decimals, exactly as
 * decimalToMinor then formatMinor give it, its minor units in lastMinor. The minor units are counted
 * as an integer of at most 15 digits (below 2^53: every step exact, never a fraction; see
 * OpenMessage.small for their sums). Undefined when decimalToMinor must decide (more decimals than the currency has, an
 * unknown exponent, more than 15 digits): it gives the result or the error.
 */
function signedAmountOf(amount: string, credit: boolean, exponent: number): string | undefined {
  const dot = amount.indexOf('.');
  const places = dot === -1 ? 0 : amount.length - dot - 1;
  if (exponent < 0 || places > exponent || amount.length - (dot === -1 ? 0 : 1) + exponent - places > 15) return undefined;
  let value = 0;
  for (let i = 0; i < amount.length; i++) if (i !== dot) value = value * 10 + (amount.charCodeAt(i) - 48);
  for (let k = places; k < exponent; k++) value *= 10;
  lastMinor = credit || value === 0 ? value : -value;
  const unsigned = exponent === 0 ? amount : dot === -1 ? `${amount}.${ZEROS[exponent]!}` : places < exponent ? `${amount}${ZEROS[exponent - places]!}` : amount;
  return credit || value === 0 ? unsigned : `-${unsigned}`;
}

const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000'];

/** :61: — see the module comment for the grammar. `lines[0]` is the value after ":61:". */
export function parseMt940StatementLine(lines: readonly string[], position: SourcePosition): Mt940StatementLine {
  const s = lines[0] ?? '';
  if (s.length < 6) fail(position, ':61: missing value date');
  // The common dates are remembered by their digits (REC-PERF-1); the rest is read as written.
  const valueKey = digitsAt(s, 0, 6);
  let valueDate = VALUE_DATES.get(valueKey);
  let valueDateAsWritten: string | undefined;
  if (valueDate === undefined) {
    const value = valueDateOf(s.slice(0, 6), position);
    valueDate = value.date;
    valueDateAsWritten = value.asWritten;
    if (valueDateAsWritten === undefined) remember(VALUE_DATES, valueKey, valueDate);
  }
  let i = 6;
  let entryDate: string | undefined;
  let entryDateAsWritten: string | undefined;
  const entryKey = s.length >= 10 ? digitsAt(s, 6, 4) : Number.NaN;
  if (entryKey >= 0) {
    const key = valueKey * 10000 + entryKey;
    entryDate = valueDateAsWritten === undefined ? ENTRY_DATES.get(key) : undefined;
    if (entryDate === undefined) {
      entryDate = entryDateNear(valueDate, digitsAt(s, 6, 2), digitsAt(s, 8, 2), position);
      if (!validDate(Number(entryDate.slice(0, 4)), digitsAt(s, 6, 2), digitsAt(s, 8, 2))) entryDateAsWritten = s.slice(6, 10);
      else if (valueDateAsWritten === undefined) remember(ENTRY_DATES, key, entryDate);
    }
    i = 10;
  } else {
    // REC-MT940-5: Citi and ASN Bank leave the optional entry date blank (up to four spaces).
    while (i < 10 && s.charCodeAt(i) === 32) i++;
  }
  let mark: DebitCreditMark;
  const m0 = s.charCodeAt(i);
  const m1 = s.charCodeAt(i + 1);
  // R (82) then C (67) or D (68); else C or D.
  if (m0 === 82 && (m1 === 67 || m1 === 68)) {
    mark = m1 === 67 ? 'RC' : 'RD';
    i += 2;
  } else if (m0 === 67 || m0 === 68) {
    mark = m0 === 67 ? 'C' : 'D';
    i += 1;
  } else {
    return fail(position, `:61: debit/credit mark must be C, D, RC or RD at position ${i + 1}`);
  }
  let fundsCode: string | undefined;
  if (isUpper(s.charCodeAt(i))) {
    fundsCode = s[i];
    i++;
  }
  const amountStart = i;
  let comma = -1;
  let commas = 0;
  for (let c = s.charCodeAt(i); i < s.length && (isDigit(c) || c === 44); c = s.charCodeAt(++i)) {
    if (c === 44) {
      if (comma === -1) comma = i;
      commas++;
    }
  }
  if (i === amountStart) fail(position, ':61: missing amount');
  const amount = commas <= 1 ? swiftAmountOf(s, amountStart, comma, i, position) : parseSwiftAmount(s.slice(amountStart, i), position, ':61: amount');
  const t0 = s.charCodeAt(i);
  if (i + 4 > s.length || !(t0 === 78 || t0 === 70 || t0 === 83) || !isAlnum(s.charCodeAt(i + 1)) || !isAlnum(s.charCodeAt(i + 2)) || !isAlnum(s.charCodeAt(i + 3))) {
    fail(position, ':61: transaction type is not N/F/S followed by 3 letters or digits');
  }
  const type = s.startsWith(lastType, i) ? lastType : (lastType = s.slice(i, i + 4));
  i += 4;
  const slashes = s.indexOf('//', i);
  const customerReference = slashes === -1 ? s.slice(i) : s.slice(i, slashes);
  const bankReference = slashes === -1 ? undefined : s.slice(slashes + 2).trim() || undefined;
  const supplementary = lines.length > 1 ? lines.slice(1).join('\n').trim() : '';
  if (customerReference.trim().length > MT940_SUBFIELDS.customerReference) tooLong(position, ':61: customer reference', MT940_SUBFIELDS.customerReference);
  if (bankReference !== undefined && bankReference.length > MT940_SUBFIELDS.bankReference) tooLong(position, ':61: bank reference', MT940_SUBFIELDS.bankReference);
  if (supplementary.length > MT940_SUBFIELDS.supplementaryDetails) tooLong(position, ':61: supplementary details', MT940_SUBFIELDS.supplementaryDetails);
  // One object shape whatever is present (absent subfields are undefined).
  return {
    valueDate,
    entryDate,
    mark,
    fundsCode,
    amount,
    transactionType: type,
    customerReference: customerReference.trim(),
    bankReference,
    supplementaryDetails: supplementary.length > 0 ? supplementary : undefined,
    valueDateAsWritten,
    entryDateAsWritten,
  };
}

/** The SEPA keywords, each followed by "+" in a purpose subfield, by their first letter. */
const SEPA_KEYS: Readonly<Record<string, readonly string[]>> = {
  E: ['EREF'],
  K: ['KREF'],
  M: ['MREF'],
  C: ['CRED', 'COAM'],
  D: ['DEBT'],
  O: ['OAMT'],
  S: ['SVWZ'],
  A: ['ABWA', 'ABWE'],
  I: ['IBAN'],
  B: ['BIC'],
};
const SEPA_KEYS_BY_CODE: (readonly string[] | undefined)[] = Array.from({ length: 128 }, (_, code) => SEPA_KEYS[String.fromCharCode(code)]);

/**
 * The SEPA keyword (EREF, KREF, MREF, CRED, DEBT, COAM, OAMT, SVWZ, ABWA, ABWE, IBAN, BIC) followed
 * by "+" that `text` starts with at `at` ("EREF+…" → "EREF"), or undefined: no copy, no regular expression.
 */
function sepaKeyOf(text: string, at = 0): string | undefined {
  const candidates = SEPA_KEYS_BY_CODE[text.charCodeAt(at)];
  if (candidates === undefined) return undefined;
  for (const key of candidates) if (text.charCodeAt(at + key.length) === 43 /* + */ && text.startsWith(key, at)) return key;
  return undefined;
}

/** Four capital letters and a colon at `at`: another tag ("MTLG:") starts the subfield. */
function otherKeyAt(text: string, at = 0): boolean {
  return isUpper(text.charCodeAt(at)) && isUpper(text.charCodeAt(at + 1)) && isUpper(text.charCodeAt(at + 2)) && isUpper(text.charCodeAt(at + 3)) && text.charCodeAt(at + 4) === 58;
}

/** A subfield's code: the two characters after its "?" as Number() reads them ("20" → 20; "" and blanks → 0). */
/** Where the subfield after the one at `at` starts (its "?NN"), or -1: the subfield runs to the end. */
function nextSubfield(body: string, at: number): number {
  let next = body.indexOf('?', at + 3);
  while (next !== -1 && !(isDigit(body.charCodeAt(next + 1)) && isDigit(body.charCodeAt(next + 2)))) next = body.indexOf('?', next + 1);
  return next;
}

function subfieldCode(body: string, at: number): number {
  const a = body.charCodeAt(at + 1) - 48;
  const b = body.charCodeAt(at + 2) - 48;
  if (a >= 0 && a <= 9 && b >= 0 && b <= 9) return a * 10 + b;
  return Number(body.slice(at + 1, at + 3));
}

/** The last GVC read (statements repeat a few): reused instead of copied. */
let lastTransactionCode = '166';

/** :86: — German structured layout when it is one, else the text as written. */
export function parseMt940Details(lines: readonly string[]): Mt940Details {
  const text = lines.length === 1 ? lines[0]! : lines.join('');
  const details: Mt940Details = { text, lines: lines as string[] };
  const body = isDigit(text.charCodeAt(0)) ? text : text.trimStart();
  if (body.length >= 4 && isDigit(body.charCodeAt(0)) && isDigit(body.charCodeAt(1)) && isDigit(body.charCodeAt(2)) && body.charCodeAt(3) === 63 /* ? */) {
    const transactionCode = body.startsWith(lastTransactionCode) ? lastTransactionCode : (lastTransactionCode = body.slice(0, 3));
    const structured: Mt940StructuredDetails = { transactionCode, sepa: {} };
    let purpose: string | undefined;
    let purposeParts: string[] | undefined;
    let names: string | undefined;
    let nameParts: string[] | undefined;
    // Subfields: "?NN" followed by text up to the next "?NN".
    let at = 3;
    while (at < body.length) {
      const next = nextSubfield(body, at);
      const end = next === -1 ? body.length : next;
      const n = subfieldCode(body, at);
      if (n === 0) structured.postingText = body.slice(at + 3, end);
      else if (n === 10) structured.primaNota = body.slice(at + 3, end);
      else if ((n >= 20 && n <= 29) || (n >= 60 && n <= 63)) {
        const value = body.slice(at + 3, end);
        if (purpose === undefined) purpose = value;
        else if (purposeParts === undefined) purposeParts = [purpose, value];
        else purposeParts.push(value);
      } else if (n === 30) structured.counterpartyBic = body.slice(at + 3, end);
      else if (n === 31) structured.counterpartyAccount = body.slice(at + 3, end);
      else if (n === 32 || n === 33) {
        const value = body.slice(at + 3, end);
        if (names === undefined) names = value;
        else if (nameParts === undefined) nameParts = [names, value];
        else nameParts.push(value);
      } else if (n === 34) structured.textKeyAddition = body.slice(at + 3, end);
      at = end;
    }
    if (purpose !== undefined) structured.purpose = purposeParts ? purposeParts.join('') : purpose;
    if (names !== undefined) structured.counterpartyName = nameParts ? nameParts.join('') : names;
    // SEPA keyword segments start at a purpose subfield ("?20EREF+…", "?22SVWZ+…"); a subfield
    // starting with another "XXXX:" tag (e.g. the bank's "MTLG:" message) ends the segment.
    if (purpose !== undefined) {
      let key: string | undefined;
      const sepa = structured.sepa;
      for (let p = 0, count = purposeParts ? purposeParts.length : 1; p < count; p++) {
        const part = purposeParts ? purposeParts[p]! : purpose;
        const found = sepaKeyOf(part);
        if (found !== undefined) {
          key = found;
          const value = part.slice(key.length + 1);
          sepa[key] = sepa[key] === undefined ? value : sepa[key] + value;
        } else if (otherKeyAt(part)) key = undefined;
        else if (key !== undefined) sepa[key] += part;
      }
    }
    details.structured = structured;
  }
  return details;
}

/** What readEntryDetails found (one entry at a time: no object per entry). */
const entry: { eref?: string; kref?: string; remittance?: string; name?: string; account?: string } = {
  eref: undefined,
  kref: undefined,
  remittance: undefined,
  name: undefined,
  account: undefined,
};

/**
 * The values a statement line takes from a one-line :86: field, read straight from it into `entry`
 * (REC-PERF-1): what parseMt940Details then the line gives (EREF, KREF, SVWZ else the purpose, the
 * names ?32+?33 else the account ?31; an unstructured field's text), untrimmed. False, with nothing
 * read, when a structured field has purpose subfields but no SVWZ (its purpose is then the joined
 * subfields: parseMt940Details reads it). The differential test holds the two to the same lines.
 */
function readEntryDetails(text: string): boolean {
  entry.eref = entry.kref = entry.remittance = entry.name = entry.account = undefined;
  const body = isDigit(text.charCodeAt(0)) ? text : text.trimStart();
  if (!(body.length >= 4 && isDigit(body.charCodeAt(0)) && isDigit(body.charCodeAt(1)) && isDigit(body.charCodeAt(2)) && body.charCodeAt(3) === 63)) {
    entry.remittance = text;
    return true;
  }
  let purposes = false;
  let key: string | undefined;
  let svwz: string | undefined;
  let at = 3;
  while (at < body.length) {
    const next = nextSubfield(body, at);
    const end = next === -1 ? body.length : next;
    const n = subfieldCode(body, at);
    if ((n >= 20 && n <= 29) || (n >= 60 && n <= 63)) {
      // SEPA keyword segments, as parseMt940Details reads them (only EREF, KREF and SVWZ are kept).
      purposes = true;
      // A keyword and its "+" must lie inside the subfield (before `end`), as in its own copy.
      const found = sepaKeyOf(body, at + 3);
      if (found !== undefined && at + 3 + found.length < end) {
        key = found;
        if (key === 'EREF' || key === 'KREF' || key === 'SVWZ') {
          const value = body.slice(at + 4 + key.length, end);
          if (key === 'EREF') entry.eref = entry.eref === undefined ? value : entry.eref + value;
          else if (key === 'KREF') entry.kref = entry.kref === undefined ? value : entry.kref + value;
          else svwz = svwz === undefined ? value : svwz + value;
        }
      } else if (at + 8 <= end && otherKeyAt(body, at + 3)) key = undefined;
      else if (key === 'EREF') entry.eref += body.slice(at + 3, end);
      else if (key === 'KREF') entry.kref += body.slice(at + 3, end);
      else if (key === 'SVWZ') svwz += body.slice(at + 3, end);
    } else if (n === 31) entry.account = body.slice(at + 3, end);
    else if (n === 32 || n === 33) {
      const value = body.slice(at + 3, end);
      entry.name = entry.name === undefined ? value : entry.name + value;
    }
    at = end;
  }
  if (purposes && svwz === undefined) return false;
  entry.remittance = svwz;
  return true;
}

/**
 * Several :86: fields after one :61: (REC-MT940-4): one field is read as parseMt940Details does; several
 * are joined in order, a space between fields (each field's own lines joined as written).
 */
export function parseMt940DetailFields(fields: readonly (readonly string[])[]): Mt940Details {
  if (fields.length === 1) return parseMt940Details(fields[0]!);
  const details = parseMt940Details(fields.flat());
  details.text = fields.map((lines) => lines.join('')).join(' ');
  return details;
}

/** :86: details as kept for tools (collectTransactions): every part masked (PCI-2, PCI-3). */
function maskDetails(details: Mt940Details): Mt940Details {
  const masked: Mt940Details = { text: maskText(details.text), lines: details.lines.map(maskText) };
  const s = details.structured;
  if (s) {
    const structured: Mt940StructuredDetails = { transactionCode: s.transactionCode, sepa: {} };
    if (s.postingText !== undefined) structured.postingText = maskText(s.postingText);
    if (s.primaNota !== undefined) structured.primaNota = maskIdentifier(s.primaNota);
    if (s.purpose !== undefined) structured.purpose = maskText(s.purpose);
    if (s.counterpartyBic !== undefined) structured.counterpartyBic = maskIdentifier(s.counterpartyBic);
    if (s.counterpartyAccount !== undefined) structured.counterpartyAccount = maskIdentifier(s.counterpartyAccount);
    if (s.counterpartyName !== undefined) structured.counterpartyName = maskText(s.counterpartyName);
    if (s.textKeyAddition !== undefined) structured.textKeyAddition = maskText(s.textKeyAddition);
    for (const [key, value] of Object.entries(s.sepa)) structured.sepa[key] = IDENTIFIER_KEYS.has(key) ? maskIdentifier(value) : maskText(value);
    masked.structured = structured;
  }
  return masked;
}

/** SEPA keywords whose value is an identifier (the rest is text). */
const IDENTIFIER_KEYS = new Set(['EREF', 'KREF', 'MREF', 'CRED', 'DEBT', 'IBAN', 'BIC']);

// ---------------------------------------------------------------------------------------------
// The message parser

/** The start of a field: `:NN:`, `:NNA:` or a bank's `:AA:` (REC-MT940-8). */
export const FIELD_START = /^:([0-9]{2}[A-Z]?|[A-Z]{2}):/;
/** ":940:" / ":942:" alone on a line (Rabobank, REC-MT940-3). */
const MESSAGE_TYPE_LINE = /^:94[02]:$/;
/** A sender BIC alone, the message type alone ("940", "940 00"), or ING's "0000 NN<BIC>…" header (REC-MT940-1, REC-MT940-2). */
const WRAPPER_LINE = /^(?:[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?|94[02](?: [0-9]{2})?|0000 [0-9]{2}[A-Z]{6}[A-Z0-9]{2}[A-Z0-9 ]*)$/;

/**
 * The tag of a field line (":61:…" → "61"): the statement tags are constants, so the parser's
 * comparisons of them are identity checks and the common ones cost no copy (REC-PERF-1).
 */
function tagOf(line: string, tagEnd: number): string {
  if (tagEnd === 3) {
    const a = line.charCodeAt(1);
    const b = line.charCodeAt(2);
    if (a === 54 /* 6 */ && b === 49 /* 1 */) return '61';
    if (a === 56 /* 8 */ && b === 54 /* 6 */) return '86';
  }
  return KNOWN_TAGS.get(line.slice(1, tagEnd)) ?? line.slice(1, tagEnd);
}

const KNOWN_TAGS = new Map(['20', '21', '25', '25P', '28', '28C', '60F', '60M', '61', '62F', '62M', '64', '65', '86', '34F', '13D', '90D', '90C', 'NS'].map((tag) => [tag, tag]));

type Phase = 'start' | 'ref' | 'account' | 'number' | 'body940' | 'pre942' | 'closed940' | 'sums942' | 'info';

interface OpenMessage {
  msg: Mt940Message;
  /** The statement currency's decimals once its currency is known (else -1). */
  exponent: number;
  phase: Phase;
  lastTag: string;
  statementIndex: number;
  statementId: string;
  lineCount: number;
  movements: bigint;
  /**
   * Sums of the entries whose minor units are small integers (signedAmountOf: below 10^15, exact in a
   * double), not yet added to movements, debits.minor and credits.minor: folded in (foldSmall) before
   * a sum can pass 2^52, so every sum stays an exact integer (below 2^53), and before the sums are read.
   */
  small: { movements: number; debits: number; credits: number };
  saw13D: boolean;
  /**
   * The entry read last, until its :86: fields (`details`, undefined: none yet) are complete. Its
   * signed minor units are `small` when signedAmountOf read them (`minor` is then 0n), else `minor`
   * (`small` NaN).
   */
  pending?: { txn: Mt940Transaction; minor: bigint; small: number; details: string[][] | undefined };
  debits: { count: number; minor: bigint };
  credits: { count: number; minor: bigint };
}

export interface Mt940ParserOptions {
  /** Keep every message with its transactions (tests, tools); the streaming path does not. */
  onMessage?: (message: Mt940Message) => void;
  collectTransactions?: boolean;
}

/** The bounds of the entry fields, read once (checkField reads them for every entry). */
const LIMIT_61 = MT940_FIELDS['61'] ?? MT940_FIELD_DEFAULT;
const LIMIT_86 = MT940_FIELDS['86'] ?? MT940_FIELD_DEFAULT;

/** A small sum is folded into the exact sums once it passes 2^52: each addend is below 10^15 (< 2^50), so no sum reaches 2^53. */
const SMALL_SUM = 2 ** 52;

/** Adds a message's small sums to its exact (bigint) ones (OpenMessage.small). */
function foldSmall(open: OpenMessage): void {
  const sums = open.small;
  open.movements += BigInt(sums.movements);
  open.debits.minor += BigInt(sums.debits);
  open.credits.minor += BigInt(sums.credits);
  sums.movements = sums.debits = sums.credits = 0;
}

/** Streaming MT940/MT942 parser: lines in, StatementLines + statement summaries out. */
export class Mt940Parser implements TextParser {
  private readonly splitter = new LineSplitter(
    (line, n) => this.onLine(line, n),
    MT940_LINE,
    (head, n) => this.lineTooLong(head, n),
  );
  private field: { tag: string; lines: string[]; line: number; length: number } | undefined;
  private current: OpenMessage | undefined;
  private statementIndex: number;
  private inBlock4 = false;
  private blockType: string | undefined;
  private messages = 0;
  private terminatorsSeen = 0;
  private lastLine = 0;
  // eslint-disable-next-line no-control-regex -- detecting binary data is the point
  private readonly controlChars = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
  /** completePending's draft of a statement line (see there). */
  private readonly draft: StatementLine = {
    statementLineId: '',
    format: 'mt940',
    statementId: '',
    accountId: '',
    currency: '',
    amount: '',
    bookingDate: null,
    valueDate: null,
    endToEndId: undefined,
    bankReference: undefined,
    customerReference: undefined,
    remittanceInformation: undefined,
    counterparty: undefined,
    typeCode: undefined,
    status: 'BOOK',
    otherFields: undefined,
    position: { file: '', line: 0 },
  };
  /** The lines being read may hold a control character (see push). */
  private checkLines = true;
  /** The text carried over to the next chunk may hold one. */
  private carryDirty = false;

  constructor(
    private readonly ctx: ParseContext,
    private readonly sink: StatementSink,
    private readonly options: Mt940ParserOptions = {},
    firstStatementIndex = 0,
  ) {
    this.statementIndex = firstStatementIndex;
  }

  push(text: string): void {
    // A chunk without control characters is checked once, not line by line (REC-PERF-1); the lines of
    // one that has some, and of the chunks that carry them over, are checked each.
    const dirty = this.controlChars.test(text);
    this.checkLines = dirty || this.carryDirty;
    this.splitter.push(text);
    this.carryDirty = text.indexOf('\n') === -1 ? this.checkLines : dirty;
  }

  end(): void {
    this.checkLines = this.carryDirty;
    this.splitter.end();
    flushLast(() => this.flushField(), 'field');
    const line = this.lastLine;
    if (this.current) this.finishMessage(false, line, true);
    if (this.inBlock4) fail(this.pos(line), 'the file ends inside a SWIFT message block {4: … -} (truncated file?)');
    if (this.messages === 0) fail(this.pos(Math.max(1, line)), 'no MT940/MT942 message found (a statement starts with :20:)');
  }

  line(): number {
    return Math.max(1, this.splitter.lineNumber);
  }

  private pos(line: number): SourcePosition {
    return { file: this.ctx.file, line };
  }

  /** REC-IN-1: a line past MT940_LINE, refused before the rest of it is read; names the field it starts or continues. */
  private lineTooLong(head: string, n: number): never {
    // eslint-disable-next-line no-control-regex -- SOH/ETX framing bytes
    const tag = FIELD_START.exec(head.replace(/^[\x01\x03]+/, ''));
    const field = tag ? `a line (field :${tag[1]}:)` : this.field ? `a line (continuing field :${this.field.tag}:)` : 'a line';
    tooLong(this.pos(n), field, MT940_LINE);
  }

  private onLine(raw: string, n: number): void {
    let line = raw;
    let s = 0;
    let e = line.length;
    while (s < e && (line.charCodeAt(s) === 1 || line.charCodeAt(s) === 3)) s++;
    while (e > s && (line.charCodeAt(e - 1) === 3 || line.charCodeAt(e - 1) === 1)) e--;
    if (s > 0 || e < line.length) line = line.slice(s, e);
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0)) return;
    this.lastLine = n;
    if (this.checkLines && this.controlChars.test(line)) {
      const bad = this.controlChars.exec(line)!;
      fail(this.pos(n), `control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} in the text (binary data in a statement file)`);
    }
    const c0 = line.charCodeAt(0);
    if (c0 === 123 /* { */) {
      this.blockHeader(line, n);
      return;
    }
    if (c0 === 45 /* - */ && (line.trimEnd().length === 1 || line[1] === '}')) {
      this.terminator(line.trimEnd(), n);
      return;
    }
    // REC-MT940-2: ING closes its messages with "-XXX" (outside a SWIFT block): a "-" terminator.
    if (c0 === 45 /* - */ && !this.inBlock4 && line.trimEnd() === '-XXX') {
      this.terminator('-', n);
      return;
    }
    if (c0 === 58 /* : */) {
      // ":NN:" or ":NNa:"; a bank-specific ":AA:" (e.g. :NS:, REC-MT940-8)
      const tagEnd = line.charCodeAt(3) === 58 ? 3 : isUpper(line.charCodeAt(3)) && line.charCodeAt(4) === 58 ? 4 : -1;
      const numeric = isDigit(line.charCodeAt(1)) && isDigit(line.charCodeAt(2));
      if (tagEnd !== -1 && (numeric || (tagEnd === 3 && isUpper(line.charCodeAt(1)) && isUpper(line.charCodeAt(2))))) {
        this.flushField();
        const value = line.slice(tagEnd + 1);
        this.field = { tag: tagOf(line, tagEnd), lines: [value], line: n, length: value.length };
        this.growField();
        return;
      }
      // REC-MT940-3: Rabobank files start with a ":940:" line (the message type), outside any field.
      if (!this.inBlock4 && MESSAGE_TYPE_LINE.test(line.trimEnd())) {
        this.flushField();
        return;
      }
    }
    // REC-MT940-1, REC-MT940-2: ABN AMRO's "ABNANL2A" / "940" / "ABNANL2A" lines before each message and ING's
    // "0000 01INGBNL2AXXXX00001…940 00" file header: wrapper lines outside any field and message.
    if (!this.field && !this.inBlock4 && WRAPPER_LINE.test(line.trimEnd())) return;
    if (!this.field) fail(this.pos(n), 'unexpected text outside any field (a field starts with :NN: or :NNa:)');
    this.field.lines.push(line);
    this.field.length += line.length;
    this.growField();
  }

  /**
   * REC-IN-1, early: a field whose content passes the largest field bound is refused at once (its
   * exact bound is checked when the field is complete, after its place in the sequence). Names
   * the line where the field starts, as every field error does.
   */
  private growField(): void {
    const field = this.field!;
    if (field.length > MT940_FIELD_DEFAULT) tooLong(this.pos(field.line), `field :${field.tag}:`, MT940_FIELDS[field.tag] ?? MT940_FIELD_DEFAULT);
  }

  /** REC-IN-1: the field's exact bound (called once the field's place in the sequence is checked). */
  private checkField(tag: string, lines: readonly string[], line: number): void {
    const limit = tag === '61' ? LIMIT_61 : tag === '86' ? LIMIT_86 : (MT940_FIELDS[tag] ?? MT940_FIELD_DEFAULT);
    let length = lines[0]!.length;
    for (let i = 1; i < lines.length; i++) length += lines[i]!.length;
    if (length > limit) tooLong(this.pos(line), `field :${tag}:`, limit);
  }

  private blockHeader(line: string, n: number): void {
    if (this.inBlock4) fail(this.pos(n), 'a new SWIFT message starts before the previous one ended with "-}"');
    this.flushField();
    if (this.current) this.finishMessage(false, n, false);
    let i = 0;
    while (i < line.length && line[i] === '{') {
      const id = /^\{([0-9A-Z]{1,3}):/.exec(line.slice(i, i + 6));
      if (!id) fail(this.pos(n), 'malformed SWIFT block header');
      if (id[1] === '4') {
        this.inBlock4 = true;
        const rest = line.slice(i + id[0].length);
        if (rest.length > 0) this.onLine(rest, n);
        return;
      }
      let depth = 0;
      let j = i;
      for (; j < line.length; j++) {
        if (line[j] === '{') depth++;
        else if (line[j] === '}' && --depth === 0) break;
      }
      if (j >= line.length) fail(this.pos(n), `SWIFT block {${id[1]}: is not closed on its line`);
      if (id[1] === '2') {
        const type = /^[IO]([0-9]{3})/.exec(line.slice(i + id[0].length));
        if (!type) fail(this.pos(n), 'SWIFT application header {2: has no message type');
        if (type[1] !== '940' && type[1] !== '942') fail(this.pos(n), `SWIFT message type MT${type[1]} is not a statement (MT940/MT942)`);
        this.blockType = type[1];
      }
      i = j + 1;
    }
    if (i < line.length) fail(this.pos(n), 'unexpected text after the SWIFT headers');
  }

  private terminator(line: string, n: number): void {
    this.flushField();
    if (!this.current) fail(this.pos(n), '"-" message terminator without a message');
    this.finishMessage(true, n, false);
    this.terminatorsSeen++;
    if (line.length > 1) {
      if (!this.inBlock4) fail(this.pos(n), '"-}" closes a SWIFT block {4: that was never opened');
      this.inBlock4 = false;
      let rest = line.slice(2);
      // Trailer blocks {5:{CHK:…}} and the next message's headers may follow on the same line.
      while (rest.startsWith('{') && !rest.startsWith('{1:')) {
        let depth = 0;
        let j = 0;
        for (; j < rest.length; j++) {
          if (rest[j] === '{') depth++;
          else if (rest[j] === '}' && --depth === 0) break;
        }
        rest = rest.slice(j + 1);
      }
      if (rest.startsWith('{1:')) this.blockHeader(rest, n);
      else if (rest.trim().length > 0) fail(this.pos(n), 'unexpected text after "-}"');
    } else if (this.inBlock4) {
      fail(this.pos(n), 'a SWIFT message block {4: must end with "-}"');
    }
  }

  private flushField(): void {
    const field = this.field;
    if (!field) return;
    this.field = undefined;
    this.handleField(field.tag, field.lines, field.line);
  }

  /**
   * The fields of an entry (:61: and its :86:), the bulk of a statement, first: the same checks as
   * handleField's cases for them, in the same order. False when handleField's cases must decide.
   */
  private entryField(open: OpenMessage, tag: string, lines: string[], line: number): boolean {
    const phase = open.phase;
    if (tag === '61') {
      if (!(phase === 'body940' || (phase === 'pre942' && open.saw13D))) return false;
      this.checkField(tag, lines, line);
      this.completePending(open);
      this.statementLine(open, lines, line);
    } else if (open.pending && phase === 'body940') {
      // REC-MT940-4: older Rabobank exports write one :86: per line of text; they all belong to the entry.
      this.checkField(tag, lines, line);
      const details = open.pending.details;
      if (details === undefined) open.pending.details = [lines];
      else {
        details.push(lines);
        this.checkField(tag, details.flat(), line);
      }
    } else return false;
    open.lastTag = tag;
    return true;
  }

  private outOfSequence(open: OpenMessage, tag: string, line: number): never {
    fail(this.pos(line), `field :${tag}: is out of sequence after :${open.lastTag}: in the statement that starts at line ${open.msg.line}`);
  }

  private handleField(tag: string, lines: string[], line: number): void {
    if ((tag === '61' || tag === '86') && this.current !== undefined && this.entryField(this.current, tag, lines, line)) return;
    const position = this.pos(line);
    const value = lines[0]!;
    if (tag === '20') {
      this.checkField(tag, lines, line);
      if (this.current) this.finishMessage(false, line, false);
      this.startMessage(value.trim(), line);
      return;
    }
    const open = this.current;
    if (!open) fail(position, `field :${tag}: before :20: (a statement starts with its :20: transaction reference)`);
    const msg = open.msg;
    const phase = open.phase;
    if (isUpper(tag.charCodeAt(0))) {
      // REC-MT940-8: a bank-specific field (e.g. :NS:) is kept as written on the entry it follows, else on
      // the statement; it does not take part in the field sequence.
      this.checkField(tag, lines, line);
      const other: Mt940OtherField = { tag, line, text: maskText(lines.join('\n')) };
      const target = open.pending ? open.pending.txn : msg;
      (target.otherFields ??= []).push(other);
      return;
    }
    if (tag !== '61' && tag !== '86') this.completePending(open);
    // Each case checks the field's place in the sequence, then its bound, then its grammar.
    switch (tag) {
      case '21':
        if (phase !== 'ref') this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        msg.relatedReference = maskIdentifier(value.trim());
        break;
      case '25':
      case '25P':
        if (phase !== 'ref') this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        msg.accountIdentification = maskIdentifier(value.trim());
        if (msg.accountIdentification.length === 0) fail(position, ':25: account identification is empty');
        open.phase = 'account';
        break;
      case '28':
      case '28C': {
        if (phase !== 'account') this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        const number = parseMt940StatementNumber(value, position);
        msg.statementNumber = number.statementNumber;
        if (number.sequenceNumber !== undefined) msg.sequenceNumber = number.sequenceNumber;
        open.statementId = `${msg.transactionReference}:${value.trim()}`;
        open.phase = 'number';
        break;
      }
      case '60F':
      case '60M': {
        if (phase !== 'number') this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        const balance = parseMt940Balance(value, position, `:${tag}:`);
        checkCurrency(balance.currency, position, `:${tag}: currency`);
        decimalToMinor(balance.amount, balance.currency, position, this.ctx.trailingZeros, `:${tag}: amount`);
        msg.kind = 'mt940';
        msg.currency = balance.currency;
        open.exponent = currencyExponent(balance.currency);
        msg.openingBalance = { ...balance, intermediate: tag === '60M' };
        open.phase = 'body940';
        break;
      }
      case '34F': {
        if (phase !== 'number' && !(phase === 'pre942' && msg.floorLimits.length < 2 && !open.saw13D)) this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        const text = value.trim();
        const currency = text.slice(0, 3);
        checkCurrency(currency, position, ':34F: currency');
        let i = 3;
        let mark: 'C' | 'D' | undefined;
        if (text[3] === 'C' || text[3] === 'D') {
          mark = text[3] as 'C' | 'D';
          i = 4;
        }
        const amount = parseSwiftAmount(text.slice(i), position, ':34F: amount');
        decimalToMinor(amount, currency, position, this.ctx.trailingZeros, ':34F: amount');
        if (msg.floorLimits.length > 0 && msg.floorLimits[0]!.currency !== currency) fail(position, ':34F: floor limits in two currencies');
        msg.floorLimits.push(mark ? { mark, currency, amount } : { currency, amount });
        msg.kind = 'mt942';
        msg.currency = currency;
        open.exponent = currencyExponent(currency);
        open.phase = 'pre942';
        break;
      }
      case '13D': {
        if (phase !== 'pre942' || open.saw13D) this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        msg.dateTime = parseDateTimeIndication(value.trim(), position);
        open.saw13D = true;
        break;
      }
      case '61': {
        if (!(phase === 'body940' || (phase === 'pre942' && open.saw13D))) this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        this.completePending(open);
        this.statementLine(open, lines, line);
        break;
      }
      case '86': {
        if (open.pending && phase === 'body940') {
          // REC-MT940-4: older Rabobank exports write one :86: per line of text; they all belong to the entry.
          this.checkField(tag, lines, line);
          (open.pending.details ??= []).push(lines);
          this.checkField(tag, open.pending.details.flat(), line);
        } else if (open.pending && phase === 'pre942') {
          this.checkField(tag, lines, line);
          (open.pending.details ??= []).push(lines);
          this.completePending(open);
        } else if (phase === 'closed940' || phase === 'sums942' || (phase === 'pre942' && open.saw13D)) {
          this.checkField(tag, lines, line);
          msg.information = maskText(lines.join(''));
          open.phase = 'info';
        } else this.outOfSequence(open, tag, line);
        break;
      }
      case '62F':
      case '62M': {
        if (phase !== 'body940') this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        const balance = parseMt940Balance(value, position, `:${tag}:`);
        checkCurrency(balance.currency, position, `:${tag}: currency`);
        decimalToMinor(balance.amount, balance.currency, position, this.ctx.trailingZeros, `:${tag}: amount`);
        msg.closingBalance = { ...balance, intermediate: tag === '62M' };
        open.phase = 'closed940';
        break;
      }
      case '64': {
        if (phase !== 'closed940' || msg.availableBalance || msg.forwardAvailableBalances.length > 0) this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        const balance = parseMt940Balance(value, position, ':64:');
        checkCurrency(balance.currency, position, ':64: currency');
        decimalToMinor(balance.amount, balance.currency, position, this.ctx.trailingZeros, ':64: amount');
        msg.availableBalance = balance;
        break;
      }
      case '65': {
        if (phase !== 'closed940') this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        const balance = parseMt940Balance(value, position, ':65:');
        checkCurrency(balance.currency, position, ':65: currency');
        decimalToMinor(balance.amount, balance.currency, position, this.ctx.trailingZeros, ':65: amount');
        msg.forwardAvailableBalances.push(balance);
        break;
      }
      case '90D':
      case '90C': {
        const before = phase === 'pre942' && open.saw13D;
        if (!(before || (tag === '90C' && phase === 'sums942' && msg.sumCredits === undefined && open.lastTag === '90D'))) this.outOfSequence(open, tag, line);
        this.checkField(tag, lines, line);
        const match = /^([0-9]{1,5})([A-Z]{3})([0-9,]+)$/.exec(value.trim());
        if (!match) fail(position, `:${tag}: is not number + currency + amount`);
        const currency = checkCurrency(match[2]!, position, `:${tag}: currency`);
        if (currency !== msg.currency) fail(position, `:${tag}: is in ${currency}, the report in ${msg.currency}`);
        const amount = parseSwiftAmount(match[3]!, position, `:${tag}: amount`);
        decimalToMinor(amount, currency, position, this.ctx.trailingZeros, `:${tag}: amount`);
        const sum = { count: Number(match[1]), currency, amount };
        if (tag === '90D') msg.sumDebits = sum;
        else msg.sumCredits = sum;
        open.phase = 'sums942';
        break;
      }
      default:
        fail(position, `unknown field :${tag}: in an MT940/MT942 statement`);
    }
    open.lastTag = tag;
  }

  private startMessage(raw: string, line: number): void {
    if (raw.length === 0) fail(this.pos(line), ':20: transaction reference is empty');
    const reference = maskIdentifier(raw);
    const msg: Mt940Message = {
      kind: this.blockType === '942' ? 'mt942' : 'mt940',
      line,
      transactionReference: reference,
      accountIdentification: '',
      statementNumber: '',
      currency: '',
      forwardAvailableBalances: [],
      floorLimits: [],
      terminated: false,
      transactions: [],
    };
    this.current = {
      msg,
      phase: 'ref',
      lastTag: '20',
      statementIndex: this.statementIndex++,
      statementId: reference,
      exponent: -1,
      lineCount: 0,
      movements: 0n,
      small: { movements: 0, debits: 0, credits: 0 },
      saw13D: false,
      debits: { count: 0, minor: 0n },
      credits: { count: 0, minor: 0n },
    };
  }

  private statementLine(open: OpenMessage, lines: string[], line: number): void {
    const position = this.pos(line);
    const parsed = parseMt940StatementLine(lines, position);
    const currency = open.msg.currency;
    const credit = parsed.mark === 'C' || parsed.mark === 'RD';
    let minor: bigint;
    let signedAmount = signedAmountOf(parsed.amount, credit, open.exponent);
    let small = Number.NaN;
    if (signedAmount !== undefined) {
      minor = 0n;
      small = lastMinor;
    } else {
      const unsigned = decimalToMinor(parsed.amount, currency, position, this.ctx.trailingZeros, ':61: amount');
      minor = credit ? unsigned : -unsigned;
      signedAmount = formatMinor(minor, currency);
    }
    const txn: Mt940Transaction = {
      valueDate: parsed.valueDate,
      entryDate: parsed.entryDate,
      mark: parsed.mark,
      fundsCode: parsed.fundsCode,
      amount: parsed.amount,
      transactionType: parsed.transactionType,
      customerReference: maskIdentifier(parsed.customerReference),
      bankReference: parsed.bankReference === undefined ? undefined : maskIdentifier(parsed.bankReference),
      supplementaryDetails: parsed.supplementaryDetails === undefined ? undefined : maskText(parsed.supplementaryDetails),
      valueDateAsWritten: parsed.valueDateAsWritten,
      entryDateAsWritten: parsed.entryDateAsWritten,
      line,
      signedAmount,
      details: undefined,
    };
    open.pending = { txn, minor, small, details: undefined };
  }

  private completePending(open: OpenMessage): void {
    const pending = open.pending;
    if (!pending) return;
    open.pending = undefined;
    const { txn, minor, small } = pending;
    const collect = this.options.collectTransactions === true;
    const fields = pending.details;
    // The common entry (one :86: line, not the unusual structured case) is read straight into its
    // line's values, without the details objects (REC-PERF-1); the rest as parseMt940DetailFields reads it.
    const direct = !collect && fields !== undefined && fields.length === 1 && fields[0]!.length === 1 && readEntryDetails(fields[0]![0]!);
    if (fields !== undefined && !direct) {
      const details = parseMt940DetailFields(fields);
      txn.details = collect ? maskDetails(details) : details;
    }
    const msg = open.msg;
    if (!Number.isNaN(small)) {
      // A small integer (see OpenMessage.small).
      const sums = open.small;
      sums.movements += small;
      if (small < 0) {
        open.debits.count++;
        sums.debits -= small;
      } else {
        open.credits.count++;
        sums.credits += small;
      }
      if (sums.movements > SMALL_SUM || sums.movements < -SMALL_SUM || sums.debits > SMALL_SUM || sums.credits > SMALL_SUM) foldSmall(open);
    } else {
      open.movements += minor;
      if (minor < 0n) {
        open.debits.count++;
        open.debits.minor -= minor;
      } else {
        open.credits.count++;
        open.credits.minor += minor;
      }
    }
    if (collect) msg.transactions.push(txn);

    let eref: string | undefined;
    let kref: string | undefined;
    let remittance: string | undefined;
    let counterparty: string | undefined;
    if (direct) {
      eref = entry.eref?.trim();
      kref = entry.kref?.trim();
      remittance = entry.remittance?.trim();
      counterparty = entry.name?.trim() || entry.account?.trim();
    } else {
      const structured = txn.details?.structured;
      eref = structured?.sepa.EREF?.trim();
      kref = structured?.sepa.KREF?.trim();
      if (structured) remittance = (structured.sepa.SVWZ ?? structured.purpose)?.trim();
      else if (txn.details) remittance = txn.details.text.trim();
      counterparty = structured?.counterpartyName?.trim() || structured?.counterpartyAccount?.trim();
    }
    const own = txn.customerReference;
    const customerReference = kref && kref !== 'NOTPROVIDED' ? kref : own && own !== 'NONREF' && sepaKeyOf(own) === undefined ? own : undefined;
    // The line's draft: one object per parser, every field set (absent ones undefined), read by
    // finishLine at once into the line that leaves (REC-PERF-1); its position is the line's own.
    const line = this.draft;
    line.statementLineId = statementLineId(this.ctx, open.statementIndex, open.lineCount);
    line.format = msg.kind;
    line.statementId = open.statementId;
    line.accountId = msg.accountIdentification;
    line.currency = msg.currency;
    line.amount = txn.signedAmount;
    line.bookingDate = txn.entryDate ?? txn.valueDate;
    line.valueDate = txn.valueDate;
    line.endToEndId = eref && eref !== 'NOTPROVIDED' ? eref : undefined;
    line.bankReference = txn.bankReference;
    line.customerReference = customerReference;
    line.remittanceInformation = remittance || undefined;
    line.counterparty = counterparty || undefined;
    line.typeCode = txn.transactionType;
    // REC-MT940-8: the entry's bank-specific fields (:NS: and the like), raw (masked) text in file order.
    line.otherFields = txn.otherFields && txn.otherFields.length > 0 ? txn.otherFields.map((field) => ({ tag: field.tag, text: field.text, line: field.line })) : undefined;
    line.position = { file: this.ctx.file, line: txn.line };
    open.lineCount++;
    this.sink.line(open.statementIndex, finishLine(line));
  }

  private finishMessage(terminated: boolean, line: number, atEof: boolean): void {
    const open = this.current!;
    this.current = undefined;
    this.completePending(open);
    foldSmall(open);
    const msg = open.msg;
    msg.terminated = terminated;
    const where = this.pos(line);
    const name = `the statement that starts at line ${msg.line}`;
    const truncated = atEof && !terminated ? ' (truncated file?)' : '';
    if (!msg.accountIdentification) fail(where, `${name} has no :25: account identification${truncated}`);
    if (!msg.statementNumber) fail(where, `${name} has no :28C: statement number${truncated}`);
    let balance;
    if (msg.kind === 'mt940') {
      if (!msg.openingBalance) fail(where, `${name} has no :60F:/:60M: opening balance${truncated}`);
      if (!msg.closingBalance) fail(where, `${name} has no :62F:/:62M: closing balance${truncated}`);
      const currency = msg.currency;
      const signed = (b: Mt940Balance): bigint => {
        const minor = decimalToMinor(b.amount, b.currency, where, this.ctx.trailingZeros);
        return b.mark === 'D' ? -minor : minor;
      };
      const opening = signed(msg.openingBalance);
      let closing = signed(msg.closingBalance);
      let fault: string | undefined;
      if (msg.closingBalance.currency !== currency) {
        fault = `closing balance is in ${msg.closingBalance.currency}, the opening balance in ${currency}`;
        closing = decimalToMinor(msg.closingBalance.amount, currency, where, this.ctx.trailingZeros) * (msg.closingBalance.mark === 'D' ? -1n : 1n);
      }
      balance = balanceProof(open.statementId, msg.accountIdentification, currency, opening, open.movements, closing, fault);
    } else {
      if (!open.saw13D) fail(where, `${name} has no :13D: date/time indication${truncated}`);
      if (atEof && !terminated && !msg.sumDebits && !msg.sumCredits) {
        fail(where, `${name} ends without :90D:/:90C: sums or a "-" terminator (truncated file?)`);
      }
      for (const [label, sum, actual] of [
        ['90D', msg.sumDebits, open.debits],
        ['90C', msg.sumCredits, open.credits],
      ] as const) {
        if (!sum) continue;
        const expected = decimalToMinor(sum.amount, sum.currency, where, this.ctx.trailingZeros);
        if (sum.count !== actual.count || expected !== actual.minor) {
          // Counts only: the sums are field content.
          fail(
            where,
            `${name}: :${label}: does not match the report's ${label === '90D' ? 'debit' : 'credit'} entries (it says ${sum.count} entries, the report has ${actual.count}${sum.count === actual.count ? ' with a different sum' : ''})`,
          );
        }
      }
    }
    // REC-MT940-7: a final message may end without "-" when it has its final closing balance (:62F:).
    const closedFinal = msg.kind === 'mt940' && msg.closingBalance !== undefined && !msg.closingBalance.intermediate;
    if (atEof && !terminated && this.terminatorsSeen > 0 && !closedFinal) {
      fail(where, `${name} has no "-" terminator although the earlier messages do (truncated file?)`);
    }
    this.messages++;
    this.options.onMessage?.(msg);
    this.sink.statement(
      finishSummary({
        index: open.statementIndex,
        statementId: open.statementId,
        accountId: msg.accountIdentification,
        currency: msg.currency,
        lineCount: open.lineCount,
        ...(balance ? { balance } : {}),
      }),
    );
  }
}

/** :13D: YYMMDDHHMM±hhmm → "YYYY-MM-DDTHH:MM±hh:mm". */
function parseDateTimeIndication(text: string, position: SourcePosition): string {
  const match = /^([0-9]{6})([0-9]{2})([0-9]{2})([+-])([0-9]{2})([0-9]{2})$/.exec(text);
  if (!match) fail(position, ':13D: is not YYMMDDHHMM±hhmm');
  const date = yymmdd(match[1]!, position, ':13D: date');
  const hour = Number(match[2]);
  const minute = Number(match[3]);
  if (hour > 23 || minute > 59) fail(position, `:13D: time ${match[2]}${match[3]} is not a time of day`);
  return `${date}T${match[2]}:${match[3]}${match[4]}${match[5]}:${match[6]}`;
}

/**
 * Parses a whole MT940/MT942 text into messages with their transactions (no StatementLines):
 * for tests and tools. Throws StatementParseError like the streaming parser.
 */
export function parseMt940Text(text: string, file = '<text>'): Mt940Message[] {
  const messages: Mt940Message[] = [];
  const parser = new Mt940Parser(
    { file, hashPrefix: '000000000000', format: 'mt940' },
    { line: () => undefined, statement: () => undefined },
    { collectTransactions: true, onMessage: (m) => messages.push(m) },
  );
  parser.push(text);
  parser.end();
  return messages;
}
