/**
 * Builds several suites use, made once per `jest` run instead of once per suite: every Lambda
 * bundle (about 5 s of esbuild, which three suites each spent again). The run's directory is named
 * by test/support/global-setup.js (LEDGERLINE_TEST_RUN_DIR, inherited by Jest's workers) and
 * removed by global-teardown.js, so nothing outlives the run and no run reads another's build: a
 * build is always of this checkout as the run found it. The first suite to ask builds, under a lock
 * (mkdir is atomic); a suite asking meanwhile, in the other worker, waits for it. Outside such a run
 * (no globalSetup) each call builds into a temporary directory of its own file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { bundleFunctionsWithInputs, functionNames, REPO_ROOT } from '../../scripts/bundle-functions';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Milliseconds on a clock no fake timers replace. */
const now = (): number => Number(process.hrtime.bigint() / 1_000_000n);

/**
 * `build(dir)`'s result (JSON), with `dir` the directory it built into: built by the first caller
 * of this run, read by every later one. A failed build fails every caller with its message.
 */
export function buildOncePerRun<T>(name: string, build: (dir: string) => T, waitMs = 10 * 60_000): { dir: string; value: T } {
  const runDir = process.env.LEDGERLINE_TEST_RUN_DIR;
  if (!runDir) {
    const dir = mkdtempSync(join(tmpdir(), `ledgerline-${name}-`));
    return { dir, value: build(dir) };
  }
  const dir = join(runDir, name);
  const done = join(runDir, `${name}.done.json`);
  const failed = join(runDir, `${name}.failed.txt`);
  const lock = join(runDir, `${name}.lock`);
  const started = now();
  for (;;) {
    if (existsSync(done)) return { dir, value: (JSON.parse(readFileSync(done, 'utf8')) as { value: T }).value };
    if (existsSync(failed)) throw new Error(`the shared build "${name}" of this run failed:\n${readFileSync(failed, 'utf8')}`);
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (now() - started > waitMs) throw new Error(`waited ${waitMs} ms for the shared build "${name}" (${lock}) of another suite`, { cause: error });
      Atomics.wait(sleeper, 0, 0, 50);
      continue;
    }
    try {
      mkdirSync(dir, { recursive: true });
      const value = build(dir);
      writeFileSync(`${done}.partial`, JSON.stringify({ value }));
      renameSync(`${done}.partial`, done);
      return { dir, value };
    } catch (error) {
      writeFileSync(failed, error instanceof Error ? (error.stack ?? error.message) : String(error));
      throw error;
    }
  }
}

export interface FunctionBundle {
  /** The bundle, <dir>/<name>/index.js. */
  outFile: string;
  /** Every file the function's own esbuild build reads, relative to the repo root (repoRelative). */
  inputs: string[];
}

/**
 * Every function of functions/ bundled as the synth bundles them (scripts/bundle-functions.ts,
 * one esbuild call), once per run: name → its bundle. Each bundle's folder is what the synth zips.
 */
export function sharedFunctionBundles(): ReadonlyMap<string, FunctionBundle> {
  return new Map(Object.entries(functionBundlesOfRun().value));
}

/** The directory of sharedFunctionBundles (<dir>/<name>/index.js, as `npm run build` lays out dist/functions). */
export function sharedFunctionBundlesDir(): string {
  return functionBundlesOfRun().dir;
}

function functionBundlesOfRun(): { dir: string; value: Record<string, FunctionBundle> } {
  return buildOncePerRun('function-bundles', (dir) =>
    Object.fromEntries([...bundleFunctionsWithInputs(functionNames(), dir)].map(([name, { outFile, inputs }]) => [name, { outFile, inputs: inputs.map(repoRelative).sort() }])),
  );
}

/** An input as esbuild names it (relative to the working directory) → relative to the repo root. */
export function repoRelative(input: string): string {
  return relative(REPO_ROOT, resolve(input)).split('\\').join('/');
}

/** One function's shared bundle (sharedFunctionBundles), or an error naming what there is. */
export function sharedFunctionBundle(name: string): FunctionBundle {
  const bundles = sharedFunctionBundles();
  const bundle = bundles.get(name);
  if (!bundle) throw new Error(`no function ${name} among the bundles (${[...bundles.keys()].join(', ')})`);
  return bundle;
}
