/**
 * Atomic results in the --out directory.
 *
 *   <out>/runs/<runId>/        one directory per committed run (matches.csv, exceptions.csv,
 *                              summary.json, audit.ndjson, parquet/*.parquet)
 *   <out>/current -> runs/<runId>         the latest committed run (a symlink)
 *   <out>/matches.csv -> current/matches.csv   (likewise exceptions.csv, summary.json,
 *                              audit.ndjson, parquet): stable names for tools
 *   <out>/.staging/<runId>-<pid>/   a run being written
 *
 * A run writes (and fsyncs) everything into its staging directory, renames the directory to
 * runs/<runId>, then swaps the `current` link with one rename. Readers of <out>/matches.csv see
 * the previous run or the new one, never a mix; a failure before the swap leaves no trace.
 */
import { closeSync, existsSync, rmdirSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeChunksAsync } from './chunk-file';

export const RESULT_FILES = ['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson', 'parquet'] as const;

const WRITE_CHUNK = 1 << 20;

export interface Staging {
  readonly dir: string;
  readonly runId: string;
  /** Writes a file into the staging directory (chunked, fsynced). */
  write(name: string, content: string | Iterable<string>): void;
  /** The same, the writes and the fsync on libuv's pool while the pieces (text, or bytes a renderer encoded) are rendered (REC-PERF-1). */
  writeAsync(name: string, content: string | Iterable<string | Uint8Array>): Promise<void>;
  /** Makes the staged run the current one (atomic swap). Returns runs/<runId>. */
  commit(): string;
  /** Undoes commit(): `current` points where it pointed before and runs/<runId> is removed. */
  revert(): void;
  /** Removes the staging directory. Safe to call after commit or twice. */
  abort(): void;
}

export interface StagingHooks {
  /** Called after each staged file is written (tests inject failures here). */
  afterWrite?(name: string): void;
  /** Called just before the `current` link is swapped. */
  beforeSwap?(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isSymlinkTo(path: string, target: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() && readlinkSync(path) === target;
  } catch {
    return false;
  }
}

/** Removes a directory only when empty (another run may be staging in it). */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or gone
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Points `path` at `target` with one rename (replaces a file or link already there). */
export function swapLink(path: string, target: string): void {
  if (isSymlinkTo(path, target)) return;
  const temp = `${path}.tmp-${process.pid}`;
  rmSync(temp, { force: true, recursive: true });
  symlinkSync(target, temp);
  renameSync(temp, path);
}

export function stageRun(out: string, runId: string, hooks: StagingHooks = {}): Staging {
  const stagingRoot = join(out, '.staging');
  mkdirSync(stagingRoot, { recursive: true });
  // Leftovers of crashed runs (their process is gone) are removed.
  for (const name of readdirSync(stagingRoot)) {
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) rmSync(join(stagingRoot, name), { recursive: true, force: true });
  }
  const dir = join(stagingRoot, `${runId}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let done = false;
  let previous: string | undefined;
  let committedTo: string | undefined;
  return {
    dir,
    runId,
    write(name, content) {
      const path = join(dir, name);
      const fd = openSync(path, 'w');
      try {
        if (typeof content === 'string') {
          writeSync(fd, content);
        } else {
          let buffer = '';
          for (const piece of content) {
            buffer += piece;
            if (buffer.length >= WRITE_CHUNK) {
              writeSync(fd, buffer);
              buffer = '';
            }
          }
          if (buffer.length > 0) writeSync(fd, buffer);
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      hooks.afterWrite?.(name);
    },
    async writeAsync(name, content) {
      await writeChunksAsync(join(dir, name), content, { fsync: true });
      hooks.afterWrite?.(name);
    },
    commit() {
      if (done) throw new Error(`run ${runId} is already committed or aborted`);
      const runsDir = join(out, 'runs');
      mkdirSync(runsDir, { recursive: true });
      const target = join(runsDir, runId);
      // The registry is the source of truth: a directory of an uncommitted run (a crash between
      // the swap and the registry commit) has the same id and is replaced.
      if (existsSync(target)) rmSync(target, { recursive: true, force: true });
      renameSync(dir, target);
      done = true;
      try {
        hooks.beforeSwap?.();
      } catch (error) {
        rmSync(target, { recursive: true, force: true });
        removeIfEmpty(runsDir);
        throw error;
      }
      const current = join(out, 'current');
      previous = isSymlink(current) ? readlinkSync(current) : undefined;
      swapLink(current, join('runs', runId));
      committedTo = target;
      for (const name of RESULT_FILES) swapLink(join(out, name), join('current', name));
      removeIfEmpty(stagingRoot);
      return target;
    },
    revert() {
      if (!committedTo) return;
      const current = join(out, 'current');
      if (previous) swapLink(current, previous);
      else {
        // The first run of this --out: its stable names go with it (they would dangle).
        for (const name of RESULT_FILES) if (isSymlink(join(out, name))) rmSync(join(out, name), { force: true });
        rmSync(current, { force: true });
      }
      rmSync(committedTo, { recursive: true, force: true });
      removeIfEmpty(join(out, 'runs'));
      committedTo = undefined;
    },
    abort() {
      if (!done) rmSync(dir, { recursive: true, force: true });
      done = true;
      removeIfEmpty(stagingRoot);
    },
  };
}

/**
 * Removes the run directories the registry does not hold: a run interrupted between its swap and
 * its registry commit (REC-OUT-3; the registry is the record of committed runs, and an --out is
 * used with one registry). If `current` pointed at one, it points at the latest committed run
 * again (or is removed with the stable names when there is none). Returns the removed run ids.
 */
export function pruneUncommittedRuns(out: string, committedRunIds: readonly string[]): string[] {
  const runsDir = join(out, 'runs');
  if (!existsSync(runsDir)) return [];
  const committed = new Set(committedRunIds);
  const stray = readdirSync(runsDir)
    .filter((name) => !committed.has(name))
    .sort();
  if (stray.length === 0) return [];
  const current = join(out, 'current');
  const target = isSymlink(current) ? basename(readlinkSync(current)) : undefined;
  if (target !== undefined && stray.includes(target)) {
    const latest = [...committedRunIds].reverse().find((runId) => existsSync(join(runsDir, runId)));
    if (latest) {
      swapLink(current, join('runs', latest));
    } else {
      for (const name of RESULT_FILES) if (isSymlink(join(out, name))) rmSync(join(out, name), { force: true });
      rmSync(current, { force: true });
    }
  }
  for (const name of stray) rmSync(join(runsDir, name), { recursive: true, force: true });
  removeIfEmpty(runsDir);
  return stray;
}
