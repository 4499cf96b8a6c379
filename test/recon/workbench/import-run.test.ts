/**
 * importLatestRun on real reconcile output: the reconcile use case runs on the shared fixture
 * statements (camt.053, BAI2) against a ledger written to match some lines; the run's exceptions
 * and proposed matches become cases. Re-importing is a no-op; a later run that matches more
 * clears what it no longer reports, and leaves worked cases alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { applyCaseAction, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { importNewRuns, RunImportError } from '../../../src/recon/workbench/import-run';
import { importLatestRun } from '../../support/workbench-import';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, csvRows, LEDGER_ROWS, MT940, reconciled, writeLedger } from '../run/helpers';
import { approver, reconciler, steppingClock } from './helpers';

const root = tempDir('workbench-import-');
const out = join(root, 'out');
const byId = (rows: readonly string[]) => rows.filter((row) => ['L-CAMT-1', 'L-BAI-B1', 'L-BAI-B2', 'L-BAI-X'].includes(row.split(',')[0]!));
/** Run 1 matches one camt line and proposes the BAI2 batch; run 2's ledger also matches -7.00 EUR and two BAI2 lines. */
const firstLedger = writeLedger(root, byId(LEDGER_ROWS), 'ledger-1.csv');
const secondLedger = writeLedger(
  root,
  LEDGER_ROWS.filter((row) => !row.startsWith('L-MB')),
  'ledger-2.csv',
);

function find(cases: readonly ExceptionCase[], predicate: (c: ExceptionCase) => boolean): ExceptionCase {
  const found = cases.find(predicate);
  if (!found) throw new Error('no such case');
  return found;
}

describe('importLatestRun', () => {
  // A workbench store of its own: the runs raised their cases in <out>/workbench.db already (the
  // embedded case sink); these tests read the run directories, as for runs written before it.
  const db = openWorkbenchDatabase(tempDir('workbench-import-run-store-'));
  const store = new SqliteWorkbenchStore(db, steppingClock());
  const clock = steppingClock('2025-03-03T08:00:00.000Z');
  let firstRunId: string;

  afterAll(() => db.close());

  beforeAll(async () => {
    firstRunId = (await reconciled({ statements: [CAMT053, BAI2], ledger: { file: firstLedger }, out, progress: () => undefined })).summary.runId;
  });

  it('raises one case per exception row and per proposed match, with the statement line facts', async () => {
    const outcome = await importLatestRun(out, store, clock);
    const exceptionRows = csvRows(join(out, 'exceptions.csv'));
    expect(outcome).toEqual({ runId: firstRunId, raised: exceptionRows.length + 1, reopened: 0, cleared: 0, alreadyImported: false });

    const cases = await store.list({});
    expect(cases).toHaveLength(exceptionRows.length + 1);
    for (const row of exceptionRows) {
      expect(await store.get(`exception:${row.side}:${row.id}`)).toMatchObject({
        reason: row.reason,
        accountId: row.accountId,
        currency: row.currency,
        amount: row.amount,
        ageDays: Number(row.ageDays),
        status: 'OPEN',
        runId: firstRunId,
        version: 1,
      });
    }
    const batch = find(cases, (c) => c.kind === 'proposed-match');
    // The statement line (115.00 CAD) comes from statement_lines.parquet, at the currency's scale.
    expect(batch).toMatchObject({
      reason: 'PROPOSED_MATCH',
      accountId: '10200123456',
      currency: 'CAD',
      amount: '115.00',
      ruleId: 'batch-by-amount',
      confidence: '0.7500',
      ledgerEntryIds: ['L-BAI-B1', 'L-BAI-B2'],
    });
    expect(batch.ageDays).toBeGreaterThan(3000);
    expect(find(cases, (c) => c.caseId === 'exception:ledger:L-BAI-X')).toMatchObject({ amount: '-77.77', side: 'ledger', reason: 'STALE' });
    expect((await store.history(batch.caseId)).map((e) => [e.action, e.actor, e.to])).toEqual([['import', 'ledgerline', 'OPEN']]);
  });

  it('re-importing the same run changes nothing', async () => {
    const before = await store.list({ limit: 1000 });
    expect(await importLatestRun(out, store, clock)).toEqual({ runId: firstRunId, raised: 0, reopened: 0, cleared: 0, alreadyImported: true });
    expect(await store.list({ limit: 1000 })).toEqual(before);
  });

  it('a later run that matches more items clears the OPEN / PENDING_APPROVAL cases it no longer reports; worked cases stay', async () => {
    const cases = await store.list({});
    const eurLine = find(cases, (c) => c.currency === 'EUR' && c.amount === '-7.00');
    const bai2035 = find(cases, (c) => c.amount === '2035.00');
    const bai1000 = find(cases, (c) => c.amount === '1000.00');
    // Worked before the second run: one resolved, one proposed for write-off.
    const resolved = applyCaseAction(bai2035, { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'booked late' }, reconciler, '2025-03-03T09:00:00.000Z', 1);
    await store.save(resolved.next, resolved.event);
    const proposed = applyCaseAction(bai1000, { type: 'propose-write-off', note: 'old' }, approver, '2025-03-03T09:01:00.000Z', 1);
    await store.save(proposed.next, proposed.event);

    const registry = join(root, 'registry-2');
    mkdirSync(registry);
    const second = await reconciled({ statements: [CAMT053, BAI2], ledger: { file: secondLedger }, out, registryDir: registry, progress: () => undefined });
    expect(second.summary.runId).not.toBe(firstRunId);

    const outcome = await importLatestRun(out, store, clock);
    expect(outcome).toEqual({ runId: second.summary.runId, raised: 0, reopened: 0, cleared: 2, alreadyImported: false });
    expect(await store.get(eurLine.caseId)).toMatchObject({ status: 'CLEARED', version: 2, runId: second.summary.runId });
    expect(await store.get(bai1000.caseId)).toMatchObject({ status: 'CLEARED', version: 3 });
    expect((await store.get(bai1000.caseId))!.writeOff).toBeUndefined();
    expect(await store.get(bai2035.caseId)).toEqual(resolved.next);
    expect((await store.history(eurLine.caseId)).map((e) => `${e.action}:${e.from ?? ''}→${e.to}`)).toEqual(['import:→OPEN', 'clear:OPEN→CLEARED']);
    // Still reported: refreshed to the new run, same version.
    expect(await store.get('exception:ledger:L-BAI-X')).toMatchObject({ status: 'OPEN', version: 1, runId: second.summary.runId });
  });

  it('names the directory when there is no committed run, and the file when one is malformed', async () => {
    const empty = tempDir('workbench-empty-');
    await expect(importLatestRun(empty, store, clock)).rejects.toThrow(
      new RunImportError(`"${empty}" holds no committed reconciliation run (${join(empty, 'current', 'summary.json')} is missing); run \`ledgerline reconcile --out ${empty} ...\` first`),
    );

    const broken = tempDir('workbench-broken-');
    mkdirSync(join(broken, 'current'));
    writeFileSync(join(broken, 'current', 'summary.json'), JSON.stringify({ runId: 'run-x', asOf: '2025-01-01' }));
    writeFileSync(join(broken, 'current', 'exceptions.csv'), 'side,id\nstatement,1\n');
    await expect(importLatestRun(broken, store, clock)).rejects.toThrow(/exceptions\.csv line 1: expected the header "side,id,reason,/);

    writeFileSync(join(broken, 'current', 'summary.json'), '{"runId":');
    await expect(importLatestRun(broken, store, clock)).rejects.toThrow(/summary\.json: not a readable JSON summary/);
  });
});

describe('importNewRuns', () => {
  it('imports every run committed since, oldest first, none skipped; then nothing until another run commits', async () => {
    const dir = tempDir('workbench-new-runs-');
    const runsOut = join(dir, 'out');
    const ledger = writeLedger(dir, [...byId(LEDGER_ROWS), ...LEDGER_ROWS.filter((row) => row.startsWith('L-MB-1,'))]);
    // Two runs of different accounts commit before the workbench looks: both must be imported.
    const camt = await reconciled({ statements: [CAMT053], ledger: { file: ledger }, out: runsOut, progress: () => undefined });
    const bai2 = await reconciled({ statements: [BAI2], ledger: { file: ledger }, out: runsOut, progress: () => undefined });
    const db = openWorkbenchDatabase(join(dir, 'store'));
    try {
      const fresh = new SqliteWorkbenchStore(db, steppingClock());
      const outcomes = await importNewRuns(runsOut, fresh, steppingClock());
      expect(outcomes.map((o) => o.runId)).toEqual([camt.summary.runId, bai2.summary.runId]);
      expect(outcomes.every((o) => o.raised > 0 && !o.alreadyImported)).toBe(true);
      const accounts = new Set((await fresh.list({ limit: 1000 })).map((c) => c.accountId));
      expect(accounts).toEqual(new Set(['NL26VAYB8060476890', '10200123456']));
      expect(fresh.hasImported(camt.summary.runId)).toBe(true);
      expect(await importNewRuns(runsOut, fresh, steppingClock())).toEqual([]);

      const mt940 = await reconciled({ statements: [MT940], ledger: { file: ledger }, out: runsOut, progress: () => undefined });
      expect((await importNewRuns(runsOut, fresh, steppingClock())).map((o) => o.runId)).toEqual([mt940.summary.runId]);
    } finally {
      db.close();
    }
  });
});
