/**
 * `post` over a state partitioned by card (src/runtime/state-layout.ts): one worker thread per
 * partition, each a complete EmbeddedRuntime with its own SQLite database, so the pipeline uses
 * every core while each partition keeps its single-writer, wave-atomic durability. The
 * coordinator reads the input once, classifies each line as ingest does (src/domain/ingest.ts)
 * and routes it by its parsed card token, authorisation id and business key (PART-1,
 * src/domain/partition-route.ts) with its original line number, keeps at most two chunks in
 * flight per partition, and merges the summaries. A line it found valid is marked so, and its
 * partition only re-parses it (InputLine.valid): each line is checked once.
 *
 * Lines are routed a block at a time: the block's new routes are committed to the routing table
 * (`<state>/routes.db`) before any of its lines is dispatched. A crash (kill -9) kills every
 * thread; each partition restarts from its last committed wave, and the re-run routes every line
 * as before and recognises what each partition committed.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { fromMinorUnits, toMinorUnits } from '../domain/money';
import { classifyLine } from '../domain/ingest';
import { routingKeys } from '../domain/partition-route';
import type { RoutingKeys } from '../domain/partition-route';
import { validateAuthorisation } from '../../schemas';
import { EmbeddedRuntime, SUMMARY_CATEGORIES } from './embedded-runtime';
import type { RunSummary } from './embedded-runtime';
import type { FromWorker, PartitionWorkerData, ToWorker } from './partition-worker';
import { openLayout, PartitionRoutes } from './state-layout';
import { addDropCounts, emptyDropCounts } from './fault-drop';

export interface PartitionedPostOptions {
  stateDir: string;
  /** Partitions for a NEW state (an existing state keeps its count). */
  partitions: number;
  runtime: PartitionWorkerData['options'];
  onProgress?: (progress: { linesRead: number; waves: number }) => void;
}

export interface PartitionedPostResult {
  summary: RunSummary;
  partitions: number;
  stageTimings: Map<string, number[]>;
  /** Events handled per stage (records; input lines for ingest), over all partitions. */
  stageEvents: Map<string, number>;
}

const IN_FLIGHT_CHUNKS = 2;

function mergeSummaries(summaries: RunSummary[], elapsedMs: number): RunSummary {
  const merged: RunSummary = { received: 0, invalid: 0, notApproved: 0, replayed: 0, duplicates: 0, rejected: 0, declined: 0, review: 0, posted: 0, failed: 0, pending: 0, elapsedMs, ledger: {} };
  const totals = new Map<string, { debits: bigint; credits: bigint }>();
  for (const summary of summaries) {
    for (const key of ['received', ...SUMMARY_CATEGORIES] as const) merged[key] += summary[key];
    for (const [currency, side] of Object.entries(summary.ledger)) {
      const total = totals.get(currency) ?? { debits: 0n, credits: 0n };
      total.debits += toMinorUnits(side.debits, currency);
      total.credits += toMinorUnits(side.credits, currency);
      totals.set(currency, total);
    }
  }
  for (const [currency, total] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
    merged.ledger[currency] = { debits: fromMinorUnits(total.debits, currency), credits: fromMinorUnits(total.credits, currency) };
  }
  // FLOW-4: the drops of every partition, per boundary.
  for (const summary of summaries) if (summary.dropped) merged.dropped = addDropCounts(merged.dropped ?? emptyDropCounts(), summary.dropped);
  return merged;
}

export async function postPartitioned(lines: AsyncIterable<string> | Iterable<string>, source: string, options: PartitionedPostOptions): Promise<PartitionedPostResult> {
  const started = performance.now();
  const dirs = openLayout(options.stateDir, options.partitions);
  if (dirs.length === 1) {
    const runtime = new EmbeddedRuntime({ ...options.runtime, stateDir: dirs[0]!, onWaveCommitted: options.onProgress });
    try {
      const summary = await runtime.post(lines, source);
      return { summary, partitions: 1, stageTimings: runtime.stageTimings, stageEvents: runtime.stageEvents };
    } finally {
      runtime.close();
    }
  }

  const routes = new PartitionRoutes(options.stateDir, dirs.length);
  const workers = dirs.map((stateDir) => new Worker(join(__dirname, 'partition-worker-entry.js'), { workerData: { stateDir, source, options: options.runtime } satisfies PartitionWorkerData }));
  const inFlight = dirs.map(() => 0);
  const waiting: ((() => void) | undefined)[] = dirs.map(() => undefined);
  const progress = dirs.map(() => ({ linesRead: 0, waves: 0 }));
  let failure: Error | undefined;
  const results = workers.map(
    (worker, index) =>
      new Promise<{ summary: RunSummary; stageTimings: [string, number[]][]; stageEvents: [string, number][] }>((resolve, reject) => {
        const fail = (error: Error): void => {
          failure ??= error;
          waiting[index]?.();
          reject(error);
        };
        worker.on('message', (message: FromWorker) => {
          if (message.kind === 'consumed') {
            inFlight[index]! -= 1;
            waiting[index]?.();
          } else if (message.kind === 'progress') {
            progress[index] = { linesRead: message.linesRead, waves: message.waves };
            options.onProgress?.({ linesRead: progress.reduce((n, p) => n + p.linesRead, 0), waves: progress.reduce((n, p) => n + p.waves, 0) });
          } else if (message.kind === 'done') {
            resolve({ summary: message.summary, stageTimings: message.stageTimings, stageEvents: message.stageEvents });
          } else {
            fail(new Error(`partition ${index} (${dirs[index]}) failed: ${message.message}`));
          }
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0) fail(new Error(`partition ${index} (${dirs[index]}) exited with code ${code}`));
        });
      }),
  );
  results.forEach((result) => result.catch(() => undefined));

  const chunkSize = Math.max(1, Math.ceil((options.runtime.waveSize ?? 2000) / 4));
  const texts: string[][] = dirs.map(() => []);
  const numbers: number[][] = dirs.map(() => []);
  const valid: number[][] = dirs.map(() => []);
  const send = async (index: number): Promise<void> => {
    while (inFlight[index]! >= IN_FLIGHT_CHUNKS && !failure) await new Promise<void>((resolve) => (waiting[index] = resolve));
    if (failure) throw failure;
    inFlight[index]! += 1;
    const lineNumbers = Uint32Array.from(numbers[index]!);
    const validLines = Uint8Array.from(valid[index]!);
    workers[index]!.postMessage({ kind: 'lines', text: texts[index]!.join('\n'), lineNumbers, valid: validLines } satisfies ToWorker, [lineNumbers.buffer, validLines.buffer]);
    texts[index] = [];
    numbers[index] = [];
    valid[index] = [];
  };
  const routeTimings: number[] = [];
  let block: string[] = [];
  let blockStart = 1;
  /** Routes a block of lines (routes committed first), then hands each line to its partition. */
  const dispatch = async (): Promise<void> => {
    const started = performance.now();
    const keys = block.map((text): RoutingKeys | undefined => {
      const classified = classifyLine(text, validateAuthorisation);
      return classified.kind === 'valid' ? routingKeys(classified.authorisation) : undefined;
    });
    const partitionOf = routes.route(keys);
    routeTimings.push(((performance.now() - started) * 1000) / block.length);
    const lines = block;
    const first = blockStart;
    block = [];
    blockStart += lines.length;
    for (let offset = 0; offset < lines.length; offset += 1) {
      const index = partitionOf[offset]!;
      texts[index]!.push(lines[offset]!);
      numbers[index]!.push(first + offset);
      valid[index]!.push(keys[offset] === undefined ? 0 : 1);
      if (texts[index]!.length >= chunkSize) await send(index);
    }
  };
  try {
    for await (const text of lines) {
      block.push(text);
      if (block.length >= chunkSize) await dispatch();
    }
    if (block.length > 0) await dispatch();
    for (let index = 0; index < dirs.length; index += 1) {
      if (texts[index]!.length > 0) await send(index);
      workers[index]!.postMessage({ kind: 'end' } satisfies ToWorker);
    }
    const done = await Promise.all(results);
    // The coordinator's routing (classify + routing table), µs per line of each block.
    const stageTimings = new Map<string, number[]>([['route', routeTimings]]);
    const stageEvents = new Map<string, number>();
    for (const { stageTimings: timings, stageEvents: counts } of done) {
      for (const [stage, samples] of timings) stageTimings.set(stage, [...(stageTimings.get(stage) ?? []), ...samples]);
      for (const [stage, count] of counts) stageEvents.set(stage, (stageEvents.get(stage) ?? 0) + count);
    }
    return {
      summary: mergeSummaries(
        done.map((d) => d.summary),
        Math.round(performance.now() - started),
      ),
      partitions: dirs.length,
      stageTimings,
      stageEvents,
    };
  } finally {
    routes.close();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
