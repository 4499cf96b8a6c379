/**
 * npm run bench:workbench: the exceptions workbench at a big run's scale, on the embedded SQLite
 * store (`<out>/workbench.db`, durable, WAL). It imports N exception cases (default 1,000,000 over
 * 2,000 accounts), generated and imported in chunks so the whole run is never in memory (each
 * chunk through the one case builder and importRunCases, the path a run's import takes), works a
 * few percent of them (resolved, proposed for write-off: other statuses), then times the list
 * pages finance opens, each with p50 / p95 / p99 over the repetitions:
 *   - the default list page (OPEN + PENDING_APPROVAL, oldest first, 200 a page) and a filtered page
 *     (the default statuses and one reason: the link of an "Open STALE" count), and by account;
 *   - deep pages by the store's OFFSET paging (what the list and the CSV export do today) and by a
 *     keyset cursor (age, case id) of the page before, the query proposed for the store (below),
 *     after a full walk of every open case page by page (each case exactly once, in order);
 *   - one case with its history, and a comment (one versioned conditional write + its history line).
 * Then peak RSS and the machine's calibration (bench/calibrate.ts) in the same run. A benchmark, not
 * a test: it asserts only that the cursor walk saw each open case once.
 *
 * The keyset query proposed for SqliteWorkbenchStore.list (REC-PERF-1; `keysetSql` below is it):
 * per status, two ordered index ranges cut at the cursor (age, case id), each limited to the page,
 * merged (an OR of the two cuts would not seek: it scans from the first page to the cursor):
 *   SELECT case_json, age_days, case_id FROM (
 *     SELECT * FROM (SELECT … FROM cases WHERE status = ? [AND reason = ?] [AND account_id = ?] AND age_days = ? AND case_id > ?
 *       ORDER BY age_days DESC, case_id LIMIT ?)
 *     UNION ALL SELECT * FROM (… AND age_days < ? ORDER BY age_days DESC, case_id LIMIT ?)
 *     UNION ALL … (the same two per status)
 *   ) ORDER BY age_days DESC, case_id LIMIT ?
 * over the indexes (status, age_days DESC, case_id) (there), (status, reason, age_days DESC, case_id)
 * and (status, account_id, age_days DESC, case_id) (proposed: created here after the store's own
 * figures are taken).
 *
 *   npm run bench:workbench
 *   npm run bench:workbench -- --count 100000 --repeat 100 --store-repeat 20
 *   npm run bench:workbench -- --db DIR     # time the store a run left in DIR (no import)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../src/adapters/embedded/workbench-store';
import { applyCaseAction, type CaseStatus, casesFromResult, type ExceptionCase, type ExceptionRow, resultFromRows, rowLookups } from '../src/recon/workbench/cases';
import { dashboardData } from '../src/recon/workbench/dashboard';
import { importRunCases } from '../src/recon/workbench/import-cases';
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
interface Cursor {
  ageDays: number;
  caseId: string;
}

/**
 * The proposed keyset page: per status, two ordered index ranges cut at the cursor (the rest of the
 * cursor's age after its case id, then the younger ages), each limited to the page, merged.
 */
function keysetPage(db: Db, filter: Pick<CaseFilter, 'reason' | 'accountId'> & { status: readonly CaseStatus[] }, cursor: Cursor | undefined, limit = PAGE): { rows: ExceptionCase[]; next?: Cursor } {
  const { sql, params } = keysetSql(filter, cursor, limit);
  const rows = db.prepare<(string | number)[], { case_json: string; age_days: number; case_id: string }>(sql).all(...params);
  const last = rows.at(-1);
  return { rows: rows.map((row) => JSON.parse(row.case_json) as ExceptionCase), ...(last && rows.length === limit ? { next: { ageDays: last.age_days, caseId: last.case_id } } : {}) };
}

function keysetSql(filter: Pick<CaseFilter, 'reason' | 'accountId'> & { status: readonly CaseStatus[] }, cursor: Cursor | undefined, limit = PAGE): { sql: string; params: (string | number)[] } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  const range = (status: CaseStatus, cut: string, cutParams: (string | number)[]): void => {
    const where = ['status = ?'];
    params.push(status);
    if (filter.reason) {
      where.push('reason = ?');
      params.push(filter.reason);
    }
    if (filter.accountId) {
      where.push('account_id = ?');
      params.push(filter.accountId);
    }
    if (cut) {
      where.push(cut);
      params.push(...cutParams);
    }
    parts.push(`SELECT * FROM (SELECT case_json, age_days, case_id FROM cases WHERE ${where.join(' AND ')} ORDER BY age_days DESC, case_id LIMIT ?)`);
    params.push(limit);
  };
  for (const status of filter.status) {
    if (!cursor) range(status, '', []);
    else {
      range(status, 'age_days = ? AND case_id > ?', [cursor.ageDays, cursor.caseId]);
      range(status, 'age_days < ?', [cursor.ageDays]);
    }
  }
  params.push(limit);
  return { sql: `SELECT case_json, age_days, case_id FROM (${parts.join(' UNION ALL ')}) ORDER BY age_days DESC, case_id LIMIT ?`, params };
}

function line(label: string, samples: number[], extra = ''): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label.padEnd(52)} ${percentile(sorted, 50).toFixed(2).padStart(8)} ${percentile(sorted, 95).toFixed(2).padStart(8)} ${percentile(sorted, 99).toFixed(2).padStart(8)}${extra}`;
}

async function repeat(times: number, work: () => Promise<unknown> | unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) samples.push((await timed(work))[1]);
  return samples;
}

function plan(db: Db, sql: string, ...params: (string | number)[]): string {
  return db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((row) => (row as { detail: string }).detail)
    .join(' | ');
}

async function main(): Promise<void> {
  const count = arg('count', 1_000_000);
  const accounts = arg('accounts', 2_000);
  const times = arg('repeat', 200);
  // The store's own queries sort every open case at this scale: fewer repetitions of them.
  const storeTimes = arg('store-repeat', 20);
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

      // Work a few percent: 1 in 50 resolved, 1 in 97 proposed for write-off (PENDING_APPROVAL).
      ids.push(...db.prepare<[], { case_id: string }>('SELECT case_id FROM cases ORDER BY case_id').all());
      const [, workMs] = await timed(async () => {
        for (let i = 0; i < ids.length; i += 1) {
          if (i % 50 !== 0 && i % 97 !== 0) continue;
          const current = (await store.get(ids[i]!.case_id))!;
          const action =
            i % 50 === 0
              ? ({ type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'cleared next day' } as const)
              : ({ type: 'propose-write-off', target: 'WRITE_OFF', note: 'below threshold' } as const);
          const { next, event } = applyCaseAction(current, action, actor, at, current.version);
          await store.save(next, event);
        }
      });
      console.log(`worked ${Math.round(ids.length / 50 + ids.length / 97).toLocaleString('en')} cases in ${(workMs / 1000).toFixed(1)} s`);
    } else console.log(`\n${ids.length.toLocaleString('en')} cases of the store in ${dir} (not imported by this run)`);
    const counts = await store.counts();
    console.log(`cases by status ${JSON.stringify(counts.byStatus)}`);
    const openCount = (counts.byStatus.OPEN ?? 0) + (counts.byStatus.PENDING_APPROVAL ?? 0);
    const accountId = (await store.get(ids[Math.floor(ids.length / 3)]!.case_id))!.accountId;

    const defaultFilter: CaseFilter = { status: OPEN };
    const reasonFilter: CaseFilter = { status: OPEN, reason: 'STALE' };
    const accountFilter: CaseFilter = { status: OPEN, accountId };
    console.log(`\nquery plans (the store's own SQL today):`);
    console.log(`  default  ${plan(db, 'SELECT case_json FROM cases WHERE status IN (?, ?) ORDER BY age_days DESC, case_id LIMIT 200 OFFSET 0', ...OPEN)}`);
    console.log(`  reason   ${plan(db, 'SELECT case_json FROM cases WHERE status IN (?, ?) AND reason = ? ORDER BY age_days DESC, case_id LIMIT 200 OFFSET 0', ...OPEN, 'STALE')}`);

    console.log(`\nms per request (${storeTimes} repetitions; ${PAGE} cases a page)     p50      p95      p99`);
    console.log(line('store.list: default page (open + pending, oldest)', await repeat(storeTimes, () => store.list(defaultFilter))));
    console.log(line('store.list: filtered page (open + pending, STALE)', await repeat(storeTimes, () => store.list(reasonFilter))));
    console.log(line('store.list: by account (open + pending)', await repeat(storeTimes, () => store.list(accountFilter))));
    console.log(line('store.list: search a reference', await repeat(Math.min(storeTimes, 10), () => store.list({ search: 'br4242' }))));
    const deep = [10, 100, Math.floor(openCount / PAGE / 2), Math.floor(openCount / PAGE) - 1].filter((p, i, all) => p > 0 && all.indexOf(p) === i);
    // A deep OFFSET page reads every case before it (seconds each at 1M): three repetitions of those.
    for (const pageNo of deep) {
      console.log(
        line(
          `store.list: OFFSET page ${pageNo} (offset ${(pageNo * PAGE).toLocaleString('en')})`,
          await repeat(pageNo > 100 ? 3 : Math.min(storeTimes, 10), () => store.list({ ...defaultFilter, offset: pageNo * PAGE })),
        ),
      );
    }
    console.log(line('dashboard figures (REC-DASH-1)', await repeat(storeTimes, async () => dashboardData(await store.runStats(), await store.openCaseAges()))));

    // The proposed indexes, then the keyset pages.
    const [, indexMs] = await timed(() =>
      db.exec(`CREATE INDEX IF NOT EXISTS cases_by_status_reason ON cases (status, reason, age_days DESC, case_id);
        CREATE INDEX IF NOT EXISTS cases_by_status_account ON cases (status, account_id, age_days DESC, case_id);`),
    );
    db.exec('ANALYZE');
    console.log(`\nproposed indexes (status, reason, age, id) and (status, account, age, id) built in ${(indexMs / 1000).toFixed(1)} s`);
    const explain = (filter: Parameters<typeof keysetSql>[0]) => {
      const { sql, params } = keysetSql(filter, { ageDays: 60, caseId: 'x' });
      return plan(db, sql, ...params);
    };
    console.log(`  keyset default  ${explain({ status: OPEN })}`);
    console.log(`  keyset reason   ${explain({ status: OPEN, reason: 'STALE' })}`);

    // A full walk by cursor: every open case once, in order; cursors kept at the deep pages.
    const cursors = new Map<number, Cursor>();
    const seen = new Set<string>();
    let pages = 0;
    let previous: ExceptionCase | undefined;
    let cursor: Cursor | undefined;
    const [, walkMs] = await timed(() => {
      do {
        if (deep.includes(pages) && cursor) cursors.set(pages, cursor);
        const page = keysetPage(db, { status: OPEN }, cursor);
        for (const c of page.rows) {
          if (seen.has(c.caseId)) throw new Error(`the cursor walk saw case ${c.caseId} twice`);
          if (previous && (previous.ageDays < c.ageDays || (previous.ageDays === c.ageDays && previous.caseId > c.caseId))) throw new Error(`the cursor walk is out of order at ${c.caseId}`);
          seen.add(c.caseId);
          previous = c;
        }
        cursor = page.next;
        pages += 1;
      } while (cursor);
    });
    if (seen.size !== openCount) throw new Error(`the cursor walk saw ${seen.size} cases, not the ${openCount} open ones`);
    console.log(
      `\ncursor walk of every open case: ${pages.toLocaleString('en')} pages, ${seen.size.toLocaleString('en')} cases each once in order, ${(walkMs / 1000).toFixed(1)} s (${(walkMs / pages).toFixed(2)} ms a page)`,
    );
    seen.clear();

    console.log(`\nms per request (${times} repetitions; ${PAGE} cases a page)     p50      p95      p99`);
    console.log(line('keyset: default page (open + pending, oldest)', await repeat(times, () => keysetPage(db, { status: OPEN }, undefined))));
    console.log(line('keyset: filtered page (open + pending, STALE)', await repeat(times, () => keysetPage(db, { status: OPEN, reason: 'STALE' }, undefined))));
    console.log(line('keyset: by account (open + pending)', await repeat(times, () => keysetPage(db, { status: OPEN, accountId }, undefined))));
    for (const pageNo of deep) {
      const at = cursors.get(pageNo);
      if (at) console.log(line(`keyset: cursor page ${pageNo} (after ${(pageNo * PAGE).toLocaleString('en')})`, await repeat(times, () => keysetPage(db, { status: OPEN }, at))));
    }
    console.log(line('store.list: default page with the proposed indexes', await repeat(storeTimes, () => store.list(defaultFilter))));
    console.log(line('store.list: filtered page with the proposed indexes', await repeat(storeTimes, () => store.list(reasonFilter))));

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
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    const usage = process.cpuUsage();
    console.log(`CPU (user + sys): ${((usage.user + usage.system) / 1e6).toFixed(1)} s`);
    console.log(calibrationLine(calibrate()));
  } finally {
    db.close();
    if (!reuse) rmSync(dir, { recursive: true, force: true });
  }
}

void main();
