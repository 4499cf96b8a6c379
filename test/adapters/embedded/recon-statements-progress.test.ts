/**
 * REC-1: a long statement read reports its progress (the run is otherwise silent for the seconds a
 * 500 MB camt.053 file takes): once as the bytes read pass each quarter of the file, in order,
 * naming the file; a file under the size it starts from reports nothing; the parse is the same
 * with or without it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { statementsOf, writeMt940 } from '../../../bench/statement-files';
import { fileStatementSource, readProgress } from '../../../src/adapters/embedded/recon-statements';
import { generateLabelledSet } from '../../../src/recon/matching';

describe('readProgress: the quarters of a read', () => {
  it('property: for any chunking, each quarter a read passes is reported once, in order, the last one passed in a chunk', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 60 }), (chunks) => {
        const total = chunks.reduce((a, b) => a + b, 0);
        const reported: number[] = [];
        const onRead = readProgress(0, (percent, read, size) => {
          expect(size).toBe(total);
          // Reported when the bytes read have just passed that quarter.
          expect(read * 4).toBeGreaterThanOrEqual((percent / 25) * total);
          reported.push(percent);
        });
        let read = 0;
        const expected: number[] = [];
        let last = 0;
        for (const chunk of chunks) {
          read += chunk;
          onRead(read, total);
          const quarter = Math.min(3, Math.floor((read * 4) / total));
          if (quarter > last) expected.push((last = quarter) * 25);
        }
        expect(reported).toEqual(expected);
        expect(new Set(reported).size).toBe(reported.length);
        expect(reported.every((p) => p === 25 || p === 50 || p === 75)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a file under the size it reports from reports nothing', () => {
    const reported: number[] = [];
    const onRead = readProgress(1000, (percent) => reported.push(percent));
    for (let read = 100; read <= 999; read += 100) onRead(read, 999);
    expect(reported).toEqual([]);
  });
});

describe('the statement source reports a long read', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'read-progress-'));
    file = join(dir, 'statement.sta');
    // About 1 MB: some sixteen 64 KiB reads.
    writeMt940(file, statementsOf(generateLabelledSet({ seed: 7, statementLines: 6000 })), '2025-06-30');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('25, 50 and 75% of the file, in order, naming it; the same statement as a read that reports nothing', async () => {
    expect(statSync(file).size).toBeGreaterThan(8 * 64 * 1024);
    const messages: string[] = [];
    const reporting = await fileStatementSource({ progress: (message) => messages.push(message), progressFrom: 0 }).read(file, async () => false);
    const quiet = await fileStatementSource().read(file, async () => false);
    expect(messages.map((m) => m.replace(/\(\d+ of \d+ MiB\)/, '(n of m MiB)'))).toEqual([25, 50, 75].map((p) => `reading statement.sta: ${p}% (n of m MiB)`));
    expect(reporting).toEqual(quiet);
  });

  it('a file under the default size (64 MiB) reports nothing', async () => {
    const messages: string[] = [];
    await fileStatementSource({ progress: (message) => messages.push(message) }).read(file, async () => false);
    expect(messages).toEqual([]);
  });
});
