/**
 * The embedded statement inbox behind the workbench's upload (REC-RUN-1): the folder `ledgerline
 * inbox --dir` watches, and the registry of its --out. Kept apart from the upload's routes
 * (./upload.ts), which know only the StatementInbox port, so the workbench Lambda's bundle carries
 * no inbox, registry or DuckDB code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { failedReasonFile, PROCESSED_DIR, QUARANTINE_DIR } from '../run/inbox';
import { RunRegistry } from '../run/registry';
import { WorkbenchError } from './cases';
import { SEPARATOR, UPLOAD_ID, uploadFileName, type StatementInbox, type UploadStatus } from './upload';

function uploadId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(6).toString('hex')}`;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The first field of a reason file (quarantine.ts's reasonText) by name. */
function reasonField(text: string, field: string): string | undefined {
  return text
    .split('\n')
    .find((line) => line.startsWith(`${field}: `))
    ?.slice(field.length + 2);
}

/**
 * The embedded inbox: the folder `ledgerline inbox --dir` watches, and the registry of its --out
 * (which run took a file, by content hash). Files are named `<upload id>--<name>`; the inbox keeps
 * that name when it moves one to processed/ or quarantine/ (or puts a hash before it).
 */
export class FolderStatementInbox implements StatementInbox {
  private readonly dir: string;

  constructor(
    dir: string,
    private readonly registryDir: string,
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {
    this.dir = resolve(dir);
  }

  async submit(file: { name: string; bytes: Uint8Array }): Promise<string> {
    const name = uploadFileName(file.name);
    if (!existsSync(this.dir)) throw new WorkbenchError('UNAVAILABLE', 'the inbox folder does not exist; start `ledgerline inbox` with it first');
    const id = uploadId(this.clock.now());
    const target = join(this.dir, `${id}${SEPARATOR}${name}`);
    // Under a name the inbox passes over until it is whole and on disk; then one rename puts it in place.
    const partial = `${target}.part`;
    const fd = openSync(partial, 'wx', 0o600);
    try {
      for (let at = 0; at < file.bytes.length;) at += writeSync(fd, file.bytes, at, file.bytes.length - at);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkSync(partial);
      throw error;
    }
    closeSync(fd);
    renameSync(partial, target);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return id;
  }

  async status(id: string): Promise<UploadStatus | undefined> {
    if (!UPLOAD_ID.test(id)) return undefined;
    const prefix = `${id}${SEPARATOR}`;
    // The inbox keeps the name, or puts `<12 hex of the hash>-` before it when the name is taken.
    const mine = (entry: string): boolean => entry.startsWith(prefix) || (entry.length > 13 && entry[12] === '-' && entry.slice(13).startsWith(prefix));
    const nameOf = (entry: string): string => entry.slice(entry.indexOf(prefix) + prefix.length);
    const list = (dir: string): string[] => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    };
    // The reason names the file by its path in the inbox: shown by the name the person gave it (no server path).
    const local = (part: string): string => part.split(`${this.dir}/`).join('').split(prefix).join('');
    const quarantine = join(this.dir, QUARANTINE_DIR);
    const reasonFile = list(quarantine).find((entry) => mine(entry) && entry.endsWith('.reason.txt'));
    if (reasonFile) {
      const text = readFileSync(join(quarantine, reasonFile), 'utf8');
      const name = nameOf(reasonFile).replace(/\.reason\.txt$/, '');
      const problem = reasonField(text, 'problem');
      const reason = reasonField(text, 'reason');
      return { state: 'quarantined', name, reason: local(reason !== undefined ? `${problem ? `${problem}: ` : ''}${reason}` : text.trim()) };
    }
    const processedDir = join(this.dir, PROCESSED_DIR);
    const processed = list(processedDir).find(mine);
    if (processed) {
      const hash = await sha256File(join(processedDir, processed));
      const registry = RunRegistry.at(resolve(this.registryDir));
      let known;
      try {
        known = registry.lookup(hash);
      } finally {
        registry.close();
      }
      const name = nameOf(processed);
      // The run that took this very file names it; any other run had the same content before.
      if (known && known.file.endsWith(`${prefix}${name}`)) return { state: 'committed', name, runId: known.runId, statementLines: known.statementLines };
      return { state: 'already-reconciled', name, ...(known ? { runId: known.runId } : {}) };
    }
    const waiting = list(this.dir).find((entry) => entry.startsWith(prefix) && !entry.endsWith('.part'));
    if (!waiting) return undefined;
    // Still in the inbox: queued, or failed for another reason than the file (the inbox kept the reason; the file is tried again).
    let failed: string | undefined;
    try {
      failed = readFileSync(failedReasonFile(this.dir, waiting), 'utf8');
    } catch {
      failed = undefined;
    }
    if (failed === undefined) return { state: 'queued', name: nameOf(waiting) };
    const at = reasonField(failed, 'failedAt');
    // Any other server path in it (the ledger's, say) by its file name only.
    const reason = local(reasonField(failed, 'reason') ?? failed.trim()).replace(/(?:\/[^\s/:"']+)+\/([^\s/:"']+)/g, '$1');
    return { state: 'failed', name: nameOf(waiting), reason, ...(at ? { at } : {}) };
  }
}

/** The Hono app's variables the routes read (set by the workbench's sign-in middleware). */
