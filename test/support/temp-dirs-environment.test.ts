/**
 * The test environment (jest.config.js) removes every directory a test file made with mkdtemp, in
 * any of its three spellings, at the file's end; it wraps fs only while the file runs; and
 * LEDGERLINE_KEEP_TEMP=1 keeps them. Shown on a second instance of the environment driven by hand.
 */
import fs, { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp as promisesMkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzzRuns, fuzzSeed } from './fuzz';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const TempDirsEnvironment = require('./temp-dirs-environment.js') as new (
  config: unknown,
  context: unknown,
) => {
  global: typeof globalThis;
  setup(): Promise<void>;
  teardown(): Promise<void>;
};

function environment() {
  return new TempDirsEnvironment({ globalConfig: {}, projectConfig: { testEnvironmentOptions: {}, globals: {} } }, { console, docblockPragmas: {}, testPath: __filename });
}

type Spelling = 'sync' | 'callback' | 'promise';

function make(spelling: Spelling, prefix: string): Promise<string> {
  if (spelling === 'sync') return Promise.resolve(fs.mkdtempSync(prefix));
  if (spelling === 'promise') return promisesMkdtemp(prefix);
  return new Promise((resolve, reject) => fs.mkdtemp(prefix, (error, dir) => (error ? reject(error) : resolve(dir))));
}

/** A few files and a subdirectory inside `dir`, so removal has to be recursive. */
function fill(dir: string, files: number): void {
  mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
  for (let i = 0; i < files; i += 1) writeFileSync(join(dir, i % 2 === 0 ? 'nested' : 'nested/deeper', `f${i}.txt`), `file ${i}\n`);
}

describe('TempDirsEnvironment', () => {
  const original = { sync: fs.mkdtempSync, callback: fs.mkdtemp, promise: fs.promises.mkdtemp };

  it('removes every directory made by mkdtemp during the file, however made and filled, and restores fs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ spelling: fc.constantFrom<Spelling>('sync', 'callback', 'promise'), files: fc.nat(4) }), { minLength: 1, maxLength: 6 }), async (plan) => {
        const env = environment();
        await env.setup();
        const made: string[] = [];
        try {
          for (const { spelling, files } of plan) {
            const dir = await make(spelling, join(tmpdir(), 'ledgerline-envtest-'));
            fill(dir, files);
            made.push(dir);
          }
          expect(made.every((dir) => existsSync(dir))).toBe(true);
        } finally {
          await env.teardown();
        }
        expect(made.filter((dir) => existsSync(dir))).toEqual([]);
        expect({ sync: fs.mkdtempSync, callback: fs.mkdtemp, promise: fs.promises.mkdtemp }).toEqual(original);
      }),
      { numRuns: fuzzRuns(20), seed: fuzzSeed(61) },
    );
  });

  it('leaves directories it did not make, and ones made after the file ended', async () => {
    const before = fs.mkdtempSync(join(tmpdir(), 'ledgerline-envtest-before-'));
    const env = environment();
    await env.setup();
    const during = fs.mkdtempSync(join(tmpdir(), 'ledgerline-envtest-during-'));
    await env.teardown();
    const after = fs.mkdtempSync(join(tmpdir(), 'ledgerline-envtest-after-'));
    expect([existsSync(before), existsSync(during), existsSync(after)]).toEqual([true, false, true]);
  });

  it('a failed mkdtemp still fails the same way and names its path', async () => {
    const env = environment();
    await env.setup();
    const missing = join(tmpdir(), 'ledgerline-envtest-no-such-parent', 'x-');
    try {
      expect(() => fs.mkdtempSync(missing)).toThrow(/ENOENT.*ledgerline-envtest-no-such-parent/);
      await expect(promisesMkdtemp(missing)).rejects.toThrow(/ENOENT/);
      await expect(make('callback', missing)).rejects.toThrow(/ENOENT/);
    } finally {
      await env.teardown();
    }
  });

  it('LEDGERLINE_KEEP_TEMP=1 keeps them and names each on stderr', async () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const env = environment();
    const kept = await (async () => {
      try {
        await env.setup();
        env.global.process.env.LEDGERLINE_KEEP_TEMP = '1';
        const dir = fs.mkdtempSync(join(tmpdir(), 'ledgerline-envtest-kept-'));
        await env.teardown();
        return dir;
      } finally {
        write.mockRestore();
      }
    })();
    expect(existsSync(kept)).toBe(true);
    fs.rmSync(kept, { recursive: true });
    expect(written.join('')).toContain(`kept temp dir ${kept}`);
  });
});
