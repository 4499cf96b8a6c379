/**
 * The one place the run layer calls the statement parsers (src/recon/parsers, owned by the
 * parsers' authors). A thin wrapper: if their API moves, only this changes.
 * The file is read once (REC-RUN-2): hashed in the same pass that decodes and parses it.
 */
import type { ParsedStatementFile, StatementFormat } from '../types';
import { parseStatementChunks as parseChunks, parseStatementChunksAsRows as parseChunksAsRows, parseStatementFile, parseStatementFileAsRows } from '../parsers';
import type { ParsedStatementRows } from '../statement-rows';
import type { StatementEncoding } from '../parsers/encoding';

export type { StatementEncoding } from '../parsers/encoding';
export { parseEncoding, STATEMENT_ENCODINGS } from '../parsers/encoding';

export interface ParseStatementOptions {
  profile?: string;
  format?: StatementFormat;
  /** REC-IN-7: the file's text encoding; undefined = decide (UTF-8, else unambiguous Windows-1252). */
  encoding?: StatementEncoding;
  /** Called after each chunk read of the file, with the bytes read so far and its size. */
  onRead?: (bytesRead: number, totalBytes: number) => void;
}

export async function parseStatement(path: string, options: ParseStatementOptions = {}): Promise<ParsedStatementFile> {
  return parseStatementFile(path, {
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.format ? { format: options.format } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
    ...(options.onRead ? { onRead: options.onRead } : {}),
  });
}

/**
 * Parses a statement from its bytes as they arrive (an S3 object body), hashing them in the same
 * pass (REC-RUN-2): no temporary file. `name` names the statement in positions and errors.
 */
export async function parseStatementChunks(chunks: AsyncIterable<Uint8Array>, options: ParseStatementOptions & { name: string }): Promise<ParsedStatementFile> {
  return parseChunks(chunks, {
    name: options.name,
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.format ? { format: options.format } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
  });
}

/** parseStatement, the lines as rows (REC-PERF-1: a run's, never an object a line). */
export async function parseStatementAsRows(path: string, options: ParseStatementOptions = {}): Promise<ParsedStatementRows> {
  return parseStatementFileAsRows(path, {
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.format ? { format: options.format } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
    ...(options.onRead ? { onRead: options.onRead } : {}),
  });
}

/** parseStatementChunks, the lines as rows (REC-PERF-1). */
export async function parseStatementChunksAsRows(chunks: AsyncIterable<Uint8Array>, options: ParseStatementOptions & { name: string }): Promise<ParsedStatementRows> {
  return parseChunksAsRows(chunks, {
    name: options.name,
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.format ? { format: options.format } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
  });
}
