/**
 * Undo of a resolution while its period is open: the case is OPEN again, the history shows the
 * resolution and its undo; a booked write-off is reversed by a balanced reversing entry through the
 * adjustment path, so every ledger balance returns to what it was; a second undo is refused with
 * the reason (already undone, by whom, when); an undo after the period closed is refused and
 * changes nothing. Generated: whatever resolution a case had, undo restores the case it came from
 * (but for version, time and the undo record). A grouped case (a batch line and its items, one case:
 * REC-CASE-1) matched whole is undone as one, its items candidates again. A match that resolved two
 * cases (a line with another case's entry) is undone from either case as one action: both OPEN again,
 * each history naming the undo and the other case, the entry a candidate again; refused whole,
 * naming the partner and why, when it moved on since (written off, reopened), in a closed period,
 * or when it changed between the read and the write.
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

describe('undo of a grouped case (REC-CASE-1)', () => {
  const ACCOUNT = 'DE89370400440532013000';
  const member = (side: 'statement' | 'ledger', id: string, amount: string) => ({ side, id, reason: 'AMOUNT_MISMATCH', ageDays: 4, accountId: ACCOUNT, currency: 'EUR', amount });
  /** A batch line and its items, one case; `lone` another case's entry of the same amount as `line`. */
  const batch = exceptionCase({
    caseId: 'group:grp-undo',
    group: 'grp-undo',
    side: 'both',
    reason: 'AMOUNT_MISMATCH',
    accountId: ACCOUNT,
    amount: '1000.00',
    statementLineId: undefined,
    ledgerEntryIds: ['UI-1', 'UI-2', 'UI-3'],
    members: [member('statement', 'ULINE-1', '1000.00'), member('ledger', 'UI-1', '250.00'), member('ledger', 'UI-2', '700.00'), member('ledger', 'UI-3', '50.00')],
  });

  async function setUpGroup() {
    const store = memoryStore();
    await store.applyImport('run-group', { raised: [batch].map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    const app = createWorkbenchApp({
      store,
      authenticator: { authenticate: async (request) => ACTORS[request.headers['x-test-user'] ?? '']! },
      clock: steppingClock('2025-03-05T12:00:00.000Z'),
      csrfSecret: SECRET,
    });
    const call = async (method: 'GET' | 'POST', caseId: string, body?: Record<string, unknown>) => {
      const response = await app({
        method,
        path: `/api/cases/${encodeURIComponent(caseId)}${body ? '/actions' : ''}`,
        query: {},
        headers: { 'x-test-user': 'rita', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : '',
      });
      return { status: response.status, body: JSON.parse(response.body) as { case: ExceptionCase; candidates?: { candidates: { key: string; rows: { id: string }[] }[] } } };
    };
    return { store, call };
  }

  it('a batch case matched whole through its candidate is undone as one: every member, total and entry as imported, and the candidate offered again', async () => {
    const { store, call } = await setUpGroup();
    const shown = await call('GET', batch.caseId);
    const candidate = shown.body.candidates!.candidates[0]!;
    expect(candidate.rows.map((row) => row.id)).toEqual(['UI-1', 'UI-2', 'UI-3']);
    expect((await call('POST', batch.caseId, { type: 'match-candidate', candidate: candidate.key, expectedVersion: 1 })).status).toBe(200);
    expect(await store.get(batch.caseId)).toMatchObject({ status: 'RESOLVED', resolution: { ledgerEntryIds: ['UI-1', 'UI-2', 'UI-3'] } });
    expect((await call('GET', batch.caseId)).body.candidates).toBeUndefined();

    const undone = await call('POST', batch.caseId, { type: 'undo', note: 'wrong items', expectedVersion: 2 });
    expect(undone.status).toBe(200);
    // One case, one undo: the whole group back as imported (but for version, time and the undo record).
    const { version, updatedAt: _u, undone: record, ...rest } = (await store.get(batch.caseId))!;
    const { version: _v0, updatedAt: _u0, ...imported } = batch;
    expect(rest).toEqual(imported);
    expect([version, record?.kind]).toEqual([3, 'MATCHED_MANUALLY']);
    expect((await store.history(batch.caseId)).map((event) => [event.action, event.to])).toEqual([
      ['import', 'OPEN'],
      ['resolve', 'RESOLVED'],
      ['undo', 'OPEN'],
    ]);
    // Its items are open rows again: the same candidate, which matches again.
    const again = (await call('GET', batch.caseId)).body.candidates!.candidates[0]!;
    expect(again.key).toBe(candidate.key);
    expect((await call('POST', batch.caseId, { type: 'match-candidate', candidate: again.key, expectedVersion: 3 })).status).toBe(200);
    expect((await store.get(batch.caseId))!.status).toBe('RESOLVED');
  });
});

describe('undo of a match that resolved two cases (WB-1, REC-MATCH-1)', () => {
  const ACCOUNT = 'ACC-U';
  const AS_OF = '2025-03-04';
  const lone = (side: 'statement' | 'ledger', id: string, amount: string, extra: Partial<ExceptionCase> = {}) =>
    exceptionCase({
      caseId: `exception:${side}:${id}`,
      side,
      accountId: ACCOUNT,
      amount,
      asOf: AS_OF,
      ageDays: 1,
      ...(side === 'statement' ? { statementLineId: id } : { statementLineId: undefined }),
      ...extra,
    });
  /** A statement line and another case's ledger entry of its amount: matching the line resolves both cases. */
  const line = lone('statement', 'XLINE-1', '80.00', { bankReference: 'INV-80' });
  const entry = lone('ledger', 'XE-80', '80.00');

  async function setUpPair(options: { closedThrough?: string } = {}) {
    const store = memoryStore();
    const ledger = memoryLedger({ [ACCOUNT]: { accountId: 'SETTLE-EUR-001', currency: 'EUR' } });
    await store.applyImport('run-pair', { raised: [line, entry].map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    const app = createWorkbenchApp({
      store,
      authenticator: { authenticate: async (request) => ACTORS[request.headers['x-test-user'] ?? '']! },
      clock: steppingClock('2025-03-05T12:00:00.000Z'),
      csrfSecret: SECRET,
      ledger: ledger.deps,
      ...(options.closedThrough ? { periods: { closedThrough: async () => options.closedThrough } } : {}),
    });
    type Answer = { case: ExceptionCase; candidates?: { candidates: { key: string }[] }; error?: { message: string } };
    const call = async (user: string, caseId: string, body?: Record<string, unknown>) => {
      const response = await app({
        method: body ? 'POST' : 'GET',
        path: `/api/cases/${encodeURIComponent(caseId)}${body ? '/actions' : ''}`,
        query: {},
        headers: { 'x-test-user': user, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : '',
      });
      return { status: response.status, body: JSON.parse(response.body) as Answer };
    };
    /** An action at the version stored now. */
    const act = async (user: string, caseId: string, fields: Record<string, unknown>) => call(user, caseId, { expectedVersion: (await store.get(caseId))!.version, ...fields });
    const match = async () => {
      const offered = (await call('rita', line.caseId)).body.candidates?.candidates.map((c) => c.key);
      expect(offered).toContain('ledger:XE-80');
      expect((await act('rita', line.caseId, { type: 'match-candidate', candidate: 'ledger:XE-80' })).status).toBe(200);
      for (const c of [line, entry]) expect(await store.get(c.caseId)).toMatchObject({ status: 'RESOLVED', resolution: { matchedCases: [entry.caseId, line.caseId] } });
    };
    const snapshot = async () => Promise.all([line, entry].map(async (c) => ({ case: await store.get(c.caseId), history: await store.history(c.caseId) })));
    const page = async (caseId: string) => (await app({ method: 'GET', path: `/cases/${encodeURIComponent(caseId)}`, query: {}, headers: { 'x-test-user': 'rita' }, body: '' })).body;
    return { store, call, act, match, snapshot, page };
  }

  /** The case as imported, but for what any action changes (version, time, the undo record). */
  const asImported = (c: ExceptionCase | undefined) => {
    const { version: _v, updatedAt: _u, undone: _d, ...rest } = c!;
    return rest;
  };

  it.each([
    ['the line', line],
    ['the entry (the partner)', entry],
  ])('undoing %s reopens both cases as one action, each history naming the undo and the other case; the entry is a candidate again and rematches', async (_which, undone) => {
    const { store, call, act, match } = await setUpPair();
    await match();
    expect((await call('rita', line.caseId)).body.candidates).toBeUndefined();

    const answer = await act('rita', undone.caseId, { type: 'undo', note: 'wrong entry' });
    expect(answer.status).toBe(200);
    expect(answer.body.case).toMatchObject({ caseId: undone.caseId, status: 'OPEN', version: 3 });
    for (const [c, other] of [
      [line, entry],
      [entry, line],
    ] as const) {
      const after = (await store.get(c.caseId))!;
      expect(asImported(after)).toEqual(asImported(c));
      expect([after.version, after.undone?.kind, after.undone?.undoneBy]).toEqual([3, 'MATCHED_MANUALLY', reconciler.user]);
      const history = await store.history(c.caseId);
      expect(history.map((event) => [event.version, event.action, event.from, event.to])).toEqual([
        [1, 'import', undefined, 'OPEN'],
        [2, 'resolve', 'OPEN', 'RESOLVED'],
        [3, 'undo', 'RESOLVED', 'OPEN'],
      ]);
      expect(history[1]!.detail).toContain(`one match with case ${other.caseId}`);
      expect(history[2]).toMatchObject({ actor: reconciler.user, note: 'wrong entry' });
      expect(history[2]!.detail).toMatch(new RegExp(`^undid MATCHED_MANUALLY of rita@bank\\.example .*; undone with case ${other.caseId.replace(/[.:]/g, '\\$&')} \\(one match, one undo\\)$`));
    }
    // The entry's row is a candidate of the line again, and the two match again.
    expect((await call('rita', line.caseId)).body.candidates?.candidates[0]?.key).toBe('ledger:XE-80');
    await match();
  });

  it("the case page's undo form says the partner comes back with it", async () => {
    const { page, match } = await setUpPair();
    await match();
    for (const [c, other] of [
      [line, entry],
      [entry, line],
    ] as const) {
      const text = await page(c.caseId);
      const form = text.slice(text.indexOf('<input type="hidden" name="type" value="undo">'));
      expect(form.slice(0, form.indexOf('</form>'))).toContain(`Matched in one action with case ${other.caseId}: undo reopens it too.`);
    }
  });

  it('a comment on the partner since (a new version, the same match) does not stand in the way', async () => {
    const { store, act, match } = await setUpPair();
    await match();
    expect((await act('rita', entry.caseId, { type: 'comment', note: 'checked' })).status).toBe(200);
    expect((await act('rita', line.caseId, { type: 'undo', note: 'undo' })).status).toBe(200);
    expect([(await store.get(line.caseId))!.status, (await store.get(entry.caseId))!.status, (await store.get(entry.caseId))!.version]).toEqual(['OPEN', 'OPEN', 4]);
  });

  it('refused, naming the partner and why, when the partner was written off since; nothing changes', async () => {
    const { store, act, match, snapshot } = await setUpPair();
    await match();
    expect((await act('rita', entry.caseId, { type: 'reopen', note: 'not this one' })).status).toBe(200);
    expect((await act('rita', entry.caseId, { type: 'propose-write-off', note: 'rounding' })).status).toBe(200);
    expect((await act('anna', entry.caseId, { type: 'approve-write-off' })).status).toBe(200);
    const before = await snapshot();
    const refused = await act('rita', line.caseId, { type: 'undo', note: 'undo' });
    expect(refused.status).toBe(409);
    expect(refused.body.error?.message).toContain(`case ${line.caseId} was matched together with case ${entry.caseId}`);
    expect(refused.body.error?.message).toContain(`but case ${entry.caseId} has moved on: it is WRITTEN_OFF by another action since (WRITTEN_OFF by anna@bank.example`);
    expect(refused.body.error?.message).toContain('Nothing was undone');
    expect(await snapshot()).toEqual(before);
    expect((await store.get(line.caseId))!.status).toBe('RESOLVED');
  });

  it('refused when the partner was reopened since (it is OPEN), and when the period is closed; nothing changes', async () => {
    const reopened = await setUpPair();
    await reopened.match();
    expect((await reopened.act('rita', entry.caseId, { type: 'reopen', note: 'look again' })).status).toBe(200);
    const before = await reopened.snapshot();
    const refused = await reopened.act('rita', line.caseId, { type: 'undo', note: 'undo' });
    expect([refused.status, refused.body.error?.message]).toEqual([409, expect.stringContaining(`but case ${entry.caseId} has moved on: it is OPEN now`)]);
    expect(await reopened.snapshot()).toEqual(before);

    const closed = await setUpPair({ closedThrough: '2025-03' });
    await closed.match();
    const closedBefore = await closed.snapshot();
    for (const c of [line, entry]) {
      const answer = await closed.act('rita', c.caseId, { type: 'undo', note: 'too late' });
      expect([answer.status, answer.body.error?.message]).toEqual([409, expect.stringContaining('is in period 2025-03, which is closed (closed through 2025-03)')]);
    }
    expect(await closed.snapshot()).toEqual(closedBefore);
  });

  it('the partner changed a moment ago (between reading it and writing): 409, nothing undone', async () => {
    const { store, act, match, snapshot } = await setUpPair();
    await match();
    const before = await snapshot();
    const read = store.get.bind(store);
    let armed = true;
    // Someone comments on the partner right after the undo has read it.
    store.get = async (caseId: string) => {
      const found = await read(caseId);
      if (caseId === entry.caseId && armed && found) {
        armed = false;
        const { next, event } = applyCaseAction(found, { type: 'comment', note: 'meanwhile' }, approver, '2025-03-05T12:30:00.000Z', found.version);
        await store.save(next, event);
      }
      return found;
    };
    const answer = await act('rita', line.caseId, { type: 'undo', note: 'undo' });
    expect(armed).toBe(false);
    expect([answer.status, answer.body.error?.message]).toEqual([409, `case ${entry.caseId} was changed by someone else a moment ago; nothing was undone. Reload the case and try again`]);
    const after = await snapshot();
    // The partner has the comment only; the line is as it was.
    expect(after[0]).toEqual(before[0]);
    expect(after[1]!.case).toMatchObject({ status: 'RESOLVED', version: before[1]!.case!.version + 1 });
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
