/**
 * CHAOS-1, kill -9 (NFR3, NFR5): `ledgerline post --state S` as a child process, SIGKILLed at
 * seeded random moments and restarted on the same state and input until it completes; then
 * compared with an uninterrupted run into another state: `ledger --json` equal, the posting
 * records equal after canonical ordering, 0 lost and 0 posted twice (read from the stores).
 *
 * When to kill: each attempt draws its moment from the seed. About one kill in five lands while
 * the restarted process is still starting or catching up (re-reading input its state already
 * holds); the others land a random time after the attempt's first new commit, drawn from the
 * time the rest of the run should take shared among the kills still to come. So every kill is at
 * a random point, and the run still finishes: an attempt killed after a new commit made progress.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Prng } from '../src/generator/authorisations';
import { changedFiles, checkoutFingerprint } from './checkout';
import { committedRecords, compareStates, countsMatchSummary, indexInput, inspectState, mixedRuleSets } from './inspect';
import type { ClassResult } from './report';

export const BIN = join(__dirname, '..', 'bin', 'ledgerline.js');

export interface KillOptions {
  input: string;
  /** Directory for the two states (clean and killed). */
  workDir: string;
  kills: number;
  seed: number;
  partitions: number;
  waveSize: number;
  log?: (line: string) => void;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface Child {
  pid: number;
  exited: () => boolean;
  done: Promise<Exit>;
}

function start(args: string[]): Child {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = true;
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
  return { pid: child.pid!, exited: () => exited, done };
}

export async function runCli(args: string[]): Promise<Exit> {
  return start(args).done;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits `ms`, or less if the child exits first. */
async function waitFor(child: Child, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (!child.exited() && performance.now() < until) await sleep(Math.min(20, Math.max(1, until - performance.now())));
}

/** Waits until the state has committed more posting records than `beyond`, or the child exits. */
async function waitForProgress(child: Child, state: string, beyond: number): Promise<number> {
  for (;;) {
    const now = committedRecords(state);
    if (now > beyond || child.exited()) return now;
    await sleep(25);
  }
}

function postArgs(options: KillOptions, state: string): string[] {
  return ['post', '--input', options.input, '--state', state, '--json', '--partitions', String(options.partitions), '--wave-size', String(options.waveSize)];
}

export async function killClass(options: KillOptions): Promise<ClassResult> {
  const log = options.log ?? (() => undefined);
  const problems: string[] = [];
  const cleanState = join(options.workDir, 'clean');
  const killedState = join(options.workDir, 'killed');

  const checkout = join(__dirname, '..');
  const fingerprint = checkoutFingerprint(checkout);
  const unchanged = (when: string) => {
    const changed = changedFiles(fingerprint, checkoutFingerprint(checkout));
    if (changed.length > 0) throw new Error(`void run: the checkout ${checkout} changed ${when} (${changed.join(', ')}); run chaos from a checkout nobody edits`);
  };

  log(`kill -9: uninterrupted run into ${cleanState}`);
  const cleanChild = start(postArgs(options, cleanState));
  // Its productive time: from its first commit to its end (start-up is paid again by every restart).
  await waitForProgress(cleanChild, cleanState, 0);
  const firstCommitAt = performance.now();
  const clean = await cleanChild.done;
  const productiveMs = Math.max(1, performance.now() - firstCommitAt);
  if (clean.code !== 0) throw new Error(`the uninterrupted post exited ${clean.code ?? clean.signal}: ${clean.stderr.slice(-2000)}`);
  const cleanSummary = JSON.parse(clean.stdout) as Record<string, unknown>;
  const finalRecords = committedRecords(cleanState);

  const started = performance.now();
  const rng = new Prng(options.seed ^ 0x6b696c6c);
  const accounted = { 'killed while starting or catching up, restarted': 0, 'killed after new commits, restarted': 0 };
  let highWater = 0;
  let lastKillAt = 0;
  let lastCatchUpMs: number | undefined;
  let attempts = 0;
  let restarts = 0;
  let lastExit: Exit | undefined;
  for (;;) {
    unchanged(`before restart ${attempts}`);
    attempts += 1;
    const child = start(postArgs(options, killedState));
    const killsLeft = options.kills - (accounted['killed while starting or catching up, restarted'] + accounted['killed after new commits, restarted']);
    let bucket: keyof typeof accounted | undefined;
    if (killsLeft > 0) {
      const attemptStarted = performance.now();
      if (lastCatchUpMs !== undefined && rng.next() < 0.2) {
        bucket = 'killed while starting or catching up, restarted';
        await waitFor(child, rng.next() * lastCatchUpMs);
      } else {
        bucket = 'killed after new commits, restarted';
        const progress = await waitForProgress(child, killedState, highWater);
        lastCatchUpMs = performance.now() - attemptStarted;
        // At most an equal share of the work left for each kill still to come: the run cannot
        // finish before the last kill, and every kill after a commit leaves progress behind it.
        const remainingMs = productiveMs * Math.max(0.01, 1 - progress / Math.max(1, finalRecords));
        await waitFor(child, rng.next() * (remainingMs / (killsLeft + 1)));
      }
      if (!child.exited()) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // It exited between the check and the kill: the exit below says how.
        }
      }
    }
    const exit = await child.done;
    lastExit = exit;
    if (bucket && exit.signal === 'SIGKILL') {
      accounted[bucket] += 1;
      restarts += 1;
      const committed = committedRecords(killedState);
      log(
        `kill -9 #${accounted['killed while starting or catching up, restarted'] + accounted['killed after new commits, restarted']}: ${exit.ms.toFixed(0)} ms into attempt ${attempts}, ${committed} of ${finalRecords} records committed`,
      );
      highWater = committed;
      lastKillAt = committed / Math.max(1, finalRecords);
      continue;
    }
    if (exit.code !== 0) {
      problems.push(`attempt ${attempts} exited ${exit.code ?? exit.signal}: ${exit.stderr.slice(-1000)}`);
    }
    break;
  }
  const ms = performance.now() - started;
  const killed = accounted['killed while starting or catching up, restarted'] + accounted['killed after new commits, restarted'];
  if (killed < options.kills) problems.push(`only ${killed} of ${options.kills} kills landed before the run completed`);

  // The user's view: `ledger --json` of both states, byte for byte (balances and versions).
  const [cleanLedger, killedLedger] = await Promise.all([runCli(['ledger', '--state', cleanState, '--json']), runCli(['ledger', '--state', killedState, '--json'])]);
  const ledgerJsonEqual = cleanLedger.code === 0 && killedLedger.code === 0 && cleanLedger.stdout === killedLedger.stdout;
  if (!ledgerJsonEqual) problems.push('`ledger --json` differs between the killed and the uninterrupted state');

  // The stores, read directly.
  const cleanContents = inspectState(cleanState);
  problems.push(...countsMatchSummary(cleanContents.counts, cleanSummary).map((p) => `clean run's stores disagree with its summary: ${p}`));
  if (cleanContents.postedTwice.length > 0 || cleanContents.duplicateOutboxLines > 0) problems.push('the clean run itself posted twice');
  const killedContents = inspectState(killedState);
  const comparison = compareStates(cleanContents, killedContents, indexInput(options.input));
  problems.push(...comparison.differences);
  const mixed = mixedRuleSets(cleanContents, killedContents);
  if (mixed) problems.unshift(mixed);
  const finalSummary = lastExit?.code === 0 ? (JSON.parse(lastExit.stdout) as Record<string, number>) : undefined;
  if (finalSummary && finalSummary.pending !== 0) problems.push(`the final attempt left ${finalSummary.pending} pending`);

  return {
    name: 'kill -9',
    setup: `${String(cleanSummary.received)} authorisations, ${options.kills} kills requested, seed ${options.seed}, ${options.partitions} partitions, waves of ${options.waveSize}`,
    injected: killed,
    accounted,
    recoveries: restarts,
    lost: comparison.lost,
    postedTwice: comparison.postedTwice,
    ledgerEqual: comparison.ledgerEqual && ledgerJsonEqual,
    recordsEqual: comparison.recordsEqual,
    swapped: comparison.swapped.length,
    recordsEqualExceptSwaps: comparison.recordsEqualExceptSwaps,
    countsEqual: comparison.countsEqual,
    versionsEqual: comparison.versionsEqual,
    ms,
    problems,
    details: {
      attempts,
      'records committed at the last kill': `${(lastKillAt * 100).toFixed(0)}%`,
      'uninterrupted run': `${(clean.ms / 1000).toFixed(1)} s (${(productiveMs / 1000).toFixed(1)} s from its first commit)`,
      'posted (store)': killedContents.counts.posted,
      'posting-record lines': killedContents.outboxLines.length,
      '`ledger --json` equal': ledgerJsonEqual ? 'yes' : 'no',
    },
  };
}
