/**
 * npm run bench: pushes N generated authorisations (default 1,000,000) through the embedded
 * runtime with durable SQLite state, then prints throughput, µs/event per stage (p50/p99 over
 * micro-batches) and peak RSS. A benchmark, not a test: it asserts nothing.
 *
 *   npm run bench                      # 1,000,000
 *   npm run bench -- --count 100000    # smaller
 */
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { authorisationLines } from '../src/generator/authorisations';
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import { postPartitioned } from '../src/runtime/partitioned-runtime';
import { calibrate, calibrationLine } from './calibrate';
import { HOT_PATH_STAGES } from '../src/routes';

const ROW_ORDER = ['route', 'ingest', 'hot-path', ...HOT_PATH_STAGES, 'sweep', 'commit', 'outbox-flush'];
const order = (stage: string): number => (ROW_ORDER.includes(stage) ? ROW_ORDER.indexOf(stage) : ROW_ORDER.length);

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const count = arg('count', 1_000_000);
  const batchSize = arg('batch-size', 500);
  const partitions = arg('partitions', Math.min(2, cpus().length));
  const waveSize = arg('wave-size', 20000);
  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-bench-'));
  const input = join(dir, 'authorizations.ndjson');
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`machine: ${cpus().length} cores, ${cpu}; node ${process.version}`);

  let started = performance.now();
  const chunks: string[] = [];
  let buffered = 0;
  writeFileSync(input, '');
  const { appendFileSync } = await import('node:fs');
  for (const line of authorisationLines({ count, seed: 2026, duplicateRate: 0.01, referenceData: loadReferenceData() })) {
    chunks.push(line);
    if (++buffered === 50_000) {
      appendFileSync(input, `${chunks.join('\n')}\n`);
      chunks.length = 0;
      buffered = 0;
    }
  }
  if (chunks.length) appendFileSync(input, `${chunks.join('\n')}\n`);
  console.log(`generated ${count} authorisations (${(statSync(input).size / 1e6).toFixed(0)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Calibrate in the same run, before the work (the machine's speed drifts from day to day).
  const before = calibrate();
  const calibrationSeconds = before.ms / 1000;
  let lastReport = performance.now();
  started = performance.now();
  const lines = createInterface({ input: createReadStream(input, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  const { summary, stageTimings, stageEvents } = await postPartitioned(lines, input, {
    stateDir: join(dir, 'state'),
    partitions,
    runtime: { batchSize, waveSize },
    onProgress: ({ linesRead }) => {
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        process.stderr.write(`  … ${linesRead} lines committed, ${Math.round(linesRead / ((performance.now() - started) / 1000))} auth/s\n`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;

  console.log(`\nposted end to end in ${seconds.toFixed(1)} s with durable state (${partitions} partition(s) by card, batch ${batchSize}, wave ${waveSize})`);
  console.log(JSON.stringify({ ...summary, ledger: `${Object.keys(summary.ledger).length} currencies, all balanced: ${Object.values(summary.ledger).every((t) => t.debits === t.credits)}` }));
  const HOT_PATH_STAGE_NAMES: readonly string[] = HOT_PATH_STAGES;
  const consumed = [...stageEvents].filter(([stage]) => HOT_PATH_STAGE_NAMES.includes(stage)).reduce((n, [, count]) => n + count, 0);
  console.log(`throughput: ${Math.round(summary.received / seconds)} authorisations/s; ${Math.round(consumed / seconds)} stage events/s (${consumed} events taken by the stages)`);
  console.log(`calibrated: ${(seconds / calibrationSeconds).toFixed(1)} × the calibration (1M SQLite inserts in one transaction took ${calibrationSeconds.toFixed(2)} s before this run)`);
  console.log('\nstage          µs/event p50     p99   (per micro-batch: wall time / batch size; stages indented run inside hot-path)');
  let p50Total = 0;
  let p99Total = 0;
  const ordered = [...stageTimings].sort(([a], [b]) => order(a) - order(b));
  for (const [stage, samples] of ordered) {
    const sorted = [...samples].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const inner = HOT_PATH_STAGE_NAMES.includes(stage) && stageTimings.has('hot-path');
    if (!inner) {
      p50Total += p50;
      p99Total += p99;
    }
    console.log(`${(inner ? `  ${stage}` : stage).padEnd(14)} ${p50.toFixed(1).padStart(12)} ${p99.toFixed(1).padStart(7)}   (${samples.length} batches)`);
  }
  console.log(`${'all'.padEnd(14)} ${p50Total.toFixed(1).padStart(12)} ${p99Total.toFixed(1).padStart(7)}   (sum over the top-level rows)`);
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  const after = calibrate();
  console.log(`${calibrationLine(before)} (before the run)`);
  console.log(`${calibrationLine(after)} (after the run); ratio to their mean: ${(seconds / ((before.ms + after.ms) / 2000)).toFixed(1)}`);
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}

void main();
