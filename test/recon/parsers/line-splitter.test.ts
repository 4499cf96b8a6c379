/**
 * LineSplitter (MT940, BAI2, bounded ledger lines) joins the line a chunk leaves open with the next
 * chunk's first line alone, never with the whole chunk (REC-PERF-1). On any text of LF, CRLF and
 * lone CR line ends, in any chunking, under any line bound (REC-IN-1), it gives the same lines with
 * the same numbers, and refuses the same over-long line with the same head at the same point, as
 * the splitter it replaced (support/reference-common.ts).
 */
import * as fc from 'fast-check';
import { LineSplitter } from '../../../src/recon/parsers/common';
import { LineSplitter as ReferenceSplitter } from './support/reference-common';
import { split } from './support/chunks';

class TooLong {
  constructor(
    readonly head: string,
    readonly line: number,
  ) {}
}

type Splitter = { push(text: string): void; end(): void };

function outcome(make: (onLine: (line: string, n: number) => void, maxLine: number, onTooLong: (head: string, n: number) => never) => Splitter, chunks: string[], maxLine: number): unknown[] {
  const events: unknown[] = [];
  const splitter = make(
    (line, n) => events.push([n, line]),
    maxLine,
    (head, n) => {
      throw new TooLong(head, n);
    },
  );
  try {
    for (const chunk of chunks) {
      splitter.push(chunk);
      events.push('chunk');
    }
    splitter.end();
  } catch (error) {
    if (!(error instanceof TooLong)) throw error;
    events.push(['too long', error.head, error.line]);
  }
  return events;
}

const text = fc.array(fc.oneof(fc.constantFrom('\n', '\r\n', '\r', ':61:', 'x', 'é€', ' '), fc.stringMatching(/^[a-z0-9:]{0,30}$/)), { maxLength: 40 }).map((parts) => parts.join(''));

describe('LineSplitter against the splitter it replaced', () => {
  it('the same lines, line numbers and refusals for any text in any chunking under any bound', () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 10 }), fc.constantFrom(Number.POSITIVE_INFINITY, 40, 8, 3, 1, 0), (input, cuts, maxLine) => {
        for (const chunks of [[input], split(input, cuts), [...input]]) {
          expect(outcome((onLine, max, onTooLong) => new LineSplitter(onLine, max, onTooLong), chunks, maxLine)).toEqual(
            outcome((onLine, max, onTooLong) => new ReferenceSplitter(onLine, max, onTooLong), chunks, maxLine),
          );
        }
      }),
      { numRuns: 1000 },
    );
  });
});
