/**
 * REC-PERF-1: a statement file's second part (./parts.ts SecondPart) as one compact message from the
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
 * The typed arrays' buffers are transferred, not copied. decodeSecondPart rebuilds every line with
 * the shape finishLine gives (./common.ts: every field present, in its order, absent ones
 * undefined), so the result is the one-thread parse's (test/recon/parsers/parts.test.ts).
 */
import type { StatementLine } from '../types';
import type { StatementSummary } from './common';
import type { PartState, SecondPart } from './parts';

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

const NUMBER_FIELDS = ['batchItemCount', 'batchIndex', 'batchOf', 'line'] as const;
type NumberFieldName = (typeof NUMBER_FIELDS)[number];

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

function textOf(line: StatementLine, field: TextFieldName): string | null | undefined {
  if (field === 'file') return line.position.file;
  if (field === 'element') return line.position.element;
  return line[field] as string | null | undefined;
}

function encodeText(lines: readonly StatementLine[], field: TextFieldName): TextColumn {
  const rows = lines.length;
  let tags: Uint8Array | undefined;
  const values: string[] = new Array<string>(rows);
  for (let row = 0; row < rows; row += 1) {
    const value = textOf(lines[row]!, field);
    if (typeof value === 'string') {
      values[row] = value;
      continue;
    }
    if (value !== undefined && value !== null) throw new Error(`a statement line's ${field} is not text`);
    tags ??= new Uint8Array(rows).fill(TEXT);
    tags[row] = value === null ? NULL : ABSENT;
    values[row] = '';
  }
  // Shared, while the texts are few.
  const ids = new Map<string, number>();
  const texts: string[] = [];
  const index = new Uint32Array(rows);
  let shared = true;
  for (let row = 0; row < rows && shared; row += 1) {
    const text = values[row]!;
    let id = ids.get(text);
    if (id === undefined) {
      if (texts.length === MAX_SHARED) shared = false;
      id = texts.length;
      texts.push(text);
      ids.set(text, id);
    }
    index[row] = id;
  }
  if (shared) return { tags, texts, index, pieces: undefined, firstRows: undefined, ends: undefined };
  const pieces: string[] = [];
  const firstRows: number[] = [0];
  const ends = new Uint32Array(rows);
  let parts: string[] = [];
  let length = 0;
  for (let row = 0; row < rows; row += 1) {
    const text = values[row]!;
    if (length > 0 && length + text.length > PIECE_CHARS) {
      pieces.push(parts.join(''));
      firstRows.push(row);
      parts = [];
      length = 0;
    }
    parts.push(text);
    length += text.length;
    ends[row] = length;
  }
  pieces.push(parts.join(''));
  return { tags, texts: undefined, index: undefined, pieces, firstRows, ends };
}

function numberOf(line: StatementLine, field: NumberFieldName): number | undefined {
  switch (field) {
    case 'batchItemCount':
      return line.batchItemCount;
    case 'batchIndex':
      return line.batchItem?.index;
    case 'batchOf':
      return line.batchItem?.of;
    default:
      return line.position.line;
  }
}

/** The line shapes a part may hand over (finishLine's): a position of a file and a line, or of a file and an element. */
function checkShape(line: StatementLine): void {
  const position = line.position;
  const keys = Object.keys(position);
  const lineShape = keys.length === 2 && keys[0] === 'file' && keys[1] === 'line' && typeof position.line === 'number';
  const elementShape = keys.length === 2 && keys[0] === 'file' && keys[1] === 'element' && typeof position.element === 'string';
  if (!lineShape && !elementShape) throw new Error('a statement line position of an unexpected shape');
  const item = line.batchItem;
  if (item !== undefined && (Object.keys(item).length !== 2 || typeof item.index !== 'number' || typeof item.of !== 'number')) throw new Error('a batch item of an unexpected shape');
}

/** The second part as one message, and the buffers to transfer with it. */
export function encodeSecondPart(part: SecondPart): { message: StatementPartMessage; transfer: ArrayBuffer[] } {
  const lines = part.lines;
  const rows = lines.length;
  for (const line of lines) checkShape(line);
  const text = {} as Record<TextFieldName, TextColumn>;
  for (const field of TEXT_FIELDS) text[field] = encodeText(lines, field);
  const numbers = {} as Record<NumberFieldName, Float64Array>;
  for (const field of NUMBER_FIELDS) {
    const column = new Float64Array(rows);
    for (let row = 0; row < rows; row += 1) column[row] = numberOf(lines[row]!, field) ?? Number.NaN;
    numbers[field] = column;
  }
  const otherFields: StatementPartMessage['otherFields'] = [];
  for (let row = 0; row < rows; row += 1) {
    const fields = lines[row]!.otherFields;
    if (fields !== undefined) otherFields.push({ row, fields });
  }
  const statementIndexes = Uint32Array.from(part.statementIndexes);
  const transfer: ArrayBuffer[] = [statementIndexes.buffer as ArrayBuffer];
  for (const column of Object.values(text)) {
    for (const array of [column.tags, column.index, column.ends]) if (array) transfer.push(array.buffer as ArrayBuffer);
  }
  for (const column of Object.values(numbers)) transfer.push(column.buffer as ArrayBuffer);
  return { message: { type: 'statement-part', state: part.state, summaries: part.summaries, rows, statementIndexes, text, numbers, otherFields }, transfer };
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
    },
  };
}
