/**
 * Atomic results: a failure at any point of writing a run (a results file, the DuckDB load, the
 * swap, the registry) leaves the --out directory as it was: no partial results, no registry
 * entry, no DuckDB rows; the previous run's results stay byte for byte.
 */
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { queryStore } from '../../../src/recon/run/analytics-store';
import { reconcile, type ReconcileOptions } from '../../../src/recon/run/reconcile';
import { RunRegistry } from '../../../src/recon/run/registry';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, listing, MT940, read, writeLedger } from './helpers';

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
  'after the DuckDB load committed': {
    afterAnalytics: () => {
      throw new InjectedFailure('crash after load');
    },
  },
  'just before the current link is swapped': {
    beforeSwap: () => {
      throw new InjectedFailure('crash before swap');
    },
  },
};

async function snapshot(out: string) {
  const registry = RunRegistry.at(out);
  const runs = registry.runCount();
  registry.close();
  const store = existsSync(join(out, 'recon.duckdb')) ? await queryStore<{ n: number }>(out, 'SELECT ((SELECT count(*) FROM runs) + (SELECT count(*) FROM matches) + (SELECT count(*) FROM statement_lines) + (SELECT count(*) FROM exceptions) + (SELECT count(*) FROM ledger_entries))::INT AS n') : [];
  return { listing: listing(out), runs, rows: store[0]?.n ?? 0 };
}

describe('atomic results', () => {
  it.each(Object.keys(failurePoints))('a failure %s into a fresh --out leaves no results, no registry, no rows', async (point) => {
    const out = join(root, `fresh-${point.replace(/\W+/g, '-')}`);
    await expect(reconcile(options(out, [CAMT053, MT940], failurePoints[point]))).rejects.toThrow(InjectedFailure);
    const after = await snapshot(out);
    expect(after.runs).toBe(0);
    expect(after.rows).toBe(0);
    expect(after.listing).toEqual([]);
    for (const name of ['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson', 'current', 'runs/', 'registry.db']) expect(after.listing).not.toContain(name);
  });

  it.each(Object.keys(failurePoints))('a failure %s over an earlier run leaves that run exactly as it was', async (point) => {
    const out = join(root, `existing-${point.replace(/\W+/g, '-')}`);
    const first = await reconcile(options(out, [MT940]));
    const before = await snapshot(out);
    const files = Object.fromEntries(['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson'].map((name) => [name, read(join(out, name))]));

    await expect(reconcile(options(out, [CAMT053, BAI2], failurePoints[point]))).rejects.toThrow(InjectedFailure);

    expect(await snapshot(out)).toEqual(before);
    expect(readlinkSync(join(out, 'current'))).toBe(join('runs', first.summary.runId));
    for (const [name, content] of Object.entries(files)) expect(read(join(out, name))).toBe(content);

    // And the same inputs go through afterwards: nothing of the failed run was registered.
    const retry = await reconcile(options(out, [CAMT053, BAI2]));
    expect(retry.summary.reuploaded).toEqual([]);
    expect(retry.summary.statementLines).toBe(19);
  });
});
