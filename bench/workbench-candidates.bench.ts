/**
 * The workbench's candidate search at scale: N open exceptions (default 1,000,000) imported into
 * the embedded SQLite store (durable, WAL; four rows in five in batches of five, REC-CASE-1), then
 * for M random OPEN cases (default 500) the candidate lookup through the port (candidateRows: the
 * indexed open rows by amount, reference and case) and the pure ranking (rankCandidates), timed
 * together as the case page pays for them. Prints p50 / p95 / p99 / max in ms, the import time and
 * peak RSS, with the machine calibration. A benchmark, not a test: it asserts nothing.
 *
 *   npx tsx bench/workbench-candidates.bench.ts
 *   npx tsx bench/workbench-candidates.bench.ts --count 200000 --lookups 1000 --accounts 20
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../src/adapters/embedded/workbench-store';
import { casesFromResult, type ExceptionRow, resultFromRows, rowLookups } from '../src/recon/workbench/cases';
import { candidateQuery, rankCandidates, subjectOf } from '../src/recon/workbench/candidates';
import { importRunCases } from '../src/recon/workbench/import-cases';
import { calibrate, calibrationLine } from './calibrate';

const REASONS = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE'];

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Exception rows over `accounts` accounts; amounts spread so that many rows share an amount range. */
function exceptionRows(count: number, accounts: number): ExceptionRow[] {
  const rows: ExceptionRow[] = [];
  for (let i = 0; i < count; i += 1) {
    const batch = Math.floor(i / 5);
    const centsOf = (k: number): number => (k * 7919) % 2_000_000;
    // One batch in ten sums exactly: its line is the sum of its four items (REC-MATCH-1).
    const cents = i % 5 === 0 && batch % 10 === 1 ? centsOf(i + 1) + centsOf(i + 2) + centsOf(i + 3) + centsOf(i + 4) : centsOf(i);
    rows.push({
      // A batch: its line first, then four items.
      side: i % 5 === 0 ? 'statement' : 'ledger',
      id: `c0ffee${String(Math.floor(i / 1000)).padStart(6, '0')}:${i % 1000}`,
      reason: REASONS[i % REASONS.length]!,
      ageDays: String(i % 60),
      statementLineId: '',
      bankReference: `BR${batch}`,
      ledgerEntryId: '',
      accountId: `GB${String(10 + (batch % accounts)).padStart(2, '0')}LDGL000000${String(batch % accounts).padStart(8, '0')}`,
      currency: 'GBP',
      amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
      detail: '',
      ...(batch % 5 === 0 ? {} : { group: `batch:${batch}` }),
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const count = arg('count', 1_000_000);
  const lookups = arg('lookups', 500);
  const accounts = arg('accounts', 20);
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; node ${process.version}`);
  console.log(calibrationLine(calibrate()));
  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-candidates-bench-'));
  const store = new SqliteWorkbenchStore(openWorkbenchDatabase(dir));
  try {
    const at = '2026-03-10T08:00:00.000Z';
    const rows = exceptionRows(count, accounts);
    const read = resultFromRows(rows, []);
    const cases = casesFromResult(
      { runId: 'run-1', asOf: '2026-03-10', at },
      read.result,
      rowLookups(() => undefined, read),
    );
    const coveredAccounts = new Set(cases.map((c) => c.accountId));
    const importStart = performance.now();
    await importRunCases(store, { runId: 'run-1', coveredAccounts, at }, cases);
    const importMs = performance.now() - importStart;
    console.log(`imported ${count} exceptions as ${cases.length} cases over ${accounts} accounts in ${(importMs / 1000).toFixed(1)} s (open rows indexed in the same transaction)`);

    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const times: number[] = [];
    const lookupTimes: number[] = [];
    const rankTimes: number[] = [];
    let candidatesSeen = 0;
    let groupsFirst = 0;
    for (let n = 0; n < lookups; n += 1) {
      const c = cases[next() % cases.length]!;
      const started = performance.now();
      const current = (await store.get(c.caseId))!;
      const subject = subjectOf(current);
      if (!subject) continue;
      const looked = performance.now();
      const found = await store.candidateRows(candidateQuery(subject));
      const ranking = performance.now();
      const ranked = rankCandidates(subject, found);
      const end = performance.now();
      times.push(end - started);
      lookupTimes.push(ranking - looked);
      rankTimes.push(end - ranking);
      candidatesSeen += ranked.length;
      if (ranked[0]?.kind === 'group') groupsFirst += 1;
    }
    times.sort((a, b) => a - b);
    console.log(
      `candidates of ${times.length} random cases among ${count} open exceptions: p50 ${percentile(times, 50).toFixed(2)} ms, p95 ${percentile(times, 95).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms; ${(candidatesSeen / times.length).toFixed(1)} candidates a case, a group first in ${groupsFirst}`,
    );
    lookupTimes.sort((a, b) => a - b);
    rankTimes.sort((a, b) => a - b);
    console.log(
      `  of which the store lookup p50 ${percentile(lookupTimes, 50).toFixed(2)} / p95 ${percentile(lookupTimes, 95).toFixed(2)} ms, the ranking p50 ${percentile(rankTimes, 50).toFixed(2)} / p95 ${percentile(rankTimes, 95).toFixed(2)} ms`,
    );
    console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
