/**
 * writeChunksAsync (REC-PERF-1): whatever the pieces — one record each, empty, multi-byte text,
 * pieces larger than what it encodes in place, enough of them to fill many buffers — the file
 * holds exactly the UTF-8 of their concatenation, and a failed write is thrown, never a
 * half-written file reported as written.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeChunksAsync } from '../../../src/recon/run/chunk-file';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chunk-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Text of one, two, three and four UTF-8 bytes a character, as CSV records carry them. */
const piece = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', '\n', 'a,b,"c ""d"""\n', 'Zürich,€,日本\n', '😀 emoji\n', '\u0664\u0661\u0661\n'),
);

describe('writeChunksAsync', () => {
  it('writes exactly the UTF-8 of the pieces joined (generated pieces, in one buffer or many)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 200 }), fc.integer({ min: 1, max: 3000 }), fc.constantFrom(0, 70_000, 1_500_000), async (pieces, repeat, bigSize) => {
        // Repeating the pieces fills several ~1 MB buffers; a big piece goes to the file as it is.
        const all: string[] = [];
        for (let r = 0; r < (pieces.length === 0 ? 1 : Math.min(repeat, Math.ceil(3_000_000 / (pieces.join('').length + 1)))); r += 1) all.push(...pieces);
        if (bigSize > 0) all.splice(Math.floor(all.length / 2), 0, 'é'.repeat(bigSize));
        const path = join(dir, `f${(n += 1)}`);
        await writeChunksAsync(path, all, { fsync: n % 2 === 0 });
        expect(readFileSync(path).equals(Buffer.from(all.join(''), 'utf8'))).toBe(true);
        rmSync(path);
      }),
      { numRuns: fuzzRuns(25), seed: fuzzSeed(6101) },
    );
  });

  it('writes pieces of bytes (a renderer’s own encoding) as they are, in order with the text pieces around them (generated)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(piece, fc.boolean()), { maxLength: 200 }), fc.integer({ min: 1, max: 2000 }), async (pieces, repeat) => {
        // One round of pieces, given `rounds` times (up to ~2.5 MB: past the writer's ~1 MB buffer); each piece encoded once.
        const round = pieces.map(([text, asBytes]) => (asBytes ? Buffer.from(text, 'utf8') : text));
        const rounds = Math.min(repeat, Math.ceil(2_500_000 / (pieces.map(([text]) => text).join('').length + 1)));
        const all: (string | Uint8Array)[] = [];
        for (let r = 0; r < rounds; r += 1) for (const p of round) all.push(p);
        const path = join(dir, `b${(n += 1)}`);
        await writeChunksAsync(path, all);
        const roundBytes = Buffer.concat(round.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
        const expected = Buffer.concat(Array.from({ length: rounds }, () => roundBytes));
        expect(readFileSync(path).equals(expected)).toBe(true);
        rmSync(path);
      }),
      { numRuns: fuzzRuns(20), seed: fuzzSeed(6102) },
    );
  });

  it('writes a string given whole, and an empty iterable as an empty file', async () => {
    await writeChunksAsync(join(dir, 'whole'), 'one,two\n€\n');
    expect(readFileSync(join(dir, 'whole'), 'utf8')).toBe('one,two\n€\n');
    await writeChunksAsync(join(dir, 'empty'), []);
    expect(readFileSync(join(dir, 'empty')).length).toBe(0);
  });

  it('throws the error of a piece source that fails, naming it, and leaves no open handle', async () => {
    function* failing(): Generator<string> {
      yield 'a\n';
      throw new Error('renderer failed at row 2');
    }
    await expect(writeChunksAsync(join(dir, 'failing'), failing())).rejects.toThrow('renderer failed at row 2');
  });

  it('throws when the file cannot be written (a directory that does not exist)', async () => {
    await expect(writeChunksAsync(join(dir, 'missing', 'f'), ['a\n'])).rejects.toThrow(/ENOENT/);
  });
});
