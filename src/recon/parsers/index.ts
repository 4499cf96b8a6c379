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
import { fail, type ParseContext, type StatementSink, type StatementSummary, type TextParser } from './common';
import { concatStatementRows, StatementColumnsBuilder, type ParsedStatementRows, type StatementOfRows, type StatementRows } from '../statement-rows';
import { createByteDecoder, type ByteDecoder, type EncodingSource } from './decode';
import { CsvParser, type CsvProfile } from './csv';
import { resolveCsvProfile } from './csv-profiles';
import { parseEncoding, STATEMENT_ENCODINGS, type StatementEncoding, wideEncoding, wideEncodingFault } from './encoding';
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
  /** parseStatementFile: called after each chunk read, with the bytes read so far and the file's size (progress on a long read). */
  onRead?: (bytesRead: number, totalBytes: number) => void;
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

/** What the first bytes decide: the format, the CSV profile and the text encoding. */
interface Setup {
  format: StatementFormat;
  profile?: CsvProfile;
  encoding?: StatementEncoding;
  encodingSource?: EncodingSource;
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

const XML_DECLARATION = /^<\?xml\s[^?]*?\bencoding\s*=\s*["']([^"']{0,64})["']/;

/** The encoding an XML declaration names (REC-IN-7), checked against the accepted list. */
function declaredEncoding(file: string, head: string): StatementEncoding | undefined {
  const match = XML_DECLARATION.exec(head);
  if (!match) return undefined;
  try {
    return parseEncoding(match[1]!);
  } catch {
    const name = /^[A-Za-z0-9._:-]{1,40}$/.test(match[1]!) ? `"${match[1]!}"` : 'that it names';
    throw new StatementParseError({ file, line: 1 }, `the XML declaration's encoding ${name} is not supported: use one of ${STATEMENT_ENCODINGS.join(', ')}`);
  }
}

/** Detects the format (unless given), resolves the CSV profile and picks the encoding. */
function setup(file: string, headBytes: Buffer, options: StatementParseOptions): Setup {
  // REC-IN-7: a UTF-16/32 file is named as such, whatever the format or --encoding, rather than read as bytes it is not.
  const wide = wideEncoding(headBytes);
  if (wide) {
    throw new StatementParseError({ file, line: 1 }, wideEncodingFault(wide, `statements are read as ${STATEMENT_ENCODINGS.join(', ')}: save or export it in one of them`));
  }
  let format = options.format ?? detectFormat(headBytes);
  if (!format && options.profile !== undefined) format = 'csv';
  if (!format) {
    throw new StatementParseError(
      { file, line: 1 },
      `unknown statement format: the file starts with ${describeStart(headText(headBytes))}, not with camt.052/053/054 XML ("<"), MT940/MT942 ("{1:" or ":20:") or BAI2 ("01,") (CSV needs a column-mapping profile)`,
    );
  }
  const result: Setup = { format };
  if (format === 'csv') {
    if (options.profile === undefined) throw new StatementParseError({ file, line: 1 }, 'a CSV statement needs a column-mapping profile');
    result.profile = resolveCsvProfile(options.profile);
  }
  // An explicit encoding wins over the file's own declaration, as XML 1.0 (4.3.3) has external
  // encoding information do; then the XML declaration; then a CSV profile's; else auto.
  if (options.encoding) {
    result.encoding = parseEncoding(options.encoding);
    result.encodingSource = '--encoding';
  } else if (format.startsWith('camt')) {
    // A declared UTF-8 is the default reading (REC-IN-7: only --encoding makes it strict).
    const declared = declaredEncoding(file, headText(headBytes));
    if (declared && declared !== 'utf-8') {
      result.encoding = declared;
      result.encodingSource = 'the XML declaration';
    }
  } else if (result.profile?.encoding === 'cp1252') {
    result.encoding = 'windows-1252';
    result.encodingSource = 'the CSV profile';
  }
  return result;
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

function createParser(prepared: Setup, ctx: ParseContext, sink: StatementSink): TextParser {
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
  readonly decoder: ByteDecoder;
  private readonly parser: TextParser;

  constructor(
    private readonly file: string,
    private readonly format: StatementFormat,
    settled: Setup,
    ctx: ParseContext,
    sink: StatementSink,
  ) {
    this.decoder = this.guard(() => createByteDecoder(file, settled.encoding, settled.encodingSource));
    this.parser = this.guard(() => createParser(settled, ctx, guardSink(sink)));
  }

  push(chunk: Buffer): void {
    this.guard(() => {
      const text = this.decoder.decode(chunk);
      if (text.length > 0) this.parser.push(text);
    });
  }

  /** Flushes the decoder; `beforeEnd` runs before the parser is told the input ended. */
  end(beforeEnd: () => void): void {
    this.guard(() => {
      const rest = this.decoder.end();
      if (rest.length > 0) this.parser.push(rest);
      beforeEnd();
      this.parser.end();
    });
  }

  private guard<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      if (error instanceof SinkFailure) throw error.error;
      if (error instanceof StatementParseError) {
        if (error.position.file) throw error;
        throw new StatementParseError({ ...error.position, file: this.file }, error.fault);
      }
      if (error instanceof LineSyntaxError) fail({ file: this.file, line: error.line }, error.fault);
      let line = 1;
      try {
        line = this.parser?.line?.() ?? 1;
      } catch {
        // keep line 1
      }
      fail({ file: this.file, line }, `the ${this.format} reader failed at this line (${error instanceof Error ? error.name : 'non-error thrown'})`);
    }
  }
}

/**
 * One statement file, read once (REC-RUN-2): each chunk is hashed, and decoded and parsed in the
 * same pass. The first HEAD_BYTES are held back until the format and encoding are known. Lines
 * are emitted with their statementLineId lacking the hash prefix (":<statement>:<line>") unless
 * the hash was known beforehand; the driver prefixes them once `end()` returns the hash.
 */
class StatementReader {
  private readonly hash = createHash('sha256');
  private head: Buffer[] | undefined = [];
  private headLength = 0;
  private reader: GuardedReader | undefined;
  private settled: Setup | undefined;
  private tail: Buffer = Buffer.alloc(0);
  private lastByte = 10;
  /** Bytes read so far. */
  size = 0;

  constructor(
    private readonly file: string,
    private readonly options: StatementParseOptions,
    private readonly sink: StatementSink,
    /** The content hash and the file's first bytes, when a first pass already read them. */
    private readonly known?: { hash: string; head: Buffer },
  ) {}

  private get knownHash(): string | undefined {
    return this.known?.hash;
  }

  get format(): StatementFormat | undefined {
    return this.settled?.format;
  }

  push(input: Uint8Array): void {
    if (input.length === 0) return;
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
    if (!this.knownHash) this.hash.update(chunk);
    this.size += chunk.length;
    this.lastByte = chunk[chunk.length - 1]!;
    this.tail = chunk.length >= TAIL_BYTES ? Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES)) : Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
    if (this.head) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength >= HEAD_BYTES || this.known) this.start();
      return;
    }
    this.reader!.push(chunk);
  }

  private start(): void {
    const held = this.head!;
    this.head = undefined;
    const headBytes = this.known?.head ?? (held.length === 1 ? held[0]! : Buffer.concat(held));
    this.settled = setup(this.file, headBytes.subarray(0, HEAD_BYTES), this.options);
    const ctx: ParseContext = {
      file: this.file,
      hashPrefix: this.knownHash ? this.knownHash.slice(0, 12) : '',
      format: this.settled.format,
      trailingZeros: this.options.allowTrailingZeroDecimals ? 'value' : 'lexical',
    };
    this.reader = new GuardedReader(this.file, this.settled.format, this.settled, ctx, this.sink);
    this.headText = headText(headBytes.subarray(0, HEAD_BYTES));
    for (const chunk of held) this.reader.push(chunk);
  }

  private headText = '';

  /** Ends the input; returns the format and the content hash. */
  end(): { format: StatementFormat; contentHash: string } {
    if (this.size === 0) throw new StatementParseError({ file: this.file, line: 1 }, 'the file is empty');
    if (this.head) this.start();
    const reader = this.reader!;
    const format = this.settled!.format;
    reader.end(() => {
      const lines = reader.decoder.lines;
      checkTail(this.file, format, this.headText, this.tail, this.lastByte === 10 ? Math.max(lines, 1) : lines + 1);
    });
    return { format, contentHash: this.knownHash ?? this.hash.digest('hex') };
  }
}

/** The chunks of a file, in reads of `chunkSize` bytes. */
function fileChunks(path: string, options: StatementParseOptions): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: options.chunkSize ?? DEFAULT_CHUNK }) as AsyncIterable<Buffer>;
}

/** Refuses what is not a regular, non-empty file; returns its size and modification time. */
async function statFile(path: string): Promise<{ size: number; mtimeMs: number }> {
  let stat;
  try {
    stat = await fsp.stat(path);
  } catch (error) {
    throw new StatementParseError({ file: path }, `cannot read the file: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new StatementParseError({ file: path }, 'not a regular file');
  if (stat.size === 0) throw new StatementParseError({ file: path, line: 1 }, 'the file is empty');
  return { size: stat.size, mtimeMs: stat.mtimeMs };
}

/** After reading `read` bytes of `path`: refuses a file that changed while it was being read. */
async function checkUnchanged(path: string, before: { size: number; mtimeMs: number }, read: number): Promise<void> {
  const after = await fsp.stat(path);
  if (read !== before.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    throw new StatementParseError({ file: path }, 'the file changed while it was being read');
  }
}

/** A sink that gathers every statement's lines, and the file they make once the hash is known. */
function collector(): { sink: StatementSink; file(name: string, format: StatementFormat, contentHash: string, prefixed: boolean): ParsedStatementFile } {
  const lines = new Map<number, StatementLine[]>();
  const summaries: StatementSummary[] = [];
  return {
    sink: {
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
    },
    file(name, format, contentHash, prefixed) {
      const prefix = contentHash.slice(0, 12);
      summaries.sort((a, b) => a.index - b.index);
      const statements: ParsedStatement[] = summaries.map((s) => {
        const list = lines.get(s.index) ?? [];
        if (!prefixed) for (const line of list) line.statementLineId = prefix + line.statementLineId;
        return { statementId: s.statementId, accountId: s.accountId, currency: s.currency, lines: list, ...(s.balance ? { balance: s.balance } : {}) };
      });
      return { file: name, format, contentHash, statements };
    },
  };
}

/**
 * A sink that gathers every statement's lines as rows (REC-PERF-1): each line's fields go into the
 * file's columns (StatementColumnsBuilder) as the reader accepts it, and its object is dropped.
 * Lines come statement after statement (a statement's rows are then a range); should a reader hand
 * over lines of statements mixed (a CSV's accounts may be), each row's statement is kept from then
 * on and each statement's rows are picked out by it.
 */
function rowCollector(): { sink: StatementSink; file(name: string, format: StatementFormat, contentHash: string, prefixed: boolean): ParsedStatementRows } {
  const builder = new StatementColumnsBuilder();
  const summaries: StatementSummary[] = [];
  /** Each statement's first row and row count (a range while the lines come in order). */
  const ranges = new Map<number, { first: number; count: number }>();
  let current: { first: number; count: number } | undefined;
  let lastIndex = -1;
  /** Each row's statement index: kept only once the lines came mixed. */
  let statementOfRow: number[] | undefined;
  const mixed = (): number[] => {
    // Until now every statement's rows were one range: each row's statement, from them.
    const of: number[] = [];
    for (const [index, range] of ranges) for (let r = 0; r < range.count; r += 1) of[range.first + r] = index;
    return of;
  };
  return {
    sink: {
      line(index, line) {
        if (index !== lastIndex) {
          // A statement seen before, or one before the last: the lines come mixed.
          if (statementOfRow === undefined && (index < lastIndex || ranges.has(index))) statementOfRow = mixed();
          current = ranges.get(index);
          if (current === undefined) ranges.set(index, (current = { first: builder.length, count: 0 }));
          lastIndex = index;
        }
        current!.count += 1;
        statementOfRow?.push(index);
        builder.push(line);
      },
      statement(summary) {
        summaries.push(summary);
      },
    },
    file(name, format, contentHash, prefixed) {
      if (!prefixed) builder.prefixIds(contentHash.slice(0, 12));
      const rows = builder.finish();
      summaries.sort((a, b) => a.index - b.index);
      const rowsOf = (index: number): StatementRows => {
        if (statementOfRow !== undefined) return rows.filter((_, row) => statementOfRow![row] === index);
        const range = ranges.get(index);
        return range === undefined ? rows.range(0, 0) : rows.range(range.first, range.first + range.count);
      };
      const statements: StatementOfRows[] = summaries.map((s) => ({
        statementId: s.statementId,
        accountId: s.accountId,
        currency: s.currency,
        rows: rowsOf(s.index),
        ...(s.balance ? { balance: s.balance } : {}),
      }));
      // Every line, statement after statement (the statements' order, as the objects' form lists them).
      const inOrder = statementOfRow === undefined && statements.reduce((n, s) => n + s.rows.length, 0) === rows.length;
      return { file: name, format, contentHash, statements, rows: inOrder ? rows : concatStatementRows(statements.map((s) => s.rows)) };
    },
  };
}

/** Reads a statement from its chunks into what `collect` gathers (hashed in the same pass: REC-RUN-2). */
async function readChunks<T>(
  chunks: AsyncIterable<Uint8Array>,
  options: StatementParseOptions & { name: string },
  collect: { sink: StatementSink; file(name: string, format: StatementFormat, contentHash: string, prefixed: boolean): T },
): Promise<T> {
  const reader = new StatementReader(options.name, options, collect.sink);
  for await (const chunk of chunks) reader.push(chunk);
  const { format, contentHash } = reader.end();
  return collect.file(options.name, format, contentHash, false);
}

/** A file's chunks, read once, with its read progress; a file that changed while it was read is refused at its end. */
async function* countedChunks(path: string, options: StatementParseOptions): AsyncGenerator<Buffer> {
  const before = await statFile(path);
  let read = 0;
  for await (const chunk of fileChunks(path, options)) {
    read += chunk.length;
    yield chunk;
    options.onRead?.(read, before.size);
  }
  await checkUnchanged(path, before, read);
}

/** parseStatementChunks, the lines as rows (REC-PERF-1: a large file's as columns, never an object a line). */
export function parseStatementChunksAsRows(chunks: AsyncIterable<Uint8Array>, options: StatementParseOptions & { name: string }): Promise<ParsedStatementRows> {
  return readChunks(chunks, options, rowCollector());
}

/** parseStatementFile, the lines as rows (REC-PERF-1), reading the file once. */
export function parseStatementFileAsRows(path: string, options: StatementParseOptions = {}): Promise<ParsedStatementRows> {
  return parseStatementChunksAsRows(countedChunks(path, options), { ...options, name: path });
}

/**
 * Parses a statement from its bytes as they arrive (an S3 object body, a file stream), hashing
 * them in the same pass (REC-RUN-2). `name` is the file name used in positions and errors.
 */
export function parseStatementChunks(chunks: AsyncIterable<Uint8Array>, options: StatementParseOptions & { name: string }): Promise<ParsedStatementFile> {
  return readChunks(chunks, options, collector());
}

/** Parses a whole statement file, reading it once (REC-RUN-2). */
export function parseStatementFile(path: string, options: StatementParseOptions = {}): Promise<ParsedStatementFile> {
  return parseStatementChunks(countedChunks(path, options), { ...options, name: path });
}

/** Pass 1 of a stream: the content hash (so each line can leave with its final id) and the head. */
async function hashFile(path: string, options: StatementParseOptions): Promise<{ hash: string; head: Buffer }> {
  const hash = createHash('sha256');
  const held: Buffer[] = [];
  let length = 0;
  let tail = Buffer.alloc(0);
  let newlines = 0;
  let lastByte = 10;
  for await (const chunk of fileChunks(path, options)) {
    hash.update(chunk);
    if (length < HEAD_BYTES) {
      held.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - length)));
      length += held[held.length - 1]!.length;
    }
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) newlines++;
    if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
    tail = chunk.length >= TAIL_BYTES ? Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES)) : Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
  }
  const head = Buffer.concat(held);
  // A visibly cut file is refused before any line is handed over.
  checkTail(path, setup(path, head, options).format, headText(head), tail, lastByte === 10 ? Math.max(newlines, 1) : newlines + 1);
  return { hash: hash.digest('hex'), head };
}

/**
 * Streams a statement file's lines in batches (one batch per chunk read, in file order): the
 * cheapest way to consume millions of lines. Memory stays flat. The return value (and
 * `onStatement`) carries the statements' balance proofs. If it throws, the whole file is invalid
 * (see the module comment). Each line is handed over with its final statementLineId, so the file
 * is read twice: once to hash it, once to parse it (parseStatementFile reads once).
 */
export async function* streamStatementLineBatches(path: string, options: StreamStatementOptions = {}): AsyncGenerator<StatementLine[], StreamedStatementFile, undefined> {
  const before = await statFile(path);
  const known = await hashFile(path, options);
  const contentHash = known.hash;
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
  const reader = new StatementReader(path, options, sink, known);
  for await (const chunk of fileChunks(path, options)) {
    reader.push(chunk);
    if (batch.length > 0) {
      const ready = batch;
      batch = [];
      yield ready;
    }
  }
  await checkUnchanged(path, before, reader.size);
  const { format } = reader.end();
  if (batch.length > 0) yield batch;
  summaries.sort((a, b) => a.index - b.index);
  return { file: path, format, contentHash, statements: summaries };
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
