/**
 * REC-IN-1: the bounded line reader refuses an over-long line after reading at most the bound
 * plus one chunk, whatever follows it; lines at the bound pass; BOM and CRLF are read as LF.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { boundedLines, LineTooLongError } from '../../../src/recon/run/bounded-lines';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from '../../support/runtime';

const dir = tempDir('bounded-lines-');
let n = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `f${(n += 1)}.txt`);
  writeFileSync(path, content);
  return path;
}

async function read(path: string, max: number): Promise<{ lines: string[]; bytes: number; error?: unknown }> {
  const lines: string[] = [];
  let bytes = 0;
  try {
    for await (const line of boundedLines(path, max, (chunk) => (bytes += chunk.length))) lines.push(line);
    return { lines, bytes };
  } catch (error) {
    return { lines, bytes, error };
  }
}

describe('boundedLines', () => {
  it('refuses a 64 MiB line having read no more than the bound plus one 64 KiB chunk', async () => {
    const path = file(`ok\n${'x'.repeat(64 * 1024 * 1024)}\nafter\n`);
    const { error, bytes, lines } = await read(path, 1000);
    expect(error).toBeInstanceOf(LineTooLongError);
    expect((error as LineTooLongError).line).toBe(2);
    expect(bytes).toBeLessThanOrEqual(1000 + 2 * 65536);
    expect(lines).toEqual(['ok']);
  });

  it('a line of exactly the bound passes, one more character is refused (with or without CR, last line or not)', async () => {
    for (const end of ['\n', '\r\n', '']) {
      expect((await read(file(`${'a'.repeat(50)}${end}`), 50)).lines).toEqual(['a'.repeat(50)]);
      const past = await read(file(`${'a'.repeat(51)}${end}`), 50);
      expect(past.error).toBeInstanceOf(LineTooLongError);
    }
  });

  it('gives the same lines for LF, CRLF, a BOM and a missing final line break, for generated text split at any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n\uFEFF]/g, '')),
          { minLength: 1, maxLength: 30 },
        ),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        async (lines, crlf, bom, finalBreak) => {
          const text = (bom ? '\uFEFF' : '') + lines.join(crlf ? '\r\n' : '\n') + (finalBreak ? '\n' : '');
          const { lines: got, error } = await read(file(text), 1000);
          expect(error).toBeUndefined();
          // A final empty line without a break is no line at all.
          const expected = !finalBreak && lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: fuzzRuns(60), seed: fuzzSeed(7) },
    );
  });

  it('keeps multi-byte characters whole across chunk boundaries', async () => {
    const line = '€'.repeat(70000);
    const { lines } = await read(file(`${line}\n`), 100000);
    expect(lines).toEqual([line]);
  });
});
