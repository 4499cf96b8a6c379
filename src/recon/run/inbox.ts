/**
 * The local watched inbox: statement files dropped into INBOX are reconciled one by one (each
 * its own run into --out) and moved to INBOX/processed/ or, when bad, to INBOX/quarantine/ with
 * `<name>.reason.txt`. Idempotent: a file whose content the registry already knows goes straight
 * to processed/ without a run, and so does one whose statements it knows (the same statements
 * re-encoded; REC-OUT-2).
 *
 * A file that fails for another reason (the ledger unreadable, say) stays where it is, to be tried
 * again when it changes or the inbox restarts; its reason is kept in INBOX/failed/<name>.reason.txt
 * until then (the workbench's upload page shows it), and removed once the file is taken.
 *
 * A startup scan handles what is already there; fs.watch then reacts to new files (a file is
 * processed once its size and mtime stop changing). `once` = the startup scan only.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, watch, copyFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { acquireDirLock } from '../../adapters/embedded/recon-results';
import { redactPans } from '../../domain/pan';
import { freeName, safeFileName } from './quarantine';
import { reconcile, RejectedInputError, settleAnnouncements, sha256File, type LedgerOption, type ReconcileOptions } from './reconcile';
import { RunRegistry } from './registry';
import type { StatementEncoding } from './statements';

export interface InboxOptions {
  dir: string;
  out: string;
  ledger: LedgerOption;
  rulesFile?: string;
  profile?: string;
  /** REC-IN-7: the statement files' text encoding (default: the reader decides). */
  encoding?: StatementEncoding;
  registryDir?: string;
  /** Process what is there and return (no watching). */
  once?: boolean;
  /** Milliseconds a file's size/mtime must stay unchanged before it is processed (watch mode). */
  settleMs?: number;
  signal?: AbortSignal;
  progress?: (message: string) => void;
  onEvent?: (event: InboxEvent) => void;
  /** Called once both writer locks are held (LOCK-1), before the startup scan: a "watching" message belongs here. */
  onLocked?: () => void;
  /** Passed through to reconcile (tests). */
  reconcileOverrides?: Partial<ReconcileOptions>;
}

export interface InboxEvent {
  file: string;
  outcome: 'reconciled' | 'reuploaded' | 'quarantined' | 'failed';
  contentHash?: string;
  runId?: string;
  /** Where the file went. */
  movedTo?: string;
  reason?: string;
  matched?: number;
  statementLines?: number;
}

export const PROCESSED_DIR = 'processed';
export const QUARANTINE_DIR = 'quarantine';
/** Where the reason of a file that failed (and stays in the inbox) is kept: `<name>.reason.txt`. */
export const FAILED_DIR = 'failed';

/** The reason file of a failed inbox file, whose fields are `name: value` lines (as quarantine's). */
export function failedReasonFile(dir: string, name: string): string {
  return join(resolve(dir), FAILED_DIR, `${safeFileName(name)}.reason.txt`);
}

const IGNORED = /^\.|\.(tmp|part|partial|crdownload|swp)$|~$/i;

/** The candidate files of the inbox, by name. */
export function inboxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !IGNORED.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

function move(source: string, targetDir: string, hash: string): string {
  mkdirSync(targetDir, { recursive: true });
  const target = join(targetDir, freeName(targetDir, source, hash));
  try {
    renameSync(source, target);
  } catch {
    copyFileSync(source, target);
    unlinkSync(source);
  }
  return target;
}

/**
 * Processes one inbox file. Never throws: failures are events. `outLocked`: the caller (runInbox)
 * holds the writer locks of --out and the inbox; otherwise reconcile takes --out's for the file.
 */
export async function processInboxFile(options: InboxOptions, name: string, outLocked = false): Promise<InboxEvent> {
  // A file name is the sender's text: events and progress show it masked like an identifier (PCI-3).
  const shown = (text: string): string => redactPans(text, 'identifier');
  const event = await processFile(options, name, outLocked, (message) => options.progress?.(shown(message)));
  const masked = { ...event, file: shown(event.file), ...(event.movedTo ? { movedTo: shown(event.movedTo) } : {}), ...(event.reason ? { reason: shown(event.reason) } : {}) };
  recordFailure(options.dir, name, masked);
  return masked;
}

/** Keeps a failed file's reason where the workbench reads it, or removes an earlier one once the file was taken. Never throws. */
function recordFailure(dir: string, name: string, event: InboxEvent): void {
  const reasonFile = failedReasonFile(dir, name);
  try {
    if (event.outcome !== 'failed') return rmSync(reasonFile, { force: true });
    mkdirSync(join(resolve(dir), FAILED_DIR), { recursive: true });
    const text = [
      `file: ${event.file}`,
      `reason: ${(event.reason ?? 'unknown').replace(/\s*\n\s*/g, ' ')}`,
      ...(event.contentHash ? [`sha256: ${event.contentHash}`] : []),
      `failedAt: ${new Date().toISOString()}`,
      '',
    ];
    writeFileSync(`${reasonFile}.tmp`, text.join('\n'));
    renameSync(`${reasonFile}.tmp`, reasonFile);
  } catch {
    // The event still carries the reason; only the workbench's page would not show it.
  }
}

async function processFile(options: InboxOptions, name: string, outLocked: boolean, progress: (message: string) => void): Promise<InboxEvent> {
  const dir = resolve(options.dir);
  const path = join(dir, name);
  let contentHash: string | undefined;
  try {
    contentHash = await sha256File(path);
    const registry = RunRegistry.at(resolve(options.registryDir ?? options.out));
    let known;
    try {
      known = registry.lookup(contentHash);
    } finally {
      registry.close();
    }
    if (known) {
      const movedTo = move(path, join(dir, PROCESSED_DIR), contentHash);
      progress(`${name}: already reconciled in run ${known.runId}; moved to ${movedTo}`);
      return { file: name, outcome: 'reuploaded', contentHash, runId: known.runId, movedTo };
    }
    const outcome = await reconcile({
      statements: [path],
      ledger: options.ledger,
      rulesFile: options.rulesFile,
      profile: options.profile,
      ...(options.encoding ? { encoding: options.encoding } : {}),
      out: options.out,
      registryDir: options.registryDir,
      quarantineDir: join(dir, QUARANTINE_DIR),
      quarantineMode: 'move',
      progress,
      outLocked,
      lockCommand: 'ledgerline inbox',
      ...options.reconcileOverrides,
    });
    if (!outcome.committed) {
      // The same statement(s) re-encoded (REC-OUT-2): a re-upload, no run.
      const firstRunId = outcome.reuploaded[0]?.firstRunId;
      const movedTo = move(path, join(dir, PROCESSED_DIR), contentHash);
      progress(`${name}: already reconciled in run ${firstRunId} (the same statements); moved to ${movedTo}`);
      return { file: name, outcome: 'reuploaded', contentHash, ...(firstRunId ? { runId: firstRunId } : {}), movedTo };
    }
    const movedTo = move(path, join(dir, PROCESSED_DIR), contentHash);
    progress(
      `${name}: run ${outcome.summary.runId}: ${outcome.summary.matched.total} match(es), ${outcome.summary.unmatchedStatement + outcome.summary.unmatchedLedger} exception(s); moved to ${movedTo}`,
    );
    return { file: name, outcome: 'reconciled', contentHash, runId: outcome.summary.runId, movedTo, matched: outcome.summary.matched.total, statementLines: outcome.summary.statementLines };
  } catch (error) {
    if (error instanceof RejectedInputError && resolve(error.badInput.file) === path) {
      return { file: name, outcome: 'quarantined', contentHash, movedTo: error.quarantined.file, reason: error.message };
    }
    // Anything else (including a bad ledger file, which is copied to quarantine): the file stays.
    progress(`${name}: failed: ${(error as Error).message} (left in the inbox)`);
    return { file: name, outcome: 'failed', contentHash, reason: (error as Error).message };
  }
}

/**
 * Runs the inbox: the startup scan, then (unless `once`) watching until the signal aborts. It
 * holds the writer locks (LOCK-1) of --out and of the inbox folder (it moves files there) for as
 * long as it runs: a second inbox or a `reconcile` into the same --out fails at once (DirLockedError).
 */
export async function runInbox(options: InboxOptions): Promise<InboxEvent[]> {
  const dir = resolve(options.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`inbox directory "${options.dir}" does not exist`);
  const outLock = acquireDirLock(options.out, 'ledgerline inbox');
  let inboxLock;
  try {
    inboxLock = acquireDirLock(dir, 'ledgerline inbox');
  } catch (error) {
    outLock.release();
    throw error;
  }
  try {
    options.onLocked?.();
    return await runInboxLocked(options, dir);
  } finally {
    inboxLock.release();
    outLock.release();
  }
}

async function runInboxLocked(options: InboxOptions, dir: string): Promise<InboxEvent[]> {
  // NOTIFY-1: a run a crash left committed but unannounced is announced at the start (a re-upload runs no reconcile that would).
  await settleAnnouncements({ ...options, ...options.reconcileOverrides }).catch((error: Error) =>
    options.progress?.(`warning: the announcements a crash left prepared could not be settled (${error.message}); the next run settles them`),
  );
  const events: InboxEvent[] = [];
  const failed = new Map<string, number>();
  const record = (event: InboxEvent): void => {
    events.push(event);
    options.onEvent?.(event);
  };
  const scan = async (): Promise<void> => {
    for (const name of inboxFiles(dir)) {
      if (options.signal?.aborted) return;
      const path = join(dir, name);
      let stat;
      try {
        stat = statSync(path);
      } catch {
        continue; // gone meanwhile
      }
      if (failed.get(name) === stat.mtimeMs) continue; // failed before and unchanged: wait for a change
      if (!options.once && !(await settled(path, options.settleMs ?? 500))) continue;
      const event = await processInboxFile(options, name, true);
      if (event.outcome === 'failed') failed.set(name, stat.mtimeMs);
      else failed.delete(name);
      record(event);
    }
  };
  await scan();
  if (options.once) return events;

  await new Promise<void>((resolveWatch) => {
    let running = false;
    let again = false;
    let timer: NodeJS.Timeout | undefined;
    const kick = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void drain(), 100);
    };
    const drain = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await scan();
        } while (again && !options.signal?.aborted);
      } finally {
        running = false;
      }
      // Files that were still being written get another look.
      if (!options.signal?.aborted && inboxFiles(dir).some((name) => !failed.has(name))) kick();
    };
    const watcher = watch(dir, () => kick());
    const stop = (): void => {
      if (timer) clearTimeout(timer);
      watcher.close();
      const finish = (): void => (running ? void setTimeout(finish, 50) : resolveWatch());
      finish();
    };
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
    kick();
  });
  return events;
}

/** True when the file's size and mtime did not change over `ms`. */
async function settled(path: string, ms: number): Promise<boolean> {
  try {
    const before = statSync(path);
    await new Promise((resolveWait) => setTimeout(resolveWait, ms));
    const after = statSync(path);
    return before.size === after.size && before.mtimeMs === after.mtimeMs;
  } catch {
    return false;
  }
}
