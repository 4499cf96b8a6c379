/**
 * npm run bench:parse — REC-PERF-1, the parsing part: generates N-line statement files (default
 * 1,000,000 lines; camt.053 and MT940, the formats the end-to-end target names) in a temporary
 * directory from the matching generator's labelled set, parses each through parseStatement (one
 * read: hash + decode + parse, REC-RUN-2), and prints the time, MB/s, lines/s and peak RSS, with
 * the machine's calibration line. A benchmark, not a test: it asserts nothing.
 *
 *   npm run bench:parse                         # 1,000,000 lines per format
 *   npm run bench:parse -- --count 100000       # smaller
 *   npm run bench:parse -- --format mt940       # one format
 *   npm run bench:parse -- --dir /tmp/parse-in  # reuse generated files
 *   npm run bench:parse -- --runs 3             # best of 3
 *   npm run bench:parse -- --file /tmp/h4/data/1000000/statement.mt940.sta --runs 3   # an existing file
 *
 * Besides the wall time it prints the run's CPU time (this thread and V8's helper threads: what a
 * loaded machine changes least). Run it with `node --max-semi-space-size=64 --import tsx` to read
 * the file under the young generation the CLI's batch commands have (bin/ledgerline.js).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { generateLabelledSet, type LabelledSet } from '../src/recon/matching';
import { parseStatement } from '../src/recon/run/statements';
import { calibrate, calibrationLine } from './calibrate';
import { statementsOf, writeCamt, writeMt940 } from './statement-files';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const count = Number(option('count') ?? 1_000_000);
  const seed = Number(option('seed') ?? 2026);
  const runs = Number(option('runs') ?? 1);
  const file = option('file');
  if (file !== undefined) {
    console.log(calibrationLine(calibrate()));
    await timeParse(file, basename(file), runs);
    return;
  }
  const formats = (option('format') ?? 'camt,mt940').split(',');
  const given = option('dir');
  const dir = given ?? mkdtempSync(join(tmpdir(), 'ledgerline-parse-bench-'));
  mkdirSync(dir, { recursive: true });
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM; node ${process.version}`);
  console.log(calibrationLine(calibrate()));
  const paths: Record<string, string> = { camt: join(dir, `camt053-${count}-${seed}.xml`), mt940: join(dir, `mt940-${count}-${seed}.sta`) };
  if (formats.some((format) => !existsSync(paths[format]!))) {
    const started = performance.now();
    const set: LabelledSet = generateLabelledSet({ seed, statementLines: count, ledgerEntries: 1 });
    const statements = statementsOf(set);
    const asOf = set.asOf;
    if (formats.includes('camt') && !existsSync(paths.camt!)) writeCamt(paths.camt!, statements, asOf);
    if (formats.includes('mt940') && !existsSync(paths.mt940!)) writeMt940(paths.mt940!, statements, asOf);
    console.log(`generated ${count.toLocaleString('en')} lines per format in ${((performance.now() - started) / 1000).toFixed(1)} s in ${dir}`);
  }
  for (const format of formats) {
    const path = paths[format];
    if (!path) throw new Error(`unknown format ${format}: camt or mt940`);
    await timeParse(path, format, runs);
  }
  if (!given) rmSync(dir, { recursive: true, force: true });
}

/** Parses `path` `runs` times; prints the best wall time and its CPU time. */
async function timeParse(path: string, label: string, runs: number): Promise<void> {
  const bytes = statSync(path).size;
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = 0;
  let lines = 0;
  for (let run = 0; run < runs; run += 1) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const parsed = await parseStatement(path);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (ms < best) {
      best = ms;
      bestCpu = (used.user + used.system) / 1000;
    }
    lines = parsed.statements.reduce((sum, s) => sum + s.lines.length, 0);
  }
  const seconds = best / 1000;
  console.log(
    `${label.padEnd(6)} ${lines.toLocaleString('en')} lines, ${(bytes / 1e6).toFixed(0)} MB: ${seconds.toFixed(2)} s (CPU ${(bestCpu / 1000).toFixed(2)} s), ${(bytes / 1e6 / seconds).toFixed(0)} MB/s, ` +
      `${Math.round(lines / seconds).toLocaleString('en')} lines/s; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
