/**
 * The AWS ResultSink of a reconciliation run (ports/reconciliation.ts): the results of a run
 * under matches/runs/<runId>/ in the analytics bucket, as summarise writes them (REC-OUT-1,
 * REC-2): matches.csv, exceptions.csv, summary.json, cases.json (the workbench cases, REC-CASE-1)
 * and the Redshift load files (REC-RS-1). The keys of a run are its own, so staging writes them
 * in place; nothing there is current until the workflow loads the run (LoadResults, one
 * transaction per run) after the registry committed; a retried step rewrites the same objects.
 */
import { s3Uri, writeObject, type S3Client } from '../../../adapters/aws/recon-s3';
import type { RecordedRun, ResultSink, StagedResults } from '../../../ports/reconciliation';
import { exceptionRows, matchRows, renderExceptionsCsv, renderMatchesCsv, renderSummary, type Lookups } from '../results';
import { loadKeys, renderLoadFile, runsRow } from './redshift-load';
import { RUN_CASES_FILE, runCasesFileOfResult } from './run-cases';
import type { ObjectRef } from './objects';

/** The S3 keys of a run's step objects (analytics bucket). */
export const keys = {
  runManifest: (runId: string) => `normalised/${runId}/run.json`,
  statementLinesPrefix: (runId: string) => `normalised/${runId}/statement-lines/`,
  ledgerEntriesPrefix: (runId: string) => `normalised/${runId}/ledger-entries/`,
  chunk: (runId: string, id: string) => `normalised/${runId}/partitions/${id}.json`,
  chunkResult: (runId: string, id: string) => `matches/runs/${runId}/partitions/${id}.json`,
  results: (runId: string) => `matches/runs/${runId}/`,
  /** The run's workbench cases (summarise writes, RaiseCases reads). */
  runCases: (runId: string) => `matches/runs/${runId}/${RUN_CASES_FILE}`,
};

export interface S3ResultSinkOptions {
  /** The analytics bucket. */
  bucket: string;
  /** The statement object the run reconciled (the `runs` row's source_uri). */
  source: Pick<ObjectRef, 'bucket' | 'key'>;
  contentHash: string;
  /** The statements' accounts (the accounts the run's cases cover). */
  statementAccounts: readonly string[];
}

export function s3ResultSink(s3: S3Client, options: S3ResultSinkOptions): ResultSink {
  const bucket = options.bucket;
  return {
    location: s3Uri(bucket, 'matches/runs/'),
    // Each run writes only under its own prefix; the workflow's registry has no run list to align against.
    align: async () => undefined,
    keepCurrent: async () => null,
    async stage(run: RecordedRun): Promise<StagedResults> {
      const { runId, result, summary } = run;
      const lookups: Lookups = { statementLine: run.statementLine, ledgerEntry: run.ledgerEntry };
      const prefix = keys.results(runId);
      await writeObject(s3, bucket, `${prefix}matches.csv`, renderMatchesCsv(result, lookups), 'text/csv');
      await writeObject(s3, bucket, `${prefix}exceptions.csv`, renderExceptionsCsv(result, lookups), 'text/csv');
      const summaryText = renderSummary(summary);
      await writeObject(s3, bucket, loadKeys.summary(runId), summaryText, 'application/json');
      // REC-CASE-1: the cases come from the result itself (case groups included), by the one case builder.
      const cases = runCasesFileOfResult(
        { runId, asOf: run.asOf, at: run.recordedAt.toISOString(), statementAccounts: [...options.statementAccounts], lines: run.statementLines.toArray() },
        result,
        run.ledgerEntry,
      );
      await writeObject(s3, bucket, keys.runCases(runId), `${JSON.stringify(cases)}\n`, 'application/json');
      const facts = {
        sourceUri: s3Uri(options.source.bucket, options.source.key),
        contentHash: options.contentHash,
        asOf: run.asOf,
        statementLines: summary.statementLines,
        ledgerEntries: summary.ledgerEntries,
        matched: summary.matched.total,
        unmatchedStatement: summary.unmatchedStatement,
        unmatchedLedger: summary.unmatchedLedger,
      };
      await writeObject(s3, bucket, loadKeys.loadFile(runId, 'runs'), renderLoadFile('runs', runId, [runsRow(bucket, runId, facts, summaryText)]), 'text/csv');
      await writeObject(s3, bucket, loadKeys.loadFile(runId, 'matches'), renderLoadFile('matches', runId, matchRows(result, lookups)), 'text/csv');
      await writeObject(s3, bucket, loadKeys.loadFile(runId, 'exceptions'), renderLoadFile('exceptions', runId, exceptionRows(result, lookups)), 'text/csv');
      return {
        publish: async () => s3Uri(bucket, prefix),
        // The Redshift load is the workflow's next step (LoadResults), not this one's.
        settle: async () => undefined,
        // A failed run's objects stay under its own prefix: nothing loads them, and a retry rewrites them.
        abort: async () => undefined,
        close: async () => undefined,
      };
    },
  };
}
