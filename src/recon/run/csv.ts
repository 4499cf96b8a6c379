/**
 * Minimal RFC 4180 CSV: reading records from a line stream (quoted cells may hold commas,
 * doubled quotes and line breaks). Writing is ./csv-writer.ts, the one formula-safe writer
 * (REC-OUT-1).
 */
import { CSV_LIMITS } from '../parsers/limits';
import { LineSyntaxError } from '../types';

export interface CsvRecord {
  cells: string[];
  /** 1-based physical line where the record starts. */
  line: number;
}

export class CsvSyntaxError extends LineSyntaxError {
  override name = 'CsvSyntaxError';
}

export interface CsvRecordLimits {
  /** Characters of a physical line. */
  line: number;
  /** Characters of a record (a quoted cell may span lines). */
  record: number;
}

/**
 * Reads CSV records from physical lines (without their line breaks). A UTF-8 byte-order mark
 * before the first line is dropped, as every reader does (ING-1). A line or a record longer than
 * `limits` is a CsvSyntaxError naming its first line (REC-IN-1); faults never quote a cell (PCI-3).
 */
export async function* csvRecords(lines: AsyncIterable<string>, limits: CsvRecordLimits = CSV_LIMITS): AsyncGenerator<CsvRecord> {
  let lineNo = 0;
  let pending: { cells: string[]; cell: string; line: number; length: number } | undefined;
  for await (const raw of lines) {
    lineNo += 1;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > limits.line) throw new CsvSyntaxError(lineNo, `the line is longer than ${limits.line} characters`);
    const recordLength = pending ? pending.length + text.length + 1 : text.length;
    if (pending && recordLength > limits.record) {
      throw new CsvSyntaxError(pending.line, `the record that starts at line ${pending.line} is longer than ${limits.record} characters (an unterminated quote?)`);
    }
    let cells: string[];
    let cell: string;
    let inQuotes: boolean;
    let start: number;
    if (pending) {
      cells = pending.cells;
      cell = `${pending.cell}\n`;
      inQuotes = true;
      start = pending.line;
    } else {
      if (text.length === 0) continue;
      cells = [];
      cell = '';
      inQuotes = false;
      start = lineNo;
    }
    let i = 0;
    let quotedCell = pending !== undefined;
    pending = undefined;
    while (i < text.length) {
      const ch = text[i]!;
      if (inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          inQuotes = false;
          i += 1;
          if (i < text.length && text[i] !== ',') throw new CsvSyntaxError(lineNo, `unexpected character after a closing quote at column ${i + 1}`);
          continue;
        }
        cell += ch;
        i += 1;
        continue;
      }
      if (ch === ',') {
        cells.push(cell);
        cell = '';
        quotedCell = false;
        i += 1;
        continue;
      }
      if (ch === '"') {
        if (cell.length > 0 || quotedCell) throw new CsvSyntaxError(lineNo, `a quote inside an unquoted cell at column ${i + 1}`);
        inQuotes = true;
        quotedCell = true;
        i += 1;
        continue;
      }
      cell += ch;
      i += 1;
    }
    if (inQuotes) {
      pending = { cells, cell, line: start, length: recordLength };
      continue;
    }
    cells.push(cell);
    yield { cells, line: start };
  }
  if (pending) throw new CsvSyntaxError(pending.line, 'a quoted cell is never closed (truncated file?)');
}
