/**
 * The embedded adapters of a reconciliation run's record (ports/reconciliation.ts): the --out
 * directory + DuckDB as the ResultSink (atomic run directories, `current` swapped in one rename,
 * the run's Parquet files written while staged — those of its statement lines and ledger entries
 * begun before it matches (`begin`, REC-PERF-1) — and listed by the DuckDB views once the registry
 * committed: src/recon/run/output-dir.ts and analytics-store.ts), and registry.db as the
 * RunRegistry (src/recon/run/registry.ts).
 */
import { basename, join } from 'node:path';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import type { BegunResults, ResultSink, RunRegistry as RunRegistryPort, StagedResults } from '../../ports/reconciliation';
import {
  analyticsLoad,
  DUCKDB_FILE,
  runParquetWriter,
  syncAnalyticsStore,
  WRITE_ORDER,
  type AnalyticsLoad,
  type CommittedRuns,
  type RunParquetWriter,
  type StoreSync,
} from '../../recon/run/analytics-store';
import { pruneUncommittedRuns, stageRun, type Staging, type StagingHooks } from '../../recon/run/output-dir';
import { RunRegistry } from '../../recon/run/registry';
export { acquireDirLock, DirLockedError } from './dir-lock';
import { exceptionsCsvBytes, matchesCsvBytes, renderSummary } from '../../recon/run/results';

/** The run `<out>/current` points at, if any. */
export function currentRunId(out: string): string | null {
  const current = join(out, 'current');
  try {
    if (!lstatSync(current).isSymbolicLink()) return null;
    return basename(readlinkSync(current));
  } catch {
    return null;
  }
}

/** registry.db in `dir` as the run's registry. `close()` ends it (rolls back anything staged). */
export function sqliteRunRegistry(dir: string): RunRegistryPort & { close(): void } {
  const registry = RunRegistry.at(dir);
  return {
    location: registry.path,
    lookupContent: async (contentHash) => registry.lookup(contentHash),
    lookupStatement: async (key) => registry.lookupStatement(key),
    reconciledLedgerKeys: async (accountIds) => registry.reconciledLedgerKeys(accountIds),
    runIds: async () => (registry.exists ? registry.runIds() : null),
    runCount: async () => registry.runCount(),
    stage: async (run) => registry.stage(run),
    commit: async () => registry.commit(),
    rollback: async () => registry.rollback(),
    close: () => registry.close(),
  };
}

/** A run's results begun before it matched (ResultSink.begin): its staging directory and Parquet writer. */
interface Begun {
  runId: string;
  staging: Staging;
  parquet: RunParquetWriter;
  /** Stops the copies and removes the staging directory. */
  drop(): Promise<void>;
}

/** Undoes a staging whose results were not published: the copies under way read its directory, so they are stopped first. */
async function discard(staging: Staging, parquet: RunParquetWriter): Promise<void> {
  await parquet.finish().catch(() => undefined);
  staging.revert();
  staging.abort();
}

export interface OutDirHooks extends StagingHooks {
  afterAnalytics?(): void;
}

/**
 * <out> as the ResultSink: matches.csv, exceptions.csv, summary.json, audit.ndjson and Parquet in
 * runs/<runId>, published by swapping `current`; the DuckDB views list the run after the registry
 * committed it. The run's own index (RecordedRun.statementLine/ledgerEntry) is the files' lookups.
 */
export function outDirResultSink(out: string, options: { hooks?: OutDirHooks; progress?: (message: string) => void } = {}): ResultSink {
  const progress = options.progress ?? (() => undefined);
  // What begin() started and stage() has not taken yet.
  let begun: Begun | undefined;
  let committedRuns: CommittedRuns = { runIds: new Set(), runDir: (id) => (existsSync(join(out, 'runs', id)) ? join(out, 'runs', id) : undefined) };
  const reportSync = (sync: StoreSync): void => {
    if (sync.removed.length + sync.restored.length === 0) return;
    progress(`analytics store brought in line with the registry: ${sync.removed.length} uncommitted run(s) removed, ${sync.restored.length} committed run(s) reloaded`);
  };
  return {
    location: join(out, DUCKDB_FILE),
    async align(runIds) {
      const pruned = runIds === null ? [] : pruneUncommittedRuns(out, runIds);
      if (pruned.length > 0) progress(`removed ${pruned.length} run director${pruned.length === 1 ? 'y' : 'ies'} the registry does not hold (an interrupted run): ${pruned.join(', ')}`);
      committedRuns = { ...committedRuns, runIds: new Set(runIds ?? []) };
    },
    async keepCurrent() {
      reportSync(await syncAnalyticsStore(out, committedRuns));
      return currentRunId(out);
    },
    async begin(inputs): Promise<BegunResults> {
      // One run at a time: what an earlier begin() left untaken goes first.
      await begun?.drop();
      const staging = stageRun(out, inputs.runId, options.hooks);
      const parquet = runParquetWriter(inputs.runId, join(staging.dir, 'parquet'));
      const drop = async (): Promise<void> => {
        if (begun === mine) begun = undefined;
        await discard(staging, parquet);
      };
      const mine: Begun = { runId: inputs.runId, staging, parquet, drop };
      try {
        await parquet.writeInputs({ statementLines: inputs.statementLines, fileOf: inputs.fileOf, ledgerEntries: inputs.ledgerEntries });
      } catch (error) {
        await drop();
        throw error;
      }
      begun = mine;
      return { abort: async () => (begun === mine ? drop() : undefined) };
    },
    async stage(run): Promise<StagedResults> {
      // What begin() started for this run is taken (another run's is dropped).
      const taken = begun?.runId === run.runId ? begun : undefined;
      if (!taken) await begun?.drop();
      begun = undefined;
      const staging = taken?.staging ?? stageRun(out, run.runId, options.hooks);
      const removeStaging = (): void => {
        staging.revert();
        staging.abort();
      };
      // REC-PERF-1: DuckDB starts now (or started at begin(), its input tables' copies under way
      // while the run matched) and writes each table's Parquet file (on its own thread; the
      // files' writes on libuv's pool) as soon as its CSV is written here — the results files are
      // the matches and exceptions load files (decoded back exactly) — so by the time this returns
      // every copy is under way or queued, and the run stages its registry record meanwhile.
      // publish waits for them, so a failure still stops the run before the registry commits.
      const parquet = taken?.parquet ?? runParquetWriter(run.runId, join(staging.dir, 'parquet'));
      let analytics: Promise<AnalyticsLoad>;
      try {
        const forAnalytics = {
          runId: run.runId,
          recordedAt: run.recordedAt,
          summary: run.summary,
          statementLines: run.statementLines,
          fileOf: run.fileOf,
          ledgerEntries: run.ledgerEntries,
          result: run.result,
          lookups: run,
          parquetDir: join(staging.dir, 'parquet'),
        };
        // In WRITE_ORDER (the files quick to render and long to copy first), which ends with the
        // results files, matches then exceptions. The columns of each results file a cell of which
        // needs decoding back (a leading apostrophe) are noted: the others are read as they are.
        await parquet.write(
          forAnalytics,
          WRITE_ORDER.filter((table) => table !== 'matches' && table !== 'exceptions'),
        );
        const matchesDecoded: boolean[] = [];
        await staging.writeAsync('matches.csv', matchesCsvBytes(run.result, run, matchesDecoded));
        parquet.resultFile('matches', join(staging.dir, 'matches.csv'), matchesDecoded);
        const exceptionsDecoded: boolean[] = [];
        await staging.writeAsync('exceptions.csv', exceptionsCsvBytes(run.result, run, exceptionsDecoded));
        parquet.resultFile('exceptions', join(staging.dir, 'exceptions.csv'), exceptionsDecoded);
        staging.write('summary.json', renderSummary(run.summary));
        staging.write(
          'audit.ndjson',
          run.audit.map((record) => `${JSON.stringify(record)}\n`),
        );
        analytics = parquet.finish().then(() => analyticsLoad(out, run.runId, committedRuns, reportSync));
        // Awaited by publish (or abort); meanwhile a failure is never unhandled.
        analytics.catch(() => undefined);
      } catch (error) {
        await discard(staging, parquet);
        throw error;
      }
      // Waits for the analytics load, whatever became of it (the staging directory is its output).
      const loaded = (): Promise<AnalyticsLoad | undefined> => analytics.catch(() => undefined);
      const abort = async (): Promise<void> => {
        await loaded();
        removeStaging();
      };
      const close = async (): Promise<void> => {
        // Not committed (or interrupted between the two commits): no DuckDB view lists the run.
        await (await loaded())?.rollback().catch(() => undefined);
      };
      return {
        publish: async () => {
          await analytics;
          options.hooks?.afterAnalytics?.();
          return staging.commit();
        },
        async settle(report) {
          try {
            await (await analytics).commit();
          } catch (error) {
            // The run is committed (registry, files): the next look at the store lists its Parquet files.
            report(`warning: run ${run.runId} is committed but the analytics store could not list it (${(error as Error).message}); the next run lists it`);
          }
        },
        abort,
        close,
      };
    },
  };
}
