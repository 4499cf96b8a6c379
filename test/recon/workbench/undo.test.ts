/**
 * Undo of a resolution while its period is open: the case is OPEN again, the history shows the
 * resolution and its undo; a booked write-off is reversed by a balanced reversing entry through the
 * adjustment path, so every ledger balance returns to what it was; a second undo is refused with
 * the reason (already undone, by whom, when); an undo after the period closed is refused and
 * changes nothing. Generated: whatever resolution a case had, undo restores the case it came from
 * (but for version, time and the undo record).
 */
import fc from 'fast-check';
import { createWorkbenchApp, csrfToken } from '../../../src/recon/workbench/app';
import { applyCaseAction, type ExceptionCase, parseCaseAction, RESOLVE_KINDS, WorkbenchError } from '../../../src/recon/workbench/cases';
import { type WorkbenchRequest } from '../../../src/recon/workbench/ports';
import { approver, exceptionCase, memoryLedger, memoryStore, raisedEvent, reconciler, steppingClock, viewer } from './helpers';
import type { Actor, CaseAction } from '../../../src/recon/workbench/cases';

const SECRET = 'undo-secret';
const ACTORS: Record<string, Actor> = { rita: reconciler, anna: approver, victor: viewer };

async function setUp(closedThrough?: string) {
  const store = memoryStore();
  const ledger = memoryLedger();
  const c = exceptionCase({ caseId: 'exception:statement:undo:0:1', amount: '-7.00' });
  await store.save(c, raisedEvent(c));
  const app = createWorkbenchApp({
    store,
    authenticator: {
      async authenticate(request) {
        return ACTORS[request.headers['x-test-user'] ?? '']!;
      },
    },
    clock: steppingClock('2025-03-05T12:00:00.000Z'),
    csrfSecret: SECRET,
    ledger: ledger.deps,
    ...(closedThrough ? { periods: { closedThrough: async () => closedThrough } } : {}),
  });
  const act = async (user: string, fields: Record<string, string>) => {
    const current = (await store.get(c.caseId))!;
    return app({
      method: 'POST',
      path: `/cases/${encodeURIComponent(c.caseId)}/actions`,
      query: {},
      headers: { 'x-test-user': user, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ expectedVersion: String(current.version), csrf: csrfToken(SECRET, ACTORS[user]!.user), ...fields }).toString(),
    } satisfies WorkbenchRequest);
  };
  const balances = async () => new Map((await ledger.store.balances()).map((b) => [`${b.accountId} ${b.currency}`, b.balance]));
  return { store, ledger, c, act, balances };
}

describe('undo', () => {
  it('restores the case; the history shows the resolution and the undo; a second undo is refused with the reason', async () => {
    const { store, c, act } = await setUp();
    expect((await act('rita', { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'a day late' })).status).toBe(303);
    const undone = await act('rita', { type: 'undo', note: 'wrong case' });
    expect(undone.status).toBe(303);
    const after = (await store.get(c.caseId))!;
    expect(after.status).toBe('OPEN');
    expect(after.resolution).toBeUndefined();
    expect(after.undone).toMatchObject({ kind: 'TIMING_DIFFERENCE', by: reconciler.user, undoneBy: reconciler.user });
    const history = await store.history(c.caseId);
    expect(history.map((event) => [event.action, event.from, event.to])).toEqual([
      ['import', undefined, 'OPEN'],
      ['resolve', 'OPEN', 'RESOLVED'],
      ['undo', 'RESOLVED', 'OPEN'],
    ]);
    expect(history[2]!.detail).toContain('undid TIMING_DIFFERENCE');
    const again = await act('rita', { type: 'undo', note: 'once more' });
    expect(again.status).toBe(409);
    expect(again.body).toContain('nothing to undo: its resolution TIMING_DIFFERENCE was already undone by rita@bank.example');
    expect(await store.history(c.caseId)).toHaveLength(3);
  });

  it('reverses a booked write-off with a balanced reversing entry: every balance returns; the history shows both bookings', async () => {
    const { store, ledger, c, act, balances } = await setUp();
    const before = await balances();
    expect((await act('rita', { type: 'propose-write-off', note: 'bank charge' })).status).toBe(303);
    expect((await act('anna', { type: 'approve-write-off' })).status).toBe(303);
    const booked = (await store.get(c.caseId))!;
    expect(booked.status).toBe('WRITTEN_OFF');
    const moved = await balances();
    expect(moved).not.toEqual(before);
    expect((await act('rita', { type: 'undo', note: 'the bank refunded it' })).status).toBe(303);
    const after = (await store.get(c.caseId))!;
    expect(after.status).toBe('OPEN');
    expect(after.undone).toMatchObject({ kind: 'WRITTEN_OFF', by: approver.user });
    // Every account back where it was (zero where it was absent); the ledger balanced throughout.
    const back = await balances();
    for (const [account, balance] of back) expect(balance.replace(/^-?0(\.0+)?$/, '0')).toBe((before.get(account) ?? '0').replace(/^-?0(\.0+)?$/, '0'));
    for (const [, totals] of ledger.store.totalsByCurrency()) expect(totals.debits).toBe(totals.credits);
    const history = await store.history(c.caseId);
    expect(history.map((event) => event.action)).toEqual(['import', 'propose-write-off', 'approve-write-off', 'undo']);
    expect(history[3]!.adjustmentId).toBeDefined();
    expect(history[3]!.adjustmentId).not.toBe(history[2]!.adjustmentId);
    expect(history[3]!.detail).toMatch(/undid WRITTEN_OFF.*reversed as/);
    expect(ledger.written).toHaveLength(2);
    // Undone twice: refused, nothing booked.
    expect((await act('rita', { type: 'undo', note: 'again' })).status).toBe(409);
    expect(ledger.written).toHaveLength(2);
  });

  it('is refused after the period closed, changing nothing', async () => {
    const { store, c, act } = await setUp('2025-03');
    expect((await act('rita', { type: 'resolve', resolution: 'BANK_ERROR', note: 'bank' })).status).toBe(303);
    const refused = await act('rita', { type: 'undo', note: 'too late' });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('is in period 2025-03, which is closed (closed through 2025-03)');
    expect((await store.get(c.caseId))!.status).toBe('RESOLVED');
    expect(await store.history(c.caseId)).toHaveLength(2);
  });

  it('an open period (closed through the month before) allows it', async () => {
    const { store, c, act } = await setUp('2025-02');
    await act('rita', { type: 'resolve', resolution: 'BANK_ERROR', note: 'bank' });
    expect((await act('rita', { type: 'undo', note: 'in time' })).status).toBe(303);
    expect((await store.get(c.caseId))!.status).toBe('OPEN');
  });
});

describe('undo, pure', () => {
  const resolution = fc
    .constantFrom(...RESOLVE_KINDS)
    .map((kind): Extract<CaseAction, { type: 'resolve' }> => ({ type: 'resolve', resolution: kind, note: 'n', ...(kind === 'MATCHED_MANUALLY' ? { ledgerEntryIds: ['L-1'] } : {}) }));

  it('whatever resolution a case had, undo restores the case it came from (but for version, time and the undo record)', () => {
    fc.assert(
      fc.property(resolution, fc.option(fc.constantFrom('someone@bank.example'), { nil: undefined }), (action, assignee) => {
        const start: ExceptionCase = exceptionCase({ version: 3, ...(assignee ? { assignee } : {}) });
        const resolved = applyCaseAction(start, action, reconciler, '2025-03-02T10:00:00.000Z', 3).next;
        const { next, event } = applyCaseAction(resolved, { type: 'undo', note: 'x' }, reconciler, '2025-03-02T11:00:00.000Z', 4);
        const { undone, version, updatedAt, ...rest } = next;
        const { version: _v, updatedAt: _u, ...original } = start;
        expect(rest).toEqual(original);
        expect([version, updatedAt, event.action, event.from, event.to]).toEqual([5, '2025-03-02T11:00:00.000Z', 'undo', 'RESOLVED', 'OPEN']);
        expect(undone).toEqual({ kind: action.resolution, by: reconciler.user, at: '2025-03-02T10:00:00.000Z', undoneBy: reconciler.user, undoneAt: '2025-03-02T11:00:00.000Z' });
        // Resolved again: the undo record goes (the history keeps it).
        expect(applyCaseAction(next, action, reconciler, '2025-03-02T12:00:00.000Z', 5).next.undone).toBeUndefined();
      }),
    );
  });

  it('refuses a viewer, an OPEN case, a stale version; parses the note as optional', () => {
    const resolved = applyCaseAction(exceptionCase(), { type: 'resolve', resolution: 'BANK_ERROR', note: 'n' }, reconciler, '2025-03-02T10:00:00.000Z', 1).next;
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error as WorkbenchError;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal(() => applyCaseAction(resolved, { type: 'undo', note: 'x' }, viewer, 'now', 2)).code).toBe('FORBIDDEN');
    expect(refusal(() => applyCaseAction(exceptionCase(), { type: 'undo', note: 'x' }, reconciler, 'now', 1)).message).toContain('there is no resolution to undo');
    expect(refusal(() => applyCaseAction(resolved, { type: 'undo', note: 'x' }, reconciler, 'now', 1)).code).toBe('CONFLICT');
    expect(parseCaseAction({ type: 'undo' })).toEqual({ type: 'undo', note: 'undo' });
    expect(parseCaseAction({ type: 'undo', note: ' because ', closedThrough: '2099-12' })).toEqual({ type: 'undo', note: 'because' });
  });
});
