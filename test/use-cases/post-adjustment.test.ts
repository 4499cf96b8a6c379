/**
 * ADJ-1 exactly once, through the use case over the embedded adapters (SQLite ledger and case
 * store): approving twice, concurrently, after a crash between the ledger write and the case save
 * (or between the ledger and the posting record), a rejection racing an approval, and reopening
 * (a reversal) — and a generated model run mixing all of them with crashes and retries, checking
 * after every settled step that the ledger holds exactly the bookings the case's state implies.
 */
import fc from 'fast-check';
import { adjustmentIdFor, adjustmentSequenceId } from '../../src/domain/adjustment';
import { toMinorUnits } from '../../src/domain/money';
import { type Actor, type CaseAction, type CaseEvent, type ExceptionCase, WorkbenchError } from '../../src/recon/workbench/cases';
import { actOnLedger, movesMoney, postAdjustment } from '../../src/use-cases/post-adjustment/post-adjustment';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { approver, exceptionCase, memoryLedger, memoryStore, raisedEvent, reconciler } from '../recon/workbench/helpers';

const alex: Actor = { user: 'alex@bank.example', roles: ['approver'] };
const AT = '2026-11-03T09:00:00.000Z';
const ACCOUNT = 'SETTLE-EUR-001';

class Crash extends Error {}

/** The case store with a crash to inject: the next save throws before writing. */
function crashableStore() {
  const store = memoryStore();
  let crashNextSave = false;
  const cases = {
    get: (caseId: string) => store.get(caseId),
    save: async (next: ExceptionCase, event: CaseEvent) => {
      if (crashNextSave) {
        crashNextSave = false;
        throw new Crash('crash before the case save');
      }
      return store.save(next, event);
    },
  };
  return { store, cases, crashBeforeSave: () => (crashNextSave = true) };
}

async function balanceOf(ledger: ReturnType<typeof memoryLedger>, accountId: string): Promise<bigint> {
  const found = (await ledger.store.balances()).find((balance) => balance.accountId === accountId);
  return found ? toMinorUnits(found.balance, found.currency) : 0n;
}

async function setUp(amount = '-7.00') {
  const { store, cases, crashBeforeSave } = crashableStore();
  const ledger = memoryLedger();
  const open = exceptionCase({ amount });
  await store.save(open, raisedEvent(open));
  const act = async (actor: Actor, action: CaseAction, version?: number) => {
    const current = (await store.get(open.caseId))!;
    if (movesMoney(current, action)) return actOnLedger(ledger.deps, cases, current, action, actor, AT, version ?? current.version);
    // As the app does for an action that moves no money.
    const { applyCaseAction } = await import('../../src/recon/workbench/cases');
    const decided = applyCaseAction(current, action, actor, AT, version ?? current.version);
    await cases.save(decided.next, decided.event);
    return { case: decided.next, event: decided.event };
  };
  const propose = async () => {
    const current = (await store.get(open.caseId))!;
    const { applyCaseAction } = await import('../../src/recon/workbench/cases');
    const { next, event } = applyCaseAction(current, { type: 'propose-write-off', note: 'bank charge' }, reconciler, AT, current.version);
    await store.save(next, event);
    return next;
  };
  const comment = async () => {
    const current = (await store.get(open.caseId))!;
    const { applyCaseAction } = await import('../../src/recon/workbench/cases');
    const { next, event } = applyCaseAction(current, { type: 'comment', note: 'looking' }, reconciler, AT, current.version);
    await store.save(next, event);
  };
  return { store, cases, ledger, open, act, propose, comment, crashBeforeSave };
}

describe('postAdjustment', () => {
  it('writes the ledger, then the posting record, then the case; a failed case save leaves the ledger write for the retry to find', async () => {
    const { store, ledger, propose, cases, crashBeforeSave } = await setUp();
    const pending = await propose();
    const first = await act0(ledger, cases, pending, crashBeforeSave);
    expect(first).toBeInstanceOf(Crash);
    expect(ledger.written).toHaveLength(1);
    expect(await store.get(pending.caseId)).toMatchObject({ status: 'PENDING_APPROVAL' });
    const sequenceId = adjustmentSequenceId(adjustmentIdFor(pending.caseId, { proposedBy: reconciler.user, proposedAt: AT, proposalVersion: 2 }));
    await expect(ledger.store.hasSequence(sequenceId)).resolves.toBe(true);
  });
});

async function act0(ledger: ReturnType<typeof memoryLedger>, cases: ReturnType<typeof crashableStore>['cases'], pending: ExceptionCase, crashBeforeSave: () => void): Promise<unknown> {
  crashBeforeSave();
  return actOnLedger(ledger.deps, cases, pending, { type: 'approve-write-off' }, approver, AT, pending.version).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('actOnLedger (ADJ-1 exactly once)', () => {
  it('approving twice books once: the second is refused before any write', async () => {
    const { ledger, act, propose, store, open } = await setUp();
    await propose();
    const { event } = await act(approver, { type: 'approve-write-off' });
    await expect(act(alex, { type: 'approve-write-off' }, 2)).rejects.toThrow(/version 2, now 3/);
    await expect(act(alex, { type: 'approve-write-off' })).rejects.toThrow(/is WRITTEN_OFF/);
    expect(await balanceOf(ledger, ACCOUNT)).toBe(-700n);
    expect(await balanceOf(ledger, 'WRITEOFF-EUR')).toBe(700n);
    expect(ledger.written).toHaveLength(1);
    const history = await store.history(open.caseId);
    expect(history.filter((e) => e.adjustmentId !== undefined)).toEqual([expect.objectContaining({ action: 'approve-write-off', adjustmentId: event.adjustmentId })]);
  });

  it('concurrent approvals by several approvers book once, and every one of them is answered with that booking (generated)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 5 }), async (approvers) => {
        const { ledger, propose, cases, store } = await setUp('125.50');
        const pending = await propose();
        const actors = Array.from({ length: approvers }, (_, i): Actor => ({ user: `approver${i}@bank.example`, roles: ['approver'] }));
        const outcomes = await Promise.allSettled(actors.map((actor) => actOnLedger(ledger.deps, cases, pending, { type: 'approve-write-off' }, actor, AT, pending.version)));
        expect(outcomes.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
        const ids = new Set(outcomes.map((outcome) => (outcome as PromiseFulfilledResult<{ case: ExceptionCase }>).value.case.resolution?.adjustment?.adjustmentId));
        expect(ids.size).toBe(1);
        expect(await balanceOf(ledger, ACCOUNT)).toBe(12550n);
        expect(ledger.written).toHaveLength(1);
        expect((await store.history(pending.caseId)).filter((e) => e.action === 'approve-write-off')).toHaveLength(1);
      }),
      { numRuns: fuzzRuns(10), seed: fuzzSeed(0xc0c0) },
    );
  });

  it('a crash between the ledger write and the case save, then a retry (by anyone, after a comment even): one booking', async () => {
    const { ledger, act, propose, comment, crashBeforeSave, store, open } = await setUp();
    await propose();
    crashBeforeSave();
    await expect(act(approver, { type: 'approve-write-off' })).rejects.toBeInstanceOf(Crash);
    expect(await balanceOf(ledger, ACCOUNT)).toBe(-700n);
    await comment();
    const { case: done } = await act(alex, { type: 'approve-write-off' });
    expect(done.status).toBe('WRITTEN_OFF');
    expect(await balanceOf(ledger, ACCOUNT)).toBe(-700n);
    expect(ledger.written).toHaveLength(1);
    expect((await store.get(open.caseId))!.resolution?.adjustment?.adjustmentId).toBe(done.resolution!.adjustment!.adjustmentId);
  });

  it('a crash between the ledger write and the posting record, then a retry: the record is written once', async () => {
    const { ledger, act, propose } = await setUp();
    await propose();
    const real = ledger.deps.records.writeBatch;
    let crash = true;
    ledger.deps.records.writeBatch = async (records) => {
      if (crash) {
        crash = false;
        throw new Crash('crash before the record');
      }
      return real(records);
    };
    await expect(act(approver, { type: 'approve-write-off' })).rejects.toBeInstanceOf(Crash);
    expect(ledger.written).toHaveLength(0);
    await act(approver, { type: 'approve-write-off' });
    expect(ledger.written).toHaveLength(1);
    expect(await balanceOf(ledger, ACCOUNT)).toBe(-700n);
  });

  it('after a crashed approval, rejecting is refused (the booking stands) and approving completes it', async () => {
    const { ledger, act, propose, crashBeforeSave, store, open } = await setUp();
    await propose();
    crashBeforeSave();
    await expect(act(approver, { type: 'approve-write-off' })).rejects.toBeInstanceOf(Crash);
    const refused = await act(alex, { type: 'reject-write-off', note: 'no' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WorkbenchError);
    expect((refused as WorkbenchError).code).toBe('CONFLICT');
    expect((refused as Error).message).toMatch(/approved and booked as ADJ-[0-9a-f]{24}.*approve it to complete it/);
    expect(await store.get(open.caseId)).toMatchObject({ status: 'PENDING_APPROVAL' });
    await act(alex, { type: 'approve-write-off' });
    expect(await balanceOf(ledger, ACCOUNT)).toBe(-700n);
  });

  it('a rejection that lands while an approval is booking: the booking is reversed, once, and the approver is told', async () => {
    const { ledger, propose, store, cases } = await setUp();
    const pending = await propose();
    const { applyCaseAction } = await import('../../src/recon/workbench/cases');
    let raced = false;
    const racing = {
      get: cases.get,
      save: async (next: ExceptionCase, event: CaseEvent) => {
        if (!raced) {
          raced = true;
          const rejected = applyCaseAction(pending, { type: 'reject-write-off', note: 'no' }, alex, AT, pending.version);
          await store.save(rejected.next, rejected.event);
        }
        return store.save(next, event);
      },
    };
    const error = await actOnLedger(ledger.deps, racing, pending, { type: 'approve-write-off' }, approver, AT, pending.version).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkbenchError);
    expect((error as Error).message).toMatch(/now OPEN.*reversed as ADJ-/);
    expect(await balanceOf(ledger, ACCOUNT)).toBe(0n);
    expect(await balanceOf(ledger, 'WRITEOFF-EUR')).toBe(0n);
    expect(ledger.written).toHaveLength(2);
    expect(await store.get(pending.caseId)).toMatchObject({ status: 'OPEN' });
  });

  it('reopening a booked case reverses its booking once (a crashed reopen retried too); a new approval books anew', async () => {
    const { ledger, act, propose, crashBeforeSave, store, open } = await setUp();
    await propose();
    const { event: booked } = await act(approver, { type: 'approve-write-off' });
    crashBeforeSave();
    await expect(act(reconciler, { type: 'reopen', note: 'wrong account' })).rejects.toBeInstanceOf(Crash);
    expect(await balanceOf(ledger, ACCOUNT)).toBe(0n);
    const { case: reopened, event } = await act(reconciler, { type: 'reopen', note: 'wrong account' });
    expect(reopened).toMatchObject({ status: 'OPEN' });
    expect(reopened.resolution).toBeUndefined();
    expect(event.detail).toContain(`booking ${booked.adjustmentId} reversed as ${event.adjustmentId}`);
    expect(await balanceOf(ledger, ACCOUNT)).toBe(0n);
    expect(ledger.written).toHaveLength(2);
    await propose();
    const { event: again } = await act(alex, { type: 'approve-write-off' });
    expect(again.adjustmentId).not.toBe(booked.adjustmentId);
    expect(await balanceOf(ledger, ACCOUNT)).toBe(-700n);
    expect((await store.history(open.caseId)).map((e) => e.adjustmentId).filter(Boolean)).toEqual([booked.adjustmentId, event.adjustmentId, again.adjustmentId]);
  });

  it('a suspense booking (bank error) goes to SUSPENSE-<CCY> and resolves as BANK_ERROR', async () => {
    const { ledger, store, open, cases } = await setUp('-19.99');
    const { applyCaseAction } = await import('../../src/recon/workbench/cases');
    const proposed = applyCaseAction(open, { type: 'propose-write-off', note: 'bank charged twice', target: 'SUSPENSE' }, reconciler, AT, 1);
    await store.save(proposed.next, proposed.event);
    const { case: done } = await actOnLedger(ledger.deps, cases, proposed.next, { type: 'approve-write-off' }, approver, AT, 2);
    expect(done).toMatchObject({ status: 'WRITTEN_OFF', resolution: { kind: 'BANK_ERROR', adjustment: { contraAccountId: 'SUSPENSE-EUR', amount: '-19.99' } } });
    expect(await balanceOf(ledger, 'SUSPENSE-EUR')).toBe(1999n);
  });

  it('a case whose sides are equal books nothing: it is written off with a note saying so', async () => {
    const { ledger, act, propose, store, open } = await setUp('0.00');
    await propose();
    const { case: done, event } = await act(approver, { type: 'approve-write-off' });
    expect(done.status).toBe('WRITTEN_OFF');
    expect(done.resolution?.adjustment).toBeUndefined();
    expect(event.detail).toContain('nothing to book: the difference is zero');
    expect(await ledger.store.balances()).toEqual([]);
    expect(ledger.written).toEqual([]);
    // Reopening it reverses nothing, so it needs no ledger step.
    expect(movesMoney((await store.get(open.caseId))!, { type: 'reopen', note: 'x' })).toBe(false);
  });

  it('refuses to book a case whose account is not a ledger account, naming it; nothing is written', async () => {
    const { ledger, act, propose, store, open } = await setUp();
    ledger.deps.accounts = { ledgerAccount: async () => undefined };
    await propose();
    await expect(act(approver, { type: 'approve-write-off' })).rejects.toThrow(/account NL26VAYB8060476890 of case .* is not a ledger account/);
    expect(await ledger.store.balances()).toEqual([]);
    expect(await store.get(open.caseId)).toMatchObject({ status: 'PENDING_APPROVAL' });
  });

  it('a generated mix of proposals, approvals, rejections, reopens and comments, with crashes retried: the ledger always holds exactly what the case says', async () => {
    type Step = { op: 'propose' | 'approve' | 'reject' | 'reopen' | 'comment'; crash: boolean; by: 0 | 1 };
    const step = fc.record({
      op: fc.constantFrom('propose' as const, 'approve' as const, 'reject' as const, 'reopen' as const, 'comment' as const),
      crash: fc.boolean(),
      by: fc.constantFrom(0 as const, 1 as const),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps: Step[]) => {
        const { ledger, act, propose, comment, crashBeforeSave, store, open } = await setUp('-7.00');
        for (const { op, crash, by } of steps) {
          const run = async (): Promise<void> => {
            if (op === 'propose') await propose();
            else if (op === 'comment') await comment();
            else if (op === 'approve') await act([approver, alex][by]!, { type: 'approve-write-off' });
            else if (op === 'reject') await act([approver, alex][by]!, { type: 'reject-write-off', note: 'no' });
            else await act(reconciler, { type: 'reopen', note: 'again' });
          };
          const attempt = async (): Promise<void> => {
            try {
              await run();
            } catch (error) {
              if (!(error instanceof WorkbenchError) && !(error instanceof Crash)) throw error;
              if (error instanceof Crash) await attempt(); // the retry after the crash
            }
          };
          if (crash && (op === 'approve' || op === 'reopen')) crashBeforeSave();
          await attempt();
          const current = (await store.get(open.caseId))!;
          const expected = current.status === 'WRITTEN_OFF' ? -700n : 0n;
          expect(await balanceOf(ledger, ACCOUNT)).toBe(expected);
          expect(await balanceOf(ledger, 'WRITEOFF-EUR')).toBe(-expected);
          expect(ledger.written.length % 2 === 0 ? expected === 0n : expected !== 0n).toBe(true);
        }
      }),
      { numRuns: fuzzRuns(60), seed: fuzzSeed(0x5eed) },
    );
  });
});

describe('postAdjustment (the ports alone)', () => {
  it('reports whether this call recorded the legs', async () => {
    const { ledger, propose, cases } = await setUp();
    const pending = await propose();
    const { buildAdjustment } = await import('../../src/domain/adjustment');
    const adjustment = buildAdjustment({ case: pending, target: 'WRITE_OFF', approval: { proposedBy: 'x', proposedAt: AT }, ledgerAccountId: ACCOUNT })!;
    const next = { ...pending, version: pending.version + 1 };
    const event: CaseEvent = { caseId: pending.caseId, version: next.version, action: 'comment', actor: 'x', at: AT, to: next.status };
    await expect(postAdjustment({ ...ledger.deps, cases }, { adjustment, next, event })).resolves.toEqual({ recorded: true });
    await expect(postAdjustment({ ...ledger.deps, cases }, { adjustment, next: { ...next, version: next.version + 1 }, event: { ...event, version: next.version + 1 } })).resolves.toEqual({
      recorded: false,
    });
    expect(await balanceOf(ledger, ACCOUNT)).toBe(-700n);
  });
});
