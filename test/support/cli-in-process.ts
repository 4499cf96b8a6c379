/**
 * The `ledgerline` command run in this process: `main(argv, io)` of src/cli/main.ts with stdout and
 * stderr captured, and the exit status read from (and then restored to) `process.exitCode`, the way
 * bin/ledgerline.js ends. Same result shape as test/support/cli.ts's child process, without a Node
 * start and a TypeScript load per call; keep a child process where the process is the point
 * (exit codes as the shell sees them, signals, stdin).
 *
 * With `processStreams`, whatever the command writes straight to process.stdout / process.stderr
 * while it runs (not through its io) is captured too, as a child's output would hold it: for tests
 * that assert what the output does NOT hold (no card number, nothing on stdout).
 */
import { main } from '../../src/cli/main';
import type { CliResult } from './cli';

export interface RunCliOptions {
  /** Also capture direct writes to process.stdout and process.stderr during the call. */
  processStreams?: boolean;
}

type Write = typeof process.stdout.write;

/** Sends `stream`'s writes to `sink` until the returned function restores it. */
function divert(stream: NodeJS.WriteStream, sink: string[]): () => void {
  const original = stream.write;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as Write;
  return () => {
    stream.write = original;
  };
}

export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const previous = process.exitCode;
  process.exitCode = undefined;
  const restore = options.processStreams ? [divert(process.stdout, stdout), divert(process.stderr, stderr)] : [];
  let status: number;
  try {
    await main(['node', 'ledgerline', ...args], { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) });
    status = Number(process.exitCode ?? 0);
  } catch (error) {
    // What bin/ledgerline.js does with an error main rethrows.
    stderr.push(`ledgerline: ${error instanceof Error ? error.message : String(error)}\n`);
    status = Number(process.exitCode || 1);
  } finally {
    for (const undo of restore) undo();
    process.exitCode = previous;
  }
  return { status, stdout: stdout.join(''), stderr: stderr.join('') };
}
