/**
 * Compact, integer-only views of one partition's rows, built once per matchPartition call:
 * amounts as safe-integer minor units, dates as day numbers, references normalised.
 *
 * Amounts: the public API carries decimal strings. Here each amount is parsed once, with the same
 * validation as `toMinorUnits` (decimal syntax, the currency's precision), into an integer number
 * of minor units. It is used as a JS number only when proven integral and within
 * Number.MAX_SAFE_INTEGER (±9,007,199,254,740,991 minor units); anything larger is rejected with
 * MatchInputError rather than rounded. Sums are checked with Number.isSafeInteger before use.
 */
import type { LedgerEntry, StatementLine } from '../types';
import type { LedgerRows } from '../ledger-rows';
import { statementRowsOf, type StatementRows } from '../statement-rows';
import { currencyExponent, MoneyError } from '../../domain/money';

/** A problem with the rows handed to the matcher (bad amount, bad date, duplicate id, mixed partition). */
export class MatchInputError extends Error {
  override name = 'MatchInputError';
}

/** Marks a missing date. */
export const NO_DAY = -2147483648;

/** Days since 1970-01-01 for a valid "YYYY-MM-DD", else NaN. No Date object, no time zone. */
export function dayNumber(text: string): number {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return Number.NaN;
  let year = 0;
  for (let i = 0; i < 4; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    year = year * 10 + digit;
  }
  const m1 = text.charCodeAt(5) - 48;
  const m2 = text.charCodeAt(6) - 48;
  const d1 = text.charCodeAt(8) - 48;
  const d2 = text.charCodeAt(9) - 48;
  if (m1 < 0 || m1 > 1 || m2 < 0 || m2 > 9 || d1 < 0 || d1 > 3 || d2 < 0 || d2 > 9) return Number.NaN;
  const month = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  if (month < 1 || month > 12 || day < 1) return Number.NaN;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (day > monthDays) return Number.NaN;
  // Howard Hinnant's days_from_civil.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Parses a signed decimal string into an integer count of minor units, validated like
 * `toMinorUnits` (no exponent, no leading zeros, at most `exponent` decimals). Returns the number
 * only when it is a safe integer; throws MoneyError otherwise.
 */
export function safeMinorUnits(value: string, currency: string, exponent: number): number {
  const length = value.length;
  let i = 0;
  let negative = false;
  if (length > 0 && value.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  const wholeStart = i;
  let minor = 0;
  while (i < length) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    minor = minor * 10 + digit;
    i += 1;
  }
  const wholeDigits = i - wholeStart;
  let ok = wholeDigits > 0 && !(wholeDigits > 1 && value.charCodeAt(wholeStart) === 48);
  let decimals = 0;
  if (ok && i < length) {
    if (value.charCodeAt(i) !== 46) ok = false;
    else {
      i += 1;
      while (i < length) {
        const digit = value.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9) {
          ok = false;
          break;
        }
        minor = minor * 10 + digit;
        decimals += 1;
        i += 1;
      }
      if (decimals === 0) ok = false;
    }
  }
  if (!ok) throw new MoneyError(`amount "${value}" is not a decimal string`);
  if (decimals > exponent) throw new MoneyError(`amount "${value}" has ${decimals} decimal places; ${currency} allows ${exponent}`);
  for (let pad = decimals; pad < exponent; pad += 1) minor *= 10;
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`amount "${value}" ${currency} exceeds the matcher's exact integer range`);
  if (minor === 0) return 0;
  return negative ? -minor : minor;
}

const WHITESPACE = /\s+/g;

/** Case/whitespace normalisation of a reference; undefined when empty or in `ignored`. */
export function normaliseReference(value: string | undefined | null, ignored: ReadonlySet<string>): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let clean = true;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    // Fast path: printable ASCII without lower case letters needs no rewriting.
    if (code <= 32 || code >= 127 || (code >= 97 && code <= 122)) {
      clean = false;
      break;
    }
  }
  const normal = clean ? value : value.replace(WHITESPACE, '').toUpperCase();
  if (normal === '' || ignored.has(normal)) return undefined;
  return normal;
}

/** Statement reference fields, in the engine's field order. */
export const STATEMENT_FIELDS = ['endToEndId', 'bankReference', 'customerReference', 'batchReference'] as const;
export const FIELD_INDEX: Readonly<Record<string, number>> = { endToEndId: 0, bankReference: 1, customerReference: 2, batchReference: 3 };

/** One side of a partition, in canonical (id) order. */
export interface Side {
  readonly kind: 'statement' | 'ledger';
  readonly n: number;
  readonly ids: string[];
  /** Minor units (safe integers). */
  readonly amt: Float64Array;
  /** Booking / value day numbers, NO_DAY when absent. */
  readonly book: Int32Array;
  readonly val: Int32Array;
  /**
   * refs[field][row]: statement has 4 fields (e2e, bank, customer, and the batch reference of a
   * batch item line, REC-IN-6), ledger 1 (reference).
   */
  readonly refs: Array<Array<string | undefined>>;
  /** Statement only: batchItemCount, 0 when absent. */
  readonly batchCount: Int32Array | null;
  /** Statement only: the item's place in its batch (batchItem.index), 0 when the line is no batch item. */
  readonly batchItem: Int32Array | null;
  readonly used: Uint8Array;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function requireDay(text: string | null | undefined, what: string, id: string, optional: boolean): number {
  if (text === null || text === undefined || text === '') {
    if (optional) return NO_DAY;
    throw new MatchInputError(`${what} "${id}": missing date`);
  }
  const day = dayNumber(text);
  if (Number.isNaN(day)) throw new MatchInputError(`${what} "${id}": "${text}" is not a YYYY-MM-DD date`);
  return day;
}

function checkPartition(accountId: string, currency: string, rowAccountId: string, rowCurrency: string, what: string, id: string): void {
  if (rowAccountId !== accountId || rowCurrency !== currency) {
    throw new MatchInputError(`${what} "${id}": account/currency ${rowAccountId}/${rowCurrency} does not belong to partition ${accountId}/${currency}`);
  }
}

function amountOf(value: string, currency: string, exponent: number, what: string, id: string): number {
  try {
    return safeMinorUnits(value, currency, exponent);
  } catch (error) {
    throw new MatchInputError(`${what} "${id}": ${error instanceof Error ? error.message : String(error)}`);
  }
}

const STATEMENT = 'statement line';
const LEDGER = 'ledger entry';

function exponentOf(currency: string, what: string, id: string | undefined): number {
  try {
    return currencyExponent(currency);
  } catch (error) {
    throw new MatchInputError(`${what} "${id ?? '?'}": ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The statement side of a partition of lines held as objects, in line-id order. */
export function statementSide(lines: readonly StatementLine[], accountId: string, currency: string, ignored: ReadonlySet<string>): Side {
  return statementSideOfRows(statementRowsOf(lines), null, accountId, currency, ignored, true);
}

/**
 * The statement side of a partition, in line-id order, read from `rows` field by field
 * (REC-PERF-1): the partition's lines are the rows `places` names (all of `rows` when null). With
 * `checkRows` false the caller has grouped the rows by their account and currency already
 * (each row's are the partition's). With `order` (as long as the side), order[i] gets the row of
 * `rows` that is the side's row i.
 */
export function statementSideOfRows(
  rows: StatementRows,
  places: Int32Array | number[] | null,
  accountId: string,
  currency: string,
  ignored: ReadonlySet<string>,
  checkRows: boolean,
  order?: Int32Array,
): Side {
  const n = places === null ? rows.length : places.length;
  // Each id read once, in the rows' order; the places sorted by it (a stable sort: the
  // permutation a sort of the lines by id gives).
  const rowOf = new Int32Array(n);
  const rowIds = new Array<string>(n);
  const sorted: number[] = [];
  for (let k = 0; k < n; k += 1) {
    const row = places === null ? k : places[k]!;
    rowOf[k] = row;
    rowIds[k] = rows.statementLineId(row);
    sorted.push(k);
  }
  sorted.sort((a, b) => compareIds(rowIds[a]!, rowIds[b]!));
  const exponent = n ? exponentOf(currency, STATEMENT, rowIds[sorted[0]!]) : 0;
  const ids = new Array<string>(n);
  const amt = new Float64Array(n);
  const book = new Int32Array(n);
  const val = new Int32Array(n);
  const e2e = new Array<string | undefined>(n);
  const bank = new Array<string | undefined>(n);
  const cust = new Array<string | undefined>(n);
  const batchCount = new Int32Array(n);
  const batchItem = new Int32Array(n);
  const batchRef = new Array<string | undefined>(n);
  for (let i = 0; i < n; i += 1) {
    const k = sorted[i]!;
    const row = rowOf[k]!;
    const id = rowIds[k]!;
    if (typeof id !== 'string' || id === '') throw new MatchInputError(`statement line #${i}: missing statementLineId`);
    if (i > 0 && ids[i - 1] === id) throw new MatchInputError(`${STATEMENT} "${id}": duplicate statementLineId (each line must be given once)`);
    if (checkRows) checkPartition(accountId, currency, rows.accountId(row), rows.currency(row), STATEMENT, id);
    if (order !== undefined) order[i] = row;
    ids[i] = id;
    amt[i] = amountOf(rows.amount(row), currency, exponent, STATEMENT, id);
    book[i] = requireDay(rows.bookingDate(row), STATEMENT, id, true);
    val[i] = requireDay(rows.valueDate(row), STATEMENT, id, true);
    e2e[i] = normaliseReference(rows.endToEndId(row), ignored);
    bank[i] = normaliseReference(rows.bankReference(row), ignored);
    cust[i] = normaliseReference(rows.customerReference(row), ignored);
    const count = rows.batchItemCount(row);
    batchCount[i] = typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 0;
    batchRef[i] = normaliseReference(rows.batchReference(row), ignored);
    const index = rows.batchItem(row)?.index;
    batchItem[i] = typeof index === 'number' && Number.isInteger(index) && index > 0 && index <= 2147483647 ? index : 0;
  }
  return { kind: 'statement', n, ids, amt, book, val, refs: [e2e, bank, cust, batchRef], batchCount, batchItem, used: new Uint8Array(n) };
}

/**
 * The ledger side of a partition, in entry-id order. REC-PERF-1: a ledger's entries usually come in
 * id order already (a ledger file lists them so), and a partition's entries lie far apart in
 * memory: they are read once, as they come, and only entries in another order (or with a fault,
 * reported as the sorted reading reports it) are read again, sorted.
 */
export function ledgerSide(entries: readonly LedgerEntry[], accountId: string, currency: string, ignored: ReadonlySet<string>): Side {
  return (
    readLedgerSide(entries, accountId, currency, ignored, true) ??
    readLedgerSide(
      entries.slice().sort((a, b) => compareIds(a.entryId, b.entryId)),
      accountId,
      currency,
      ignored,
      false,
    )!
  );
}

/** `sorted` read as the ledger side; with `onlyInOrder`, undefined as soon as it is not in strictly ascending id order or has a fault. */
function readLedgerSide(sorted: readonly LedgerEntry[], accountId: string, currency: string, ignored: ReadonlySet<string>, onlyInOrder: boolean): Side | undefined {
  const n = sorted.length;
  const ids = new Array<string>(n);
  const amt = new Float64Array(n);
  const book = new Int32Array(n);
  const val = new Int32Array(n);
  const ref = new Array<string | undefined>(n);
  try {
    const exponent = n ? exponentOf(currency, LEDGER, sorted[0]!.entryId) : 0;
    for (let i = 0; i < n; i += 1) {
      const entry = sorted[i]!;
      const id = entry.entryId;
      if (typeof id !== 'string' || id === '') throw new MatchInputError(`ledger entry #${i}: missing entryId`);
      if (onlyInOrder && i > 0 && !(ids[i - 1]! < id)) return undefined;
      if (i > 0 && ids[i - 1] === id) throw new MatchInputError(`${LEDGER} "${id}": duplicate entryId (each entry must be given once)`);
      checkPartition(accountId, currency, entry.accountId, entry.currency, LEDGER, id);
      ids[i] = id;
      amt[i] = amountOf(entry.amount, currency, exponent, LEDGER, id);
      book[i] = requireDay(entry.bookingDate, LEDGER, id, false);
      val[i] = requireDay(entry.valueDate, LEDGER, id, true);
      ref[i] = normaliseReference(entry.reference, ignored);
    }
  } catch (error) {
    if (onlyInOrder && error instanceof MatchInputError) return undefined;
    throw error;
  }
  return { kind: 'ledger', n, ids, amt, book, val, refs: [ref], batchCount: null, batchItem: null, used: new Uint8Array(n) };
}

/**
 * The ledger sides of many partitions at once, read in the entries' own order (REC-PERF-1): a
 * partition's entries lie far apart in memory, so reading them partition by partition costs a
 * cache miss per field; read as they come, each entry's fields are written straight into its
 * partition's columns. `partitionOf[i]` is the partition of `entries[i]`, `counts[p]` the number
 * of entries of partition p, `partitions[p]` its account and currency.
 *
 * A side comes back only for a partition whose entries arrive in strictly ascending id order
 * without a fault, read exactly as ledgerSide reads them; any other partition is `undefined`, for
 * ledgerSide to read (sorted, and reporting its first fault as it always does).
 */
export function ledgerSidesInOrder(
  entries: LedgerRows,
  partitionOf: Int32Array,
  counts: Int32Array,
  partitions: ReadonlyArray<{ accountId: string; currency: string }>,
  ignored: ReadonlySet<string>,
): Array<Side | undefined> {
  const count = counts.length;
  const filled = new Int32Array(count);
  const ok = new Uint8Array(count).fill(1);
  const exponents = new Int32Array(count).fill(-1);
  const ids: string[][] = [];
  const amts: Float64Array[] = [];
  const books: Int32Array[] = [];
  const vals: Int32Array[] = [];
  const refs: Array<Array<string | undefined>> = [];
  for (let p = 0; p < count; p += 1) {
    const n = counts[p]!;
    ids.push(new Array<string>(n));
    amts.push(new Float64Array(n));
    books.push(new Int32Array(n));
    vals.push(new Int32Array(n));
    refs.push(new Array<string | undefined>(n));
  }
  for (let e = 0; e < entries.length; e += 1) {
    const p = partitionOf[e]!;
    if (!ok[p]) continue;
    const i = filled[p]!;
    filled[p] = i + 1;
    const { accountId, currency } = partitions[p]!;
    const column = ids[p]!;
    const id = entries.entryId(e);
    if (typeof id !== 'string' || id === '' || (i > 0 && !(column[i - 1]! < id)) || entries.accountId(e) !== accountId || entries.currency(e) !== currency) {
      ok[p] = 0;
      continue;
    }
    try {
      let exponent = exponents[p]!;
      if (exponent < 0) exponents[p] = exponent = exponentOf(currency, LEDGER, id);
      column[i] = id;
      amts[p]![i] = amountOf(entries.amount(e), currency, exponent, LEDGER, id);
      books[p]![i] = requireDay(entries.bookingDate(e), LEDGER, id, false);
      vals[p]![i] = requireDay(entries.valueDate(e), LEDGER, id, true);
      refs[p]![i] = normaliseReference(entries.reference(e), ignored);
    } catch {
      ok[p] = 0;
    }
  }
  const sides: Array<Side | undefined> = [];
  for (let p = 0; p < count; p += 1) {
    const n = counts[p]!;
    sides.push(
      ok[p] && filled[p] === n
        ? { kind: 'ledger', n, ids: ids[p]!, amt: amts[p]!, book: books[p]!, val: vals[p]!, refs: [refs[p]!], batchCount: null, batchItem: null, used: new Uint8Array(n) }
        : undefined,
    );
  }
  return sides;
}

/** The row's own date for age and day buckets: booking date, else value date, else NO_DAY. */
export function primaryDay(side: Side, i: number): number {
  const book = side.book[i]!;
  return book !== NO_DAY ? book : side.val[i]!;
}
