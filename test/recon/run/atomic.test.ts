/**
 * Atomic results (REC-OUT-3): a failure at any point of writing a run (a results file, the DuckDB
 * load, the swap, the registry) leaves the --out directory as it was: no partial results, no
 * registry entry, no DuckDB rows; the previous run's results stay byte for byte. The same holds
 * for a real kill -9 of a child process stopped at each step of the commit: the analytics store
 * never holds a run the registry does not, and the next run brings runs/, DuckDB and `current`
 * exactly in line with the registry.
 */
import { statementRowsOf } from '../../../src/recon/statement-rows';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { loadRun } from './support/load-run';
import { bundleEntry } from '../../../scripts/bundle-cli';
import { queryStore } from '../../support/analytics-store';
import { runLookups } from '../../../src/recon/run/run-lookups';
import { ledgerRowsOf } from '../../../src/recon/ledger-rows';
import { reconcile, type ReconcileOptions } from '../../../src/recon/run/reconcile';
import { RunRegistry } from '../../../src/recon/run/registry';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, listing, MT940, read, reconciled, registryRuns, writeLedger } from './helpers';

const root = tempDir('recon-atomic-');
const ledger = writeLedger(root);

class InjectedFailure extends Error {
  override name = 'InjectedFailure';
}

function options(out: string, statements: string[], hooks: ReconcileOptions['hooks'] = {}): ReconcileOptions {
  return { statements, ledger: { file: ledger }, out, hooks, now: () => new Date('2026-01-01T00:00:00Z') };
}

const failurePoints: Record<string, ReconcileOptions['hooks']> = {
  'after matches.csv is written': {
    afterWrite: (name) => {
      if (name === 'matches.csv') throw new InjectedFailure('disk full');
    },
  },
  'after exceptions.csv is written': {
    afterWrite: (name) => {
      if (name === 'exceptions.csv') throw new InjectedFailure('disk full');
    },
  },
  'after the DuckDB load (its transaction still open)': {
    afterAnalytics: () => {
      throw new InjectedFailure('crash after load');
    },
  },
  'just before the current link is swapped': {
    beforeSwap: () => {
      throw new InjectedFailure('crash before swap');
    },
  },
  'after the swap, just before the registry commit': {
    beforeRegistryCommit: () => {
      throw new InjectedFailure('crash before the registry commit');
    },
  },
};

/** The run ids in the analytics store (opened read-write, as a writer would: a WAL left by a killed process is replayed). */
async function storeRuns(out: string): Promise<string[]> {
  if (!existsSync(join(out, 'recon.duckdb'))) return [];
  const instance = await DuckDBInstance.create(join(out, 'recon.duckdb'));
  const connection = await instance.connect();
  try {
    const tables = ['runs', 'statement_lines', 'ledger_entries', 'matches', 'exceptions'];
    const reader = await connection.runAndReadAll(tables.map((table) => `SELECT DISTINCT run_id FROM ${table}`).join(' UNION '));
    return (reader.getRowObjectsJson() as { run_id: string }[]).map((row) => row.run_id).sort();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function runDirs(out: string): string[] {
  return existsSync(join(out, 'runs')) ? readdirSync(join(out, 'runs')).sort() : [];
}

/** The invariant: runs/, the analytics store and the registry hold the same runs, and `current` is the latest. */
async function expectInLine(out: string): Promise<void> {
  const registered = registryRuns(out);
  expect(await storeRuns(out)).toEqual([...registered].sort());
  expect(runDirs(out)).toEqual([...registered].sort());
  expect(readlinkSync(join(out, 'current'))).toBe(join('runs', registered[registered.length - 1]!));
}

async function snapshot(out: string) {
  const registry = RunRegistry.at(out);
  const runs = registry.runCount();
  registry.close();
  const store = existsSync(join(out, 'recon.duckdb'))
    ? await queryStore<{ n: number }>(
        out,
        'SELECT ((SELECT count(*) FROM runs) + (SELECT count(*) FROM matches) + (SELECT count(*) FROM statement_lines) + (SELECT count(*) FROM exceptions) + (SELECT count(*) FROM ledger_entries))::INT AS n',
      )
    : [];
  return { listing: listing(out), runs, rows: store[0]?.n ?? 0 };
}

describe.each([
  ['the cases raised after the commit', undefined],
  ['the cases on their own thread (REC-PERF-1)', 0],
])('atomic results, %s', (_cases, caseThreadFrom) => {
  it.each(Object.keys(failurePoints))('a failure %s into a fresh --out leaves no results, no registry, no rows', async (point) => {
    const out = join(root, `fresh-${caseThreadFrom ?? 'after'}-${point.replace(/\W+/g, '-')}`);
    await expect(reconcile({ ...options(out, [CAMT053, MT940], failurePoints[point]), caseThreadFrom })).rejects.toThrow(InjectedFailure);
    const after = await snapshot(out);
    expect(after.runs).toBe(0);
    expect(after.rows).toBe(0);
    expect(after.listing).toEqual([]);
    for (const name of ['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson', 'current', 'runs/', 'registry.db', 'workbench.db']) expect(after.listing).not.toContain(name);
  });

  it.each(Object.keys(failurePoints))('a failure %s over an earlier run leaves that run exactly as it was', async (point) => {
    const out = join(root, `existing-${caseThreadFrom ?? 'after'}-${point.replace(/\W+/g, '-')}`);
    const first = await reconciled(options(out, [MT940]));
    const before = await snapshot(out);
    const cases = workbenchState(out);
    const files = Object.fromEntries(['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson'].map((name) => [name, read(join(out, name))]));

    await expect(reconcile({ ...options(out, [CAMT053, BAI2], failurePoints[point]), caseThreadFrom })).rejects.toThrow(InjectedFailure);

    expect(await snapshot(out)).toEqual(before);
    expect(workbenchState(out)).toEqual(cases);
    expect(readlinkSync(join(out, 'current'))).toBe(join('runs', first.summary.runId));
    for (const [name, content] of Object.entries(files)) expect(read(join(out, name))).toBe(content);

    // And the same inputs go through afterwards: nothing of the failed run was registered.
    const retry = await reconciled({ ...options(out, [CAMT053, BAI2]), caseThreadFrom });
    expect(retry.summary.reuploaded).toEqual([]);
    expect(retry.summary.statementLines).toBe(19);
  });
});

describe('the analytics store moves with the commit (REC-OUT-3)', () => {
  it('a failure between the registry commit and the DuckDB commit leaves a committed run DuckDB lacks; the next run reloads it', async () => {
    const out = join(root, 'between-commits');
    await reconciled(options(out, [MT940]));
    await expect(
      reconcile(
        options(out, [CAMT053], {
          afterRegistryCommit: () => {
            throw new InjectedFailure('crash between the commits');
          },
        }),
      ),
    ).rejects.toThrow(InjectedFailure);
    const registered = registryRuns(out);
    expect(registered).toHaveLength(2);
    expect(await storeRuns(out)).toEqual([registered[0]]); // never more than the registry
    await reconciled(options(out, [BAI2]));
    await expectInLine(out);
    const [lines] = await queryStore<{ n: number }>(out, `SELECT count(*)::INT n FROM statement_lines WHERE run_id = '${registered[1]}'`);
    expect(lines!.n).toBe(2); // the camt run's two lines, listed again from its Parquet files
  });

  it('rows of a run the registry does not hold (left by an interrupted older version) are removed by the next run, even one with nothing new', async () => {
    const out = join(root, 'orphan-rows');
    const first = await reconciled(options(out, [MT940]));
    // A run listed by the views that never reached the registry.
    const orphan = await loadRun(
      out,
      {
        runId: 'run-orphan',
        recordedAt: new Date(),
        summary: first.summary,
        statementLines: statementRowsOf([]),
        fileOf: () => '',
        ledgerEntries: ledgerRowsOf([]),
        result: { matches: [], unmatched: [] },
        lookups: runLookups(statementRowsOf([]), ledgerRowsOf([]), []),
        parquetDir: join(root, 'orphan-run', 'parquet'),
      },
      { runIds: new Set([first.summary.runId]), runDir: (runId) => (runId === 'run-orphan' ? join(root, 'orphan-run') : join(out, 'runs', runId)) },
    );
    await orphan.commit();
    expect(await storeRuns(out)).toEqual(['run-orphan', first.summary.runId].sort());
    const again = await reconcile(options(out, [MT940]));
    expect(again.committed).toBe(false);
    await expectInLine(out);
  });
});

const KILL_POINTS = ['afterWrite:matches.csv', 'afterWrite:audit.ndjson', 'afterAnalytics', 'beforeSwap', 'beforeRegistryCommit', 'afterRegistryCommit'] as const;

/** The stop-at child, bundled once for this file as the command is (bundleEntry, scripts/bundle-cli.ts): it starts in plain node, not through tsx; its packages from the repository's node_modules. */
let stopAt: Promise<string> | undefined;
const NODE_MODULES = join(__dirname, '..', '..', '..', 'node_modules');

/** Starts the stop-at child and SIGKILLs it once it reports the point; resolves with what it printed and how it ended. */
async function killAt(point: string, out: string, statements: string[], caseThreadFrom?: number): Promise<{ reached: boolean; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [await (stopAt ??= bundleEntry(join(__dirname, 'support', 'stop-at.ts'), join(root, 'stop-at.js'))), JSON.stringify({ point, out, statements, ledger, caseThreadFrom })],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_PATH: NODE_MODULES },
    },
  );
  let stdout = '';
  let stderr = '';
  let reached = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!reached && stdout.includes(`REACHED ${point}\n`)) {
      reached = true;
      child.kill('SIGKILL');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (_code, signal) => resolve({ reached, signal, stderr })));
}

describe('kill -9 at each step of the commit (REC-OUT-3)', () => {
  it.each(KILL_POINTS)('killed %s: the store never holds a run the registry does not; the next run brings everything in line', async (point) => {
    const out = join(root, `kill-${point.replace(/\W+/g, '-')}`);
    const first = await reconciled(options(out, [MT940]));
    const killed = await killAt(point, out, [CAMT053, BAI2]);
    expect(killed).toMatchObject({ reached: true, signal: 'SIGKILL' });

    const registered = registryRuns(out);
    const stored = await storeRuns(out);
    const registryCommitted = point === 'afterRegistryCommit';
    expect(registered).toHaveLength(registryCommitted ? 2 : 1);
    expect(registered[0]).toBe(first.summary.runId);
    // The store holds the first run and nothing the registry lacks: the killed run's rows were never committed.
    expect(stored).toEqual([first.summary.runId]);
    const swapped = point === 'beforeRegistryCommit' || point === 'afterRegistryCommit';
    expect(readlinkSync(join(out, 'current')) === join('runs', first.summary.runId)).toBe(!swapped);

    // The next writer: the killed run's inputs again (a re-upload when the registry committed them).
    const next = await reconcile(options(out, [CAMT053, BAI2]));
    expect(next.committed).toBe(!registryCommitted);
    await expectInLine(out);
    expect(registryRuns(out)).toHaveLength(2);
  });
});

/** The runs the workbench imported, and its cases (what finance sees). */
function workbenchState(out: string): { runs: string[]; cases: string } {
  const db = new Database(join(out, 'workbench.db'), { readonly: true });
  try {
    return {
      runs: db.prepare('SELECT run_id FROM imported_runs ORDER BY run_id').pluck().all() as string[],
      cases: JSON.stringify(db.prepare('SELECT case_id, version, status FROM cases ORDER BY case_id').all()),
    };
  } finally {
    db.close();
  }
}

describe('kill -9 with the cases on their own thread (REC-PERF-1, REC-OUT-3)', () => {
  it.each(['beforeRegistryCommit', 'afterRegistryCommit'] as const)('killed %s: the workbench holds no case of the killed run, and the earlier cases as they were', async (point) => {
    const out = join(root, `kill-cases-${point}`);
    const first = await reconciled({ ...options(out, [MT940]), caseThreadFrom: 0 });
    const before = workbenchState(out);
    expect(before.runs).toEqual([first.summary.runId]);
    const killed = await killAt(point, out, [CAMT053, BAI2], 0);
    expect(killed).toMatchObject({ reached: true, signal: 'SIGKILL' });
    // The thread's transaction was never committed: at either point the cases commit only after the registry, once the run goes on.
    expect(workbenchState(out)).toEqual(before);
    expect(registryRuns(out)).toHaveLength(point === 'afterRegistryCommit' ? 2 : 1);
  });

  it("a run not killed raises its cases on the thread: the same workbench as on the run's thread", async () => {
    const threaded = join(root, 'cases-threaded');
    const inline = join(root, 'cases-inline');
    for (const statements of [[MT940], [CAMT053, BAI2]]) {
      await reconciled({ ...options(threaded, statements), caseThreadFrom: 0 });
      await reconciled({ ...options(inline, statements), caseThreadFrom: Number.POSITIVE_INFINITY });
    }
    expect(workbenchState(threaded)).toEqual(workbenchState(inline));
    expect(workbenchState(threaded).runs).toHaveLength(2);
  });
});
