/**
 * npm run bench:workbench: the exceptions workbench at a big run's scale, on the embedded SQLite
 * store (`<out>/workbench.db`, durable, WAL). It imports N exception cases (default 1,000,000 over
 * 2,000 accounts), generated and imported in chunks so the whole run is never in memory (each
 * chunk through the one case builder and importRunCases, the path a run's import takes), works a
 * few percent of them (resolved, proposed for write-off: other statuses), then times the store's
 * own cursor paging (SqliteWorkbenchStore.list with `after`, cursor.ts: keyset pages, WB-1 at 1M),
 * each with p50 / p95 / p99 over the repetitions:
 *   - first pages in both orders (urgency, the list's default, and age): open + pending approval,
 *     filtered by reason (the link of an "Open STALE" count), by account, by assignee, and a
 *     reference search: a common term ("br4": about 1 case in 9) and a rare one through the trigram
 *     index (both orders, a next page by cursor), and a 2-character term (no trigram: it reads the
 *     search index of every case of the statuses);
 *   - a full walk of every open case page by page in the default order (each case exactly once, in
 *     order: asserted), keeping the cursors of deep pages; then those deep pages timed, unfiltered
 *     and filtered by reason (a cursor is a position of the order, good for any filter);
 *   - the CSV export of every open case through the app (a cursor walk of 1,000-case pages,
 *     streamed): time, size and peak RSS;
 *   - one case with its history, and a comment (one versioned conditional write + its history line);
 *   - opening a store written before the trigram index: the index built once from every case.
 * Then peak RSS and the machine's calibration (bench/calibrate.ts) in the same run. A benchmark, not
 * a test: it asserts only that the cursor walk saw each open case once, in order.
 *
 *   npm run bench:workbench
 *   npm run bench:workbench -- --count 100000 --repeat 100
 *   npm run bench:workbench -- --db DIR     # time the store a run left in DIR (no import)
 *   npm run bench:workbench -- --keep       # leave the database in its temporary directory
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../src/adapters/embedded/workbench-store';
import { applyCaseAction, type CaseStatus, casesFromResult, type ExceptionCase, type ExceptionRow, resultFromRows, rowLookups } from '../src/recon/workbench/cases';
import { dashboardData } from '../src/recon/workbench/dashboard';
import { importRunCases } from '../src/recon/workbench/import-cases';
import { createWorkbenchApp } from '../src/recon/workbench/app';
import { pageCursor, sortKeyOf } from '../src/recon/workbench/cursor';
import type { CaseFilter } from '../src/recon/workbench/ports';
import { calibrate, calibrationLine } from './calibrate';

const REASONS = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE'];
const PAGE = 200;
const CHUNK = 50_000;
const OPEN: readonly CaseStatus[] = ['OPEN', 'PENDING_APPROVAL'];

function textArg(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
}

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Exception rows from..to of a run of `count` over `accounts` accounts (each account a contiguous range of rows). */
function exceptionRows(from: number, to: number, count: number, accounts: number): ExceptionRow[] {
  const rows: ExceptionRow[] = [];
  const perAccount = Math.ceil(count / accounts);
  for (let i = from; i < to; i += 1) {
    const cents = (i * 7919) % 1_000_000;
    const account = Math.floor(i / perAccount);
    rows.push({
      side: i % 4 === 0 ? 'ledger' : 'statement',
      id: `f1e2d3c4b5a6:${Math.floor(i / 1000)}:${i % 1000}`,
      reason: REASONS[i % REASONS.length]!,
      // Ages spread over 0..119 days, not in id order.
      ageDays: String((i * 37) % 120),
      statementLineId: `f1e2d3c4b5a6:${Math.floor(i / 1000)}:${i % 1000}`,
      bankReference: `BR${i}`,
      ledgerEntryId: i % 3 === 0 ? `L-${i}` : '',
      accountId: `GB${String(10 + (account % 90)).padStart(2, '0')}LDGL${String(account).padStart(14, '0')}`,
      currency: 'GBP',
      amount: `${i % 2 === 0 ? '-' : ''}${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
      detail: '',
    });
  }
  return rows;
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

async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

type Db = ReturnType<typeof openWorkbenchDatabase>;

function line(label: string, samples: number[], extra = ''): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label.padEnd(52)} ${percentile(sorted, 50).toFixed(2).padStart(8)} ${percentile(sorted, 95).toFixed(2).padStart(8)} ${percentile(sorted, 99).toFixed(2).padStart(8)}${extra}`;
}

async function repeat(times: number, work: () => Promise<unknown> | unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) samples.push((await timed(work))[1]);
  return samples;
}

/** The query plan of the store's own list SQL for `filter` (its last statement prepared, captured). */
async function listPlan(db: Db, store: SqliteWorkbenchStore, filter: CaseFilter): Promise<string> {
  const prepare = db.prepare.bind(db);
  let sql = '';
  const capture = ((text: string) => {
    sql = text;
    return prepare(text);
  }) as typeof db.prepare;
  db.prepare = capture;
  try {
    // A fresh shape: the store prepares (and caches) it now.
    await store.list({ ...filter, limit: 199 });
  } finally {
    db.prepare = prepare;
  }
  if (!sql) return '(cached: no new statement)';
  const params = (sql.match(/\?/g) ?? []).map(() => 1);
  return prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((row) => (row as { detail: string }).detail)
    .filter((detail) => detail.startsWith('SEARCH') || detail.startsWith('SCAN cases') || detail.includes('TEMP B-TREE'))
    .join(' | ');
}

async function main(): Promise<void> {
  const count = arg('count', 1_000_000);
  const accounts = arg('accounts', 2_000);
  const times = arg('repeat', 200);
  // A search that cannot seek reads every case of the statuses: fewer repetitions of it.
  const scanTimes = arg('scan-repeat', 10);
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; node ${process.version}`);
  // --db DIR: time the store already in DIR (a run of this benchmark left there), skipping the import.
  const reuse = textArg('db');
  const dir = reuse ?? mkdtempSync(join(tmpdir(), 'ledgerline-workbench-bench-'));
  const db = openWorkbenchDatabase(dir);
  const store = new SqliteWorkbenchStore(db);
  try {
    const actor = { user: 'rita@bank.example', roles: ['reconciler' as const] };
    const ids = db.prepare<[], { case_id: string }>('SELECT case_id FROM cases ORDER BY case_id').all();
    if (!reuse) {
      // Generated and imported a chunk at a time: at most CHUNK rows and their cases in memory.
      const at = '2026-11-22T09:00:00.000Z';
      let raised = 0;
      const [, importMs] = await timed(async () => {
        for (let from = 0, part = 0; from < count; from += CHUNK, part += 1) {
          const cases = casesOf('run-1', exceptionRows(from, Math.min(count, from + CHUNK), count, accounts), at);
          raised += (await importRunCases(store, { runId: `run-1/${part}`, coveredAccounts: new Set(), at }, cases)).raised;
        }
      });
      console.log(`\n${count.toLocaleString('en')} exceptions over ${accounts} accounts, SQLite WAL in ${dir}`);
      console.log(
        `import in chunks of ${CHUNK.toLocaleString('en')}: ${(importMs / 1000).toFixed(1)} s (${raised.toLocaleString('en')} cases; ${Math.round(raised / (importMs / 1000)).toLocaleString('en')} cases/s)`,
      );

      // Work a few percent: 1 in 50 resolved, 1 in 97 proposed for write-off (PENDING_APPROVAL), 1 in 89 assigned.
      // One at a time: a spread of 1M arguments overflows the stack.
      for (const row of db.prepare<[], { case_id: string }>('SELECT case_id FROM cases ORDER BY case_id').iterate()) ids.push(row);
      const [, workMs] = await timed(async () => {
        for (let i = 0; i < ids.length; i += 1) {
          if (i % 50 !== 0 && i % 97 !== 0 && i % 89 !== 0) continue;
          const current = (await store.get(ids[i]!.case_id))!;
          const action =
            i % 50 === 0
              ? ({ type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'cleared next day' } as const)
              : i % 97 === 0
                ? ({ type: 'propose-write-off', target: 'WRITE_OFF', note: 'below threshold' } as const)
                : ({ type: 'assign', assignee: actor.user } as const);
          const { next, event } = applyCaseAction(current, action, actor, at, current.version);
          await store.save(next, event);
        }
      });
      console.log(`worked ${Math.round(ids.length / 50 + ids.length / 97 + ids.length / 89).toLocaleString('en')} cases in ${(workMs / 1000).toFixed(1)} s`);
    } else console.log(`\n${ids.length.toLocaleString('en')} cases of the store in ${dir} (not imported by this run)`);
    const counts = await store.counts();
    console.log(`cases by status ${JSON.stringify(counts.byStatus)}`);
    const openCount = (counts.byStatus.OPEN ?? 0) + (counts.byStatus.PENDING_APPROVAL ?? 0);
    const accountId = (await store.get(ids[Math.floor(ids.length / 3)]!.case_id))!.accountId;

    const first: [string, CaseFilter][] = [];
    for (const sort of ['urgency', 'age'] as const) {
      first.push(
        [`${sort}: open + pending`, { status: OPEN, sort }],
        [`${sort}: open + pending, STALE`, { status: OPEN, reason: 'STALE', sort }],
        [`${sort}: open + pending, one account`, { status: OPEN, accountId, sort }],
        [`${sort}: open + pending, assigned to one`, { status: OPEN, assignee: actor.user, sort }],
      );
    }
    console.log(`\nquery plans of the store's list (index seeks; TEMP B-TREE: the merge of the ranges, or an account's few cases sorted):`);
    for (const [label, filter] of first) console.log(`  ${label.padEnd(40)} ${await listPlan(db, store, filter)}`);
    console.log(
      `  ${'urgency: open + pending, after a cursor'.padEnd(40)} ${await listPlan(db, store, { status: OPEN, sort: 'urgency', after: pageCursor((await store.list({ status: OPEN, sort: 'urgency', limit: 1 }))[0]!, 'urgency') })}`,
    );

    console.log(`\nms per request (${times} repetitions; ${PAGE} cases a page)     p50      p95      p99`);
    for (const [label, filter] of first) console.log(line(`first page, ${label}`, await repeat(times, () => store.list({ ...filter, limit: PAGE }))));
    console.log(line('first page, search a reference (common: "br4")', await repeat(times, () => store.list({ status: OPEN, search: 'br4', limit: PAGE }))));
    console.log(line('first page, search a rare reference ("br424242")', await repeat(times, () => store.list({ status: OPEN, search: 'br424242', limit: PAGE }))));
    // The trigram index (3+ characters): the urgency order, a next page by cursor; 1–2 characters still read the search index through.
    console.log(line('first page, search "br4", urgency order', await repeat(times, () => store.list({ status: OPEN, search: 'br4', sort: 'urgency', limit: PAGE }))));
    const firstHits = await store.list({ status: OPEN, search: 'br4', limit: PAGE });
    const hitsAfter = firstHits.length ? pageCursor(firstHits[firstHits.length - 1]!, 'age') : undefined;
    if (hitsAfter) console.log(line('second page, search "br4" (cursor)', await repeat(times, () => store.list({ status: OPEN, search: 'br4', limit: PAGE, after: hitsAfter }))));
    console.log(line(`first page, search 2 characters "br" (${scanTimes} reps)`, await repeat(scanTimes, () => store.list({ status: OPEN, search: 'br', limit: PAGE }))));
    console.log(line(`dashboard figures (REC-DASH-1, ${scanTimes} reps)`, await repeat(scanTimes, async () => dashboardData(await store.runStats(), await store.openCaseAges()))));

    // A full walk by cursor in the default order: every open case once, in order; cursors kept at the deep pages.
    const lastPage = Math.ceil(openCount / PAGE) - 1;
    const deep = [1, 10, 100, Math.floor(lastPage / 2), lastPage].filter((p, i, all) => p > 0 && all.indexOf(p) === i);
    const cursors = new Map<number, string>();
    let seen = 0;
    let pages = 0;
    let previous: ExceptionCase | undefined;
    let after: string | undefined;
    const ids2 = new Set<string>();
    const order = (a: ExceptionCase, b: ExceptionCase): number => {
      const [x, y] = [sortKeyOf(a, 'urgency'), sortKeyOf(b, 'urgency')];
      if (x.sort === 'urgency' && y.sort === 'urgency' && x.dueDay !== y.dueDay) return x.dueDay < y.dueDay ? -1 : 1;
      if (x.ageDays !== y.ageDays) return y.ageDays - x.ageDays;
      return x.caseId < y.caseId ? -1 : 1;
    };
    // Only the store's calls are timed (the order check computes two due dates a case).
    const walkSamples: number[] = [];
    await timed(async () => {
      do {
        if (after && deep.includes(pages)) cursors.set(pages, after);
        const from = after;
        const [page, pageMs] = await timed(() => store.list({ status: OPEN, sort: 'urgency', limit: PAGE, ...(from ? { after: from } : {}) }));
        walkSamples.push(pageMs);
        for (const c of page) {
          if (ids2.has(c.caseId)) throw new Error(`the cursor walk saw case ${c.caseId} twice`);
          if (previous && order(previous, c) >= 0) throw new Error(`the cursor walk is out of order at ${c.caseId}`);
          ids2.add(c.caseId);
          previous = c;
        }
        seen += page.length;
        after = page.length === PAGE ? pageCursor(page[page.length - 1]!, 'urgency') : undefined;
        pages += 1;
      } while (after);
    });
    if (seen !== openCount) throw new Error(`the cursor walk saw ${seen} cases, not the ${openCount} open ones`);
    ids2.clear();
    const walkMs = walkSamples.reduce((sum, ms) => sum + ms, 0);
    console.log(
      `\ncursor walk of every open case (urgency order): ${pages.toLocaleString('en')} pages, ${seen.toLocaleString('en')} cases each once in order; the store's calls ${(walkMs / 1000).toFixed(1)} s`,
    );
    console.log(line('every page of the walk', walkSamples));
    console.log(`\nms per request (${times} repetitions; ${PAGE} cases a page)     p50      p95      p99`);
    for (const pageNo of deep) {
      const at = cursors.get(pageNo);
      if (!at) continue;
      console.log(
        line(
          `page ${pageNo.toLocaleString('en')} (after ${(pageNo * PAGE).toLocaleString('en')}), open + pending`,
          await repeat(times, () => store.list({ status: OPEN, sort: 'urgency', limit: PAGE, after: at })),
        ),
      );
      console.log(
        line(`page ${pageNo.toLocaleString('en')} position, open + pending, STALE`, await repeat(times, () => store.list({ status: OPEN, reason: 'STALE', sort: 'urgency', limit: PAGE, after: at }))),
      );
    }

    // The CSV export of every open case through the app: a cursor walk of 1,000-case pages, streamed.
    const app = createWorkbenchApp({ store, authenticator: { authenticate: async () => actor }, clock: { now: () => new Date() }, csrfSecret: 'bench' });
    const [bytes, exportMs] = await timed(async () => {
      const response = await app.fetch(new Request('http://workbench.bench/cases.csv'));
      let total = 0;
      for await (const chunk of response.body!) total += (chunk as Uint8Array).byteLength;
      return total;
    });
    console.log(
      `\nCSV export of every open case (streamed): ${(exportMs / 1000).toFixed(1)} s, ${(bytes / 1e6).toFixed(0)} MB; peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );

    const detail: number[] = [];
    const comment: number[] = [];
    for (let i = 0; i < 1000; i += 1) {
      const caseId = ids[(i * 977) % ids.length]!.case_id;
      const [pair, readMs] = await timed(async () => Promise.all([store.get(caseId), store.history(caseId)]));
      detail.push(readMs);
      const current = pair[0]!;
      const { next, event } = applyCaseAction(current, { type: 'comment', note: `checked ${i}` }, actor, new Date().toISOString(), current.version);
      comment.push((await timed(() => store.save(next, event)))[1]);
    }
    console.log(line('case + history', detail));
    console.log(line('comment (conditional write + history)', comment));
    // A store written before the trigram index: opening it builds the index once from the cases.
    db.exec('DROP TABLE case_search; DROP TABLE case_keys;');
    const [, buildMs] = await timed(() => new SqliteWorkbenchStore(db));
    console.log(`open a store without the trigram index (built once from ${ids.length.toLocaleString('en')} cases): ${(buildMs / 1000).toFixed(1)} s`);
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    const usage = process.cpuUsage();
    console.log(`CPU (user + sys): ${((usage.user + usage.system) / 1e6).toFixed(1)} s`);
    console.log(calibrationLine(calibrate()));
  } finally {
    db.close();
    if (!reuse && !process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

void main();
