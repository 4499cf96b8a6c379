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
  const consumed = [...stageEvents].filter(([stage]) => !['ingest', 'sweep', 'commit', 'outbox-flush'].includes(stage)).reduce((n, [, count]) => n + count, 0);
  console.log(`throughput: ${Math.round(summary.received / seconds)} authorisations/s; ${Math.round(consumed / seconds)} lifecycle events/s (${consumed} events consumed by the stage handlers)`);
  console.log('\nstage        µs/event p50   p99   (per micro-batch: handler wall time / batch size)');
  let p50Total = 0;
  let p99Total = 0;
  for (const [stage, samples] of stageTimings) {
    const sorted = [...samples].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    p50Total += p50;
    p99Total += p99;
    console.log(`${stage.padEnd(12)} ${p50.toFixed(1).padStart(12)} ${p99.toFixed(1).padStart(6)}   (${samples.length} batches)`);
  }
  console.log(
    `${'all stages'.padEnd(12)} ${p50Total.toFixed(1).padStart(12)} ${p99Total.toFixed(1).padStart(6)}   (sum over stages; an authorisation passes each once, posting legs ~2.2x in assembler)`,
  );
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  console.log(calibrationLine(calibrate()));
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}

void main();
