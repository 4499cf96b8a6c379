/**
 * The embedded adapters of a reconciliation run's statements and bad input
 * (ports/reconciliation.ts): statement files by path, read once through the one parser wrapper
 * (src/recon/run/statements.ts: hashed in the same read, REC-RUN-2), and the quarantine folder.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { redactPans } from '../../domain/pan';
import { ReconcileConfigError, type Quarantine, type StatementSource } from '../../ports/reconciliation';
import type { ParsedStatementFile, StatementFormat } from '../../recon/types';
import { asBadInput, BadInputError } from '../../recon/run/errors';
import { quarantine } from '../../recon/run/quarantine';
import { parseStatementAsRows as defaultParse, type StatementEncoding } from '../../recon/run/statements';
import { parsedRowsOf, type ParsedStatementRows } from '../../recon/statement-rows';

export type ParseStatement = (
  path: string,
  options: { profile?: string; format?: StatementFormat; encoding?: StatementEncoding; onRead?: (bytesRead: number, totalBytes: number) => void },
) => Promise<ParsedStatementFile | ParsedStatementRows>;

/** From this size a statement file's read reports its progress (a 1M-line camt.053 file is about 500 MB: some seconds). */
export const READ_PROGRESS_FROM = 64 << 20;

/**
 * A long read's progress: `report(percent, …)` once as the bytes read pass each quarter of the file
 * (25, 50, 75; the run reports the file itself when it is read), only for a file of `from` bytes
 * or more. Several quarters passed in one chunk report the last of them.
 */
export function readProgress(from: number, report: (percent: number, bytesRead: number, totalBytes: number) => void): (bytesRead: number, totalBytes: number) => void {
  let reported = 0;
  return (bytesRead, totalBytes) => {
    if (totalBytes < from || totalBytes <= 0) return;
    const quarter = Math.min(3, Math.floor((bytesRead * 4) / totalBytes));
    if (quarter <= reported) return;
    reported = quarter;
    report(quarter * 25, bytesRead, totalBytes);
  };
}

export interface FileStatementOptions {
  profile?: string;
  format?: StatementFormat;
  /** REC-IN-7: the files' text encoding (default: the reader decides). */
  encoding?: StatementEncoding;
  parse?: ParseStatement;
  /** Where a long read reports its progress ("reading <file>: 50% (238 of 475 MiB)"), for files of `progressFrom` bytes or more (default READ_PROGRESS_FROM). */
  progress?: (message: string) => void;
  progressFrom?: number;
}

/** A problem found at the end of a file (truncation) names the file's last line. */
async function withEndLine(error: BadInputError, path: string): Promise<BadInputError> {
  if (error.position.line !== undefined || error.position.element) return error;
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines += 1;
    if (bytes.length > 0) last = bytes[bytes.length - 1]!;
  }
  const position = { ...error.position, line: last === 10 ? Math.max(lines, 1) : lines + 1 };
  return new BadInputError(error.file, position, `${error.fault} (at the end of the file)`, error.kind);
}

const mebibytes = (bytes: number): string => (bytes / (1 << 20)).toFixed(0);

/**
 * Statement files by local path. A missing file or a directory is a usage error
 * (ReconcileConfigError), as is an unknown CSV profile; a file that is not a good statement is
 * a BadInputError naming the file and the line.
 */
export function fileStatementSource(options: FileStatementOptions = {}): StatementSource<string> {
  const parse = options.parse ?? defaultParse;
  return {
    // PCI-3: a path is shown masked like an identifier.
    describe: (path) => redactPans(resolve(path), 'identifier'),
    async read(path, skip) {
      if (!existsSync(path)) throw new ReconcileConfigError(`statement file "${path}" does not exist`);
      if (statSync(path).isDirectory()) throw new ReconcileConfigError(`statement "${path}" is a directory, expected a file`);
      // A file name is the sender's text (an inbox drop): shown and stored masked like an identifier (PCI-3).
      const name = redactPans(basename(path), 'identifier');
      let parsed: ParsedStatementRows;
      const progress = options.progress;
      const onRead = progress
        ? readProgress(options.progressFrom ?? READ_PROGRESS_FROM, (percent, read, size) => progress(`reading ${name}: ${percent}% (${mebibytes(read)} of ${mebibytes(size)} MiB)`))
        : undefined;
      try {
        const read = await parse(path, {
          ...(options.profile !== undefined ? { profile: options.profile } : {}),
          ...(options.format ? { format: options.format } : {}),
          ...(options.encoding ? { encoding: options.encoding } : {}),
          ...(onRead ? { onRead } : {}),
        });
        // REC-PERF-1: the run reads lines as rows (the default parse gives them as columns).
        parsed = 'rows' in read ? read : parsedRowsOf(read);
      } catch (error) {
        if ((error as Error).name === 'CsvProfileError') throw new ReconcileConfigError(`--profile: ${(error as Error).message}`);
        const bad = asBadInput(error, path);
        if (bad instanceof BadInputError) throw await withEndLine(bad, path);
        throw error;
      }
      if (await skip(parsed.contentHash)) return { name, contentHash: parsed.contentHash };
      return { name, contentHash: parsed.contentHash, parsed };
    },
  };
}

/** The quarantine folder: bad files copied (reconcile) or moved (the inbox: statement files only) with `<name>.reason.txt`. */
export function folderQuarantine(dir: string, options: { move?: boolean; statements?: readonly string[]; now?: () => Date } = {}): Quarantine<string> {
  const statements = new Set((options.statements ?? []).map((path) => resolve(path)));
  return {
    async quarantine(_ref, error) {
      // Only statement files are ever moved (the inbox); a bad ledger file is copied.
      const move = options.move === true && statements.has(resolve(error.file));
      return quarantine(error, dir, { move, now: options.now?.() ?? new Date() });
    },
  };
}
