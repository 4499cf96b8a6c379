/**
 * bin/ledgerline.js as the shell runs it: a reader that stops reading (`ledgerline generate ... |
 * head`, `ledgerline ledger --state S | head`) ends the command's output quietly with exit 0; the
 * broken pipe is not reported as a crash with a stack trace. Both ways the command runs: on the main
 * thread (generate) and on the batch worker thread (reconcile, whose output the main thread forwards).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { BIN } from '../support/cli';

async function runClosingStdout(args: string[], afterBytes: number): Promise<{ code: number | null; signal: string | null; stderr: string; read: number }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let read = 0;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.stdout.on('data', (chunk: Buffer) => {
    read += chunk.length;
    // What `head` does: read a little, then close the pipe while the command is still writing.
    if (read >= afterBytes) child.stdout.destroy();
  });
  if (afterBytes === 0) child.stdout.destroy();
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  return { code, signal, stderr, read };
}

describe('ledgerline when its reader goes away (a closed stdout pipe)', () => {
  it('generate | head: stops with exit 0 and no stack trace', async () => {
    const result = await runClosingStdout(['generate', 'authorizations', '--count', '200000', '--seed', '7'], 1);
    expect(result.read).toBeGreaterThan(0);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|\n\s+at /);
    expect([result.code, result.signal]).toEqual([0, null]);
  });

  it('a batch command (run on its worker thread) whose output nobody reads: exit 0, no stack trace', async () => {
    const result = await runClosingStdout(['reconcile', '--help'], 0);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|\n\s+at /);
    expect([result.code, result.signal]).toEqual([0, null]);
  });
});
