/**
 * MODE-1..4: throughput and latency of each operating mode on this machine, with the calibration
 * of bench/calibrate.ts in the same run (figures compare across machines only through it).
 *
 * - batch (MODE-2): one inbox file of N authorisations, chunks of the batch source's size; an
 *   authorisation's latency is from the file's start to its chunk's commit;
 * - near-real-time (MODE-3): a writer appends lines at a steady rate while the tail follows,
 *   polling at the stream source's window and at 100 ms; latency is from a line's append to its
 *   wave's commit;
 * - real-time (MODE-4): one authorisation per call, each committed before the answer; latency is
 *   the call.
 *
 *   npx tsx bench/modes.bench.ts [count=20000] [partitions=2]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import { authorisationLines } from '../src/generator/authorisations';
import { runBatchInbox } from '../src/modes/batch-inbox';
import { RealTimePoster } from '../src/modes/real-time';
import { sourceNamed } from '../src/modes/source-config';
import { tailFile } from '../src/modes/tail';
import { calibrate, calibrationLine } from './calibrate';

const count = Number(process.argv[2] ?? 20_000);
const partitions = Number(process.argv[3] ?? 2);
const lines = [...authorisationLines({ count, seed: 42, duplicateRate: 0.01, referenceData: loadReferenceData() })];
const streamCount = Math.min(count, 6_000);
const realTimeCount = Math.min(count, 3_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function row(mode: string, n: number, seconds: number, latenciesMs: number[], note: string): string {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return `${mode.padEnd(34)} ${String(n).padStart(7)} ${Math.round(n / seconds)
    .toLocaleString('en')
    .padStart(9)}/s  p50 ${percentile(sorted, 50).toFixed(1).padStart(8)} ms  p99 ${percentile(sorted, 99).toFixed(1).padStart(8)} ms  ${note}`;
}

async function batch(root: string): Promise<string> {
  const source = sourceNamed('card-files');
  const inbox = join(root, 'inbox');
  mkdirSync(inbox);
  writeFileSync(join(inbox, 'authorisations.ndjson'), `${lines.join('\n')}\n`);
  const latencies: number[] = [];
  let done = 0;
  const started = performance.now();
  await runBatchInbox({
    source,
    inbox,
    stateDir: join(root, 'batch'),
    partitions,
    progress: (message) => {
      const read = /(\d+) line\(s\) read/.exec(message);
      if (!read) return;
      const now = performance.now() - started;
      // Lines read so far are committed up to the chunks reported (a lower bound on the file's progress).
      const upTo = Math.min(Number(read[1]), count);
      for (; done < upTo; done += 1) latencies.push(now);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  for (; done < count; done += 1) latencies.push(seconds * 1000);
  return row(`batch (chunks of ${source.batchSize}, ${partitions} partitions)`, count, seconds, latencies, 'latency: file start → chunk committed');
}

/** Appends `lines` to `input` at `perTick` lines every `tickMs`, in its own thread; writes each line's append time (epoch ms) into `appendedAt`. */
const WRITER = `
const { workerData } = require('node:worker_threads');
const { appendFileSync } = require('node:fs');
const { input, lines, perTick, tickMs, appendedAt } = workerData;
const at = new Float64Array(appendedAt);
let written = 0;
const timer = setInterval(() => {
  const next = lines.slice(written, written + perTick);
  if (next.length === 0) return clearInterval(timer);
  appendFileSync(input, next.join('\\n') + '\\n');
  const now = performance.timeOrigin + performance.now();
  for (let i = 0; i < next.length; i += 1) at[written + i] = now;
  written += next.length;
}, tickMs);
`;

async function stream(root: string, pollMs: number | undefined, label: string, waveSize?: number): Promise<string> {
  const source = { ...sourceNamed('card-stream'), ...(waveSize === undefined ? {} : { batchSize: waveSize }) };
  const input = join(root, `stream-${label}.ndjson`);
  writeFileSync(input, '');
  const perTick = 50;
  const tickMs = 10;
  const appendedAt = new Float64Array(new SharedArrayBuffer(streamCount * 8));
  const latencies: number[] = [];
  const controller = new AbortController();
  const writer = new Worker(WRITER, { eval: true, workerData: { input, lines: lines.slice(0, streamCount), perTick, tickMs, appendedAt: appendedAt.buffer } });
  const started = performance.now();
  let committed = 0;
  await tailFile({
    source,
    input,
    stateDir: join(root, `stream-${label}`),
    partitions: 1,
    follow: true,
    ...(pollMs === undefined ? {} : { pollMs }),
    signal: controller.signal,
    onWave: ({ position }) => {
      const now = performance.timeOrigin + performance.now();
      for (; committed < position.lines; committed += 1) latencies.push(now - appendedAt[committed]!);
      if (position.lines >= streamCount) controller.abort();
    },
  });
  await writer.terminate();
  const seconds = (performance.now() - started) / 1000;
  return row(
    `near-real-time (poll ${pollMs ?? source.batchingWindowSeconds * 1000} ms, waves ≤ ${source.batchSize})`,
    streamCount,
    seconds,
    latencies,
    `offered ${(perTick * 1000) / tickMs}/s by another thread; latency: append → wave committed`,
  );
}

async function realTime(root: string): Promise<string> {
  const poster = new RealTimePoster({ stateDir: join(root, 'real-time') });
  const latencies: number[] = [];
  const started = performance.now();
  try {
    for (const line of lines.slice(0, realTimeCount)) {
      const t = performance.now();
      await poster.postOne(line);
      latencies.push(performance.now() - t);
    }
  } finally {
    poster.close();
  }
  return row('real-time (one per call, committed)', realTimeCount, (performance.now() - started) / 1000, latencies, 'latency: the call');
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ledgerline-modes-bench-'));
  const before = calibrate();
  try {
    console.log(`modes benchmark: ${count} authorisations (seed 42, 1% duplicates); node ${process.version}`);
    console.log(`${'MODE'.padEnd(34)} ${'N'.padStart(7)} ${'THROUGHPUT'.padStart(11)}  LATENCY`);
    console.log(await batch(root));
    console.log(await stream(root, undefined, 'window'));
    console.log(await stream(root, 100, 'fast'));
    console.log(await stream(root, 100, 'wide', 500));
    console.log(await realTime(root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const after = calibrate();
  console.log(`${calibrationLine(before)} (before the run)`);
  console.log(`${calibrationLine(after)} (after the run)`);
}

void main();
