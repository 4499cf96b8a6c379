/**
 * Reads (get, history, list, counts, casesOfAccounts) run against dynalite. dynalite has no
 * TransactWriteItems, so save and applyImport run against aws-sdk-client-mock with a small
 * in-memory table that evaluates the store's condition expressions (all-or-nothing, reasons in
 * item order): support/fake-workbench-table.ts.
 */
import { DeleteItemCommand, PutItemCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { caseItem, DynamoWorkbenchStore, eventItem } from '../../../src/adapters/aws/dynamo-workbench-store';
import { applyCaseAction, planImport, type CaseEvent, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { pageCursor } from '../../../src/recon/workbench/cursor';
import { CaseVersionConflict } from '../../../src/recon/workbench/ports';
import { TransientStoreError } from '../../../src/ports';
import type { Dynalite } from './support/dynalite';
import { startDynalite } from './support/dynalite';
import { FakeWorkbenchTable } from './support/fake-workbench-table';

const AT = '2025-03-01T10:00:00.000Z';
const RECONCILER = { user: 'ana@bank.example', roles: ['reconciler'] as const };

function exceptionCase(id: string, extra: Partial<ExceptionCase> = {}): ExceptionCase {
  return {
    caseId: `exception:statement:${id}`,
    kind: 'exception',
    runId: 'run-1',
    side: 'statement',
    reason: 'UNMATCHED',
    accountId: 'ACC-1',
    currency: 'GBP',
    amount: '-12.50',
    ageDays: 3,
    statementLineId: `SL-${id}`,
    bankReference: `REF-${id}`,
    ledgerEntryIds: [],
    status: 'OPEN',
    version: 1,
    updatedAt: AT,
    ...extra,
  };
}

function raisedEvent(c: ExceptionCase): CaseEvent {
  return { caseId: c.caseId, version: 1, action: 'import', actor: 'ledgerline', at: AT, to: 'OPEN', detail: 'raised by run run-1: UNMATCHED' };
}

describe('DynamoWorkbenchStore reads (dynalite)', () => {
  let db: Dynalite;
  let store: DynamoWorkbenchStore;
  const seeded = [
    exceptionCase('a', { ageDays: 3 }),
    exceptionCase('b', { ageDays: 40, reason: 'AMOUNT_MISMATCH', assignee: 'bo@bank.example' }),
    exceptionCase('c', { ageDays: 3, status: 'PENDING_APPROVAL', version: 2, writeOff: { proposedBy: 'ana@bank.example', note: 'fee', at: AT } }),
    exceptionCase('d', { ageDays: 12, status: 'RESOLVED', version: 2, accountId: 'ACC-2', resolution: { kind: 'BANK_ERROR', note: 'bank fixed it', by: 'ana@bank.example', at: AT } }),
    exceptionCase('e', { ageDays: 0, status: 'CLEARED', version: 2, accountId: 'ACC-2', ledgerEntryIds: ['LE-77', 'LE-78'] }),
    {
      ...exceptionCase('m'),
      caseId: 'match:M-1',
      kind: 'proposed-match',
      side: 'both',
      reason: 'PROPOSED_MATCH',
      accountId: '',
      ageDays: 1,
      ledgerEntryIds: ['LE-9'],
      ruleId: 'amount-date',
      confidence: '0.8500',
    } satisfies ExceptionCase,
  ];

  beforeAll(async () => {
    db = await startDynalite();
    store = new DynamoWorkbenchStore({ client: db.client, tableName: db.tableNames.workbench });
    for (const c of seeded) {
      await db.client.send(new PutItemCommand({ TableName: db.tableNames.workbench, Item: caseItem(c) }));
      await db.client.send(new PutItemCommand({ TableName: db.tableNames.workbench, Item: eventItem(raisedEvent(c)) }));
    }
    const d = seeded[3]!;
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableNames.workbench,
        Item: eventItem({ caseId: d.caseId, version: 2, action: 'resolve', actor: 'ana@bank.example', at: AT, from: 'OPEN', to: 'RESOLVED', note: 'bank fixed it', detail: 'BANK_ERROR' }),
      }),
    );
  });

  afterAll(async () => {
    await db.stop();
  });

  it('gets a case exactly as stored (no key attributes), or undefined', async () => {
    for (const c of seeded) await expect(store.get(c.caseId)).resolves.toEqual(c);
    await expect(store.get('exception:statement:nope')).resolves.toBeUndefined();
  });

  it('returns the history oldest first', async () => {
    const history = await store.history(seeded[3]!.caseId);
    expect(history.map((event) => [event.version, event.action, event.to])).toEqual([
      [1, 'import', 'OPEN'],
      [2, 'resolve', 'RESOLVED'],
    ]);
    expect(history[1]).toMatchObject({ from: 'OPEN', note: 'bank fixed it', actor: 'ana@bank.example' });
  });

  it('lists oldest first (age descending, then case id) with status, reason, account, assignee and search filters', async () => {
    const ids = (cases: ExceptionCase[]) => cases.map((c) => c.caseId.split(':').pop());
    expect(ids(await store.list({}))).toEqual(['b', 'd', 'a', 'c', 'M-1', 'e']);
    expect(ids(await store.list({ status: ['OPEN', 'PENDING_APPROVAL'] }))).toEqual(['b', 'a', 'c', 'M-1']);
    expect(ids(await store.list({ status: ['OPEN'], reason: 'AMOUNT_MISMATCH' }))).toEqual(['b']);
    expect(ids(await store.list({ accountId: 'ACC-2' }))).toEqual(['d', 'e']);
    expect(ids(await store.list({ accountId: 'ACC-2', status: ['CLEARED'] }))).toEqual(['e']);
    expect(ids(await store.list({ assignee: 'bo@bank.example' }))).toEqual(['b']);
    expect(ids(await store.list({ search: 'le-78' }))).toEqual(['e']);
    expect(ids(await store.list({ search: 'REF-a' }))).toEqual(['a']);
    expect(ids(await store.list({ limit: 2, offset: 1 }))).toEqual(['d', 'a']);
    expect(await store.list({ limit: 0 })).toEqual([]);
  });

  it('counts cases by status and open cases by reason', async () => {
    await expect(store.counts()).resolves.toEqual({
      byStatus: { OPEN: 3, PENDING_APPROVAL: 1, RESOLVED: 1, CLEARED: 1 },
      openByReason: { UNMATCHED: 2, AMOUNT_MISMATCH: 1, PROPOSED_MATCH: 1 },
    });
  });

  it('returns every case of the given accounts', async () => {
    const cases = await store.casesOfAccounts(new Set(['ACC-2', '']));
    expect(cases.map((c) => c.caseId).sort()).toEqual(['exception:statement:d', 'exception:statement:e', 'match:M-1']);
    await expect(store.casesOfAccounts(new Set())).resolves.toEqual([]);
  });

  it('a case written before the account-and-status indexes is missed by its account list (not by the others) until it is written again with its key', async () => {
    const old = exceptionCase('old', { accountId: 'ACC-OLD', ageDays: 5 });
    const { accountStatusKey, ...legacy } = caseItem(old);
    expect(accountStatusKey?.S).toBe('ACCOUNTSTATUS#["ACC-OLD","OPEN"]');
    await db.client.send(new PutItemCommand({ TableName: db.tableNames.workbench, Item: legacy }));
    try {
      for (const sort of ['age', 'urgency'] as const) {
        await expect(store.list({ accountId: 'ACC-OLD', sort })).resolves.toEqual([]);
        expect((await store.list({ status: ['OPEN'], sort })).map((c) => c.caseId)).toContain(old.caseId);
      }
      await expect(store.casesOfAccounts(new Set(['ACC-OLD']))).resolves.toEqual([old]);
      // Its next write (a person's action, an import's raise, reopen or clear: every case Put) carries the key.
      await db.client.send(new PutItemCommand({ TableName: db.tableNames.workbench, Item: caseItem(old) }));
      for (const sort of ['age', 'urgency'] as const) await expect(store.list({ accountId: 'ACC-OLD', sort })).resolves.toEqual([old]);
    } finally {
      await db.client.send(new DeleteItemCommand({ TableName: db.tableNames.workbench, Key: { pk: legacy.pk!, sk: legacy.sk! } }));
    }
  });
});

// --- transactional paths -------------------------------------------------------------------------

describe('DynamoWorkbenchStore writes (transactions)', () => {
  let table: FakeWorkbenchTable;
  let store: DynamoWorkbenchStore;
  beforeEach(() => {
    table = new FakeWorkbenchTable();
    store = new DynamoWorkbenchStore({ client: table.client, tableName: 'test-workbench' });
  });
  afterEach(() => table.mock.restore());

  it('save writes the next case and its event together, conditional on the version', async () => {
    const c = exceptionCase('a');
    await store.applyImport('run-1', { raised: [{ next: c, event: raisedEvent(c) }], refreshed: [], reopened: [], cleared: [] });
    const first = applyCaseAction(c, { type: 'comment', note: 'looking' }, RECONCILER, AT, 1);
    await store.save(first.next, first.event);
    expect(table.caseVersion(c.caseId)).toBe('2');
    expect(table.events()).toEqual([`CASE#${c.caseId}|EVENT#000000001`, `CASE#${c.caseId}|EVENT#000000002`]);

    // Another person saved version 2 from version 1 too: refused, nothing written.
    const stale = applyCaseAction(c, { type: 'assign', assignee: 'bo@bank.example' }, RECONCILER, AT, 1);
    const error = await store.save(stale.next, stale.event).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CaseVersionConflict);
    expect(error).toMatchObject({ caseId: c.caseId, expectedVersion: 1 });
    expect(table.caseVersion(c.caseId)).toBe('2');
    expect(table.items.get(`CASE#${c.caseId}|CASE`)?.assignee).toBeUndefined();
  });

  it('save maps throttled / conflicting transactions to TransientStoreError, other failures unchanged', async () => {
    const c = exceptionCase('a');
    table.failOnCall = {
      call: 1,
      error: new TransactionCanceledException({ message: 'cancelled', $metadata: { httpStatusCode: 400 }, CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }] }),
    };
    await expect(store.save(c, raisedEvent(c))).rejects.toBeInstanceOf(TransientStoreError);
    table.failOnCall = { call: 2, error: Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } }) };
    await expect(store.save(c, raisedEvent(c))).rejects.toBeInstanceOf(TransientStoreError);
    table.failOnCall = { call: 3, error: Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }) };
    await expect(store.save(c, raisedEvent(c))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('applyImport writes ≤ 100 items per transaction, the run marker last, and only once per run', async () => {
    const incoming = Array.from({ length: 120 }, (_, i) => exceptionCase(`n${String(i).padStart(3, '0')}`, { runId: 'run-1' }));
    const plan = planImport([], incoming, { runId: 'run-1', coveredAccounts: new Set(['ACC-1']) }, AT);
    await expect(store.applyImport('run-1', plan)).resolves.toBe(true);
    // 49 cases and their events, the chunk's counts update and its marker.
    expect(table.transactSizes).toEqual([100, 100, 46]);
    expect(table.events()).toHaveLength(120);
    expect(table.items.has('RUN#run-1|RUN')).toBe(true);
    await expect(store.applyImport('run-1', plan)).resolves.toBe(false);
    expect(table.transactSizes).toHaveLength(3);
  });

  it('a retried import after a crash completes without duplicating or conflicting', async () => {
    const worked = exceptionCase('old', { runId: 'run-0', version: 3 });
    table.items.set(`CASE#${worked.caseId}|CASE`, caseItem(worked));
    const incoming = Array.from({ length: 80 }, (_, i) => exceptionCase(`n${String(i).padStart(3, '0')}`, { runId: 'run-1' }));
    const plan = planImport([worked], incoming, { runId: 'run-1', coveredAccounts: new Set(['ACC-1']) }, AT);
    expect(plan.cleared).toHaveLength(1);

    table.transactSizes = [];
    table.failOnCall = { call: 2, error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) };
    await expect(store.applyImport('run-1', plan)).rejects.toBeInstanceOf(TransientStoreError);
    expect(table.items.has('RUN#run-1|RUN')).toBe(false);
    expect(table.events()).toHaveLength(49);

    table.failOnCall = undefined;
    await expect(store.applyImport('run-1', plan)).resolves.toBe(true);
    expect(table.events()).toHaveLength(81);
    expect(table.caseVersion(worked.caseId)).toBe('4');
    expect(table.items.get(`CASE#${worked.caseId}|CASE`)?.status?.S).toBe('CLEARED');
  });

  it('applyImport refuses to clear a case someone changed since the plan was made', async () => {
    const c = exceptionCase('a', { runId: 'run-0' });
    table.items.set(`CASE#${c.caseId}|CASE`, caseItem({ ...c, version: 2, assignee: 'bo@bank.example' }));
    const plan = planImport([c], [], { runId: 'run-1', coveredAccounts: new Set(['ACC-1']) }, AT);
    const error = await store.applyImport('run-1', plan).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CaseVersionConflict);
    expect(error).toMatchObject({ caseId: c.caseId, expectedVersion: 1 });
    expect(table.items.has('RUN#run-1|RUN')).toBe(false);
  });
});

// --- candidates' open rows, limits and access patterns (in-memory table: every call inspected) ----

describe('DynamoWorkbenchStore open rows and access patterns', () => {
  let table: FakeWorkbenchTable;
  let store: DynamoWorkbenchStore;
  beforeEach(() => {
    table = new FakeWorkbenchTable();
    store = new DynamoWorkbenchStore({ client: table.client, tableName: 'test-workbench' });
  });
  afterEach(() => table.mock.restore());

  const ledgerCase = (id: string, amount: string, extra: Partial<ExceptionCase> = {}) =>
    exceptionCase(id, { caseId: `exception:ledger:${id}`, side: 'ledger', statementLineId: undefined, bankReference: undefined, ledgerEntryIds: [id], amount, ...extra });
  const query = { accountId: 'ACC-1', currency: 'GBP', side: 'ledger' as const, references: [], amountMinor: 10_00n, caseId: 'x', limit: 1 };
  const calls = (command: string) => table.mock.calls().filter((call) => call.args[0].constructor.name === command);

  it('a row left behind for a case that is no longer OPEN is never offered and never hides the nearest open row: the lookup reads on past it', async () => {
    const stale = ledgerCase('L-STALE', '10.00');
    const open = ledgerCase('L-OPEN', '10.50');
    await store.applyImport('run-1', { raised: [stale, open].map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    // A crash after the resolve committed, before its rows were deleted: the case says RESOLVED, its row is still indexed.
    table.items.set(`CASE#${stale.caseId}|CASE`, caseItem({ ...stale, status: 'RESOLVED', version: 2 }));
    expect([...table.items.keys()].some((key) => key.startsWith(`CASE#${stale.caseId}|ROW#`))).toBe(true);
    const rows = await store.candidateRows(query);
    expect(rows.map((row) => row.id)).toEqual(['L-OPEN']);
    // The status check is one consistent BatchGetItem per page of rows.
    expect(calls('BatchGetItemCommand').every((call) => (call.args[0].input as { RequestItems: Record<string, { ConsistentRead: boolean }> }).RequestItems['test-workbench']!.ConsistentRead)).toBe(
      true,
    );
    expect(calls('ScanCommand')).toHaveLength(0);
  });

  it("a case's rows are deleted once it leaves OPEN", async () => {
    const c = ledgerCase('L-1', '10.00');
    await store.applyImport('run-1', { raised: [{ next: c, event: raisedEvent(c) }], refreshed: [], reopened: [], cleared: [] });
    const rowKey = `CASE#${c.caseId}|ROW#ledger#L-1`;
    expect(table.items.get(rowKey)?.caseVersion).toEqual({ N: '1' });
    const resolved = applyCaseAction(c, { type: 'resolve', resolution: 'BANK_ERROR', note: 'fixed' }, RECONCILER, AT, 1);
    await store.save(resolved.next, resolved.event);
    expect(table.items.has(rowKey)).toBe(false);

    await expect(store.candidateRows(query)).resolves.toEqual([]);
  });

  it('the delete that follows a close never removes the rows of a reopen that overtook it (rows carry the case version that wrote them)', async () => {
    const c = ledgerCase('L-1', '10.00');
    await store.applyImport('run-1', { raised: [{ next: c, event: raisedEvent(c) }], refreshed: [], reopened: [], cleared: [] });
    const rowKey = `CASE#${c.caseId}|ROW#ledger#L-1`;
    // v2 (resolve) commits; its row delete is slow. Meanwhile v3 (reopen) writes its rows and commits.
    let reached!: () => void;
    const atDelete = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    table.beforeDelete = () => {
      reached();
      return released;
    };
    const resolved = applyCaseAction(c, { type: 'resolve', resolution: 'BANK_ERROR', note: 'fixed' }, RECONCILER, AT, 1);
    const closing = store.save(resolved.next, resolved.event);
    await atDelete;
    table.beforeDelete = undefined;
    const reopened = applyCaseAction(resolved.next, { type: 'reopen', note: 'back' }, RECONCILER, AT, 2);
    await store.save(reopened.next, reopened.event);
    expect(table.items.get(rowKey)?.caseVersion).toEqual({ N: '3' });
    release();
    await closing;
    expect(table.items.get(rowKey)?.caseVersion).toEqual({ N: '3' });
    await expect(store.candidateRows(query)).resolves.toEqual([expect.objectContaining({ id: 'L-1' })]);
  });

  it('saveAll of more cases than one transaction holds is refused before anything is written; up to 49 is one TransactWriteItems', async () => {
    const cases = Array.from({ length: 50 }, (_, i) => exceptionCase(`s${String(i).padStart(2, '0')}`));
    await store.applyImport('run-1', { raised: cases.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    const writes = cases.map((c) => applyCaseAction(c, { type: 'resolve', resolution: 'BANK_ERROR', note: 'all at once' }, RECONCILER, AT, 1));
    table.transactSizes = [];
    await expect(store.saveAll(writes)).rejects.toThrow(/50 cases cannot be written in one transaction.*nothing was written/);
    expect(table.transactSizes).toEqual([]);
    expect(cases.every((c) => table.caseVersion(c.caseId) === '1')).toBe(true);
    await store.saveAll(writes.slice(0, 49));
    // 49 cases and their events, and the one counts update.
    expect(table.transactSizes).toEqual([99]);
    expect(await store.counts()).toEqual({ byStatus: { OPEN: 1, RESOLVED: 49 }, openByReason: { UNMATCHED: 1 } });
    expect(table.caseVersion(cases[48]!.caseId)).toBe('2');
    expect(table.caseVersion(cases[49]!.caseId)).toBe('1');
  });

  it('a cursor page reads each status from just after the cursor and asks for no more than the page; n / p are four one-item index reads', async () => {
    const cases = Array.from({ length: 12 }, (_, i) => exceptionCase(`p${String(i).padStart(2, '0')}`, { ageDays: i % 4 }));
    await store.applyImport('run-1', { raised: cases.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    const first = await store.list({ status: ['OPEN'], limit: 5 });
    table.mock.resetHistory();
    const second = await store.list({ status: ['OPEN'], limit: 5, after: pageCursor(first.at(-1)!, 'age') });
    expect(second.map((c) => c.caseId)).toEqual((await store.list({ status: ['OPEN'], limit: 10 })).slice(5).map((c) => c.caseId));
    const [page] = calls('QueryCommand').map((call) => call.args[0].input as { KeyConditionExpression: string; Limit?: number });
    expect(page).toMatchObject({ KeyConditionExpression: '#key = :key AND #sort > :from', Limit: 5 });

    table.mock.resetHistory();
    await store.neighbours(cases[3]!.caseId);
    const reads = calls('QueryCommand').map((call) => call.args[0].input as { IndexName: string; Limit: number });
    expect(reads).toHaveLength(4);
    expect(reads.every((read) => read.IndexName === 'byUrgency' && read.Limit === 1)).toBe(true);
  });

  it("an import writes new cases' rows in batches of 25 and clears a cleared case's rows; a refresh is an update of run, as-of date, age and index keys only, with the age counts", async () => {
    const incoming = Array.from({ length: 30 }, (_, i) => ledgerCase(`L${String(i).padStart(2, '0')}`, `${i + 1}.00`));
    await store.applyImport('run-1', { raised: incoming.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    expect(calls('BatchWriteItemCommand').map((call) => (call.args[0].input as { RequestItems: Record<string, unknown[]> }).RequestItems['test-workbench']!.length)).toEqual([25, 5]);
    const plan = planImport(
      incoming,
      incoming.slice(1).map((c) => ({ ...c, runId: 'run-2', asOf: '2025-03-05', ageDays: c.ageDays + 4 })),
      { runId: 'run-2', coveredAccounts: new Set(['ACC-1']) },
      AT,
    );
    expect(plan.cleared).toHaveLength(1);
    expect(plan.refreshed).toHaveLength(29);
    table.mock.resetHistory();
    await store.applyImport('run-2', plan);
    // The clear: its case, event, chunk marker and counts. Every age moves: one transaction of the 29 updates (each conditional on
    // the age and status read) and the age counts' change.
    expect(calls('UpdateItemCommand')).toHaveLength(0);
    expect(calls('TransactWriteItemsCommand').map((call) => (call.args[0].input as { TransactItems: unknown[] }).TransactItems.length)).toEqual([4, 30]);
    expect((await store.openCaseAges()).reduce((sum, age) => sum + age.cases, 0)).toBe(29);
    expect(table.items.get(`CASE#${incoming[5]!.caseId}|CASE`)).toMatchObject({ runId: { S: 'run-2' }, asOf: { S: '2025-03-05' }, ageDays: { N: '7' }, version: { N: '1' } });
    expect([...table.items.keys()].some((key) => key.startsWith(`CASE#${incoming[0]!.caseId}|ROW#`))).toBe(false);
    expect(await store.list({ status: ['OPEN'], limit: 1 })).toEqual([expect.objectContaining({ ageDays: 7 })]);
  });
});

describe('DynamoWorkbenchStore counts', () => {
  let table: FakeWorkbenchTable;
  let store: DynamoWorkbenchStore;
  beforeEach(() => {
    table = new FakeWorkbenchTable();
    store = new DynamoWorkbenchStore({ client: table.client, tableName: 'test-workbench' });
  });
  afterEach(() => table.mock.restore());
  const calls = (command: string) => table.mock.calls().filter((call) => call.args[0].constructor.name === command);

  it('after the first import into an empty table, counts are a few counter items: one Query of the COUNTS partition, no case read', async () => {
    const cases = Array.from({ length: 30 }, (_, i) => exceptionCase(`c${String(i).padStart(2, '0')}`, { reason: i % 3 ? 'UNMATCHED' : 'DUPLICATE' }));
    await store.applyImport('run-1', { raised: cases.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    expect(table.items.has('COUNTS|READY')).toBe(true);
    table.mock.resetHistory();
    await expect(store.counts()).resolves.toEqual({ byStatus: { OPEN: 30 }, openByReason: { DUPLICATE: 10, UNMATCHED: 20 } });
    const queries = calls('QueryCommand').map((call) => call.args[0].input as { IndexName?: string; ExpressionAttributeValues: Record<string, { S?: string }> });
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatchObject({ ExpressionAttributeValues: { ':pk': { S: 'COUNTS' } } });
    expect(queries[0]!.IndexName).toBeUndefined();
    // A comment moves no count and touches no counter (no contention on the counters for most actions).
    const commented = applyCaseAction(cases[0]!, { type: 'comment', note: 'looking' }, RECONCILER, AT, 1);
    table.transactSizes = [];
    await store.save(commented.next, commented.event);
    expect(table.transactSizes).toEqual([2]);
  });

  it('a retried import whose first transactions committed before a crash counts each case once (the chunk markers)', async () => {
    const incoming = Array.from({ length: 120 }, (_, i) => exceptionCase(`n${String(i).padStart(3, '0')}`));
    const plan = planImport([], incoming, { runId: 'run-1', coveredAccounts: new Set(['ACC-1']) }, AT);
    table.failOnCall = { call: 2, error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) };
    await expect(store.applyImport('run-1', plan)).rejects.toBeInstanceOf(TransientStoreError);
    table.failOnCall = undefined;
    await expect(store.applyImport('run-1', plan)).resolves.toBe(true);
    await expect(store.counts()).resolves.toEqual({ byStatus: { OPEN: 120 }, openByReason: { UNMATCHED: 120 } });
    expect([...table.items.keys()].filter((key) => key.startsWith('RUN#run-1|CHUNK#'))).toHaveLength(3);
  });

  it('a table that held cases before the counters existed is counted from its cases (no READY marker)', async () => {
    const old = exceptionCase('old', { status: 'RESOLVED', version: 2 });
    table.items.set(`CASE#${old.caseId}|CASE`, caseItem(old));
    const c = exceptionCase('new');
    await store.applyImport('run-1', { raised: [{ next: c, event: raisedEvent(c) }], refreshed: [], reopened: [], cleared: [] });
    expect(table.items.has('COUNTS|READY')).toBe(false);
    await expect(store.counts()).resolves.toEqual({ byStatus: { OPEN: 1, RESOLVED: 1 }, openByReason: { UNMATCHED: 1 } });
  });
});

describe('DynamoWorkbenchStore counts under concurrent writes', () => {
  let table: FakeWorkbenchTable;
  let store: DynamoWorkbenchStore;
  beforeEach(() => {
    table = new FakeWorkbenchTable();
    store = new DynamoWorkbenchStore({ client: table.client, tableName: 'test-workbench' });
  });
  afterEach(() => table.mock.restore());

  it("a person resolving a case between a refresh's read and its transaction: the refresh is read and written again, every count right", async () => {
    const a = exceptionCase('a', { ageDays: 3 });
    const b = exceptionCase('b', { ageDays: 3 });
    await store.applyImport('run-1', { raised: [a, b].map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    const plan = planImport(
      [a, b],
      [a, b].map((c) => ({ ...c, runId: 'run-2', ageDays: 5 })),
      { runId: 'run-2', coveredAccounts: new Set(['ACC-1']) },
      AT,
    );
    expect(plan.refreshed).toHaveLength(2);
    const resolved = applyCaseAction(a, { type: 'resolve', resolution: 'BANK_ERROR', note: 'fixed' }, RECONCILER, AT, 1);
    table.beforeTransact = () => store.save(resolved.next, resolved.event);
    await store.applyImport('run-2', plan);
    expect(table.items.get(`CASE#${a.caseId}|CASE`)).toMatchObject({ status: { S: 'RESOLVED' }, ageDays: { N: '5' }, version: { N: '2' } });
    await expect(store.counts()).resolves.toEqual({ byStatus: { OPEN: 1, RESOLVED: 1 }, openByReason: { UNMATCHED: 1 } });
    await expect(store.openCaseAges()).resolves.toEqual([{ ageDays: 5, cases: 1 }]);
  });

  it("a refresh between a person's read and their transaction: the action is refused (the age it counted from moved), the counts stay right", async () => {
    const a = exceptionCase('a', { ageDays: 3 });
    await store.applyImport('run-1', { raised: [{ next: a, event: raisedEvent(a) }], refreshed: [], reopened: [], cleared: [] });
    const plan = planImport([a], [{ ...a, runId: 'run-2', ageDays: 6 }], { runId: 'run-2', coveredAccounts: new Set(['ACC-1']) }, AT);
    const resolved = applyCaseAction(a, { type: 'resolve', resolution: 'BANK_ERROR', note: 'fixed' }, RECONCILER, AT, 1);
    table.beforeTransact = async () => {
      await store.applyImport('run-2', plan);
    };
    await expect(store.save(resolved.next, resolved.event)).rejects.toBeInstanceOf(CaseVersionConflict);
    await expect(store.openCaseAges()).resolves.toEqual([{ ageDays: 6, cases: 1 }]);
    await expect(store.counts()).resolves.toEqual({ byStatus: { OPEN: 1 }, openByReason: { UNMATCHED: 1 } });
    // Read again and saved, the action counts from the age it replaces.
    const again = applyCaseAction((await store.get(a.caseId))!, { type: 'resolve', resolution: 'BANK_ERROR', note: 'fixed' }, RECONCILER, AT, 1);
    await store.save(again.next, again.event);
    await expect(store.openCaseAges()).resolves.toEqual([]);
    await expect(store.counts()).resolves.toEqual({ byStatus: { RESOLVED: 1 }, openByReason: {} });
  });
});
