/**
 * REC-PERF-1, the ledger side and the registry: times readLedgerFile (read + validate + mask)
 * on a ledger CSV (default /tmp/h4/data/1000000/ledger.csv) and the re-upload registry's
 * stage + commit of a run record matching every entry of that ledger, in a fresh registry.db,
 * with peak RSS and the machine's calibration line in the same run. A benchmark, not a test.
 *
 *   npx tsx bench/ledger-load.bench.ts
 *   npx tsx bench/ledger-load.bench.ts --ledger FILE --runs 3
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLedgerFile } from '../src/recon/run/ledger-file';
import { RunRegistry, type RunRecord } from '../src/recon/run/registry';
import { calibrate, calibrationLine } from './calibrate';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
}

/** CPU time (user + system, all threads) since `since`: the machine is shared, wall time alone misleads. */
const cpuMs = (since: NodeJS.CpuUsage): string => {
  const used = process.cpuUsage(since);
  return ((used.user + used.system) / 1000).toFixed(0);
};
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

async function main(): Promise<void> {
  const path = option('ledger') ?? '/tmp/h4/data/1000000/ledger.csv';
  const runs = Number(option('runs') ?? 1);
  console.log(calibrationLine(calibrate()));
  let best = Infinity;
  let file: Awaited<ReturnType<typeof readLedgerFile>> | undefined;
  for (let run = 0; run < runs; run += 1) {
    // The previous run's entries are garbage before the next read starts.
    if (file) file.entries.length = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    file = await readLedgerFile(path);
    const ms = performance.now() - started;
    best = Math.min(best, ms);
    console.log(
      `readLedgerFile ${path}: ${file.entries.length.toLocaleString('en')} entries in ${ms.toFixed(0)} ms (cpu ${cpuMs(cpu)} ms; heap ${mb(process.memoryUsage().heapUsed)}, rss ${mb(process.memoryUsage().rss)})`,
    );
  }
  console.log(`readLedgerFile best of ${runs}: ${best.toFixed(0)} ms`);

  const entries = file!.entries;
  // Matched entries as a run gives them: grouped by account (matching partitions by account and currency).
  const matched = entries.map((entry, i) => ({ accountId: entry.accountId, entryId: entry.entryId, matchId: `M${String(i).padStart(8, '0')}` }));
  matched.sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  const record: RunRecord = {
    runId: 'bench-run',
    asOf: '2025-06-30',
    recordedAt: new Date(0).toISOString(),
    files: [{ contentHash: 'c'.repeat(64), runId: 'bench-run', file: 'statement.sta', format: 'mt940', statementLines: entries.length }],
    statements: [],
    matchedLedger: matched,
  };
  let bestStage = Infinity;
  for (let run = 0; run < runs; run += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerline-registry-bench-'));
    try {
      const registry = RunRegistry.at(dir);
      const cpu = process.cpuUsage();
      const started = performance.now();
      registry.stage(record);
      const staged = performance.now();
      registry.commit();
      const ms = performance.now() - started;
      const used = cpuMs(cpu);
      registry.close();
      bestStage = Math.min(bestStage, ms);
      console.log(`registry stage + commit of ${matched.length.toLocaleString('en')} matched entries: ${ms.toFixed(0)} ms (stage ${(staged - started).toFixed(0)} ms; cpu ${used} ms)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`registry stage + commit best of ${runs}: ${bestStage.toFixed(0)} ms`);
  console.log(`peak rss ${mb(process.resourceUsage().maxRSS * 1024)}`);
  console.log(calibrationLine(calibrate()));
}

void main();
