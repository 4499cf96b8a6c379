/**
 * The workbench's pure domain: parsing requested actions (every fault names its field), each
 * action's happy path and refusals (role, status, kind, four eyes, stale version, PAN in a note),
 * the cases a run reports, and how an import plan raises, refreshes and clears them.
 */
import {
  type Actor,
  allowedActions,
  applyCaseAction,
  type CaseAction,
  casesFromResult,
  resultFromRows,
  rowLookups,
  type CaseStatementLine,
  type ExceptionCase,
  type ExceptionRow,
  type MatchRow,
  parseCaseAction,
  parseExpectedVersion,
  planImport,
  WorkbenchError,
} from '../../../src/recon/workbench/cases';
import { approver, exceptionCase, proposedMatch, reconciler, T0, viewer } from './helpers';

const AT = '2025-03-02T10:00:00.000Z';

function refusal(run: () => unknown): WorkbenchError {
  try {
    run();
  } catch (error) {
    if (error instanceof WorkbenchError) return error;
    throw error;
  }
  throw new Error('expected a WorkbenchError');
}

function apply(current: ExceptionCase, action: CaseAction, actor: Actor, expectedVersion = current.version) {
  return applyCaseAction(current, action, actor, AT, expectedVersion);
}

describe('parseCaseAction', () => {
  it('reads each action type from form-like fields, trimming text', () => {
    expect(parseCaseAction({ type: 'comment', note: '  called the bank  ' })).toEqual({ type: 'comment', note: 'called the bank' });
    expect(parseCaseAction({ type: 'assign', assignee: 'rita@bank.example' })).toEqual({ type: 'assign', assignee: 'rita@bank.example' });
    expect(parseCaseAction({ type: 'confirm-match', note: '' })).toEqual({ type: 'confirm-match' });
    expect(parseCaseAction({ type: 'resolve', resolution: 'MATCHED_MANUALLY', note: 'paired', ledgerEntryIds: 'L-1, L-2 L-1' })).toEqual({
      type: 'resolve',
      resolution: 'MATCHED_MANUALLY',
      note: 'paired',
      ledgerEntryIds: ['L-1', 'L-2'],
    });
    expect(parseCaseAction({ type: 'resolve', resolution: 'BANK_ERROR', note: 'x', ledgerEntryIds: ['L-9'] })).toMatchObject({ ledgerEntryIds: ['L-9'] });
  });

  it.each([
    [{ type: 'delete' }, 'field "type"'],
    [{ type: 'comment' }, 'field "note" is required'],
    [{ type: 'comment', note: 42 }, 'field "note" must be text'],
    [{ type: 'comment', note: 'x'.repeat(2001) }, 'field "note" is 2001 characters'],
    [{ type: 'assign' }, 'field "assignee" is required'],
    [{ type: 'assign', assignee: 'bad name<script>' }, 'field "assignee"'],
    [{ type: 'resolve', note: 'x' }, 'field "resolution" must be one of'],
    [{ type: 'resolve', resolution: 'WRITTEN_OFF', note: 'x' }, 'field "resolution" must be one of'],
    [{ type: 'resolve', resolution: 'MATCHED_MANUALLY', note: 'x' }, 'field "ledgerEntryIds" is required'],
    [{ type: 'resolve', resolution: 'BANK_ERROR', note: 'x', ledgerEntryIds: [1] }, 'field "ledgerEntryIds" must be'],
    [{ type: 'reopen', note: '   ' }, 'field "note" is required'],
  ])('refuses %j naming the field', (body, message) => {
    const error = refusal(() => parseCaseAction(body));
    expect(error.code).toBe('INVALID');
    expect(error.httpStatus).toBe(400);
    expect(error.message).toContain(message);
  });

  it('refuses a note holding a PAN-like number (PCI), with or without separators', () => {
    for (const note of ['card 4111111111111111 declined', 'card 4111 1111 1111 1111']) {
      const error = refusal(() => parseCaseAction({ type: 'comment', note }));
      expect([error.code, error.httpStatus]).toEqual(['CARD_NUMBER', 422]);
      expect(error.message).toContain('field "note" contains what looks like a card number');
      expect(error.message).not.toContain('4111');
    }
    expect(parseCaseAction({ type: 'comment', note: 'reference 4111111111111112' })).toEqual({ type: 'comment', note: 'reference 4111111111111112' });
  });

  it('refuses a body that is not an object of fields', () => {
    expect(refusal(() => parseCaseAction(null)).code).toBe('INVALID');
    expect(refusal(() => parseCaseAction(['comment'])).code).toBe('INVALID');
  });
});

describe('parseExpectedVersion', () => {
  it('reads a positive integer from text or a number', () => {
    expect(parseExpectedVersion('7')).toBe(7);
    expect(parseExpectedVersion(3)).toBe(3);
  });
  it.each([undefined, '', '0', '-1', '1.5', 'abc', 0, 2.5])('refuses %p naming expectedVersion', (value) => {
    expect(refusal(() => parseExpectedVersion(value)).message).toContain('field "expectedVersion"');
  });
});

describe('applyCaseAction', () => {
  it('comment: a reconciler adds a note; status unchanged, version + 1, history event from → to', () => {
    const { next, event } = apply(exceptionCase(), { type: 'comment', note: 'asked the bank' }, reconciler);
    expect(next).toMatchObject({ status: 'OPEN', version: 2, updatedAt: AT });
    expect(event).toEqual({ caseId: next.caseId, version: 2, action: 'comment', actor: reconciler.user, at: AT, from: 'OPEN', to: 'OPEN', note: 'asked the bank' });
  });

  it('assign: sets the assignee and says who it was before; refused once the case is worked', () => {
    const { next, event } = apply(exceptionCase({ assignee: 'old@bank.example' }), { type: 'assign', assignee: 'rita@bank.example' }, reconciler);
    expect(next.assignee).toBe('rita@bank.example');
    expect(event.detail).toBe('assigned to rita@bank.example (was old@bank.example)');
    expect(refusal(() => apply(exceptionCase({ status: 'RESOLVED' }), { type: 'assign', assignee: 'x' }, reconciler)).code).toBe('CONFLICT');
  });

  it('resolve: OPEN exception → RESOLVED with the resolution (kind, note, entries, by, at)', () => {
    const { next, event } = apply(exceptionCase(), { type: 'resolve', resolution: 'MATCHED_MANUALLY', note: 'paired by hand', ledgerEntryIds: ['L-7'] }, reconciler);
    expect(next.status).toBe('RESOLVED');
    expect(next.resolution).toEqual({ kind: 'MATCHED_MANUALLY', note: 'paired by hand', ledgerEntryIds: ['L-7'], by: reconciler.user, at: AT });
    expect(event).toMatchObject({ from: 'OPEN', to: 'RESOLVED', detail: 'MATCHED_MANUALLY: L-7' });
  });

  it('resolve: refused for a viewer (FORBIDDEN, 403), a proposed match, or a case that is not OPEN', () => {
    const forbidden = refusal(() => apply(exceptionCase(), { type: 'resolve', resolution: 'BANK_ERROR', note: 'x' }, viewer));
    expect(forbidden.code).toBe('FORBIDDEN');
    expect(forbidden.httpStatus).toBe(403);
    expect(forbidden.message).toContain('reconciler role');
    expect(refusal(() => apply(proposedMatch(), { type: 'resolve', resolution: 'BANK_ERROR', note: 'x' }, reconciler)).message).toContain('proposed match');
    expect(refusal(() => apply(exceptionCase({ status: 'PENDING_APPROVAL' }), { type: 'resolve', resolution: 'BANK_ERROR', note: 'x' }, reconciler)).httpStatus).toBe(409);
  });

  it('an approver may do what a reconciler does', () => {
    expect(apply(exceptionCase(), { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'next day' }, approver).next.status).toBe('RESOLVED');
  });

  it('confirm-match: a proposed match → RESOLVED (MATCH_CONFIRMED with its ledger entries); refused on an exception', () => {
    const { next, event } = apply(proposedMatch(), { type: 'confirm-match' }, reconciler);
    expect(next.status).toBe('RESOLVED');
    expect(next.resolution).toEqual({ kind: 'MATCH_CONFIRMED', note: '', ledgerEntryIds: ['L-1', 'L-2'], by: reconciler.user, at: AT });
    expect(event.detail).toBe('confirmed batch-by-amount at confidence 0.7500');
    expect(refusal(() => apply(exceptionCase(), { type: 'confirm-match' }, reconciler)).message).toContain('is not a proposed match');
  });

  it('reject-match: the proposed match becomes an OPEN UNMATCHED exception', () => {
    const { next, event } = apply(proposedMatch(), { type: 'reject-match', note: 'wrong batch' }, reconciler);
    expect(next).toMatchObject({ kind: 'exception', reason: 'UNMATCHED', status: 'OPEN', version: 2 });
    expect(event).toMatchObject({ action: 'reject-match', note: 'wrong batch' });
    expect(refusal(() => apply(exceptionCase(), { type: 'reject-match', note: 'x' }, reconciler)).code).toBe('CONFLICT');
  });

  it('write-off: proposed by one person, approved by another approver (four eyes) → WRITTEN_OFF', () => {
    const proposed = apply(exceptionCase(), { type: 'propose-write-off', note: 'below threshold' }, reconciler);
    expect(proposed.next).toMatchObject({ status: 'PENDING_APPROVAL', writeOff: { proposedBy: reconciler.user, note: 'below threshold', at: AT } });
    expect(proposed.event.detail).toBe('write-off of -7.00 EUR proposed');

    expect(refusal(() => apply(proposed.next, { type: 'approve-write-off' }, reconciler)).message).toContain('approver role');
    const approved = apply(proposed.next, { type: 'approve-write-off', note: 'ok' }, approver);
    expect(approved.next.status).toBe('WRITTEN_OFF');
    expect(approved.next.writeOff).toBeUndefined();
    expect(approved.next.resolution).toEqual({ kind: 'WRITTEN_OFF', note: 'below threshold', by: approver.user, at: AT });
    expect(approved.event.detail).toBe(`write-off of -7.00 EUR proposed by ${reconciler.user}, approved by ${approver.user}`);
  });

  it('write-off: the proposer may not approve their own write-off, even as an approver (four eyes)', () => {
    const proposed = apply(exceptionCase(), { type: 'propose-write-off', note: 'small' }, approver).next;
    const error = refusal(() => apply(proposed, { type: 'approve-write-off' }, approver));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('four eyes');
  });

  it('write-off: rejected by an approver → OPEN again without the proposal; a proposed match cannot be written off', () => {
    const proposed = apply(exceptionCase(), { type: 'propose-write-off', note: 'small' }, reconciler).next;
    const { next, event } = apply(proposed, { type: 'reject-write-off', note: 'find it' }, approver);
    expect(next.status).toBe('OPEN');
    expect(next.writeOff).toBeUndefined();
    expect(event).toMatchObject({ from: 'PENDING_APPROVAL', to: 'OPEN', detail: `write-off proposed by ${reconciler.user} rejected` });
    expect(refusal(() => apply(proposed, { type: 'reject-write-off', note: 'x' }, reconciler)).code).toBe('FORBIDDEN');
    expect(refusal(() => apply(proposedMatch(), { type: 'propose-write-off', note: 'x' }, reconciler)).code).toBe('CONFLICT');
    expect(refusal(() => apply(exceptionCase(), { type: 'approve-write-off' }, approver)).message).toContain('needs PENDING_APPROVAL');
  });

  it('reopen: RESOLVED or WRITTEN_OFF → OPEN without the resolution; refused on an OPEN case', () => {
    const resolved = apply(exceptionCase(), { type: 'resolve', resolution: 'BANK_ERROR', note: 'x' }, reconciler).next;
    const { next } = apply(resolved, { type: 'reopen', note: 'bank disagrees' }, reconciler);
    expect(next.status).toBe('OPEN');
    expect(next.resolution).toBeUndefined();
    expect(apply(exceptionCase({ status: 'WRITTEN_OFF' }), { type: 'reopen', note: 'x' }, reconciler).next.status).toBe('OPEN');
    expect(refusal(() => apply(exceptionCase(), { type: 'reopen', note: 'x' }, reconciler)).code).toBe('CONFLICT');
  });

  it('a stale expectedVersion is a CONFLICT (409) telling the person to reload, whoever asks', () => {
    const current = exceptionCase({ version: 4 });
    const error = refusal(() => apply(current, { type: 'comment', note: 'x' }, reconciler, 3));
    expect(error.code).toBe('CONFLICT');
    expect(error.httpStatus).toBe(409);
    expect(error.message).toContain('version 3, now 4');
    expect(error.message).toContain('reload');
  });

  it('a viewer may do nothing, not even comment', () => {
    expect(refusal(() => apply(exceptionCase(), { type: 'comment', note: 'x' }, viewer)).code).toBe('FORBIDDEN');
  });
});

describe('allowedActions', () => {
  it('lists what the actor may do now', () => {
    expect(allowedActions(exceptionCase(), viewer)).toEqual([]);
    expect(allowedActions(exceptionCase(), reconciler)).toEqual(['comment', 'assign', 'resolve', 'propose-write-off']);
    expect(allowedActions(proposedMatch(), reconciler)).toEqual(['comment', 'assign', 'confirm-match', 'reject-match']);
    const pending = exceptionCase({ status: 'PENDING_APPROVAL', writeOff: { proposedBy: reconciler.user, note: 'x', at: T0 } });
    expect(allowedActions(pending, reconciler)).toEqual(['comment', 'assign']);
    expect(allowedActions(pending, approver)).toEqual(['comment', 'assign', 'approve-write-off', 'reject-write-off']);
    expect(allowedActions(pending, { ...approver, user: reconciler.user })).toEqual(['comment', 'assign', 'reject-write-off']);
    expect(allowedActions(exceptionCase({ status: 'RESOLVED' }), reconciler)).toEqual(['comment', 'reopen']);
    expect(allowedActions(exceptionCase({ status: 'CLEARED' }), reconciler)).toEqual(['comment']);
  });
});

const exceptionRow = (overrides: Partial<ExceptionRow> = {}): ExceptionRow => ({
  side: 'statement',
  id: 'abc123def456:0:1',
  reason: 'UNMATCHED',
  ageDays: '3',
  statementLineId: 'abc123def456:0:1',
  bankReference: 'BR-1',
  ledgerEntryId: 'L-9',
  accountId: 'ACC-1',
  currency: 'EUR',
  amount: '-7.00',
  detail: '',
  ...overrides,
});
const matchRow = (overrides: Partial<MatchRow> = {}): MatchRow => ({
  matchId: 'm-1',
  statementLineId: 'fff:1:0',
  bankReference: '',
  ledgerEntryId: 'L-B1',
  ruleId: 'batch-by-amount',
  confidence: '0.7500',
  status: 'proposed',
  ...overrides,
});

/** A run directory's rows through the one case builder (as import-run.ts reads them back). */
function casesFromRows(runId: string, exceptions: ExceptionRow[], matches: MatchRow[], lines: CaseStatementLine[] = [], asOf = '2025-03-13'): ExceptionCase[] {
  const rows = resultFromRows(exceptions, matches);
  const byId = new Map(lines.map((line) => [line.statementLineId, line]));
  return casesFromResult(
    { runId, asOf, at: T0 },
    rows.result,
    rowLookups((id) => byId.get(id), rows),
  );
}

describe('casesFromResult over rows read back', () => {
  it('makes one OPEN case per exception row and per proposed match (confirmed matches are not cases)', () => {
    const cases = casesFromRows(
      'run-1',
      [exceptionRow(), exceptionRow({ side: 'ledger', id: 'L-X', statementLineId: '', bankReference: '', ledgerEntryId: 'L-X', reason: 'STALE', ageDays: '40', amount: '-77.77', detail: 'stale' })],
      [matchRow(), matchRow({ ledgerEntryId: 'L-B2' }), matchRow({ matchId: 'm-2', status: 'confirmed' })],
      [{ statementLineId: 'fff:1:0', accountId: 'ACC-2', currency: 'CAD', amount: '115.00', bookingDate: '2025-03-01', valueDate: null }],
    );
    expect(cases.map((c) => c.caseId)).toEqual(['exception:statement:abc123def456:0:1', 'exception:ledger:L-X', 'match:m-1']);
    expect(cases[0]).toEqual({
      caseId: 'exception:statement:abc123def456:0:1',
      kind: 'exception',
      runId: 'run-1',
      asOf: '2025-03-13',
      side: 'statement',
      reason: 'UNMATCHED',
      accountId: 'ACC-1',
      currency: 'EUR',
      amount: '-7.00',
      ageDays: 3,
      statementLineId: 'abc123def456:0:1',
      bankReference: 'BR-1',
      ledgerEntryIds: ['L-9'],
      status: 'OPEN',
      version: 1,
      updatedAt: T0,
    });
    expect(cases[1]).toMatchObject({ side: 'ledger', reason: 'STALE', ageDays: 40, amount: '-77.77', ledgerEntryIds: ['L-X'], detail: 'stale' });
    expect(cases[1]!.statementLineId).toBeUndefined();
    expect(cases[2]).toMatchObject({
      kind: 'proposed-match',
      side: 'both',
      reason: 'PROPOSED_MATCH',
      accountId: 'ACC-2',
      currency: 'CAD',
      amount: '115.00',
      ageDays: 12,
      ledgerEntryIds: ['L-B1', 'L-B2'],
      ruleId: 'batch-by-amount',
      confidence: '0.7500',
    });
  });
});

describe('planImport', () => {
  const covered = new Set(['ACC-1']);
  const incoming = (runId: string, ageDays = 3) => casesFromRows(runId, [exceptionRow({ ageDays: String(ageDays) })], []);

  it('raises new cases with an import event', () => {
    const plan = planImport([], incoming('run-1'), { runId: 'run-1', coveredAccounts: covered }, AT);
    expect(plan.raised).toHaveLength(1);
    expect(plan.raised[0]!.event).toEqual({
      caseId: 'exception:statement:abc123def456:0:1',
      version: 1,
      action: 'import',
      actor: 'ledgerline',
      at: AT,
      to: 'OPEN',
      detail: 'raised by run run-1: UNMATCHED',
    });
    expect(plan.refreshed).toEqual([]);
    expect(plan.cleared).toEqual([]);
  });

  it('refreshes a known case a later run still reports (run id, age) without a new version; the same run again changes nothing', () => {
    const known = { ...incoming('run-1')[0]!, status: 'RESOLVED' as const, version: 3 };
    const plan = planImport([known], incoming('run-2', 5), { runId: 'run-2', coveredAccounts: covered }, AT);
    expect(plan.raised).toEqual([]);
    expect(plan.refreshed).toEqual([{ ...known, runId: 'run-2', ageDays: 5 }]);
    expect(plan.cleared).toEqual([]);
    expect(planImport([{ ...known, runId: 'run-2', ageDays: 5 }], incoming('run-2', 5), { runId: 'run-2', coveredAccounts: covered }, AT)).toEqual({
      raised: [],
      refreshed: [],
      reopened: [],
      cleared: [],
    });
  });

  it('reopens a CLEARED case that a later run reports again, with an import event', () => {
    const cleared = { ...incoming('run-1')[0]!, status: 'CLEARED' as const, version: 2, runId: 'run-2' };
    const plan = planImport([cleared], incoming('run-3', 9), { runId: 'run-3', coveredAccounts: covered }, AT);
    expect(plan.refreshed).toEqual([]);
    expect(plan.reopened).toHaveLength(1);
    expect(plan.reopened[0]!.next).toMatchObject({ status: 'OPEN', version: 3, runId: 'run-3', ageDays: 9, updatedAt: AT });
    expect(plan.reopened[0]!.event).toEqual({
      caseId: cleared.caseId,
      version: 3,
      action: 'import',
      actor: 'ledgerline',
      at: AT,
      from: 'CLEARED',
      to: 'OPEN',
      detail: 'reported again by run run-3: UNMATCHED',
    });
  });

  it('clears OPEN and PENDING_APPROVAL cases of covered accounts that the run no longer reports; never RESOLVED, WRITTEN_OFF or other accounts', () => {
    const open = exceptionCase({ caseId: 'exception:statement:a', accountId: 'ACC-1', runId: 'run-1' });
    const pending = exceptionCase({ caseId: 'exception:statement:b', accountId: 'ACC-1', runId: 'run-1', status: 'PENDING_APPROVAL', version: 2, writeOff: { proposedBy: 'x', note: 'y', at: T0 } });
    const resolved = exceptionCase({ caseId: 'exception:statement:c', accountId: 'ACC-1', runId: 'run-1', status: 'RESOLVED', version: 2 });
    const writtenOff = exceptionCase({ caseId: 'exception:statement:d', accountId: 'ACC-1', runId: 'run-1', status: 'WRITTEN_OFF', version: 3 });
    const otherAccount = exceptionCase({ caseId: 'exception:statement:e', accountId: 'ACC-OTHER', runId: 'run-1' });
    const plan = planImport([open, pending, resolved, writtenOff, otherAccount], [], { runId: 'run-2', coveredAccounts: covered }, AT);
    expect(plan.cleared.map((c) => c.next.caseId)).toEqual(['exception:statement:a', 'exception:statement:b']);
    expect(plan.cleared[1]!.next).toMatchObject({ status: 'CLEARED', version: 3, runId: 'run-2', updatedAt: AT });
    expect(plan.cleared[1]!.next.writeOff).toBeUndefined();
    expect(plan.cleared[1]!.event).toEqual({
      caseId: 'exception:statement:b',
      version: 3,
      action: 'clear',
      actor: 'ledgerline',
      at: AT,
      from: 'PENDING_APPROVAL',
      to: 'CLEARED',
      detail: 'run run-2 no longer reports it',
    });
  });
});
