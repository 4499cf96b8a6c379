/**
 * REC-DASH-1 store contract, run against both adapters of WorkbenchStore: the embedded SQLite
 * store and the DynamoDB store (conditional writes on the in-memory table that evaluates the
 * store's conditions; the reads once more on dynalite, which checks the real query syntax).
 *   - an import's statistics are kept with it, once: a re-import adds nothing;
 *   - an import without statistics (a cases file written before them) keeps none;
 *   - openCaseAges counts OPEN and PENDING_APPROVAL cases per age, following every action.
 */
import fc from 'fast-check';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { caseItem, DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { applyCaseAction, type ExceptionCase, planImport } from '../../../src/recon/workbench/cases';
import type { RunStats } from '../../../src/recon/workbench/dashboard';
import { importRunCases } from '../../../src/recon/workbench/import-cases';
import type { OpenCaseAge, WorkbenchStore } from '../../../src/recon/workbench/ports';
import { startDynalite } from '../../adapters/aws/support/dynalite';
import { FakeWorkbenchTable } from '../../adapters/aws/support/fake-workbench-table';
import { approver, exceptionCase, memoryStore, reconciler, T0 } from './helpers';

const stats = (runId: string, extra: Partial<RunStats> = {}): RunStats => ({
  runId,
  asOf: '2025-03-02',
  recordedAt: T0,
  statementLines: 10,
  matchedLines: 7,
  proposedLines: 1,
  unmatchedLines: 2,
  ledgerExceptions: 3,
  volumes: [{ accountId: 'ACC-1', currency: 'EUR', lines: 10, credits: '1234567890123456.78', debits: '-0.01' }],
  ...extra,
});

const caseOf = (i: number, ageDays: number): ExceptionCase => exceptionCase({ caseId: `exception:statement:abc:0:${i}`, statementLineId: `abc:0:${i}`, ageDays, accountId: 'ACC-1' });

/** Open cases per age, from the cases themselves: the model the store's answer must equal. */
function model(cases: readonly ExceptionCase[]): OpenCaseAge[] {
  const counts = new Map<number, number>();
  for (const c of cases) if (c.status === 'OPEN' || c.status === 'PENDING_APPROVAL') counts.set(c.ageDays, (counts.get(c.ageDays) ?? 0) + 1);
  return [...counts.entries()].map(([ageDays, n]) => ({ ageDays, cases: n })).sort((a, b) => a.ageDays - b.ageDays);
}

const sorted = (ages: OpenCaseAge[]) => [...ages].sort((a, b) => a.ageDays - b.ageDays);
const byRun = (all: RunStats[]) => [...all].sort((a, b) => (a.runId < b.runId ? -1 : 1));

const ADAPTERS: [string, () => WorkbenchStore][] = [
  ['SqliteWorkbenchStore', () => memoryStore()],
  ['DynamoWorkbenchStore', () => new DynamoWorkbenchStore({ client: new FakeWorkbenchTable().client, tableName: 'workbench' })],
];

describe.each(ADAPTERS)('%s: dashboard reads', (_name, open) => {
  it("keeps an import's statistics once, exactly as given; a re-import adds nothing", async () => {
    const store = open();
    await expect(store.runStats()).resolves.toEqual([]);
    await importRunCases(store, { runId: 'run-1', coveredAccounts: new Set(['ACC-1']), at: T0 }, [caseOf(1, 3)], stats('run-1'));
    await importRunCases(store, { runId: 'run-1', coveredAccounts: new Set(['ACC-1']), at: T0 }, [caseOf(1, 3)], stats('run-1', { matchedLines: 0 }));
    await importRunCases(store, { runId: 'run-2', coveredAccounts: new Set(['ACC-1']), at: T0 }, [caseOf(1, 4)], stats('run-2', { asOf: '2025-03-03' }));
    expect(byRun(await store.runStats())).toEqual([stats('run-1'), stats('run-2', { asOf: '2025-03-03' })]);
  });

  it('an import without statistics keeps none (and still imports its cases)', async () => {
    const store = open();
    const outcome = await importRunCases(store, { runId: 'run-1', coveredAccounts: new Set(['ACC-1']), at: T0 }, [caseOf(1, 3)]);
    expect(outcome.raised).toBe(1);
    await expect(store.runStats()).resolves.toEqual([]);
  });

  it('openCaseAges counts the open and pending cases per age, after imports and actions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -2, max: 90 }), { minLength: 1, maxLength: 25 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('resolve', 'propose-write-off', 'approve-write-off', 'reopen')), { maxLength: 15 }),
        async (ages, actions) => {
          const store = open();
          const incoming = ages.map((age, i) => caseOf(i, age));
          await store.applyImport('run-1', planImport([], incoming, { runId: 'run-1', coveredAccounts: new Set(['ACC-1']) }, T0));
          for (const [pick, type] of actions) {
            const current = (await store.get(incoming[pick % incoming.length]!.caseId))!;
            const action =
              type === 'resolve'
                ? { type, resolution: 'BANK_ERROR' as const, note: 'n' }
                : type === 'propose-write-off'
                  ? { type, note: 'n' }
                  : type === 'approve-write-off'
                    ? { type }
                    : { type, note: 'n' };
            let step;
            try {
              step = applyCaseAction(current, action, type === 'approve-write-off' ? approver : reconciler, T0, current.version);
            } catch {
              continue; // not allowed from this status: nothing to save
            }
            await store.save(step.next, step.event);
          }
          const all = await Promise.all(incoming.map(async (c) => (await store.get(c.caseId))!));
          expect(sorted(await store.openCaseAges())).toEqual(model(all));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('DynamoWorkbenchStore dashboard reads on dynalite (real query syntax)', () => {
  it('runStats reads the statistics partition; openCaseAges projects the ages of open cases', async () => {
    const db = await startDynalite();
    try {
      const tableName = db.tableNames.workbench;
      const store = new DynamoWorkbenchStore({ client: db.client, tableName });
      const cases = [
        caseOf(1, 3),
        caseOf(2, 3),
        caseOf(3, 45),
        { ...caseOf(4, 9), status: 'PENDING_APPROVAL' as const },
        { ...caseOf(5, 9), status: 'RESOLVED' as const },
        { ...caseOf(6, 1), status: 'CLEARED' as const },
      ];
      for (const c of cases) await db.client.send(new PutItemCommand({ TableName: tableName, Item: caseItem(c) }));
      expect(sorted(await store.openCaseAges())).toEqual(model(cases));
      // applyImport of an empty plan needs no transaction: it writes the statistics and the run marker.
      await store.applyImport('run-9', { raised: [], refreshed: [], reopened: [], cleared: [], stats: stats('run-9') });
      await store.applyImport('run-9', { raised: [], refreshed: [], reopened: [], cleared: [], stats: stats('run-9', { matchedLines: 1 }) });
      expect(await store.runStats()).toEqual([stats('run-9')]);
    } finally {
      await db.stop();
    }
  });
});
