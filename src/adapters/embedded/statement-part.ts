/**
 * A big statement file parsed by two threads (REC-PERF-1): the run's thread hashes the whole file and
 * parses its first part while a helper thread (./statement-part.thread.ts) parses the second, from a
 * cut where a statement begins (src/recon/parsers/parts.ts; the cut: src/recon/parsers/split.ts).
 * The result is parseStatementFile's: the same lines (ids, positions), statements, balance proofs and
 * content hash. When the parts do not meet, or either finds any fault, the file is parsed whole on
 * this thread, which gives parseStatementFile's result or error by construction (a broken file costs
 * that second read; a good one never does).
 *
 * On one thread as before: a file under STATEMENT_SPLIT_MIN_BYTES, a format not cut (BAI2, CSV), a
 * file with no statement start near its middle, and every file with LEDGERLINE_MAIN_THREAD=1.
 *
 * Cost (1M lines): about 2.5 s more CPU for camt.053 (about 1 s for MT940) than one thread: the
 * hand-over (the helper writes its lines out, this thread rebuilds them), the count of what precedes
 * the cut, and a second heap's collections. It pays only while the other core has room (see
 * splitFraction); on a machine whose cores are both busy it costs that CPU's share.
 */
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ParsedStatementFile, StatementFormat } from '../../recon/types';
import { parseStatementFile, type StatementParseOptions } from '../../recon/parsers';
import { joinParts, parseFirstPart, parseSecondPart, planSplit, type SplitPlan } from '../../recon/parsers/parts';
import { decodeSecondPart, isStatementPartThreadMessage, SecondPartWriter } from '../../recon/parsers/part-transfer';
import { nextMessage, startThread } from './threads';

export const STATEMENT_PART_THREAD = join(__dirname, 'statement-part.thread.ts');

/**
 * Statement files from this size up are parsed by two threads. Below it a thread costs more than
 * it saves: starting one and loading the parsers into it takes tens of milliseconds.
 */
export const STATEMENT_SPLIT_MIN_BYTES = 8 << 20;

/**
 * Where the cut is proposed, as a share of the file, by format (the first part is the run's thread's),
 * or undefined: not cut. The run's thread also hashes the whole file and takes the second part's lines
 * over (about 1 µs a line), while the helper thread shares the other core with the ledger file's
 * thread and the collectors' helpers, and writes its lines out (about 2 µs a line). camt's lines cost
 * some 11 µs each to parse: halves, and at 1M lines the run's admission needs about 1 s less of a
 * quiet machine (by CPU accounting: the busiest thread 9.3-9.9 s before, the two cores' share
 * 8.3-8.6 s after). MT940's cost some 3.5 µs: the split's extra CPU (about 1 s at 1M) is more than the
 * other core has free beside the ledger file's thread (3.7-4.0 s before, 4.2-4.3 s after), so MT940 is
 * read on one thread (parts.ts cuts it, equal to one thread, where a caller finds that it pays).
 */
export function splitFraction(format: StatementFormat): number | undefined {
  return format.startsWith('camt') ? 0.5 : undefined;
}

/** Whether `path` is parsed by two threads: a file of STATEMENT_SPLIT_MIN_BYTES or more, unless LEDGERLINE_MAIN_THREAD=1. */
export function splitsOnThreads(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LEDGERLINE_MAIN_THREAD === '1') return false;
  try {
    const stat = statSync(path);
    return stat.isFile() && stat.size >= STATEMENT_SPLIT_MIN_BYTES;
  } catch {
    return false;
  }
}

/** How the second part is parsed: on the helper thread (the default), or, given, by that function. */
export type SecondPartParser = (plan: SplitPlan) => { part: Promise<ReturnType<typeof decodeSecondPart> | undefined>; stop(): void };

/** The second part on the helper thread: its lines, or undefined when it failed. */
export const secondPartOnThread: SecondPartParser = (plan) => {
  const worker = startThread(STATEMENT_PART_THREAD, { plan });
  const stop = (): void => void worker.terminate().catch(() => undefined);
  const part = nextMessage(worker, isStatementPartThreadMessage).then(
    (message) => {
      stop();
      return message.type === 'statement-part' ? decodeSecondPart(message) : undefined;
    },
    () => undefined,
  );
  return { part, stop };
};

/** The second part on this thread, through the same message (for a caller without threads). */
export const secondPartHere: SecondPartParser = (plan) => {
  const writer = new SecondPartWriter();
  return {
    part: parseSecondPart(plan, writer).then(
      (state) => decodeSecondPart(writer.finish(state).message),
      () => undefined,
    ),
    stop: () => undefined,
  };
};

/**
 * The file parsed by two parts when `plan` allows it and they meet, else undefined (never an error:
 * whatever went wrong, the whole-file reader is the one to name it).
 */
export async function parseSplit(plan: SplitPlan, second: SecondPartParser = secondPartOnThread): Promise<ParsedStatementFile | undefined> {
  const started = second(plan);
  try {
    const first = await parseFirstPart(plan);
    const part = await started.part;
    if (part === undefined) return undefined;
    // The helper thread may have read after the first part's last look: the file must still be the one planned.
    const after = await stat(plan.path);
    if (after.size !== plan.size || after.mtimeMs !== plan.mtimeMs) return undefined;
    return joinParts(plan, first, part);
  } catch {
    return undefined;
  } finally {
    started.stop();
  }
}

/** parseStatementFile, by two threads where that pays (see the module comment). */
export async function parseStatementOnThreads(path: string, options: StatementParseOptions = {}, second: SecondPartParser = secondPartOnThread): Promise<ParsedStatementFile> {
  if (splitsOnThreads(path)) {
    const plan = await planSplit(path, options, splitFraction);
    const parsed = plan === undefined ? undefined : await parseSplit(plan, second);
    if (parsed !== undefined) return parsed;
  }
  return parseStatementFile(path, options);
}
