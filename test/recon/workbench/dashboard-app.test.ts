/**
 * REC-DASH-1 through the HTTP app: /dashboard and /api/dashboard are refused without a signed-in
 * user (401, nothing of the figures in the answer), and answer signed-in users of every role with
 * the store's figures: each chart an accessible SVG image (title, description) with its numbers
 * in a table behind a <details> and on its marks; CSP-safe (no script, no inline style, no
 * external reference) with the security headers; an empty store draws each chart's empty state.
 */
import { createWorkbenchApp, SECURITY_HEADERS } from '../../../src/recon/workbench/app';
import { type Actor } from '../../../src/recon/workbench/cases';
import { type DashboardData, percent, type RunStats } from '../../../src/recon/workbench/dashboard';
import { escapeHtml } from '../../../src/recon/workbench/html';
import { importRunCases } from '../../../src/recon/workbench/import-cases';
import { AuthenticationError, type Authenticator, type WorkbenchResponse } from '../../../src/recon/workbench/ports';
import { createHash } from 'node:crypto';
import { SqliteSessionStore } from '../../../src/adapters/embedded/workbench-store';
import { OidcSignIn } from '../../../src/recon/workbench/oidc';
import { openMemoryDatabase } from '../../support/memory-database';
import { LocalAuthenticator } from '../../../src/recon/workbench/local-auth';
import { approver, exceptionCase, memoryStore, reconciler, steppingClock, T0, viewer } from './helpers';

const ACTORS: Record<string, Actor> = { rita: reconciler, anna: approver, victor: viewer };
const authenticator: Authenticator = {
  async authenticate(request) {
    const actor = ACTORS[request.headers['x-test-user'] ?? ''];
    if (!actor) throw new AuthenticationError('no session: sign in first');
    return actor;
  },
};

const run = (runId: string, asOf: string, matchedLines: number, statementLines: number, volumes: RunStats['volumes']): RunStats => ({
  runId,
  asOf,
  recordedAt: `${asOf}T06:00:00.000Z`,
  statementLines,
  matchedLines,
  proposedLines: 0,
  unmatchedLines: statementLines - matchedLines,
  ledgerExceptions: 1,
  volumes,
});

async function setUp() {
  const store = memoryStore();
  const runs = [
    run('run-2', '2025-03-03', 2, 3, [{ accountId: 'ACC-<1>', currency: 'EUR', lines: 3, credits: '0.10', debits: '-0.20' }]),
    run('run-1', '2025-03-02', 9, 10, [
      { accountId: 'ACC-<1>', currency: 'EUR', lines: 6, credits: '99999999999999999.99', debits: '-0.01' },
      { accountId: 'ACC-2', currency: 'JPY', lines: 4, credits: '15', debits: '0' },
    ]),
  ];
  const ages = [0, 1, 2, 7, 8, 30, 31, 400, 5];
  const cases = ages.map((ageDays, i) => exceptionCase({ caseId: `exception:statement:abc:0:${i}`, ageDays, accountId: 'ACC-<1>' }));
  await importRunCases(store, { runId: 'run-1', coveredAccounts: new Set(), at: T0 }, cases.slice(0, 5), runs[1]);
  await importRunCases(store, { runId: 'run-2', coveredAccounts: new Set(), at: T0 }, cases.slice(5), runs[0]);
  const app = createWorkbenchApp({ store, authenticator, clock: steppingClock(), csrfSecret: 's' });
  const get = (path: string, user?: string): Promise<WorkbenchResponse> => app({ method: 'GET', path, query: {}, headers: user ? { 'x-test-user': user } : {}, body: '' });
  return { store, get };
}

describe('the dashboard pages', () => {
  it('are refused without a signed-in user (HTML and JSON), and show none of the figures', async () => {
    const { get } = await setUp();
    for (const path of ['/dashboard', '/api/dashboard']) {
      const response = await get(path);
      expect(response.status).toBe(401);
      expect(response.body).not.toContain('run-1');
      expect(response.body).not.toContain('99999999999999999.99');
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers[name]).toBe(value);
    }
    expect((await get('/api/dashboard')).headers['content-type']).toContain('application/json');
  });

  it("answer every role with the store's figures (JSON)", async () => {
    const { get, store } = await setUp();
    for (const user of Object.keys(ACTORS)) {
      const response = await get('/api/dashboard', user);
      expect(response.status).toBe(200);
      const data = JSON.parse(response.body) as DashboardData;
      expect(data.runs.map((r) => r.runId)).toEqual(['run-1', 'run-2']);
      expect(data.runs).toEqual(expect.arrayContaining(await store.runStats()));
      expect(data.ageing).toEqual({ '0–1': 2, '2–7': 3, '8–30': 2, '>30': 2 });
      // By account id (code-unit order: "ACC-2" before "ACC-<1>"), summed exactly over the runs.
      expect(data.volumes).toEqual([
        { accountId: 'ACC-2', currency: 'JPY', lines: 4, credits: '15', debits: '0' },
        { accountId: 'ACC-<1>', currency: 'EUR', lines: 9, credits: '100000000000000000.09', debits: '-0.21' },
      ]);
    }
  });

  it('render each chart as inline SVG with the table of its numbers, escaped and CSP-safe', async () => {
    const { get, store } = await setUp();
    const response = await get('/dashboard', 'victor');
    expect(response.status).toBe(200);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers[name]).toBe(value);
    const body = response.body;
    // Match rate, ageing, lines by account, money in and out per currency (EUR, JPY); no rule counted in these runs: its empty state.
    expect(body.match(/<svg /g)).toHaveLength(5);
    expect(body).toContain('No match by any rule yet');
    // Each chart an image with a title and a description, its numbers in a table behind a <details>.
    for (const id of ['match-rate', 'ageing', 'volumes', 'money-EUR', 'money-JPY']) {
      expect(body).toContain(`<svg role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc"`);
      expect(body).toMatch(
        new RegExp(`<figure class="chart panel" id="${id}">[^]*?<title id="${id}-title">[^<]+</title><desc id="${id}-desc">[^<]+</desc>[^]*?<details class="chart-data">[^]*?<table`),
      );
    }
    // No inline script or style: a script only from the workbench's own /static/ files.
    expect(body).not.toMatch(/<script(?![^>]*\ssrc="\/static\/[\w.-]+")|\sstyle=|\son[a-z]+=|javascript:/i);
    // The only absolute URL is the SVG namespace: nothing is fetched from elsewhere.
    for (const url of body.matchAll(/https?:\/\/[^"'\s<]+/g)) expect(url[0]).toBe('http://www.w3.org/2000/svg');
    // Account ids are escaped in the labels, the data attributes and the table.
    expect(body).not.toContain('ACC-<1>');
    expect(body).toContain(escapeHtml('ACC-<1>'));
    for (const stats of await store.runStats()) {
      const rate = percent(stats.matchedLines, stats.statementLines);
      expect(body).toContain(`data-run="${stats.runId}" data-rate="${rate}"`);
      expect(body).toContain(`<td class="num">${rate}%</td>`);
    }
    expect(body).toContain('data-bucket="&gt;30" data-count="2"');
    expect(body).toContain('<td class="num">100000000000000000.09</td>');
    expect(body).toContain('<td class="num">-0.21</td>');
    // The money chart's marks carry the exact sums, and its axis labels exact decimals.
    expect(body).toContain(`data-account="${escapeHtml('ACC-<1>')}" data-currency="EUR" data-credits="100000000000000000.09" data-debits="-0.21"`);
    expect(body).toContain('<title>ACC-&lt;1&gt;: 100,000,000,000,000,000.09 EUR in (money in)</title>');
  });

  it('says so when no run has been imported', async () => {
    const store = memoryStore();
    const app = createWorkbenchApp({ store, authenticator, clock: steppingClock(), csrfSecret: 's' });
    const response = await app({ method: 'GET', path: '/dashboard', query: {}, headers: { 'x-test-user': 'rita' }, body: '' });
    expect(response.status).toBe(200);
    // Every chart says why it is empty; the tables are there (empty, or the zero counts).
    expect(response.body).not.toContain('<svg ');
    expect(response.body).toContain('No run has been imported yet: the match rate appears once a reconciliation run is committed.');
    expect(response.body).toContain('No open case.');
    expect(response.body).toContain('No statement lines yet');
    expect(response.body).toContain('No match by any rule yet');
    expect(response.body).toContain('<tr><td>All</td><td class="num">0</td></tr>');
  });

  it('accept GET only', async () => {
    const { store } = await setUp();
    const app = createWorkbenchApp({ store, authenticator, clock: steppingClock(), csrfSecret: 's' });
    const response = await app({ method: 'POST', path: '/dashboard', query: {}, headers: { 'x-test-user': 'rita' }, body: '' });
    expect(response.status).toBe(405);
  });
});

describe('the dashboard behind the real sign-ins', () => {
  const NOW = new Date('2025-03-01T10:00:00Z');
  const ISSUER = 'https://bank.okta.com/oauth2/default';
  const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

  it('OIDC (Okta on AWS, the local provider locally: one code): no session cookie, an unknown or an expired session is refused; a live one is served', async () => {
    const store = memoryStore();
    await importRunCases(store, { runId: 'run-1', coveredAccounts: new Set(), at: T0 }, [], run('run-1', '2025-03-02', 1, 2, []));
    const sessions = new SqliteSessionStore(openMemoryDatabase());
    const authenticator = new OidcSignIn({
      issuer: ISSUER,
      clientId: 'ledgerline',
      clientSecret: 'secret',
      baseUrl: 'https://workbench.bank.example',
      groupRoles: { 'ledgerline-finance-viewers': 'viewer' },
      sessions,
      clock: { now: () => NOW },
    });
    const at = NOW.getTime();
    const session = (id: string, createdAt: number) =>
      sessions.createSession({ key: sha256(id), sub: '00u1', name: 'Ana', roles: ['viewer'], csrfKey: 'c', createdAt, lastSeenAt: createdAt, rotatedAt: at });
    await session('live', at);
    await session('expired', at - 9 * 3600 * 1000);
    const app = createWorkbenchApp({ store, authenticator, clock: { now: () => NOW }, csrfSecret: 's' });
    const get = (path: string, id?: string) => app({ method: 'GET', path, query: {}, headers: id ? { cookie: `__Host-ledgerline_session=${id}` } : {}, body: '' });
    for (const path of ['/dashboard', '/api/dashboard']) {
      for (const id of [undefined, 'unknown', 'expired']) {
        const refused = await get(path, id);
        expect(refused.status).toBe(401);
        expect(refused.body).not.toContain('run-1');
      }
      expect((await get(path, 'live')).status).toBe(200);
    }
    expect(JSON.parse((await get('/api/dashboard', 'live')).body).runs[0].runId).toBe('run-1');
  });

  it('embedded (local single user): without the access token or its session it is refused', async () => {
    const store = memoryStore();
    const authenticator = new LocalAuthenticator(reconciler);
    const app = createWorkbenchApp({ store, authenticator, clock: { now: () => NOW }, csrfSecret: 's' });
    const token = new URL(authenticator.loginUrl('http://127.0.0.1:1')).searchParams.get('token')!;
    const get = (headers: Record<string, string>) => app({ method: 'GET', path: '/dashboard', query: {}, headers, body: '' });
    expect((await get({})).status).toBe(401);
    expect((await get({ authorization: `Bearer ${'0'.repeat(64)}` })).status).toBe(401);
    expect((await get({ authorization: `Bearer ${token}` })).status).toBe(200);
  });
});
