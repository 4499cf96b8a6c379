/**
 * MODE-2 (FR11): batch mode locally. Each file of authorisations (NDJSON) dropped in the inbox
 * is posted in chunks of the source's batch size (each chunk one committed wave of the state),
 * with progress per chunk and a per-file summary, exactly once per file:
 * - the file's content hash (SHA-256) is recorded with its summary (src/modes/ingest-registry.ts);
 *   the same content again, under any name, posts nothing and says so;
 * - a crash mid-file resumes: the re-run posts the file again, and every authorisation committed
 *   before the crash is recognised by the state (counted as `replayed`), so nothing is posted
 *   twice; the file's record counts the attempts.
 * A posted file is moved to `<inbox>/processed/`; a file that failed stays in the inbox with its
 * reason reported. A file is taken once its size and modification time stop changing (watch).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { redactPans } from '../domain/pan';
import { withoutByteOrderMark } from '../domain/ingest';
import type { Clock } from '../ports';
import type { RunSummary, RuntimeOptions } from '../runtime/embedded-runtime';
import { postPartitioned } from '../runtime/partitioned-runtime';
import { IngestRegistry } from './ingest-registry';
import type { SourceSettings } from './source-config';
import { sleep } from './sleep';

export const PROCESSED_DIR = 'processed';

export interface BatchOptions {
  source: SourceSettings;
  inbox: string;
  stateDir: string;
  /** Partitions for a NEW state (an existing state keeps its count). */
  partitions: number;
  runtime?: Omit<RuntimeOptions, 'stateDir' | 'waveSize' | 'onWaveCommitted'>;
  /** Keep watching for new files until the signal aborts (default: the files there now, then return). */
  watch?: boolean;
  /** Poll interval while watching (default: the source's batching window, at least 200 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
  progress?: (message: string) => void;
  onFile?: (outcome: BatchFileOutcome) => void;
}

export interface BatchFileOutcome {
  /** The file's name, masked like an identifier (PCI-3: a name is the sender's text). */
  file: string;
  contentHash: string;
  outcome: 'posted' | 'already-posted' | 'failed';
  /** Times posting this content was started; > 1 means resumed. */
  attempts: number;
  /** The summary of this posting, or (already-posted) of the first. */
  summary?: RunSummary;
  /** When the content was first posted (already-posted). */
  postedAt?: string;
  movedTo?: string;
  reason?: string;
}

const IGNORED = /^\.|\.(tmp|part|partial|crdownload|swp)$|~$/i;
const systemClock: Clock = { now: () => new Date() };

/** The candidate files of the inbox, by name (hidden and partial files are left alone). */
export function inboxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !IGNORED.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The lines of an NDJSON file; a UTF-8 byte-order mark on the first line is ignored (ING-1). */
export async function* ndjsonLines(path: string): AsyncGenerator<string> {
  const reader = createInterface({ input: createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let first = true;
  for await (const line of reader) {
    yield first ? withoutByteOrderMark(line) : line;
    first = false;
  }
}

function moveTo(path: string, dir: string, hash: string): string {
  mkdirSync(dir, { recursive: true });
  const name = basename(path);
  let target = join(dir, name);
  if (existsSync(target)) target = join(dir, `${basename(name, extname(name))}.${hash.slice(0, 12)}${extname(name)}`);
  for (let n = 2; existsSync(target); n += 1) target = join(dir, `${basename(name, extname(name))}.${hash.slice(0, 12)}.${n}${extname(name)}`);
  try {
    renameSync(path, target);
  } catch {
    copyFileSync(path, target);
    unlinkSync(path);
  }
  return target;
}

const masked = (text: string): string => redactPans(text, 'identifier');

/** Posts one batch file exactly once (by content); never throws: a failure is an outcome. */
export async function postBatchFile(path: string, options: BatchOptions): Promise<BatchFileOutcome> {
  const clock = options.clock ?? systemClock;
  const file = masked(basename(path));
  const progress = options.progress ?? (() => undefined);
  let contentHash = '';
  let attempts = 0;
  const registry = new IngestRegistry(options.stateDir);
  try {
    contentHash = await sha256OfFile(path);
    const known = registry.file(contentHash);
    if (known?.status === 'posted') {
      const movedTo = moveTo(path, join(options.inbox, PROCESSED_DIR), contentHash);
      progress(`${file}: already posted on ${known.postedAt} as ${known.fileName} (sha256 ${contentHash.slice(0, 12)}): nothing posted; moved to ${masked(movedTo)}`);
      return {
        file,
        contentHash,
        outcome: 'already-posted',
        attempts: known.attempts,
        ...(known.summary ? { summary: known.summary } : {}),
        ...(known.postedAt ? { postedAt: known.postedAt } : {}),
        movedTo: masked(movedTo),
      };
    }
    const record = registry.startFile(contentHash, options.source.name, file, clock.now());
    attempts = record.attempts;
    if (attempts > 1) progress(`${file}: resuming (attempt ${attempts}): authorisations committed before are recognised and not posted again`);
    const { summary } = await postPartitioned(ndjsonLines(path), `${options.source.name}:${file}`, {
      stateDir: options.stateDir,
      partitions: options.partitions,
      runtime: { ...options.runtime, waveSize: options.source.batchSize },
      onProgress: ({ linesRead, waves }) => progress(`${file}: ${waves} chunk(s) of up to ${options.source.batchSize} committed, ${linesRead} line(s) read`),
    });
    registry.finishFile(contentHash, summary, clock.now());
    const movedTo = moveTo(path, join(options.inbox, PROCESSED_DIR), contentHash);
    progress(
      `${file}: posted ${summary.posted} of ${summary.received} (duplicates ${summary.duplicates}, declined ${summary.declined + summary.notApproved}, review ${summary.review}, rejected ${summary.rejected}, invalid ${summary.invalid}, already received ${summary.replayed}); moved to ${masked(movedTo)}`,
    );
    return { file, contentHash, outcome: 'posted', attempts, summary, movedTo: masked(movedTo) };
  } catch (error) {
    const reason = masked((error as Error).message);
    progress(`${file}: failed: ${reason} (left in the inbox; the next run resumes it)`);
    return { file, contentHash, outcome: 'failed', attempts, reason };
  } finally {
    registry.close();
  }
}

/**
 * Posts the inbox's files, one at a time in name order. Without `watch`, the files there now;
 * with it, new files as they settle, until the signal aborts (after the current file).
 */
export async function runBatchInbox(options: BatchOptions): Promise<BatchFileOutcome[]> {
  const inbox = resolve(options.inbox);
  if (!existsSync(inbox) || !statSync(inbox).isDirectory()) throw new Error(`inbox "${options.inbox}" is not a directory`);
  if (options.source.mode !== 'batch') throw new Error(`source "${options.source.name}" is ${options.source.mode}, not batch: an inbox is read by a batch source`);
  const outcomes: BatchFileOutcome[] = [];
  const pollMs = options.pollMs ?? Math.max(200, options.source.batchingWindowSeconds * 1000);
  const seen = new Map<string, string>();
  const failed = new Set<string>();
  for (;;) {
    for (const name of inboxFiles(inbox)) {
      if (options.signal?.aborted) return outcomes;
      const path = join(inbox, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      const fingerprint = `${stat.size}:${stat.mtimeMs}`;
      if (options.watch) {
        // Taken once its size and mtime are unchanged since the previous scan.
        const settled = seen.get(name) === fingerprint;
        seen.set(name, fingerprint);
        if (!settled || failed.has(`${name}:${fingerprint}`)) continue;
      }
      const outcome = await postBatchFile(path, { ...options, inbox });
      if (outcome.outcome === 'failed') failed.add(`${name}:${fingerprint}`);
      seen.delete(name);
      outcomes.push(outcome);
      options.onFile?.(outcome);
    }
    if (!options.watch || options.signal?.aborted) return outcomes;
    await sleep(pollMs, options.signal);
    if (options.signal?.aborted) return outcomes;
  }
}
