/**
 * npm run bench:workbench: the exceptions workbench at a big run's scale, on the embedded SQLite
 * store (`<out>/workbench.db`, durable, WAL). It imports N exception cases (default 100,000 over
 * 200 accounts; four in five in batches of five, REC-CASE-1), re-imports the same run, imports a later run that clears 10%, then times the
 * queries and actions finance makes: the default list page, filtered pages, one case with its
 * history, and a comment (one versioned conditional write + its history line). Prints ms and peak
 * RSS. A benchmark, not a test: it asserts nothing.
 *
 *   npm run bench:workbench
 *   npm run bench:workbench -- --count 1000000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../src/adapters/embedded/workbench-store';
import { applyCaseAction, casesFromResult, type ExceptionCase, type ExceptionRow, resultFromRows, rowLookups } from '../src/recon/workbench/cases';
import { dashboardData } from '../src/recon/workbench/dashboard';
import { importRunCases } from '../src/recon/workbench/import-cases';
import { calibrate, calibrationLine } from './calibrate';

const REASONS = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE'];
const ACCOUNTS = 200;

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function exceptionRows(count: number, skipEvery = 0): ExceptionRow[] {
  const rows: ExceptionRow[] = [];
  for (let i = 0; i < count; i += 1) {
    if (skipEvery > 0 && i % skipEvery === 0) continue;
    const cents = (i * 7919) % 1_000_000;
    rows.push({
      side: i % 4 === 0 ? 'ledger' : 'statement',
      id: `f1e2d3c4b5a6:${Math.floor(i / 1000)}:${i % 1000}`,
      reason: REASONS[i % REASONS.length]!,
      ageDays: String(i % 120),
      statementLineId: `f1e2d3c4b5a6:${Math.floor(i / 1000)}:${i % 1000}`,
      bankReference: `BR${i}`,
      ledgerEntryId: i % 3 === 0 ? `L-${i}` : '',
      accountId: `GB${String(10 + (Math.floor(i / 5) % ACCOUNTS)).padStart(2, '0')}LDGL000000${String(Math.floor(i / 5) % ACCOUNTS).padStart(8, '0')}`,
      currency: 'GBP',
      amount: `${i % 2 === 0 ? '-' : ''}${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
      detail: '',
      // REC-CASE-1: four rows in five are the items of a batch (same account), worked as one case.
      ...(i % 5 === 0 ? {} : { group: `batch:${Math.floor(i / 5)}` }),
    });
  }
  return rows;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

/** The run's cases through the one case builder (the rows read back as the result they came from). */
function casesOf(runId: string, rows: ExceptionRow[], at: string): ExceptionCase[] {
  const read = resultFromRows(rows, []);
  return casesFromResult(
    { runId, asOf: at.slice(0, 10), at },
    read.result,
    rowLookups(() => undefined, read),
  );
}

async function main(): Promise<void> {
  const count = arg('count', 100_000);
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-workbench-bench-'));
  const db = openWorkbenchDatabase(dir);
  const store = new SqliteWorkbenchStore(db);
  try {
    const rows = exceptionRows(count);
    const [first, buildMs] = await timed(async () => casesOf('run-1', rows, '2026-11-22T09:00:00.000Z'));
    const covered = new Set(first.map((c) => c.accountId));
    const [imported, importMs] = await timed(() => importRunCases(store, { runId: 'run-1', coveredAccounts: covered, at: '2026-11-22T09:00:00.000Z' }, first));
    const [again, againMs] = await timed(() => importRunCases(store, { runId: 'run-1', coveredAccounts: covered, at: '2026-11-22T09:00:00.000Z' }, first));
    const second = casesOf('run-2', exceptionRows(count, 10), '2026-11-23T09:00:00.000Z');
    const [later, laterMs] = await timed(() => importRunCases(store, { runId: 'run-2', coveredAccounts: covered, at: '2026-11-23T09:00:00.000Z' }, second));

    console.log(`\n${count} exceptions over ${covered.size} accounts, SQLite WAL in ${dir}`);
    console.log(`build run-1's cases from ${rows.length} exceptions: ${buildMs.toFixed(0)} ms (${first.length} cases, ${first.filter((c) => c.members).length} grouped)`);
    console.log(`import run-1: ${importMs.toFixed(0)} ms (${imported.raised} raised; ${Math.round(imported.raised / (importMs / 1000))} cases/s)`);
    console.log(`re-import run-1: ${againMs.toFixed(0)} ms (alreadyImported: ${again.alreadyImported})`);
    console.log(`import run-2 (10% no longer reported): ${laterMs.toFixed(0)} ms (${later.cleared} cleared)`);

    const queries: [string, Parameters<SqliteWorkbenchStore['list']>[0]][] = [
      ['default list page (open + pending, 200)', { status: ['OPEN', 'PENDING_APPROVAL'] }],
      ['by reason', { status: ['OPEN'], reason: 'AMOUNT_MISMATCH' }],
      ['by account', { accountId: first[17]!.accountId }],
      ['search a reference', { search: 'BR4242' }],
    ];
    console.log('\nms per request            p50      p99   (200 repetitions)');
    for (const [label, filter] of queries) {
      const samples: number[] = [];
      for (let i = 0; i < 200; i += 1) samples.push((await timed(() => store.list(filter)))[1]);
      samples.sort((a, b) => a - b);
      console.log(`${label.padEnd(40)} ${percentile(samples, 50).toFixed(2).padStart(7)} ${percentile(samples, 99).toFixed(2).padStart(8)}`);
    }
    const dashboard: number[] = [];
    for (let i = 0; i < 200; i += 1) dashboard.push((await timed(async () => dashboardData(await store.runStats(), await store.openCaseAges())))[1]);
    dashboard.sort((a, b) => a - b);
    console.log(`${'dashboard figures (REC-DASH-1)'.padEnd(40)} ${percentile(dashboard, 50).toFixed(2).padStart(7)} ${percentile(dashboard, 99).toFixed(2).padStart(8)}`);
    const detail: number[] = [];
    const comment: number[] = [];
    const actor = { user: 'rita@bank.example', roles: ['reconciler' as const] };
    for (let i = 0; i < 1000; i += 1) {
      const caseId = first[(i * 97) % first.length]!.caseId;
      const [pair, readMs] = await timed(async () => Promise.all([store.get(caseId), store.history(caseId)]));
      detail.push(readMs);
      const current = pair[0]!;
      const { next, event } = applyCaseAction(current, { type: 'comment', note: `checked ${i}` }, actor, new Date().toISOString(), current.version);
      comment.push((await timed(() => store.save(next, event)))[1]);
    }
    detail.sort((a, b) => a - b);
    comment.sort((a, b) => a - b);
    console.log(`${'case + history'.padEnd(40)} ${percentile(detail, 50).toFixed(2).padStart(7)} ${percentile(detail, 99).toFixed(2).padStart(8)}`);
    console.log(`${'comment (conditional write + history)'.padEnd(40)} ${percentile(comment, 50).toFixed(2).padStart(7)} ${percentile(comment, 99).toFixed(2).padStart(8)}`);
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    console.log(calibrationLine(calibrate()));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
