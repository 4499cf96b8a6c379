/**
 * Statement files in, normalised StatementLines out.
 *
 * - detectFormat(head): sniffs the first bytes (XML namespace → camt type; "{1:" / ":20:" →
 *   MT940 or MT942; "01," → BAI2). CSV is never guessed: it needs a column-mapping profile.
 * - parseStatementFile(path, options): the whole file as a ParsedStatementFile.
 * - streamStatementLines(path, options): the same lines one at a time, reading the file in chunks
 *   so memory stays flat whatever its size; the generator's return value carries each statement's
 *   balance proof (also reported through `onStatement` as each statement ends).
 * - streamStatementLineBatches(path, options): the same, one array per chunk read (cheaper per
 *   line at millions of lines).
 *
 * Two passes over the file: the first hashes it (statementLineId = <sha256 first 12 hex>:<statement
 * index>:<line index>, 0-based) and checks that the file is not visibly cut short (camt must end
 * with </Document>, BAI2 with its 99 trailer); the second parses. Any problem with the input is a
 * StatementParseError naming the file and the line or element (REC-IN-2): whatever else a reader
 * might throw is wrapped into one with the line it was at; only I/O failures (and a bad CSV
 * profile, a usage error) are not. Messages name the field and the fault, never the content
 * (PCI-3). A streaming consumer may already have received lines when an error is thrown at the
 * end (e.g. a control-total mismatch): the error invalidates the whole file, so consumers must
 * treat the run as failed and discard them.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { LineSyntaxError, StatementParseError, type ParsedStatement, type ParsedStatementFile, type StatementFormat, type StatementLine } from '../types';
import { Bai2Parser } from './bai2';
import { CamtParser, camtVersionFromNamespace, type CamtVersion } from './camt';
import { Cp1252Decoder, fail, Utf8Decoder, type ByteDecoder, type ParseContext, type StatementSink, type StatementSummary, type TextParser } from './common';
import { CsvParser, type CsvProfile } from './csv';
import { resolveCsvProfile } from './csv-profiles';
import type { StatementEncoding } from './encoding';
import { Mt940Parser } from './mt940';

export type { StatementSummary } from './common';
export { CSV_PROFILES, resolveCsvProfile } from './csv-profiles';
export type { CsvProfile } from './csv';

export interface StatementParseOptions {
  /** CSV column-mapping profile (or a shipped profile's name): required for CSV files. */
  profile?: CsvProfile | string;
  /** Skip detection and parse as this format. */
  format?: StatementFormat;
  /** REC-IN-7: the file's text encoding; undefined = decide (UTF-8, else unambiguous Windows-1252). */
  encoding?: StatementEncoding;
  /** Bytes per read (default 64 KiB: small batches keep the heap small and the caches warm). */
  chunkSize?: number;
  /**
   * Accept amounts written with extra zero decimals beyond the currency's exponent ("5442.09000"
   * RON: the ISO 20022 amount type is xs:decimal with up to 5 fraction digits, and the value is
   * exact). Default false: more decimals than the currency has is a precision error, as SWIFT
   * rule T43 and money.ts require.
   */
  allowTrailingZeroDecimals?: boolean;
}

export interface StreamStatementOptions extends StatementParseOptions {
  /** Called as each statement ends, with its line count and balance proof. */
  onStatement?: (summary: StatementSummary) => void;
}

/** What a stream returns when it is done: every statement (without lines) and its balance proof. */
export interface StreamedStatementFile {
  file: string;
  format: StatementFormat;
  contentHash: string;
  statements: StatementSummary[];
}

const HEAD_BYTES = 64 * 1024;
const TAIL_BYTES = 4 * 1024;
const DEFAULT_CHUNK = 64 * 1024;
// eslint-disable-next-line no-control-regex -- ETX is a framing byte some banks append
const TRAILING_FRAMING = /[\s\x03]+$/;
const CAMT_NAMESPACE = /urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.[0-9]{3}\.[0-9]{2}/;

function headText(head: Buffer): string {
  let text = head.toString('latin1');
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) <= 32 || text.charCodeAt(i) === 1)) i++;
  return text.slice(i);
}

/** The camt message type and version from the first bytes of an XML file. */
export function detectCamtVersion(head: Buffer): CamtVersion | undefined {
  const text = headText(head);
  if (!text.startsWith('<')) return undefined;
  const match = CAMT_NAMESPACE.exec(text);
  return match ? camtVersionFromNamespace(match[0]) : undefined;
}

/** Sniffs the statement format from the first bytes; undefined when it is none of camt/MT940/MT942/BAI2. */
export function detectFormat(head: Buffer): StatementFormat | undefined {
  const text = headText(head);
  if (text.startsWith('<')) return detectCamtVersion(head)?.type;
  if (text.startsWith('{1:')) {
    const type = /\{2:[IO](94[02])/.exec(text);
    if (type) return type[1] === '942' ? 'mt942' : 'mt940';
    return /(^|\n):(13D|34F):/.test(text) ? 'mt942' : 'mt940';
  }
  if (text.startsWith(':20:')) return /(^|\n):(13D|34F):/.test(text) ? 'mt942' : 'mt940';
  if (text.startsWith('01,')) return 'bai2';
  // Banks' wrappers before the first MT message (REC-MT940-1..3): ABN AMRO's `ABNANL2A`/`940`,
  // ING's `0000 01INGBNL2AXXXX…`/`940 00`, Rabobank's `:940:`. Judged by what follows them.
  let body = text;
  for (let strip = 0; strip < 8 && MT_PREAMBLE.test(body); strip += 1) body = body.replace(MT_PREAMBLE, '');
  if (body !== text && body.startsWith(':20:')) return /(^|\n):(13D|34F):/.test(body) ? 'mt942' : 'mt940';
  return undefined;
}

/** One wrapper line a bank puts before its MT940/942 messages (see detectFormat). */
const MT_PREAMBLE = /^(?:[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?|94[02](?: [0-9]{2})?|0000 [0-9]{2}[A-Z]{6}[A-Z0-9]{2}[A-Z0-9 ]*|:94[02]:)\r?\n/;

interface Prepared {
  format: StatementFormat;
  contentHash: string;
  profile?: CsvProfile;
  size: number;
  mtimeMs: number;
}

/** What a file starts with, described without quoting it (PCI-3: the file may hold anything). */
function describeStart(text: string): string {
  if (text.length === 0) return 'nothing but whitespace';
  const first = text.charCodeAt(0);
  if (first >= 48 && first <= 57) return 'a digit';
  if ((first >= 65 && first <= 90) || (first >= 97 && first <= 122)) return 'a letter';
  if (first < 32 || first === 127) return `control character U+${first.toString(16).padStart(4, '0')}`;
  return 'a punctuation mark or symbol';
}

/** Pass 1: hash, detect, and check the tail for obvious truncation. */
async function prepare(path: string, options: StatementParseOptions): Promise<Prepared> {
  let stat;
  try {
    stat = await fsp.stat(path);
  } catch (error) {
    throw new StatementParseError({ file: path }, `cannot read the file: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new StatementParseError({ file: path }, 'not a regular file');
  if (stat.size === 0) throw new StatementParseError({ file: path, line: 1 }, 'the file is empty');
  const hash = createHash('sha256');
  let head: Buffer | undefined;
  let tail = Buffer.alloc(0);
  // The number of the file's last line, for faults found at its end (REC-IN-2: every fault names a line).
  let newlines = 0;
  let lastByte = 10;
  for await (const chunk of createReadStream(path, { highWaterMark: options.chunkSize ?? DEFAULT_CHUNK })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) newlines++;
    if (bytes.length > 0) lastByte = bytes[bytes.length - 1]!;
    if (!head) head = Buffer.from(bytes.subarray(0, HEAD_BYTES));
    else if (head.length < HEAD_BYTES) head = Buffer.concat([head, bytes.subarray(0, HEAD_BYTES - head.length)]);
    tail = bytes.length >= TAIL_BYTES ? Buffer.from(bytes.subarray(bytes.length - TAIL_BYTES)) : Buffer.concat([tail, bytes]).subarray(-TAIL_BYTES);
  }
  const contentHash = hash.digest('hex');
  const headBytes = head ?? Buffer.alloc(0);
  let format = options.format ?? detectFormat(headBytes);
  let profile: CsvProfile | undefined;
  if (!format && options.profile !== undefined) format = 'csv';
  if (!format) {
    throw new StatementParseError(
      { file: path, line: 1 },
      `unknown statement format: the file starts with ${describeStart(headText(headBytes))}, not with camt.052/053/054 XML ("<"), MT940/MT942 ("{1:" or ":20:") or BAI2 ("01,") (CSV needs a column-mapping profile)`,
    );
  }
  if (format === 'csv') {
    if (options.profile === undefined) throw new StatementParseError({ file: path, line: 1 }, 'a CSV statement needs a column-mapping profile');
    profile = resolveCsvProfile(options.profile);
  }
  checkTail(path, format, headText(headBytes), tail, lastByte === 10 ? Math.max(newlines, 1) : newlines + 1);
  return { format, contentHash, size: stat.size, mtimeMs: stat.mtimeMs, ...(profile ? { profile } : {}) };
}

/** Only when the head looks like the format: otherwise the parser's first-line error is the better message. */
function checkTail(path: string, format: StatementFormat, head: string, tailBytes: Buffer, endLine: number): void {
  // Trailing whitespace and ETX (U+0003) framing bytes do not count.
  const tail = tailBytes.toString('latin1').replace(TRAILING_FRAMING, '');
  if (format.startsWith('camt') && head.startsWith('<')) {
    if (!/<\/([A-Za-z_][\w.-]*:)?Document>\s*(<!--[\s\S]*?-->\s*|<\?[\s\S]*?\?>\s*)*$/.test(tail)) {
      throw new StatementParseError({ file: path, line: endLine }, 'the file does not end with </Document> (truncated file?) (at the end of the file)');
    }
  } else if (format === 'bai2' && head.startsWith('01,')) {
    const lastLine = tail.slice(tail.lastIndexOf('\n') + 1);
    if (!/^\s*99,|\/\s*99,[^/]*\/?$/.test(lastLine)) {
      throw new StatementParseError({ file: path, line: endLine }, 'the file does not end with a 99 file trailer (truncated file?) (at the end of the file)');
    }
  }
}

function createDecoder(prepared: Prepared, file: string): ByteDecoder {
  return prepared.profile?.encoding === 'cp1252' ? new Cp1252Decoder(file) : new Utf8Decoder(file);
}

function createParser(prepared: Prepared, ctx: ParseContext, sink: StatementSink): TextParser {
  switch (prepared.format) {
    case 'camt.052':
    case 'camt.053':
    case 'camt.054': {
      const parser = new CamtParser(ctx, sink);
      // The declared format must match the Document namespace.
      return {
        push(text) {
          parser.push(text);
          const found = parser.detected;
          if (found && found.type !== prepared.format) {
            throw new StatementParseError({ file: ctx.file, element: 'Document' }, `the Document is ${found.type}.${found.version}, not ${prepared.format}`);
          }
        },
        end() {
          parser.end();
        },
        line() {
          return parser.line();
        },
      };
    }
    case 'mt940':
    case 'mt942':
      return new Mt940Parser(ctx, sink);
    case 'bai2':
      return new Bai2Parser(ctx, sink);
    case 'csv':
      return new CsvParser(ctx, sink, prepared.profile!);
    default:
      throw new StatementParseError({ file: ctx.file }, `unsupported format ${String(prepared.format)}`);
  }
}

/** An error a consumer's sink callback threw: passed through untouched, never blamed on the file. */
class SinkFailure {
  constructor(readonly error: unknown) {}
}

function guardSink(sink: StatementSink): StatementSink {
  return {
    line(index, line) {
      try {
        sink.line(index, line);
      } catch (error) {
        throw new SinkFailure(error);
      }
    },
    statement(summary) {
      try {
        sink.statement(summary);
      } catch (error) {
        throw new SinkFailure(error);
      }
    },
  };
}

/**
 * Decoding and parsing, with REC-IN-2's guarantee: a parse failure leaves as a StatementParseError
 * naming the file and a line; anything else a reader throws (a bug meeting hostile input) is
 * wrapped into one at the line the reader was at, without its message (it may quote content).
 */
class GuardedReader {
  private readonly decoder: ByteDecoder;
  private readonly parser: TextParser;

  constructor(
    private readonly file: string,
    private readonly format: StatementFormat,
    prepared: Prepared,
    ctx: ParseContext,
    sink: StatementSink,
  ) {
    this.decoder = createDecoder(prepared, file);
    this.parser = createParser(prepared, ctx, guardSink(sink));
  }

  push(chunk: Buffer): void {
    this.guard(() => {
      const text = this.decoder.decode(chunk);
      if (text.length > 0) this.parser.push(text);
    });
  }

  end(): void {
    this.guard(() => {
      const rest = this.decoder.end();
      if (rest.length > 0) this.parser.push(rest);
      this.parser.end();
    });
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (error instanceof SinkFailure) throw error.error;
      if (error instanceof StatementParseError) {
        if (error.position.file) throw error;
        throw new StatementParseError({ ...error.position, file: this.file }, error.fault);
      }
      if (error instanceof LineSyntaxError) fail({ file: this.file, line: error.line }, error.fault);
      let line = 1;
      try {
        line = this.parser.line?.() ?? 1;
      } catch {
        // keep line 1
      }
      fail({ file: this.file, line }, `the ${this.format} reader failed at this line (${error instanceof Error ? error.name : 'non-error thrown'})`);
    }
  }
}

/** Pass 2: reads the file in chunks through the decoder and parser; `after` runs after each chunk. */
async function* chunks(path: string, prepared: Prepared, options: StatementParseOptions): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path, { highWaterMark: options.chunkSize ?? DEFAULT_CHUNK })) yield chunk as Buffer;
  const stat = await fsp.stat(path);
  if (stat.size !== prepared.size || stat.mtimeMs !== prepared.mtimeMs) {
    throw new StatementParseError({ file: path }, 'the file changed while it was being read');
  }
}

function context(path: string, prepared: Prepared, options: StatementParseOptions): ParseContext {
  return {
    file: path,
    hashPrefix: prepared.contentHash.slice(0, 12),
    format: prepared.format,
    trailingZeros: options.allowTrailingZeroDecimals ? 'value' : 'lexical',
  };
}

/** Parses a whole statement file. */
export async function parseStatementFile(path: string, options: StatementParseOptions = {}): Promise<ParsedStatementFile> {
  const prepared = await prepare(path, options);
  const ctx = context(path, prepared, options);
  const lines = new Map<number, StatementLine[]>();
  const summaries: StatementSummary[] = [];
  const sink: StatementSink = {
    line(index, line) {
      let list = lines.get(index);
      if (!list) {
        list = [];
        lines.set(index, list);
      }
      list.push(line);
    },
    statement(summary) {
      summaries.push(summary);
    },
  };
  const reader = new GuardedReader(path, prepared.format, prepared, ctx, sink);
  for await (const chunk of chunks(path, prepared, options)) reader.push(chunk);
  reader.end();
  summaries.sort((a, b) => a.index - b.index);
  const statements: ParsedStatement[] = summaries.map((s) => ({
    statementId: s.statementId,
    accountId: s.accountId,
    currency: s.currency,
    lines: lines.get(s.index) ?? [],
    ...(s.balance ? { balance: s.balance } : {}),
  }));
  return { file: path, format: prepared.format, contentHash: prepared.contentHash, statements };
}

/**
 * Streams a statement file's lines in batches (one batch per chunk read, in file order): the
 * cheapest way to consume millions of lines. Memory stays flat. The return value (and
 * `onStatement`) carries the statements' balance proofs. If it throws, the whole file is invalid
 * (see the module comment).
 */
export async function* streamStatementLineBatches(path: string, options: StreamStatementOptions = {}): AsyncGenerator<StatementLine[], StreamedStatementFile, undefined> {
  const prepared = await prepare(path, options);
  const ctx = context(path, prepared, options);
  let batch: StatementLine[] = [];
  const summaries: StatementSummary[] = [];
  const sink: StatementSink = {
    line(_index, line) {
      batch.push(line);
    },
    statement(summary) {
      summaries.push(summary);
      options.onStatement?.(summary);
    },
  };
  const reader = new GuardedReader(path, prepared.format, prepared, ctx, sink);
  for await (const chunk of chunks(path, prepared, options)) {
    reader.push(chunk);
    if (batch.length > 0) {
      const ready = batch;
      batch = [];
      yield ready;
    }
  }
  reader.end();
  if (batch.length > 0) yield batch;
  summaries.sort((a, b) => a.index - b.index);
  return { file: path, format: prepared.format, contentHash: prepared.contentHash, statements: summaries };
}

/**
 * Streams a statement file's lines one at a time (see streamStatementLineBatches). Memory stays
 * flat: the file is read in chunks and each line is yielded as soon as its chunk is parsed.
 */
export async function* streamStatementLines(path: string, options: StreamStatementOptions = {}): AsyncGenerator<StatementLine, StreamedStatementFile, undefined> {
  const batches = streamStatementLineBatches(path, options);
  for (;;) {
    const next = await batches.next();
    if (next.done) return next.value;
    for (const line of next.value) yield line;
  }
}
