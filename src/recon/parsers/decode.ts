/**
 * REC-IN-7: statement bytes → text, streaming and exact across chunk boundaries.
 *
 * - `utf-8`: strict; a UTF-8 byte-order mark is dropped; an invalid byte is refused naming its line.
 * - `windows-1252`: the Windows code page; its five undefined bytes (0x81 0x8D 0x8F 0x90 0x9D) are
 *   refused. (Node 20's TextDecoder('windows-1252') decodes 0x80-0x9F as C1 controls, i.e. as
 *   ISO-8859-1, so the code page's table is applied here.)
 * - `windows-1250`: TextDecoder('windows-1250') (ICU); its undefined bytes (0x81 0x83 0x88 0x90 0x98)
 *   are refused.
 * - `iso-8859-1`: every byte is the code point of the same number; 0x80-0x9F are C1 control codes,
 *   never text in a statement, so they are refused suggesting Windows-1252.
 * - undefined (auto): UTF-8, a byte-order mark allowed. A file that is not valid UTF-8 is read as
 *   Windows-1252 only where that reading is unambiguous: nothing before the first invalid byte was
 *   a UTF-8 multi-byte character or a byte-order mark (else the file mixes encodings), and no byte
 *   of the file is one that Windows-1252 leaves undefined. Otherwise the file is refused naming the
 *   line of the first bad byte and suggesting `--encoding`. (Bytes up to the first invalid one were
 *   ASCII, which every accepted encoding reads alike, so switching mid-stream changes no text.)
 *
 * A single-byte encoding named for a file that starts with a UTF-8 byte-order mark is refused: the
 * file says it is UTF-8. Faults name the byte's value, offset and line, never the text (PCI-3).
 */
import { isUtf8 } from 'node:buffer';
import { fail } from './common';
import { STATEMENT_ENCODINGS, type StatementEncoding } from './encoding';

export interface ByteDecoder {
  /** Decodes the next chunk; throws StatementParseError on invalid input. */
  decode(chunk: Buffer): string;
  /** Flushes; throws when the input ends inside a multi-byte sequence. */
  end(): string;
  /** Line feeds decoded so far. */
  readonly lines: number;
}

/** Where the encoding came from, for messages. */
export type EncodingSource = '--encoding' | 'the CSV profile' | 'the XML declaration';

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

function countNewlines(bytes: Buffer, end = bytes.length): number {
  let count = 0;
  for (let at = bytes.indexOf(10); at !== -1 && at < end; at = bytes.indexOf(10, at + 1)) count++;
  return count;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Length of the trailing incomplete (but so far valid) UTF-8 sequence to carry into the next chunk. */
function incompleteTail(bytes: Buffer): number {
  const n = bytes.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Windows-1252 code points for bytes 0x80-0x9F (the rest is ISO-8859-1); undefined bytes map to C1 controls, as WHATWG does. */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122,
  0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** The full 256-entry Windows-1252 table, as characters. */
export const CP1252_TABLE: readonly string[] = Array.from({ length: 256 }, (_, byte) => String.fromCharCode(byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80]! : byte));

/** Bytes each single-byte encoding leaves without a character (refused). */
export const UNDEFINED_BYTES: Readonly<Record<Exclude<StatementEncoding, 'utf-8'>, readonly number[]>> = Object.freeze({
  'windows-1252': [0x81, 0x8d, 0x8f, 0x90, 0x9d],
  'windows-1250': [0x81, 0x83, 0x88, 0x90, 0x98],
  'iso-8859-1': Array.from({ length: 32 }, (_, i) => 0x80 + i),
});

const C1_RANGE = /[\x80-\x9f]/;
const C1_RANGE_G = /[\x80-\x9f]/g;

function cp1252Replace(char: string): string {
  return CP1252_TABLE[char.charCodeAt(0)]!;
}

/** Windows-1252 text of bytes already known to hold no undefined byte. */
export function decodeCp1252(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return C1_RANGE.test(text) ? text.replace(C1_RANGE_G, cp1252Replace) : text;
}

/** The first byte of `bytes` that `encoding` leaves undefined, or -1. */
function firstUndefined(bytes: Buffer, encoding: Exclude<StatementEncoding, 'utf-8'>): number {
  if (encoding === 'iso-8859-1') {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b >= 0x80 && b <= 0x9f) return i;
    }
    return -1;
  }
  let first = -1;
  for (const byte of UNDEFINED_BYTES[encoding]) {
    const at = bytes.indexOf(byte);
    if (at !== -1 && (first === -1 || at < first)) first = at;
  }
  return first;
}

const SUGGEST = `name the file's encoding with --encoding (${STATEMENT_ENCODINGS.join(', ')})`;

/** Counts lines and bytes, to name where a bad byte is. */
class Position {
  lines = 0;
  offset = 0;

  constructor(readonly file: string) {}

  advance(bytes: Buffer): void {
    this.lines += countNewlines(bytes);
    this.offset += bytes.length;
  }

  refuse(bytes: Buffer, at: number, fault: (byte: string, where: string) => string): never {
    const line = this.lines + countNewlines(bytes, at) + 1;
    fail({ file: this.file, line }, fault(hex(bytes[at]!), `at byte offset ${this.offset + at}`));
  }
}

const BOM = [0xef, 0xbb, 0xbf];

function startsWithBom(bytes: Buffer): boolean {
  return bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
}

/** A single-byte encoding (1250, 1252, ISO-8859-1): each chunk decodes on its own. */
class SingleByteDecoder implements ByteDecoder {
  get lines(): number {
    return this.position.lines;
  }

  private head: Buffer | undefined = Buffer.alloc(0);
  private readonly text: (bytes: Buffer) => string;

  constructor(
    private readonly position: Position,
    private readonly encoding: Exclude<StatementEncoding, 'utf-8'>,
    private readonly source: EncodingSource | 'the reader',
  ) {
    if (encoding === 'windows-1250') {
      const decoder = new TextDecoder('windows-1250');
      this.text = (bytes) => decoder.decode(bytes);
    } else if (encoding === 'windows-1252') this.text = decodeCp1252;
    else this.text = (bytes) => bytes.toString('latin1');
  }

  decode(chunk: Buffer): string {
    let bytes = chunk;
    if (this.head) {
      // The first three bytes decide whether the file claims to be UTF-8 (a byte-order mark).
      bytes = this.head.length > 0 ? Buffer.concat([this.head, chunk]) : chunk;
      if (bytes.length < 3 && bytes.every((b, i) => b === BOM[i])) {
        this.head = Buffer.from(bytes);
        return '';
      }
      this.head = undefined;
      if (startsWithBom(bytes)) {
        fail({ file: this.position.file, line: 1 }, `the file starts with a UTF-8 byte order mark but ${this.source} says ${this.encoding}`);
      }
    }
    return this.checked(bytes);
  }

  /** Decodes bytes whose start was already judged (also the auto decoder's fallback). */
  checked(bytes: Buffer): string {
    const bad = firstUndefined(bytes, this.encoding);
    if (bad !== -1) {
      this.position.refuse(bytes, bad, (byte, where) =>
        this.encoding === 'iso-8859-1'
          ? `byte ${byte} ${where} is a C1 control code in ISO-8859-1, not text (is the file Windows-1252? ${SUGGEST})`
          : this.source === 'the reader'
            ? `the file is not valid UTF-8, and byte ${byte} ${where} is undefined in Windows-1252, so its encoding is ambiguous: ${SUGGEST}`
            : `byte ${byte} ${where} is undefined in ${this.encoding} (${this.source} says ${this.encoding}; ${SUGGEST})`,
      );
    }
    this.position.advance(bytes);
    return this.text(bytes);
  }

  end(): string {
    const rest = this.head;
    this.head = undefined;
    return rest && rest.length > 0 ? this.checked(rest) : '';
  }
}

/**
 * UTF-8 (strict, or auto with the Windows-1252 fallback). Valid input is decoded with the native
 * validator and Buffer#toString; only an incomplete trailing sequence is carried between chunks.
 */
class Utf8Decoder implements ByteDecoder {
  get lines(): number {
    return this.position.lines;
  }

  private carry: Buffer | undefined;
  private first = true;
  /** Auto only: a byte-order mark or a multi-byte character was read, so the file is UTF-8. */
  private committed = false;
  private fallback: SingleByteDecoder | undefined;

  constructor(
    private readonly position: Position,
    private readonly auto: boolean,
  ) {}

  decode(chunk: Buffer): string {
    if (this.fallback) return this.fallback.checked(chunk);
    let bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    if (this.first && bytes.length > 0) {
      if (bytes.length < 3 && bytes.every((b, i) => b === BOM[i])) {
        this.carry = Buffer.from(bytes);
        return '';
      }
      this.first = false;
      if (startsWithBom(bytes)) {
        bytes = bytes.subarray(3);
        this.position.offset += 3;
        this.committed = true;
      }
    }
    const tail = incompleteTail(bytes);
    const body = tail ? bytes.subarray(0, bytes.length - tail) : bytes;
    if (!isUtf8(body)) return this.invalid(bytes, firstInvalidUtf8(body));
    if (tail) this.carry = Buffer.from(bytes.subarray(bytes.length - tail));
    const text = body.toString('utf8');
    if (text.length !== body.length) this.committed = true;
    this.position.advance(body);
    return text;
  }

  end(): string {
    if (this.fallback) return '';
    const rest = this.carry;
    this.carry = undefined;
    if (!rest || rest.length === 0) return '';
    if (this.first) {
      // A file of one or two bytes that began like a byte-order mark.
      this.first = false;
      if (!isUtf8(rest)) return this.invalid(rest, firstInvalidUtf8(rest));
      this.position.advance(rest);
      return rest.toString('utf8');
    }
    // The file ends inside a multi-byte sequence.
    return this.invalid(rest, 0);
  }

  /** `bytes` from its start is what is left to decode; `at` is its first invalid byte. */
  private invalid(bytes: Buffer, at: number): string {
    if (!this.auto) {
      this.position.refuse(bytes, at, (byte, where) =>
        at === bytes.length - 1 && bytes[at]! >= 0xc2 && bytes[at]! <= 0xf4
          ? `invalid UTF-8: the file ends inside a multi-byte character (byte ${byte} ${where})`
          : `invalid UTF-8 byte ${byte} ${where}; the file must be UTF-8 encoded`,
      );
    }
    let multiByteBefore = false;
    for (let i = 0; i < at && !multiByteBefore; i++) multiByteBefore = bytes[i]! >= 0x80;
    if (this.committed || multiByteBefore) {
      this.position.refuse(bytes, at, (byte, where) => `invalid UTF-8 byte ${byte} ${where} after UTF-8 text earlier in the file: the file mixes encodings, or is not UTF-8 (${SUGGEST})`);
    }
    // Everything before `bytes` was ASCII: read the whole file as Windows-1252 from here on.
    this.fallback = new SingleByteDecoder(this.position, 'windows-1252', 'the reader');
    return this.fallback.checked(bytes);
  }
}

/** A streaming decoder for `encoding` (undefined: UTF-8, else unambiguous Windows-1252; REC-IN-7). */
export function createByteDecoder(file: string, encoding: StatementEncoding | undefined, source: EncodingSource = '--encoding'): ByteDecoder {
  const position = new Position(file);
  if (encoding === undefined) return new Utf8Decoder(position, true);
  if (encoding === 'utf-8') return new Utf8Decoder(position, false);
  return new SingleByteDecoder(position, encoding, source);
}
