/**
 * The `ledgerline` command run in this process: `main(argv, io)` of src/cli/main.ts with stdout and
 * stderr captured, and the exit status read from (and then restored to) `process.exitCode`, the way
 * bin/ledgerline.js ends. Same result shape as test/support/cli.ts's child process, without a Node
 * start and a TypeScript load per call; keep a child process where the process is the point
 * (exit codes as the shell sees them, signals, stdin).
 */
import { main } from '../../src/cli/main';
import type { CliResult } from './cli';

export async function runCli(args: readonly string[]): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const previous = process.exitCode;
  process.exitCode = undefined;
  let status: number;
  try {
    await main(['node', 'ledgerline', ...args], { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) });
    status = Number(process.exitCode ?? 0);
  } catch (error) {
    // What bin/ledgerline.js does with an error main rethrows.
    stderr.push(`ledgerline: ${error instanceof Error ? error.message : String(error)}\n`);
    status = Number(process.exitCode || 1);
  } finally {
    process.exitCode = previous;
  }
  return { status, stdout: stdout.join(''), stderr: stderr.join('') };
}
