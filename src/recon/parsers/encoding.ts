/**
 * REC-IN-7: the text encodings a statement file may be written in. UTF-8 is the default; a
 * caller (`--encoding`) may name one of the single-byte Windows / ISO encodings banks still
 * export. Without one, the reader decides (see ./decode.ts): UTF-8 (a byte-order mark allowed),
 * else Windows-1252 only where that reading is unambiguous.
 */

export type StatementEncoding = 'utf-8' | 'iso-8859-1' | 'windows-1250' | 'windows-1252';

/** Every encoding a statement file may be declared in, canonical names (WHATWG labels). */
export const STATEMENT_ENCODINGS: readonly StatementEncoding[] = Object.freeze(['utf-8', 'iso-8859-1', 'windows-1250', 'windows-1252'] as const);

/** Common spellings of each encoding, lower case, with '_' and ' ' read as '-'. */
const ALIASES: Readonly<Record<string, StatementEncoding>> = Object.freeze({
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  'iso-8859-1': 'iso-8859-1',
  'iso8859-1': 'iso-8859-1',
  'iso-8859-1:1987': 'iso-8859-1',
  iso88591: 'iso-8859-1',
  'iso-latin-1': 'iso-8859-1',
  'iso-ir-100': 'iso-8859-1',
  latin1: 'iso-8859-1',
  'latin-1': 'iso-8859-1',
  l1: 'iso-8859-1',
  'windows-1250': 'windows-1250',
  windows1250: 'windows-1250',
  'win-1250': 'windows-1250',
  win1250: 'windows-1250',
  'cp-1250': 'windows-1250',
  cp1250: 'windows-1250',
  'x-cp1250': 'windows-1250',
  'windows-1252': 'windows-1252',
  windows1252: 'windows-1252',
  'win-1252': 'windows-1252',
  win1252: 'windows-1252',
  'cp-1252': 'windows-1252',
  cp1252: 'windows-1252',
  'x-cp1252': 'windows-1252',
});

/**
 * The StatementEncoding a name stands for (case-insensitive; latin1, cp1252, win-1250, utf8 and
 * the like are accepted). Throws an Error naming the value and the accepted encodings.
 */
export function parseEncoding(text: string): StatementEncoding {
  const key = String(text)
    .trim()
    .toLowerCase()
    .replace(/[_\s]+/g, '-');
  const found = Object.prototype.hasOwnProperty.call(ALIASES, key) ? ALIASES[key] : undefined;
  if (found) return found;
  const shown = String(text).length > 40 ? `${String(text).slice(0, 40)}…` : String(text);
  throw new Error(`unknown statement encoding "${shown}": use one of ${STATEMENT_ENCODINGS.join(', ')} (or an alias such as utf8, latin1, cp1250, cp1252)`);
}

/** Whether `text` names an accepted encoding (see parseEncoding). */
export function isStatementEncoding(text: string): boolean {
  try {
    parseEncoding(text);
    return true;
  } catch {
    return false;
  }
}

const isText = (byte: number): boolean => byte === 9 || byte === 10 || byte === 13 || (byte >= 32 && byte <= 126);

/**
 * A wide Unicode encoding the first bytes show (what a spreadsheet saves as "Unicode text"): by its
 * byte-order mark, else by ASCII text spread over 2 or 4 bytes with NULs. None of the accepted
 * encodings starts that way (0xFF and 0xFE are never UTF-8; a statement holds no NUL).
 */
export function wideEncoding(head: Buffer): { name: string; byteOrderMark: boolean } | undefined {
  const [a, b, c, d] = [head[0], head[1], head[2], head[3]];
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return { name: 'UTF-32 little-endian', byteOrderMark: true };
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return { name: 'UTF-32 big-endian', byteOrderMark: true };
  if (a === 0xff && b === 0xfe) return { name: 'UTF-16 little-endian', byteOrderMark: true };
  if (a === 0xfe && b === 0xff) return { name: 'UTF-16 big-endian', byteOrderMark: true };
  if (a === undefined || b === undefined || c === undefined || d === undefined) return undefined;
  if (isText(a) && b === 0 && c === 0 && d === 0) return { name: 'UTF-32 little-endian', byteOrderMark: false };
  if (a === 0 && b === 0 && c === 0 && isText(d)) return { name: 'UTF-32 big-endian', byteOrderMark: false };
  if (isText(a) && b === 0 && isText(c) && d === 0) return { name: 'UTF-16 little-endian', byteOrderMark: false };
  if (a === 0 && isText(b) && c === 0 && isText(d)) return { name: 'UTF-16 big-endian', byteOrderMark: false };
  return undefined;
}

/** The fault of a file in a wide encoding: what it is, and what `readAs` (the encodings a reader takes) asks for instead. */
export function wideEncodingFault(wide: { name: string; byteOrderMark: boolean }, readAs: string): string {
  return `the file is ${wide.name} text${wide.byteOrderMark ? ' (it starts with that byte order mark)' : ''}; ${readAs}`;
}
