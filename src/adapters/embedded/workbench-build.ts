/**
 * A new workbench built whole in a file of its own, then put in place as <out>/workbench.db
 * (REC-PERF-1, REC-CASE-1). A run's first import into an --out that has no workbench yet is 10^5
 * cases and their indexes, about 240 MB at 1M × 1M: written through the store's WAL, every page is
 * written twice (the WAL at the commit, the file at the checkpoint). Built here, each page is
 * written once, to the new file itself, and the file is synced once when it is finished.
 *
 * - The file is `workbench.db.build-<pid>-<thread>-<n>` in the same directory; nothing else opens it.
 *   Its journal is in memory and nothing is synced while it is built: a crash leaves a build file
 *   that is never read, only removed (by the next run's case sink in that directory, once its
 *   process is dead: `removeDeadBuilds`). The journal still rolls a failed import back.
 * - Finished, it is switched to WAL (the store's mode), synced, and hard-linked as workbench.db.
 *   A link never replaces a file: if a workbench appeared meanwhile (the workbench opened, say),
 *   the build is dropped and `buildNewWorkbench` says so; the caller then imports into that one.
 *   So does a file system without hard links: the caller then writes through the WAL.
 * - So workbench.db is either absent or a whole, synced store: never half a build.
 */
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { StateDatabase } from './database';
import { processAlive } from './dir-lock';
import { WORKBENCH_DB_FILE } from './workbench-store';

const BUILD_PREFIX = `${WORKBENCH_DB_FILE}.build-`;
/** This thread's builds so far: two at once (two runs in one process) never share a file. */
let builds = 0;

/**
 * Removes the build files (and journals) of builders that are no longer alive in `out`, if it
 * exists. A build starts with it; the case sink calls it for every run, so what a killed build left
 * goes even when the workbench it was building was made another way meanwhile.
 */
export function removeDeadBuilds(out: string): void {
  // Housekeeping: a directory that cannot be listed or a file that cannot be removed fails no run (what needs them reports it).
  try {
    if (!existsSync(out)) return;
    for (const name of readdirSync(out)) {
      if (!name.startsWith(BUILD_PREFIX)) continue;
      const pid = Number.parseInt(name.slice(BUILD_PREFIX.length), 10);
      if (Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid || processAlive(pid))) continue;
      rmSync(join(out, name), { force: true });
    }
  } catch {
    // Left for the next run.
  }
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Builds a new workbench with `build` (handed the new file's database) and puts it in place as
 * <out>/workbench.db. Returns false, leaving nothing, when <out> already has a workbench (before
 * or after the build); a failing build leaves nothing and its error is raised.
 */
export async function buildNewWorkbench(out: string, build: (db: StateDatabase) => Promise<void>): Promise<boolean> {
  const target = join(out, WORKBENCH_DB_FILE);
  if (existsSync(target)) return false;
  mkdirSync(out, { recursive: true });
  removeDeadBuilds(out);
  const path = join(out, `${BUILD_PREFIX}${process.pid}-${threadId}-${(builds += 1)}`);
  const remove = (): void => {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  };
  remove();
  let placed = false;
  try {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = MEMORY');
      db.pragma('synchronous = OFF');
      // The store's page cache for a run's one-transaction import (openWorkbenchDatabase).
      db.pragma('cache_size = -65536');
      await build(db);
      // The store's own mode, in the file's header: readers open it as they open any workbench.
      db.pragma('journal_mode = WAL');
    } finally {
      db.close();
    }
    syncPath(path);
    try {
      linkSync(path, target);
    } catch {
      // EEXIST: a workbench appeared meanwhile; any other (a file system without hard links): the caller writes through the WAL instead.
      return false;
    }
    placed = true;
    syncPath(out);
    return true;
  } finally {
    // Placed, the build's name is a second link to workbench.db; otherwise it is all there is of the build.
    if (placed) rmSync(path, { force: true });
    else remove();
  }
}
