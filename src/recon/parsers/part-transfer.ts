/**
 * REC-PERF-1: a statement file's second part (./parts.ts parseSecondPart) as one compact message from the
 * helper thread that parsed it to the run's thread. A structured clone of half a million
 * StatementLine objects costs seconds on both sides; each field travels as a column instead:
 *
 * - text fields: the distinct texts once and each row's index into them (a few distinct values:
 *   formats, accounts, statements, dates, codes), else the rows' texts end to end in pieces with each
 *   row's end offset (ids, amounts, references, free text); a tag per row says undefined, null or
 *   text where a field can be absent.
 * - number fields (batchItemCount, batchItem, position.line): a Float64Array, NaN for absent.
 * - otherFields (rare: MT940 bank-specific fields): only the rows that have them, as they are.
 *
 * SecondPartWriter writes each line into the columns as the reader gives it (the helper thread never
 * holds the part's lines). The typed arrays' buffers are transferred, not copied. decodeSecondPart rebuilds every line with
 * the shape finishLine gives (./common.ts: every field present, in its order, absent ones
 * undefined), so the result is the one-thread parse's (test/recon/parsers/parts.test.ts).
 */
import type { StatementLine } from '../types';
import type { StatementSink, StatementSummary } from './common';
import type { PartState } from './parts';

/** Distinct texts a shared column may hold; a column with more goes joined. */
const MAX_SHARED = 1 << 16;
/** Characters in one piece of a joined column (V8's longest string is about 2^29). */
const PIECE_CHARS = 1 << 26;

const ABSENT = 0;
const NULL = 1;
const TEXT = 2;

interface TextColumn {
  /** Per row: ABSENT, NULL or TEXT; undefined when every row has a text. */
  tags: Uint8Array | undefined;
  /** Shared: the distinct texts, and each row's index into them. */
  texts: string[] | undefined;
  index: Uint32Array | undefined;
  /** Joined: piece k holds rows firstRows[k] up to firstRows[k + 1]; ends[row] is where the row's text ends in its piece. */
  pieces: string[] | undefined;
  firstRows: number[] | undefined;
  ends: Uint32Array | undefined;
}

const TEXT_FIELDS = [
  'statementLineId',
  'format',
  'statementId',
  'accountId',
  'currency',
  'amount',
  'bookingDate',
  'valueDate',
  'endToEndId',
  'bankReference',
  'customerReference',
  'remittanceInformation',
  'counterparty',
  'typeCode',
  'status',
  'batchReference',
  'batchFault',
  'file',
  'element',
] as const;
type TextFieldName = (typeof TEXT_FIELDS)[number];

type NumberFieldName = 'batchItemCount' | 'batchIndex' | 'batchOf' | 'line';

export interface StatementPartMessage {
  type: 'statement-part';
  state: PartState;
  summaries: StatementSummary[];
  rows: number;
  statementIndexes: Uint32Array;
  text: Record<TextFieldName, TextColumn>;
  numbers: Record<NumberFieldName, Float64Array>;
  otherFields: { row: number; fields: NonNullable<StatementLine['otherFields']> }[];
}

/** The helper thread's failure: no detail travels (the run's thread reads the file whole, which names the fault). */
export interface StatementPartFailure {
  type: 'statement-part-failure';
}

export type StatementPartThreadMessage = StatementPartMessage | StatementPartFailure;

export function isStatementPartThreadMessage(message: unknown): message is StatementPartThreadMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'statement-part' || type === 'statement-part-failure';
}

/** Fields whose texts are mostly distinct: joined from the start (no table of distinct texts tried). */
const JOINED: ReadonlySet<TextFieldName> = new Set(['statementLineId', 'amount', 'endToEndId', 'bankReference', 'customerReference', 'remittanceInformation', 'batchReference', 'element']);

/** One text column being written, row by row: shared while its distinct texts are few, else joined. */
class TextColumnWriter {
  private rows = 0;
  private tags: number[] | undefined;
  private ids: Map<string, number> | undefined;
  private texts: string[] = [];
  private index: number[] | undefined;
  private parts: string[] = [];
  private length = 0;
  private readonly pieces: string[] = [];
  private readonly firstRows: number[] = [0];
  private ends: number[] | undefined;
  private lastText: string | undefined;
  private lastId = 0;

  constructor(joined: boolean) {
    if (joined) this.ends = [];
    else {
      this.ids = new Map();
      this.index = [];
    }
  }

  add(value: string | null | undefined): void {
    const row = this.rows++;
    let text: string;
    if (typeof value === 'string') {
      text = value;
      if (this.tags !== undefined) this.tags.push(TEXT);
    } else {
      if (value !== undefined && value !== null) throw new Error('a statement line field is not text');
      this.tags ??= new Array<number>(row).fill(TEXT);
      this.tags.push(value === null ? NULL : ABSENT);
      text = '';
    }
    const ids = this.ids;
    if (ids !== undefined) {
      // Consecutive lines repeat their statement's values (the reader hands out one string for them).
      if (text === this.lastText) {
        this.index!.push(this.lastId);
        return;
      }
      let id = ids.get(text);
      if (id === undefined) {
        if (this.texts.length === MAX_SHARED) {
          this.toJoined(row);
          this.join(row, text);
          return;
        }
        id = this.texts.length;
        this.texts.push(text);
        ids.set(text, id);
      }
      this.index!.push(id);
      this.lastText = text;
      this.lastId = id;
      return;
    }
    this.join(row, text);
  }

  /** Too many distinct texts: the rows so far are joined, and the column goes on joined. */
  private toJoined(rows: number): void {
    const { texts, index } = this;
    this.ids = undefined;
    this.index = undefined;
    this.texts = [];
    this.ends = [];
    for (let row = 0; row < rows; row += 1) this.join(row, texts[index![row]!]!);
  }

  private join(row: number, text: string): void {
    if (this.length > 0 && this.length + text.length > PIECE_CHARS) {
      this.pieces.push(this.parts.join(''));
      this.firstRows.push(row);
      this.parts = [];
      this.length = 0;
    }
    this.parts.push(text);
    this.length += text.length;
    this.ends!.push(this.length);
  }

  finish(): TextColumn {
    const tags = this.tags === undefined ? undefined : Uint8Array.from(this.tags);
    if (this.index !== undefined) return { tags, texts: this.texts, index: Uint32Array.from(this.index), pieces: undefined, firstRows: undefined, ends: undefined };
    this.pieces.push(this.parts.join(''));
    this.parts = [];
    return { tags, texts: undefined, index: undefined, pieces: this.pieces, firstRows: this.firstRows, ends: Uint32Array.from(this.ends!) };
  }
}

/** The line shapes a part may hand over (finishLine's): a position of a file and a line, or of a file and an element; a batch item of an index and a count. */
function checkShape(line: StatementLine): void {
  const position = line.position;
  const lineShape = typeof position.line === 'number' && !('element' in position);
  const elementShape = typeof position.element === 'string' && !('line' in position);
  if (typeof position.file !== 'string' || (!lineShape && !elementShape)) throw new Error('a statement line position of an unexpected shape');
  const item = line.batchItem;
  if (item !== undefined && (typeof item.index !== 'number' || typeof item.of !== 'number')) throw new Error('a batch item of an unexpected shape');
}

/**
 * The second part's sink: each line is written into the columns as the reader gives it, so the
 * helper thread never holds the part's lines (they die young, in the cheap collections), and
 * `finish` makes the message.
 */
export class SecondPartWriter implements StatementSink {
  private rows = 0;
  private readonly w = {} as Record<TextFieldName, TextColumnWriter>;
  private readonly statementIndexes: number[] = [];
  private readonly batchItemCount: number[] = [];
  private readonly batchIndex: number[] = [];
  private readonly batchOf: number[] = [];
  private readonly lineNumbers: number[] = [];
  private readonly otherFields: StatementPartMessage['otherFields'] = [];
  private readonly summaries: StatementSummary[] = [];

  constructor() {
    for (const field of TEXT_FIELDS) this.w[field] = new TextColumnWriter(JOINED.has(field));
  }

  line(statementIndex: number, line: StatementLine): void {
    checkShape(line);
    const w = this.w;
    const row = this.rows++;
    this.statementIndexes.push(statementIndex);
    w.statementLineId.add(line.statementLineId);
    w.format.add(line.format);
    w.statementId.add(line.statementId);
    w.accountId.add(line.accountId);
    w.currency.add(line.currency);
    w.amount.add(line.amount);
    w.bookingDate.add(line.bookingDate);
    w.valueDate.add(line.valueDate);
    w.endToEndId.add(line.endToEndId);
    w.bankReference.add(line.bankReference);
    w.customerReference.add(line.customerReference);
    w.remittanceInformation.add(line.remittanceInformation);
    w.counterparty.add(line.counterparty);
    w.typeCode.add(line.typeCode);
    w.status.add(line.status);
    w.batchReference.add(line.batchReference);
    w.batchFault.add(line.batchFault);
    w.file.add(line.position.file);
    w.element.add(line.position.element);
    this.batchItemCount.push(line.batchItemCount ?? Number.NaN);
    this.batchIndex.push(line.batchItem?.index ?? Number.NaN);
    this.batchOf.push(line.batchItem?.of ?? Number.NaN);
    this.lineNumbers.push(line.position.line ?? Number.NaN);
    if (line.otherFields !== undefined) this.otherFields.push({ row, fields: line.otherFields });
  }

  statement(summary: StatementSummary): void {
    this.summaries.push(summary);
  }

  /** The part as one message (its reader started at `state`), and the buffers to transfer with it. */
  finish(state: PartState): { message: StatementPartMessage; transfer: ArrayBuffer[] } {
    const text = {} as Record<TextFieldName, TextColumn>;
    for (const field of TEXT_FIELDS) text[field] = this.w[field].finish();
    const numbers: Record<NumberFieldName, Float64Array> = {
      batchItemCount: Float64Array.from(this.batchItemCount),
      batchIndex: Float64Array.from(this.batchIndex),
      batchOf: Float64Array.from(this.batchOf),
      line: Float64Array.from(this.lineNumbers),
    };
    const statementIndexes = Uint32Array.from(this.statementIndexes);
    const transfer: ArrayBuffer[] = [statementIndexes.buffer as ArrayBuffer];
    for (const column of Object.values(text)) {
      for (const array of [column.tags, column.index, column.ends]) if (array) transfer.push(array.buffer as ArrayBuffer);
    }
    for (const column of Object.values(numbers)) transfer.push(column.buffer as ArrayBuffer);
    const message: StatementPartMessage = { type: 'statement-part', state, summaries: this.summaries, rows: this.rows, statementIndexes, text, numbers, otherFields: this.otherFields };
    return { message, transfer };
  }
}

/** A text column as the run's thread reads it (see ledger-file-transfer's ReadColumn). */
class TextReader {
  private readonly texts: string[] | undefined;
  private readonly piece: string | undefined;

  constructor(
    private readonly column: TextColumn,
    rows: number,
  ) {
    this.texts = column.texts;
    if (column.pieces !== undefined && column.pieces.length === 1) this.piece = column.pieces[0];
    else if (column.pieces !== undefined) {
      const texts: string[] = [];
      for (let piece = 0; piece < column.pieces.length; piece += 1) {
        const whole = column.pieces[piece]!;
        const last = piece + 1 < column.firstRows!.length ? column.firstRows![piece + 1]! : rows;
        let start = 0;
        for (let row = column.firstRows![piece]!; row < last; row += 1) {
          const end = column.ends![row]!;
          texts.push(whole.slice(start, end));
          start = end;
        }
      }
      this.texts = texts;
      this.column = { ...column, index: undefined };
    }
  }

  at(row: number): string | null | undefined {
    const tags = this.column.tags;
    if (tags !== undefined && tags[row] !== TEXT) return tags[row] === NULL ? null : undefined;
    const index = this.column.index;
    if (index !== undefined) return this.texts![index[row]!]!;
    if (this.piece !== undefined) return this.piece.slice(row === 0 ? 0 : this.column.ends![row - 1]!, this.column.ends![row]!);
    return this.texts![row]!;
  }

  /** A field that is always text. */
  text(row: number): string {
    return this.at(row) as string;
  }
}

function numberAt(column: Float64Array, row: number): number | undefined {
  const value = column[row]!;
  return Number.isNaN(value) ? undefined : value;
}

/** The second part the message holds: `each` hands over every line (finishLine's shape) with its statement's index. */
export function decodeSecondPart(message: StatementPartMessage): {
  state: PartState;
  summaries: StatementSummary[];
  rows: number;
  each(visit: (index: number, line: StatementLine) => void): void;
} {
  return {
    state: message.state,
    summaries: message.summaries,
    rows: message.rows,
    each(visit) {
      const rows = message.rows;
      const read = {} as Record<TextFieldName, TextReader>;
      for (const field of TEXT_FIELDS) read[field] = new TextReader(message.text[field], rows);
      const { batchItemCount, batchIndex, batchOf, line: lineNumbers } = message.numbers;
      const others = new Map(message.otherFields.map(({ row, fields }) => [row, fields]));
      for (let row = 0; row < rows; row += 1) {
        const file = read.file.text(row);
        const element = read.element.at(row) as string | undefined;
        const index = numberAt(batchIndex, row);
        const line: StatementLine = {
          statementLineId: read.statementLineId.text(row),
          format: read.format.text(row) as StatementLine['format'],
          statementId: read.statementId.text(row),
          accountId: read.accountId.text(row),
          currency: read.currency.text(row),
          amount: read.amount.text(row),
          bookingDate: read.bookingDate.at(row) as string | null,
          valueDate: read.valueDate.at(row) as string | null,
          endToEndId: read.endToEndId.at(row) as string | undefined,
          bankReference: read.bankReference.at(row) as string | undefined,
          customerReference: read.customerReference.at(row) as string | undefined,
          remittanceInformation: read.remittanceInformation.at(row) as string | undefined,
          counterparty: read.counterparty.at(row) as string | undefined,
          typeCode: read.typeCode.at(row) as string | undefined,
          status: read.status.at(row) as string | undefined,
          batchItemCount: numberAt(batchItemCount, row),
          batchReference: read.batchReference.at(row) as string | undefined,
          batchItem: index === undefined ? undefined : { index, of: batchOf[row]! },
          batchFault: read.batchFault.at(row) as string | undefined,
          otherFields: others.get(row),
          position: element === undefined ? { file, line: lineNumbers[row]! } : { file, element },
        };
        visit(message.statementIndexes[row]!, line);
      }
      // Read once: the columns are let go at once, whoever still holds the message (a thread's last message may be kept).
      const spent = message as { text?: unknown; numbers?: unknown; statementIndexes?: unknown; otherFields?: unknown };
      spent.text = spent.numbers = spent.statementIndexes = spent.otherFields = undefined;
    },
  };
}
