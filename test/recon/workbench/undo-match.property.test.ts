/**
 * WB-1 / REC-MATCH-1: undo of a match that resolved several cases.
 *   - Generated through the app over the embedded SQLite store: undo-match-contract.ts (random match,
 *     undo and comment sequences; rows in exactly one RESOLVED match or candidates; undo restores
 *     every case of the match; histories only grow; refusals change nothing).
 *   - Pure: a match whose candidate spans two other cases is undone from any of its three cases as
 *     one, each event naming the other two; a partner that moved on, or is gone, refuses it whole.
 */
import { applyCaseAction, type ExceptionCase, WorkbenchError } from '../../../src/recon/workbench/cases';
import { type Candidate, matchCandidateWrites, openRowsOf, subjectOf, undoMatchWrites } from '../../../src/recon/workbench/candidates';
import { approver, memoryStore, reconciler } from './helpers';
import { lone, restorable, undoMatchContract } from './undo-match-contract';

undoMatchContract('the SQLite store', async () => memoryStore(), { runs: 60 });

describe('undo of a match over three cases, pure', () => {
  const at = '2025-03-05T10:00:00.000Z';
  const later = '2025-03-05T11:00:00.000Z';
  const line = lone('statement', 'L3', '300.00', 'R-3');
  const first = lone('ledger', 'E1', '100.00');
  const second = lone('ledger', 'E2', '200.00');
  const rows = [...openRowsOf(first), ...openRowsOf(second)];
  /** A candidate spanning two other cases (as a store might offer a group tied by reference). */
  const candidate: Candidate = { key: 'ledger:E1+E2', kind: 'group', side: 'ledger', rows, caseIds: [first.caseId, second.caseId], total: '300.00', score: 1000, reasons: [] };
  const matched = () => {
    const writes = matchCandidateWrites({
      subjectCase: line,
      subject: subjectOf(line)!,
      candidate,
      cases: new Map([first, second].map((c) => [c.caseId, c])),
      actor: reconciler,
      at,
      expectedVersion: 1,
    });
    return new Map(writes.map((write) => [write.next.caseId, write.next]));
  };
  const all = [first.caseId, line.caseId, second.caseId].sort();

  it('the match records its three cases in each; an undo from any of them reopens all three as one, each event naming the other two', () => {
    const resolved = matched();
    for (const c of resolved.values()) expect(c.resolution).toMatchObject({ kind: 'MATCHED_MANUALLY', matchedCases: all, at });
    for (const from of all) {
      const partners = new Map(all.filter((id) => id !== from).map((id) => [id, resolved.get(id)]));
      const writes = undoMatchWrites({ subjectCase: resolved.get(from)!, partners, action: { type: 'undo', note: 'n' }, actor: approver, at: later, expectedVersion: 2 });
      expect(writes.map((write) => write.next.caseId)).toEqual([from, ...all.filter((id) => id !== from)]);
      for (const { next, event } of writes) {
        const original = [line, first, second].find((c) => c.caseId === next.caseId)!;
        expect(restorable(next)).toEqual(restorable(original));
        expect([next.status, next.version, next.resolution, event.action, event.actor]).toEqual(['OPEN', 3, undefined, 'undo', approver.user]);
        for (const other of all) if (other !== next.caseId) expect(event.detail).toContain(`case ${other}`);
      }
    }
  });

  it('refused whole, naming the case and why: a partner written off, proposed for write-off, resolved by another match, or gone', () => {
    const resolved = matched();
    const refusal = (partner: ExceptionCase | undefined) => {
      const partners = new Map<string, ExceptionCase | undefined>([
        [first.caseId, resolved.get(first.caseId)],
        [second.caseId, partner],
      ]);
      try {
        undoMatchWrites({ subjectCase: resolved.get(line.caseId)!, partners, action: { type: 'undo', note: 'n' }, actor: reconciler, at: later, expectedVersion: 2 });
      } catch (error) {
        expect(error).toBeInstanceOf(WorkbenchError);
        expect((error as WorkbenchError).code).toBe('CONFLICT');
        return (error as WorkbenchError).message;
      }
      throw new Error('expected a refusal');
    };
    const reopened = applyCaseAction(resolved.get(second.caseId)!, { type: 'reopen', note: 'n' }, reconciler, later, 2).next;
    const proposed = applyCaseAction(reopened, { type: 'propose-write-off', note: 'n' }, reconciler, later, 3).next;
    const writtenOff = applyCaseAction(proposed, { type: 'approve-write-off' }, approver, later, 4).next;
    const rematched = applyCaseAction(reopened, { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'n' }, reconciler, later, 3).next;
    expect(refusal(writtenOff)).toContain(`but case ${second.caseId} has moved on: it is WRITTEN_OFF by another action since (WRITTEN_OFF by ${approver.user} at ${later})`);
    expect(refusal(proposed)).toContain(`but case ${second.caseId} has moved on: it is PENDING_APPROVAL now`);
    expect(refusal(rematched)).toContain(`but case ${second.caseId} has moved on: it is RESOLVED by another action since (TIMING_DIFFERENCE`);
    expect(refusal(undefined)).toContain(`but case ${second.caseId} no longer exists`);
    expect(refusal(writtenOff)).toMatch(/Nothing was undone: work case exception:ledger:E2 first, or reopen case exception:statement:L3 on its own$/);
  });

  it('a case resolved alone records no match, and its undo is its own', () => {
    const alone = applyCaseAction(line, { type: 'resolve', resolution: 'MATCHED_MANUALLY', note: 'n', ledgerEntryIds: ['X'], matchedCases: [line.caseId] }, reconciler, at, 1).next;
    expect(alone.resolution?.matchedCases).toBeUndefined();
    expect(undoMatchWrites({ subjectCase: alone, partners: new Map(), action: { type: 'undo', note: 'n' }, actor: reconciler, at: later, expectedVersion: 2 })).toHaveLength(1);
  });
});
