/**
 * BAI2 (BAI Cash Management Balance Reporting Specifications, version 2).
 *
 * Records: 01 file header, 02 group header, 03 account identifier + summary/status, 16
 * transaction detail, 88 continuation (of the previous record's fields, or of a 16's text),
 * 49 account trailer, 98 group trailer, 99 file trailer. Fields are comma-separated and a record
 * ends with "/"; a 16 record's text runs to the end of the record and may contain commas and
 * slashes. Several records may share a physical line ("…/  16,…/"), and a 16 text wrapped onto
 * a line without an 88 prefix is joined back to it.
 *
 * Amounts have no decimal point: they are in minor units of the account's currency (03, else the
 * group's 02 currency, else USD). 03 status/summary amounts may be signed; 16 amounts are not — the
 * type code gives the direction: 100-399 and 920-959 credits, 400-699 and 960-999 debits.
 * Funds types: blank/Z/0/1/2, V (value date + time), S (three availability amounts), D (count +
 * day/amount pairs).
 *
 * Integrity checks: every 49, 98 and 99 control total (algebraic sum of the 03/88 summary and 16
 * amounts, then of the 49s, then of the 98s) and record count; account and group counts. A file
 * cut short (no 99) is an error, never a partial result.
 *
 * Balance proof per account: 010 opening ledger + the signed 16 details = 015 closing ledger,
 * when both 010 and 015 are reported; otherwise none.
 *
 * Bounds (REC-IN-1, BAI2_LIMITS): a physical line (refused as soon as it passes its bound), a
 * logical record with its 88 continuations, a 16 record's text, amounts and counts by digits, and
 * every other field. Errors name the record, the field and the line, never the content; account
 * numbers and references are masked as identifiers, 16 text as free text (PCI-2, PCI-3).
 */
import type { SourcePosition, StatementLine } from '../types';
import {
  balanceProof,
  checkControls,
  checkCurrency,
  fail,
  finishLine,
  finishSummary,
  flushLast,
  formatMinor,
  LineSplitter,
  maskIdentifier,
  statementLineId,
  tooLong,
  yymmdd,
  type ParseContext,
  type StatementSink,
  type TextParser,
} from './common';
import { BAI2_LIMITS } from './limits';

const RECORD_CODES = new Set(['01', '02', '03', '16', '49', '88', '98', '99']);
/** The record codes in words: a bare list of them ("01, 02, 03, …") reads as a digit chain to the card-number guard. */
const RECORD_LIST = '01 file header, 02 group header, 03 account, 16 detail, 49 account trailer, 88 continuation, 98 group trailer or 99 file trailer';

/** +1 credit, -1 debit, 0 neither (status codes), undefined unknown direction. */
export function bai2Direction(typeCode: number): 1 | -1 | 0 | undefined {
  if ((typeCode >= 1 && typeCode <= 99) || (typeCode >= 900 && typeCode <= 919)) return 0;
  if ((typeCode >= 100 && typeCode <= 399) || (typeCode >= 920 && typeCode <= 959)) return 1;
  if ((typeCode >= 400 && typeCode <= 699) || (typeCode >= 960 && typeCode <= 999)) return -1;
  return undefined;
}

interface PhysicalRecord {
  code: string;
  /** Content after "NN," without the terminating "/". */
  body: string;
  line: number;
  /** Ended with "/" (else ended at end of line: a 16 text may continue). */
  slashed: boolean;
}

interface LogicalRecord {
  code: string;
  parts: PhysicalRecord[];
  /** Characters of all parts (bounded by BAI2_LIMITS.record). */
  length: number;
}

interface Summary {
  typeCode: string;
  amount?: bigint;
}

interface Account {
  ordinal: number;
  line: number;
  accountNumber: string;
  currency: string;
  statementIndex: number;
  statementId: string;
  records: number;
  controlTotal: bigint;
  lineCount: number;
  movements: bigint;
  opening?: bigint;
  closing?: bigint;
}

interface Group {
  ordinal: number;
  line: number;
  originator: string;
  currency?: string;
  asOfDate: string;
  records: number;
  controlTotal: bigint;
  accounts: number;
  account?: Account;
}

/** Splits a record body into fields: a field cursor that can also return "the rest" (16 text). */
class Fields {
  private at = 0;
  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.at > this.text.length;
  }

  next(): string | undefined {
    if (this.at > this.text.length) return undefined;
    const comma = this.text.indexOf(',', this.at);
    const end = comma === -1 ? this.text.length : comma;
    const value = this.text.slice(this.at, end);
    this.at = comma === -1 ? this.text.length + 1 : comma + 1;
    return value;
  }

  rest(): string | undefined {
    if (this.at > this.text.length) return undefined;
    const value = this.text.slice(this.at);
    this.at = this.text.length + 1;
    return value;
  }
}

interface FieldSource {
  next(): string | undefined;
}

/** Fields across a record's physical parts (a 16 and its 88s): the text starts where the fields end. */
class PartFields implements FieldSource {
  private index = 0;
  private fields: Fields;

  constructor(private readonly parts: readonly string[]) {
    this.fields = new Fields(parts[0] ?? '');
  }

  next(): string | undefined {
    let value = this.fields.next();
    while (value === undefined && this.index + 1 < this.parts.length) {
      this.index++;
      this.fields = new Fields(this.parts[this.index]!);
      value = this.fields.next();
    }
    return value;
  }

  /** The rest of the current part, then the following parts (each one piece of text). */
  restParts(): string[] {
    return [this.fields.rest() ?? '', ...this.parts.slice(this.index + 1)];
  }
}

/** Streaming BAI2 parser. */
export class Bai2Parser implements TextParser {
  private readonly splitter = new LineSplitter(
    (line, n) => this.onLine(line, n),
    BAI2_LIMITS.line,
    (head, n) => {
      const code = /^\s*([0-9]{2}),/.exec(head);
      tooLong(this.pos(n), code && RECORD_CODES.has(code[1]!) ? `a line (starting a ${code[1]} record)` : 'a line', BAI2_LIMITS.line);
    },
  );
  private pending: LogicalRecord | undefined;
  /** The last physical 16 record is open (ended at end of line): a bare next line continues its text. */
  private openText = false;
  private header: { line: number; records: number; controlTotal: bigint; groups: number } | undefined;
  private group: Group | undefined;
  private finished = false;
  private statementIndex: number;
  private lastLine = 0;

  constructor(
    private readonly ctx: ParseContext,
    private readonly sink: StatementSink,
    firstStatementIndex = 0,
  ) {
    this.statementIndex = firstStatementIndex;
  }

  push(text: string): void {
    this.splitter.push(text);
  }

  end(): void {
    this.splitter.end();
    flushLast(() => this.flush(), 'record');
    if (!this.header) fail(this.pos(Math.max(1, this.lastLine)), 'no BAI2 file header (01) found');
    if (!this.finished) {
      fail(this.pos(this.lastLine), `the file ends without its 99 file trailer${this.group ? ` (inside group ${this.group.ordinal}, line ${this.group.line})` : ''} (truncated file?)`);
    }
  }

  line(): number {
    return Math.max(1, this.splitter.lineNumber);
  }

  private pos(line: number): SourcePosition {
    return { file: this.ctx.file, line };
  }

  /** REC-IN-1: a field's bound (BAI2_LIMITS.field unless given). */
  private field(value: string, position: SourcePosition, what: string, limit: number = BAI2_LIMITS.field): string {
    if (value.length > limit) tooLong(position, what, limit);
    return value;
  }

  /** Fields after the last one a record defines: each bounded all the same. */
  private fieldsAfter(f: readonly string[], from: number, position: SourcePosition, code: string): void {
    for (let k = from; k < f.length; k++) this.field(f[k]!, position, `${code} field ${k + 1}`);
  }

  // Physical layer ------------------------------------------------------------------------------

  private onLine(raw: string, n: number): void {
    const line = raw.trimEnd();
    if (line.trim().length === 0) return;
    this.lastLine = n;
    checkControls(line, this.pos(n));
    if (this.finished) fail(this.pos(n), 'content after the 99 file trailer');
    let i = 0;
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (!this.startsRecord(line, i)) {
      if (this.openText && this.pending) {
        // A 16 text wrapped onto the next line without an 88 prefix.
        const last = this.pending.parts[this.pending.parts.length - 1]!;
        const { body, end, slashed } = this.scanText(line, i);
        const added = ` ${body.trim()}`;
        last.body += added;
        this.pending.length += added.length;
        this.checkRecord(this.pending);
        last.slashed = slashed;
        this.openText = !slashed;
        i = end;
        this.records(line, i, n);
        return;
      }
      const code = /^[0-9]{2},/.test(line.slice(i, i + 3)) ? line.slice(i, i + 2) : undefined;
      const start = this.header ? '' : '; a BAI2 file starts with the 01 file header';
      fail(this.pos(n), code !== undefined ? `record code ${code} is not a BAI2 record (${RECORD_LIST})${start}` : `expected a BAI2 record code (${RECORD_LIST}) at the start of the line${start}`);
    }
    this.records(line, i, n);
  }

  private startsRecord(line: string, i: number): boolean {
    return line.charCodeAt(i + 2) === 44 /* , */ && RECORD_CODES.has(line.slice(i, i + 2));
  }

  /** Reads the records starting at `i` on this line. */
  private records(line: string, start: number, n: number): void {
    let i = start;
    while (i < line.length) {
      while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
      if (i >= line.length) return;
      const code = line.slice(i, i + 2);
      if (!this.startsRecord(line, i)) {
        if (/^[0-9]{2},/.test(line.slice(i, i + 3))) fail(this.pos(n), `record code ${code} is not a BAI2 record (${RECORD_LIST})`);
        fail(this.pos(n), `expected a BAI2 record code after column ${i} (after a "/" another record must start)`);
      }
      const bodyStart = i + 3;
      let body: string;
      let slashed: boolean;
      let end: number;
      const isText = code === '16' || (code === '88' && this.pending?.code === '16');
      if (isText) {
        ({ body, end, slashed } = this.scanText(line, bodyStart));
      } else {
        const slash = line.indexOf('/', bodyStart);
        if (slash === -1) {
          body = line.slice(bodyStart);
          end = line.length;
          slashed = false;
        } else {
          body = line.slice(bodyStart, slash);
          end = slash + 1;
          slashed = true;
        }
      }
      this.physical({ code, body, line: n, slashed });
      this.openText = isText && !slashed;
      i = end;
    }
  }

  /** A text-bearing record ends at a "/" followed by end of line or by another record; else at end of line. */
  private scanText(line: string, from: number): { body: string; end: number; slashed: boolean } {
    let slash = line.indexOf('/', from);
    while (slash !== -1) {
      let j = slash + 1;
      while (j < line.length && (line[j] === ' ' || line[j] === '\t')) j++;
      if (j >= line.length || this.startsRecord(line, j)) return { body: line.slice(from, slash), end: j, slashed: true };
      slash = line.indexOf('/', slash + 1);
    }
    return { body: line.slice(from), end: line.length, slashed: false };
  }

  private physical(record: PhysicalRecord): void {
    if (record.code === '88') {
      if (!this.pending) fail(this.pos(record.line), '88 continuation record without a record to continue');
      this.pending.parts.push(record);
      this.pending.length += record.body.length + 1;
      this.checkRecord(this.pending);
      return;
    }
    this.flush();
    this.pending = { code: record.code, parts: [record], length: record.body.length };
  }

  /** REC-IN-1: a record with its continuations, refused as soon as it passes BAI2_LIMITS.record; names the line it starts on. */
  private checkRecord(record: LogicalRecord): void {
    const start = record.parts[0]!.line;
    if (record.length > BAI2_LIMITS.record) tooLong(this.pos(start), `the ${record.code} record (with its 88 continuations, from line ${start})`, BAI2_LIMITS.record);
  }

  private flush(): void {
    const record = this.pending;
    if (!record) return;
    this.pending = undefined;
    this.logical(record);
  }

  // Logical layer ---------------------------------------------------------------------------------

  private logical(record: LogicalRecord): void {
    const first = record.parts[0]!;
    const line = first.line;
    const physicalCount = record.parts.length;
    if (!this.header && record.code !== '01') fail(this.pos(line), `expected the 01 file header, found record ${record.code}`);
    // Record counts include the record itself and its 88s: the file counts all, a group 02…98, an account 03…49.
    if (this.header && record.code !== '01') this.header.records += physicalCount;
    if (this.group && record.code !== '02') this.group.records += physicalCount;
    if (this.group?.account && record.code !== '03') this.group.account.records += physicalCount;
    switch (record.code) {
      case '01':
        this.fileHeader(record, line);
        break;
      case '02':
        this.groupHeader(record, line);
        break;
      case '03':
        this.accountHeader(record, line);
        break;
      case '16':
        this.detail(record, line);
        break;
      case '49':
        this.accountTrailer(record, line);
        break;
      case '98':
        this.groupTrailer(record, line);
        break;
      case '99':
        this.fileTrailer(record, line);
        break;
      default:
        fail(this.pos(line), `unexpected record ${record.code}`);
    }
  }

  private fields(record: LogicalRecord): string[] {
    return record.parts
      .map((p) => p.body)
      .join(',')
      .split(',');
  }

  private amount(text: string | undefined, position: SourcePosition, what: string, signed = true): bigint | undefined {
    if (text === undefined || text.trim() === '') return undefined;
    const value = text.trim();
    const digits = value.length - (signed && (value[0] === '+' || value[0] === '-') ? 1 : 0);
    if (digits > BAI2_LIMITS.amountDigits) fail(position, `${what} is longer than ${BAI2_LIMITS.amountDigits} digits`);
    if (!(signed ? /^[+-]?[0-9]+$/ : /^[0-9]+$/).test(value)) fail(position, `${what} is not ${signed ? 'a signed' : 'an unsigned'} whole number of minor units`);
    return BigInt(value);
  }

  private count(text: string | undefined, position: SourcePosition, what: string): number | undefined {
    if (text === undefined || text.trim() === '') return undefined;
    const value = text.trim();
    if (value.length > BAI2_LIMITS.countDigits) fail(position, `${what} is longer than ${BAI2_LIMITS.countDigits} digits`);
    if (!/^[0-9]+$/.test(value)) fail(position, `${what} is not a count`);
    return Number(value);
  }

  private fileHeader(record: LogicalRecord, line: number): void {
    if (this.header) fail(this.pos(line), 'a second 01 file header');
    const f = this.fields(record);
    const position = this.pos(line);
    if (!f[0] || !f[1]) fail(position, '01 file header needs sender and receiver identifications');
    this.field(f[0], position, '01 sender identification');
    this.field(f[1], position, '01 receiver identification');
    yymmdd((f[2] ?? '').trim(), position, '01 file creation date');
    this.field(f[3] ?? '', position, '01 file creation time', 4);
    this.field(f[4] ?? '', position, '01 file identification number');
    this.field(f[5] ?? '', position, '01 physical record length', BAI2_LIMITS.countDigits);
    this.field(f[6] ?? '', position, '01 block size', BAI2_LIMITS.countDigits);
    const version = (f[7] ?? '').trim();
    if (version !== '2') fail(position, 'BAI version is not supported (only version 2)');
    this.fieldsAfter(f, 8, position, '01');
    this.header = { line, records: record.parts.length, controlTotal: 0n, groups: 0 };
  }

  private groupHeader(record: LogicalRecord, line: number): void {
    const position = this.pos(line);
    if (this.group) fail(position, `02 group header inside group ${this.group.ordinal} (missing 98 group trailer)`);
    const f = this.fields(record);
    this.field(f[0] ?? '', position, '02 ultimate receiver identification');
    this.field(f[1] ?? '', position, '02 originator identification');
    const status = (f[2] ?? '').trim();
    if (!['1', '2', '3', '4'].includes(status)) fail(position, '02 group status is not 1-4');
    const asOfDate = yymmdd((f[3] ?? '').trim(), position, '02 as-of date');
    this.field(f[4] ?? '', position, '02 as-of time', 4);
    this.field(f[6] ?? '', position, '02 as-of date modifier', 1);
    this.fieldsAfter(f, 7, position, '02');
    const ccy = (f[5] ?? '').trim();
    this.header!.groups++;
    this.group = {
      ordinal: this.header!.groups,
      line,
      originator: (f[1] ?? '').trim(),
      asOfDate,
      records: record.parts.length,
      controlTotal: 0n,
      accounts: 0,
      ...(ccy ? { currency: checkCurrency(ccy, position, '02 currency code') } : {}),
    };
  }

  private accountHeader(record: LogicalRecord, line: number): void {
    const position = this.pos(line);
    const group = this.group;
    if (!group) fail(position, '03 account record outside a group (no 02 group header)');
    if (group.account) fail(position, `03 account record inside the account of line ${group.account.line} (missing 49 account trailer)`);
    const f = new Fields(record.parts.map((p) => p.body).join(','));
    const rawAccount = this.field((f.next() ?? '').trim(), position, '03 customer account number');
    if (!rawAccount) fail(position, '03 record has no customer account number');
    const accountNumber = maskIdentifier(rawAccount);
    const ccy = (f.next() ?? '').trim();
    const currency = ccy ? checkCurrency(ccy, position, '03 currency code') : (group.currency ?? 'USD');
    const summaries: Summary[] = [];
    let control = 0n;
    for (;;) {
      const typeCode = f.next();
      if (typeCode === undefined) break;
      if (typeCode.trim() === '' && f.done) break;
      const code = typeCode.trim();
      if (code === '') {
        // An empty slot in the summary list (SVB writes `015,35217175,,,/`, others `USD,,,,,060,…`):
        // type, amount, item count and funds type all empty. Skipped; an amount or count without a
        // type code is still a fault.
        const slot = [f.next(), f.next(), f.next()].map((value) => (value ?? '').trim());
        if (slot.some((value) => value !== '')) fail(position, '03 summary has an amount, item count or funds type but no type code');
        continue;
      }
      if (!/^[0-9]{3}$/.test(code)) fail(position, '03 summary type code is not 3 digits');
      const amount = this.amount(f.next(), position, `03 amount for type ${code}`);
      this.count(f.next(), position, `03 item count for type ${code}`);
      this.fundsType(f, position, `03 type ${code}`);
      if (amount !== undefined) control += amount;
      summaries.push(amount === undefined ? { typeCode: code } : { typeCode: code, amount });
    }
    group.accounts++;
    const account: Account = {
      ordinal: group.accounts,
      line,
      accountNumber,
      currency,
      statementIndex: this.statementIndex++,
      statementId: `${accountNumber}/${group.asOfDate}/${group.ordinal}.${group.accounts}`,
      records: record.parts.length,
      controlTotal: control,
      lineCount: 0,
      movements: 0n,
    };
    for (const s of summaries) {
      if (s.typeCode === '010' && s.amount !== undefined && account.opening === undefined) account.opening = s.amount;
      if (s.typeCode === '015' && s.amount !== undefined && account.closing === undefined) account.closing = s.amount;
    }
    group.account = account;
  }

  /** Consumes the funds-type field and its extra fields; returns the value date for V. */
  private fundsType(f: FieldSource, position: SourcePosition, what: string): string | undefined {
    const type = (f.next() ?? '').trim();
    switch (type) {
      case '':
      case 'Z':
      case '0':
      case '1':
      case '2':
        return undefined;
      case 'V': {
        const date = (f.next() ?? '').trim();
        const time = (f.next() ?? '').trim();
        if (time && !/^([01][0-9]|2[0-3])[0-5][0-9]$|^2400$|^9999$/.test(time)) fail(position, `${what}: value time is not HHMM`);
        return date ? yymmdd(date, position, `${what} value date`) : undefined;
      }
      case 'S':
        for (let k = 0; k < 3; k++) this.amount(f.next(), position, `${what} availability amount`);
        return undefined;
      case 'D': {
        const n = this.count(f.next(), position, `${what} number of distributions`) ?? 0;
        for (let k = 0; k < n; k++) {
          this.count(f.next(), position, `${what} distribution days`);
          this.amount(f.next(), position, `${what} distribution amount`);
        }
        return undefined;
      }
      default:
        fail(position, `${what}: funds type is not one of Z, 0, 1, 2, V, S, D`);
    }
  }

  private detail(record: LogicalRecord, line: number): void {
    const position = this.pos(line);
    const account = this.group?.account;
    if (!account) fail(position, '16 transaction detail outside an account (no 03 record)');
    // The 16's fields run across its 88s until the text starts; after that the 88s continue the text.
    const f = new PartFields(record.parts.map((p) => p.body));
    const typeText = (f.next() ?? '').trim();
    if (!/^[0-9]{3}$/.test(typeText)) fail(position, '16 type code is not 3 digits');
    const typeCode = Number(typeText);
    const direction = bai2Direction(typeCode);
    if (direction === undefined || direction === 0) {
      fail(
        position,
        `16 type code ${typeText} is ${direction === 0 ? 'a status (balance) code' : 'outside the credit (100-399, 920-959) and debit (400-699, 960-999) ranges'}: its direction is unknown`,
      );
    }
    const amount = this.amount(f.next(), position, '16 amount', false);
    if (amount === undefined) fail(position, '16 transaction detail has no amount');
    const valueDate = this.fundsType(f, position, '16');
    const bankReference = this.field((f.next() ?? '').trim(), position, '16 bank reference number');
    const customerReference = this.field((f.next() ?? '').trim(), position, '16 customer reference number');
    const text = this.field(
      f
        .restParts()
        .map((t) => t.trim())
        .filter((t) => t.length > 0)
        .join(' '),
      position,
      '16 text',
      BAI2_LIMITS.text,
    );

    const signed = direction > 0 ? amount : -amount;
    account.controlTotal += amount;
    account.movements += signed;
    const statementLine: StatementLine = {
      statementLineId: statementLineId(this.ctx, account.statementIndex, account.lineCount),
      format: 'bai2',
      statementId: account.statementId,
      accountId: account.accountNumber,
      currency: account.currency,
      amount: formatMinor(signed, account.currency),
      bookingDate: this.group!.asOfDate,
      valueDate: valueDate ?? null,
      typeCode: typeText,
      status: 'BOOK',
      position: { file: this.ctx.file, line },
    };
    if (bankReference) statementLine.bankReference = bankReference;
    if (customerReference) statementLine.customerReference = customerReference;
    if (text) statementLine.remittanceInformation = text;
    account.lineCount++;
    this.sink.line(account.statementIndex, finishLine(statementLine));
  }

  private accountTrailer(record: LogicalRecord, line: number): void {
    const position = this.pos(line);
    const group = this.group;
    const account = group?.account;
    if (!group || !account) fail(position, '49 account trailer without an open account (no 03 record)');
    const f = this.fields(record);
    const total = this.amount(f[0], position, '49 account control total');
    const records = this.count(f[1], position, '49 number of records');
    this.fieldsAfter(f, 2, position, '49');
    if (total === undefined || records === undefined) fail(position, '49 account trailer needs a control total and a record count');
    const name = `the account of line ${account.line}`;
    // Totals are not named: they are field content.
    if (total !== account.controlTotal) fail(position, `49 control total does not match ${name}: not the sum of its amounts`);
    if (records !== account.records) fail(position, `49 record count ${records} does not match ${name}: it has ${account.records} records`);
    group.controlTotal += total;
    group.account = undefined;
    let balance;
    if (account.opening !== undefined && account.closing !== undefined) {
      balance = balanceProof(account.statementId, account.accountNumber, account.currency, account.opening, account.movements, account.closing);
    }
    this.sink.statement(
      finishSummary({
        index: account.statementIndex,
        statementId: account.statementId,
        accountId: account.accountNumber,
        currency: account.currency,
        lineCount: account.lineCount,
        ...(balance ? { balance } : {}),
      }),
    );
  }

  private groupTrailer(record: LogicalRecord, line: number): void {
    const position = this.pos(line);
    const group = this.group;
    if (!group) fail(position, '98 group trailer without an open group (no 02 record)');
    if (group.account) fail(position, `98 group trailer inside the account of line ${group.account.line} (missing 49 account trailer)`);
    const f = this.fields(record);
    const total = this.amount(f[0], position, '98 group control total');
    const accounts = this.count(f[1], position, '98 number of accounts');
    const records = this.count(f[2], position, '98 number of records');
    this.fieldsAfter(f, 3, position, '98');
    if (total === undefined || accounts === undefined || records === undefined) fail(position, '98 group trailer needs a control total, an account count and a record count');
    const name = `group ${group.ordinal} (line ${group.line})`;
    if (total !== group.controlTotal) fail(position, `98 control total does not match ${name}: not the sum of its accounts' totals`);
    if (accounts !== group.accounts) fail(position, `98 account count ${accounts} does not match ${name}: it has ${group.accounts}`);
    if (records !== group.records) fail(position, `98 record count ${records} does not match ${name}: it has ${group.records} records`);
    this.header!.controlTotal += total;
    this.group = undefined;
  }

  private fileTrailer(record: LogicalRecord, line: number): void {
    const position = this.pos(line);
    if (this.group) fail(position, `99 file trailer inside group ${this.group.ordinal} (missing 98 group trailer)`);
    const header = this.header!;
    const f = this.fields(record);
    const total = this.amount(f[0], position, '99 file control total');
    const groups = this.count(f[1], position, '99 number of groups');
    const records = this.count(f[2], position, '99 number of records');
    this.fieldsAfter(f, 3, position, '99');
    if (total === undefined || groups === undefined || records === undefined) fail(position, '99 file trailer needs a control total, a group count and a record count');
    if (total !== header.controlTotal) fail(position, "99 control total does not match the file: not the sum of its groups' totals");
    if (groups !== header.groups) fail(position, `99 group count ${groups} does not match the file: it has ${header.groups}`);
    if (records !== header.records) fail(position, `99 record count ${records} does not match the file: it has ${header.records} records`);
    this.finished = true;
  }
}
