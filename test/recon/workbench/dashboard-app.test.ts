/**
 * REC-DASH-1 through the HTTP app: /dashboard and /api/dashboard are refused without a signed-in
 * user (401, nothing of the figures in the answer), and answer signed-in users of every role with
 * the store's figures: each chart's numbers in its table and on its marks; CSP-safe (no script,
 * no inline style, no external reference) with the security headers.
 */
import { createWorkbenchApp, SECURITY_HEADERS } from '../../../src/recon/workbench/app';
import { type Actor } from '../../../src/recon/workbench/cases';
import { type DashboardData, percent, type RunStats } from '../../../src/recon/workbench/dashboard';
import { escapeHtml } from '../../../src/recon/workbench/html';
import { importRunCases } from '../../../src/recon/workbench/import-cases';
import { AuthenticationError, type Authenticator, type WorkbenchResponse } from '../../../src/recon/workbench/ports';
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
    expect(body.match(/<svg /g)).toHaveLength(3);
    expect(body).not.toMatch(/<script|\sstyle=|\son[a-z]+=|javascript:/i);
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
  });

  it('says so when no run has been imported', async () => {
    const store = memoryStore();
    const app = createWorkbenchApp({ store, authenticator, clock: steppingClock(), csrfSecret: 's' });
    const response = await app({ method: 'GET', path: '/dashboard', query: {}, headers: { 'x-test-user': 'rita' }, body: '' });
    expect(response.status).toBe(200);
    expect(response.body).toContain('No run has been imported yet.');
    expect(response.body).toContain('data-bucket="0–1" data-count="0"');
  });

  it('accept GET only', async () => {
    const { store } = await setUp();
    const app = createWorkbenchApp({ store, authenticator, clock: steppingClock(), csrfSecret: 's' });
    const response = await app({ method: 'POST', path: '/dashboard', query: {}, headers: { 'x-test-user': 'rita' }, body: '' });
    expect(response.status).toBe(405);
  });
});
