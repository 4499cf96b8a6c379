/**
 * REC-PERF-1: where a big camt or MT940/MT942 statement file may be cut in two, so that two threads
 * parse it (./parts.ts). Pure: these read bytes already read, and only propose a cut; whether the
 * parser really stands between two statements there is checked when the first part has been read
 * (a cut inside a comment, a CDATA section or a field is refused then, and the file is parsed whole).
 *
 * - camt: the first byte of a statement's start tag (`<Stmt>`, `<Rpt>`, `<Ntfctn>`, with the file's
 *   own namespace prefix), where the reader stands inside the message root, after its group header.
 * - MT940/MT942: the start of the line after a message terminator ("-", "-}" with trailer blocks,
 *   ING's "-XXX"), where no field, message or SWIFT block is open.
 */
import type { StatementFormat } from '../types';

const STATEMENT_TAG: Partial<Record<StatementFormat, string>> = { 'camt.052': 'Rpt', 'camt.053': 'Stmt', 'camt.054': 'Ntfctn' };

/** Whether `format` is one this module cuts. */
export function splittable(format: StatementFormat): boolean {
  return STATEMENT_TAG[format] !== undefined || format === 'mt940' || format === 'mt942';
}

function isTagEnd(byte: number | undefined): boolean {
  return byte === 0x3e || byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** camt: the first statement start tag in the file's head: its offset and its name as written (prefix included). */
export function camtFirstStatement(head: Uint8Array, format: StatementFormat): { offset: number; qname: string } | undefined {
  const name = STATEMENT_TAG[format];
  if (name === undefined) return undefined;
  const text = Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1');
  const match = new RegExp(`<((?:[A-Za-z_][\\w.-]*:)?${name})[\\s>]`).exec(text);
  return match ? { offset: match.index, qname: match[1]! } : undefined;
}

/** camt: the offset in `window` of the first start tag `<qname>` (or `<qname` and whitespace) at or after `from`, or -1. */
export function camtBoundary(window: Buffer, qname: string, from = 0): number {
  const needle = Buffer.from(`<${qname}`, 'latin1');
  for (let at = window.indexOf(needle, from); at !== -1; at = window.indexOf(needle, at + 1)) {
    if (isTagEnd(window[at + needle.length])) return at;
  }
  return -1;
}

/**
 * MT940/MT942: the offset in `window` of the first line (at or after `from`) that follows a message
 * terminator line and starts with an ASCII byte (a byte-order mark there is text, not a file's
 * start), or -1. The line after it must be in the window (a cut never leaves the second part empty).
 */
export function mt940Boundary(window: Buffer, from = 0): number {
  for (let at = window.indexOf('\n-', from, 'latin1'); at !== -1; at = window.indexOf('\n-', at + 1, 'latin1')) {
    const start = at + 1;
    const end = window.indexOf(10, start);
    if (end === -1 || end + 1 >= window.length) return -1;
    let line = window.toString('latin1', start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if ((line === '-' || line === '-XXX' || (line.startsWith('-}') && !line.includes('{1:'))) && window[end + 1]! < 0x80) return end + 1;
  }
  return -1;
}

/** What the bytes before a cut tell the second part's reader: statements begun, line feeds, the last SWIFT {2: message type. */
export interface PrefixCounts {
  statements: number;
  lines: number;
  blockType: string | undefined;
}

/**
 * Counts, in `bytes[0, length)` (a piece of the bytes before the cut; `bytes` runs on a little so
 * a pattern at the piece's end is seen whole; `atFileStart` when the piece starts the file, `last`
 * when it ends at the cut), the
 * statements that begin there (camt: `<qname` start tags; MT940: lines starting ":20:"), the line
 * feeds, and the last SWIFT {2: header's message type (MT940).
 */
export function countPrefix(bytes: Buffer, length: number, format: StatementFormat, qname: string | undefined, atFileStart: boolean, last: boolean, counts: PrefixCounts): void {
  if (qname !== undefined) {
    const needle = Buffer.from(`<${qname}`, 'latin1');
    for (let at = bytes.indexOf(needle); at !== -1 && at < length; at = bytes.indexOf(needle, at + 1)) if (isTagEnd(bytes[at + needle.length])) counts.statements += 1;
    return;
  }
  if (format !== 'mt940' && format !== 'mt942') return;
  if (atFileStart && bytes.toString('latin1', 0, 4) === ':20:' && length > 0) counts.statements += 1;
  for (let at = bytes.indexOf(10); at !== -1 && at < length; at = bytes.indexOf(10, at + 1)) {
    counts.lines += 1;
    // A line starting at the cut is the second part's.
    if ((at + 1 < length || !last) && bytes[at + 1] === 0x3a && bytes.toString('latin1', at + 1, at + 5) === ':20:') counts.statements += 1;
  }
  const text = bytes.toString('latin1', 0, Math.min(bytes.length, length + 8));
  const header = /\{2:[IO]([0-9]{3})/g;
  for (let match = header.exec(text); match !== null && match.index < length; match = header.exec(text)) counts.blockType = match[1]!;
}
