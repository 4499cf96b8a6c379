/**
 * The embedded store (SqliteWorkbenchStore) under the WorkbenchStore paging contract
 * (store-contract.ts): keyset paging by cursor, for every filter, in both orders. And what only
 * SQLite has: each list query reads its index ranges by seeks from the cursor (its query plan,
 * not a timing: the speed is bench/workbench.bench.ts's), and a workbench.db written before
 * keyset paging gets the new indexes in place of the old ones when it is opened.
 */
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { pageCursor } from '../../../src/recon/workbench/cursor';
import type { CaseFilter } from '../../../src/recon/workbench/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { exceptionCase, memoryStore, raisedEvent, steppingClock } from './helpers';
import { queryPlanOf } from './support/query-plan';
import { workbenchStoreCursorContract } from './store-contract';

workbenchStoreCursorContract('SqliteWorkbenchStore', async () => memoryStore(), { runs: 60 });

const LIST_INDEXES = [
  'cases_by_account_due',
  'cases_by_account_status',
  'cases_by_assignee_due',
  'cases_by_assignee_status',
  'cases_by_due',
  'cases_by_search',
  'cases_by_status',
  'cases_by_status_reason',
  'cases_by_status_reason_due',
];

describe('SqliteWorkbenchStore list: index seeks from the cursor', () => {
  const db = openMemoryDatabase();
  const store = new SqliteWorkbenchStore(db, steppingClock());
  const c = exceptionCase({ assignee: 'rita@bank.example' });

  const planOf = (filter: CaseFilter): Promise<string[]> => queryPlanOf(db, store, filter);

  const shapes: [string, CaseFilter, string][] = [];
  for (const sort of ['age', 'urgency'] as const) {
    const by = (age: string, due: string) => (sort === 'age' ? age : due);
    shapes.push(
      [`${sort}, by status`, { status: ['OPEN', 'PENDING_APPROVAL'], sort }, by('cases_by_status', 'cases_by_due')],
      [`${sort}, every status`, { sort }, by('cases_by_status', 'cases_by_due')],
      [`${sort}, by reason`, { status: ['OPEN'], reason: 'STALE', sort }, by('cases_by_status_reason', 'cases_by_status_reason_due')],
      [`${sort}, by account and reason`, { status: ['OPEN'], accountId: 'A', reason: 'STALE', sort }, by('cases_by_account_status', 'cases_by_account_due')],
      [`${sort}, by assignee and search`, { status: ['OPEN', 'RESOLVED'], assignee: 'rita@bank.example', search: 'br-', sort }, by('cases_by_assignee_status', 'cases_by_assignee_due')],
    );
  }

  it.each(shapes)('%s: every read of the cases is a SEARCH of the filter index, cut at the cursor; one sort at most (the merge of the ranges)', async (_label, filter, index) => {
    const sort = filter.sort ?? 'age';
    for (const after of [undefined, pageCursor(c, sort)]) {
      const plan = await planOf({ ...filter, ...(after ? { after } : {}), limit: after ? 17 : 19 });
      const reads = plan.filter((detail) => / cases\b/.test(detail));
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) expect(read).toMatch(new RegExp(`^SEARCH cases USING INDEX ${index} \\(`));
      expect(plan.filter((detail) => detail.includes('TEMP B-TREE')).length).toBeLessThanOrEqual(1);
      if (after) for (const read of reads) expect(read).toMatch(/(age_days[<=>]|due_day[<=>])/);
    }
  });

  // A term of 3+ characters reads the trigram index instead (store-search.test.ts).
  it.each(['age', 'urgency'] as const)(
    '%s, a search of 1–2 characters (with or without a reason): one pass over the covering search index per status, then only the page read from the cases',
    async (sort) => {
      for (const filter of [
        { status: ['OPEN', 'PENDING_APPROVAL'], search: 'br', sort },
        { status: ['OPEN'], reason: 'STALE', search: 'x', sort },
      ] as CaseFilter[]) {
        for (const after of [undefined, pageCursor(c, sort)]) {
          const plan = await planOf({ ...filter, ...(after ? { after } : {}), limit: after ? 13 : 11 });
          const reads = plan.filter((detail) => / cases\b/.test(detail));
          expect(reads).toHaveLength(filter.status!.length);
          for (const read of reads) expect(read).toMatch(/^SEARCH cases USING COVERING INDEX cases_by_search \(status=\?( AND reason=\?)?\)$/);
          expect(plan).toContain('SEARCH c USING PRIMARY KEY (case_id=?)');
        }
      }
    },
  );

  it('opens a store written before keyset paging: the single-column list indexes are replaced by the paging ones, and it pages', async () => {
    const old = openMemoryDatabase();
    new SqliteWorkbenchStore(old, steppingClock());
    for (const name of LIST_INDEXES) old.exec(`DROP INDEX ${name}`);
    old.exec(`CREATE INDEX cases_by_status ON cases (status, age_days DESC, case_id);
      CREATE INDEX cases_by_reason ON cases (reason);
      CREATE INDEX cases_by_account ON cases (account_id);
      CREATE INDEX cases_by_assignee ON cases (assignee) WHERE assignee IS NOT NULL;
      CREATE INDEX cases_by_due ON cases (status, due_day, age_days DESC, case_id);`);
    const cases = [0, 1, 2].map((i) => exceptionCase({ caseId: `exception:statement:old-${i}`, ageDays: i, reason: 'STALE' }));
    for (const one of cases)
      old.prepare("INSERT INTO cases VALUES (?, 'OPEN', 'STALE', ?, NULL, ?, '2025-03-01', 1, ?, ?)").run(one.caseId, one.accountId, one.ageDays, one.caseId, JSON.stringify(one));
    const reopened = new SqliteWorkbenchStore(old, steppingClock());
    const indexes = old.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL ORDER BY name").all();
    expect(indexes.map((row) => row.name)).toEqual(LIST_INDEXES);
    const first = await reopened.list({ status: ['OPEN'], reason: 'STALE', limit: 2 });
    expect(first.map((one) => one.caseId)).toEqual(['exception:statement:old-2', 'exception:statement:old-1']);
    expect((await reopened.list({ status: ['OPEN'], reason: 'STALE', limit: 2, after: pageCursor(first[1]!, 'age') })).map((one) => one.caseId)).toEqual(['exception:statement:old-0']);
  });

  it('a big first import drops and rebuilds the same indexes', async () => {
    const big = new SqliteWorkbenchStore(openMemoryDatabase(), steppingClock());
    const many = Array.from({ length: 10_000 }, (_, i) => exceptionCase({ caseId: `exception:statement:b${String(i).padStart(5, '0')}`, ageDays: i % 7 }));
    await big.applyImport('run-big', { raised: many.map((one) => ({ next: one, event: raisedEvent(one) })), refreshed: [], reopened: [], cleared: [] });
    const db2 = (big as unknown as { db: ReturnType<typeof openMemoryDatabase> }).db;
    const indexes = db2.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL ORDER BY name").all();
    expect(indexes.map((row) => row.name)).toEqual(LIST_INDEXES);
    const page = await big.list({ status: ['OPEN'], limit: 3, after: pageCursor(many[6]!, 'age') });
    expect(page.map((one) => one.caseId)).toEqual(['exception:statement:b00013', 'exception:statement:b00020', 'exception:statement:b00027']);
  });
});
