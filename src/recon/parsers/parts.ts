/**
 * REC-PERF-1: one big camt or MT940/MT942 statement file parsed in two parts, by two threads, with
 * the same result as parseStatementFile (./index.ts) reading it whole.
 *
 * - planSplit: the head decides the format and the encoding as for the whole file; a cut near
 *   `fraction` of the file is proposed where a statement begins (./split.ts).
 * - parseSecondPart (the helper thread): counts what the bytes before the cut hold (statements, line
 *   feeds, the last SWIFT {2: type) and parses from the cut on, its reader set up as the whole file's
 *   reader would stand there: camt reads the file's head up to its first statement first (the
 *   Document, the message root and the group header), and its statement indexes and Stmt[n]
 *   ordinals continue from the count; MT940 resumes with the count, the line number and the
 *   message type. Its lines then carry the whole file's ids (less the hash), positions and proofs.
 * - parseFirstPart (the run's thread): hashes the whole file (REC-RUN-2: in the read that parses the
 *   first part), parses up to the cut, and says where its reader stands there; with the file's
 *   whole-file checks (its end, whether it changed while read).
 * - the parts meet when the first part's reader stands between two statements exactly as the second
 *   part's started (the same statement count, line and state). The caller then joins them
 *   (joinParts); otherwise, or on ANY fault in either part, it parses the file whole on one thread,
 *   which gives the one-thread parse's result or its error (the same first fault, position and
 *   message) by construction.
 *
 * Both parts decode strictly (the file's named encoding, else strict UTF-8): a file that is not valid
 * UTF-8 needs the whole file to decide its encoding (REC-IN-7), so it fails here and is read whole.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { ParsedStatementFile, StatementFormat, StatementLine } from '../types';
import { CamtParser } from './camt';
import type { ParseContext, StatementSink, StatementSummary, TextParser } from './common';
import { createByteDecoder } from './decode';
import { checkTail, collector, HEAD_BYTES, headText, setup, statFile, TAIL_BYTES, type Setup, type StatementParseOptions } from './index';
import { Mt940Parser, type Mt940Resume } from './mt940';
import { camtBoundary, camtFirstStatement, countPrefix, mt940Boundary, splittable, type PrefixCounts } from './split';

/** Where the file is cut, and what the head decided. Plain data: it travels to the helper thread. */
export interface SplitPlan {
  path: string;
  size: number;
  mtimeMs: number;
  setup: Setup;
  /** The second part's first byte. */
  offset: number;
  /** camt: the bytes before the first statement (read first by the second part's reader), and the statement tag as written. */
  primer: number;
  qname: string | undefined;
  trailingZeros: 'lexical' | 'value';
}

/** Where a part's reader stands between two statements (camt: only `statements` counts). */
export type PartState = Mt940Resume;

/** Whether two readers stand at the same place (field by field: a state may come from another realm, through a thread's message). */
function sameState(a: PartState | undefined, b: PartState | undefined): boolean {
  return a !== undefined && b !== undefined && a.statements === b.statements && a.line === b.line && a.blockType === b.blockType && a.terminated === b.terminated;
}

/** Bytes read around the proposed cut to find a statement's start. */
export const SPLIT_WINDOW = 1 << 20;
/** Bytes per read of the parts (larger than the whole-file reader's: these loops are short). */
const PART_CHUNK = 1 << 20;

async function readAt(handle: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** A cut of `path` near `fraction` of its size (a share, or the share for the format the head shows: undefined, none), or undefined (a format not cut, no statement start near there, anything unusual). */
export async function planSplit(path: string, options: StatementParseOptions, fraction: number | ((format: StatementFormat) => number | undefined) = 0.5): Promise<SplitPlan | undefined> {
  try {
    const { size, mtimeMs } = await statFile(path);
    const handle = await fsp.open(path, 'r');
    try {
      const head = await readAt(handle, 0, Math.min(HEAD_BYTES, size));
      const settled = setup(path, head, options);
      if (!splittable(settled.format)) return undefined;
      const share = typeof fraction === 'number' ? fraction : fraction(settled.format);
      if (share === undefined) return undefined;
      const target = Math.max(Math.floor(size * share), Math.min(HEAD_BYTES, size));
      if (target >= size) return undefined;
      const window = await readAt(handle, target, Math.min(SPLIT_WINDOW, size - target));
      let offset: number;
      let primer = 0;
      let qname: string | undefined;
      if (settled.format.startsWith('camt')) {
        const first = camtFirstStatement(head, settled.format);
        if (!first) return undefined;
        const at = camtBoundary(window, first.qname);
        if (at === -1 || target + at <= first.offset) return undefined;
        offset = target + at;
        primer = first.offset;
        qname = first.qname;
      } else {
        const at = mt940Boundary(window);
        if (at === -1) return undefined;
        offset = target + at;
      }
      return { path, size, mtimeMs, setup: settled, offset, primer, qname, trailingZeros: options.allowTrailingZeroDecimals ? 'value' : 'lexical' };
    } finally {
      await handle.close();
    }
  } catch {
    // Whatever it is, the whole-file reader names it.
    return undefined;
  }
}

/** A part's reader, and where it stands between two statements (undefined: inside one). */
function partParser(plan: SplitPlan, ctx: ParseContext, sink: StatementSink, resume: PartState | undefined): { parser: TextParser; state(): PartState | undefined } {
  const format = plan.setup.format;
  if (format.startsWith('camt')) {
    const camt = new CamtParser(ctx, sink, resume?.statements ?? 0);
    return {
      parser: {
        push(text) {
          camt.push(text);
          const found = camt.detected;
          if (found && found.type !== format) throw new Error('the Document is not of the declared type');
        },
        end: () => camt.end(),
      },
      state() {
        const statements = camt.betweenStatements();
        return statements === undefined ? undefined : { statements, line: 0, blockType: undefined, terminated: false };
      },
    };
  }
  const mt940 = new Mt940Parser(ctx, sink, resume ? { resume } : {});
  return { parser: mt940, state: () => mt940.betweenMessages() };
}

/** The parts decode strictly: the named encoding, else UTF-8 (see the module comment). */
function partDecoder(plan: SplitPlan) {
  return createByteDecoder(plan.path, plan.setup.encoding ?? 'utf-8', plan.setup.encodingSource ?? '--encoding');
}

function contextOf(plan: SplitPlan): ParseContext {
  return { file: plan.path, hashPrefix: '', format: plan.setup.format, trailingZeros: plan.trailingZeros };
}

/** What the bytes before the cut hold, as the second part's reader must stand at the cut. */
async function countBefore(plan: SplitPlan): Promise<PartState> {
  const counts: PrefixCounts = { statements: 0, lines: 0, blockType: undefined };
  const handle = await fsp.open(plan.path, 'r');
  try {
    for (let position = 0; position < plan.offset; position += PART_CHUNK) {
      const length = Math.min(PART_CHUNK, plan.offset - position);
      const bytes = await readAt(handle, position, length + 64);
      countPrefix(bytes, length, plan.setup.format, plan.qname, position === 0, position + length === plan.offset, counts);
    }
  } finally {
    await handle.close();
  }
  if (plan.qname !== undefined) return { statements: counts.statements, line: 0, blockType: undefined, terminated: false };
  // The cut follows a message terminator (./split.ts), so a message ended with "-".
  return { statements: counts.statements, line: counts.lines, blockType: counts.blockType, terminated: true };
}

/**
 * Parses the file from the cut to its end into `sink`, its reader standing where the whole file's
 * would; returns where it started. Throws on any fault.
 */
export async function parseSecondPart(plan: SplitPlan, sink: StatementSink): Promise<PartState> {
  const state = await countBefore(plan);
  let written = 0;
  const counted: StatementSink = {
    line(index, line) {
      written += 1;
      sink.line(index, line);
    },
    statement(summary) {
      written += 1;
      sink.statement(summary);
    },
  };
  const { parser, state: standing } = partParser(plan, contextOf(plan), counted, state);
  const decoder = partDecoder(plan);
  if (plan.primer > 0) {
    // camt: the Document, the message root and the group header, as the whole file's reader read them.
    const handle = await fsp.open(plan.path, 'r');
    try {
      const head = await readAt(handle, 0, plan.primer);
      if (head.length !== plan.primer) throw new Error('the file changed while it was being read');
      const text = decoder.decode(head);
      if (text.length > 0) parser.push(text);
    } finally {
      await handle.close();
    }
    if (!sameState(standing(), state) || written > 0) throw new Error('the head does not end between statements');
  }
  let read = 0;
  for await (const chunk of createReadStream(plan.path, { start: plan.offset, highWaterMark: PART_CHUNK }) as AsyncIterable<Buffer>) {
    read += chunk.length;
    const text = decoder.decode(chunk);
    if (text.length > 0) parser.push(text);
  }
  if (plan.offset + read !== plan.size) throw new Error('the file changed while it was being read');
  const rest = decoder.end();
  if (rest.length > 0) parser.push(rest);
  parser.end();
  return state;
}

/** The first part, read by the run's thread, with the whole file's hash. */
export interface FirstPart {
  format: StatementFormat;
  contentHash: string;
  /** Where its reader stands at the cut (undefined: not between two statements). */
  state: PartState | undefined;
  collected: ReturnType<typeof collector>;
}

/**
 * Hashes the whole file and parses it up to the cut; checks its end (REC-RUN-2, as the whole-file
 * reader does) and that it did not change while read. Throws on any fault.
 */
export async function parseFirstPart(plan: SplitPlan): Promise<FirstPart> {
  const hash = createHash('sha256');
  const collected = collector();
  const { parser, state: standing } = partParser(plan, contextOf(plan), collected.sink, undefined);
  const decoder = partDecoder(plan);
  const head: Buffer[] = [];
  let headLength = 0;
  let read = 0;
  for await (const chunk of createReadStream(plan.path, { start: 0, end: plan.offset - 1, highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    read += chunk.length;
    if (headLength < HEAD_BYTES) {
      head.push(chunk);
      headLength += chunk.length;
    }
    const text = decoder.decode(chunk);
    if (text.length > 0) parser.push(text);
  }
  if (read !== plan.offset || decoder.end().length > 0) throw new Error('the first part does not end at the cut');
  const state = standing();
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(plan.path, { start: plan.offset, highWaterMark: PART_CHUNK }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    read += chunk.length;
    tail = chunk.length >= TAIL_BYTES ? chunk.subarray(chunk.length - TAIL_BYTES) : Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
  }
  const after = await fsp.stat(plan.path);
  if (read !== plan.size || after.size !== plan.size || after.mtimeMs !== plan.mtimeMs) throw new Error('the file changed while it was being read');
  // A fault here sends the file to the whole-file reader, which names the line: 1 stands in.
  checkTail(plan.path, plan.setup.format, headText(Buffer.concat(head).subarray(0, HEAD_BYTES)), Buffer.from(tail), 1);
  return { format: plan.setup.format, contentHash: hash.digest('hex'), state, collected };
}

/**
 * The whole file from its two parts, or undefined when they do not meet (the caller then reads the
 * file whole). The second part's lines are handed over one by one as `each` yields them.
 */
export function joinParts(
  plan: SplitPlan,
  first: FirstPart,
  second: { state: PartState; summaries: StatementSummary[]; rows: number; each(visit: (index: number, line: StatementLine) => void): void },
): ParsedStatementFile | undefined {
  if (!sameState(first.state, second.state)) return undefined;
  const { sink, file } = first.collected;
  second.each((index, line) => sink.line(index, line));
  for (const summary of second.summaries) sink.statement(summary);
  return file(plan.path, first.format, first.contentHash, false);
}
