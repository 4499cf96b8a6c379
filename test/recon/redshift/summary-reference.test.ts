/**
 * REC-RS-1 / REC-2: the runs row references the run's summary.json (S3 URI + SHA-256) instead of
 * copying it into a VARCHAR(65535) cell. On the PostgreSQL stand-in (real PostgreSQL 15):
 *   - a summary of any size loads (generated runs of 1..2000 statements, well past 64 KiB), the
 *     row's hash equals the summary's bytes, and a re-load of the same run replaces its row;
 *   - upgrading a database that already holds 0001-era rows keeps every summary
 *     (reconciliation.run_summaries_v1), and the load then runs against the upgraded schema;
 *   - the load SQL refuses a bad schema, bucket or run id, naming it.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPostgres, postgresExecutor } from '../../../redshift/executors';
import { migrate, MIGRATIONS_DIR } from '../../../redshift/migrations';
import { runLoadSql } from '../../../rehearsal/redshift/load';
import { LOAD_TABLES, loadKeys, redshiftLoadSql, renderLoadFile, runsRow, type LoadTableName } from '../../../src/recon/run/aws/redshift-load';
import { describePostgres, useCluster } from '../../analytics/support/postgres';
import { seededRandom as random } from '../../support/random';

const BUCKET = 'ledgerline-dev-analytics';

/** A summary.json shaped like renderSummary's, with `statements` statements (UTF-8 account ids). */
function summaryOf(runId: string, statements: number, next: () => number): string {
  const files = Array.from({ length: statements }, (_, i) => ({
    file: `statement-${i}-Zürich-€.xml`,
    contentHash: createHash('sha256').update(`${runId}:${i}`).digest('hex'),
    statementId: `STMT-${i}-${Math.floor(next() * 1e9)}`,
    accountId: `GB${String(Math.floor(next() * 1e16)).padStart(16, '0')}`,
    ok: next() > 0.1,
    difference: `${Math.floor(next() * 100000)}.${String(Math.floor(next() * 100)).padStart(2, '0')}`,
  }));
  return `${JSON.stringify({ runId, statementFiles: files, balanceChecks: files.map(({ statementId, accountId, ok, difference }) => ({ statementId, accountId, ok, difference })) }, null, 2)}\n`;
}

describePostgres('runs.summary by reference (PostgreSQL stand-in)', () => {
  const pg = useCluster();

  async function migrated(dir = MIGRATIONS_DIR): Promise<string> {
    const url = await pg.freshDatabase();
    const executor = postgresExecutor(await connectPostgres(url), 'PostgreSQL test');
    try {
      await migrate(executor, { dir });
    } finally {
      await executor.close();
    }
    return url;
  }

  function loadRun(objects: Map<string, string>, runId: string, statements: number, seed: number): string {
    const summary = summaryOf(runId, statements, random(seed));
    objects.set(`s3://${BUCKET}/${loadKeys.summary(runId)}`, summary);
    const files: Record<LoadTableName, string> = {
      runs: renderLoadFile('runs', runId, [
        runsRow(
          BUCKET,
          runId,
          {
            sourceUri: `s3://ledgerline-dev-ingest/statements/${runId}.xml`,
            contentHash: 'c'.repeat(64),
            asOf: '2026-03-31',
            statementLines: statements * 3,
            ledgerEntries: statements * 2,
            matched: statements,
            unmatchedStatement: statements * 2,
            unmatchedLedger: statements,
          },
          summary,
        ),
      ]),
      matches: renderLoadFile('matches', runId, []),
      exceptions: renderLoadFile('exceptions', runId, []),
    };
    for (const [table, body] of Object.entries(files)) objects.set(`s3://${BUCKET}/${loadKeys.loadFile(runId, table as LoadTableName)}`, body);
    return summary;
  }

  it('a summary of any size loads by reference; its hash matches; a re-load replaces the run row', async () => {
    const url = await migrated();
    const client = await pg.connect(url);
    const objects = new Map<string, string>();
    const read = async (uri: string) => {
      const body = objects.get(uri);
      if (body === undefined) throw new Error(`no object ${uri}`);
      return body;
    };
    const next = random(20261205);
    const sizes = [1, 2, 325, 400, 2000, ...Array.from({ length: 5 }, () => 1 + Math.floor(next() * 1500))];
    let largest = 0;
    for (const [i, statements] of sizes.entries()) {
      const runId = `run-summary-${i}`;
      const summary = loadRun(objects, runId, statements, i + 1);
      largest = Math.max(largest, Buffer.byteLength(summary));
      const outcome = await runLoadSql(url, redshiftLoadSql('reconciliation', BUCKET, runId), read);
      expect(outcome.copied.map((c) => [c.table, c.rows])).toEqual([
        ['reconciliation.runs', 1],
        ['reconciliation.matches', 0],
        ['reconciliation.exceptions', 0],
      ]);
      // Re-load (a retried LoadResults) with a different summary: one row, the new reference.
      const again = loadRun(objects, runId, statements, i + 1000);
      await runLoadSql(url, redshiftLoadSql('reconciliation', BUCKET, runId), read);
      const rows = (await client.query('SELECT summary_uri, summary_sha256, statement_lines FROM reconciliation.runs WHERE run_id = $1', [runId])).rows;
      expect(rows).toEqual([
        { summary_uri: `s3://${BUCKET}/matches/runs/${runId}/summary.json`, summary_sha256: createHash('sha256').update(again).digest('hex'), statement_lines: String(statements * 3) },
      ]);
      expect(JSON.parse(await read(rows[0].summary_uri))).toMatchObject({ runId, statementFiles: { length: statements } });
    }
    // The old VARCHAR(65535) cell could not have held these.
    expect(largest).toBeGreaterThan(65_535 * 4);
  });

  it('upgrading a 0001 database keeps every loaded summary, then loads against the new schema', async () => {
    const onlyFirst = mkdtempSync(join(tmpdir(), 'ledgerline-migrations-0001-'));
    try {
      cpSync(join(MIGRATIONS_DIR, '0001_reconciliation_tables.sql'), join(onlyFirst, '0001_reconciliation_tables.sql'));
      const url = await migrated(onlyFirst);
      const client = await pg.connect(url);
      const old = Array.from({ length: 7 }, (_, i) => ({ runId: `old-run-${i}`, summary: JSON.stringify({ runId: `old-run-${i}`, note: `€${'x'.repeat(i * 1000)}` }) }));
      for (const { runId, summary } of old) await client.query("INSERT INTO reconciliation.runs VALUES ($1, 's3://b/k', $2, '2026-01-01', 1, 1, 0, 1, 1, $3)", [runId, 'd'.repeat(64), summary]);

      const executor = postgresExecutor(await connectPostgres(url), 'PostgreSQL test');
      try {
        expect(await migrate(executor)).toEqual({ alreadyApplied: ['0001_reconciliation_tables'], applied: ['0002_run_summary_by_reference', '0003_exception_case_group'], pending: [] });
      } finally {
        await executor.close();
      }
      const kept = (await client.query('SELECT run_id, summary FROM reconciliation.run_summaries_v1 ORDER BY run_id')).rows;
      expect(kept).toEqual(old.map(({ runId, summary }) => ({ run_id: runId, summary })).sort((a, b) => a.run_id.localeCompare(b.run_id)));
      const columns = (await client.query("SELECT column_name FROM information_schema.columns WHERE table_schema = 'reconciliation' AND table_name = 'runs' ORDER BY ordinal_position")).rows;
      expect(columns.map((c) => c.column_name)).toEqual([...LOAD_TABLES.runs.columns]);
      expect((await client.query("SELECT COUNT(*) AS n FROM reconciliation.runs WHERE summary_uri = '' AND summary_sha256 = ''")).rows).toEqual([{ n: '7' }]);

      const objects = new Map<string, string>();
      loadRun(objects, 'new-run', 3, 7);
      await runLoadSql(url, redshiftLoadSql('reconciliation', BUCKET, 'new-run'), async (uri) => objects.get(uri)!);
      expect((await client.query('SELECT COUNT(*) AS n FROM reconciliation.runs')).rows).toEqual([{ n: '8' }]);
    } finally {
      rmSync(onlyFirst, { recursive: true, force: true });
    }
  });
});

describe('redshiftLoadSql', () => {
  it('deletes then copies each load table of the run, in LOAD_TABLES order, from its load file', () => {
    expect(redshiftLoadSql('reconciliation', BUCKET, 'r-1')).toEqual(
      Object.keys(LOAD_TABLES).flatMap((table) => [
        `DELETE FROM reconciliation.${table} WHERE run_id = 'r-1'`,
        `COPY reconciliation.${table} FROM 's3://${BUCKET}/matches/runs/r-1/load/${table}.csv' IAM_ROLE DEFAULT FORMAT AS CSV`,
      ]),
    );
  });

  it('refuses every class of bad schema, bucket and run id, naming the value', () => {
    for (const schema of ['', '1abc', 'a-b', 'a;DROP TABLE x', 'a b', "re'conciliation", 'x'.repeat(128)])
      expect(() => redshiftLoadSql(schema, BUCKET, 'r-1')).toThrow(`"${schema}" is not a plain SQL identifier`);
    for (const bucket of ['', 'A', 'UPPER-case', 'a', "b'ucket", 'bucket/key', '-leading', 'trailing-', 'x'.repeat(64)])
      expect(() => redshiftLoadSql('reconciliation', bucket, 'r-1')).toThrow(`"${bucket}" is not an S3 bucket name`);
    for (const runId of ['', "r'1", 'r/1', 'r 1', 'r.1', 'x'.repeat(81)]) expect(() => redshiftLoadSql('reconciliation', BUCKET, runId)).toThrow(`runId "${runId}" must be 1-80 characters`);
  });

  it('runsRow: the counts as written, the summary by URI and SHA-256 of exactly its bytes', () => {
    const next = random(7);
    for (let i = 0; i < 50; i += 1) {
      const summary = summaryOf(`r-${i}`, Math.floor(next() * 20), next);
      const row = runsRow(
        BUCKET,
        `r-${i}`,
        { sourceUri: 's3://in/k', contentHash: 'e'.repeat(64), asOf: '2026-01-02', statementLines: i, ledgerEntries: i + 1, matched: 0, unmatchedStatement: i, unmatchedLedger: i + 1 },
        summary,
      );
      expect(row).toHaveLength(LOAD_TABLES.runs.columns.length - 1);
      expect(row.slice(-2)).toEqual([`s3://${BUCKET}/matches/runs/r-${i}/summary.json`, createHash('sha256').update(Buffer.from(summary, 'utf8')).digest('hex')]);
      expect(
        runsRow(
          BUCKET,
          `r-${i}`,
          { sourceUri: 's3://in/k', contentHash: 'e'.repeat(64), asOf: '2026-01-02', statementLines: i, ledgerEntries: i + 1, matched: 0, unmatchedStatement: i, unmatchedLedger: i + 1 },
          `${summary} `,
        ).at(-1),
      ).not.toBe(row.at(-1));
    }
  });
});
