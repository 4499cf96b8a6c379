/**
 * REC-PERF-1: the matcher's helper thread (src/adapters/embedded/recon-match.ts, recon-match.thread.ts)
 * answers as matchAllInLineOrder on one thread: the same result (JSON, field order included) and the
 * same first fault (class and message), whichever thread meets it. The thread ends once the run's
 * matching is done; a run starts it with LEDGERLINE_MATCH_THREAD=1 only, never with
 * LEDGERLINE_MAIN_THREAD=1 nor for small statement files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRuleSet, generateLabelledSet, MatchInputError } from '../../../src/recon/matching';
import { HELPER_SHARE, matchAllInLineOrder } from '../../../src/recon/matching/partition';
import { MATCH_THREAD_MIN_BYTES, startMatchThread, startRunMatcher } from '../../../src/adapters/embedded/recon-match';
import type { MatchResult } from '../../../src/recon/types';

jest.setTimeout(120_000);

const rules = defaultRuleSet();

async function outcome(run: () => MatchResult | Promise<MatchResult>): Promise<unknown> {
  try {
    return { result: JSON.stringify(await run()) };
  } catch (error) {
    return { error: (error as Error).message, name: (error as Error).name, matchInput: error instanceof MatchInputError };
  }
}

function aRun(seed: number) {
  const set = generateLabelledSet({ seed, statementLines: 3000, accounts: 30 });
  return { lines: set.statementLines.map((l) => ({ ...l })), entries: set.ledgerEntries.map((e) => ({ ...e })), asOf: set.asOf };
}

const keyOf = (row: { accountId: string; currency: string }): string => `${row.accountId}|${row.currency}`;

it('matches on two threads as on one: the result, then faults in the upper range and in both ranges', async () => {
  const run = aRun(11);
  const told: string[] = [];
  const threaded = startMatchThread(rules, { minRows: 0, pieces: 3, progress: (message) => told.push(message) });
  try {
    expect(await outcome(() => threaded.matcher(run.lines, run.entries, rules, run.asOf))).toEqual(await outcome(() => matchAllInLineOrder(run.lines, run.entries, rules, run.asOf)));
  } finally {
    threaded.stop();
  }
  // About HELPER_SHARE of the rows went to the thread.
  expect(told).toEqual([expect.stringMatching(/^matched \d+ partition\(s\), \d+ row\(s\), on a helper thread$/)]);
  const rowsThere = Number(/(\d+) row/.exec(told[0]!)![1]);
  expect(rowsThere).toBeGreaterThan((run.lines.length + run.entries.length) * (HELPER_SHARE - 0.15));
  expect(rowsThere).toBeLessThan((run.lines.length + run.entries.length) * (HELPER_SHARE + 0.15));
  const keys = [...new Set(run.lines.map(keyOf))].sort();
  const upper = run.lines.find((l) => keyOf(l) === keys[keys.length - 1])!;
  upper.amount = '1.2.3';
  const one = await outcome(() => matchAllInLineOrder(run.lines, run.entries, rules, run.asOf));
  expect(one).toMatchObject({ matchInput: true, error: expect.stringContaining(upper.statementLineId) });
  const second = startMatchThread(rules, { minRows: 0 });
  try {
    expect(await outcome(() => second.matcher(run.lines, run.entries, rules, run.asOf))).toEqual(one);
  } finally {
    second.stop();
  }
  const lower = run.entries.find((e) => keyOf(e) === keys[1])!;
  lower.valueDate = '2025-06-31';
  const both = await outcome(() => matchAllInLineOrder(run.lines, run.entries, rules, run.asOf));
  expect(both).toMatchObject({ matchInput: true, error: expect.stringContaining(lower.entryId) });
  const third = startMatchThread(rules, { minRows: 0 });
  try {
    expect(await outcome(() => third.matcher(run.lines, run.entries, rules, run.asOf))).toEqual(both);
  } finally {
    third.stop();
  }
});

it('the thread ends after the run is matched; the matcher then matches here alone, alike', async () => {
  const run = aRun(12);
  const told: string[] = [];
  const threaded = startMatchThread(rules, { minRows: 0, progress: (message) => told.push(message) });
  const expected = await outcome(() => matchAllInLineOrder(run.lines, run.entries, rules, run.asOf));
  expect(await outcome(() => threaded.matcher(run.lines, run.entries, rules, run.asOf))).toEqual(expected);
  expect(await outcome(() => threaded.matcher(run.lines, run.entries, rules, run.asOf))).toEqual(expected);
  expect(told).toHaveLength(1);
  threaded.stop();
});

it('starts with LEDGERLINE_MATCH_THREAD=1 for large statement files only, and never with LEDGERLINE_MAIN_THREAD=1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recon-match-'));
  try {
    const small = join(dir, 'small.sta');
    const large = join(dir, 'large.sta');
    writeFileSync(small, 'x');
    writeFileSync(large, Buffer.alloc(MATCH_THREAD_MIN_BYTES));
    const on = { LEDGERLINE_MATCH_THREAD: '1' };
    expect(startRunMatcher([small, join(dir, 'missing.sta')], rules, on)).toBeUndefined();
    expect(startRunMatcher([large], rules, { ...on, LEDGERLINE_MAIN_THREAD: '1' })).toBeUndefined();
    expect(startRunMatcher([large], rules, {})).toBeUndefined();
    const started = startRunMatcher([large], rules, on);
    expect(started).toBeDefined();
    started!.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
