/**
 * Watching a `ledgerline post` from outside, to kill it at a point chosen by progress (NFR5).
 *
 * Nothing here reaches into the process: it reads the state directory as any other process could.
 * - committed legs and outbox bookkeeping through a read-only SQLite connection (WAL readers see
 *   exactly the last committed transaction, never one in flight);
 * - the write-ahead log's own frames (checksums and commit markers, as SQLite's recovery reads
 *   them), to tell whether a transaction is being written to the log at this instant;
 * - the outbox directory, for a posting file being written (its temp file).
 *
 * `killAt` freezes the process (SIGSTOP) whenever a trigger fires, inspects the frozen state, and
 * sends SIGKILL only when the inspection shows the target was reached; otherwise it lets the
 * process carry on (SIGCONT). What the inspection saw is therefore exactly the state at the kill.
 */
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { FSWatcher } from 'node:fs';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { STATE_DB_FILE } from '../../src/adapters/embedded/database';
import { partitionDirs } from '../../src/runtime/state-layout';
import { BIN } from './cli';

// ---------------------------------------------------------------------------------------------
// The write-ahead log (https://www.sqlite.org/fileformat2.html#walformat)

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

export interface WalTail {
  /** Frames that carry the log's current salts and a valid checksum chain. */
  validFrames: number;
  /** Index (1-based) of the last commit frame among them; 0 when none. */
  lastCommitFrame: number;
  /** Valid frames after the last commit frame: a transaction being written, not yet committed. */
  uncommittedFrames: number;
}

export interface WalCursor {
  salt1: number;
  salt2: number;
  pageSize: number;
  bigEndian: boolean;
  /** Offset just past the last commit frame, and the checksum chain there. */
  offset: number;
  frame: number;
  s0: number;
  s1: number;
}

function checksum(bytes: Buffer, bigEndian: boolean, s0: number, s1: number): [number, number] {
  for (let i = 0; i < bytes.length; i += 8) {
    const x0 = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    const x1 = bigEndian ? bytes.readUInt32BE(i + 4) : bytes.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, offset);
  return read === length ? buffer : buffer.subarray(0, read);
}

/**
 * Reads a WAL file as SQLite's recovery does: frames count only while their salts match the
 * header and their cumulative checksums hold. Frames up to a commit never change until the log
 * restarts (new salts), so `cache` remembers where the committed prefix ends and is read from there.
 */
export function readWalTail(walPath: string, cache?: Map<string, WalCursor>): WalTail {
  const empty: WalTail = { validFrames: 0, lastCommitFrame: 0, uncommittedFrames: 0 };
  if (!existsSync(walPath)) return empty;
  const fd = openSync(walPath, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < WAL_HEADER_BYTES) return empty;
    const header = readAt(fd, 0, WAL_HEADER_BYTES);
    const magic = header.readUInt32BE(0);
    if (magic !== 0x377f0682 && magic !== 0x377f0683) return empty;
    const bigEndian = (magic & 1) === 1;
    const [h0, h1] = checksum(header.subarray(0, 24), bigEndian, 0, 0);
    if (h0 !== header.readUInt32BE(24) || h1 !== header.readUInt32BE(28)) return empty;
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);
    const pageSize = header.readUInt32BE(8) === 1 ? 65536 : header.readUInt32BE(8);
    const cached = cache?.get(walPath);
    let cursor: WalCursor =
      cached && cached.salt1 === salt1 && cached.salt2 === salt2 && cached.pageSize === pageSize ? cached : { salt1, salt2, pageSize, bigEndian, offset: WAL_HEADER_BYTES, frame: 0, s0: h0, s1: h1 };
    const frameBytes = FRAME_HEADER_BYTES + pageSize;
    let { offset, s0, s1 } = cursor;
    let validFrames = cursor.frame;
    while (offset + frameBytes <= size) {
      const bytes = readAt(fd, offset, frameBytes);
      if (bytes.length < frameBytes) break;
      if (bytes.readUInt32BE(0) === 0 || bytes.readUInt32BE(8) !== salt1 || bytes.readUInt32BE(12) !== salt2) break;
      [s0, s1] = checksum(bytes.subarray(0, 8), bigEndian, s0, s1);
      [s0, s1] = checksum(bytes.subarray(FRAME_HEADER_BYTES), bigEndian, s0, s1);
      if (s0 !== bytes.readUInt32BE(16) || s1 !== bytes.readUInt32BE(20)) break;
      offset += frameBytes;
      validFrames += 1;
      if (bytes.readUInt32BE(4) !== 0) cursor = { salt1, salt2, pageSize, bigEndian, offset, frame: validFrames, s0, s1 };
    }
    cache?.set(walPath, cursor);
    return { validFrames, lastCommitFrame: cursor.frame, uncommittedFrames: validFrames - cursor.frame };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whole frames the log holds past its committed prefix as last read into `cache`, from the file
 * size alone (cheap enough for every file event; a stale tail counts too, so it only says when
 * `readWalTail` is worth calling).
 */
export function walFramesPastCommit(walPath: string, cache: Map<string, WalCursor>): number {
  const size = statSync(walPath, { throwIfNoEntry: false })?.size;
  if (size === undefined) return 0;
  const cursor = cache.get(walPath);
  if (!cursor) return Number.POSITIVE_INFINITY;
  return Math.max(0, Math.floor((size - cursor.offset) / (FRAME_HEADER_BYTES + cursor.pageSize)));
}

// ---------------------------------------------------------------------------------------------
// The committed state, read-only

function readPartition<T>(dir: string, read: (db: Database.Database) => T, fallback: T): T {
  if (!existsSync(join(dir, STATE_DB_FILE))) return fallback;
  const db = new Database(join(dir, STATE_DB_FILE), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } catch (error) {
    if (/no such table/.test((error as Error).message)) return fallback;
    throw error;
  } finally {
    db.close();
  }
}

function sumOverPartitions(stateDir: string, sql: string): number {
  if (!existsSync(stateDir)) return 0;
  return partitionDirs(stateDir).reduce((total, dir) => total + readPartition(dir, (db) => db.prepare(sql).pluck().get() as number, 0), 0);
}

/** Ledger legs committed in a state, over all partitions. */
export function committedLegs(stateDir: string): number {
  return sumOverPartitions(stateDir, 'SELECT count(*) FROM ledger_legs');
}

/** Outbox files the committed state has allocated rows to but not yet recorded as written. */
export function unwrittenOutboxFiles(stateDir: string): number {
  return sumOverPartitions(stateDir, 'SELECT count(*) FROM posting_outbox_files WHERE written = 0');
}

/** Outbox temp files (a posting file being written) in every partition. */
export function outboxTempFiles(stateDir: string): string[] {
  return partitionDirs(stateDir).flatMap((dir) => {
    const outbox = join(dir, 'outbox');
    return existsSync(outbox) ? readdirSync(outbox).filter((name) => name.endsWith('.tmp')) : [];
  });
}

/** Each partition's write-ahead log tail. */
export function walTails(stateDir: string, cache?: Map<string, WalCursor>): WalTail[] {
  return partitionDirs(stateDir).map((dir) => readWalTail(join(dir, `${STATE_DB_FILE}-wal`), cache));
}

// ---------------------------------------------------------------------------------------------
// Killing at a point

export interface KillTarget<T> {
  name: string;
  /**
   * Cheap check while the process runs: true = worth freezing it to inspect. Called on every
   * poll tick and every file event under the watched directories.
   */
  worthInspecting(trigger: { kind: 'tick' } | { kind: 'file'; dir: string; file: string }): boolean;
  /** Inspects the frozen process's state: a landing to kill at, or undefined to let it run on. */
  inspect(): T | undefined;
  /** Directories to watch for file events (created by the run: watched once they exist). */
  watch?: (string | (() => string[]))[];
}

export interface Landing<T> {
  target: string;
  landing: T;
  /** Freeze-and-inspect rounds, including the one that killed. */
  inspections: number;
  signal: NodeJS.Signals | null;
}

const POLL_MS = 5;

/**
 * Runs the CLI with `args` and kills it with SIGKILL at the first moment `target.inspect()`
 * finds its point, inspected with the process frozen. Rejects if the run ends first.
 */
/**
 * Blocks until every thread of `pid` is stopped (state T or t in /proc/<pid>/task/<tid>/stat), at
 * most 5 s; where /proc is not there (not Linux), returns at once. A thread that has exited is
 * stopped enough.
 */
function waitStopped(pid: number): void {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return;
  const until = Date.now() + 5000;
  for (;;) {
    let running = false;
    for (const tid of readdirSync(tasks)) {
      let stat: string;
      try {
        stat = readFileSync(join(tasks, tid, 'stat'), 'utf8');
      } catch {
        continue;
      }
      // The state follows the command name, which is in parentheses and may hold spaces.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'T' && state !== 't' && state !== 'Z' && state !== 'X') running = true;
    }
    if (!running) return;
    if (Date.now() > until) throw new Error(`process ${pid} did not stop within 5 s of SIGSTOP`);
  }
}

export function killAt<T>(args: string[], target: KillTarget<T>): Promise<Landing<T>> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let landing: T | undefined;
    let inspections = 0;
    let busy = false;
    const watchers = new Map<string, FSWatcher>();

    const attempt = (trigger: Parameters<KillTarget<T>['worthInspecting']>[0]): void => {
      if (busy || landing !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      if (!target.worthInspecting(trigger)) return;
      busy = true;
      try {
        child.kill('SIGSTOP');
        // kill() only queues the signal: inspect once every thread of the process has stopped, or
        // a thread still running (the partition workers are threads) commits after the inspection.
        waitStopped(child.pid!);
        inspections += 1;
        const found = target.inspect();
        if (found !== undefined) {
          landing = found;
          child.kill('SIGKILL');
        } else {
          child.kill('SIGCONT');
        }
      } catch (error) {
        child.kill('SIGKILL');
        reject(error);
      } finally {
        busy = false;
      }
    };

    const watchNew = (): void => {
      for (const entry of target.watch ?? []) {
        for (const dir of typeof entry === 'string' ? [entry] : entry()) {
          if (watchers.has(dir) || !existsSync(dir)) continue;
          watchers.set(
            dir,
            watch(dir, (_event, file) => attempt({ kind: 'file', dir, file: file ?? '' })),
          );
        }
      }
    };
    const timer = setInterval(() => {
      watchNew();
      attempt({ kind: 'tick' });
    }, POLL_MS);

    child.on('exit', (_code, signal) => {
      clearInterval(timer);
      for (const watcher of watchers.values()) watcher.close();
      if (landing === undefined) {
        reject(new Error(`${target.name}: the run ended (${signal ?? `exit ${_code}`}) before the target was reached, after ${inspections} inspections\n${stderr}`));
        return;
      }
      resolve({ target: target.name, landing, inspections, signal });
    });
  });
}
