/**
 * The WorkbenchStore contract (WB-1, REC-CASE-1) beyond the list and import basics, run against
 * both adapters (SQLite in memory; DynamoDB on dynalite with the rehearsal's transactions): the
 * candidates' open rows (by reference, nearest amounts above and below, the case's own rows, only
 * OPEN cases' rows, following every status change), saveAll all or nothing, the urgency order,
 * n / p neighbours, cursor paging, the counts, and the as-of refresh of ages. Each is checked against a model
 * computed from the cases themselves (sla.ts, cursor.ts: the one definition of the orders).
 */
import { type CaseEvent, type ExceptionCase, applyCaseAction, planImport } from '../../../src/recon/workbench/cases';
import { minorOf, type OpenRow } from '../../../src/recon/workbench/candidates';
import { pageCursor } from '../../../src/recon/workbench/cursor';
import { type CandidateSource, type CaseFilter, type CaseNavigator, CaseVersionConflict, type WorkbenchStore } from '../../../src/recon/workbench/ports';
import { caseDueDate } from '../../../src/recon/workbench/sla';

export type FullWorkbenchStore = WorkbenchStore & CandidateSource & CaseNavigator;

export interface WorkbenchStoreAdapter {
  name: string;
  /** A fresh, empty store (default SLA rules). */
  open(): Promise<FullWorkbenchStore>;
}

const T0 = '2025-03-01T09:00:00.000Z';
const T1 = '2025-03-02T09:00:00.000Z';
const RECONCILER = { user: 'rita@bank.example', roles: ['reconciler'] as const };
const APPROVER = { user: 'anna@bank.example', roles: ['approver'] as const };

/** A small deterministic generator (mulberry32): the same cases on every adapter and run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function lone(side: 'statement' | 'ledger', id: string, overrides: Partial<ExceptionCase> = {}): ExceptionCase {
  return {
    caseId: `exception:${side}:${id}`,
    kind: 'exception',
    runId: 'run-1',
    asOf: '2025-03-01',
    side,
    reason: 'UNMATCHED',
    accountId: 'ACC-1',
    currency: 'EUR',
    amount: '10.00',
    ageDays: 3,
    ...(side === 'statement' ? { statementLineId: id } : {}),
    ledgerEntryIds: side === 'ledger' ? [id] : [],
    status: 'OPEN',
    version: 1,
    updatedAt: T0,
    ...overrides,
  };
}

function raised(c: ExceptionCase): CaseEvent {
  return { caseId: c.caseId, version: 1, action: 'import', actor: 'ledgerline', at: T0, to: 'OPEN', detail: `raised by run ${c.runId}` };
}

async function seed(store: WorkbenchStore, cases: readonly ExceptionCase[]): Promise<void> {
  await store.applyImport('run-1', { raised: cases.map((c) => ({ next: c, event: raised(c) })), refreshed: [], reopened: [], cleared: [] });
}

const bytes = (a: string, b: string) => (a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b)));
const rowIds = (rows: readonly OpenRow[]) => rows.map((row) => `${row.side}:${row.id}`).sort();

/** The list's orders, from the cases (the port's definition). */
function ordered(cases: readonly ExceptionCase[], sort: 'age' | 'urgency'): ExceptionCase[] {
  const due = (c: ExceptionCase) => (sort === 'urgency' ? caseDueDate(c) : '');
  return [...cases].sort((a, b) => bytes(due(a), due(b)) || b.ageDays - a.ageDays || bytes(a.caseId, b.caseId));
}

/** Open cases of many reasons, amounts, ages and as-of dates: every SLA rule and tie of the orders. */
function varied(count: number, seedValue: number): ExceptionCase[] {
  const next = random(seedValue);
  const reasons = ['UNMATCHED', 'DUPLICATE', 'AMOUNT_MISMATCH', 'STALE'];
  const amounts = ['5.00', '-12.50', '15000.00', '-20000.00', '0.01'];
  return Array.from({ length: count }, (_, i) =>
    lone(i % 3 === 0 ? 'ledger' : 'statement', `v${String(i).padStart(3, '0')}`, {
      reason: reasons[Math.floor(next() * reasons.length)]!,
      amount: amounts[Math.floor(next() * amounts.length)]!,
      ageDays: Math.floor(next() * 6),
      asOf: `2025-03-0${1 + Math.floor(next() * 3)}`,
      status: next() < 0.2 ? 'PENDING_APPROVAL' : next() < 0.1 ? 'RESOLVED' : 'OPEN',
      accountId: `ACC-${Math.floor(next() * 2)}`,
    }),
  );
}

/** Walks the filter's list page by page with `after`, `size` at a time. */
async function walk(store: WorkbenchStore, filter: CaseFilter, size: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 1000; pages += 1) {
    const page = await store.list({ ...filter, limit: size, ...(after ? { after } : {}) });
    seen.push(...page.map((c) => c.caseId));
    if (page.length < size) return seen;
    after = pageCursor(page[page.length - 1]!, filter.sort ?? 'age');
  }
  throw new Error('the walk did not end');
}

export function workbenchStoreContract(adapter: WorkbenchStoreAdapter): void {
  describe(`${adapter.name}: WorkbenchStore contract (candidates, saveAll, urgency, neighbours, cursor, refresh)`, () => {
    let store: FullWorkbenchStore;
    beforeEach(async () => {
      store = await adapter.open();
    });

    it("candidateRows: rows of the query's account, currency and side by reference, the nearest amounts above and below, and the case's own rows; nothing else", async () => {
      const next = random(7);
      // 30 ledger rows of ACC-1 EUR at distinct amounts, 3 carrying reference BATCH-9; others elsewhere.
      const ledger = Array.from({ length: 30 }, (_, i) => lone('ledger', `L${String(i).padStart(2, '0')}`, { amount: `${(i * 7 + Math.floor(next() * 5)) / 1}.00` }));
      const refRows = ['R1', 'R2', 'R3'].map((id, i) => lone('statement', id, { amount: `${900 + i}.00`, bankReference: 'batch-9' }));
      const elsewhere = [
        lone('ledger', 'X-ACC', { accountId: 'ACC-2', amount: '50.00' }),
        lone('ledger', 'X-CUR', { currency: 'GBP', amount: '50.00' }),
        lone('ledger', 'X-RES', { amount: '50.00', status: 'RESOLVED', version: 1 }),
      ];
      await seed(store, [...ledger, ...refRows, ...elsewhere]);
      const openLedger = ledger.map((c) => ({ id: c.ledgerEntryIds[0]!, minor: minorOf(c.amount, 'EUR')! }));
      const at = 50_00n;
      const above = openLedger
        .filter((row) => row.minor >= at)
        .sort((a, b) => Number(a.minor - b.minor))
        .slice(0, 4);
      const below = openLedger
        .filter((row) => row.minor < at)
        .sort((a, b) => Number(b.minor - a.minor))
        .slice(0, 4);
      const rows = await store.candidateRows({ accountId: 'ACC-1', currency: 'EUR', side: 'ledger', references: [], amountMinor: at, caseId: 'exception:statement:subject', limit: 4 });
      // Ties at the edge may pick either of equal amounts: compare amounts, then every row is of the query's kind.
      expect(rows.map((row) => minorOf(row.amount, 'EUR')!).sort((a, b) => Number(a - b))).toEqual([...below, ...above].map((row) => row.minor).sort((a, b) => Number(a - b)));
      expect(rows.every((row) => row.side === 'ledger' && row.accountId === 'ACC-1' && row.currency === 'EUR')).toBe(true);
      expect(new Set(rowIds(rows)).size).toBe(rows.length);

      const byReference = await store.candidateRows({ accountId: 'ACC-1', currency: 'EUR', side: 'statement', references: ['BATCH-9'], amountMinor: 1n, caseId: 'exception:ledger:L00', limit: 5 });
      expect(rowIds(byReference.filter((row) => row.references.length > 0))).toEqual(['statement:R1', 'statement:R2', 'statement:R3']);

      // The case's own rows of that side come back whatever the amount and reference (a grouped case's items).
      const own = await store.candidateRows({ accountId: 'ACC-1', currency: 'EUR', side: 'ledger', references: [], amountMinor: 10n ** 30n, caseId: 'exception:ledger:L07', limit: 1 });
      expect(rowIds(own)).toEqual(['ledger:L07']);
      // A resolved case's row, another account's and another currency's are never candidates.
      const near = await store.candidateRows({ accountId: 'ACC-1', currency: 'EUR', side: 'ledger', references: [], amountMinor: at, caseId: 'x', limit: 30 });
      expect(rowIds(near)).toEqual(rowIds(ledger.map((c) => ({ side: 'ledger', id: c.ledgerEntryIds[0]! }) as OpenRow)));
    });

    it("candidateRows follows the case's status: a resolved case's rows go, a reopened case's come back, a proposed write-off's are not offered", async () => {
      const a = lone('ledger', 'LA', { amount: '20.00' });
      const b = lone('ledger', 'LB', { amount: '21.00' });
      await seed(store, [a, b]);
      const query = { accountId: 'ACC-1', currency: 'EUR', side: 'ledger' as const, references: [], amountMinor: 20_00n, caseId: 'x', limit: 5 };
      expect(rowIds(await store.candidateRows(query))).toEqual(['ledger:LA', 'ledger:LB']);
      const resolved = applyCaseAction(a, { type: 'resolve', resolution: 'BANK_ERROR', note: 'bank fixed it' }, RECONCILER, T1, 1);
      await store.save(resolved.next, resolved.event);
      const proposed = applyCaseAction(b, { type: 'propose-write-off', note: 'fee' }, RECONCILER, T1, 1);
      await store.save(proposed.next, proposed.event);
      expect(await store.candidateRows(query)).toEqual([]);
      const reopened = applyCaseAction(resolved.next, { type: 'reopen', note: 'not fixed' }, RECONCILER, T1, 2);
      await store.save(reopened.next, reopened.event);
      const rejected = applyCaseAction(proposed.next, { type: 'reject-write-off', note: 'no' }, APPROVER, T1, 2);
      await store.save(rejected.next, rejected.event);
      expect(rowIds(await store.candidateRows(query))).toEqual(['ledger:LA', 'ledger:LB']);
    });

    it('saveAll writes every case and event or none: a stale version anywhere is a CaseVersionConflict naming it', async () => {
      const cases = ['S1', 'S2', 'S3'].map((id) => lone('statement', id));
      await seed(store, cases);
      const moved = applyCaseAction(cases[1]!, { type: 'comment', note: 'meanwhile' }, RECONCILER, T1, 1);
      await store.save(moved.next, moved.event);
      const writes = cases.map((c) => applyCaseAction(c, { type: 'resolve', resolution: 'MATCHED_MANUALLY', note: 'matched', ledgerEntryIds: ['L-1'] }, RECONCILER, T1, 1));
      const error = await store.saveAll(writes).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CaseVersionConflict);
      expect(error).toMatchObject({ caseId: cases[1]!.caseId, expectedVersion: 1 });
      for (const c of cases) expect((await store.get(c.caseId))!.status).toBe('OPEN');
      expect((await store.history(cases[0]!.caseId)).map((event) => event.version)).toEqual([1]);

      const fresh = [cases[0]!, moved.next, cases[2]!].map((c) =>
        applyCaseAction(c, { type: 'resolve', resolution: 'MATCHED_MANUALLY', note: 'matched', ledgerEntryIds: ['L-1'] }, RECONCILER, T1, c.version),
      );
      await store.saveAll(fresh);
      for (const { next } of fresh) {
        expect(await store.get(next.caseId)).toEqual(next);
        expect((await store.history(next.caseId)).at(-1)).toMatchObject({ action: 'resolve', version: next.version });
      }
      await expect(store.saveAll(fresh)).rejects.toBeInstanceOf(CaseVersionConflict);
    });

    it('lists by urgency (due day by the SLA rules, then oldest, then case id) and by age, as the model orders them', async () => {
      const cases = varied(40, 11);
      await seed(store, cases);
      for (const sort of ['age', 'urgency'] as const) {
        expect((await store.list({ sort })).map((c) => c.caseId)).toEqual(ordered(cases, sort).map((c) => c.caseId));
        const open = cases.filter((c) => c.status === 'OPEN');
        expect((await store.list({ sort, status: ['OPEN'] })).map((c) => c.caseId)).toEqual(ordered(open, sort).map((c) => c.caseId));
        const account = cases.filter((c) => c.accountId === 'ACC-1');
        expect((await store.list({ sort, accountId: 'ACC-1' })).map((c) => c.caseId)).toEqual(ordered(account, sort).map((c) => c.caseId));
      }
    });

    it('neighbours: the cases just before and after in the urgency order of OPEN and PENDING_APPROVAL cases', async () => {
      const cases = varied(25, 5);
      await seed(store, cases);
      const worked = ordered(
        cases.filter((c) => c.status === 'OPEN' || c.status === 'PENDING_APPROVAL'),
        'urgency',
      ).map((c) => c.caseId);
      for (let i = 0; i < worked.length; i += 1) {
        const expected = { ...(i > 0 ? { previous: worked[i - 1] } : {}), ...(i + 1 < worked.length ? { next: worked[i + 1] } : {}) };
        expect(await store.neighbours(worked[i]!)).toEqual(expected);
      }
      await expect(store.neighbours('exception:statement:nope')).resolves.toEqual({});
    });

    it('a cursor walk (`after`) visits every case once, in the order of one whole list, for both orders and under a filter', async () => {
      const cases = varied(33, 23);
      await seed(store, cases);
      for (const sort of ['age', 'urgency'] as const) {
        const whole = (await store.list({ sort, limit: 1000 })).map((c) => c.caseId);
        expect(await walk(store, { sort }, 7)).toEqual(whole);
        const filtered = (await store.list({ sort, status: ['OPEN', 'PENDING_APPROVAL'], limit: 1000 })).map((c) => c.caseId);
        expect(await walk(store, { sort, status: ['OPEN', 'PENDING_APPROVAL'] }, 4)).toEqual(filtered);
        expect(await walk(store, { sort, accountId: 'ACC-0' }, 5)).toEqual(
          ordered(
            cases.filter((c) => c.accountId === 'ACC-0'),
            sort,
          ).map((c) => c.caseId),
        );
      }
    });

    it('counts follow every import and action: cases by status, OPEN and PENDING_APPROVAL cases by reason and by age, as counted from the cases', async () => {
      const model = (cases: readonly ExceptionCase[]) => {
        const byStatus: Record<string, number> = {};
        const openByReason: Record<string, number> = {};
        for (const c of cases) {
          byStatus[c.status] = (byStatus[c.status] ?? 0) + 1;
          if (c.status === 'OPEN' || c.status === 'PENDING_APPROVAL') openByReason[c.reason] = (openByReason[c.reason] ?? 0) + 1;
        }
        return { byStatus, openByReason };
      };
      const ages = (cases: readonly ExceptionCase[]) => {
        const byAge = new Map<number, number>();
        for (const c of cases) if (c.status === 'OPEN' || c.status === 'PENDING_APPROVAL') byAge.set(c.ageDays, (byAge.get(c.ageDays) ?? 0) + 1);
        return [...byAge.entries()].sort(([a], [b]) => a - b).map(([ageDays, n]) => ({ ageDays, cases: n }));
      };
      const sortedAges = async () => [...(await store.openCaseAges())].sort((a, b) => a.ageDays - b.ageDays);
      const current = new Map<string, ExceptionCase>();
      const cases = varied(30, 3).map((c) => ({ ...c, status: 'OPEN' as const }));
      await seed(store, cases);
      for (const c of cases) current.set(c.caseId, c);
      expect(await store.counts()).toEqual(model([...current.values()]));
      expect(await sortedAges()).toEqual(ages([...current.values()]));
      const next = random(19);
      const act = async (c: ExceptionCase, action: Parameters<typeof applyCaseAction>[1], actor: Parameters<typeof applyCaseAction>[2] = RECONCILER) => {
        const written = applyCaseAction(c, action, actor, T1, c.version);
        await store.save(written.next, written.event);
        current.set(c.caseId, written.next);
      };
      for (let step = 0; step < 40; step += 1) {
        const c = [...current.values()][Math.floor(next() * current.size)]!;
        if (c.status === 'OPEN') await act(c, next() < 0.5 ? { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'timing' } : { type: 'propose-write-off', note: 'fee' });
        else if (c.status === 'PENDING_APPROVAL') await act(c, next() < 0.5 ? { type: 'reject-write-off', note: 'no' } : { type: 'approve-write-off', note: 'ok' }, APPROVER);
        else await act(c, next() < 0.5 ? { type: 'reopen', note: 'again' } : { type: 'comment', note: 'still closed' });
      }
      expect(await store.counts()).toEqual(model([...current.values()]));
      expect(await sortedAges()).toEqual(ages([...current.values()]));
      // A later run, two days on: cleared, reopened, new and refreshed (older) cases are counted too.
      const reported = [...current.values()].filter((c) => c.status !== 'OPEN' || next() < 0.5);
      const plan = planImport(
        [...current.values()],
        [...reported.map((c) => ({ ...c, runId: 'run-2', ageDays: c.ageDays + 2 })), lone('statement', 'new-one', { runId: 'run-2' })],
        { runId: 'run-2', coveredAccounts: new Set(['ACC-0', 'ACC-1']) },
        T1,
      );
      expect(plan.cleared.length).toBeGreaterThan(0);
      await store.applyImport('run-2', plan);
      for (const { next: written } of [...plan.raised, ...plan.reopened, ...plan.cleared]) current.set(written.caseId, written);
      for (const refreshed of plan.refreshed) current.set(refreshed.caseId, refreshed);
      expect(plan.refreshed.length).toBeGreaterThan(0);
      expect(await store.counts()).toEqual(model([...current.values()]));
      expect(await sortedAges()).toEqual(ages([...current.values()]));
    });

    it('a refresh moves run id, as-of date and age (and so the orders) without a version, never undoing a concurrent action', async () => {
      const young = lone('statement', 'young', { ageDays: 1 });
      const old = lone('statement', 'old', { ageDays: 4 });
      await seed(store, [young, old]);
      const assigned = applyCaseAction(young, { type: 'assign', assignee: 'rita@bank.example' }, RECONCILER, T1, 1);
      await store.save(assigned.next, assigned.event);
      await store.applyImport('run-2', { raised: [], refreshed: [{ ...young, runId: 'run-2', asOf: '2025-03-09', ageDays: 9 }], reopened: [], cleared: [] });
      const refreshed = { ...assigned.next, runId: 'run-2', asOf: '2025-03-09', ageDays: 9 };
      expect(await store.get(young.caseId)).toEqual(refreshed);
      expect((await store.list({})).map((c) => c.caseId)).toEqual([young.caseId, old.caseId]);
      expect((await store.list({ sort: 'urgency' })).map((c) => c.caseId)).toEqual(ordered([refreshed, old], 'urgency').map((c) => c.caseId));
      expect(await store.openCaseAges()).toEqual(
        expect.arrayContaining([
          { ageDays: 9, cases: 1 },
          { ageDays: 4, cases: 1 },
        ]),
      );
    });
  });
}
