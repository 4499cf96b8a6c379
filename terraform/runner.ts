/**
 * Runs real Terraform on every synthesized stack, `jobs` at a time: `terraform init
 * -backend=false` (the provider comes from the shared plugin cache: symlinks, no copy of the
 * 675 MB binary), then `terraform validate -json` or `terraform test -json`. One result per stack
 * with Terraform's own diagnostics.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Diagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  address?: string;
  range?: { filename: string; start: { line: number } };
  snippet?: { code?: string; context?: string | null; values?: { traversal: string; statement: string }[] };
}

export interface StackResult {
  stack: string;
  ok: boolean;
  /** `valid` / `INVALID` / `PASS` / `FAIL` / `INIT FAILED`. */
  status: string;
  errors: Diagnostic[];
  /** Distinct warnings (Terraform repeats some per evaluation). */
  warnings: Diagnostic[];
  seconds: number;
  /** Output of a failed command that produced no JSON diagnostics (e.g. init). */
  raw?: string;
  /** test: failed (or unevaluable) assertions: errors located in the test file. */
  failedAssertions?: number;
  /** test: errors of the plan itself (located in the configuration): the assertions were not evaluated. */
  planErrors?: number;
  runs?: { passed: number; total: number };
}

const running = new Set<ChildProcess>();

/** Stops the terraform processes this run started (on Ctrl-C). */
export function stopAll(): void {
  for (const child of running) if (child.pid) process.kill(child.pid, 'SIGTERM');
}

export function exec(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      running.delete(child);
      resolvePromise({ code: 127, stdout: '', stderr: `${command}: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function distinct(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Map<string, Diagnostic>();
  for (const diagnostic of diagnostics) {
    const key = JSON.stringify([diagnostic.severity, diagnostic.summary, diagnostic.detail, diagnostic.address, diagnostic.range?.filename, diagnostic.range?.start.line]);
    if (!seen.has(key)) seen.set(key, diagnostic);
  }
  return [...seen.values()];
}

/** `terraform validate -json` output → result. */
export function parseValidate(stack: string, stdout: string, seconds: number): StackResult {
  let parsed: { valid?: boolean; diagnostics?: Diagnostic[] };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    return { stack, ok: false, status: 'INVALID', errors: [], warnings: [], seconds, raw: stdout };
  }
  const diagnostics = distinct(parsed.diagnostics ?? []);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return {
    stack,
    ok: parsed.valid === true && errors.length === 0,
    status: parsed.valid === true && errors.length === 0 ? 'valid' : 'INVALID',
    errors,
    warnings: diagnostics.filter((d) => d.severity === 'warning'),
    seconds,
  };
}

/** `terraform test -json` (one JSON message per line) → result. */
export function parseTest(stack: string, stdout: string, seconds: number): StackResult {
  const diagnostics: Diagnostic[] = [];
  let passed = 0;
  let total = 0;
  let summary: { status?: string } | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let message: { type?: string; diagnostic?: Diagnostic; test_run?: { progress?: string; status?: string }; test_summary?: { status?: string } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      continue;
    }
    if (message.type === 'diagnostic' && message.diagnostic) diagnostics.push(message.diagnostic);
    if (message.type === 'test_run' && message.test_run?.progress === 'complete') {
      total += 1;
      if (message.test_run.status === 'pass') passed += 1;
    }
    if (message.type === 'test_summary') summary = message.test_summary;
  }
  const unique = distinct(diagnostics);
  const errors = unique.filter((d) => d.severity === 'error');
  const ok = summary?.status === 'pass' && errors.length === 0 && total > 0 && passed === total;
  return {
    stack,
    ok,
    status: ok ? 'PASS' : 'FAIL',
    errors,
    warnings: unique.filter((d) => d.severity === 'warning'),
    seconds,
    failedAssertions: errors.filter((d) => d.range?.filename.endsWith('.tftest.hcl')).length,
    planErrors: errors.filter((d) => !d.range?.filename.endsWith('.tftest.hcl')).length,
    runs: { passed, total },
    ...(summary ? {} : { raw: stdout.slice(-4000) }),
  };
}

/** Runs `work` over `items`, at most `jobs` at a time, calling `done` as each finishes. */
export async function pool<T, R>(items: readonly T[], jobs: number, work: (item: T) => Promise<R>, done: (result: R) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const result = await work(items[index]!);
      results[index] = result;
      done(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}

function clip(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length > max ? `${single.slice(0, max)}…` : single;
}

/** Terraform's diagnostic, as Terraform words it, compactly (long generated conditions clipped). */
export function renderDiagnostic(diagnostic: Diagnostic, indent = '    '): string {
  const lines = [`${indent}${diagnostic.severity === 'error' ? 'Error' : 'Warning'}: ${diagnostic.summary}`];
  if (diagnostic.range) lines.push(`${indent}  on ${diagnostic.range.filename} line ${diagnostic.range.start.line}${diagnostic.snippet?.context ? `, in ${diagnostic.snippet.context}` : ''}:`);
  if (diagnostic.snippet?.code) lines.push(`${indent}  ${clip(diagnostic.snippet.code, 200)}`);
  for (const value of diagnostic.snippet?.values ?? []) lines.push(`${indent}    │ ${value.traversal} ${clip(value.statement, 300)}`);
  if (diagnostic.address) lines.push(`${indent}  (${diagnostic.address})`);
  if (diagnostic.detail) for (const line of diagnostic.detail.split('\n')) lines.push(`${indent}  ${line}`);
  return lines.join('\n');
}
