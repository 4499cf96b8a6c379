/**
 * CHAOS-1, a stalled stage (NFR3): a store call of the dedup, enrichment or posting stage hangs
 * (stall-child.ts), the wave it belongs to never commits, a watchdog that knows nothing of the
 * fault sees no wave committed within the wave timeout and SIGKILLs the process, which is then
 * restarted on the same state and input. The run must converge to the clean run's ledger and
 * posting records, posting nothing twice.
 *
 * The wave timeout is taken from the clean run: three times its slowest wave, plus two seconds.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Prng } from '../src/generator/authorisations';
import type { DedupStore, LedgerStore } from '../src/ports';
import { cleanRun, readLines } from './in-process';
import type { CleanRun } from './in-process';
import { compareStates, indexInput, inspectState } from './inspect';
import type { ClassResult } from './report';
import type { StallChildConfig, StallPort } from './stall-child';
import { STALL_PORTS } from './stall-child';

const ROOT = join(__dirname, '..');

export interface StallOptions {
  input: string;
  workDir: string;
  seed: number;
  stalls: number;
  log?: (line: string) => void;
}

interface Attempt {
  stalled?: string;
  killedByWatchdog: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  summary?: { failed: number; pending: number };
  stderr: string;
}

function runAttempt(config: StallChildConfig, waveTimeoutMs: number): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', join(__dirname, 'stall-child.ts'), JSON.stringify(config)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const attempt: Attempt = { killedByWatchdog: false, code: null, signal: null, stderr: '' };
    let armed = false;
    let lastProgress = performance.now();
    const watchdog = setInterval(() => {
      if (armed && performance.now() - lastProgress > waveTimeoutMs) {
        attempt.killedByWatchdog = true;
        clearInterval(watchdog);
        child.kill('SIGKILL');
      }
    }, 50);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'READY' || line.startsWith('WAVE ')) {
        armed = true;
        lastProgress = performance.now();
      } else if (line.startsWith('STALL ')) {
        attempt.stalled = line.slice('STALL '.length);
      } else if (line.startsWith('DONE ')) {
        attempt.summary = JSON.parse(line.slice('DONE '.length)) as Attempt['summary'];
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (attempt.stderr += chunk.toString('utf8')));
    child.on('error', (error) => {
      clearInterval(watchdog);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearInterval(watchdog);
      resolve({ ...attempt, code, signal });
    });
  });
}

export async function stallClass(options: StallOptions): Promise<ClassResult> {
  const log = options.log ?? (() => undefined);
  const lines = readLines(options.input);
  log(`stalled stage: clean run of ${lines.length} authorisations`);
  const calls: Record<StallPort, number> = { dedup: 0, ledger: 0, 'reference data': 0 };
  const waveTimes: number[] = [];
  let waveStarted = performance.now();
  const clean: CleanRun = await cleanRun(join(options.workDir, 'clean'), lines, {
    overrides: {
      dedupStore: (store): DedupStore => ({ claim: (claim, now) => ((calls.dedup += 1), store.claim(claim, now)) }),
      ledgerStore: (store): LedgerStore => ({ recordPostings: (sequences) => ((calls.ledger += 1), store.recordPostings(sequences)), balances: () => store.balances() }),
    },
    onWaveCommitted: () => {
      waveTimes.push(performance.now() - waveStarted);
      waveStarted = performance.now();
    },
  });
  calls['reference data'] = calls.dedup; // one card lookup per unique payment, at most one per claim
  const waveTimeoutMs = 3 * Math.max(...waveTimes, 500) + 2000;

  const started = performance.now();
  const rng = new Prng(options.seed ^ 0x7374616c);
  const stateDir = join(options.workDir, 'stalled');
  const problems: string[] = [...clean.problems];
  const accounted = { 'hung past the wave timeout, killed, restarted': 0, 'hung but not killed': 0 };
  let watchdogKillsWithoutStall = 0;
  let attempts = 0;
  let stallsPlanned = 0;
  let finalSummary: Attempt['summary'];
  for (;;) {
    attempts += 1;
    if (attempts > options.stalls + 10) {
      problems.push(`no attempt completed after ${attempts - 1} attempts`);
      break;
    }
    let stall: StallChildConfig['stall'];
    if (stallsPlanned < options.stalls) {
      stallsPlanned += 1;
      const port = STALL_PORTS[rng.int(STALL_PORTS.length)]!;
      stall = { port, call: 1 + rng.int(Math.max(1, Math.floor(calls[port] / (options.stalls + 1)))) };
    }
    const attempt = await runAttempt({ stateDir, input: options.input, stall }, waveTimeoutMs);
    log(
      `stalled stage: attempt ${attempts}${attempt.stalled ? `, stalled at ${attempt.stalled}` : ''}${attempt.killedByWatchdog ? ', killed by the watchdog' : `, exited ${attempt.code ?? attempt.signal}`}`,
    );
    if (attempt.stalled && attempt.killedByWatchdog) accounted['hung past the wave timeout, killed, restarted'] += 1;
    else if (attempt.stalled) accounted['hung but not killed'] += 1;
    else if (attempt.killedByWatchdog) watchdogKillsWithoutStall += 1;
    if (attempt.killedByWatchdog) continue;
    if (attempt.code !== 0 || !attempt.summary) {
      problems.push(`attempt ${attempts} exited ${attempt.code ?? attempt.signal}: ${attempt.stderr.slice(-1000)}`);
      break;
    }
    finalSummary = attempt.summary;
    if (stallsPlanned >= options.stalls) break;
  }
  const ms = performance.now() - started;
  if (accounted['hung but not killed'] > 0) problems.push(`${accounted['hung but not killed']} stall(s) were not killed by the watchdog`);
  if (finalSummary && (finalSummary.failed !== 0 || finalSummary.pending !== 0)) problems.push(`the final attempt ended with ${finalSummary.failed} failed and ${finalSummary.pending} pending`);
  const comparison = compareStates(clean.contents, inspectState(stateDir), indexInput(options.input));
  problems.push(...comparison.differences);
  const injected = accounted['hung past the wave timeout, killed, restarted'] + accounted['hung but not killed'];
  return {
    name: 'stalled stage',
    setup: `${lines.length} authorisations, ${options.stalls} stalls (a dedup, ledger or reference-data call hangs), wave timeout ${(waveTimeoutMs / 1000).toFixed(1)} s, seed ${options.seed}`,
    injected,
    accounted,
    recoveries: accounted['hung past the wave timeout, killed, restarted'],
    lost: comparison.lost,
    postedTwice: comparison.postedTwice,
    ledgerEqual: comparison.ledgerEqual,
    recordsEqual: comparison.recordsEqual,
    swapped: comparison.swapped.length,
    recordsEqualExceptSwaps: comparison.recordsEqualExceptSwaps,
    countsEqual: comparison.countsEqual,
    versionsEqual: comparison.versionsEqual,
    ms,
    problems,
    details: { attempts, 'watchdog kills of a slow wave without a stall': watchdogKillsWithoutStall, 'clean run': `${(clean.ms / 1000).toFixed(1)} s` },
  };
}
