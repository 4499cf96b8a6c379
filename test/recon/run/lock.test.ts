/**
 * One writer per results directory (LOCK-1), with real concurrent processes: while a `reconcile`
 * is mid-commit (a child process stopped at its DuckDB load) or an `inbox` is watching, a second
 * `reconcile` or `inbox` into the same --out fails at once (exit 75) naming the holder; readers —
 * the workbench importing committed runs — carry on. A writer killed with SIGKILL leaves no lock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMemoryDatabase } from '../../support/memory-database';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { LOCK_HOLDER_FILE } from '../../../src/adapters/embedded/dir-lock';
import { importNewRuns } from '../../../src/recon/workbench/import-run';
import { cli, cliAsync } from '../../support/cli';
import { runCli } from '../../support/cli-in-process';
import { tempDir } from '../../support/runtime';
import { steppingClock } from '../workbench/helpers';
import { BAI2, CAMT053, MT940, reconciled, writeLedger } from './helpers';

const root = tempDir('recon-lock-');
const ledger = writeLedger(root);

/** Resolves once the child's `stream` has printed `text`. */
function printed(child: ChildProcess, stream: 'stdout' | 'stderr', text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child[stream]!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    child.on('exit', () => reject(new Error(`exited before printing ${JSON.stringify(text)}: ${seen}`)));
  });
}

/** Resolves once `dir`'s lock holder file names `pid` (checked every 20 ms, for up to 60 s). */
async function holderIs(dir: string, pid: number): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 20) {
    try {
      if ((JSON.parse(readFileSync(join(dir, LOCK_HOLDER_FILE), 'utf8')) as { pid: number }).pid === pid) return;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${dir}: the lock holder never became pid ${pid}`);
}

const exited = (child: ChildProcess) => new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

describe('the --out writer lock (LOCK-1)', () => {
  it('a reconcile mid-commit holds --out: a second reconcile or inbox fails at once naming it; the workbench still reads; kill -9 frees it', async () => {
    const out = join(root, 'out');
    await reconciled({ statements: [MT940], ledger: { file: ledger }, out });
    const holder = spawn(process.execPath, ['-r', 'tsx/cjs', join(__dirname, 'support', 'stop-at.ts'), JSON.stringify({ point: 'afterAnalytics', out, statements: [CAMT053], ledger })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ended = exited(holder);
    try {
      await printed(holder, 'stdout', 'REACHED afterAnalytics');

      // A child process for the exit status the shell sees; the other contenders run in process.
      const second = cli(['reconcile', '--statement', BAI2, '--ledger', ledger, '--out', out, '--json']);
      expect(second.status).toBe(75);
      expect(second.stdout).toBe('');
      expect(second.stderr).toContain(`is being written by \`ledgerline reconcile\` (pid ${holder.pid}`);

      const inbox = join(root, 'inbox');
      mkdirSync(inbox, { recursive: true });
      const watcher = await runCli(['inbox', '--dir', inbox, '--out', out, '--ledger', ledger, '--once']);
      expect(watcher.status).toBe(75);
      expect(watcher.stderr).toContain(`pid ${holder.pid}`);

      // A reader needs no lock: the workbench imports the committed run meanwhile.
      const store = new SqliteWorkbenchStore(openMemoryDatabase(), steppingClock());
      const imported = await importNewRuns(out, store, steppingClock());
      expect(imported).toHaveLength(1);
    } finally {
      holder.kill('SIGKILL');
    }
    expect(await ended).toBe('SIGKILL');
    // The operating system dropped the lock with the process: the next writer goes through.
    const after = await runCli(['reconcile', '--statement', BAI2, '--ledger', ledger, '--out', out, '--json']);
    expect(after.status).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ committed: true, statementLines: 17 });
  });

  it('a watching inbox holds --out and the inbox folder for as long as it runs', async () => {
    const out = join(root, 'out-inbox');
    const inbox = join(root, 'inbox-watched');
    mkdirSync(inbox, { recursive: true });
    const watcher = cliAsync(['inbox', '--dir', inbox, '--out', out, '--ledger', ledger]);
    const ended = exited(watcher);
    try {
      await printed(watcher, 'stderr', 'watching');
      // `watching` is printed as the watch starts, before the inbox has taken its locks: wait for
      // it to name itself the holder of both (the holder file is written once the lock is held).
      await holderIs(out, watcher.pid!);
      await holderIs(inbox, watcher.pid!);
      const reconcile = await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--out', out]);
      expect(reconcile.status).toBe(75);
      expect(reconcile.stderr).toContain(`is being written by \`ledgerline inbox\` (pid ${watcher.pid}`);
      const second = await runCli(['inbox', '--dir', inbox, '--out', join(root, 'elsewhere'), '--ledger', ledger, '--once']);
      expect(second.status).toBe(75); // the inbox folder is taken too
    } finally {
      watcher.kill('SIGTERM');
    }
    await ended;
    expect((await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--out', out])).status).toBe(0);
  });
});
