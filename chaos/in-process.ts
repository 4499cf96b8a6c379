/**
 * CHAOS-1, the in-process fault classes: the embedded runtime (src/runtime/embedded-runtime.ts)
 * built with decorated stores through its own seams (`overrides`, `clock`), run over a generated
 * input, and compared with a clean run of the same input in another state.
 *
 * - Store errors and throttling: the dedup store, the ledger store and reference data each fail a
 *   seeded share of calls (faults.ts). The pipeline must converge on its own: SQS-style
 *   redelivery, park-exhausted + the sweeper (SWEEP-1/2), and, should a run still fail, a re-run
 *   on the same state. Each fault is booked and must be recovered by a later successful call.
 * - Clock skew: the Clock port reads ± minutes to hours off, jumping, and going backwards.
 *   Outcomes derive from business times, never arrival times, so nothing may change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '../src/generator/authorisations';
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import type { RunSummary, RuntimeOptions } from '../src/runtime/embedded-runtime';
import { EmbeddedRuntime } from '../src/runtime/embedded-runtime';
import { withStatementFaults } from './db-faults';
import { redriveState } from '../src/cli/dlq-command';
import { FaultBook, faultyDedupStore, faultyLedgerStore, faultyReferenceData, seededInjector } from './faults';
import type { SkewTally } from './faults';
import { skewedClock } from './faults';
import type { StateContents } from './inspect';
import { committedRecords, compareStates, countsMatchSummary, indexInput, inspectState } from './inspect';
import type { InputIndex } from './inspect';
import type { ClassResult } from './report';

export const WAVE_SIZE = 2000;

/** Runs in a row that threw without committing anything new before a class gives up. */
const MAX_IDLE_RUNS = 5;

export function readLines(input: string): string[] {
  return readFileSync(input, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

export interface RunOutcome {
  summary?: RunSummary;
  /** Runs that threw (each rolled back its open wave) and were re-run on the same state. */
  reruns: string[];
  ms: number;
}

/**
 * Posts `lines` into `stateDir`; while a run throws (its open wave rolled back), re-runs it on the
 * same state, as long as the runs still commit new work: it gives up after `maxIdleRuns` runs in a
 * row that committed nothing new.
 */
export async function postUntilDone(stateDir: string, lines: readonly string[], options: Omit<RuntimeOptions, 'stateDir'>, maxIdleRuns = 3, onRunThrew?: () => void): Promise<RunOutcome> {
  const started = performance.now();
  const reruns: string[] = [];
  let idle = 0;
  while (idle < maxIdleRuns) {
    const before = committedRecords(stateDir);
    const runtime = new EmbeddedRuntime({ waveSize: WAVE_SIZE, ...options, stateDir });
    try {
      const summary = await runtime.post(lines, 'chaos-input');
      return { summary, reruns, ms: performance.now() - started };
    } catch (error) {
      reruns.push(error instanceof Error ? error.message : String(error));
      onRunThrew?.();
    } finally {
      runtime.close();
    }
    idle = committedRecords(stateDir) > before ? 0 : idle + 1;
  }
  return { reruns, ms: performance.now() - started };
}

export interface CleanRun {
  contents: StateContents;
  summary: RunSummary;
  ms: number;
  problems: string[];
}

/** The uninterrupted reference run, checked against its own summary (so the store derivation is trusted). */
export async function cleanRun(stateDir: string, lines: readonly string[], options: Omit<RuntimeOptions, 'stateDir'> = {}): Promise<CleanRun> {
  const outcome = await postUntilDone(stateDir, lines, options, 1);
  if (!outcome.summary) throw new Error(`the clean run into ${stateDir} failed: ${outcome.reruns.join('; ')}`);
  const contents = inspectState(stateDir);
  const problems = countsMatchSummary(contents.counts, outcome.summary as unknown as Record<string, unknown>).map((p) => `clean run's stores disagree with its summary: ${p}`);
  if (contents.postedTwice.length > 0 || contents.duplicateOutboxLines > 0) problems.push('the clean run itself posted twice');
  return { contents, summary: outcome.summary, ms: outcome.ms, problems };
}

export interface InProcessOptions {
  input: string;
  workDir: string;
  seed: number;
  log?: (line: string) => void;
  /** The posting rule set (default: the runtime's default, src/rule-sets.ts). */
  rulesFile?: string;
}

type Verdict = Pick<ClassResult, 'lost' | 'postedTwice' | 'ledgerEqual' | 'recordsEqual' | 'swapped' | 'recordsEqualExceptSwaps' | 'countsEqual' | 'versionsEqual' | 'problems'>;

function judged(faulted: StateContents, clean: CleanRun, summary: RunSummary | undefined, index: InputIndex): Verdict {
  const comparison = compareStates(clean.contents, faulted, index);
  const problems = [...clean.problems, ...comparison.differences];
  if (!summary) problems.push('the run never completed');
  else if (summary.pending !== 0 || summary.failed !== 0) problems.push(`the run ended with ${summary.failed} failed and ${summary.pending} pending`);
  const { lost, postedTwice, ledgerEqual, recordsEqual, recordsEqualExceptSwaps, countsEqual, versionsEqual } = comparison;
  return { lost, postedTwice, ledgerEqual, recordsEqual, swapped: comparison.swapped.length, recordsEqualExceptSwaps, countsEqual, versionsEqual, problems };
}

export async function storeFaultClass(options: InProcessOptions & { rate: number; statementRate: number }): Promise<ClassResult> {
  const log = options.log ?? (() => undefined);
  const lines = readLines(options.input);
  log(`store faults: clean run of ${lines.length} authorisations`);
  const rules = options.rulesFile ? { rulesFile: options.rulesFile } : {};
  const clean = await cleanRun(join(options.workDir, 'clean'), lines, rules);
  const rng = new Prng(options.seed ^ 0x73746f72);
  const injector = seededInjector(rng, options.rate);
  const book = new FaultBook();
  log(`store faults: faulted run, ${options.rate} of store calls failing`);
  // The stores without a seam fail at the database level (db-faults.ts), on their own schedule.
  const statementInjector = seededInjector(new Prng(options.seed ^ 0x73716c69), options.statementRate, ['SQLITE_BUSY']);
  const outcome = await withStatementFaults(statementInjector, book, () =>
    postUntilDone(
      join(options.workDir, 'faulted'),
      lines,
      {
        ...rules,
        overrides: {
          dedupStore: (real) => faultyDedupStore(real, injector, book),
          ledgerStore: (real) => faultyLedgerStore(real, injector, book),
          referenceData: faultyReferenceData(loadReferenceData(), injector, book),
        },
      },
      MAX_IDLE_RUNS,
      () => book.settleOutstanding('outstanding when its run threw (open wave rolled back, input re-run)'),
    ),
  );
  // A message the runtime gave up on waits in the dead-letter store: redriving it (DLQ-1) is the
  // operator's recovery, run here once, without faults (still watched, so its successes count).
  const faultedDir = join(options.workDir, 'faulted');
  const deadLettered = inspectState(faultedDir).deadLetteredMessages;
  let redriven = 0;
  if (deadLettered > 0) {
    log(`store faults: ${deadLettered} message(s) dead-lettered; redriving them (dlq redrive --all)`);
    const outcomes = await withStatementFaults({ draw: () => undefined }, book, () => redriveState(faultedDir, { all: true }));
    redriven = outcomes.filter((redrive) => redrive.outcome === 'redriven').length;
    book.settleOutstanding('outstanding when the run ended, its payment dead-lettered then redriven');
  }
  const faulted = inspectState(faultedDir);
  const verdict = judged(faulted, clean, outcome.summary, indexInput(options.input));
  const outstanding = book.outstanding();
  verdict.problems.push(...outstanding.slice(0, 5).map((fault) => `fault never recovered: ${fault}`));
  return {
    name: 'store errors + throttling',
    setup: `${lines.length} authorisations, seed ${options.seed}: ${options.rate} of dedup / ledger / reference-data calls fail (SQLITE_BUSY, ProvisionedThroughputExceeded, Throttling, TransientStoreError, lost response), and ${options.statementRate} of the transaction-state, velocity, decision, card-history, parking, outbox and re-driver statements fail with SQLITE_BUSY`,
    injected: book.injected,
    accounted: book.accounting(),
    recoveries: book.injected - outstanding.length,
    ...verdict,
    ms: outcome.ms,
    details: {
      ...book.byKind(),
      're-runs after a run that threw': outcome.reruns.length,
      ...(outcome.reruns.length > 0 ? { 'first re-run cause': outcome.reruns[0]! } : {}),
      'messages dead-lettered': deadLettered,
      'redriven from the dead-letter store': redriven,
      'clean run': `${(clean.ms / 1000).toFixed(1)} s`,
    },
  };
}

export async function clockSkewClass(options: InProcessOptions): Promise<ClassResult> {
  const log = options.log ?? (() => undefined);
  const lines = readLines(options.input);
  log(`clock skew: clean run of ${lines.length} authorisations`);
  const clean = await cleanRun(join(options.workDir, 'clean'), lines);
  const tally: SkewTally = { ahead: 0, behind: 0, backwards: 0, largestMs: 0 };
  const clock = skewedClock(new Prng(options.seed ^ 0x636c6f63), tally);
  log('clock skew: skewed run');
  const outcome = await postUntilDone(join(options.workDir, 'skewed'), lines, { clock });
  const verdict = judged(inspectState(join(options.workDir, 'skewed')), clean, outcome.summary, indexInput(options.input));
  const injected = tally.ahead + tally.behind;
  return {
    name: 'clock skew',
    setup: `${lines.length} authorisations, every Clock reading skewed ± 1 min to 12 h, jumping and going backwards, seed ${options.seed}`,
    injected,
    accounted: { 'reading ahead, outcome unchanged': tally.ahead, 'reading behind, outcome unchanged': tally.behind },
    recoveries: injected,
    ...verdict,
    ms: outcome.ms,
    details: { 'readings earlier than the one before': tally.backwards, 'largest skew': `${(tally.largestMs / 3_600_000).toFixed(2)} h`, 're-runs': outcome.reruns.length },
  };
}
