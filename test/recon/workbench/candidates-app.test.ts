/**
 * Candidates through the SQLite store and the HTTP app: the store finds a case's items, the rows
 * nearest by amount and by reference, only of OPEN cases; the case page ranks them with their
 * reasons; one action matches the line with a whole group (every case it touches, atomically, with
 * optimistic locking and history); a stale form or a candidate no longer offered changes nothing.
 */
import { createWorkbenchApp, csrfToken } from '../../../src/recon/workbench/app';
import { type Actor, type ExceptionCase, planImport } from '../../../src/recon/workbench/cases';
import { candidateQuery, subjectOf } from '../../../src/recon/workbench/candidates';
import { CaseVersionConflict, type WorkbenchRequest } from '../../../src/recon/workbench/ports';
import { exceptionCase, headerAuthenticator, memoryStore, reconciler, steppingClock } from './helpers';

const SECRET = 'candidates-secret';
const ACCOUNT = 'ACC-7';
const AS_OF = '2026-03-10';

const batchCase: ExceptionCase = exceptionCase({
  caseId: 'group:grp-batch',
  group: 'grp-batch',
  asOf: AS_OF,
  side: 'both',
  reason: 'AMOUNT_MISMATCH',
  accountId: ACCOUNT,
  amount: '1000.00',
  ledgerEntryIds: ['I1', 'I2', 'I3', 'IX'],
  members: [
    { side: 'statement', id: 'LINE-1', reason: 'AMOUNT_MISMATCH', ageDays: 1, accountId: ACCOUNT, currency: 'EUR', amount: '1000.00', bankReference: 'PAYRUN-9' },
    { side: 'ledger', id: 'I1', reason: 'AMOUNT_MISMATCH', ageDays: 1, accountId: ACCOUNT, currency: 'EUR', amount: '250.00' },
    { side: 'ledger', id: 'I2', reason: 'AMOUNT_MISMATCH', ageDays: 2, accountId: ACCOUNT, currency: 'EUR', amount: '700.00' },
    { side: 'ledger', id: 'I3', reason: 'AMOUNT_MISMATCH', ageDays: 1, accountId: ACCOUNT, currency: 'EUR', amount: '50.00' },
    { side: 'ledger', id: 'IX', reason: 'AMOUNT_MISMATCH', ageDays: 1, accountId: ACCOUNT, currency: 'EUR', amount: '135962.94' },
  ],
});
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
const single = lone('statement', 'LINE-2', '80.00', { bankReference: 'INV-2' });
const near = lone('ledger', 'E-80', '80.00');
const tolerated = lone('ledger', 'E-80b', '80.40');
const closed = lone('ledger', 'E-80c', '80.00', { status: 'RESOLVED' });
const otherAccount = lone('ledger', 'E-80d', '80.00', { accountId: 'ACC-8' });

async function setUp() {
  const store = memoryStore();
  const incoming = [batchCase, single, near, tolerated, closed, otherAccount];
  const plan = planImport([], incoming, { runId: 'run-1', coveredAccounts: new Set([ACCOUNT]) }, '2026-03-10T08:00:00.000Z');
  await store.applyImport('run-1', plan);
  const actor: Actor = reconciler;
  const app = createWorkbenchApp({
    store,
    authenticator: headerAuthenticator(actor, 'sign in'),
    clock: steppingClock('2026-03-11T09:00:00.000Z'),
    csrfSecret: SECRET,
  });
  const call = (method: string, path: string, body = '', contentType = 'application/x-www-form-urlencoded') =>
    app({ method, path, query: {}, headers: { 'x-test-user': 'rita', 'content-type': contentType }, body } satisfies WorkbenchRequest);
  const form = (caseId: string, fields: Record<string, string>) =>
    call('POST', `/cases/${encodeURIComponent(caseId)}/actions`, new URLSearchParams({ csrf: csrfToken(SECRET, actor.user), ...fields }).toString());
  return { store, call, form };
}

describe('candidate rows in the store', () => {
  it("finds the case's items and the rows nearest by amount, only of OPEN cases of the same account and currency", async () => {
    const { store } = await setUp();
    const rows = await store.candidateRows(candidateQuery(subjectOf(single)!));
    expect(rows.map((row) => row.id).sort()).toEqual(['E-80', 'E-80b', 'I1', 'I2', 'I3', 'IX']);
    const own = await store.candidateRows({ ...candidateQuery(subjectOf(batchCase)!), limit: 1 });
    // limit 1 above (IX) and 1 below (I2) by amount, plus every item of its own case.
    expect(own.map((row) => row.id).sort()).toEqual(['I1', 'I2', 'I3', 'IX']);
  });

  it('finds rows by reference key (statement lines carry their bank reference)', async () => {
    const { store } = await setUp();
    // 1 row nearest below 1500.00 is LINE-1 (1000.00); LINE-2 (80.00) only by its reference.
    const query = { accountId: ACCOUNT, currency: 'EUR', side: 'statement' as const, references: [] as string[], amountMinor: 150000n, caseId: 'none', limit: 1 };
    expect((await store.candidateRows(query)).map((row) => row.id)).toEqual(['LINE-1']);
    expect((await store.candidateRows({ ...query, references: ['INV-2'] })).map((row) => row.id).sort()).toEqual(['LINE-1', 'LINE-2']);
  });

  it('saveAll writes every case or none: one stale version and nothing changes', async () => {
    const { store } = await setUp();
    const a = (await store.get(near.caseId))!;
    const b = (await store.get(tolerated.caseId))!;
    const event = (c: ExceptionCase, version: number) => ({ caseId: c.caseId, version, action: 'comment' as const, actor: 'x', at: 'now', to: c.status });
    await expect(
      store.saveAll([
        { next: { ...a, version: 2 }, event: event(a, 2) },
        { next: { ...b, version: 5 }, event: event(b, 5) },
      ]),
    ).rejects.toBeInstanceOf(CaseVersionConflict);
    expect((await store.get(near.caseId))!.version).toBe(1);
    expect(await store.history(near.caseId)).toHaveLength(1);
  });
});

describe('the case page and the match action', () => {
  it('shows the ranked candidates with their reasons: the exact subset of the batch first', async () => {
    const { call } = await setUp();
    const page = await call('GET', `/cases/${encodeURIComponent(batchCase.caseId)}`);
    expect(page.status).toBe(200);
    const table = page.body.slice(page.body.indexOf('aria-label="Candidates"'));
    const first = table.slice(table.indexOf('id="candidate-1"'), table.indexOf('id="candidate-2"'));
    expect(first).toContain('I1, I2, I3');
    expect(first).toContain('group sum equal: 3 items sum to 1000.00 EUR');
    expect(first).toContain('reference linked: the run put all of them in case group grp-batch');
    const api = JSON.parse((await call('GET', `/api/cases/${encodeURIComponent(single.caseId)}`)).body);
    expect(api.candidates.candidates.map((c: { key: string }) => c.key).slice(0, 2)).toEqual(['ledger:E-80', 'ledger:E-80b']);
    expect(api.candidates.candidates[1].reasons).toContainEqual(expect.objectContaining({ field: 'amount', verdict: 'within-tolerance', difference: '0.40' }));
  });

  it('one action matches the line with a whole group; the history names the items left out', async () => {
    const { store, form } = await setUp();
    const done = await form(batchCase.caseId, { type: 'match-candidate', candidate: 'ledger:I1+I2+I3', expectedVersion: '1' });
    expect(done.status).toBe(303);
    const after = (await store.get(batchCase.caseId))!;
    expect(after.status).toBe('RESOLVED');
    expect(after.resolution).toMatchObject({ kind: 'MATCHED_MANUALLY', ledgerEntryIds: ['I1', 'I2', 'I3'], by: reconciler.user });
    const history = await store.history(batchCase.caseId);
    expect(history.map((event) => event.action)).toEqual(['import', 'resolve']);
    expect(history[1]!.note).toMatch(/group sum equal.*not in this match: IX/);
  });

  it("matching a line with another case's entry resolves both cases at once", async () => {
    const { store, form } = await setUp();
    expect((await form(single.caseId, { type: 'match-candidate', candidate: 'ledger:E-80', expectedVersion: '1' })).status).toBe(303);
    expect((await store.get(single.caseId))!.status).toBe('RESOLVED');
    const entry = (await store.get(near.caseId))!;
    expect(entry).toMatchObject({ status: 'RESOLVED', version: 2 });
    expect((await store.history(near.caseId))[1]!.note).toBe(`matched with case ${single.caseId} (ledger:E-80)`);
    // The entry is no candidate any more.
    const rows = await store.candidateRows(candidateQuery(subjectOf(single)!));
    expect(rows.map((row) => row.id)).not.toContain('E-80');
  });

  it('refused, nothing changed: a stale version, a candidate no longer offered, no candidate named', async () => {
    const { store, form } = await setUp();
    const stale = await form(single.caseId, { type: 'match-candidate', candidate: 'ledger:E-80', expectedVersion: '9' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('changed since you opened it');
    const gone = await form(single.caseId, { type: 'match-candidate', candidate: 'ledger:E-80c', expectedVersion: '1' });
    expect(gone.status).toBe(409);
    expect(gone.body).toContain('candidate ledger:E-80c is no longer offered');
    const none = await form(single.caseId, { type: 'match-candidate', expectedVersion: '1' });
    expect(none.status).toBe(400);
    expect(none.body).toContain('field &quot;candidate&quot; is required');
    for (const c of [single, near]) expect((await store.get(c.caseId))!.version).toBe(1);
  });
});
