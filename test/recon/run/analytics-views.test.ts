/**
 * The analytics store's views (REC-OUT-3): they list exactly the committed runs' Parquet files.
 * A store an older version wrote (tables holding each run's rows) becomes views over the same
 * committed runs: the rows of a run the registry does not hold are gone, a committed run's rows
 * read the same as before, and exceptions written before the case group read NULL there.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { DUCKDB_FILE, syncAnalyticsStore } from '../../../src/recon/run/analytics-store';
import { queryStore } from '../../support/analytics-store';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, reconciled, writeLedger } from './helpers';

const root = tempDir('recon-views-');

async function run(out: string, sql: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(join(out, DUCKDB_FILE));
  const connection = await instance.connect();
  try {
    for (const statement of sql) await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('the analytics views', () => {
  it('an older version’s store (tables) becomes views over the committed runs; rows of a run the registry lacks are gone', async () => {
    const out = join(root, 'legacy');
    const ledger = writeLedger(root);
    const first = await reconciled({ statements: [CAMT053, BAI2], ledger: { file: ledger }, out, progress: () => undefined });
    const runId = first.summary.runId;
    const tables = ['runs', 'statement_lines', 'ledger_entries', 'matches', 'exceptions'];
    const before = Object.fromEntries(await Promise.all(tables.map(async (table) => [table, await queryStore(out, `SELECT * EXCLUDE (run_id) FROM ${table} ORDER BY ALL`)] as const)));
    const parquet = join(out, 'runs', runId, 'parquet');
    // The older layout: one table per name holding the run's rows (exceptions without the case group), plus an orphan run's rows.
    await run(out, [
      ...tables.map((table) => `DROP VIEW ${table}`),
      'DROP TABLE listed_runs',
      ...tables.map((table) => `CREATE TABLE ${table} AS SELECT * ${table === 'exceptions' ? 'EXCLUDE (case_group) ' : ''}FROM read_parquet('${join(parquet, `${table}.parquet`)}')`),
      `INSERT INTO matches SELECT 'run-orphan', match_id, statement_line_id, bank_reference, ledger_entry_id, rule_id, confidence, status FROM matches`,
      `INSERT INTO runs SELECT 'run-orphan', as_of, recorded_at, rule_set, statement_lines, ledger_entries, matched, unmatched_statement, unmatched_ledger, summary FROM runs`,
    ]);

    const sync = await syncAnalyticsStore(out, { runIds: new Set([runId]), runDir: (id) => join(out, 'runs', id) });
    expect(sync).toEqual({ removed: ['run-orphan'], restored: [] });
    const kinds = await queryStore<{ table_name: string; table_type: string }>(out, "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name");
    expect(kinds.filter((row) => tables.includes(row.table_name)).map((row) => row.table_type)).toEqual(tables.map(() => 'VIEW'));
    for (const table of tables) {
      expect(await queryStore(out, `SELECT DISTINCT run_id FROM ${table}`)).toEqual([{ run_id: runId }]);
      expect(await queryStore(out, `SELECT * EXCLUDE (run_id) FROM ${table} ORDER BY ALL`)).toEqual(before[table]);
    }
    // Nothing more to do the second time.
    expect(await syncAnalyticsStore(out, { runIds: new Set([runId]), runDir: (id) => join(out, 'runs', id) })).toEqual({ removed: [], restored: [] });
  });

  it('a run whose exceptions Parquet predates the case group reads NULL there, next to a run that has it', async () => {
    const out = join(root, 'mixed');
    const ledger = writeLedger(root, undefined, 'mixed-ledger.csv');
    const first = await reconciled({ statements: [BAI2], ledger: { file: ledger }, out, progress: () => undefined });
    const exceptions = join(out, 'runs', first.summary.runId, 'parquet', 'exceptions.parquet');
    // Rewrite the first run's exceptions Parquet as an older version wrote it (no case_group column).
    await run(out, [`COPY (SELECT * EXCLUDE (case_group) FROM read_parquet('${exceptions}')) TO '${exceptions}.old' (FORMAT PARQUET)`]);
    renameSync(`${exceptions}.old`, exceptions);
    const second = await reconciled({ statements: [CAMT053], ledger: { file: ledger }, out, progress: () => undefined });
    const rows = await queryStore<{ run_id: string; n: number; grouped: number }>(
      out,
      'SELECT run_id, count(*)::INT n, count(case_group)::INT grouped FROM exceptions GROUP BY run_id ORDER BY run_id',
    );
    expect(rows.find((row) => row.run_id === first.summary.runId)).toMatchObject({ n: first.summary.unmatchedStatement + first.summary.unmatchedLedger, grouped: 0 });
    const listed = await queryStore<{ run_id: string }>(out, 'SELECT run_id FROM runs ORDER BY run_id');
    expect(listed.map((row) => row.run_id)).toEqual([first.summary.runId, second.summary.runId].sort());
    const columns = await queryStore<{ column_name: string }>(out, 'DESCRIBE exceptions');
    expect(columns.at(-1)!.column_name).toBe('case_group');
  });
});
