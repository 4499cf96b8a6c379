/**
 * The reconcile-run use case and ResultSink.begin (REC-PERF-1): the sink begins a run's results
 * once, after scope and before the matcher, with the run's id, every statement line in scope and
 * the ledger rows in scope; a run that stops before its results are recorded (the matcher refuses
 * its rows, the announcement cannot be prepared, the registry cannot stage) aborts what was begun;
 * a sink without begin works as before; a begin that fails stops the run before matching. In-memory
 * ports (as reconcile-run.test.ts), and the embedded sink over a temporary --out directory.
 */
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outDirResultSink } from '../../../src/adapters/embedded/recon-results';
import type { Quarantine, RecordedRun, ResultSink, RunInputs, RunRecord, RunRegistry } from '../../../src/ports/reconciliation';
import type { LedgerRows } from '../../../src/recon/ledger-rows';
import { defaultRuleSet, matchAll, MatchInputError } from '../../../src/recon/matching';
import type { LedgerEntry, ParsedStatementFile, StatementLine } from '../../../src/recon/types';
import { reconcileRun, type ReconcileRunPorts } from '../../../src/use-cases/reconcile-run/reconcile-run';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { memoryLedger, memoryStatements } from './support/memory-sources';

jest.setTimeout(60_000);

const ACCOUNT = 'NL26VAYB8060476890';

/** A statement file; `pending` lines are not booked and `foreign` ones are in USD: in scope, kept out of matching (REC-IN-4/5). */
function statement(id: string, amounts: readonly string[], options: { pending?: number; foreign?: number } = {}): ParsedStatementFile {
  const lines: StatementLine[] = amounts.map(
    (amount, i) =>
      ({
        statementLineId: `${id}-L${i}`,
        statementId: id,
        accountId: ACCOUNT,
        currency: i === options.foreign ? 'USD' : 'EUR',
        amount,
        bookingDate: '2026-01-15',
        valueDate: '2026-01-15',
        endToEndId: `E2E-${id}-${i}`,
        ...(i === options.pending ? { status: 'PDNG' } : {}),
        position: { file: `${id}.xml`, line: i + 1 },
      }) as StatementLine,
  );
  return { file: `${id}.xml`, format: 'camt.053', contentHash: `hash-${id}`, statements: [{ statementId: id, accountId: ACCOUNT, currency: 'EUR', lines }] };
}

const entry = (entryId: string, amount: string, reference: string): LedgerEntry => ({
  entryId,
  accountId: ACCOUNT,
  currency: 'EUR',
  amount,
  bookingDate: '2026-01-15',
  valueDate: '2026-01-15',
  reference,
  description: 'x',
});

/** What the fake sink and the other ports saw, in order. */
interface Seen {
  events: string[];
  begun: RunInputs[];
  /** Ledger amounts read so far (the matcher reads them; scope does not), when begin was called. */
  amountReadsAtBegin: number[];
  staged: RecordedRun[];
  committedRuns: string[];
  published: string[];
}

/** In-memory ports; the result sink records its calls (`begin: false`: a sink without begin). */
function world(files: Map<string, ParsedStatementFile>, entries: LedgerEntry[], options: { begin?: boolean; failAt?: string } = {}) {
  const seen: Seen = { events: [], begun: [], amountReadsAtBegin: [], staged: [], committedRuns: [], published: [] };
  const committed = { contents: new Map<string, string>(), matched: new Set<string>() };
  let amountReads = 0;
  let staged: RunRecord | undefined;
  const fail = (step: string): void => {
    if (options.failAt === step) throw new Error(`injected failure at ${step}`);
  };
  /** The rows with their amount reads counted. */
  const counted = (rows: LedgerRows): LedgerRows =>
    Object.assign(Object.create(rows) as LedgerRows, {
      amount: (row: number) => {
        amountReads += 1;
        return rows.amount(row);
      },
      filter: (keep: (rows: LedgerRows, row: number) => boolean) => counted(rows.filter(keep)),
    });
  const statements = memoryStatements(files);
  const ledger = memoryLedger(ACCOUNT, entries, counted);
  const registry: RunRegistry = {
    location: 'memory',
    lookupContent: async (hash) => (committed.contents.has(hash) ? { contentHash: hash, runId: committed.contents.get(hash)! } : undefined),
    lookupStatement: async () => undefined,
    reconciledLedgerKeys: async (accounts) => new Set([...committed.matched].filter((key) => accounts.has(key.split('\u0000')[0]!))),
    runIds: async () => [...seen.committedRuns],
    runCount: async () => seen.committedRuns.length,
    async stage(run) {
      seen.events.push('registry.stage');
      fail('registry.stage');
      staged = run;
    },
    async commit() {
      for (const file of staged!.files) committed.contents.set(file.contentHash, staged!.runId);
      for (const m of staged!.matchedLedger) committed.matched.add(`${m.accountId}\u0000${m.entryId}`);
      seen.committedRuns.push(staged!.runId);
      staged = undefined;
    },
    async rollback() {
      staged = undefined;
    },
  };
  const quarantine: Quarantine<string> = {
    async quarantine(ref, error) {
      throw new Error(`${ref} quarantined unexpectedly: ${error.fault}`);
    },
  };
  const results: ResultSink = {
    location: 'memory',
    align: async () => undefined,
    keepCurrent: async () => seen.published.at(-1) ?? null,
    async stage(run) {
      seen.events.push(`stage ${run.runId}`);
      seen.staged.push(run);
      let done = false;
      return {
        publish: async () => {
          seen.events.push(`publish ${run.runId}`);
          seen.published.push(run.runId);
          done = true;
          return run.runId;
        },
        settle: async () => undefined,
        abort: async () => {
          seen.events.push(`staged.abort ${run.runId}`);
          if (done) seen.published.pop();
        },
        close: async () => undefined,
      };
    },
  };
  if (options.begin !== false) {
    results.begin = async (inputs) => {
      seen.events.push(`begin ${inputs.runId}`);
      seen.begun.push(inputs);
      seen.amountReadsAtBegin.push(amountReads);
      return {
        abort: async () => {
          seen.events.push(`begun.abort ${inputs.runId}`);
          fail('begun.abort');
        },
      };
    };
  }
  const ports: ReconcileRunPorts<string> = {
    statements,
    ledger,
    registry,
    quarantine,
    results,
    now: () => new Date('2026-02-01T00:00:00Z'),
    progress: (message) => seen.events.push(`progress ${message}`),
    announce: {
      prepare: async () => {
        seen.events.push('announce.prepare');
        fail('announce.prepare');
      },
      committed: async () => undefined,
    },
  };
  return { ports, seen, amountReads: () => amountReads };
}

const index = (events: readonly string[], prefix: string): number => events.findIndex((event) => event.startsWith(prefix));
const count = (events: readonly string[], prefix: string): number => events.filter((event) => event.startsWith(prefix)).length;

const amountArb = fc.integer({ min: -99_999, max: 99_999 }).map((cents) => `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`);
const filesArb = fc.uniqueArray(fc.record({ id: fc.stringMatching(/^S[0-9]{1,4}$/), amounts: fc.array(amountArb, { minLength: 2, maxLength: 5 }) }), {
  minLength: 1,
  maxLength: 3,
  selector: (f) => f.id,
});

describe('reconcileRun and ResultSink.begin', () => {
  it('begins once, before the matcher, with the run id, every statement line in scope and the ledger rows in scope; stage gets the same run (generated runs)', async () => {
    let secondRunsWithout = 0;
    await fc.assert(
      fc.asyncProperty(filesArb, async (generated) => {
        const files = new Map(generated.map((f, i) => [f.id, statement(f.id, f.amounts, i === 0 ? { pending: 0, foreign: 1 } : {})]));
        // The first amount of each file has its ledger entry (matched); one more entry matches nothing.
        const entries = [...generated.map((f) => entry(`L-${f.id}`, f.amounts[0]!, `E2E-${f.id}-0`)), entry('L-extra', '999999.99', 'NOTHING')];
        const { ports, seen, amountReads } = world(files, entries);
        const refs = [...files.keys()];
        const outcome = await reconcileRun(ports, { statements: refs, rules: defaultRuleSet() });
        expect(outcome.committed).toBe(true);
        if (!outcome.committed) return;
        const runId = outcome.summary.runId;
        expect(seen.begun).toHaveLength(1);
        const inputs = seen.begun[0]!;
        expect(inputs.runId).toBe(runId);
        // Every line in scope, the pending and the foreign-currency ones too (the results hold them).
        const allLines = [...files.values()].flatMap((file) => file.statements.flatMap((s) => s.lines));
        expect(inputs.statementLines.toArray().map((line) => line.statementLineId)).toEqual(allLines.map((line) => line.statementLineId));
        expect(inputs.statementLines.toArray().map((line) => line.statementLineId)).toContain(`${generated[0]!.id}-L0`);
        expect(inputs.ledgerEntries.toArray()).toEqual(entries);
        for (const line of allLines) expect(inputs.fileOf(line.statementLineId)).toBe(line.statementId);
        // The matcher had read no amount yet; it read them after.
        expect(seen.amountReadsAtBegin).toEqual([0]);
        expect(amountReads()).toBeGreaterThan(0);
        const events = seen.events;
        expect(count(events, 'begin ')).toBe(1);
        expect(index(events, `begin ${runId}`)).toBeLessThan(index(events, 'progress matching '));
        expect(index(events, 'progress matching ')).toBeLessThan(index(events, 'progress matched in '));
        expect(index(events, 'progress matched in ')).toBeLessThan(index(events, `stage ${runId}`));
        // Taken by stage; the abort that follows is the use case's (a no-op for a sink once stage took the run).
        expect(events.at(-1)).toBe(`begun.abort ${runId}`);
        expect(count(events, 'begun.abort')).toBe(1);
        expect(seen.staged).toHaveLength(1);
        const recorded = seen.staged[0]!;
        expect(recorded.runId).toBe(runId);
        expect(recorded.statementLines).toBe(inputs.statementLines);
        expect(recorded.ledgerEntries).toBe(inputs.ledgerEntries);
        for (const line of allLines) expect(recorded.fileOf(line.statementLineId)).toBe(inputs.fileOf(line.statementLineId));
        expect(seen.published).toEqual([runId]);
        expect(seen.committedRuns).toEqual([runId]);

        // A second run over a new statement: the entries the first run matched are out of scope, and out of what is begun.
        const matchedIds = new Set(seen.staged[0]!.result.matches.flatMap((match) => match.ledgerEntryIds));
        files.set('T1', statement('T1', ['0.01', '0.02']));
        const second = await reconcileRun(ports, { statements: ['T1'], rules: defaultRuleSet() });
        expect(second.committed && second.summary.runId).not.toBe(runId);
        expect(seen.begun).toHaveLength(2);
        expect(seen.begun[1]!.runId).toBe(second.committed && second.summary.runId);
        expect(seen.begun[1]!.statementLines.toArray().map((line) => line.statementLineId)).toEqual(['T1-L0', 'T1-L1']);
        expect(seen.begun[1]!.ledgerEntries.toArray()).toEqual(entries.filter((e) => !matchedIds.has(e.entryId)));
        expect(seen.begun[1]!.ledgerEntries.length).toBe(entries.length - matchedIds.size);
        if (matchedIds.size > 0) secondRunsWithout += 1;
      }),
      { numRuns: fuzzRuns(15), seed: fuzzSeed(2028) },
    );
    // Some second runs had entries of the first run's matches to leave out.
    expect(secondRunsWithout).toBeGreaterThan(0);
  });

  it('a run whose matcher refuses its rows (an invalid amount) rejects; what was begun is aborted once, nothing staged', async () => {
    const files = new Map([['S1', statement('S1', ['1.00', '-2.50'])]]);
    const entries = [entry('L-1', '1.00', 'E2E-S1-0'), entry('L-bad', '12.345.6', 'E2E-S1-1')];
    // The matcher itself refuses these rows.
    expect(() => matchAll(files.get('S1')!.statements[0]!.lines, entries, defaultRuleSet(), '2026-01-31')).toThrow(MatchInputError);
    const { ports, seen } = world(files, entries);
    await expect(reconcileRun(ports, { statements: ['S1'], rules: defaultRuleSet() })).rejects.toThrow(MatchInputError);
    expect(count(seen.events, 'begin ')).toBe(1);
    expect(count(seen.events, 'begun.abort ')).toBe(1);
    expect(index(seen.events, 'begin ')).toBeLessThan(index(seen.events, 'begun.abort '));
    expect(seen.events.filter((event) => event.startsWith('progress matched in '))).toEqual([]);
    expect(seen.staged).toEqual([]);
    expect(seen.committedRuns).toEqual([]);
  });

  it.each([
    ['announce.prepare', 0],
    ['registry.stage', 1],
  ])('a run that fails at %s after matching rejects; what was begun is aborted once', async (step, stages) => {
    const files = new Map([['S1', statement('S1', ['1.00', '-2.50'])]]);
    const { ports, seen } = world(files, [entry('L-1', '1.00', 'E2E-S1-0')], { failAt: step });
    await expect(reconcileRun(ports, { statements: ['S1'], rules: defaultRuleSet() })).rejects.toThrow(`injected failure at ${step}`);
    expect(count(seen.events, 'begin ')).toBe(1);
    expect(count(seen.events, 'begun.abort ')).toBe(1);
    expect(seen.events.at(-1)).toMatch(/^begun\.abort /);
    expect(index(seen.events, step)).toBeLessThan(index(seen.events, 'begun.abort '));
    expect(seen.staged).toHaveLength(stages);
    expect(seen.published).toEqual([]);
    expect(seen.committedRuns).toEqual([]);
  });

  it('an abort that fails never hides the run outcome: a failed run rejects with its own error, a committed run stays committed; both say so', async () => {
    const files = new Map([['S1', statement('S1', ['1.00', '-2.50'])]]);
    const bad = world(files, [entry('L-1', '1.00', 'E2E-S1-0'), entry('L-bad', '12.345.6', 'E2E-S1-1')], { failAt: 'begun.abort' });
    await expect(reconcileRun(bad.ports, { statements: ['S1'], rules: defaultRuleSet() })).rejects.toThrow(MatchInputError);
    expect(bad.seen.events.filter((event) => event.startsWith('progress warning: ') && event.includes('injected failure at begun.abort'))).toHaveLength(1);
    const good = world(files, [entry('L-1', '1.00', 'E2E-S1-0')], { failAt: 'begun.abort' });
    const outcome = await reconcileRun(good.ports, { statements: ['S1'], rules: defaultRuleSet() });
    expect(outcome.committed).toBe(true);
    expect(good.seen.committedRuns).toHaveLength(1);
    expect(good.seen.events.filter((event) => event.startsWith('progress warning: ') && event.includes('injected failure at begun.abort'))).toHaveLength(1);
  });

  it('a sink without begin still records the run', async () => {
    const files = new Map([['S1', statement('S1', ['1.00', '-2.50'])]]);
    const { ports, seen } = world(files, [entry('L-1', '1.00', 'E2E-S1-0')], { begin: false });
    expect(ports.results.begin).toBeUndefined();
    const outcome = await reconcileRun(ports, { statements: ['S1'], rules: defaultRuleSet() });
    expect(outcome.committed).toBe(true);
    const runId = outcome.committed ? outcome.summary.runId : '';
    expect(seen.begun).toEqual([]);
    expect(seen.staged.map((run) => run.runId)).toEqual([runId]);
    expect(seen.staged[0]!.result.matches).toHaveLength(1);
    expect(seen.published).toEqual([runId]);
    expect(seen.committedRuns).toEqual([runId]);
  });
});

describe('reconcileRun with the embedded sink: begun, then undone', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ledgerline-run-begin-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** The in-memory ports with the embedded sink over `out` (its begin wrapped by `wrap`, if given). */
  function embedded(out: string, files: Map<string, ParsedStatementFile>, entries: LedgerEntry[], wrap?: (inputs: RunInputs) => RunInputs) {
    const { ports, seen } = world(files, entries);
    const sink = outDirResultSink(out);
    const results: ResultSink = wrap ? { ...sink, begin: (inputs) => sink.begin!(wrap(inputs)) } : sink;
    return { ports: { ...ports, results }, seen };
  }

  const stagingEntries = (out: string): string[] => (existsSync(join(out, '.staging')) ? readdirSync(join(out, '.staging')) : []);

  it('a run the matcher refuses leaves no staging directory, no run, no current', async () => {
    const out = join(root, 'refused');
    const files = new Map([['S1', statement('S1', ['1.00', '-2.50'])]]);
    const { ports, seen } = embedded(out, files, [entry('L-1', '1.00', 'E2E-S1-0'), entry('L-bad', '12.345.6', 'E2E-S1-1')]);
    let begunAt: string[] | undefined;
    const results: ResultSink = {
      ...ports.results,
      begin: async (inputs) => {
        const begun = await ports.results.begin!(inputs);
        begunAt = stagingEntries(out);
        return begun;
      },
    };
    await expect(reconcileRun({ ...ports, results }, { statements: ['S1'], rules: defaultRuleSet() })).rejects.toThrow(MatchInputError);
    // It was begun (its staging directory there while the run matched), and is gone.
    expect(begunAt).toHaveLength(1);
    expect(stagingEntries(out)).toEqual([]);
    expect(existsSync(join(out, 'runs'))).toBe(false);
    expect(existsSync(join(out, 'current'))).toBe(false);
    expect(seen.committedRuns).toEqual([]);
  });

  it('a begin that fails (its load file cannot be rendered) rejects the run with that failure before matching, and leaves no staging directory', async () => {
    const out = join(root, 'begin-fails');
    const files = new Map([['S1', statement('S1', ['1.00', '-2.50'])]]);
    const failure = new Error('no file for this line');
    const { ports, seen } = embedded(out, files, [entry('L-1', '1.00', 'E2E-S1-0')], (inputs) => ({
      ...inputs,
      fileOf: () => {
        throw failure;
      },
    }));
    await expect(reconcileRun(ports, { statements: ['S1'], rules: defaultRuleSet() })).rejects.toBe(failure);
    expect(seen.events.filter((event) => event.startsWith('progress match'))).toEqual([]);
    expect(stagingEntries(out)).toEqual([]);
    expect(existsSync(join(out, 'runs'))).toBe(false);
    expect(seen.committedRuns).toEqual([]);
    // The same --out then records the run (nothing of the failed begin in the way).
    const again = await reconcileRun(embedded(out, files, [entry('L-1', '1.00', 'E2E-S1-0')]).ports, { statements: ['S1'], rules: defaultRuleSet() });
    expect(again.committed).toBe(true);
    expect(readdirSync(join(out, 'runs'))).toEqual([again.committed ? again.summary.runId : '']);
    expect(stagingEntries(out)).toEqual([]);
  });
});
