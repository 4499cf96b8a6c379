/**
 * `npm run chaos` (CHAOS-1): posting's guarantees under fault, with a report. Fault injection is
 * tooling, not product code: it lives here, outside src/, and drives the product through its CLI
 * (kill -9) or through the embedded runtime's own seams (store faults, stalls, clock skew).
 *
 *   npm run chaos                                      # 1,000,000 authorisations, 100 kills, seed 42
 *   npm run chaos -- --count 200000 --kills 20 --seed 7
 *   npm run chaos -- --classes store,clock --fault-count 20000
 *
 * Exit status: 0 when every class kept every guarantee (0 lost, 0 posted twice, ledger and posting
 * records equal to a clean run, every injected fault accounted for); 1 otherwise; 2 on bad options.
 */
import { Command, InvalidArgumentError } from 'commander';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { authorisationLines } from '../src/generator/authorisations';
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import { positiveInteger, wholeNumber } from '../src/cli/options';
import { killClass } from './kill';
import { clockSkewClass, storeFaultClass } from './in-process';
import { stallClass } from './stall';
import type { ClassResult } from './report';
import { failures, formatReport } from './report';

export const CLASSES = ['kill', 'store', 'stall', 'clock'] as const;
export type ClassName = (typeof CLASSES)[number];

export interface ChaosOptions {
  count: number;
  kills: number;
  seed: number;
  partitions: number;
  waveSize: number;
  /** Authorisations for the in-process classes (store faults, stall, clock skew). */
  faultCount: number;
  /** Share of port calls (dedup, ledger, reference data) that fail. */
  faultRate: number;
  /** Share of the other stores' SQLite statements that fail (each payment runs several). */
  statementFaultRate: number;
  stalls: number;
  classes: ClassName[];
  workDir: string;
  log: (line: string) => void;
}

function ratio(text: string): number {
  if (!/^0(\.[0-9]+)?$/.test(text) || Number(text) <= 0 || Number(text) >= 0.5) throw new InvalidArgumentError(`a fault rate must be a fraction above 0 and below 0.5, got "${text}"`);
  return Number(text);
}

function classList(text: string): ClassName[] {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) if (!(CLASSES as readonly string[]).includes(name)) throw new InvalidArgumentError(`--classes: unknown class "${name}" (known: ${CLASSES.join(', ')})`);
  return names as ClassName[];
}

export function writeInput(path: string, count: number, seed: number): void {
  const fd = openSync(path, 'w');
  try {
    let chunk: string[] = [];
    for (const line of authorisationLines({ count, seed, duplicateRate: 0.01, referenceData: loadReferenceData() })) {
      chunk.push(line);
      if (chunk.length === 10_000) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
}

export async function runChaos(options: ChaosOptions): Promise<ClassResult[]> {
  const results: ClassResult[] = [];
  mkdirSync(options.workDir, { recursive: true });
  const inputs = new Map<number, string>();
  const inputOf = (count: number): string => {
    let path = inputs.get(count);
    if (!path) {
      path = join(options.workDir, `auths-n${count}-seed${options.seed}.ndjson`);
      options.log(`generating ${count} authorisations (seed ${options.seed}, 1% duplicates) → ${path}`);
      writeInput(path, count, options.seed);
      inputs.set(count, path);
    }
    return path;
  };
  for (const name of options.classes) {
    const workDir = join(options.workDir, name);
    mkdirSync(workDir, { recursive: true });
    if (name === 'kill') {
      results.push(await killClass({ input: inputOf(options.count), workDir, kills: options.kills, seed: options.seed, partitions: options.partitions, waveSize: options.waveSize, log: options.log }));
    } else if (name === 'store') {
      results.push(await storeFaultClass({ input: inputOf(options.faultCount), workDir, seed: options.seed, rate: options.faultRate, statementRate: options.statementFaultRate, log: options.log }));
    } else if (name === 'stall') {
      results.push(await stallClass({ input: inputOf(options.faultCount), workDir, seed: options.seed, stalls: options.stalls, log: options.log }));
    } else {
      results.push(await clockSkewClass({ input: inputOf(options.faultCount), workDir, seed: options.seed, log: options.log }));
    }
    options.log(`${name}: ${failures(results.at(-1)!).length === 0 ? 'PASS' : 'FAIL'}`);
  }
  return results;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('chaos')
    .description('CHAOS-1: posting under kill -9, store errors and throttling, a stalled stage and clock skew; reports 0 lost, 0 posted twice, equal ledger and records')
    .option('--count <n>', 'authorisations for the kill -9 run', positiveInteger('--count'), 1_000_000)
    .option('--kills <n>', 'kill -9s during the run', wholeNumber('--kills', { min: 1 }), 100)
    .option('--seed <s>', 'seed of the input and of every fault schedule', wholeNumber('--seed'), 42)
    .option('--partitions <n>', 'state partitions of the kill -9 run', positiveInteger('--partitions'), Math.max(2, availableParallelism()))
    .option('--wave-size <n>', 'input lines per committed wave in the kill -9 run', positiveInteger('--wave-size'), 2000)
    .option('--fault-count <n>', 'authorisations for the in-process classes (store faults, stall, clock skew)', positiveInteger('--fault-count'), 100_000)
    .option('--fault-rate <r>', 'share of dedup-store, ledger and reference-data calls that fail', ratio, 0.05)
    .option('--statement-fault-rate <r>', "share of the other stores' SQLite statements that fail (transaction state, velocity, decisions, parking, outbox, re-driver)", ratio, 0.005)
    .option('--stalls <n>', 'stalls of a stage past the wave timeout', wholeNumber('--stalls', { min: 1 }), 3)
    .option('--classes <list>', `fault classes to run, comma-separated (${CLASSES.join(',')})`, classList, [...CLASSES])
    .option('--work-dir <dir>', 'where inputs and states go (default: a new temporary directory)')
    .option('--keep', 'keep the work directory')
    .option('--json', 'print the results as JSON on stdout (the report goes to stderr)')
    .exitOverride();
  let parsed: Record<string, unknown>;
  try {
    parsed = program.parse(argv).opts();
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const workDir = resolve((parsed.workDir as string | undefined) ?? mkdtempSync(join(tmpdir(), 'ledgerline-chaos-')));
  const started = performance.now();
  const options: ChaosOptions = {
    count: parsed.count as number,
    kills: parsed.kills as number,
    seed: parsed.seed as number,
    partitions: parsed.partitions as number,
    waveSize: parsed.waveSize as number,
    faultCount: parsed.faultCount as number,
    faultRate: parsed.faultRate as number,
    statementFaultRate: parsed.statementFaultRate as number,
    stalls: parsed.stalls as number,
    classes: parsed.classes as ClassName[],
    workDir,
    log: (line) => process.stderr.write(`chaos: ${line}\n`),
  };
  try {
    const results = await runChaos(options);
    const header = `Ledgerline chaos (CHAOS-1): seed ${options.seed}, ${((performance.now() - started) / 1000).toFixed(1)} s in all, work directory ${workDir}`;
    const report = formatReport(results, header);
    if (parsed.json) {
      process.stderr.write(report);
      process.stdout.write(`${JSON.stringify({ seed: options.seed, results: results.map((r) => ({ ...r, failures: failures(r) })) })}\n`);
    } else {
      process.stdout.write(report);
    }
    return results.every((result) => failures(result).length === 0) ? 0 : 1;
  } finally {
    if (!parsed.keep && !parsed.workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
