/**
 * The record phase of a run on its own (REC-PERF-1): builds a run in memory (generated lines and
 * entries, the one matcher), then times the embedded ResultSink — stage (matches.csv,
 * exceptions.csv, summary.json, audit.ndjson, Parquet), publish and settle (the analytics views)
 * — into a fresh --out directory, and prints the calibration of the same run. The run's statement
 * lines are columns (StatementColumnsBuilder, as a run reads a large file) and its lookups the
 * run's own (runLookups), as the use case records a run; `--objects 1` holds the lines as objects.
 * A benchmark, not a test: it asserts nothing.
 *
 *   npx tsx bench/record.bench.ts                   # 1,000,000 + 1,000,000
 *   npx tsx bench/record.bench.ts --count 300000
 *   npx tsx bench/record.bench.ts --objects 1
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outDirResultSink } from '../src/adapters/embedded/recon-results';
import type { RecordedRun } from '../src/ports/reconciliation';
import { defaultRuleSet, generateLabelledSet, matchAll } from '../src/recon/matching';
import { canonicalResult, countResult, type RunSummary } from '../src/recon/run/results';
import { runLookups, unmatchedLedgerIds } from '../src/recon/run/run-lookups';
import { StatementColumnsBuilder, statementRowsBytes, statementRowsOf, type StatementRows } from '../src/recon/statement-rows';
import { calibrate, calibrationLine } from './calibrate';
import { ledgerRowsOf } from '../src/recon/ledger-rows';

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const count = arg('count', 1_000_000);
  const repeat = arg('repeat', 1);
  const set = generateLabelledSet({ seed: 2026, statementLines: count, ledgerEntries: count });
  const result = canonicalResult(matchAll(set.statementLines, set.ledgerEntries, defaultRuleSet(), set.asOf));
  const objects = arg('objects', 0) === 1;
  let statementLines: StatementRows;
  if (objects) statementLines = statementRowsOf(set.statementLines);
  else {
    const builder = new StatementColumnsBuilder();
    for (const line of set.statementLines) builder.push(line);
    statementLines = builder.finish();
  }
  const ledgerEntries = ledgerRowsOf(set.ledgerEntries);
  const lookups = runLookups(statementLines, ledgerEntries, unmatchedLedgerIds(result));
  const runId = `run-bench-${count}`;
  const summary: RunSummary = {
    runId,
    asOf: set.asOf,
    ruleSet: { ruleSetId: 'default', version: 1 },
    statementFiles: [],
    reuploaded: [],
    statementLines: set.statementLines.length,
    ledgerEntries: set.ledgerEntries.length,
    ledgerEntriesAlreadyReconciled: 0,
    ...countResult(result),
    balanceChecks: [],
  };
  const run: RecordedRun = {
    runId,
    asOf: set.asOf,
    recordedAt: new Date('2026-01-01T00:00:00Z'),
    summary,
    result,
    statementLines,
    ledgerEntries,
    fileOf: () => 'statement.sta',
    statementLine: lookups.statementLine,
    statementBankReference: lookups.statementBankReference,
    statementRow: lookups.statementRow,
    ledgerEntry: lookups.ledgerEntry,
    audit: [{ type: 'run.started', runId }],
  };
  console.log(
    `run: ${set.statementLines.length} lines (${objects ? 'objects' : `columns, about ${Math.round((statementRowsBytes(statementLines) ?? 0) / Math.max(1, set.statementLines.length))} bytes a line`}), ${set.ledgerEntries.length} entries, ${result.matches.length} matches, ${result.unmatched.length} exceptions`,
  );
  for (let i = 0; i < repeat; i += 1) {
    const out = mkdtempSync(join(tmpdir(), 'ledgerline-record-bench-'));
    try {
      const sink = outDirResultSink(out);
      await sink.align([]);
      const cpuBefore = process.cpuUsage();
      let at = performance.now();
      const staged = await sink.stage(run);
      const stageMs = performance.now() - at;
      at = performance.now();
      await staged.publish();
      const publishMs = performance.now() - at;
      at = performance.now();
      await staged.settle((message) => console.log(message));
      await staged.close();
      const settleMs = performance.now() - at;
      // CPU time of every thread (JS, GC, DuckDB's): steadier than the elapsed time on a shared machine.
      const cpu = process.cpuUsage(cpuBefore);
      console.log(
        `record: stage ${seconds(stageMs)}, publish ${seconds(publishMs)}, settle ${seconds(settleMs)}, total ${seconds(stageMs + publishMs + settleMs)} (CPU ${seconds((cpu.user + cpu.system) / 1000)}); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  console.log(calibrationLine(calibrate()));
}

void main();
