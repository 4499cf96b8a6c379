/**
 * The run's matcher on two threads (REC-PERF-1, ports/reconciliation.ts RunMatcher): the
 * partition loop's upper range of partitions is matched on a helper thread
 * (./recon-match.thread.ts, running src/recon/matching/partition.ts matchEncoded) while the run's
 * thread matches the lower range (partition.ts matchAllShared): the same result and the same first
 * fault as matchAllInLineOrder on one thread.
 *
 * The thread is started when the run starts (startRunMatcher), so loading it and compiling the rule
 * set overlap the statements' parse; it holds the process only while the run waits for it. It is
 * used only with LEDGERLINE_MATCH_THREAD=1 (for now: measured at 1M rows while the machine's
 * second core was busy with other work, matching took longer on two threads than on one, see
 * startRunMatcher), and never with LEDGERLINE_MAIN_THREAD=1 (every command on one thread); runs
 * with small statement files and runs of fewer than MATCH_THREAD_MIN_ROWS rows match on the run's
 * thread alone.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunMatcher } from '../../ports/reconciliation';
import { matchAllShared, type MatchElsewhere } from '../../recon/matching/partition';
import { rowsOf, type EncodedResults } from '../../recon/matching/partition-codec';
import { MatchInputError } from '../../recon/matching/rows';
import type { RuleSet } from '../../recon/matching/rules';
import { startThread } from './threads';

export const RECON_MATCH_THREAD = join(__dirname, 'recon-match.thread.ts');

/**
 * Runs of this many rows (bookable lines + ledger entries) and more share the partition loop.
 * Below it the split's fixed costs (encoding, the messages, the results' decoding) save too little.
 */
export const MATCH_THREAD_MIN_ROWS = 100_000;

/** Statement files of this many bytes in all, and more, start the matcher's thread with the run (some 60,000 MT940 lines). */
export const MATCH_THREAD_MIN_BYTES = 8 << 20;

/** What the thread answers a range with. */
export type MatchThreadAnswer = { type: 'match-results'; results: EncodedResults } | { type: 'match-fault'; name: string; message: string };

export function isMatchThreadAnswer(message: unknown): message is MatchThreadAnswer {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'match-results' || type === 'match-fault';
}

/** A fault the thread met, as the run's thread would have thrown it: the same class (MatchInputError, else Error), name and message. */
export function faultOf(answer: { name: string; message: string }): Error {
  if (answer.name === 'MatchInputError') return new MatchInputError(answer.message);
  const error = new Error(answer.message);
  error.name = answer.name;
  return error;
}

/** The thread's answer to an error thrown while matching its range. */
export function faultAnswer(error: unknown): MatchThreadAnswer {
  return error instanceof Error ? { type: 'match-fault', name: error.name, message: error.message } : { type: 'match-fault', name: 'Error', message: String(error) };
}

export interface MatchThreadOptions {
  /** Runs of fewer rows match on the run's thread alone (default MATCH_THREAD_MIN_ROWS). */
  minRows?: number;
  /** partition.ts HELPER_SHARE, HELPER_PIECES. */
  share?: number;
  pieces?: number;
  /** Told how much the helper thread matched. */
  progress?: (message: string) => void;
}

export interface MatchThread {
  matcher: RunMatcher;
  /** Ends the thread (whatever it is doing); the matcher then matches on the run's thread alone. */
  stop(): void;
}

/**
 * Starts the matcher's thread for a run matching by `rules`; it ends once the run's matching is
 * done (its memory with it: the run's peak comes later).
 */
export function startMatchThread(rules: RuleSet, options: MatchThreadOptions = {}): MatchThread {
  const worker = startThread(RECON_MATCH_THREAD, { ruleSet: JSON.stringify(rules) });
  worker.unref();
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    void worker.terminate().catch(() => undefined);
  };
  // The thread answers the pieces in the order they are sent.
  const waiting: Array<{ resolve(answer: MatchThreadAnswer): void; reject(error: Error): void }> = [];
  const failAll = (error: Error): void => {
    for (const wait of waiting.splice(0)) wait.reject(error);
  };
  worker.on('message', (message: unknown) => {
    if (isMatchThreadAnswer(message)) waiting.shift()?.resolve(message);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the matcher's thread exited (code ${code}) before it answered`)));
  let partitionsThere = 0;
  let rowsThere = 0;
  const elsewhere: MatchElsewhere = async (partitions, transfer) => {
    partitionsThere += partitions.partitions;
    rowsThere += rowsOf(partitions);
    const answer = new Promise<MatchThreadAnswer>((resolve, reject) => waiting.push({ resolve, reject }));
    worker.postMessage({ type: 'match', partitions }, transfer);
    const message = await answer;
    if (message.type === 'match-fault') throw faultOf(message);
    return message.results;
  };
  const minRows = options.minRows ?? MATCH_THREAD_MIN_ROWS;
  const matcher: RunMatcher = async (lines, entries, ruleSet, asOf) => {
    if (stopped) return matchAllShared(lines, entries, ruleSet, asOf, { elsewhere, minRows: Number.POSITIVE_INFINITY });
    // The thread holds the process while the run waits for it.
    worker.ref();
    try {
      const result = await matchAllShared(lines, entries, ruleSet, asOf, { elsewhere, minRows, share: options.share, pieces: options.pieces });
      if (partitionsThere > 0) options.progress?.(`matched ${partitionsThere} partition(s), ${rowsThere} row(s), on a helper thread`);
      return result;
    } finally {
      stop();
    }
  };
  return { matcher, stop };
}

/**
 * The matcher of a run over these statement files: on two threads with LEDGERLINE_MATCH_THREAD=1
 * when they hold MATCH_THREAD_MIN_BYTES or more, never with LEDGERLINE_MAIN_THREAD=1; else none
 * (the run matches on its own thread). REC-PERF-1: opt-in until measured on a quiet machine; at 1M
 * MT940 and camt.053 rows with the second core busy elsewhere, the run's thread spent longer
 * encoding its share for the helper than it saved.
 */
export function startRunMatcher(statementFiles: readonly string[], rules: RuleSet, env: NodeJS.ProcessEnv = process.env, options: MatchThreadOptions = {}): MatchThread | undefined {
  if (env.LEDGERLINE_MAIN_THREAD === '1' || env.LEDGERLINE_MATCH_THREAD !== '1') return undefined;
  let bytes = 0;
  for (const file of statementFiles) {
    try {
      const stat = statSync(file);
      if (stat.isFile()) bytes += stat.size;
    } catch {
      // Missing, unreadable: the statement reader names the fault, as always.
    }
  }
  return bytes >= MATCH_THREAD_MIN_BYTES ? startMatchThread(rules, options) : undefined;
}
