/**
 * The same workbench everywhere (WB-1, REC-CASE-1): the HTTP app over the DynamoDB store (on
 * dynalite with the rehearsal's transactions) answers exactly what it answers over the embedded
 * SQLite store, for one run's cases: each case's candidates with their reasons (group sums
 * included), the n / p links of each case page, the urgency list, and a group match that resolves
 * every case it touches. The SQLite store is the reference; nothing here restates the expected
 * ranking, only that both stores give the same one.
 */
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { createWorkbenchApp, csrfToken } from '../../../src/recon/workbench/app';
import { type ExceptionCase, planImport } from '../../../src/recon/workbench/cases';
import { type WorkbenchRequest, type WorkbenchStore } from '../../../src/recon/workbench/ports';
import { exceptionCase, headerAuthenticator, memoryStore, reconciler, steppingClock } from '../../recon/workbench/helpers';
import { WorkbenchStandIn } from './support/workbench-standin';

const SECRET = 'same-everywhere';
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
    ...(side === 'statement' ? { statementLineId: id, bankReference: `INV-${id}` } : { statementLineId: undefined, ledgerEntryIds: [id] }),
    ...extra,
  });
const incoming = [
  batchCase,
  lone('statement', 'LINE-2', '80.00'),
  lone('statement', 'LINE-3', '-12.00', { ageDays: 6, reason: 'DUPLICATE' }),
  lone('ledger', 'E-80', '80.00'),
  lone('ledger', 'E-80b', '80.40', { ageDays: 3 }),
  lone('ledger', 'E-80c', '80.00', { status: 'RESOLVED' }),
  lone('ledger', 'E-80d', '80.00', { accountId: 'ACC-8' }),
  lone('ledger', 'INV-LINE-2', '79.00', { ageDays: 4 }),
  lone('ledger', 'E-big', '25000.00', { ageDays: 2 }),
];

function appOver(store: WorkbenchStore) {
  const app = createWorkbenchApp({
    store,
    authenticator: headerAuthenticator(reconciler, 'sign in'),
    clock: steppingClock('2026-03-11T09:00:00.000Z'),
    csrfSecret: SECRET,
  });
  const call = (method: string, path: string, body = '') =>
    app({ method, path, query: {}, headers: { 'x-test-user': 'rita', 'content-type': 'application/x-www-form-urlencoded' }, body } satisfies WorkbenchRequest);
  const form = (caseId: string, fields: Record<string, string>) =>
    call('POST', `/cases/${encodeURIComponent(caseId)}/actions`, new URLSearchParams({ csrf: csrfToken(SECRET, reconciler.user), ...fields }).toString());
  return { call, form };
}

/** What a person sees of one case: its candidates (keys, rows, scores, reasons) and its n / p links. */
async function viewOf(app: ReturnType<typeof appOver>, caseId: string) {
  const api = JSON.parse((await app.call('GET', `/api/cases/${encodeURIComponent(caseId)}`)).body) as { candidates?: unknown; case: ExceptionCase };
  const page = (await app.call('GET', `/cases/${encodeURIComponent(caseId)}`)).body;
  const link = (rel: string) => new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(page)?.[1];
  return { status: api.case.status, version: api.case.version, candidates: api.candidates ?? null, previous: link('prev'), next: link('next') };
}

describe('the workbench app over DynamoWorkbenchStore answers as over SqliteWorkbenchStore', () => {
  const table = new WorkbenchStandIn();
  beforeAll(async () => {
    await table.start();
  }, 60_000);
  afterAll(async () => {
    await table.stop();
  });

  async function both() {
    await table.clear();
    const stores: [string, WorkbenchStore][] = [
      ['sqlite', memoryStore()],
      ['dynamo', new DynamoWorkbenchStore({ client: table.client, tableName: table.tableName })],
    ];
    const plan = planImport([], incoming, { runId: 'run-1', coveredAccounts: new Set([ACCOUNT, 'ACC-8']) }, '2026-03-10T08:00:00.000Z');
    for (const [, store] of stores) await store.applyImport('run-1', plan);
    return stores.map(([name, store]) => ({ name, store, app: appOver(store) }));
  }

  it('every case page: the same candidates with the same reasons, and the same n / p links', async () => {
    const [sqlite, dynamo] = await both();
    let offered = 0;
    let linked = 0;
    for (const c of incoming) {
      const reference = await viewOf(sqlite!.app, c.caseId);
      expect({ caseId: c.caseId, ...(await viewOf(dynamo!.app, c.caseId)) }).toEqual({ caseId: c.caseId, ...reference });
      offered += (reference.candidates as { candidates?: unknown[] } | null)?.candidates?.length ?? 0;
      if (reference.previous && reference.next) linked += 1;
    }
    // The scenario is not empty: candidates, a group among them, and n / p links are compared.
    expect(offered).toBeGreaterThan(5);
    expect(linked).toBeGreaterThan(3);
    expect(JSON.stringify(await viewOf(sqlite!.app, batchCase.caseId))).toContain('group sum equal');
  });

  it('the urgency list and the age list are the same', async () => {
    const [sqlite, dynamo] = await both();
    for (const sort of ['age', 'urgency'] as const) {
      const ids = async (store: WorkbenchStore) => (await store.list({ sort, status: ['OPEN', 'PENDING_APPROVAL'] })).map((c) => c.caseId);
      expect(await ids(dynamo!.store)).toEqual(await ids(sqlite!.store));
    }
  });

  it('matching the batch line with its exact group resolves the same cases on both, and the rest of the pages follow', async () => {
    const [sqlite, dynamo] = await both();
    for (const side of [sqlite!, dynamo!]) {
      expect((await side.app.form(batchCase.caseId, { type: 'match-candidate', candidate: 'ledger:I1+I2+I3', expectedVersion: '1' })).status).toBe(303);
      expect((await side.app.form('exception:statement:LINE-2', { type: 'match-candidate', candidate: 'ledger:E-80', expectedVersion: '1' })).status).toBe(303);
    }
    for (const c of incoming) expect(await viewOf(dynamo!.app, c.caseId)).toEqual(await viewOf(sqlite!.app, c.caseId));
    expect((await dynamo!.store.get('exception:ledger:E-80'))!.status).toBe('RESOLVED');
    expect((await dynamo!.store.history(batchCase.caseId)).map((event) => event.action)).toEqual(['import', 'resolve']);
  });
});
