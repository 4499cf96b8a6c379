/**
 * SLA urgency in the store and the list: generated cases list by due date (most overdue first, then
 * oldest, then id) exactly as the pure dueDate orders them; n / p neighbours are the list's
 * adjacent cases; a refresh by a later run keeps the due date; a store written before due dates is
 * migrated; the list page marks overdue cases and sorts by urgency unless asked for age.
 */
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { type ExceptionCase, planImport } from '../../../src/recon/workbench/cases';
import { caseDueDate, defaultSlaRules } from '../../../src/recon/workbench/sla';
import { exceptionCase, memoryStore, raisedEvent, reconciler, steppingClock } from './helpers';
import { openMemoryDatabase } from '../../support/memory-database';

const REASONS = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'STALE', 'PROPOSED_MATCH'];

const caseArb = (i: number) =>
  fc
    .record({
      reason: fc.constantFrom(...REASONS),
      amount: fc.constantFrom('-7.00', '9999.99', '10000.00', '-250000.00', '12.34'),
      ageDays: fc.integer({ min: 0, max: 40 }),
      asOf: fc.constantFrom('2026-03-10', '2026-03-01', undefined),
    })
    .map((x) =>
      exceptionCase({
        caseId: `exception:statement:s${String(i).padStart(3, '0')}`,
        statementLineId: `s${i}`,
        reason: x.reason,
        amount: x.amount,
        ageDays: x.ageDays,
        ...(x.asOf ? { asOf: x.asOf } : {}),
      }),
    );
const casesArb = fc.integer({ min: 1, max: 25 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => caseArb(i))));

function urgencyOrder(cases: readonly ExceptionCase[]): string[] {
  const rules = defaultSlaRules();
  return [...cases]
    .sort((a, b) => {
      const [da, db] = [caseDueDate(a, rules), caseDueDate(b, rules)];
      if (da !== db) return da < db ? -1 : 1;
      if (a.ageDays !== b.ageDays) return b.ageDays - a.ageDays;
      return a.caseId < b.caseId ? -1 : 1;
    })
    .map((c) => c.caseId);
}

describe('urgency in the store', () => {
  it('lists by due date as the pure function orders them, and n / p are the adjacent cases (generated)', async () => {
    await fc.assert(
      fc.asyncProperty(casesArb, async (cases) => {
        const store = memoryStore();
        await store.applyImport('run', { raised: cases.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
        const listed = (await store.list({ sort: 'urgency', limit: 1000 })).map((c) => c.caseId);
        const expected = urgencyOrder(cases);
        expect(listed).toEqual(expected);
        for (let i = 0; i < expected.length; i += 1) {
          const around = await store.neighbours(expected[i]!);
          expect(around.previous).toBe(expected[i - 1]);
          expect(around.next).toBe(expected[i + 1]);
        }
        // The default order is still the oldest first.
        const byAge = (await store.list({ limit: 1000 })).map((c) => c.ageDays);
        expect(byAge).toEqual([...byAge].sort((a, b) => b - a));
      }),
      { numRuns: 40 },
    );
  });

  it('a later run refreshing a case (new as-of date, older age) keeps its due date', async () => {
    const store = memoryStore();
    const first = exceptionCase({ caseId: 'exception:statement:r1', asOf: '2026-03-10', ageDays: 2, reason: 'AMOUNT_MISMATCH' });
    await store.applyImport('run-1', planImport([], [first], { runId: 'run-1', coveredAccounts: new Set([first.accountId]) }, 'a'));
    const later = { ...first, runId: 'run-2', asOf: '2026-03-12', ageDays: 4 };
    const plan = planImport([(await store.get(first.caseId))!], [later], { runId: 'run-2', coveredAccounts: new Set([first.accountId]) }, 'b');
    expect(plan.refreshed).toHaveLength(1);
    await store.applyImport('run-2', plan);
    const stored = (await store.get(first.caseId))!;
    expect([stored.asOf, stored.ageDays]).toEqual(['2026-03-12', 4]);
    expect(caseDueDate(stored)).toBe(caseDueDate(first));
    expect(caseDueDate(first)).toBe('2026-03-11');
  });

  it('migrates a store written before due dates: the column is added and filled', async () => {
    const db = openMemoryDatabase() as unknown as Database.Database;
    db.exec(`CREATE TABLE cases (case_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT NOT NULL, account_id TEXT NOT NULL, assignee TEXT,
      age_days INTEGER NOT NULL, version INTEGER NOT NULL, search_text TEXT NOT NULL, case_json TEXT NOT NULL) WITHOUT ROWID`);
    const old = [
      exceptionCase({ caseId: 'exception:statement:old-1', reason: 'UNMATCHED', ageDays: 1, updatedAt: '2026-03-10T00:00:00.000Z' }),
      exceptionCase({ caseId: 'exception:statement:old-2', reason: 'DUPLICATE', ageDays: 0, updatedAt: '2026-03-10T00:00:00.000Z' }),
    ];
    for (const c of old) db.prepare('INSERT INTO cases VALUES (?, ?, ?, ?, NULL, ?, 1, ?, ?)').run(c.caseId, c.status, c.reason, c.accountId, c.ageDays, c.caseId, JSON.stringify(c));
    const store = new SqliteWorkbenchStore(db as never, steppingClock());
    // DUPLICATE is due the next day, UNMATCHED five days after its opening: the duplicate first.
    expect((await store.list({ sort: 'urgency' })).map((c) => c.caseId)).toEqual(['exception:statement:old-2', 'exception:statement:old-1']);
    expect(db.prepare('SELECT due_day FROM cases ORDER BY case_id').all()).toEqual([{ due_day: '2026-03-14' }, { due_day: '2026-03-11' }]);
  });
});

describe('the list page', () => {
  async function page(query: Record<string, string>) {
    const store = memoryStore();
    const overdue = exceptionCase({ caseId: 'exception:statement:dup', reason: 'DUPLICATE', asOf: '2026-03-10', ageDays: 3, amount: '-1.00' });
    const old = exceptionCase({ caseId: 'exception:statement:old', reason: 'UNMATCHED', asOf: '2026-03-10', ageDays: 4, amount: '-2.00' });
    const fresh = exceptionCase({ caseId: 'exception:statement:new', reason: 'UNMATCHED', asOf: '2026-03-10', ageDays: 0, amount: '-3.00' });
    for (const c of [overdue, old, fresh]) await store.save(c, raisedEvent(c));
    const app = createWorkbenchApp({ store, authenticator: { authenticate: async () => reconciler }, clock: steppingClock('2026-03-10T12:00:00.000Z'), csrfSecret: 's' });
    return app({ method: 'GET', path: '/cases', query, headers: {}, body: '' });
  }
  const ids = (body: string) => [...body.matchAll(/<td class="id"><a href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);

  it('sorts by urgency by default, with due and overdue markers', async () => {
    const response = await page({});
    expect(response.status).toBe(200);
    // DUPLICATE opened 2026-03-07 was due 03-08 (overdue); UNMATCHED opened 03-06 is due 03-11 (soon); opened 03-10 due 03-15.
    expect(ids(response.body)).toEqual(['exception:statement:dup', 'exception:statement:old', 'exception:statement:new']);
    expect(response.body).toContain('<span class="sla sla-overdue" title="due 2026-03-08">Overdue</span> <span class="muted">2026-03-08 (2 d overdue)</span>');
    expect(response.body).toContain('<span class="sla sla-due-soon" title="due 2026-03-11">Due soon</span>');
    expect(response.body).toContain('<span class="sla sla-on-track" title="due 2026-03-15">On track</span>');
  });

  it('sorts by age when asked; refuses another order naming it', async () => {
    expect(ids((await page({ sort: 'age' })).body)).toEqual(['exception:statement:old', 'exception:statement:dup', 'exception:statement:new']);
    const bad = await page({ sort: 'amount' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('parameter &quot;sort&quot; must be one of urgency, age; got &quot;amount&quot;');
  });
});
