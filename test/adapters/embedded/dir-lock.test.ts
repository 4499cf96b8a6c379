/**
 * LOCK-1: one writer per state or results directory, proved with real concurrent processes:
 * a second writer is refused at once naming the holder, readers keep working, and a writer killed
 * with SIGKILL leaves no stale lock behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireDirLock, DirLockedError, LOCK_HOLDER_FILE } from '../../../src/adapters/embedded/dir-lock';
import { sampleLines, tempDir } from '../../support/runtime';
import { cli, cliAsync } from '../../support/cli';
import { runCli } from '../../support/cli-in-process';

const ROOT = join(__dirname, '..', '..', '..');

/** A child process that takes the lock, prints "locked", and holds it until killed or told to exit. */
function holder(dir: string): Promise<ChildProcess> {
  const script = `const { acquireDirLock } = require(${JSON.stringify(join(ROOT, 'src/adapters/embedded/dir-lock.ts'))});
acquireDirLock(${JSON.stringify(dir)}, 'test holder');
process.stdout.write('locked\\n');
process.stdin.on('data', () => process.exit(0));
setInterval(() => undefined, 1000);`;
  // Plain node with tsx's CommonJS hook: one process, so SIGKILL reaches the lock's holder itself.
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`holder exited early (${code}): ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', () => resolve())));
}

describe('acquireDirLock (LOCK-1)', () => {
  it('refuses a second writer in the same process, naming the holder, and frees the directory on release', () => {
    const dir = tempDir('lock-same-');
    const first = acquireDirLock(dir, 'ledgerline post');
    let refused: unknown;
    try {
      acquireDirLock(dir, 'ledgerline sweep');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DirLockedError);
    expect((refused as DirLockedError).holder).toMatchObject({ pid: process.pid, command: 'ledgerline post' });
    expect((refused as Error).message).toContain('ledgerline post');
    expect((refused as Error).message).toContain(String(process.pid));
    first.release();
    first.release(); // idempotent
    expect(existsSync(join(dir, LOCK_HOLDER_FILE))).toBe(false);
    acquireDirLock(dir, 'ledgerline sweep').release();
  });

  it('another process holding the lock refuses this one; SIGKILL of the holder frees it with nothing to clean up', async () => {
    const dir = tempDir('lock-proc-');
    const child = await holder(dir);
    try {
      expect(() => acquireDirLock(dir, 'ledgerline post')).toThrow(new RegExp(`test holder.*pid ${child.pid}`));
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    // The OS dropped the lock with the process; the stale holder file is only informational.
    const lock = acquireDirLock(dir, 'ledgerline post');
    expect(lock.dir).toBe(dir);
    lock.release();
  });
});

/** A child process that prints "ready", then after `delayMs` writes `content` as the holder file of `dir`. */
function lateHolderFile(dir: string, content: string, delayMs: number): Promise<ChildProcess> {
  const target = join(dir, LOCK_HOLDER_FILE);
  const script = `process.stdout.write('ready\\n'); setTimeout(() => { require('node:fs').writeFileSync(${JSON.stringify(target)}, ${JSON.stringify(content)}); process.exit(0); }, ${delayMs});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.on('error', reject);
  });
}

/** The pid of a process that has already ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await exited(child);
  return child.pid!;
}

describe('a writer refused while the holder is still naming itself (LOCK-1)', () => {
  function refusal(dir: string): DirLockedError {
    try {
      acquireDirLock(dir, 'ledgerline sweep');
    } catch (error) {
      return error as DirLockedError;
    }
    throw new Error('the second writer was not refused');
  }

  it.each([
    ['no holder file yet', async () => undefined],
    ['the holder file of a writer that was killed', async () => ({ pid: await deadPid(), host: hostname(), command: 'killed writer', since: '2026-01-01T00:00:00.000Z' })],
    ['a half-written holder file', async () => '{"pid": 12'],
  ])('%s: the refused writer waits for the live holder to name itself', async (_case, before) => {
    const dir = tempDir('lock-late-');
    const lock = acquireDirLock(dir, 'ledgerline post');
    try {
      const stale = await before();
      if (stale === undefined) rmSync(join(dir, LOCK_HOLDER_FILE));
      else writeFileSync(join(dir, LOCK_HOLDER_FILE), typeof stale === 'string' ? stale : JSON.stringify(stale));
      const live = JSON.stringify({ pid: process.pid, host: hostname(), command: 'ledgerline post', since: new Date().toISOString() });
      const child = await lateHolderFile(dir, live, 100);
      const refused = refusal(dir);
      await exited(child);
      expect(refused).toBeInstanceOf(DirLockedError);
      expect(refused.holder).toMatchObject({ pid: process.pid, command: 'ledgerline post' });
      expect(refused.message).toContain('`ledgerline post`');
    } finally {
      lock.release();
    }
  });

  it('a holder that never names itself is reported as another process, after a bounded wait', () => {
    const dir = tempDir('lock-silent-');
    const lock = acquireDirLock(dir, 'ledgerline post');
    try {
      rmSync(join(dir, LOCK_HOLDER_FILE));
      const started = Date.now();
      const refused = refusal(dir);
      const waited = Date.now() - started;
      expect(refused.holder).toBeUndefined();
      expect(refused.message).toContain('is being written by another process');
      expect(waited).toBeGreaterThanOrEqual(900); // it did wait for the holder ...
      expect(waited).toBeLessThan(30_000); // ... and then gave up rather than hang
    } finally {
      lock.release();
    }
  });
});

function cliExit(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = cliAsync(args);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.resume();
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stderr })));
}

// The commands whose process is the point (a refused writer's exit status as the shell sees it,
// two writers racing) run as child processes; making the states and reading them runs the same
// command in this process (test/support/cli-in-process.ts), without a Node start each.
describe('writers through the CLI (LOCK-1)', () => {
  const work = tempDir('lock-cli-');
  const file = join(work, 'auths.ndjson');
  beforeAll(() => {
    writeFileSync(file, `${sampleLines(1000, 3, 0.02).join('\n')}\n`);
  });

  it('post and sweep on a state another process is writing fail at once with exit 75 naming the holder; ledger still reads it', async () => {
    const state = join(work, 'held');
    expect((await runCli(['post', '--input', file, '--state', state, '--partitions', '2', '--json'])).status).toBe(0);
    const before = (await runCli(['ledger', '--state', state, '--json'])).stdout;
    const filesBefore = readdirSync(state).filter((name) => !name.startsWith('.ledgerline.lock'));
    const child = await holder(state);
    try {
      // A refused post as its own process: exit 75 as a shell sees it.
      const refusedPost = cli(['post', '--input', file, '--state', state, '--partitions', '1']);
      // A refused sweep: the same command code, run here.
      const refusedSweep = await runCli(['sweep', '--state', state]);
      for (const refused of [refusedPost, refusedSweep]) {
        expect(refused.status).toBe(75);
        expect(refused.stderr).toContain(`pid ${child.pid}`);
        expect(refused.stderr).toContain('test holder');
      }
      const ledger = await runCli(['ledger', '--state', state, '--json']);
      expect(ledger.status).toBe(0);
      expect(ledger.stdout).toBe(before);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    // The refused `post --partitions 1` created nothing (no root database beside the partitions).
    expect(readdirSync(state).filter((name) => !name.startsWith('.ledgerline.lock'))).toEqual(filesBefore);
  }, 180_000); // processes and worker threads: a loaded machine gets time

  it('two posts started together on one fresh state with different partition counts: one layout, the money of one clean run', async () => {
    // The money of one clean run: one partition gives the balances of any count (partitioned-runtime.test.ts).
    const reference = join(work, 'reference');
    expect((await runCli(['post', '--input', file, '--state', reference, '--partitions', '1'])).status).toBe(0);
    const expected = JSON.parse((await runCli(['ledger', '--state', reference, '--json'])).stdout);
    const state = join(work, 'raced');
    const [a, b] = await Promise.all([cliExit(['post', '--input', file, '--state', state, '--partitions', '2']), cliExit(['post', '--input', file, '--state', state, '--partitions', '3'])]);
    const statuses = [a.status, b.status].sort();
    // Either one writer was refused (75), or the second started after the first finished and replayed everything.
    expect([JSON.stringify([0, 75]), JSON.stringify([0, 0])]).toContain(JSON.stringify(statuses));
    for (const run of [a, b]) if (run.status === 75) expect(run.stderr).toContain('ledgerline post');
    const hasManifest = existsSync(join(state, 'state.json'));
    const hasRootDb = existsSync(join(state, 'ledgerline.db'));
    expect(hasManifest && hasRootDb).toBe(false);
    const ledger = JSON.parse((await runCli(['ledger', '--state', state, '--json'])).stdout);
    expect(ledger.accounts.map((x: { accountId: string; currency: string; balance: string }) => [x.accountId, x.currency, x.balance])).toEqual(
      expected.accounts.map((x: { accountId: string; currency: string; balance: string }) => [x.accountId, x.currency, x.balance]),
    );
  }, 180_000);
});
