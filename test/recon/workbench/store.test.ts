/**
 * SqliteWorkbenchStore: conditional saves (a lost race writes nothing), history order, list
 * filters and order, counts, atomic and once-only imports, and durability across a reopen.
 */
import { openWorkbenchDatabase, SqliteWorkbenchStore, WORKBENCH_DB_FILE } from '../../../src/adapters/embedded/workbench-store';
import { applyCaseAction, planImport, type ImportPlan } from '../../../src/recon/workbench/cases';
import { CaseVersionConflict } from '../../../src/recon/workbench/ports';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support/runtime';
import { approver, exceptionCase, memoryStore, proposedMatch, raisedEvent, reconciler, steppingClock, T0 } from './helpers';

const AT = '2025-03-02T10:00:00.000Z';

async function seeded(store: SqliteWorkbenchStore, ...cases: ReturnType<typeof exceptionCase>[]) {
  for (const c of cases) await store.save(c, raisedEvent(c));
}

describe('SqliteWorkbenchStore', () => {
  it('saves a new case at version 1 and reads it back whole', async () => {
    const store = memoryStore();
    const c = exceptionCase({ bankReference: 'BR-9', detail: 'a "quoted" <detail>' });
    await store.save(c, raisedEvent(c));
    expect(await store.get(c.caseId)).toEqual(c);
    expect(await store.get('exception:statement:nope')).toBeUndefined();
  });

  it('save is conditional on the stored version: a stale write throws CaseVersionConflict and writes nothing', async () => {
    const store = memoryStore();
    const c = exceptionCase();
    await seeded(store, c);
    const first = applyCaseAction(c, { type: 'comment', note: 'first' }, reconciler, AT, 1);
    const second = applyCaseAction(c, { type: 'resolve', resolution: 'BANK_ERROR', note: 'second' }, approver, AT, 1);
    await store.save(first.next, first.event);
    await expect(store.save(second.next, second.event)).rejects.toThrow(CaseVersionConflict);
    expect(await store.get(c.caseId)).toEqual(first.next);
    expect((await store.history(c.caseId)).map((e) => e.note ?? e.action)).toEqual(['import', 'first']);
    // A second version-1 insert of the same case is a conflict too.
    await expect(store.save(c, raisedEvent(c))).rejects.toThrow(CaseVersionConflict);
    expect((await store.history(c.caseId)).length).toBe(2);
  });

  it('keeps the history oldest first', async () => {
    const store = memoryStore();
    let current = exceptionCase();
    await seeded(store, current);
    for (const note of ['one', 'two', 'three']) {
      const { next, event } = applyCaseAction(current, { type: 'comment', note }, reconciler, AT, current.version);
      await store.save(next, event);
      current = next;
    }
    const history = await store.history(current.caseId);
    expect(history.map((e) => [e.version, e.note ?? e.action])).toEqual([
      [1, 'import'],
      [2, 'one'],
      [3, 'two'],
      [4, 'three'],
    ]);
  });

  it('lists by status, reason, account, assignee and search, oldest first then by case id', async () => {
    const store = memoryStore();
    await seeded(
      store,
      exceptionCase({ caseId: 'exception:statement:b', ageDays: 5, reason: 'STALE', bankReference: 'BANKREF-77' }),
      exceptionCase({ caseId: 'exception:statement:a', ageDays: 5, assignee: 'rita@bank.example' }),
      exceptionCase({ caseId: 'exception:ledger:L-1', ageDays: 40, side: 'ledger', accountId: 'ACC-2', ledgerEntryIds: ['L-1'] }),
      proposedMatch({ caseId: 'match:m-1', ageDays: 1, ledgerEntryIds: ['L-BATCH-1', 'L-BATCH-2'] }),
      exceptionCase({ caseId: 'exception:statement:z', ageDays: 99, status: 'RESOLVED' }),
    );
    const ids = async (filter: Parameters<SqliteWorkbenchStore['list']>[0]) => (await store.list(filter)).map((c) => c.caseId);
    expect(await ids({})).toEqual(['exception:statement:z', 'exception:ledger:L-1', 'exception:statement:a', 'exception:statement:b', 'match:m-1']);
    expect(await ids({ status: ['OPEN'] })).toEqual(['exception:ledger:L-1', 'exception:statement:a', 'exception:statement:b', 'match:m-1']);
    expect(await ids({ status: ['RESOLVED', 'CLEARED'] })).toEqual(['exception:statement:z']);
    expect(await ids({ reason: 'STALE' })).toEqual(['exception:statement:b']);
    expect(await ids({ accountId: 'ACC-2' })).toEqual(['exception:ledger:L-1']);
    expect(await ids({ assignee: 'rita@bank.example' })).toEqual(['exception:statement:a']);
    expect(await ids({ search: 'bankref-77' })).toEqual(['exception:statement:b']);
    expect(await ids({ search: 'L-BATCH-2' })).toEqual(['match:m-1']);
    expect(await ids({ search: 'ledger:L-1' })).toEqual(['exception:ledger:L-1']);
    expect(await ids({ search: "it's not there" })).toEqual([]);
    expect(await ids({ limit: 2 })).toEqual(['exception:statement:z', 'exception:ledger:L-1']);
    expect(await ids({ limit: 2, offset: 2 })).toEqual(['exception:statement:a', 'exception:statement:b']);
  });

  it('counts cases by status, and open (OPEN + PENDING_APPROVAL) cases by reason', async () => {
    const store = memoryStore();
    await seeded(
      store,
      exceptionCase({ caseId: 'a', reason: 'STALE' }),
      exceptionCase({ caseId: 'b', reason: 'STALE', status: 'PENDING_APPROVAL' }),
      exceptionCase({ caseId: 'c', reason: 'UNMATCHED' }),
      exceptionCase({ caseId: 'd', reason: 'UNMATCHED', status: 'RESOLVED' }),
    );
    expect(await store.counts()).toEqual({ byStatus: { OPEN: 2, PENDING_APPROVAL: 1, RESOLVED: 1 }, openByReason: { STALE: 2, UNMATCHED: 1 } });
  });

  it('casesOfAccounts returns every case of those accounts, whatever its status', async () => {
    const store = memoryStore();
    await seeded(store, exceptionCase({ caseId: 'a', accountId: 'ACC-1' }), exceptionCase({ caseId: 'b', accountId: 'ACC-1', status: 'RESOLVED' }), exceptionCase({ caseId: 'c', accountId: 'ACC-2' }));
    expect((await store.casesOfAccounts(new Set(['ACC-1']))).map((c) => c.caseId)).toEqual(['a', 'b']);
    expect(await store.casesOfAccounts(new Set())).toEqual([]);
  });

  it('applyImport applies a plan once per run (false the second time) and all-or-nothing', async () => {
    const store = memoryStore();
    const stays = exceptionCase({ caseId: 'stays', runId: 'run-1', ageDays: 3 });
    const goes = exceptionCase({ caseId: 'goes', runId: 'run-1' });
    await seeded(store, stays, goes);
    const raised = exceptionCase({ caseId: 'new', runId: 'run-2' });
    const cleared = { ...goes, status: 'CLEARED' as const, version: 2, runId: 'run-2', updatedAt: AT };
    const plan: ImportPlan = {
      raised: [{ next: raised, event: raisedEvent(raised) }],
      refreshed: [{ ...stays, runId: 'run-2', ageDays: 4 }],
      reopened: [],
      cleared: [{ next: cleared, event: { caseId: 'goes', version: 2, action: 'clear', actor: 'ledgerline', at: AT, from: 'OPEN', to: 'CLEARED' } }],
    };
    // All or nothing: a cleared case that moved on meanwhile (stale version) fails the whole import.
    const staleClear: ImportPlan = { ...plan, cleared: [{ ...plan.cleared[0]!, next: { ...cleared, version: 5 }, event: { ...plan.cleared[0]!.event, version: 5 } }] };
    await expect(store.applyImport('run-2', staleClear)).rejects.toThrow(CaseVersionConflict);
    expect(await store.get('new')).toBeUndefined();
    expect((await store.get('stays'))!.runId).toBe('run-1');
    expect((await store.get('goes'))!.status).toBe('OPEN');

    expect(await store.applyImport('run-2', plan)).toBe(true);
    expect(await store.get('new')).toEqual(raised);
    expect(await store.get('stays')).toEqual({ ...stays, runId: 'run-2', ageDays: 4 });
    expect(await store.get('goes')).toEqual(cleared);
    expect((await store.history('goes')).map((e) => e.action)).toEqual(['import', 'clear']);

    expect(await store.applyImport('run-2', plan)).toBe(false);
    expect((await store.history('goes')).length).toBe(2);
  });

  it('applyImport reopens a CLEARED case a later run reports again, with its history', async () => {
    const store = memoryStore();
    const raised = exceptionCase({ caseId: 'back', runId: 'run-1' });
    const cleared = { ...raised, status: 'CLEARED' as const, version: 2, runId: 'run-2', updatedAt: AT };
    await store.applyImport('run-1', { raised: [{ next: raised, event: raisedEvent(raised) }], refreshed: [], reopened: [], cleared: [] });
    await store.applyImport('run-2', {
      raised: [],
      refreshed: [],
      reopened: [],
      cleared: [{ next: cleared, event: { caseId: 'back', version: 2, action: 'clear', actor: 'ledgerline', at: AT, from: 'OPEN', to: 'CLEARED' } }],
    });
    const plan = planImport([cleared], [{ ...raised, runId: 'run-3' }], { runId: 'run-3', coveredAccounts: new Set([raised.accountId]) }, AT);
    expect(await store.applyImport('run-3', plan)).toBe(true);
    expect(await store.get('back')).toMatchObject({ status: 'OPEN', version: 3, runId: 'run-3' });
    expect((await store.history('back')).map((e) => `${e.action}:${e.to}`)).toEqual(['import:OPEN', 'clear:CLEARED', 'import:OPEN']);
    expect((await store.list({ status: ['OPEN'] })).map((c) => c.caseId)).toEqual(['back']);
  });

  it('a refresh never undoes a concurrent action: it only moves the run id and age', async () => {
    const store = memoryStore();
    const c = exceptionCase({ runId: 'run-1' });
    await seeded(store, c);
    const { next, event } = applyCaseAction(c, { type: 'assign', assignee: 'rita@bank.example' }, reconciler, AT, 1);
    await store.save(next, event);
    expect(await store.applyImport('run-2', { raised: [], refreshed: [{ ...c, runId: 'run-2', ageDays: 9 }], reopened: [], cleared: [] })).toBe(true);
    expect(await store.get(c.caseId)).toEqual({ ...next, runId: 'run-2', ageDays: 9 });
    expect((await store.list({ status: ['OPEN'] }))[0]!.ageDays).toBe(9);
  });

  it('is durable: <out>/workbench.db keeps cases, history and imported runs across a reopen', async () => {
    const out = tempDir('workbench-store-');
    const db = openWorkbenchDatabase(out);
    const store = new SqliteWorkbenchStore(db, steppingClock());
    const c = exceptionCase();
    expect(await store.applyImport('run-1', { raised: [{ next: c, event: raisedEvent(c) }], refreshed: [], reopened: [], cleared: [] })).toBe(true);
    const { next, event } = applyCaseAction(c, { type: 'comment', note: 'kept' }, reconciler, T0, 1);
    await store.save(next, event);
    db.close();
    expect(existsSync(join(out, WORKBENCH_DB_FILE))).toBe(true);

    const reopenedDb = openWorkbenchDatabase(out);
    try {
      const reopened = new SqliteWorkbenchStore(reopenedDb);
      expect(await reopened.get(c.caseId)).toEqual(next);
      expect((await reopened.history(c.caseId)).map((e) => e.version)).toEqual([1, 2]);
      expect(await reopened.applyImport('run-1', { raised: [], refreshed: [], reopened: [], cleared: [] })).toBe(false);
    } finally {
      reopenedDb.close();
    }
  });

  it('a big first import (indexes built after its inserts) leaves the schema as it was, lists as before, and is all-or-nothing', async () => {
    const raisedPlan = (count: number, runId: string, broken = false): ImportPlan => {
      const raised: ImportPlan['raised'] = [];
      for (let i = 0; i < count; i += 1) {
        const c = exceptionCase({ caseId: `exception:statement:l${String(i).padStart(6, '0')}`, runId, ageDays: i % 45, reason: i % 2 ? 'UNMATCHED' : 'DUPLICATE', accountId: `ACC${i % 7}` });
        raised.push({ next: c, event: raisedEvent(c) });
      }
      // The same case twice: the second insert conflicts and the whole import must roll back.
      if (broken) raised.push(raised[0]!);
      return { raised, refreshed: [], reopened: [], cleared: [] };
    };
    const schema = (store: SqliteWorkbenchStore): unknown =>
      (store as unknown as { db: { prepare(sql: string): { all(): unknown } } }).db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name').all();
    const big = memoryStore();
    const before = schema(big);
    await expect(big.applyImport('run-0', raisedPlan(12_000, 'run-0', true))).rejects.toThrow(CaseVersionConflict);
    expect(schema(big)).toEqual(before);
    expect(await big.counts()).toEqual({ byStatus: {}, openByReason: {} });

    expect(await big.applyImport('run-1', raisedPlan(12_000, 'run-1'))).toBe(true);
    expect(schema(big)).toEqual(before);
    // The same plan in a store that already holds a case takes the row-by-row path: the same lists.
    const small = memoryStore();
    await seeded(small, exceptionCase({ caseId: 'zz-other', runId: 'run-0', accountId: 'OTHER', ageDays: 3 }));
    expect(await small.applyImport('run-1', raisedPlan(12_000, 'run-1'))).toBe(true);
    for (const filter of [{}, { status: ['OPEN' as const] }, { reason: 'DUPLICATE' }, { accountId: 'ACC3' }, { search: 'l00011' }, { limit: 1000, offset: 5000 }]) {
      expect((await big.list(filter)).map((c) => c.caseId)).toEqual((await small.list(filter)).map((c) => c.caseId).filter((id) => id !== 'zz-other'));
    }
    expect(await big.openCaseAges()).toEqual((await small.openCaseAges()).map((age) => (age.ageDays === 3 ? { ...age, cases: age.cases - 1 } : age)).filter((age) => age.cases > 0));
  });
});
