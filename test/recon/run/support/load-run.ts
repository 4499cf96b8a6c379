/**
 * A run's analytics load start to finish, as the tests drive it: runParquetWriter renders every
 * table's load file (in WRITE_ORDER) and DuckDB copies them, then analyticsLoad lists the run
 * (src/recon/run/analytics-store.ts; the embedded ResultSink interleaves the same steps with its
 * results files).
 */
import { analyticsLoad, runParquetWriter, type AnalyticsLoad, type CommittedRuns, type RunForAnalytics, type StoreSync } from '../../../../src/recon/run/analytics-store';

/** Writes the run's Parquet files into run.parquetDir; a failure is thrown once the copies under way have stopped. */
export async function writeRunParquet(run: RunForAnalytics): Promise<void> {
  const writer = runParquetWriter(run.runId, run.parquetDir);
  try {
    await writer.write(run);
  } catch (error) {
    await writer.finish().catch(() => undefined);
    throw error;
  }
  await writer.finish();
}

/** Writes the run's Parquet files, then returns its listing (commit / rollback). */
export async function loadRun(out: string, run: RunForAnalytics, committed: CommittedRuns, onSync?: (sync: StoreSync) => void): Promise<AnalyticsLoad> {
  await writeRunParquet(run);
  return analyticsLoad(out, run.runId, committed, onSync);
}
