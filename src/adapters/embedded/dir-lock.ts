/**
 * LOCK-1: one writer per state or results directory.
 *
 * The lock is an exclusive SQLite lock on `<dir>/.ledgerline.lock`: the operating system holds it
 * for as long as the writer's process lives and drops it when the process ends, however it ends
 * (kill -9 included), so a crashed writer never leaves a stale lock behind and there is nothing to
 * clean up by hand. A second writer fails at once, naming the holder from `<dir>/.ledgerline.lock.json`.
 * Readers (`ledger`, `dead-letters`, the workbench reading committed runs) never take it.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';

export const LOCK_FILE = '.ledgerline.lock';
export const LOCK_HOLDER_FILE = '.ledgerline.lock.json';

export interface DirLockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export class DirLockedError extends Error {
  override name = 'DirLockedError';
  constructor(
    readonly dir: string,
    readonly holder: DirLockHolder | undefined,
  ) {
    const who = holder ? `\`${holder.command}\` (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : 'another process';
    super(`${dir} is being written by ${who}; only one writer at a time may use it. Wait for it to finish (readers such as \`ledger\` work meanwhile).`);
  }
}

export interface DirLock {
  readonly dir: string;
  /** Releases the lock (idempotent). A process that ends releases it too. */
  release(): void;
}

/** Held locks' connections: referenced here so garbage collection can never close one (and drop its lock). */
const held = new Set<Database.Database>();

/** How long a refused writer waits for the holder to name itself (LOCK-1). */
const HOLDER_WAIT_MS = 1000;
const HOLDER_POLL_MS = 10;

/** Whether process `pid` lives on this host (signal 0; EPERM: it lives, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The holder named in `<dir>/.ledgerline.lock.json`. A holder writes that file just after it takes
 * the lock, so a writer refused in that instant finds no file, or the file of an earlier writer
 * that was killed; it waits briefly for the live holder's own file rather than name nobody.
 */
function readHolder(dir: string): DirLockHolder | undefined {
  const deadline = Date.now() + HOLDER_WAIT_MS;
  for (;;) {
    let found: DirLockHolder | undefined;
    try {
      found = JSON.parse(readFileSync(join(dir, LOCK_HOLDER_FILE), 'utf8')) as DirLockHolder;
    } catch {
      found = undefined; // absent, or caught between its write and its rename
    }
    if (found && (found.host !== hostname() || processAlive(found.pid))) return found;
    if (Date.now() >= deadline) return undefined;
    sleepSync(HOLDER_POLL_MS);
  }
}

/** Takes the exclusive writer lock on `dir` (created if absent), or throws DirLockedError at once. */
export function acquireDirLock(dir: string, command: string): DirLock {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  const db = new Database(join(absolute, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // An empty database file takes no file lock; give it a page first. CREATE IF NOT EXISTS on an
    // existing lock file is a read, which a holder's EXCLUSIVE lock refuses with SQLITE_BUSY.
    db.exec('CREATE TABLE IF NOT EXISTS writer_lock (held INTEGER)');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('INSERT INTO writer_lock VALUES (1)');
  } catch (error) {
    db.close();
    // Any busy code, the extended ones (SQLITE_BUSY_RECOVERY, …) included: another holder.
    if (String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY')) throw new DirLockedError(absolute, readHolder(absolute));
    throw error;
  }
  const holder: DirLockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  const temp = join(absolute, `${LOCK_HOLDER_FILE}.${process.pid}.${threadId}.tmp`);
  writeFileSync(temp, `${JSON.stringify(holder)}\n`);
  renameSync(temp, join(absolute, LOCK_HOLDER_FILE));
  let released = false;
  held.add(db);
  return {
    dir: absolute,
    release(): void {
      if (released) return;
      released = true;
      rmSync(join(absolute, LOCK_HOLDER_FILE), { force: true });
      db.exec('ROLLBACK');
      db.close();
      held.delete(db);
    },
  };
}

/** Runs `work` holding the writer lock on `dir`, releasing it however `work` ends. */
export async function withDirLock<T>(dir: string, command: string, work: () => Promise<T> | T): Promise<T> {
  const lock = acquireDirLock(dir, command);
  try {
    return await work();
  } finally {
    lock.release();
  }
}
