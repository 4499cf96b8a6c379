/**
 * The Redshift load of a real reconciliation run (REC-2), on the PostgreSQL stand-in: the load SQL
 * that summarise returns (delete-then-COPY, one transaction) runs against the migrated schema with
 * the run's own load files. Every row arrives, every cell reads back as the formula-safe CSV writer
 * wrote it (REC-OUT-1: quotes, commas, line breaks, formula starts, multi-byte text), amounts are
 * exact (sum by currency equals the source, in minor units), re-loading a run replaces its rows,
 * and a failing load changes nothing. DECIMAL(38,6)'s limits through the CSV writer itself.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connectPostgres, postgresExecutor } from '../../redshift/executors';
import { migrate } from '../../redshift/migrations';
import { PostgresDataApi } from '../../rehearsal/redshift/data-api';
import { LoadError, runLoadSql } from '../../rehearsal/redshift/load';
import { CURRENCY_EXPONENTS, toMinorUnits } from '../../src/domain/money';
import { LOAD_TABLES, redshiftLoadSql } from '../../src/recon/run/aws/redshift-load';
import { ledgerRowsOf } from '../../src/recon/ledger-rows';
import { decodeCsvText, neutraliseText } from '../../src/recon/run/csv-writer';
import { exceptionRows, matchRows } from '../../src/recon/run/results';
import { runLookups } from '../../src/recon/run/run-lookups';
import { statementRowsOf } from '../../src/recon/statement-rows';
import { tempDir } from '../support/runtime';
import { ANALYTICS, CURRENCIES, generateInput, MAX_MINOR, runOnAws, type RunOnAws } from './support/recon-run';
import { describePostgres, useCluster } from './support/postgres';
import { FakeS3 } from '../recon/aws/fake-s3';

/** A NUMERIC's text (e.g. "-12.340000") as minor units of `currency`, exactly; fails on digits the currency cannot hold. */
function minorOf(numeric: string, currency: string): bigint {
  const exponent = CURRENCY_EXPONENTS[currency]!;
  const [whole, fraction = ''] = numeric.replace(/^-/, '').split('.');
  if (!/^0*$/.test(fraction.slice(exponent))) throw new Error(`${numeric} has more than ${exponent} decimals for ${currency}`);
  const minor = BigInt(whole! + fraction.slice(0, exponent).padEnd(exponent, '0'));
  return numeric.startsWith('-') ? -minor : minor;
}

/** The text a CSV cell reads back as from the load (what the writer wrote: neutralised text; numbers as they are). */
function written(cells: readonly string[], numeric: readonly boolean[]): (string | null)[] {
  return cells.map((cell, i) => (numeric[i] ? (cell === '' ? null : cell) : neutraliseText(cell)));
}

function normalise(decimal: string): string {
  const [whole, fraction = ''] = decimal.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return trimmed ? `${whole}.${trimmed}` : whole!;
}

async function rowsOf(client: Client, table: string, runId: string, order: string): Promise<Record<string, string | null>[]> {
  return (await client.query(`SELECT * FROM reconciliation.${table} WHERE run_id = $1 ORDER BY ${order}`, [runId])).rows as Record<string, string | null>[];
}

describePostgres('Redshift load of a reconciliation run (PostgreSQL stand-in)', () => {
  const pg = useCluster();
  const dir = tempDir('ledgerline-analytics-load-');
  let url: string;
  let client: Client;
  let first: RunOnAws;

  beforeAll(async () => {
    url = await pg.freshDatabase();
    const executor = postgresExecutor(await connectPostgres(url));
    await migrate(executor);
    await executor.close();
    client = await pg.connect(url);
    first = await runOnAws(generateInput(20260101), 'run-analytics-1', join(dir, 'run-1'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads every row of the run, each cell as the CSV writer wrote it (quotes, commas, line breaks, formulas, UTF-8)', async () => {
    const outcome = await runLoadSql(url, first.summarised.loadSql, first.readObject);
    const lookups = runLookups(statementRowsOf(first.lines), ledgerRowsOf(first.entries), []);
    const matchCells = [...matchRows(first.result, lookups)];
    const exceptionCells = [...exceptionRows(first.result, lookups)];
    expect(outcome.copied.map((c) => [c.table, c.rows])).toEqual([
      ['reconciliation.runs', 1],
      ['reconciliation.matches', matchCells.length],
      ['reconciliation.exceptions', exceptionCells.length],
    ]);
    expect(matchCells.length).toBeGreaterThan(30);
    expect(exceptionCells.length).toBeGreaterThan(60);

    const numeric = (table: keyof typeof LOAD_TABLES, names: string[]) => LOAD_TABLES[table].columns.slice(1).map((c) => names.includes(c));
    const expectRows = (loaded: Record<string, string | null>[], cells: string[][], table: 'matches' | 'exceptions', numericColumns: string[]) => {
      const columns = LOAD_TABLES[table].columns.slice(1);
      const want = cells.map((row) => written(row, numeric(table, numericColumns)));
      const got = loaded.map((row) => columns.map((c) => row[c] ?? null));
      const key = (row: (string | null)[]) => JSON.stringify(row.map((cell) => (cell !== null && /^-?\d+\.\d+$/.test(cell) ? normalise(cell) : cell)));
      expect(got.map(key).sort()).toEqual(want.map(key).sort());
    };
    expectRows(await rowsOf(client, 'matches', first.runId, 'match_id, ledger_entry_id'), matchCells, 'matches', ['confidence']);
    const exceptions = await rowsOf(client, 'exceptions', first.runId, 'side, id');
    // Redshift loads an empty text cell as '' (no EMPTYASNULL); the stand-in does the same.
    expect(exceptions.filter((row) => row.side === 'ledger' && row.reason === 'UNMATCHED').every((row) => row.statement_line_id === '')).toBe(true);
    expectRows(exceptions, exceptionCells, 'exceptions', ['age_days', 'amount']);

    // The hostile cells are really there, decoded by the database exactly as written.
    const texts = exceptions.flatMap((row) => [row.bank_reference, row.id, row.account_id]);
    for (const expected of ['REF,9', 'R"10"Q', "'=HYPERLINK(3)", "''6quoted", 'multi\nline 23', 'GB,"1"', "'=ACC2", "'-AC 4", 'Zürich-€-3', 'L,"30"\nnext=30']) expect(texts).toContain(expected);
    const longest = await client.query("SELECT MAX(OCTET_LENGTH(id)) AS bytes, MAX(LENGTH(id)) AS chars FROM reconciliation.exceptions WHERE id LIKE '€%'");
    expect(longest.rows).toEqual([{ bytes: '3000', chars: '1000' }]);

    const [run] = await rowsOf(client, 'runs', first.runId, 'run_id');
    expect(run).toMatchObject({ run_id: first.runId, statement_lines: String(first.lines.length), ledger_entries: String(first.entries.length), matched: String(first.result.matches.length) });
    // The summary by reference (REC-RS-1): the row names summary.json and its SHA-256, never a copy.
    expect(run!.summary_uri).toBe(`s3://${ANALYTICS}/matches/runs/${first.runId}/summary.json`);
    const summaryText = await first.readObject(run!.summary_uri!);
    expect(run!.summary_sha256).toBe(createHash('sha256').update(summaryText, 'utf8').digest('hex'));
    expect(JSON.parse(summaryText)).toMatchObject({ runId: first.runId, statementLines: first.lines.length });
  });

  it('the loaded amounts equal the source exactly: sum by currency in minor units, and row by row', async () => {
    await runLoadSql(url, first.summarised.loadSql, first.readObject);
    const amountOf = new Map<string, { amount: string; currency: string }>([
      ...first.lines.map((l) => [`statement:${l.statementLineId}`, l] as const),
      ...first.entries.map((e) => [`ledger:${e.entryId}`, e] as const),
    ]);
    const expected = new Map<string, bigint>();
    for (const item of first.result.unmatched) {
      const source = amountOf.get(`${item.side}:${item.id}`)!;
      expected.set(source.currency, (expected.get(source.currency) ?? 0n) + toMinorUnits(source.amount.replace(/^-/, ''), source.currency) * (source.amount.startsWith('-') ? -1n : 1n));
    }
    const sums = await client.query<{ currency: string; total: string; n: string }>(
      'SELECT currency, SUM(amount) AS total, COUNT(*) AS n FROM reconciliation.exceptions WHERE run_id = $1 GROUP BY currency ORDER BY currency',
      [first.runId],
    );
    expect(sums.rows.map((row) => row.currency)).toEqual([...CURRENCIES].sort());
    expect(Object.fromEntries(sums.rows.map((row) => [row.currency, minorOf(row.total, row.currency)]))).toEqual(Object.fromEntries(expected));

    // Row by row, including the extremes (±(2^53 - 1) minor units) and negatives.
    const loaded = await client.query<{ side: string; id: string; currency: string; amount: string }>('SELECT side, id, currency, amount FROM reconciliation.exceptions WHERE run_id = $1', [
      first.runId,
    ]);
    let extremes = 0;
    let negatives = 0;
    for (const row of loaded.rows) {
      const id = decodeCsvText(row.id);
      const source = amountOf.get(`${row.side}:${id}`)!;
      const minor = minorOf(row.amount, row.currency);
      expect(minor).toBe(toMinorUnits(source.amount.replace(/^-/, ''), source.currency) * (source.amount.startsWith('-') ? -1n : 1n));
      if (minor === MAX_MINOR || minor === -MAX_MINOR) extremes += 1;
      if (minor < 0n) negatives += 1;
    }
    expect(extremes).toBeGreaterThanOrEqual(CURRENCIES.length);
    expect(negatives).toBeGreaterThan(10);
  });

  it('re-loading the same run replaces its rows (no duplicates) and leaves other runs alone', async () => {
    const second = await runOnAws(generateInput(7), 'run-analytics-2', join(dir, 'run-2'));
    await runLoadSql(url, first.summarised.loadSql, first.readObject);
    await runLoadSql(url, second.summarised.loadSql, second.readObject);
    const counts = async () =>
      (
        await client.query<{ run_id: string; t: string; n: string }>(
          "SELECT run_id, 'runs' AS t, COUNT(*) AS n FROM reconciliation.runs GROUP BY run_id UNION ALL SELECT run_id, 'matches', COUNT(*) FROM reconciliation.matches GROUP BY run_id UNION ALL SELECT run_id, 'exceptions', COUNT(*) FROM reconciliation.exceptions GROUP BY run_id ORDER BY 1, 2",
        )
      ).rows;
    const before = await counts();
    expect(before.filter((row) => row.run_id === 'run-analytics-2').map((row) => row.t)).toEqual(['exceptions', 'matches', 'runs']);
    await runLoadSql(url, first.summarised.loadSql, first.readObject);
    await runLoadSql(url, first.summarised.loadSql, first.readObject);
    expect(await counts()).toEqual(before);
    // The natural keys stay unique (Redshift would not enforce them; the load's delete-then-COPY must).
    const duplicates = await client.query(
      'SELECT run_id, match_id, statement_line_id, ledger_entry_id FROM reconciliation.matches GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1 UNION ALL SELECT run_id, side, id, NULL FROM reconciliation.exceptions GROUP BY 1, 2, 3 HAVING COUNT(*) > 1',
    );
    expect(duplicates.rows).toEqual([]);
  });

  it('a failing load (a missing load file) changes nothing: the run keeps its previous rows', async () => {
    await runLoadSql(url, first.summarised.loadSql, first.readObject);
    const before = (await client.query('SELECT COUNT(*) AS n FROM reconciliation.matches WHERE run_id = $1', [first.runId])).rows;
    const missing = async (uri: string) => {
      if (uri.endsWith('/exceptions.csv')) throw new Error(`S3 object ${uri} does not exist`);
      return first.readObject(uri);
    };
    const error = await runLoadSql(url, first.summarised.loadSql, missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoadError);
    expect((error as LoadError).index).toBe(5);
    expect((error as Error).message).toMatch(/load statement 6 \(COPY reconciliation.exceptions FROM .*\) failed; the transaction was rolled back: S3 object .*exceptions.csv does not exist/);
    expect((await client.query('SELECT COUNT(*) AS n FROM reconciliation.matches WHERE run_id = $1', [first.runId])).rows).toEqual(before);
    expect(Number(before[0].n)).toBeGreaterThan(0);
  });

  it('no currency has more decimals than DECIMAL(38,6) keeps (both engines would round a 7th decimal silently)', () => {
    expect(Math.max(...Object.values(CURRENCY_EXPONENTS))).toBeLessThanOrEqual(6);
  });

  it("DECIMAL(38,6)'s limits through the CSV writer: the extremes load exactly; one digit more fails the whole load", async () => {
    const s3 = new FakeS3();
    const runId = 'run-decimal-limits';
    const prefix = `matches/runs/${runId}/load/`;
    const limits = ['99999999999999999999999999999999.999999', '-99999999999999999999999999999999.999999', '0.000001', '-0.000001', '0', '-12.50'];
    const exceptionRow = (amount: string, i: number) => [runId, 'ledger', `L-${i}`, 'UNMATCHED', '3', '', '', `L-${i}`, 'ACC', 'EUR', amount, '', i % 2 === 0 ? `grp-${i}` : ''];
    s3.put(
      ANALYTICS,
      `${prefix}runs.csv`,
      LOAD_TABLES.runs.render(
        [[runId, 's3://b/k', 'a'.repeat(64), '2026-01-01', '0', String(limits.length), '0', '0', String(limits.length), `s3://${ANALYTICS}/matches/runs/${runId}/summary.json`, 'b'.repeat(64)]],
        { header: false },
      ),
    );
    s3.put(ANALYTICS, `${prefix}matches.csv`, '');
    s3.put(ANALYTICS, `${prefix}exceptions.csv`, LOAD_TABLES.exceptions.render(limits.map(exceptionRow), { header: false }));
    const read = async (uri: string) => s3.text(ANALYTICS, uri.slice(`s3://${ANALYTICS}/`.length))!;
    const sql = redshiftLoadSql('reconciliation', ANALYTICS, runId);
    await runLoadSql(url, sql, read);
    const loaded = await client.query<{ amount: string }>('SELECT amount FROM reconciliation.exceptions WHERE run_id = $1 ORDER BY id', [runId]);
    expect(loaded.rows.map((row) => row.amount)).toEqual(['99999999999999999999999999999999.999999', '-99999999999999999999999999999999.999999', '0.000001', '-0.000001', '0.000000', '-12.500000']);
    // REC-CASE-1: the case group loads as written (migration 0003's column, last in the load file).
    const groups = await client.query<{ id: string; case_group: string | null }>('SELECT id, case_group FROM reconciliation.exceptions WHERE run_id = $1 ORDER BY id', [runId]);
    expect(groups.rows.map((row) => [row.id, row.case_group])).toEqual(limits.map((_, i) => [`L-${i}`, i % 2 === 0 ? `grp-${i}` : '']));

    s3.put(ANALYTICS, `${prefix}exceptions.csv`, LOAD_TABLES.exceptions.render(['100000000000000000000000000000000', '1'].map(exceptionRow), { header: false }));
    await expect(runLoadSql(url, sql, read)).rejects.toThrow(/load statement 6 .* rolled back: numeric field overflow/);
    // The failed load left the previous one in place.
    expect((await client.query('SELECT COUNT(*) AS n FROM reconciliation.exceptions WHERE run_id = $1', [runId])).rows).toEqual([{ n: String(limits.length) }]);
  });

  it('enforces Redshift’s VARCHAR byte limits (PostgreSQL counts characters): too many bytes fails the load', async () => {
    const s3 = new FakeS3();
    const runId = 'run-bytes';
    const prefix = `matches/runs/${runId}/load/`;
    // account_id is VARCHAR(512): 200 characters fit PostgreSQL, 600 bytes do not fit Redshift.
    const row = [runId, 'ledger', 'L-1', 'UNMATCHED', '3', '', '', 'L-1', '€'.repeat(200), 'EUR', '1.00', '', ''];
    s3.put(ANALYTICS, `${prefix}runs.csv`, '');
    s3.put(ANALYTICS, `${prefix}matches.csv`, '');
    s3.put(ANALYTICS, `${prefix}exceptions.csv`, LOAD_TABLES.exceptions.render([row], { header: false }));
    const read = async (uri: string) => s3.text(ANALYTICS, uri.slice(`s3://${ANALYTICS}/`.length))!;
    await expect(runLoadSql(url, redshiftLoadSql('reconciliation', ANALYTICS, runId), read)).rejects.toThrow(
      /String length exceeds DDL length: column account_id of reconciliation.exceptions is VARCHAR\(512\) \(bytes in Redshift\) and a value is 600 bytes/,
    );
    s3.put(ANALYTICS, `${prefix}exceptions.csv`, LOAD_TABLES.exceptions.render([[...row.slice(0, 8), '€'.repeat(170), ...row.slice(9)]], { header: false }));
    await runLoadSql(url, redshiftLoadSql('reconciliation', ANALYTICS, runId), read);
  });

  it('runs through the Data API stand-in as the workflow does (BatchExecuteStatement → DescribeStatement)', async () => {
    const api = new PostgresDataApi(url, first.readObject);
    try {
      const { Id } = await api.batchExecuteStatement({ Sqls: first.summarised.loadSql });
      let described = await api.describeStatement({ Id });
      for (let i = 0; described.Status === 'STARTED' && i < 500; i += 1) {
        await new Promise((done) => setTimeout(done, 10));
        described = await api.describeStatement({ Id });
      }
      expect(described.Status).toBe('FINISHED');
      const broken = await api.batchExecuteStatement({ Sqls: [...first.summarised.loadSql.slice(0, 5), first.summarised.loadSql[5]!.replace('exceptions.csv', 'nothing.csv')] });
      await new Promise((done) => setTimeout(done, 10));
      let failed = await api.describeStatement(broken);
      for (let i = 0; failed.Status === 'STARTED' && i < 500; i += 1) {
        await new Promise((done) => setTimeout(done, 10));
        failed = await api.describeStatement(broken);
      }
      expect(failed.Status).toBe('FAILED');
      expect(failed.SubStatements!.map((s) => s.Status)).toEqual(['FINISHED', 'FINISHED', 'FINISHED', 'FINISHED', 'FINISHED', 'FAILED']);
      expect(failed.Error).toMatch(/nothing.csv does not exist/);
    } finally {
      await api.close();
    }
  });
});
