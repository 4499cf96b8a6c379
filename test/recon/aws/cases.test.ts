/**
 * The AWS path into the exceptions workbench: summarise writes the run's cases.json from the same
 * rows as exceptions.csv / matches.csv (proposed matches carry their statement line's facts), and
 * importCasesStep (RaiseCases) imports it into DynamoWorkbenchStore once per run: raise, a retry
 * is a no-op, a later run of the same account clears what it no longer reports.
 */
import { runLookups } from '../../../src/recon/run/run-lookups';
import { statementRowsOf } from '../../../src/recon/statement-rows';
import { ledgerRowsOf } from '../../../src/recon/ledger-rows';
import { readFileSync } from 'node:fs';
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { importCasesStep, keys, matchStep, normaliseStep, summariseStep, type RunConfig } from '../../../src/recon/run/aws/steps';
import { importRunCasesFile, runCasesFile, runCasesFileOfResult, statementLineFacts, type RunCasesFile } from '../../../src/recon/run/aws/run-cases';
import { exceptionRows, matchRows } from '../../../src/recon/run/results';
import type { LedgerEntry, MatchResult, UnmatchedItem } from '../../../src/recon/types';
import fc from 'fast-check';
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

  it("cases.json carries the run's dashboard statistics: every statement line once, the confirmed matches, exact volumes", () => {
    const matches = csvRows(writeText(dir, 'matches-stats.csv', s3.text(ANALYTICS, `${keys.results(RUN)}matches.csv`)!));
    const exceptions = csvRows(writeText(dir, 'exceptions-stats.csv', s3.text(ANALYTICS, `${keys.results(RUN)}exceptions.csv`)!));
    const stats = file.stats!;
    expect(stats).toMatchObject({ runId: RUN, asOf, recordedAt: file.at });
    const confirmed = new Set(matches.filter((row) => row.status === 'confirmed').map((row) => row.statementLineId));
    const unmatched = new Set(exceptions.filter((row) => row.side === 'statement').map((row) => row.id));
    expect(stats.unmatchedLines).toBe(unmatched.size);
    expect(stats.matchedLines).toBe([...confirmed].filter((id) => !unmatched.has(id)).length);
    expect(stats.ledgerExceptions).toBe(exceptions.filter((row) => row.side === 'ledger').length);
    expect(stats.volumes.reduce((sum, volume) => sum + volume.lines, 0)).toBe(stats.statementLines);
    for (const volume of stats.volumes) expect(volume.credits).toMatch(/^\d+\.\d{2}$/);
  });

  it('the rows path and the result path build the same cases (one case builder), groups included when the rows carry them', () => {
    const itemArb = fc.record({
      side: fc.constantFrom('statement' as const, 'ledger' as const),
      reason: fc.constantFrom('UNMATCHED' as const, 'AMOUNT_MISMATCH' as const, 'STALE' as const),
      ageDays: fc.integer({ min: 0, max: 90 }),
      group: fc.option(fc.constantFrom('batch:1', 'batch:2'), { nil: undefined }),
      cents: fc.integer({ min: -99_999, max: 99_999 }),
      candidate: fc.boolean(),
      proposed: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(itemArb, { maxLength: 20 }), (items) => {
        const amount = (cents: number) => `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;
        const statementLines: StatementLine[] = items.map((item, i) => ({
          statementLineId: `0123456789ab:0:${i}`,
          format: 'bai2',
          statementId: 'S',
          accountId: 'ACC-1',
          currency: 'USD',
          amount: amount(item.cents),
          bookingDate: '2026-01-01',
          valueDate: null,
          bankReference: `REF-${i}`,
          position: { file: 'f' },
        }));
        const entries: LedgerEntry[] = items.map((item, i) => ({
          entryId: `L-${i}`,
          accountId: 'ACC-1',
          currency: 'USD',
          amount: amount(-item.cents),
          bookingDate: '2026-01-01',
          valueDate: '2026-01-01',
          reference: `R-${i}`,
          description: '',
        }));
        const unmatched: UnmatchedItem[] = items.map((item, i) => ({
          side: item.side,
          id: item.side === 'statement' ? statementLines[i]!.statementLineId : entries[i]!.entryId,
          reason: item.reason,
          ageDays: item.ageDays,
          ...(item.candidate ? { candidateId: item.side === 'statement' ? `L-c${i}` : statementLines[i]!.statementLineId } : {}),
          ...(item.group ? { group: item.group } : {}),
        }));
        const result: MatchResult = {
          matches: items.flatMap((item, i) =>
            item.proposed
              ? [{ matchId: `m-${i}`, ruleId: 'r', confidence: 0.75, status: 'proposed' as const, statementLineIds: [statementLines[i]!.statementLineId], ledgerEntryIds: [`L-m${i}`] }]
              : [],
          ),
          unmatched,
        };
        const lookups = runLookups(statementRowsOf(statementLines), ledgerRowsOf(entries), []);
        const run = { runId: 'r', asOf: '2026-01-10', at: NOW.toISOString(), statementAccounts: ['ACC-1'], lines: statementLines };
        const direct = runCasesFileOfResult(run, result, lookups.ledgerEntry);
        // The rows summarise writes, with each exception's group as a cell after the columns.
        const cells = [...exceptionRows(result, lookups)].map((row, i) => (unmatched[i]!.group ? [...row, unmatched[i]!.group!] : row));
        expect(runCasesFile(run, cells, [...matchRows(result, lookups)])).toEqual(direct);
        expect(direct.cases.filter((c) => c.kind === 'exception')).toHaveLength(new Set(unmatched.map((item, i) => item.group ?? `lone-${i}`)).size);
      }),
      { numRuns: 200 },
    );
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

    it("importRunCasesFile imports the file's statistics with its cases, once", async () => {
      const fresh = new DynamoWorkbenchStore({ client: new FakeWorkbenchTable().client, tableName: 'test-workbench' });
      await expect(importRunCasesFile(fresh, file)).resolves.toMatchObject({ raised: file.cases.length, alreadyImported: false });
      await expect(importRunCasesFile(fresh, file)).resolves.toMatchObject({ alreadyImported: true });
      await expect(fresh.runStats()).resolves.toEqual([file.stats]);
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
