/**
 * The workbench HTTP app driven directly (no server): HTML list and detail, escaping, form POSTs
 * with CSRF and optimistic locking, roles, the JSON API, and the HTTP edges (401, 404, 405, 413,
 * 415) — every response with the security headers.
 */
import { createWorkbenchApp, csrfToken, SECURITY_HEADERS } from '../../../src/recon/workbench/app';
import { type Actor } from '../../../src/recon/workbench/cases';
import { AuthenticationError, type Authenticator, type WorkbenchRequest, type WorkbenchResponse } from '../../../src/recon/workbench/ports';
import { approver, exceptionCase, memoryLedger, memoryStore, proposedMatch, raisedEvent, reconciler, steppingClock, viewer } from './helpers';

const SECRET = 'test-csrf-secret';
const ACTORS: Record<string, Actor> = { rita: reconciler, anna: approver, alex: { user: 'alex@bank.example', roles: ['approver'] }, victor: viewer };

/** Signs in whoever the `x-test-user` header names. */
const fakeAuthenticator: Authenticator = {
  async authenticate(request) {
    const actor = ACTORS[request.headers['x-test-user'] ?? ''];
    if (!actor) throw new AuthenticationError('no session: sign in first');
    return actor;
  },
};

const evil = exceptionCase({ caseId: 'exception:statement:<script>x</script>', detail: '<script>alert("pwned")</script>', bankReference: '"><img src=x>' });
const plain = exceptionCase({ caseId: 'exception:statement:abc:0:1', reason: 'STALE', amount: '1234567890123.45', ageDays: 40 });
const match = proposedMatch();
const resolved = exceptionCase({ caseId: 'exception:ledger:L-DONE', status: 'RESOLVED', side: 'ledger', amount: '5.00' });

async function setUp(options: { withLedger?: boolean } = {}) {
  const store = memoryStore();
  for (const c of [evil, plain, match, resolved]) await store.save(c, raisedEvent(c));
  const ledger = memoryLedger();
  const app = createWorkbenchApp({
    store,
    authenticator: fakeAuthenticator,
    clock: steppingClock('2025-03-05T12:00:00.000Z'),
    csrfSecret: SECRET,
    ...(options.withLedger === false ? {} : { ledger: ledger.deps }),
  });
  const call = (method: string, path: string, options: { user?: string; query?: Record<string, string>; headers?: Record<string, string>; body?: string } = {}): Promise<WorkbenchResponse> =>
    app({
      method,
      path,
      query: options.query ?? {},
      headers: { ...(options.user ? { 'x-test-user': options.user } : {}), ...options.headers },
      body: options.body ?? '',
    } satisfies WorkbenchRequest);
  const form = (user: string, caseId: string, fields: Record<string, string>) =>
    call('POST', `/cases/${encodeURIComponent(caseId)}/actions`, { user, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const json = (user: string, caseId: string, body: unknown) =>
    call('POST', `/api/cases/${encodeURIComponent(caseId)}/actions`, { user, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { store, call, form, json, ledger };
}

function expectSecurityHeaders(response: WorkbenchResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers[name]).toBe(value);
}

describe('createWorkbenchApp', () => {
  it('GET /healthz answers ok without signing in; GET / redirects to /cases', async () => {
    const { call } = await setUp();
    const health = await call('GET', '/healthz');
    expect([health.status, health.body]).toEqual([200, 'ok']);
    expectSecurityHeaders(health);
    const root = await call('GET', '/', { user: 'rita' });
    expect(root.status).toBe(303);
    expect(root.headers.location).toBe('/cases');
  });

  it('GET /cases.csv exports the filtered cases (every page of them), exact amounts, formula-safe notes; 401 without a session', async () => {
    const { call, form } = await setUp();
    // A reconciler resolves a case with a note that a spreadsheet would run as a formula.
    const resolving = await form('rita', plain.caseId, { type: 'resolve', resolution: 'BANK_ERROR', note: '=HYPERLINK("x")', expectedVersion: '1', csrf: csrfToken(SECRET, 'rita@bank.example') });
    expect(resolving.status).toBe(303);
    const all = await call('GET', '/cases.csv', { user: 'victor', query: { status: 'ALL' } });
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(all.headers['content-disposition']).toMatch(/^attachment; filename="workbench-cases-2025-03-05\.csv"$/);
    expectSecurityHeaders(all);
    const lines = all.body.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'caseId,kind,status,reason,accountId,currency,amount,ageDays,statementLineId,bankReference,ledgerEntryIds,ruleId,confidence,assignee,resolution,resolutionNote,resolvedBy,resolvedAt,runId,version,updatedAt',
    );
    expect(lines).toHaveLength(5);
    const row = lines.find((line) => line.startsWith(`${plain.caseId},`))!;
    expect(row).toContain(',RESOLVED,STALE,');
    expect(row).toContain(',1234567890123.45,40,');
    expect(row).toContain(`,BANK_ERROR,"'=HYPERLINK(""x"")",rita@bank.example,`);
    expect(lines.find((line) => line.startsWith('match:m-1,'))).toContain(',L-1 L-2,batch-by-amount,0.7500,');
    // The default filter (open + pending approval) and other filters apply as on the list page.
    const open = await call('GET', '/cases.csv', { user: 'victor' });
    expect(open.body.trimEnd().split('\n')).toHaveLength(3);
    expect((await call('GET', '/cases.csv')).status).toBe(401);
    expect((await call('GET', '/cases.csv', { user: 'victor', query: { status: 'NOPE' } })).status).toBe(400);
  });

  it('GET /cases.csv pages through the store: more cases than one page are all exported', async () => {
    const { store, call } = await setUp();
    const many = Array.from({ length: 2100 }, (_, i) => exceptionCase({ caseId: `exception:statement:bulk:${i}`, runId: 'run-bulk' }));
    await store.applyImport('run-bulk', { raised: many.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    const lines = (await call('GET', '/cases.csv', { user: 'victor', query: { status: 'ALL' } })).body.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 4 + 2100);
    expect(new Set(lines.map((line) => line.split(',')[0])).size).toBe(lines.length);
  });

  it('serves the stylesheet the CSP allows (no inline styles anywhere)', async () => {
    const { call } = await setUp();
    const css = await call('GET', '/static/workbench.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('td.num');
    const list = await call('GET', '/cases', { user: 'rita' });
    expect(list.body).not.toMatch(/style=|<style/);
    expect(list.body).toContain('<link rel="stylesheet" href="/static/workbench.css">');
    // The one script is the static file the CSP allows (script-src 'self'): no inline script, no handler attribute.
    const page = await call('GET', `/cases/${encodeURIComponent(plain.caseId)}`, { user: 'rita' });
    for (const body of [list.body, page.body]) {
      expect(body.match(/<script[^>]*>/g)).toEqual(['<script src="/static/workbench.js" defer>']);
      expect(body).toContain('<script src="/static/workbench.js" defer></script>');
      expect(body).not.toMatch(/\son[a-z]+=/i);
    }
    const js = await call('GET', '/static/workbench.js');
    expect([js.status, js.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(js.headers['content-security-policy']).toContain("script-src 'self'");
    expect(js.body).toContain("addEventListener('keydown'");
  });

  it('GET /cases lists open + pending cases by default with counts, the signed-in user and exact amounts', async () => {
    const { call } = await setUp();
    const response = await call('GET', '/cases', { user: 'rita' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(response);
    expect(response.body).toContain('Signed in as <strong>rita@bank.example</strong><span class="role">reconciler</span>');
    expect(response.body).toContain(`href="/cases/${encodeURIComponent(plain.caseId)}"`);
    expect(response.body).toContain('<td class="num">1234567890123.45</td>');
    expect(response.body).toContain('match:m-1');
    expect(response.body).not.toContain('L-DONE'); // RESOLVED is not in the default filter
    expect(response.body).toContain('<span>Open</span><strong>3</strong>');
    expect(response.body).toContain('<span>Resolved</span><strong>1</strong>');
    expect(response.body).toContain('<span>Open STALE</span><strong>1</strong>');
  });

  it('GET /cases filters by status, reason and search; a bad status is a 400 naming the filter', async () => {
    const { call } = await setUp();
    const resolvedOnly = await call('GET', '/cases', { user: 'rita', query: { status: 'RESOLVED' } });
    expect(resolvedOnly.body).toContain('L-DONE');
    expect(resolvedOnly.body).not.toContain('match:m-1');
    const stale = await call('GET', '/cases', { user: 'rita', query: { reason: 'STALE' } });
    expect(stale.body).toContain(plain.caseId);
    expect(stale.body).not.toContain('match:m-1</a>');
    const bad = await call('GET', '/cases', { user: 'rita', query: { status: 'DONE' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('parameter &quot;status&quot; must be ALL or a comma list of OPEN, PENDING_APPROVAL, RESOLVED, WRITTEN_OFF, CLEARED; got &quot;DONE&quot;');
  });

  it('escapes every value: a case holding <script> renders as text, in the list and the detail', async () => {
    const { call } = await setUp();
    const list = await call('GET', '/cases', { user: 'rita' });
    expect(list.body).not.toContain('<script>');
    expect(list.body).toContain('exception:statement:&lt;script&gt;x&lt;/script&gt;');
    const detail = await call('GET', `/cases/${encodeURIComponent(evil.caseId)}`, { user: 'rita' });
    expect(detail.status).toBe(200);
    expect(detail.body).not.toContain('<script>');
    expect(detail.body).not.toContain('<img');
    expect(detail.body).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(detail.body).toContain('&quot;&gt;&lt;img src=x&gt;');
  });

  it('GET /cases/<id> shows the fields, the history and only the forms the actor may use', async () => {
    const { call } = await setUp();
    const path = `/cases/${encodeURIComponent(match.caseId)}`;
    const asReconciler = await call('GET', path, { user: 'rita' });
    expect(asReconciler.body).toContain('<dt>Confidence</dt><dd>0.7500</dd>');
    expect(asReconciler.body).toContain('<dt>Ledger entries</dt><dd>L-1, L-2</dd>');
    expect(asReconciler.body).toContain('Raised by run');
    expect(asReconciler.body).toContain('name="type" value="confirm-match"');
    expect(asReconciler.body).toContain('name="type" value="reject-match"');
    expect(asReconciler.body).not.toContain('name="type" value="resolve"');
    expect(asReconciler.body).toContain(`name="csrf" value="${csrfToken(SECRET, reconciler.user)}"`);
    expect(asReconciler.body).toContain('name="expectedVersion" value="1"');
    const asViewer = await call('GET', path, { user: 'victor' });
    expect(asViewer.body).not.toContain('<form method="post"');
    expect(asViewer.body).toContain('No actions available to you');
    const missing = await call('GET', '/cases/exception%3Anope', { user: 'rita' });
    expect(missing.status).toBe(404);
  });

  it('a form POST resolves the case: 303 back to the detail, then RESOLVED with the history line', async () => {
    const { call, form, store } = await setUp();
    const response = await form('rita', plain.caseId, { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'booked next day', expectedVersion: '1', csrf: csrfToken(SECRET, reconciler.user) });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(`/cases/${encodeURIComponent(plain.caseId)}?done=resolve`);
    expectSecurityHeaders(response);
    expect(await store.get(plain.caseId)).toMatchObject({ status: 'RESOLVED', version: 2, resolution: { kind: 'TIMING_DIFFERENCE', note: 'booked next day', by: reconciler.user } });
    const detail = await call('GET', `/cases/${encodeURIComponent(plain.caseId)}`, { user: 'rita', query: { done: 'resolve' } });
    expect(detail.body).toContain('Done: resolve.');
    expect(detail.body).toContain('<span class="status status-OPEN">Open</span> → <span class="status status-RESOLVED">Resolved</span>');
    expect(detail.body).toContain('booked next day');
  });

  it('a form with a wrong or missing CSRF token is refused (403) and nothing is written', async () => {
    const { form, store } = await setUp();
    for (const csrf of [csrfToken(SECRET, approver.user), csrfToken('other-secret', reconciler.user), '']) {
      const response = await form('rita', plain.caseId, { type: 'comment', note: 'x', expectedVersion: '1', csrf });
      expect(response.status).toBe(403);
      expect(response.body).toContain('CSRF check failed');
    }
    expect(await store.history(plain.caseId)).toHaveLength(1);
  });

  it('a stale form (expectedVersion behind) is a 409 with a reload message, and nothing is written', async () => {
    const { form, store } = await setUp();
    const csrf = csrfToken(SECRET, reconciler.user);
    expect((await form('rita', plain.caseId, { type: 'comment', note: 'first', expectedVersion: '1', csrf })).status).toBe(303);
    const stale = await form('rita', plain.caseId, { type: 'resolve', resolution: 'BANK_ERROR', note: 'second', expectedVersion: '1', csrf });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('Nothing was changed');
    expect(stale.body).toContain('reload it and try again');
    expect(stale.body).toContain('name="expectedVersion" value="2"'); // the re-rendered forms carry the current version
    expect(await store.get(plain.caseId)).toMatchObject({ status: 'OPEN', version: 2 });
    expect(await store.history(plain.caseId)).toHaveLength(2);
  });

  it('a lost race in the store (CaseVersionConflict) is a 409 too', async () => {
    const { form, store } = await setUp();
    const save = store.save.bind(store);
    // Someone else saves between our read and our write.
    jest.spyOn(store, 'get').mockImplementationOnce(async (caseId) => {
      const current = (await store.list({})).find((c) => c.caseId === caseId)!;
      await save({ ...current, version: 2, assignee: 'other@bank.example' }, { caseId, version: 2, action: 'assign', actor: 'other@bank.example', at: 'x', from: 'OPEN', to: 'OPEN' });
      return current;
    });
    const response = await form('rita', plain.caseId, { type: 'comment', note: 'mine', expectedVersion: '1', csrf: csrfToken(SECRET, reconciler.user) });
    expect(response.status).toBe(409);
    expect(response.body).toContain('changed by someone else');
    expect((await store.history(plain.caseId)).map((e) => e.actor)).toEqual(['ledgerline', 'other@bank.example']);
  });

  it('a viewer is refused (403), a PAN in a note is a 422 (PCI-3), a missing field is a 400; nothing is written', async () => {
    const { form, store } = await setUp();
    const asViewer = await form('victor', plain.caseId, { type: 'comment', note: 'x', expectedVersion: '1', csrf: csrfToken(SECRET, viewer.user) });
    expect(asViewer.status).toBe(403);
    expect(asViewer.body).toContain('needs the reconciler role');
    const csrf = csrfToken(SECRET, reconciler.user);
    const pan = await form('rita', plain.caseId, { type: 'comment', note: 'card 4111 1111 1111 1111', expectedVersion: '1', csrf });
    expect(pan.status).toBe(422);
    expect(pan.body).toContain('field &quot;note&quot; contains what looks like a card number');
    expect(pan.body).not.toContain('4111');
    const missing = await form('rita', plain.caseId, { type: 'resolve', note: 'x', expectedVersion: '1', csrf });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('field &quot;resolution&quot;');
    expect(await store.history(plain.caseId)).toHaveLength(1);
  });

  it('four eyes through the app: the proposer cannot approve; another approver can', async () => {
    const { json, store } = await setUp();
    expect((await json('anna', plain.caseId, { type: 'propose-write-off', note: 'small', expectedVersion: 1 })).status).toBe(200);
    const own = await json('anna', plain.caseId, { type: 'approve-write-off', expectedVersion: 2 });
    expect(own.status).toBe(403);
    expect(JSON.parse(own.body)).toEqual({ error: { code: 'FORBIDDEN', message: expect.stringContaining('four eyes') } });
    expect((await store.get(plain.caseId))!.status).toBe('PENDING_APPROVAL');
    const other = await json('alex', plain.caseId, { type: 'approve-write-off', expectedVersion: 2 });
    expect(other.status).toBe(200);
    expect(await store.get(plain.caseId)).toMatchObject({ status: 'WRITTEN_OFF', resolution: { kind: 'WRITTEN_OFF', by: 'alex@bank.example' } });
  });

  it('ADJ-1: an approved write-off books one balanced adjustment, named in the case and its history; approving again changes nothing', async () => {
    const { json, store, ledger } = await setUp();
    await json('rita', plain.caseId, { type: 'propose-write-off', note: 'bank charge', expectedVersion: 1 });
    const approved = await json('alex', plain.caseId, { type: 'approve-write-off', expectedVersion: 2 });
    expect(approved.status).toBe(200);
    const { case: after, event } = JSON.parse(approved.body) as { case: { resolution: { adjustment: { adjustmentId: string; amount: string } } }; event: { adjustmentId: string; detail: string } };
    expect(event.adjustmentId).toMatch(/^ADJ-[0-9a-f]{24}$/);
    expect(after.resolution.adjustment).toMatchObject({ adjustmentId: event.adjustmentId, amount: '1234567890123.45', accountId: 'SETTLE-EUR-001', contraAccountId: 'WRITEOFF-EUR' });
    expect(event.detail).toContain(`booked as ${event.adjustmentId}`);
    const balances = await ledger.store.balances();
    expect(balances).toEqual([
      { accountId: 'SETTLE-EUR-001', currency: 'EUR', balance: '1234567890123.45', version: 1 },
      { accountId: 'WRITEOFF-EUR', currency: 'EUR', balance: '-1234567890123.45', version: 1 },
    ]);
    expect(ledger.written).toHaveLength(1);
    const again = await json('alex', plain.caseId, { type: 'approve-write-off', expectedVersion: 2 });
    expect(again.status).toBe(409);
    expect(await ledger.store.balances()).toEqual(balances);
    expect((await store.history(plain.caseId)).filter((e) => e.adjustmentId === event.adjustmentId)).toHaveLength(1);
  });

  it('ADJ-1 through the HTML forms: propose to suspense, approve; the detail shows the booking and the history names it', async () => {
    const { form, call, ledger } = await setUp();
    const page = await call('GET', `/cases/${encodeURIComponent(plain.caseId)}`, { user: 'rita' });
    expect(page.body).toContain('<select id="target" name="target">');
    const proposed = await form('rita', plain.caseId, { type: 'propose-write-off', target: 'SUSPENSE', note: 'bank error', expectedVersion: '1', csrf: csrfToken(SECRET, reconciler.user) });
    expect(proposed.status).toBe(303);
    const approved = await form('alex', plain.caseId, { type: 'approve-write-off', expectedVersion: '2', csrf: csrfToken(SECRET, 'alex@bank.example') });
    expect(approved.status).toBe(303);
    const detail = await call('GET', `/cases/${encodeURIComponent(plain.caseId)}`, { user: 'rita' });
    const id = /Booked as<\/dt><dd>(ADJ-[0-9a-f]{24})</.exec(detail.body)?.[1];
    expect(id).toBeDefined();
    expect(detail.body).toContain('1234567890123.45 EUR on SETTLE-EUR-001 against SUSPENSE-EUR');
    expect(detail.body).toContain(`booked as ${id}`);
    expect((await ledger.store.balances()).map((b) => b.accountId)).toEqual(['SETTLE-EUR-001', 'SUSPENSE-EUR']);
    const bad = await form('rita', evil.caseId, { type: 'propose-write-off', target: 'ELSEWHERE', note: 'x', expectedVersion: '1', csrf: csrfToken(SECRET, reconciler.user) });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('field &quot;target&quot; must be one of WRITE_OFF, SUSPENSE');
  });

  it('ADJ-1: without a ledger, approving a write-off is refused (503) and nothing changes; a rejection still works', async () => {
    const { json, store } = await setUp({ withLedger: false });
    await json('rita', plain.caseId, { type: 'propose-write-off', note: 'bank charge', expectedVersion: 1 });
    const refused = await json('alex', plain.caseId, { type: 'approve-write-off', expectedVersion: 2 });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ error: { code: 'UNAVAILABLE', message: expect.stringContaining('no ledger configured') } });
    expect(JSON.parse(refused.body).error.message).toContain('--state');
    expect(await store.get(plain.caseId)).toMatchObject({ status: 'PENDING_APPROVAL', version: 2 });
    // The real fault first: the proposer is refused for four eyes, not for the missing ledger.
    expect((await json('rita', plain.caseId, { type: 'approve-write-off', expectedVersion: 2 })).status).toBe(403);
    expect((await json('alex', plain.caseId, { type: 'reject-write-off', note: 'no', expectedVersion: 2 })).status).toBe(200);
  });

  it('JSON API: list, detail with history and allowed actions, and an action returning {case, event}', async () => {
    const { call, json } = await setUp();
    const list = await call('GET', '/api/cases', { user: 'rita', query: { status: 'ALL' } });
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toBe('application/json; charset=utf-8');
    expectSecurityHeaders(list);
    const listed = JSON.parse(list.body) as { cases: { caseId: string }[]; counts: unknown };
    expect(listed.cases.map((c) => c.caseId).sort()).toEqual([evil.caseId, plain.caseId, match.caseId, resolved.caseId].sort());
    expect(listed.counts).toEqual({ byStatus: { OPEN: 3, RESOLVED: 1 }, openByReason: { PROPOSED_MATCH: 1, STALE: 1, UNMATCHED: 1 } });

    const detail = JSON.parse((await call('GET', `/api/cases/${encodeURIComponent(match.caseId)}`, { user: 'rita' })).body);
    expect(detail.case).toEqual(match);
    expect(detail.history).toHaveLength(1);
    expect(detail.allowedActions).toEqual(['comment', 'assign', 'confirm-match', 'reject-match']);

    const acted = await json('rita', match.caseId, { type: 'confirm-match', expectedVersion: 1 });
    expect(acted.status).toBe(200);
    const body = JSON.parse(acted.body);
    expect(body.case).toMatchObject({ status: 'RESOLVED', version: 2, resolution: { kind: 'MATCH_CONFIRMED' } });
    expect(body.event).toMatchObject({ action: 'confirm-match', actor: reconciler.user, from: 'OPEN', to: 'RESOLVED', version: 2, at: '2025-03-05T12:00:00.000Z' });

    const stale = await json('rita', match.caseId, { type: 'comment', note: 'x', expectedVersion: 1 });
    expect(stale.status).toBe(409);
    expect(JSON.parse(stale.body).error.code).toBe('CONFLICT');
    const missing = await json('rita', 'match:none', { type: 'comment', note: 'x', expectedVersion: 1 });
    expect([missing.status, JSON.parse(missing.body).error.code]).toEqual([404, 'NOT_FOUND']);
    const invalid = await call('POST', `/api/cases/${encodeURIComponent(plain.caseId)}/actions`, { user: 'rita', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect([invalid.status, JSON.parse(invalid.body).error.code]).toEqual([400, 'INVALID']);
  });

  it('the JSON API requires content-type application/json (415), so a cross-site form cannot post to it', async () => {
    const { call, store } = await setUp();
    const response = await call('POST', `/api/cases/${encodeURIComponent(plain.caseId)}/actions`, {
      user: 'rita',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ type: 'comment', note: 'x', expectedVersion: 1 }),
    });
    expect(response.status).toBe(415);
    expect(await store.history(plain.caseId)).toHaveLength(1);
  });

  it('401 without a session: an HTML page for pages, a JSON error under /api', async () => {
    const { call } = await setUp();
    const page = await call('GET', '/cases');
    expect(page.status).toBe(401);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('no session: sign in first');
    expectSecurityHeaders(page);
    const api = await call('GET', '/api/cases');
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'no session: sign in first' } });
  });

  it('404 for an unknown route, 405 (with allow) for a wrong method, 413 for a body over 64 KiB', async () => {
    const { call, store } = await setUp();
    const unknown = await call('GET', '/admin', { user: 'rita' });
    expect(unknown.status).toBe(404);
    expectSecurityHeaders(unknown);
    expect((await call('GET', '/api/nothing', { user: 'rita' })).headers['content-type']).toBe('application/json; charset=utf-8');
    const wrongMethod = await call('DELETE', `/cases/${encodeURIComponent(plain.caseId)}`, { user: 'rita' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET');
    expect((await call('GET', `/cases/${encodeURIComponent(plain.caseId)}/actions`, { user: 'rita' })).status).toBe(405);
    const big = await call('POST', `/cases/${encodeURIComponent(plain.caseId)}/actions`, {
      user: 'rita',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ type: 'comment', note: 'x'.repeat(64 * 1024), expectedVersion: '1', csrf: csrfToken(SECRET, reconciler.user) }).toString(),
    });
    expect(big.status).toBe(413);
    expectSecurityHeaders(big);
    expect(await store.history(plain.caseId)).toHaveLength(1);
  });
});
