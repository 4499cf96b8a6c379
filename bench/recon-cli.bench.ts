/**
 * npm run bench:recon-cli — `ledgerline reconcile` end to end, as a user runs it (REC-PERF-1).
 *
 * For each size it generates a labelled set (src/recon/matching/generate.ts: N statement lines,
 * N ledger entries, seed 2026) and writes it in the real formats into a temp dir: one camt.053
 * file and one MT940 file holding the same statement lines (one statement per account and
 * currency, balances that add up), and one ledger CSV matching both. Then it runs the real command
 * (bin/ledgerline.js, the `bin` of package.json) as a child process under `/usr/bin/time -v`, once
 * per format into a fresh --out, and prints wall time, peak RSS of the child, the command's own
 * progress lines with the second they appeared, and the ratio to the machine's calibration
 * (bench/calibrate.ts) taken in the same run, with the child's minor page faults and system time
 * beside the machine's cost of a page fault (calibrateFaults). A benchmark, not a test: it asserts nothing.
 *
 *   npm run bench:recon-cli                                   # 1,000,000 × 1,000,000, camt + MT940
 *   npm run bench:recon-cli -- --count 100000
 *   npm run bench:recon-cli -- --sizes 100000,300000,1000000  # memory as the statement grows
 *   npm run bench:recon-cli -- --formats camt                 # one format (camt | mt940)
 *   npm run bench:recon-cli -- --keep                         # keep the temp dir (printed)
 *   npm run bench:recon-cli -- --data /tmp/recon-data         # generate once into DIR/<size>, reuse after
 *   npm run bench:recon-cli -- --node-args=--cpu-prof,--cpu-prof-dir=/tmp/prof   # profile the child
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateLabelledSet, type LabelledSet } from '../src/recon/matching';
import { bundleCli } from '../scripts/bundle-cli';
import { calibrate, calibrateFaults, calibrationLine, faultCalibrationLine, type FaultCalibration } from './calibrate';
import { Out, statementsOf, writeCamt, writeMt940 } from './statement-files';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'bin', 'ledgerline.js');

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  const inline = process.argv.find((a) => a.startsWith(prefix));
  if (inline) return inline.slice(prefix.length);
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
}

const elapsed = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const say = (message: string): void => console.log(message);

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

function writeLedger(path: string, set: LabelledSet): void {
  const out = new Out(path);
  out.put('entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n');
  for (const e of set.ledgerEntries) {
    out.put(`${e.entryId},${e.accountId},${e.currency},${e.amount},${e.bookingDate},${e.valueDate},${csvCell(e.reference)},${csvCell(e.description)}\n`);
  }
  out.close();
}

interface Measured {
  exitCode: number;
  wallSeconds: number;
  /** User + system CPU seconds of the child: less sensitive than wall time to other load on the machine. */
  cpuSeconds: number;
  /** System CPU seconds of the child: mostly the kernel's work for the memory it touches (page faults). */
  systemSeconds: number;
  /** Minor page faults of the child: the 4 KiB pages of memory it touched for the first time. */
  minorFaults: number;
  maxRssKb: number;
  stdout: string;
}

/** Runs the command under /usr/bin/time -v: progress lines (stderr) echoed with the second they appeared. */
function run(args: string[], nodeArgs: string[], label: string): Promise<Measured> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-v', process.execPath, ...nodeArgs, BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!/^\s/.test(line) && !line.startsWith('Command being timed')) say(`    [${label} ${elapsed(started).padStart(7)}] ${line.length > 160 ? `${line.slice(0, 160)}…` : line}`);
        newline = pending.indexOf('\n');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const field = (name: string): string | undefined => new RegExp(`${name}: (.*)`).exec(stderr)?.[1]?.trim();
      const wall = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)') ?? '0:0';
      const wallSeconds = wall
        .split(':')
        .map(Number)
        .reduce((sum, part) => sum * 60 + part, 0);
      const systemSeconds = Number(field('System time \\(seconds\\)') ?? 0);
      const cpuSeconds = Number(field('User time \\(seconds\\)') ?? 0) + systemSeconds;
      const minorFaults = Number(field('Minor \\(reclaiming a frame\\) page faults') ?? 0);
      resolvePromise({ exitCode: code ?? -1, wallSeconds, cpuSeconds, systemSeconds, minorFaults, maxRssKb: Number(field('Maximum resident set size \\(kbytes\\)') ?? 0), stdout });
    });
  });
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Writes the size's input files into `dir` unless they are there already (from an earlier --data run). */
function prepare(dir: string, size: number, seed: number, formats: readonly string[]): { camt: string; mt940: string; ledger: string } {
  const files = { camt: join(dir, 'statement.camt053.xml'), mt940: join(dir, 'statement.mt940.sta'), ledger: join(dir, 'ledger.csv') };
  const done = join(dir, `.complete-${seed}`);
  if (existsSync(done)) {
    say(`  reusing the input files in ${dir}`);
    return files;
  }
  let started = performance.now();
  say(`  generating the labelled set (seed ${seed}) …`);
  const set = generateLabelledSet({ seed, statementLines: size, ledgerEntries: size });
  const statements = statementsOf(set);
  say(`  generated in ${elapsed(started)}: ${statements.length} statements (account × currency)`);
  started = performance.now();
  writeCamt(files.camt, statements, set.asOf);
  say(`  camt.053 written (${mb(statSync(files.camt).size)}) at ${elapsed(started)}`);
  writeMt940(files.mt940, statements, set.asOf);
  say(`  MT940 written (${mb(statSync(files.mt940).size)}) at ${elapsed(started)}`);
  writeLedger(files.ledger, set);
  say(`  ledger CSV written (${mb(statSync(files.ledger).size)}) at ${elapsed(started)}`);
  writeFileSync(done, `${formats.join(',')}\n`);
  return files;
}

interface Row {
  size: number;
  format: string;
  bytes: number;
  m: Measured;
  /** Calibration seconds: the mean of the runs just before and just after the command. */
  unit: number;
  /** The page-fault calibration taken just after the command. */
  faults: FaultCalibration;
  lines?: number;
  matched?: number;
}

async function main(): Promise<void> {
  const sizes = (option('sizes') ?? option('count') ?? '1000000').split(',').map((s) => Number(s.replace(/_/g, '')));
  const formats = (option('formats') ?? 'camt,mt940').split(',') as ('camt' | 'mt940')[];
  const seed = Number(option('seed') ?? 2026);
  const keep = process.argv.includes('--keep');
  const dataRoot = option('data');
  const nodeArgs = (option('node-args') ?? '').split(',').filter(Boolean);
  say(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM; node ${process.version}; load average ${loadavg()[0]!.toFixed(1)}`);
  say(`command: node ${[...nodeArgs, 'bin/ledgerline.js'].join(' ')} reconcile --statement <file> --ledger <ledger.csv> --out <fresh dir> --json`);
  // What `npm install` leaves (its `prepare` step): the prebuilt command, rebuilt now so it holds this checkout.
  const built = await bundleCli();
  say(`command build: ${built.outFile} (${built.inputs.length} source files, rebuilt now; bin/ledgerline.js runs it while it is fresh)`);
  let calibration = calibrate();
  say(calibrationLine(calibration));
  const results: Row[] = [];
  for (const size of sizes) {
    const dir = dataRoot ? join(resolve(dataRoot), String(size)) : mkdtempSync(join(tmpdir(), `ledgerline-recon-cli-${size}-`));
    mkdirSync(dir, { recursive: true });
    try {
      say(`\n${size.toLocaleString('en')} × ${size.toLocaleString('en')}:`);
      const files = prepare(dir, size, seed, formats);
      for (const format of formats) {
        const out = join(dir, `out-${format}`);
        rmSync(out, { recursive: true, force: true });
        say(`  ${format}: running (load average ${loadavg()[0]!.toFixed(1)}) …`);
        const before = calibration;
        const m = await run(['reconcile', '--statement', files[format], '--ledger', files.ledger, '--out', out, '--json'], nodeArgs, format);
        calibration = calibrate();
        const faults = calibrateFaults();
        const unit = (before.ms + calibration.ms) / 2000;
        let summary: { statementLines?: number; matched?: { total?: number } } = {};
        try {
          summary = JSON.parse(m.stdout) as typeof summary;
        } catch {
          say(`    (no JSON summary on stdout; exit ${m.exitCode})`);
        }
        rmSync(out, { recursive: true, force: true });
        results.push({ size, format, bytes: statSync(files[format]).size, m, unit, faults, lines: summary.statementLines, matched: summary.matched?.total });
        say(
          `  ${format}: exit ${m.exitCode}, ${m.wallSeconds.toFixed(1)} s wall, ${m.cpuSeconds.toFixed(1)} s CPU, peak RSS ${(m.maxRssKb / 1024).toFixed(0)} MB, ${m.minorFaults.toLocaleString('en')} minor faults (${m.systemSeconds.toFixed(1)} s system); calibration ${before.ms.toFixed(0)} ms before, ${calibration.ms.toFixed(0)} ms after; ${faultCalibrationLine(faults)}`,
        );
      }
    } finally {
      if (keep || dataRoot) say(`  kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  say('\n| size | format | statement file | exit | wall | CPU (user+sys) | system | minor faults | peak RSS | calibration | µs a fault | wall / calibration | statement lines | matches |');
  say('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    say(
      `| ${r.size.toLocaleString('en')} | ${r.format} | ${mb(r.bytes)} | ${r.m.exitCode} | ${r.m.wallSeconds.toFixed(1)} s | ${r.m.cpuSeconds.toFixed(1)} s | ${r.m.systemSeconds.toFixed(1)} s | ${r.m.minorFaults.toLocaleString('en')} | ${(r.m.maxRssKb / 1024).toFixed(0)} MB | ${r.unit.toFixed(2)} s | ${r.faults.microsPerPage.toFixed(1)} | ${(r.m.wallSeconds / r.unit).toFixed(1)}× | ${r.lines?.toLocaleString('en') ?? '-'} | ${r.matched?.toLocaleString('en') ?? '-'} |`,
    );
  }
  say('\nREC-PERF-1 goal at 1M × 1M: ≤ 15 s and ≤ 2 GB (2 cores). Calibration: 1,000,000 SQLite inserts in one transaction (bench/calibrate.ts), taken before and after each command.');
  say('µs a fault: CPU per fresh 4 KiB page (bench/calibrate.ts, calibrateFaults), taken after each command; minor faults × µs a fault is about what the memory the command touched cost it.');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
