/**
 * Lambda as the rehearsal runs it (REH-1): each function's REAL deployed bundle (the synthesized
 * `filename` zip, unpacked outside the repository so nothing but the zip is on the module path)
 * in child processes of its own, one invocation per process at a time, with:
 * - EXACTLY the synthesized `environment.variables`, plus what Lambda itself sets (AWS_REGION,
 *   AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, the execution role's credentials:
 *   the access key id IS the role name, which is how the gateway knows the caller) and the
 *   rehearsal's AWS_ENDPOINT_URL (the gateway);
 * - a Lambda context whose getRemainingTimeInMillis counts down from the synthesized timeout,
 *   and a kill at the timeout;
 * - concurrency bounded by the synthesized reserved concurrency (and by the machine: at most
 *   `maxProcesses` environments per function; the bound actually used is reported).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { FunctionDefinition } from './deployment';
import type { Meter } from './metering';
import { unzipTo } from './unzip';

export interface InvokeError {
  errorType: string;
  errorMessage: string;
  stack?: string[];
}

export type InvokeOutcome = { ok: true; result: unknown; durationMs: number } | { ok: false; error: InvokeError; durationMs: number };

export interface FunctionStats {
  invocations: number;
  errors: number;
  timeouts: number;
  maxConcurrent: number;
  totalMs: number;
  coldStarts: number;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<InvokeError | undefined>;
  busy: boolean;
  /** Killed (a timeout) or broken (its channel closed): never handed another invocation, even before its exit is seen. */
  dead?: boolean;
}

export interface LambdaHostOptions {
  endpoint: string;
  region: string;
  /** Where bundles are unpacked and logs written (outside the repository). */
  workDir: string;
  /** Execution environments per function at most (the machine's bound). */
  maxProcesses: number;
  /** The secret half of every role's credentials (the gateway ignores signatures). */
  secretAccessKey?: string;
}

const RUNNER = join(__dirname, 'lambda-runner.js');

export class FunctionHost {
  readonly stats: FunctionStats = { invocations: 0, errors: 0, timeouts: 0, maxConcurrent: 0, totalMs: 0, coldStarts: 0 };
  /** Init failures (a function that cannot start is a finding). */
  readonly initErrors: InvokeError[] = [];
  /** Errors the function logged (its JSON log lines with an `error`): "<message>: <name>: <error message>" → count. */
  readonly loggedErrors = new Map<string, number>();
  readonly limit: number;
  private readonly workers: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private readonly codeDir: string;
  private readonly log: WriteStream;
  private closed = false;
  /** COST-1: counts invocations, billed duration, cold starts and log output while recording. */
  meter?: Meter;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly options: LambdaHostOptions,
  ) {
    const reserved = definition.reservedConcurrency;
    this.limit = reserved === undefined || reserved < 0 ? options.maxProcesses : Math.min(reserved, options.maxProcesses);
    this.codeDir = join(options.workDir, 'functions', definition.functionName);
    mkdirSync(this.codeDir, { recursive: true });
    unzipTo(definition.zipPath, this.codeDir);
    mkdirSync(join(options.workDir, 'logs'), { recursive: true });
    this.log = createWriteStream(join(options.workDir, 'logs', `${definition.functionName}.log`), { flags: 'a' });
  }

  get logPath(): string {
    return join(this.options.workDir, 'logs', `${this.definition.functionName}.log`);
  }

  /**
   * What the Lambda runtime itself provides beyond the function's configuration, where the
   * rehearsal emulates it (e.g. NODE_EXTRA_CA_CERTS: the runtime's trust store of the RDS CAs),
   * and REHEARSAL_CONNECT (host:port=host:port,…): the runner redirects those TCP connections (a
   * synthesized endpoint's DNS name to its local stand-in) and removes the variable before the
   * bundle loads. Applies to processes started from now on.
   */
  readonly runtime: Record<string, string> = {};

  /** The environment Lambda gives this function's processes. */
  environment(): Record<string, string> {
    const fn = this.definition;
    return {
      ...this.runtime,
      ...fn.environment,
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `rehearsal/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      LAMBDA_TASK_ROOT: this.codeDir,
      _HANDLER: fn.handler,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_ACCESS_KEY_ID: fn.roleName,
      AWS_SECRET_ACCESS_KEY: this.options.secretAccessKey ?? 'rehearsal-secret',
      AWS_SESSION_TOKEN: `rehearsal-session-${fn.roleName}`,
      AWS_ENDPOINT_URL: this.options.endpoint,
    };
  }

  private spawn(): Worker {
    const child = fork(RUNNER, [this.definition.handler], { cwd: this.codeDir, env: this.environment(), execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    // Everything a function writes is ingested by its log group.
    const logged = (chunk: Buffer) => {
      let lines = 0;
      for (const byte of chunk) if (byte === 10) lines += 1;
      this.meter?.lambdaLog(this.definition.functionName, chunk.length, lines);
    };
    child.stdout?.on('data', logged);
    child.stderr?.on('data', logged);
    const spawned = performance.now();
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) this.noteLogLine(line);
    });
    const ready = new Promise<InvokeError | undefined>((resolve) => {
      child.once('message', (message: { type: string; initError?: InvokeError }) => {
        this.meter?.lambdaColdStart(this.definition.functionName, performance.now() - spawned);
        if (message.initError) this.initErrors.push(message.initError);
        resolve(message.initError);
      });
      child.once('exit', (code) => resolve({ errorType: 'Runtime.ExitError', errorMessage: `the execution environment exited with code ${code} during init` }));
    });
    this.stats.coldStarts += 1;
    const worker: Worker = { child, ready, busy: false };
    // A channel that breaks (the process died between two invocations) retires the worker; the
    // invocation in flight ends by its exit (or its send's error) instead of crashing the host.
    child.on('error', () => {
      worker.dead = true;
    });
    child.once('exit', () => {
      const index = this.workers.indexOf(worker);
      if (index >= 0) this.workers.splice(index, 1);
    });
    this.workers.push(worker);
    return worker;
  }

  private noteLogLine(line: string): void {
    if (!line.startsWith('{') || !line.includes('"error"')) return;
    try {
      const entry = JSON.parse(line) as { message?: string; error?: { name?: string; message?: string } };
      if (!entry.error || typeof entry.error !== 'object') return;
      const key = `${entry.message ?? '(no message)'}: ${entry.error.name ?? 'Error'}: ${String(entry.error.message ?? '').slice(0, 300)}`;
      this.loggedErrors.set(key, (this.loggedErrors.get(key) ?? 0) + 1);
    } catch {
      // not a JSON log line
    }
  }

  private async acquire(): Promise<Worker> {
    while (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.active);
    const idle = this.workers.find((worker) => !worker.busy && !worker.dead && worker.child.exitCode === null);
    const worker = idle ?? this.spawn();
    worker.busy = true;
    return worker;
  }

  private release(worker: Worker): void {
    worker.busy = false;
    this.active -= 1;
    this.waiting.shift()?.();
  }

  get inFlight(): number {
    return this.active;
  }

  /** One synchronous invocation (RequestResponse). */
  async invoke(event: unknown): Promise<InvokeOutcome> {
    if (this.closed) throw new Error(`function ${this.definition.functionName} is shut down`);
    if (this.limit <= 0) {
      this.stats.invocations += 1;
      this.stats.errors += 1;
      return {
        ok: false,
        error: { errorType: 'TooManyRequestsException', errorMessage: `Rate Exceeded: reserved concurrency of ${this.definition.functionName} is ${this.definition.reservedConcurrency}` },
        durationMs: 0,
      };
    }
    const worker = await this.acquire();
    const started = performance.now();
    this.stats.invocations += 1;
    try {
      const initError = await worker.ready;
      if (initError) {
        this.stats.errors += 1;
        this.meter?.lambdaInvocation(this.definition.functionName, 0, false, 0);
        return { ok: false, error: initError, durationMs: performance.now() - started };
      }
      const outcome = await this.run(worker, event);
      if (!outcome.ok) this.stats.errors += 1;
      this.meter?.lambdaInvocation(this.definition.functionName, outcome.durationMs, outcome.ok, recordsIn(event));
      return outcome;
    } finally {
      this.stats.totalMs += performance.now() - started;
      this.release(worker);
    }
  }

  private run(worker: Worker, event: unknown): Promise<InvokeOutcome> {
    const id = randomUUID();
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const started = performance.now();
    return new Promise<InvokeOutcome>((resolve) => {
      const onMessage = (message: { type: string; id: string; result?: unknown; error?: InvokeError }) => {
        if (message.type !== 'result' || message.id !== id) return;
        cleanup();
        resolve(message.error ? { ok: false, error: message.error, durationMs: performance.now() - started } : { ok: true, result: message.result, durationMs: performance.now() - started });
      };
      const onExit = (code: number | null) => {
        cleanup();
        resolve({
          ok: false,
          error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime exited with error: exit status ${code}` },
          durationMs: performance.now() - started,
        });
      };
      const timer = setTimeout(() => {
        cleanup();
        this.stats.timeouts += 1;
        worker.dead = true;
        worker.child.kill('SIGKILL');
        resolve({
          ok: false,
          error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.definition.timeoutSeconds.toFixed(2)} seconds` },
          durationMs: performance.now() - started,
        });
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        worker.child.off('message', onMessage);
        worker.child.off('exit', onExit);
      };
      worker.child.on('message', onMessage);
      worker.child.once('exit', onExit);
      worker.child.send({ type: 'invoke', id, requestId: id, event, deadlineMs: Date.now() + timeoutMs, invokedFunctionArn: this.definition.arn }, (error) => {
        if (!error) return;
        worker.dead = true;
        cleanup();
        resolve({
          ok: false,
          error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: the execution environment is gone (${error.message})` },
          durationMs: performance.now() - started,
        });
      });
    });
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.child.exitCode !== null) return resolve();
            worker.child.once('exit', () => resolve());
            worker.child.kill('SIGTERM');
          }),
      ),
    );
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }
}

/** Records an invocation event carries (SQS messages, stream records); 0 for a single event. */
function recordsIn(event: unknown): number {
  if (Array.isArray(event)) return event.length;
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) ? records.length : 0;
}

export class LambdaService {
  readonly hosts = new Map<string, FunctionHost>();
  private readonly byName = new Map<string, FunctionHost>();

  constructor(functions: readonly FunctionDefinition[], options: LambdaHostOptions) {
    for (const fn of functions) {
      const host = new FunctionHost(fn, options);
      this.hosts.set(fn.arn, host);
      this.byName.set(fn.functionName, host);
      this.byName.set(fn.logicalName, host);
    }
  }

  /** A function by ARN (qualified or not), name or catalogue name. */
  get(reference: string): FunctionHost | undefined {
    const unqualified = reference.replace(/:(\$LATEST|[0-9]+)$/, '');
    return this.hosts.get(unqualified) ?? this.byName.get(unqualified.split(':').pop()!);
  }

  get inFlight(): number {
    let total = 0;
    for (const host of this.hosts.values()) total += host.inFlight;
    return total;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((host) => host.shutdown()));
  }
}
