/**
 * The Redshift load of a reconciliation run (REC-2, REC-RS-1): the load files' columns (the COPY
 * targets' column order, run_id first, no header), their S3 keys, the runs row and the load SQL
 * (delete-then-COPY of the run's rows, one transaction through BatchExecuteStatement).
 *
 * The tables themselves are created by the versioned migrations in redshift/migrations (a test
 * compares LOAD_TABLES with the migrated schema, column by column).
 *
 * runs.summary_uri: the run's summary.json is NOT copied into the row. A summary grows with the
 * statements of the run (one statementFiles/balanceChecks entry per statement), and a VARCHAR cell
 * is at most 65,535 bytes in Redshift: a run of a few hundred statements would fail the COPY (or,
 * with TRUNCATECOLUMNS, lose its tail silently). A SUPER column would move the bound (1 MB per value
 * by default), not remove it, and the PostgreSQL stand-in has no SUPER. So the row holds the
 * summary's S3 URI (the object summarise writes next to matches.csv, whole), plus its SHA-256 so a
 * reader can tell the object is the one the row was loaded with. Nothing is truncated.
 */
import { createHash } from 'node:crypto';
import { csvTable } from '../csv-writer';

/** A Redshift load configuration fault (bad schema name, run id or bucket): names the value. */
export class RedshiftLoadConfigurationError extends Error {
  override name = 'ReconConfigurationError';
}

const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,126}$/;

function checkRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) throw new RedshiftLoadConfigurationError(`runId "${String(runId)}" must be 1-80 characters of [A-Za-z0-9_-]`);
  return runId;
}

function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new RedshiftLoadConfigurationError(`"${name}" is not a plain SQL identifier`);
  return name;
}

function checkBucket(bucket: string): string {
  if (!BUCKET.test(bucket)) throw new RedshiftLoadConfigurationError(`"${bucket}" is not an S3 bucket name`);
  return bucket;
}

/**
 * The Redshift load files (column order = the tables; no header), through the one formula-safe
 * CSV writer (REC-OUT-1) like matches.csv / exceptions.csv, so a cell reads the same in both.
 */
export const LOAD_TABLES = {
  runs: csvTable(['run_id', 'source_uri', 'content_hash', 'as_of', 'statement_lines', 'ledger_entries', 'matched', 'unmatched_statement', 'unmatched_ledger', 'summary_uri', 'summary_sha256'], {
    numeric: ['statement_lines', 'ledger_entries', 'matched', 'unmatched_statement', 'unmatched_ledger'],
  }),
  matches: csvTable(['run_id', 'match_id', 'statement_line_id', 'bank_reference', 'ledger_entry_id', 'rule_id', 'confidence', 'status'], { numeric: ['confidence'] }),
  // case_group (REC-CASE-1): exceptionRows' last cell, the exception's case group; added by migration 0003.
  exceptions: csvTable(['run_id', 'side', 'id', 'reason', 'age_days', 'statement_line_id', 'bank_reference', 'ledger_entry_id', 'account_id', 'currency', 'amount', 'detail', 'case_group'], {
    numeric: ['age_days', 'amount'],
  }),
} as const;

export type LoadTableName = keyof typeof LOAD_TABLES;
export const LOAD_TABLE_NAMES = Object.keys(LOAD_TABLES) as LoadTableName[];

/** Analytics bucket keys of a run's results and load files (summarise writes, the COPY reads). */
export const loadKeys = {
  results: (runId: string) => `matches/runs/${checkRunId(runId)}/`,
  summary: (runId: string) => `matches/runs/${checkRunId(runId)}/summary.json`,
  loadFile: (runId: string, table: LoadTableName) => `matches/runs/${checkRunId(runId)}/load/${table}.csv`,
};

/** The facts of the runs row besides run_id and the summary reference. */
export interface RunRowFacts {
  sourceUri: string;
  contentHash: string;
  asOf: string;
  statementLines: number;
  ledgerEntries: number;
  matched: number;
  unmatchedStatement: number;
  unmatchedLedger: number;
}

/**
 * The runs row (without run_id, which the load file writer puts first): the counts, and the
 * summary by reference: `summaryText` must be exactly the bytes written to loadKeys.summary(runId).
 */
export function runsRow(bucket: string, runId: string, facts: RunRowFacts, summaryText: string): string[] {
  return [
    facts.sourceUri,
    facts.contentHash,
    facts.asOf,
    String(facts.statementLines),
    String(facts.ledgerEntries),
    String(facts.matched),
    String(facts.unmatchedStatement),
    String(facts.unmatchedLedger),
    `s3://${checkBucket(bucket)}/${loadKeys.summary(runId)}`,
    createHash('sha256').update(summaryText, 'utf8').digest('hex'),
  ];
}

/** A load file's content: the rows with run_id put first, no header. */
export function renderLoadFile(table: LoadTableName, runId: string, rows: Iterable<string[]>): string {
  const id = checkRunId(runId);
  const withRunId = function* () {
    for (const row of rows) yield [id, ...row];
  };
  return LOAD_TABLES[table].render(withRunId(), { header: false });
}

/** The Redshift load: delete-then-COPY of the run's rows, one transaction (BatchExecuteStatement). */
export function redshiftLoadSql(schemaName: string, bucket: string, runId: string): string[] {
  const schema = sqlIdentifier(schemaName);
  checkRunId(runId);
  checkBucket(bucket);
  const from = (table: LoadTableName) => `'s3://${bucket}/${loadKeys.loadFile(runId, table)}'`;
  return LOAD_TABLE_NAMES.flatMap((table) => [`DELETE FROM ${schema}.${table} WHERE run_id = '${runId}'`, `COPY ${schema}.${table} FROM ${from(table)} IAM_ROLE DEFAULT FORMAT AS CSV`]);
}
