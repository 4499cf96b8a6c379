/**
 * Run directories through the one case builder: a run whose exceptions.csv carries a `group`
 * column (REC-CASE-1, after the other columns) imports its grouped exceptions as one case each
 * group; one without the column (written before it) imports every exception as its own case; a
 * header with the column anywhere else is refused naming the file. The run's statistics come
 * with the import (REC-DASH-1).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMemoryDatabase } from '../../support/memory-database';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { RunImportError } from '../../../src/recon/workbench/import-run';
import { importLatestRun } from '../../support/workbench-import';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, csvRows, LEDGER_ROWS, reconciled, writeLedger } from '../run/helpers';
import { steppingClock } from './helpers';

const root = tempDir('workbench-import-groups-');
const out = join(root, 'out');

/** A line of exceptions.csv without its last cell, the case group (a key or '': never quoted). */
const withoutGroup = (line: string): string => line.replace(/,[^,"]*$/, '');

/** A copy of the committed run's out directory whose exceptions.csv is rewritten by `edit`. */
function variant(name: string, edit: (lines: string[]) => string[]): string {
  const dir = join(root, name);
  // Links resolved: the copy never writes through to the original run.
  cpSync(out, dir, { recursive: true, dereference: true });
  const file = join(dir, 'current', 'exceptions.csv');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  writeFileSync(file, `${edit(lines).join('\n')}\n`);
  return dir;
}

describe('importing run directories with and without case groups', () => {
  beforeAll(async () => {
    const ledger = writeLedger(
      root,
      LEDGER_ROWS.filter((row) => ['L-CAMT-1', 'L-BAI-B1', 'L-BAI-B2', 'L-BAI-X'].includes(row.split(',')[0]!)),
    );
    await reconciled({ statements: [CAMT053, BAI2], ledger: { file: ledger }, out, progress: () => undefined });
  });

  it('a group column makes the grouped rows one case; the other rows stay one case each', async () => {
    const rows = csvRows(join(out, 'exceptions.csv'));
    expect(rows.length).toBeGreaterThan(3);
    expect(readFileSync(join(out, 'exceptions.csv'), 'utf8').split('\n', 1)[0]!.endsWith(',detail,group')).toBe(true);
    const dir = variant('grouped', ([header, ...lines]) => [header!, ...lines.map((line, i) => `${withoutGroup(line)},${i < 3 ? 'batch:B-1' : ''}`)]);
    const store = new SqliteWorkbenchStore(openMemoryDatabase(), steppingClock());
    const outcome = await importLatestRun(dir, store, steppingClock());
    expect(outcome.raised).toBe(rows.length - 3 + 1 + 1); // lone rows + the group + the proposed match
    const group = (await store.get('group:batch:B-1'))!;
    expect(group.members!.map((member) => `${member.side}:${member.id}`).sort()).toEqual(
      rows
        .slice(0, 3)
        .map((row) => `${row.side}:${row.id}`)
        .sort(),
    );
    for (const row of rows.slice(0, 3)) await expect(store.get(`exception:${row.side}:${row.id}`)).resolves.toBeUndefined();
    for (const row of rows.slice(3)) await expect(store.get(`exception:${row.side}:${row.id}`)).resolves.toMatchObject({ amount: row.amount });
    const [stats] = await store.runStats();
    expect(stats).toMatchObject({ runId: outcome.runId, unmatchedLines: rows.filter((row) => row.side === 'statement').length });
  });

  it('without the column (a run written before it) every exception is its own case', async () => {
    const rows = csvRows(join(out, 'exceptions.csv'));
    const dir = variant('ungrouped', (lines) => lines.map(withoutGroup));
    const store = new SqliteWorkbenchStore(openMemoryDatabase(), steppingClock());
    const outcome = await importLatestRun(dir, store, steppingClock());
    expect(outcome.raised).toBe(rows.length + 1);
    expect((await store.list({ limit: 1000 })).filter((c) => c.members)).toEqual([]);
  });

  it('refuses a header with the group column anywhere but last, naming the file', async () => {
    const dir = variant('misplaced', ([header, ...lines]) => [`group,${withoutGroup(header!)}`, ...lines.map((line) => `,${withoutGroup(line)}`)]);
    const store = new SqliteWorkbenchStore(openMemoryDatabase(), steppingClock());
    await expect(importLatestRun(dir, store, steppingClock())).rejects.toThrow(RunImportError);
    await expect(importLatestRun(dir, store, steppingClock())).rejects.toThrow(/exceptions\.csv line 1: expected the header/);
  });
});
