/**
 * WB-1, REC-PERF-1: a big first import builds its reference search index on its own thread
 * (search-index.thread.ts) and writes the index's rows into the store's empty one. The store it
 * leaves is the one the import leaves on one thread (LEDGERLINE_MAIN_THREAD=1, the index filled
 * by SQL): the same shadow tables row for row, the same cases, keys and list and search answers;
 * and the index stays a working FTS5 index on the same connection afterwards (a case whose search
 * text changes is found by its new text only, FTS5's integrity check passes) and when reopened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { buildSearchIndexRows, CASE_SEARCH_SHADOWS, writeSearchIndexRows } from '../../../src/adapters/embedded/workbench-search';
import type { ExceptionCase } from '../../../src/recon/workbench/cases';
import { importRunCases } from '../../../src/recon/workbench/import-cases';
import type { StateDatabase } from '../../../src/adapters/embedded/database';
import * as threads from '../../../src/adapters/embedded/threads';
import * as workerThreads from 'node:worker_threads';
import { expectEqualData } from '../../support/equal-data';

jest.mock('node:worker_threads', () => {
  const actual = jest.requireActual('node:worker_threads');
  return { ...actual, receiveMessageOnPort: jest.fn(actual.receiveMessageOnPort) };
});
jest.mock('../../../src/adapters/embedded/threads', () => {
  const actual = jest.requireActual('../../../src/adapters/embedded/threads');
  return { ...actual, startThread: jest.fn(actual.startThread) };
});

const REASONS = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'STALE', 'PROPOSED_MATCH'];
const COUNT = 10_500;

/** Generated cases of one run: lone exceptions and proposed matches over a few accounts, with references and entries. */
function generatedCases(count: number): ExceptionCase[] {
  const cases: ExceptionCase[] = [];
  for (let i = 0; i < count; i += 1) {
    const line = `f1e2d3c4b5a6:${Math.floor(i / 1000)}:${i % 1000}`;
    const match = i % 5 === 4;
    cases.push({
      caseId: match ? `match:m-${(i * 7919) % 100_003}` : `exception:statement:${line}`,
      kind: match ? 'proposed-match' : 'exception',
      runId: 'run-1',
      asOf: '2026-03-10',
      side: match ? 'both' : 'statement',
      reason: REASONS[i % REASONS.length]!,
      accountId: `GB${10 + (i % 7)}LDGL000${i % 7}`,
      currency: i % 3 ? 'EUR' : 'GBP',
      amount: `${i % 2 ? '-' : ''}${(i * 37) % 20_000}.${String(i % 100).padStart(2, '0')}`,
      ageDays: (i * 13) % 90,
      statementLineId: line,
      ...(i % 4 ? { bankReference: `BR${(i * 31).toString(36).toUpperCase()}` } : {}),
      ledgerEntryIds: i % 3 ? [`LE${String(i).padStart(9, '0')}`] : [],
      status: 'OPEN',
      version: 1,
      updatedAt: '2026-03-10T06:00:00.000Z',
    });
  }
  return cases;
}

type SearchShadowTable = (typeof CASE_SEARCH_SHADOWS)[number];

function shadowRows(db: StateDatabase, table: SearchShadowTable): unknown[][] {
  return db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).raw().all() as unknown[][];
}

const TERMS = ['br1', 'f1e2d3c4b5a6:3:1', 'le000001', 'match:m-9', 'exception:statement:f1e2d3c4b5a6:9:99', 'gb1', 'zzz', ':1'];

async function answers(store: SqliteWorkbenchStore): Promise<string[][]> {
  const pages: string[][] = [];
  for (const search of TERMS) {
    for (const sort of ['age', 'urgency'] as const) pages.push((await store.list({ search, sort, limit: 50 })).map((c) => c.caseId));
  }
  pages.push((await store.list({ reason: 'STALE', sort: 'urgency', limit: 100 })).map((c) => c.caseId));
  return pages;
}

describe('a big first import with its search index built on its own thread (REC-PERF-1)', () => {
  const dirs: string[] = [];
  const opened: StateDatabase[] = [];
  afterAll(() => {
    for (const db of opened) if (db.open) db.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function store(env: NodeJS.ProcessEnv): { db: StateDatabase; store: SqliteWorkbenchStore; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerline-search-thread-'));
    dirs.push(dir);
    const db = openWorkbenchDatabase(dir);
    opened.push(db);
    return { db, dir, store: new SqliteWorkbenchStore(db, undefined, undefined, { searchThreadFrom: 10_000, env }) };
  }

  it('leaves the store the import leaves on one thread: the same index row for row, the same answers, before and after later writes', async () => {
    const cases = generatedCases(COUNT);
    const started = threads.startThread as jest.Mock;
    started.mockClear();
    const threaded = store({});
    await importRunCases(threaded.store, { runId: 'run-1', coveredAccounts: new Set(), at: '2026-03-10T06:00:00.000Z' }, cases);
    // The thread was used, and its index is what the import took (not the one-thread fill it falls back to).
    expect(started).toHaveBeenCalledTimes(1);
    const received = (workerThreads.receiveMessageOnPort as jest.Mock).mock.results.map((result) => result.value?.message);
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].rows.docsize)).toHaveLength(COUNT);
    const single = store({ LEDGERLINE_MAIN_THREAD: '1' });
    await importRunCases(single.store, { runId: 'run-1', coveredAccounts: new Set(), at: '2026-03-10T06:00:00.000Z' }, cases);
    expect(started).toHaveBeenCalledTimes(1);

    for (const table of CASE_SEARCH_SHADOWS) expectEqualData(shadowRows(threaded.db, table), shadowRows(single.db, table));
    for (const table of ['cases', 'case_keys', 'case_events', 'open_rows', 'open_row_refs']) {
      const all = (db: StateDatabase) => db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).raw().all();
      expectEqualData(all(threaded.db), all(single.db));
    }
    const before = await answers(single.store);
    expect(before.some((page) => page.length > 0)).toBe(true);
    expect(await answers(threaded.store)).toEqual(before);

    // Later writes on the same connections: a case whose search text changes is found by its new text only.
    for (const { store: s } of [threaded, single]) {
      const c = (await s.get(cases[1]!.caseId))!;
      await s.save({ ...c, ledgerEntryIds: ['le-replaced-entry'], version: 2 }, { caseId: c.caseId, version: 2, action: 'comment', actor: 'rita', at: '2026-03-11T00:00:00.000Z', to: 'OPEN' });
    }
    for (const { store: s, db } of [threaded, single]) {
      expect((await s.list({ search: 'le-replaced', limit: 5 })).map((c) => c.caseId)).toEqual([cases[1]!.caseId]);
      expect(await s.list({ search: cases[1]!.ledgerEntryIds[0]!.toLowerCase(), limit: 5 })).toEqual([]);
      expect(() => db.prepare("INSERT INTO case_search (case_search, rank) VALUES ('integrity-check', 0)").run()).not.toThrow();
    }
    for (const table of CASE_SEARCH_SHADOWS) expectEqualData(shadowRows(threaded.db, table), shadowRows(single.db, table));

    // Reopened, the index answers the same.
    threaded.db.close();
    const reopened = openWorkbenchDatabase(threaded.dir);
    opened.push(reopened);
    expect(await answers(new SqliteWorkbenchStore(reopened))).toEqual(await answers(single.store));
  });

  it('the index built apart is the index FTS5 builds in the store, row for row, and written into an empty index it is that index', () => {
    const texts = ['exception:statement:a:1\na:1\nbr1\nle1', 'match:m-1\nb:2\n\nle2\nle3', 'x'.repeat(3000), '', 'é€😀\nüñï'];
    const built = store({ LEDGERLINE_MAIN_THREAD: '1' });
    const insert = built.db.prepare('INSERT INTO case_search (rowid, search_text) VALUES (?, ?)');
    built.db.transaction(() => texts.forEach((text, i) => insert.run(41 + i, text)))();
    const written = store({ LEDGERLINE_MAIN_THREAD: '1' });
    written.db.unsafeMode(true);
    written.db.transaction(() => writeSearchIndexRows(written.db, buildSearchIndexRows(texts, 41)))();
    written.db.unsafeMode(false);
    for (const table of CASE_SEARCH_SHADOWS) expectEqualData(shadowRows(written.db, table), shadowRows(built.db, table));
    const found = (db: StateDatabase, term: string) => db.prepare('SELECT rowid FROM case_search WHERE case_search MATCH ? ORDER BY rowid').pluck().all(`"${term}"`);
    for (const term of ['br1', 'le', 'xxx', 'üñï', 'nothing']) expect(found(written.db, term)).toEqual(found(built.db, term));
    expect(found(written.db, 'br1')).toEqual([41]);
    expect(found(written.db, 'xxx')).toEqual([43]);
    expect(found(written.db, 'üñï')).toEqual([45]);
  });
});
