/**
 * The embedded run on the same inputs (REH-1), through the CLI's program as a user runs it
 * (src/cli/main.ts, what bin/ledgerline.js runs: `post`, `ledger`, `reconcile` on a temporary
 * --state), for the rehearsal to compare against.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { POSTING_RECORD_LAYOUT } from '../src/domain/posting-record';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'bin', 'ledgerline.js');

export interface EmbeddedBalance {
  accountId: string;
  currency: string;
  balance: string;
  version: number;
}

export async function cli(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args], { cwd: ROOT, maxBuffer: 512 * 1024 * 1024, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    return stdout;
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; code?: number };
    throw new Error(`embedded run: ledgerline ${args.join(' ')} exited ${failed.code}: ${failed.stderr ?? ''}${failed.stdout ?? ''}`, { cause: error });
  }
}

/**
 * The same command run in this process (src/cli/main.ts `main`, the program bin/ledgerline.js
 * runs): no process start and no module loading per call, which dominate a short command such as
 * one `authorise` (seconds against milliseconds). For commands the rehearsal runs many times.
 */
export async function cliInProcess(args: readonly string[]): Promise<string> {
  const { main } = await import('../src/cli/main');
  let stdout = '';
  let stderr = '';
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'ledgerline', ...args], { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
    const code = process.exitCode;
    if (code !== undefined && code !== 0) throw new Error(`embedded run: ledgerline ${args.join(' ')} exited ${String(code)}: ${stderr}${stdout}`);
    return stdout;
  } finally {
    process.exitCode = before;
  }
}

/** Every outbox file of a state directory (all partitions). */
function outboxFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory())
      found.push(
        ...(entry === 'outbox'
          ? readdirSync(path)
              .filter((name) => name.endsWith('.txt'))
              .map((name) => join(path, name))
          : outboxFiles(path)),
      );
  }
  return found.sort();
}

const SEQUENCE = POSTING_RECORD_LAYOUT.find(([name]) => name === 'sequenceId')!;

/** `PR-<sequence id as the record's lines carry it>` of a posting record's content. */
export function recordIdOf(content: string): string | undefined {
  const line = content.split('\n')[0];
  return line ? `PR-${line.slice(SEQUENCE[1] - 1, SEQUENCE[1] - 1 + SEQUENCE[2]).trimEnd()}` : undefined;
}

/**
 * The posting records one outbox object (or file) holds: record id (`PR-<sequenceId>`) → its
 * lines, in order. An object holds a whole batch (LEDGER-2), each record's lines together.
 */
export function postingRecordsOf(content: string): Map<string, string> {
  const records = new Map<string, string>();
  for (const line of content.split('\n')) {
    if (!line) continue;
    const id = recordIdOf(line)!;
    records.set(id, `${records.get(id) ?? ''}${line}\n`);
  }
  return records;
}

/** The posting records of an embedded state: record id (`PR-<sequenceId>`) → content (its lines). */
export function embeddedPostingRecords(stateDir: string): Map<string, string> {
  const records = new Map<string, string>();
  for (const file of outboxFiles(stateDir)) for (const [id, lines] of postingRecordsOf(readFileSync(file, 'utf8'))) records.set(id, `${records.get(id) ?? ''}${lines}`);
  return records;
}

export interface EmbeddedRun {
  summary: Record<string, unknown>;
  balances: EmbeddedBalance[];
  records: Map<string, string>;
  elapsedMs: number;
}

/**
 * How the rehearsal runs the embedded CLI: in this process (default; no process start and module
 * load per command), or each command in its own process as a user starts it
 * (REHEARSAL_EMBEDDED_PROCESS=spawn, e.g. to isolate a crash of the embedded run).
 */
export function embeddedCli(): (args: readonly string[]) => Promise<string> {
  return process.env.REHEARSAL_EMBEDDED_PROCESS === 'spawn' ? cli : cliInProcess;
}

export async function embeddedPost(inputFile: string, stateDir: string): Promise<EmbeddedRun> {
  const started = performance.now();
  const run = embeddedCli();
  const summary = JSON.parse(await run(['post', '--input', inputFile, '--state', stateDir, '--json'])) as Record<string, unknown>;
  const balances = (JSON.parse(await run(['ledger', '--state', stateDir, '--json'])) as { accounts: EmbeddedBalance[] }).accounts;
  return { summary, balances, records: embeddedPostingRecords(stateDir), elapsedMs: performance.now() - started };
}

export async function embeddedReconcile(statementFile: string, stateDir: string, outDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await embeddedCli()(['reconcile', '--statement', statementFile, '--state', stateDir, '--out', outDir, '--json'])) as Record<string, unknown>;
}
