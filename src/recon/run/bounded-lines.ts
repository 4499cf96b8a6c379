/**
 * REC-IN-1: physical lines of a file, refusing an over-long one as soon as it passes its bound,
 * without ever building it (readline would hold a whole gigabyte line in memory first). Line ends
 * are LF or CRLF; a UTF-8 byte-order mark on the first line is dropped, as every reader does (ING-1).
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from '../parsers/common';

export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly limit: number,
  ) {
    super(`${file} line ${line}: line is longer than ${limit} characters`);
  }
}

/** Streams `file`'s lines; `onChunk` sees every raw chunk (for a content hash). */
export async function* boundedLines(file: string, maxLine: number, onChunk?: (chunk: Buffer) => void): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  const ready: string[] = [];
  const splitter = new LineSplitter(
    (line, lineNumber) => ready.push(lineNumber === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line),
    maxLine,
    (_head, lineNumber) => {
      throw new LineTooLongError(file, lineNumber, maxLine);
    },
  );
  // The lines before an over-long one are handed over first, in order; then its refusal.
  const feed = function* (step: () => void): Generator<string> {
    try {
      step();
    } finally {
      yield* ready.splice(0);
    }
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 16 }) as AsyncIterable<Buffer>) {
    onChunk?.(chunk);
    yield* feed(() => splitter.push(decoder.write(chunk)));
  }
  yield* feed(() => {
    splitter.push(decoder.end());
    splitter.end();
  });
}
