/**
 * The reconcile-run use case over in-memory ports (REC-RUN-1, REC-OUT-2/3): no file system, no
 * database. Generated statement sets: every run records once; a repeat is nothing new; a failure
 * injected at each step of the record phase before the registry commit leaves nothing recorded
 * and nothing published; after the commit the run stands.
 */
import fc from 'fast-check';
import type { Quarantine, RecordedRun, ResultSink, RunRecord, RunRegistry } from '../../../src/ports/reconciliation';
import { defaultRuleSet } from '../../../src/recon/matching/rules';
import type { LedgerEntry, ParsedStatementFile, StatementLine } from '../../../src/recon/types';
import { reconcileRun, RejectedInputError } from '../../../src/use-cases/reconcile-run/reconcile-run';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { memoryLedger, memoryStatements } from './support/memory-sources';

const ACCOUNT = 'NL26VAYB8060476890';

function statement(id: string, amounts: readonly string[]): ParsedStatementFile {
  const lines: StatementLine[] = amounts.map(
    (amount, i) =>
      ({
        statementLineId: `${id}-L${i}`,
        statementId: id,
        accountId: ACCOUNT,
        currency: 'EUR',
        amount,
        bookingDate: '2026-01-15',
        valueDate: '2026-01-15',
        endToEndId: `E2E-${id}-${i}`,
        position: { file: `${id}.xml`, line: i + 1 },
      }) as StatementLine,
  );
  return { file: `${id}.xml`, format: 'camt.053', contentHash: `hash-${id}`, statements: [{ statementId: id, accountId: ACCOUNT, currency: 'EUR', lines }] };
}

/** In-memory ports, with a failure injectable at any named step. */
function ports(files: Map<string, ParsedStatementFile>, entries: LedgerEntry[], failAt?: string) {
  const committed = { contents: new Map<string, string>(), identities: new Map<string, string>(), runs: [] as string[], matched: new Set<string>() };
  const published: string[] = [];
  const quarantined: string[] = [];
  let staged: RunRecord | undefined;
  const fail = (step: string): void => {
    if (failAt === step) throw new Error(`injected failure at ${step}`);
  };
  const statements = memoryStatements(files);
  const ledger = memoryLedger(ACCOUNT, entries);
  const registry: RunRegistry = {
    location: 'memory',
    lookupContent: async (hash) => (committed.contents.has(hash) ? { contentHash: hash, runId: committed.contents.get(hash)! } : undefined),
    lookupStatement: async (key) => (committed.identities.has(key) ? { key, runId: committed.identities.get(key)! } : undefined),
    reconciledLedgerKeys: async (accounts) => new Set([...committed.matched].filter((key) => accounts.has(key.split('\u0000')[0]!))),
    runIds: async () => [...committed.runs],
    runCount: async () => committed.runs.length,
    async stage(run) {
      fail('registry.stage');
      staged = run;
    },
    async commit() {
      fail('registry.commit');
      for (const file of staged!.files) committed.contents.set(file.contentHash, staged!.runId);
      for (const s of staged!.statements) committed.identities.set(s.key, staged!.runId);
      for (const m of staged!.matchedLedger) committed.matched.add(`${m.accountId}\u0000${m.entryId}`);
      committed.runs.push(staged!.runId);
      staged = undefined;
    },
    async rollback() {
      staged = undefined;
    },
  };
  const quarantine: Quarantine<string> = {
    async quarantine(ref, error) {
      quarantined.push(`${ref}: ${error.fault}`);
      return { file: `q/${ref}`, reasonFile: `q/${ref}.reason` };
    },
  };
  const results: ResultSink = {
    location: 'memory',
    align: async () => undefined,
    keepCurrent: async () => published.at(-1) ?? null,
    async stage(run: RecordedRun) {
      fail('results.stage');
      let done = false;
      return {
        publish: async () => {
          fail('results.publish');
          published.push(run.runId);
          done = true;
          return run.runId;
        },
        settle: async () => fail('results.settle'),
        abort: async () => {
          if (done) published.pop();
        },
        close: async () => undefined,
      };
    },
  };
  return { ports: { statements, ledger, registry, quarantine, results, now: () => new Date('2026-02-01T00:00:00Z') }, committed, published, quarantined };
}

const amountArb = fc.integer({ min: -99_999, max: 99_999 }).map((cents) => `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`);
const filesArb = fc.uniqueArray(fc.record({ id: fc.stringMatching(/^S[0-9]{1,4}$/), amounts: fc.array(amountArb, { minLength: 1, maxLength: 4 }) }), {
  minLength: 1,
  maxLength: 4,
  selector: (f) => f.id,
});

describe('reconcileRun over ports', () => {
  it('generated statement sets: one run records every statement once; the same statements again are nothing new', async () => {
    await fc.assert(
      fc.asyncProperty(filesArb, async (generated) => {
        const files = new Map(generated.map((f) => [f.id, statement(f.id, f.amounts)]));
        const entries: LedgerEntry[] = generated.flatMap((f) =>
          f.amounts.slice(0, 1).map((amount, i) => ({
            entryId: `L-${f.id}-${i}`,
            accountId: ACCOUNT,
            currency: 'EUR',
            amount,
            bookingDate: '2026-01-15',
            valueDate: '2026-01-15',
            reference: `E2E-${f.id}-${i}`,
            description: 'x',
          })),
        );
        const world = ports(files, entries);
        const refs = [...files.keys()];
        const first = await reconcileRun(world.ports, { statements: refs, rules: defaultRuleSet() });
        expect(first.committed).toBe(true);
        if (!first.committed) return;
        expect(first.summary.statementLines).toBe(generated.reduce((n, f) => n + f.amounts.length, 0));
        expect(world.committed.runs).toEqual([first.summary.runId]);
        expect(world.published).toEqual([first.summary.runId]);
        expect([...world.committed.contents.keys()].sort()).toEqual(refs.map((id) => `hash-${id}`).sort());
        const again = await reconcileRun(world.ports, { statements: [...refs].reverse(), rules: defaultRuleSet() });
        expect(again.committed).toBe(false);
        if (again.committed) return;
        expect(again.reuploaded.map((r) => r.firstRunId)).toEqual(refs.map(() => first.summary.runId));
        expect(world.committed.runs).toHaveLength(1);
        // The same statement twice in one run is recorded once.
        const fresh = ports(files, entries);
        const twice = await reconcileRun(fresh.ports, { statements: [refs[0]!, refs[0]!], rules: defaultRuleSet() });
        expect(twice.committed && twice.summary.reuploaded.map((r) => r.by)).toEqual(['content']);
      }),
      { numRuns: fuzzRuns(20), seed: fuzzSeed(21) },
    );
  });

  it.each(['results.stage', 'registry.stage', 'results.publish', 'registry.commit'])('a failure at %s records nothing and publishes nothing (REC-OUT-3)', async (step) => {
    const files = new Map([['S1', statement('S1', ['1.00', '-2.50'])]]);
    const world = ports(files, [], step);
    await expect(reconcileRun(world.ports, { statements: ['S1'], rules: defaultRuleSet() })).rejects.toThrow(`injected failure at ${step}`);
    expect(world.committed.runs).toEqual([]);
    expect(world.committed.contents.size).toBe(0);
    expect(world.published).toEqual([]);
  });

  it('a failure after the registry commit leaves the run committed and published', async () => {
    const files = new Map([['S1', statement('S1', ['1.00'])]]);
    const world = ports(files, [], 'results.settle');
    await expect(reconcileRun(world.ports, { statements: ['S1'], rules: defaultRuleSet() })).rejects.toThrow('injected failure at results.settle');
    expect(world.committed.runs).toHaveLength(1);
    expect(world.published).toEqual(world.committed.runs);
  });

  it('the case sink gets the committed run once; a case sink that fails leaves the run committed and says so', async () => {
    const files = new Map([['S1', statement('S1', ['1.00', '-2.50'])]]);
    const world = ports(files, []);
    const raised: RecordedRun[] = [];
    const messages: string[] = [];
    const outcome = await reconcileRun({ ...world.ports, cases: { record: async (run) => void raised.push(run) } }, { statements: ['S1'], rules: defaultRuleSet() });
    expect(outcome.committed && raised.map((run) => run.runId)).toEqual([outcome.committed && outcome.summary.runId]);
    expect(raised[0]!.result.unmatched.filter((item) => item.side === 'statement')).toHaveLength(2);
    const failing = ports(files, []);
    const second = await reconcileRun(
      {
        ...failing.ports,
        progress: (message) => messages.push(message),
        cases: {
          record: async () => {
            throw new Error('workbench.db is locked');
          },
        },
      },
      { statements: ['S1'], rules: defaultRuleSet() },
    );
    expect(second.committed).toBe(true);
    expect(failing.committed.runs).toHaveLength(1);
    expect(messages.find((message) => message.includes('cases were not raised'))).toMatch(/workbench\.db is locked/);
  });

  it('NOTIFY-1: the committed port hears of each committed run once, after its commit, never of a failed or empty one; its failure leaves the run committed and says so', async () => {
    await fc.assert(
      fc.asyncProperty(filesArb, fc.constantFrom<string | undefined>(undefined, 'results.stage', 'registry.stage', 'results.publish', 'registry.commit'), async (generated, failAt) => {
        const files = new Map(generated.map((f) => [f.id, statement(f.id, f.amounts)]));
        const world = ports(files, [], failAt);
        const told: { runId: string; committedRuns: number }[] = [];
        const committed = async (run: RecordedRun) => void told.push({ runId: run.runId, committedRuns: world.committed.runs.length });
        const outcome = await reconcileRun({ ...world.ports, announce: { prepare: async () => undefined, committed } }, { statements: [...files.keys()], rules: defaultRuleSet() }).catch(
          () => undefined,
        );
        if (failAt) expect(told).toEqual([]);
        else expect(told).toEqual([{ runId: outcome!.committed ? outcome!.summary.runId : '', committedRuns: 1 }]);
        // The same statements again: nothing new, nothing told.
        if (!failAt) {
          await reconcileRun({ ...world.ports, announce: { prepare: async () => undefined, committed } }, { statements: [...files.keys()], rules: defaultRuleSet() });
          expect(told).toHaveLength(1);
        }
      }),
      { numRuns: fuzzRuns(20), seed: fuzzSeed(23) },
    );
    const files = new Map([['S1', statement('S1', ['1.00'])]]);
    const world = ports(files, []);
    const messages: string[] = [];
    const failing = async () => {
      throw new Error('bus unreachable');
    };
    const outcome = await reconcileRun(
      { ...world.ports, announce: { prepare: async () => undefined, committed: failing }, progress: (message) => messages.push(message) },
      { statements: ['S1'], rules: defaultRuleSet() },
    );
    expect(outcome.committed).toBe(true);
    expect(world.committed.runs).toHaveLength(1);
    expect(messages.find((message) => message.includes('was not announced'))).toMatch(/bus unreachable/);
  });

  it('an unknown account or a card number as the account is quarantined, nothing recorded', async () => {
    for (const account of ['GB00UNKNOWN0000000000', '4111111111111111']) {
      const parsed = statement('S9', ['5.00']);
      parsed.statements[0]!.lines[0]!.accountId = account;
      const world = ports(new Map([['S9', parsed]]), []);
      const error = await reconcileRun(world.ports, { statements: ['S9'], rules: defaultRuleSet() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RejectedInputError);
      expect(world.quarantined).toHaveLength(1);
      expect(world.quarantined[0]).not.toContain('4111111111111111');
      expect(world.committed.runs).toEqual([]);
      // Declared (REC-ACC-1), an unknown account reconciles to all unmatched instead; a card number never does.
      const declared = ports(new Map([['S9', parsed]]), []);
      const outcome = await reconcileRun(declared.ports, { statements: ['S9'], rules: defaultRuleSet(), declaredAccounts: new Set([account]) }).catch((e: unknown) => e);
      if (account.startsWith('GB')) expect(outcome).toMatchObject({ committed: true, summary: { unmatchedStatement: 1 } });
      else expect(outcome).toBeInstanceOf(RejectedInputError);
    }
  });
});
