/**
 * CSV bank exports through a named column-mapping profile (CsvProfile): delimiter, quote, header
 * row or not, preamble lines, encoding (UTF-8 with or without BOM, or cp1252), date format,
 * decimal and thousands separators, and the amount as one signed column, separate debit/credit
 * columns, or an amount plus a debit/credit indicator column.
 *
 * RFC 4180 quoting: fields may be quoted; a doubled quote inside a quoted field is a literal
 * quote; quoted fields may contain delimiters and line breaks. A line with an unterminated quote
 * at the end of the file is an error (truncated file).
 *
 * One statement per (account, currency), numbered in order of first appearance. CSV exports carry
 * no opening/closing balances here, so there is no balance proof.
 *
 * Bounds (REC-IN-1): a physical line and a record (CSV_LIMITS, refused as soon as they pass it),
 * every mapped column by what it feeds (CSV_FIELDS) and every other field by CSV_LIMITS.field.
 * Errors name the column and the line, never the cell (PCI-3); the account and references are
 * masked as identifiers, the description and counterparty as free text (PCI-2).
 */
import { type SourcePosition, type StatementLine } from '../types';
import {
  checkControls,
  checkCurrency,
  decimalToMinor,
  fail,
  finishLine,
  finishSummary,
  formatMinor,
  isoDate,
  maskIdentifier,
  statementLineId,
  tooLong,
  type ParseContext,
  type StatementSink,
  type TextParser,
} from './common';
import { CSV_FIELDS, CSV_LIMITS } from './limits';

export type CsvDateFormat = 'YYYY-MM-DD' | 'YYYY/MM/DD' | 'YYYYMMDD' | 'DD/MM/YYYY' | 'MM/DD/YYYY' | 'DD.MM.YYYY' | 'DD-MM-YYYY';

/** A column by header name (header: true) or by 0-based index. */
export type CsvColumn = string | number;

export type CsvAmount =
  /** One column, negative = money out. Accepts "-12.30", "+12.30", "(12.30)", "12.30-". */
  | { kind: 'signed'; column: CsvColumn }
  /** Money out in `debit`, money in in `credit`; the other is empty (or zero). A sign in the debit column is ignored. */
  | { kind: 'debitCredit'; debit: CsvColumn; credit: CsvColumn }
  /** An unsigned amount plus a column saying which way it goes. */
  | { kind: 'indicator'; column: CsvColumn; indicator: CsvColumn; debitValues: string[]; creditValues: string[] };

export interface CsvColumns {
  account?: CsvColumn;
  currency?: CsvColumn;
  bookingDate: CsvColumn;
  valueDate?: CsvColumn;
  endToEndId?: CsvColumn;
  bankReference?: CsvColumn;
  customerReference?: CsvColumn;
  /** → remittanceInformation */
  description?: CsvColumn;
  counterparty?: CsvColumn;
  typeCode?: CsvColumn;
  status?: CsvColumn;
}

export interface CsvProfile {
  name: string;
  /** One character: ',', ';', '\t', '|'. */
  delimiter: string;
  /** One character, usually '"'. */
  quote: string;
  header: boolean;
  /** UTF-8 (a leading BOM is removed) or cp1252 (a UTF-8 BOM is then an error). */
  encoding: 'utf8' | 'cp1252';
  /** Lines to skip before the header/data (bank export preambles). */
  skipLines?: number;
  dateFormat: CsvDateFormat;
  decimalSeparator: '.' | ',';
  thousandsSeparator?: '' | ',' | '.' | ' ' | "'";
  amount: CsvAmount;
  columns: CsvColumns;
  /** Fixed account when the file has no account column. */
  account?: string;
  /** Fixed currency when the file has no currency column. */
  currency?: string;
}

export class CsvProfileError extends Error {
  override name = 'CsvProfileError';
}

const DATE_PATTERNS: Record<CsvDateFormat, { re: RegExp; y: number; m: number; d: number }> = {
  'YYYY-MM-DD': { re: /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$/, y: 1, m: 2, d: 3 },
  'YYYY/MM/DD': { re: /^([0-9]{4})\/([0-9]{1,2})\/([0-9]{1,2})$/, y: 1, m: 2, d: 3 },
  YYYYMMDD: { re: /^([0-9]{4})([0-9]{2})([0-9]{2})$/, y: 1, m: 2, d: 3 },
  'DD/MM/YYYY': { re: /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/, y: 3, m: 2, d: 1 },
  'MM/DD/YYYY': { re: /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/, y: 3, m: 1, d: 2 },
  'DD.MM.YYYY': { re: /^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$/, y: 3, m: 2, d: 1 },
  'DD-MM-YYYY': { re: /^([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})$/, y: 3, m: 2, d: 1 },
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Checks a profile for contradictions; throws CsvProfileError. */
export function validateCsvProfile(profile: CsvProfile): void {
  const bad = (why: string): never => {
    throw new CsvProfileError(`CSV profile "${profile.name}": ${why}`);
  };
  if (profile.delimiter.length !== 1) bad('delimiter must be one character');
  if (profile.quote.length !== 1) bad('quote must be one character');
  if (profile.delimiter === profile.quote) bad('delimiter and quote must differ');
  if (profile.encoding !== 'utf8' && profile.encoding !== 'cp1252') bad(`encoding "${String(profile.encoding)}" must be utf8 or cp1252`);
  if (!DATE_PATTERNS[profile.dateFormat]) bad(`date format "${profile.dateFormat}" is not supported`);
  if (profile.decimalSeparator !== '.' && profile.decimalSeparator !== ',') bad('decimal separator must be "." or ","');
  const thousands = profile.thousandsSeparator ?? '';
  if (thousands === profile.decimalSeparator) bad('thousands and decimal separators must differ');
  if (profile.skipLines !== undefined && (!Number.isInteger(profile.skipLines) || profile.skipLines < 0)) bad('skipLines must be a whole number');
  if (profile.columns.account === undefined && !profile.account) bad('needs an account column or a fixed account');
  if (profile.columns.currency === undefined && !profile.currency) bad('needs a currency column or a fixed currency');
  const columns: CsvColumn[] = Object.values(profile.columns).filter((c): c is CsvColumn => c !== undefined);
  const a = profile.amount;
  if (a.kind === 'signed') columns.push(a.column);
  else if (a.kind === 'debitCredit') columns.push(a.debit, a.credit);
  else if (a.kind === 'indicator') {
    columns.push(a.column, a.indicator);
    if (a.debitValues.length === 0 || a.creditValues.length === 0) bad('indicator amounts need debit and credit values');
  } else bad('amount kind must be signed, debitCredit or indicator');
  for (const c of columns) {
    if (typeof c === 'number' ? !Number.isInteger(c) || c < 0 : c.length === 0) bad(`column reference ${JSON.stringify(c)} is invalid`);
    if (!profile.header && typeof c === 'string') bad(`column "${c}" is named but the file has no header row: use 0-based indexes`);
  }
}

interface Compiled {
  amount: (text: string, currency: string, position: SourcePosition, what: string) => bigint | undefined;
  date: (text: string, position: SourcePosition, what: string) => string;
}

function compile(profile: CsvProfile, trailingZeros: 'lexical' | 'value' | undefined): Compiled {
  const dec = escapeRegExp(profile.decimalSeparator);
  const thousands = profile.thousandsSeparator ?? '';
  const body = thousands ? new RegExp(`^([0-9]{1,3}(?:${escapeRegExp(thousands)}[0-9]{3})+|[0-9]+)(?:${dec}([0-9]+))?$`) : new RegExp(`^([0-9]+)(?:${dec}([0-9]+))?$`);
  const thousandsAll = thousands ? new RegExp(escapeRegExp(thousands), 'g') : undefined;
  const datePattern = DATE_PATTERNS[profile.dateFormat];
  return {
    amount(text, currency, position, what) {
      let value = text.trim();
      if (value.length === 0) return undefined;
      let negative = false;
      if (value.startsWith('(') && value.endsWith(')')) {
        negative = true;
        value = value.slice(1, -1).trim();
      } else if (value.startsWith('-') || value.startsWith('+')) {
        negative = value[0] === '-';
        value = value.slice(1).trim();
      } else if (value.endsWith('-')) {
        negative = true;
        value = value.slice(0, -1).trim();
      }
      const match = body.exec(value);
      if (!match) fail(position, `${what} is not an amount in the profile's format (decimal "${profile.decimalSeparator}"${thousands ? `, thousands "${thousands}"` : ''})`);
      const whole = thousandsAll ? match[1]!.replace(thousandsAll, '') : match[1]!;
      const minor = decimalToMinor(match[2] !== undefined ? `${whole}.${match[2]}` : whole, currency, position, trailingZeros, what);
      return negative ? -minor : minor;
    },
    date(text, position, what) {
      const value = text.trim();
      const match = datePattern.re.exec(value);
      if (!match) fail(position, `${what} is not a ${profile.dateFormat} date`);
      return isoDate(Number(match[datePattern.y]), Number(match[datePattern.m]), Number(match[datePattern.d]), position, what);
    },
  };
}

interface CsvStatement {
  index: number;
  statementId: string;
  accountId: string;
  currency: string;
  lineCount: number;
}

/** Streaming CSV statement parser. */
export class CsvParser implements TextParser {
  private readonly compiled: Compiled;
  private carry = '';
  private lineNumber = 0;
  /** A record whose quoted field spans lines. */
  private partial: { fields: string[]; value: string; line: number } | undefined;
  /** Characters of the record being read (its lines and the breaks between them). */
  private recordLength = 0;
  private skipped = 0;
  private indexes: Map<string, number> | undefined;
  private headerLength = 0;
  private headerLine = 0;
  private readonly statements = new Map<string, CsvStatement>();
  private statementIndex: number;
  private rows = 0;
  private readonly quoteCode: number;

  constructor(
    private readonly ctx: ParseContext,
    private readonly sink: StatementSink,
    private readonly profile: CsvProfile,
    firstStatementIndex = 0,
  ) {
    validateCsvProfile(profile);
    this.compiled = compile(profile, ctx.trailingZeros);
    this.statementIndex = firstStatementIndex;
    this.quoteCode = profile.quote.charCodeAt(0);
  }

  push(text: string): void {
    const data = this.carry ? this.carry + text : text;
    let start = 0;
    let nl = data.indexOf('\n');
    while (nl !== -1) {
      const end = nl > start && data.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end - start > CSV_LIMITS.line) this.lineTooLong(this.lineNumber + 1);
      this.onLine(data.slice(start, end));
      start = nl + 1;
      nl = data.indexOf('\n', start);
    }
    this.carry = start < data.length ? data.slice(start) : '';
    // REC-IN-1: refused before the rest of an over-long line is read.
    if (this.carry.length - (this.carry.endsWith('\r') ? 1 : 0) > CSV_LIMITS.line) this.lineTooLong(this.lineNumber + 1);
  }

  line(): number {
    return Math.max(1, this.lineNumber);
  }

  private lineTooLong(line: number): never {
    const record = this.partial ? ` (inside the record that starts at line ${this.partial.line}: an unterminated quote?)` : '';
    tooLong(this.pos(line), `a line${record}`, CSV_LIMITS.line);
  }

  end(): void {
    if (this.carry.length > 0) {
      const line = this.carry.endsWith('\r') ? this.carry.slice(0, -1) : this.carry;
      this.carry = '';
      this.onLine(line);
    }
    if (this.partial) fail(this.pos(this.partial.line), 'the file ends inside a quoted field (truncated file? an unterminated quote?)');
    if (this.profile.header && !this.indexes) fail(this.pos(Math.max(1, this.lineNumber)), 'the file has no header row');
    if (this.rows === 0) fail(this.pos(Math.max(1, this.lineNumber)), 'the file has no statement lines');
    for (const s of this.statements.values()) {
      this.sink.statement(finishSummary({ index: s.index, statementId: s.statementId, accountId: s.accountId, currency: s.currency, lineCount: s.lineCount }));
    }
  }

  private pos(line: number): SourcePosition {
    return { file: this.ctx.file, line };
  }

  private onLine(line: string): void {
    this.lineNumber++;
    checkControls(line, this.pos(this.lineNumber));
    if (this.skipped < (this.profile.skipLines ?? 0) && !this.partial) {
      this.skipped++;
      return;
    }
    const fields = this.fields(line);
    if (fields === undefined) return; // inside a multi-line quoted field
    const recordLine = this.partialLine ?? this.lineNumber;
    this.partialLine = undefined;
    for (let i = 0; i < fields.length; i++) {
      if (fields[i]!.length > CSV_LIMITS.field) tooLong(this.pos(recordLine), `field ${i + 1}`, CSV_LIMITS.field);
    }
    if (fields.every((f) => f.trim().length === 0)) return;
    if (this.profile.header && !this.indexes) {
      this.header(fields, recordLine);
      return;
    }
    this.record(fields, recordLine);
  }

  private partialLine: number | undefined;

  /** Splits a physical line into fields, continuing a quoted field across lines; undefined while one is open. */
  private fields(line: string): string[] | undefined {
    const q = this.quoteCode;
    const delimiter = this.profile.delimiter;
    if (!this.partial && line.indexOf(this.profile.quote) === -1) return line.split(delimiter);
    const d = delimiter.charCodeAt(0);
    let fields: string[];
    let value: string;
    let i = 0;
    let quoted: boolean;
    if (this.partial) {
      // REC-IN-1: a record spanning lines is refused as soon as it passes CSV_LIMITS.record.
      this.recordLength += line.length + 1;
      if (this.recordLength > CSV_LIMITS.record) {
        tooLong(this.pos(this.partial.line), `the record that starts at line ${this.partial.line} (an unterminated quote?)`, CSV_LIMITS.record);
      }
      fields = this.partial.fields;
      value = `${this.partial.value}\n`;
      quoted = true;
    } else {
      this.recordLength = line.length;
      fields = [];
      value = '';
      quoted = false;
      if (line.charCodeAt(0) === q) {
        quoted = true;
        i = 1;
      }
    }
    const n = line.length;
    for (;;) {
      if (quoted) {
        const close = line.indexOf(this.profile.quote, i);
        if (close === -1) {
          value += line.slice(i);
          if (value.length > CSV_LIMITS.field) tooLong(this.pos(this.partialLine ?? this.lineNumber), `field ${fields.length + 1} (a quoted field: an unterminated quote?)`, CSV_LIMITS.field);
          this.partialLine ??= this.lineNumber;
          this.partial = { fields, value, line: this.partialLine };
          return undefined;
        }
        value += line.slice(i, close);
        if (line.charCodeAt(close + 1) === q) {
          value += this.profile.quote;
          i = close + 2;
          continue;
        }
        i = close + 1;
        quoted = false;
        this.partial = undefined;
        if (i < n && line.charCodeAt(i) !== d) fail(this.pos(this.lineNumber), `unexpected text after a closing quote in field ${fields.length + 1}`);
      } else {
        const next = line.indexOf(delimiter, i);
        const end = next === -1 ? n : next;
        const chunk = line.slice(i, end);
        if (chunk.indexOf(this.profile.quote) !== -1) fail(this.pos(this.lineNumber), `a quote inside unquoted field ${fields.length + 1}: quote the whole field`);
        value += chunk;
        i = end;
      }
      if (i >= n) {
        fields.push(value);
        return fields;
      }
      // at a delimiter
      fields.push(value);
      value = '';
      i++;
      if (line.charCodeAt(i) === q) {
        quoted = true;
        i++;
      } else if (i >= n) {
        fields.push('');
        return fields;
      }
    }
  }

  private header(fields: string[], line: number): void {
    this.headerLine = line;
    this.headerLength = fields.length;
    const exact = new Map<string, number>();
    const folded = new Map<string, number>();
    fields.forEach((f, i) => {
      const name = f.trim();
      if (!exact.has(name)) exact.set(name, i);
      if (!folded.has(name.toLowerCase())) folded.set(name.toLowerCase(), i);
    });
    const indexes = new Map<string, number>();
    const resolve = (column: CsvColumn | undefined): void => {
      if (column === undefined || typeof column === 'number') return;
      const index = exact.get(column) ?? folded.get(column.toLowerCase());
      // The profile's column name, not the file's header cells (file content).
      if (index === undefined) fail(this.pos(line), `the header has no column "${column}" (profile ${this.profile.name}); it has ${fields.length} columns`);
      indexes.set(column, index);
    };
    for (const c of Object.values(this.profile.columns)) resolve(c);
    const a = this.profile.amount;
    if (a.kind === 'signed') resolve(a.column);
    else if (a.kind === 'debitCredit') {
      resolve(a.debit);
      resolve(a.credit);
    } else {
      resolve(a.column);
      resolve(a.indicator);
    }
    this.indexes = indexes;
  }

  /** A mapped column's value, bounded by what it feeds (CSV_FIELDS[kind], REC-IN-1); undefined when empty. */
  private value(fields: string[], column: CsvColumn | undefined, line: number, kind: keyof typeof CSV_FIELDS & string): string | undefined {
    if (column === undefined) return undefined;
    const index = typeof column === 'number' ? column : this.indexes!.get(column)!;
    if (index >= fields.length) fail(this.pos(line), `the line has ${fields.length} fields; column ${JSON.stringify(column)} is field ${index + 1}`);
    const value = fields[index]!.trim();
    const limit = CSV_FIELDS[kind]!;
    if (value.length > limit) tooLong(this.pos(line), `column ${JSON.stringify(column)} (${kind})`, limit);
    return value.length > 0 ? value : undefined;
  }

  private record(fields: string[], line: number): void {
    const profile = this.profile;
    const position = this.pos(line);
    if (profile.header && fields.length !== this.headerLength) {
      fail(position, `the line has ${fields.length} fields but the header (line ${this.headerLine}) has ${this.headerLength}`);
    }
    const c = profile.columns;
    const rawAccount = this.value(fields, c.account, line, 'account') ?? profile.account;
    if (!rawAccount) fail(position, 'no account');
    const accountId = maskIdentifier(rawAccount);
    const currencyText = this.value(fields, c.currency, line, 'currency') ?? profile.currency;
    if (!currencyText) fail(position, 'no currency');
    const currency = checkCurrency(currencyText.toUpperCase(), position);

    let minor: bigint;
    const a = profile.amount;
    if (a.kind === 'signed') {
      const amount = this.compiled.amount(this.value(fields, a.column, line, 'amount') ?? '', currency, position, 'amount');
      if (amount === undefined) fail(position, 'the amount is empty');
      minor = amount;
    } else if (a.kind === 'debitCredit') {
      const debit = this.compiled.amount(this.value(fields, a.debit, line, 'amount') ?? '', currency, position, 'debit amount');
      const credit = this.compiled.amount(this.value(fields, a.credit, line, 'amount') ?? '', currency, position, 'credit amount');
      const debitSet = debit !== undefined && debit !== 0n;
      const creditSet = credit !== undefined && credit !== 0n;
      if (debitSet && creditSet) fail(position, 'both the debit and the credit amount are filled in');
      if (debit === undefined && credit === undefined) fail(position, 'neither a debit nor a credit amount');
      if (credit !== undefined && credit < 0n) fail(position, 'the credit amount is negative');
      minor = debitSet ? -(debit! < 0n ? -debit! : debit!) : (credit ?? 0n);
    } else {
      const amount = this.compiled.amount(this.value(fields, a.column, line, 'amount') ?? '', currency, position, 'amount');
      if (amount === undefined) fail(position, 'the amount is empty');
      if (amount < 0n) fail(position, 'the amount must be unsigned: the indicator column gives the direction');
      const indicator = (this.value(fields, a.indicator, line, 'indicator') ?? '').toUpperCase();
      if (a.debitValues.some((v) => v.toUpperCase() === indicator)) minor = -amount;
      else if (a.creditValues.some((v) => v.toUpperCase() === indicator)) minor = amount;
      else fail(position, `the debit/credit indicator is none of ${[...a.debitValues, ...a.creditValues].join(', ')}`);
    }

    const bookingText = this.value(fields, c.bookingDate, line, 'bookingDate');
    if (!bookingText) fail(position, 'the booking date is empty');
    const bookingDate = this.compiled.date(bookingText, position, 'booking date');
    const valueText = this.value(fields, c.valueDate, line, 'valueDate');
    const valueDate = valueText ? this.compiled.date(valueText, position, 'value date') : null;

    const key = `${accountId}\u0000${currency}`;
    let statement = this.statements.get(key);
    if (!statement) {
      statement = { index: this.statementIndex++, statementId: `${accountId}/${currency}`, accountId, currency, lineCount: 0 };
      this.statements.set(key, statement);
    }
    const result: StatementLine = {
      statementLineId: statementLineId(this.ctx, statement.index, statement.lineCount),
      format: 'csv',
      statementId: statement.statementId,
      accountId,
      currency,
      amount: formatMinor(minor, currency),
      bookingDate,
      valueDate,
      status: this.value(fields, c.status, line, 'status') ?? 'BOOK',
      position,
    };
    const optional: [keyof StatementLine, CsvColumn | undefined, keyof typeof CSV_FIELDS & string][] = [
      ['endToEndId', c.endToEndId, 'endToEndId'],
      ['bankReference', c.bankReference, 'bankReference'],
      ['customerReference', c.customerReference, 'customerReference'],
      ['remittanceInformation', c.description, 'description'],
      ['counterparty', c.counterparty, 'counterparty'],
      ['typeCode', c.typeCode, 'typeCode'],
    ];
    for (const [field, column, kind] of optional) {
      const v = this.value(fields, column, line, kind);
      // "NOTPROVIDED" is the ISO 20022 / SEPA placeholder for a missing end-to-end id.
      if (v !== undefined && !(field === 'endToEndId' && v === 'NOTPROVIDED')) (result as unknown as Record<string, unknown>)[field] = v;
    }
    statement.lineCount++;
    this.rows++;
    this.sink.line(statement.index, finishLine(result));
  }
}
