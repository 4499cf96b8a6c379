/**
 * REC-PERF-1: raising a big run's workbench cases (REC-CASE-1) and its dashboard statistics
 * (REC-DASH-1), as the embedded case sink does after the registry commit. Generates a recorded
 * run of N statement lines and N ledger entries (default 1,000,000; ~10% exceptions, one in ten of
 * them in groups, 2% proposed matches; its lines as columns, StatementColumnsBuilder, and looked
 * up by the run's own index, runLookups, as a run holds them: REC-PERF-1) and times workbenchCaseSink(out).record(run) into a fresh
 * workbench.db, then the same run again (the run marker: nothing changes) and a later run of the
 * same inputs into the now-populated store (every case refreshed). Prints ms, the cases raised and
 * peak RSS, with the calibration of bench/calibrate.ts measured in the same run. A benchmark, not
 * a test: it asserts nothing.
 *
 *   npx tsx bench/case-import.bench.ts
 *   npx tsx bench/case-import.bench.ts --lines 300000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workbenchCaseSink } from '../src/adapters/embedded/recon-cases';
import { openWorkbenchDatabase } from '../src/adapters/embedded/workbench-store';
import type { RecordedRun } from '../src/ports/reconciliation';
import type { RunSummary } from '../src/recon/run/results';
import type { ExceptionReason, LedgerEntry, Match, StatementLine, UnmatchedItem } from '../src/recon/types';
import { casesFromResult } from '../src/recon/workbench/cases';
import { runStatsOf } from '../src/recon/workbench/dashboard';
import { calibrate, calibrationLine } from './calibrate';
import { ledgerRowsOf } from '../src/recon/ledger-rows';
import { runLookups } from '../src/recon/run/run-lookups';
import { StatementColumnsBuilder } from '../src/recon/statement-rows';

const ACCOUNTS = 60;
const CURRENCIES = ['GBP', 'EUR', 'USD'];
const REASONS: ExceptionReason[] = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'STALE'];

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function amountOf(i: number): string {
  const cents = (i * 7919) % 10_000_000;
  return `${i % 3 === 0 ? '-' : ''}${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

function dateOf(i: number): string {
  return `2025-06-${String(1 + (i % 28)).padStart(2, '0')}`;
}

/** A recorded run as the use case hands it to the sinks: its lines, entries, result and one index of them. */
function generatedRun(n: number, runId: string): RecordedRun {
  const statementLines: StatementLine[] = [];
  const ledgerEntries: LedgerEntry[] = [];
  for (let i = 0; i < n; i += 1) {
    const account = i % ACCOUNTS;
    const accountId = `GB${String(10 + account).padStart(2, '0')}LEDG${String(account).padStart(6, '0')}`;
    const currency = CURRENCIES[account % CURRENCIES.length]!;
    statementLines.push({
      statementLineId: `a1b2c3d4e5f6:${Math.floor(i / 50_000)}:${i % 50_000}`,
      format: 'mt940',
      statementId: `STMT-${Math.floor(i / 50_000)}`,
      accountId,
      currency,
      amount: amountOf(i),
      bookingDate: dateOf(i),
      valueDate: dateOf(i),
      bankReference: `BR${i.toString(36).toUpperCase()}`,
      customerReference: `CR${i}`,
      position: { file: 'statement.sta', line: i + 1 },
    } as StatementLine);
    ledgerEntries.push({
      entryId: `LE${String(i + 1).padStart(9, '0')}`,
      accountId,
      currency,
      amount: amountOf(i),
      bookingDate: dateOf(i),
      valueDate: dateOf(i),
      reference: `BR${i.toString(36).toUpperCase()}`,
      description: 'card settlement',
    } as LedgerEntry);
  }
  const matches: Match[] = [];
  const unmatched: UnmatchedItem[] = [];
  for (let i = 0; i < n; i += 1) {
    const line = statementLines[i]!;
    const entry = ledgerEntries[i]!;
    if (i % 10 === 0) {
      // ~10% exceptions: one in ten of them a group of the line and its entry (REC-CASE-1).
      const item: UnmatchedItem = { side: 'statement', id: line.statementLineId, reason: REASONS[(i / 10) % REASONS.length]!, ageDays: i % 40 };
      if (i % 30 === 0) item.candidateId = entry.entryId;
      if (i % 70 === 0) item.detail = `amount differs by ${amountOf(i + 1)}`;
      if (i % 100 === 0) {
        item.group = `batch:${i}`;
        unmatched.push(item, { side: 'ledger', id: entry.entryId, reason: 'UNMATCHED', ageDays: i % 40, candidateId: line.statementLineId, group: `batch:${i}` });
      } else {
        unmatched.push(item);
        if (i % 1000 === 10) unmatched.push({ side: 'ledger', id: entry.entryId, reason: 'UNMATCHED', ageDays: i % 40 });
      }
      continue;
    }
    const proposed = i % 50 === 1;
    matches.push({
      matchId: `M${String(i).padStart(9, '0')}`,
      ruleId: proposed ? 'fuzzy-reference' : 'exact-reference',
      confidence: proposed ? 0.8125 : 1,
      status: proposed ? 'proposed' : 'confirmed',
      statementLineIds: [line.statementLineId],
      ledgerEntryIds: [entry.entryId],
    });
  }
  // The lines as a run holds them: columns (the objects dropped), and the run's one index over them.
  const columns = new StatementColumnsBuilder();
  for (const line of statementLines) columns.push(line);
  statementLines.length = 0;
  const rows = columns.finish();
  const lines = runLookups(rows, ledgerRowsOf([]), []);
  const entries = new Map(ledgerEntries.map((entry) => [entry.entryId, entry]));
  const summary = { runId, asOf: '2025-07-01', statementLines: n, ledgerEntries: n, balanceChecks: [] } as unknown as RunSummary;
  return {
    runId,
    asOf: '2025-07-01',
    recordedAt: new Date('2025-07-01T06:00:00.000Z'),
    summary,
    result: { matches, unmatched },
    statementLines: rows,
    ledgerEntries: ledgerRowsOf(ledgerEntries),
    fileOf: () => 'statement.sta',
    statementLine: (id) => lines.statementLine(id),
    ledgerEntry: (id) => entries.get(id),
    audit: [],
  };
}

/** Wall ms, and the process's CPU ms (user + system): on a shared machine the CPU time is the steadier figure. */
async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(cpu);
  cpuMs.push((used.user + used.system) / 1000);
  return performance.now() - started;
}
const cpuMs: number[] = [];

function timedSync(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const n = arg('lines', 1_000_000);
  const run = generatedRun(n, 'run-1');
  const exceptions = run.result.unmatched.length;
  const proposed = run.result.matches.filter((match) => match.status === 'proposed').length;
  const out = mkdtempSync(join(tmpdir(), 'ledgerline-case-import-'));
  try {
    const sink = workbenchCaseSink(out);
    const fresh = await timed(() => sink.record(run));
    const again = await timed(() => sink.record(run));
    const later = await timed(() => sink.record({ ...run, runId: 'run-2', summary: { ...run.summary, runId: 'run-2' } }));
    const db = openWorkbenchDatabase(out);
    const stored = (db.prepare('SELECT count(*) AS n FROM cases').get() as { n: number }).n;
    db.close();
    console.log(
      `case import: ${n.toLocaleString('en')} statement lines × ${n.toLocaleString('en')} ledger entries, ${exceptions.toLocaleString('en')} exceptions, ${proposed.toLocaleString('en')} proposed matches`,
    );
    console.log(`  fresh workbench.db: ${fresh.toFixed(0)} ms (CPU ${cpuMs[0]!.toFixed(0)} ms; ${stored.toLocaleString('en')} cases)`);
    console.log(`  same run again (run marker): ${again.toFixed(0)} ms (CPU ${cpuMs[1]!.toFixed(0)} ms)`);
    console.log(`  a later run of the same inputs (every case refreshed): ${later.toFixed(0)} ms (CPU ${cpuMs[2]!.toFixed(0)} ms)`);
    const builder = { runId: run.runId, asOf: run.asOf, at: run.recordedAt.toISOString() };
    const cases = Math.min(...[0, 1, 2].map(() => timedSync(() => casesFromResult(builder, run.result, run))));
    const stats = Math.min(...[0, 1, 2].map(() => timedSync(() => runStatsOf({ ...builder, recordedAt: builder.at }, run.result, (id) => run.statementLine(id), run.statementLines))));
    console.log(`  of which (best of 3, pure): casesFromResult ${cases.toFixed(0)} ms, runStatsOf ${stats.toFixed(0)} ms`);
    console.log(`  peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  console.log(calibrationLine(calibrate()));
}

void main();
