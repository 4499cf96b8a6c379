/**
 * The AWS path into the exceptions workbench: summarise writes the run's cases.json from the same
 * rows as exceptions.csv / matches.csv (proposed matches carry their statement line's facts), and
 * importCasesStep (RaiseCases) imports it into DynamoWorkbenchStore once per run: raise, a retry
 * is a no-op, a later run of the same account clears what it no longer reports.
 */
import { readFileSync } from 'node:fs';
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { importCasesStep, keys, matchStep, normaliseStep, summariseStep, type RunConfig } from '../../../src/recon/run/aws/steps';
import { statementLineFacts, type RunCasesFile } from '../../../src/recon/run/aws/run-cases';
import type { StatementLine } from '../../../src/recon/types';
import { tempDir } from '../../support/runtime';
import { FakeWorkbenchTable } from '../../adapters/aws/support/fake-workbench-table';
import { BAI2, csvRows, LEDGER_HEADER, LEDGER_ROWS, writeText } from '../run/helpers';
import { FakeS3 } from './fake-s3';

const INGEST = 'ledgerline-test-ingest';
const ANALYTICS = 'ledgerline-test-analytics';
const RUN = 'recon-cases-run-1';
const NOW = new Date('2026-01-01T00:00:00Z');

describe('RaiseCases: summarise → cases.json → the workbench', () => {
  const dir = tempDir('recon-cases-');
  const s3 = new FakeS3();
  const ctx = { s3: s3.client, tmpDir: dir, now: () => NOW };
  const config: RunConfig = { ruleSet: 'default', ledger: { bucket: INGEST, key: 'ledger/export.csv' } };
  let file: RunCasesFile;
  let lines: Map<string, StatementLine & { runId: string }>;
  let asOf: string;

  beforeAll(async () => {
    s3.put(INGEST, 'ledger/export.csv', `${LEDGER_HEADER}\n${LEDGER_ROWS.join('\n')}\n`);
    s3.put(INGEST, 'incoming/statements/bai2.txt', readFileSync(BAI2));
    const normalised = await normaliseStep(ctx, { bucket: INGEST, key: 'incoming/statements/bai2.txt', versionId: 'v1', runId: RUN, analyticsBucket: ANALYTICS, config });
    asOf = normalised.asOf!;
    for (const partition of normalised.partitions) await matchStep(ctx, { runId: RUN, analyticsBucket: ANALYTICS, config, partition });
    await summariseStep(ctx, { runId: RUN, analyticsBucket: ANALYTICS, config });
    file = JSON.parse(s3.text(ANALYTICS, keys.runCases(RUN))!) as RunCasesFile;
    const ndjson = s3.text(ANALYTICS, `${normalised.statementLinesPrefix}part-00000.ndjson`)!.trimEnd().split('\n');
    lines = new Map(ndjson.map((text) => JSON.parse(text) as StatementLine & { runId: string }).map((line) => [line.statementLineId, line]));
  });

  it('summarise writes cases.json: one case per exceptions.csv row and per proposed match of matches.csv, the statement accounts covered', () => {
    const exceptions = csvRows(writeText(dir, 'exceptions.csv', s3.text(ANALYTICS, `${keys.results(RUN)}exceptions.csv`)!));
    const matches = csvRows(writeText(dir, 'matches.csv', s3.text(ANALYTICS, `${keys.results(RUN)}matches.csv`)!));
    const proposed = [...new Set(matches.filter((row) => row.status === 'proposed').map((row) => row.matchId))];
    expect(exceptions.length).toBeGreaterThan(0);
    expect(proposed.length).toBeGreaterThan(0);

    expect(file.runId).toBe(RUN);
    expect(file.at).toBe(NOW.toISOString());
    expect(file.coveredAccounts).toEqual([...new Set([...lines.values()].map((line) => line.accountId))].sort());
    expect(file.cases.map((c) => c.caseId)).toEqual([...exceptions.map((row) => `exception:${row.side}:${row.id}`), ...proposed.map((id) => `match:${id}`)]);

    // Exceptions: exactly the CSV row's values.
    for (const [i, row] of exceptions.entries()) {
      expect(file.cases[i]).toMatchObject({
        kind: 'exception',
        runId: RUN,
        side: row.side,
        reason: row.reason,
        accountId: row.accountId,
        currency: row.currency,
        amount: row.amount,
        ageDays: Number(row.ageDays),
        status: 'OPEN',
        version: 1,
        updatedAt: file.at,
      });
    }
    // Proposed matches: the statement line's account, currency, exact amount and age on the run's as-of date.
    for (const c of file.cases.filter((candidate) => candidate.kind === 'proposed-match')) {
      const rows = matches.filter((row) => `match:${row.matchId}` === c.caseId);
      const line = lines.get(rows[0]!.statementLineId!)!;
      const age = (Date.parse(asOf) - Date.parse(line.bookingDate ?? line.valueDate!)) / 86_400_000;
      expect(c).toMatchObject({
        reason: 'PROPOSED_MATCH',
        side: 'both',
        statementLineId: line.statementLineId,
        accountId: line.accountId,
        currency: line.currency,
        amount: line.amount,
        ageDays: age,
        ledgerEntryIds: [...new Set(rows.map((row) => row.ledgerEntryId))],
        ruleId: rows[0]!.ruleId,
        confidence: rows[0]!.confidence,
      });
      expect(c.amount).toMatch(/^-?\d+\.\d{2}$/);
    }
  });

  it('statement line facts age a line by its booking date, else its value date, else 0', () => {
    const line = { accountId: 'A', currency: 'CAD', amount: '115.00', bookingDate: '2006-03-16', valueDate: '2006-03-20' } as StatementLine;
    expect(statementLineFacts(line, '2006-03-31')).toEqual({ accountId: 'A', currency: 'CAD', amount: '115.00', ageDays: 15 });
    expect(statementLineFacts({ ...line, bookingDate: null }, '2006-03-31').ageDays).toBe(11);
    expect(statementLineFacts({ ...line, bookingDate: null, valueDate: null }, '2006-03-31').ageDays).toBe(0);
  });

  describe('importCasesStep (DynamoWorkbenchStore on an in-memory table)', () => {
    let table: FakeWorkbenchTable;
    let store: DynamoWorkbenchStore;
    beforeAll(() => {
      table = new FakeWorkbenchTable();
      store = new DynamoWorkbenchStore({ client: table.client, tableName: 'test-workbench' });
    });
    afterAll(() => table.mock.restore());

    it('raises every case of the run', async () => {
      const outcome = await importCasesStep({ s3: s3.client, store }, { runId: RUN, analyticsBucket: ANALYTICS });
      expect(outcome).toEqual({ runId: RUN, raised: file.cases.length, reopened: 0, cleared: 0, alreadyImported: false });
      for (const c of file.cases) await expect(store.get(c.caseId)).resolves.toEqual(c);
      expect(table.events()).toHaveLength(file.cases.length);
      expect(table.items.has(`RUN#${RUN}|RUN`)).toBe(true);
    });

    it('a retried step imports nothing twice', async () => {
      const items = new Map(table.items);
      const transactions = table.transactSizes.length;
      await expect(importCasesStep({ s3: s3.client, store }, { runId: RUN, analyticsBucket: ANALYTICS })).resolves.toEqual({ runId: RUN, raised: 0, reopened: 0, cleared: 0, alreadyImported: true });
      expect(table.items).toEqual(items);
      expect(table.transactSizes).toHaveLength(transactions);
    });

    it('a later run of the same accounts clears the open cases it no longer reports', async () => {
      const next = 'recon-cases-run-2';
      const [gone, ...kept] = file.cases;
      const later: RunCasesFile = {
        runId: next,
        at: '2026-01-02T00:00:00.000Z',
        coveredAccounts: file.coveredAccounts,
        cases: kept.map((c) => ({ ...c, runId: next, updatedAt: '2026-01-02T00:00:00.000Z' })),
      };
      s3.put(ANALYTICS, keys.runCases(next), JSON.stringify(later));
      await expect(importCasesStep({ s3: s3.client, store }, { runId: next, analyticsBucket: ANALYTICS })).resolves.toEqual({
        runId: next,
        raised: 0,
        reopened: 0,
        cleared: 1,
        alreadyImported: false,
      });
      await expect(store.get(gone!.caseId)).resolves.toMatchObject({ status: 'CLEARED', version: 2, runId: next });
      expect(table.events().filter((key) => key.startsWith(`CASE#${gone!.caseId}|`))).toEqual([`CASE#${gone!.caseId}|EVENT#000000001`, `CASE#${gone!.caseId}|EVENT#000000002`]);
      expect(table.items.get(`CASE#${gone!.caseId}|EVENT#000000002`)).toMatchObject({ action: { S: 'clear' }, from: { S: 'OPEN' }, to: { S: 'CLEARED' } });
      await expect(store.get(kept[0]!.caseId)).resolves.toMatchObject({ status: 'OPEN', version: 1, runId: next });
    });

    it('refuses a cases.json of another run, naming the object', async () => {
      s3.put(ANALYTICS, keys.runCases('recon-cases-run-3'), JSON.stringify({ ...file, runId: 'someone-else' }));
      await expect(importCasesStep({ s3: s3.client, store }, { runId: 'recon-cases-run-3', analyticsBucket: ANALYTICS })).rejects.toMatchObject({
        name: 'RunCasesFileError',
        message: expect.stringContaining(`s3://${ANALYTICS}/matches/runs/recon-cases-run-3/cases.json: runId is "someone-else"`),
      });
      expect(table.items.has('RUN#recon-cases-run-3|RUN')).toBe(false);
    });
  });
});
