/**
 * WB-1 at 1M cases on DynamoDB: what a workbench request reads does not grow with the table. On
 * dynalite (the real key conditions and index ranges), the items each request reads are counted
 * (a Query's ScannedCount, a GetItem's and a BatchGetItem's items: what DynamoDB bills reads by)
 * with a small and a ten times larger table; each request reads the same bounded number of items
 * in both. Not a timing: the access patterns themselves.
 */
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { candidateQuery, subjectOf } from '../../../src/recon/workbench/candidates';
import { type ExceptionCase, planImport } from '../../../src/recon/workbench/cases';
import { pageCursor } from '../../../src/recon/workbench/cursor';
import { WorkbenchStandIn } from './support/workbench-standin';

const REASONS = ['UNMATCHED', 'DUPLICATE', 'AMOUNT_MISMATCH'];
/** Cases spread over six accounts: one account is a minority of the table (25 cases of 150, 250 of 1,500). */
const ACCOUNTS = Array.from({ length: 6 }, (_, i) => `ACC-${i + 1}`);
/** An account page: shorter than the account's cases in the small table, so both sizes fill it. */
const ACCOUNT_PAGE = 10;

function casesOf(count: number): ExceptionCase[] {
  return Array.from({ length: count }, (_, i) => {
    const side = i % 2 ? 'ledger' : 'statement';
    const id = `x${String(i).padStart(6, '0')}`;
    return {
      caseId: `exception:${side}:${id}`,
      kind: 'exception',
      runId: 'run-1',
      asOf: '2026-03-10',
      side,
      reason: REASONS[i % REASONS.length]!,
      accountId: ACCOUNTS[i % ACCOUNTS.length]!,
      currency: 'EUR',
      amount: `${(i * 37) % 5000}.${String(i % 100).padStart(2, '0')}`,
      ageDays: i % 30,
      ...(side === 'statement' ? { statementLineId: id, bankReference: `REF-${i % 50}` } : {}),
      ledgerEntryIds: side === 'ledger' ? [id] : [],
      status: 'OPEN',
      version: 1,
      updatedAt: '2026-03-10T08:00:00.000Z',
    } satisfies ExceptionCase;
  });
}

describe('DynamoWorkbenchStore: items read per request, at two table sizes', () => {
  const table = new WorkbenchStandIn();
  beforeAll(async () => {
    await table.start();
  }, 60_000);
  afterAll(async () => {
    await table.stop();
  });

  async function costs(size: number): Promise<Record<string, number>> {
    await table.clear();
    const store = new DynamoWorkbenchStore({ client: table.client, tableName: table.tableName });
    const cases = casesOf(size);
    await store.applyImport('run-1', planImport([], cases, { runId: 'run-1', coveredAccounts: new Set(ACCOUNTS) }, '2026-03-10T08:00:00.000Z'));
    const measure = async (work: () => Promise<unknown>): Promise<number> => {
      const before = table.itemsRead;
      await work();
      return table.itemsRead - before;
    };
    const firstPage = await store.list({ status: ['OPEN'], sort: 'urgency', limit: 50 });
    const middle = (await store.list({ status: ['OPEN'], limit: 1000 }))[Math.floor(Math.min(size, 1000) / 2)]!;
    const subject = subjectOf(cases[Math.floor(size / 2)]!)!;
    const account = { status: ['OPEN' as const], accountId: 'ACC-4', limit: ACCOUNT_PAGE };
    const accountFirst = await store.list(account);
    const accountFirstUrgent = await store.list({ ...account, sort: 'urgency' });
    // The pages are the account's cases only, in order (a cost that shows nothing would be cheap too).
    expect(accountFirst.map((c) => c.accountId)).toEqual(Array(ACCOUNT_PAGE).fill('ACC-4'));
    expect(accountFirstUrgent.map((c) => c.accountId)).toEqual(Array(ACCOUNT_PAGE).fill('ACC-4'));
    return {
      'first page (urgency)': await measure(() => store.list({ status: ['OPEN'], sort: 'urgency', limit: 50 })),
      'next page (urgency cursor)': await measure(() => store.list({ status: ['OPEN'], sort: 'urgency', limit: 50, after: pageCursor(firstPage.at(-1)!, 'urgency') })),
      'deep page (age cursor)': await measure(() => store.list({ status: ['OPEN'], limit: 50, after: pageCursor(middle, 'age') })),
      'first page, one account (urgency)': await measure(() => store.list({ ...account, sort: 'urgency' })),
      'next page, one account (urgency cursor)': await measure(() => store.list({ ...account, sort: 'urgency', after: pageCursor(accountFirstUrgent.at(-1)!, 'urgency') })),
      'first page, one account (age)': await measure(() => store.list(account)),
      'next page, one account (age cursor)': await measure(() => store.list({ ...account, after: pageCursor(accountFirst.at(-1)!, 'age') })),
      counts: await measure(() => store.counts()),
      'dashboard ages': await measure(() => store.openCaseAges()),
      'n / p': await measure(() => store.neighbours(middle.caseId)),
      candidates: await measure(() => store.candidateRows(candidateQuery(subject))),
    };
  }

  it("a page, a deep page, an account's first and next page in both orders, the counts, the dashboard's ages, n / p and a case's candidates read the same bounded items in a table ten times larger", async () => {
    const small = await costs(150);
    const large = await costs(1500);
    // What each reads: a page 50 cases of the one status; the counts and the ages the ready marker and at most 16 shards;
    // n / p the case and one neighbour per side and status; candidates ≤ 20 by reference, 20 above, 20 below, and their cases' states.
    expect(large['first page (urgency)']).toBe(50);
    expect(large['next page (urgency cursor)']).toBe(50);
    expect(large['deep page (age cursor)']).toBe(50);
    // A page filtered by account reads its page from the account-and-status index of its order, not the account's 250 cases.
    for (const request of ['first page, one account (urgency)', 'next page, one account (urgency cursor)', 'first page, one account (age)', 'next page, one account (age cursor)']) {
      expect([request, large[request]]).toEqual([request, ACCOUNT_PAGE]);
      expect([request, small[request]]).toEqual([request, ACCOUNT_PAGE]);
    }
    expect(large.counts).toBeLessThanOrEqual(17);
    expect(large['dashboard ages']).toBeLessThanOrEqual(17);
    expect(large['n / p']).toBeLessThanOrEqual(5);
    expect(large.candidates).toBeLessThanOrEqual(2 * (20 + 20 + 20 + 1));
    for (const request of ['first page (urgency)', 'next page (urgency cursor)', 'deep page (age cursor)', 'n / p', 'candidates']) expect([request, large[request]]).toEqual([request, small[request]]);
  }, 300_000);
});
