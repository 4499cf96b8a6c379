/**
 * REC-CASE-1 grouped cases, through the one case builder and importRunResult (the run's result
 * handed over: nothing read back): exceptions sharing a group are one case listing every member
 * with exact per-side totals; lone exceptions stay one case each; every exception is in exactly
 * one case; the import is idempotent; actions apply to the case as a whole.
 */
import fc from 'fast-check';
import { applyCaseAction, type CaseMember, caseCount, casesFromResult, caseTotals, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { renderCaseDetail } from '../../../src/recon/workbench/html';
import { importRunResult, type RunResultForCases } from '../../../src/recon/workbench/import-cases';
import { countResult, type RunSummary } from '../../../src/recon/run/results';
import type { ExceptionReason, LedgerEntry, MatchResult, StatementLine, UnmatchedItem } from '../../../src/recon/types';
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import type { WorkbenchStore } from '../../../src/recon/workbench/ports';
import { FakeWorkbenchTable } from '../../adapters/aws/support/fake-workbench-table';
import { memoryStore, reconciler, T0 } from './helpers';

const CURRENCIES = ['EUR', 'JPY', 'BHD'] as const;
const SCALE: Record<string, number> = { EUR: 2, JPY: 0, BHD: 3 };
const REASONS: ExceptionReason[] = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE'];
const ACCOUNTS = ['NL26VAYB8060476890', 'GB29NWBK60161331926819', '10200123456'];

/** Independent exact arithmetic for the oracle: minor units as bigint. */
function minor(amount: string, currency: string): bigint {
  const [whole, fraction = ''] = amount.replace('-', '').split('.');
  const units = BigInt(whole! + fraction.padEnd(SCALE[currency]!, '0'));
  return amount.startsWith('-') ? -units : units;
}

interface Generated {
  result: MatchResult;
  lines: Map<string, StatementLine>;
  entries: Map<string, LedgerEntry>;
}

const amountArb = (currency: string) =>
  fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 15n })).map(([negative, units]) => {
    const scale = SCALE[currency]!;
    const digits = units.toString().padStart(scale + 1, '0');
    const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    return negative && units !== 0n ? `-${text}` : text;
  });

const itemArb = fc
  .record({
    side: fc.constantFrom('statement' as const, 'ledger' as const),
    reason: fc.constantFrom(...REASONS),
    ageDays: fc.integer({ min: 0, max: 400 }),
    group: fc.option(fc.constantFrom('batch:A', 'batch:B', 'batch:C', 'shared:L-7', 'g-5'), { nil: undefined, freq: 2 }),
    account: fc.constantFrom(...ACCOUNTS),
    currency: fc.constantFrom(...CURRENCIES),
  })
  .chain((item) => amountArb(item.currency).map((amount) => ({ ...item, amount })));

const generatedArb: fc.Arbitrary<Generated> = fc.array(itemArb, { minLength: 0, maxLength: 40 }).map((items) => {
  const lines = new Map<string, StatementLine>();
  const entries = new Map<string, LedgerEntry>();
  const unmatched: UnmatchedItem[] = items.map((item, i) => {
    const id = item.side === 'statement' ? `abcdef012345:0:${i}` : `L-${i}`;
    if (item.side === 'statement') {
      lines.set(id, {
        statementLineId: id,
        format: 'camt.053',
        statementId: 'S-1',
        accountId: item.account,
        currency: item.currency,
        amount: item.amount,
        bookingDate: '2025-03-01',
        valueDate: null,
        bankReference: `BR-${i}`,
        position: { file: 'statement.xml' },
      });
    } else {
      entries.set(id, { entryId: id, accountId: item.account, currency: item.currency, amount: item.amount, bookingDate: '2025-03-01', valueDate: '2025-03-01', reference: `R-${i}`, description: '' });
    }
    return { side: item.side, id, reason: item.reason, ageDays: item.ageDays, ...(item.group ? { group: item.group } : {}) };
  });
  return { result: { matches: [], unmatched }, lines, entries };
});

const RUN = { runId: 'run-1', asOf: '2025-03-13', at: T0 };

function build(generated: Generated): ExceptionCase[] {
  return casesFromResult(RUN, generated.result, { statementLine: (id) => generated.lines.get(id), ledgerEntry: (id) => generated.entries.get(id) });
}

/** Every exception a case stands for, as side:id. */
function covered(c: ExceptionCase): string[] {
  if (c.members) return c.members.map((member) => `${member.side}:${member.id}`);
  const [, side, ...id] = c.caseId.split(':');
  return [`${side}:${id.join(':')}`];
}

function summaryOf(result: MatchResult, statementLines: number): RunSummary {
  return {
    runId: RUN.runId,
    asOf: RUN.asOf,
    ruleSet: { ruleSetId: 'default', version: 1 },
    statementFiles: [],
    reuploaded: [],
    statementLines,
    ledgerEntries: 0,
    ledgerEntriesAlreadyReconciled: 0,
    ...countResult(result),
    balanceChecks: [],
  };
}

function runOf(generated: Generated, runId = RUN.runId): RunResultForCases {
  return {
    runId,
    asOf: RUN.asOf,
    recordedAt: T0,
    summary: summaryOf(generated.result, generated.lines.size),
    result: generated.result,
    statementLine: (id) => generated.lines.get(id),
    ledgerEntry: (id) => generated.entries.get(id),
  };
}

describe('caseCount (REC-PERF-1)', () => {
  it('counts what casesFromResult builds: proposed matches too, and groups whose keys mask alike as one', () => {
    const line = (i: number): StatementLine => ({
      statementLineId: `abcdef012345:0:${i}`,
      format: 'camt.053',
      statementId: 'S-1',
      accountId: ACCOUNTS[0]!,
      currency: 'EUR',
      amount: '1.00',
      bookingDate: '2025-03-01',
      valueDate: null,
      position: { file: 'x' },
    });
    const lines = new Map([0, 1, 2, 3].map((i) => [line(i).statementLineId, line(i)]));
    const result: MatchResult = {
      matches: [
        { matchId: 'm-1', ruleId: 'r', confidence: 0.8, status: 'proposed', statementLineIds: [line(0).statementLineId], ledgerEntryIds: ['L-1'] },
        { matchId: 'm-2', ruleId: 'r', confidence: 1, status: 'confirmed', statementLineIds: [line(1).statementLineId], ledgerEntryIds: ['L-2'] },
      ],
      unmatched: [
        // Two card-number group keys that mask to the same text: one case (PCI-3 masks before grouping).
        { side: 'statement', id: line(2).statementLineId, reason: 'UNMATCHED', ageDays: 1, group: 'batch:4111111111111111' },
        { side: 'statement', id: line(3).statementLineId, reason: 'UNMATCHED', ageDays: 1, group: 'batch:4111 1111 1111 1111' },
        { side: 'statement', id: line(1).statementLineId, reason: 'DUPLICATE', ageDays: 1, group: '' },
      ],
    };
    const cases = casesFromResult(RUN, result, { statementLine: (id) => lines.get(id), ledgerEntry: () => undefined });
    expect(caseCount(result)).toBe(cases.length);
    expect(cases.map((c) => c.caseId)).toEqual(['exception:statement:abcdef012345:0:1', 'group:batch:[REDACTED-PAN]', 'match:m-1']);
  });
});

describe('REC-CASE-1: grouped cases', () => {
  it('one case per group, one per lone exception, and every exception in exactly one case', () => {
    fc.assert(
      fc.property(generatedArb, (generated) => {
        const cases = build(generated);
        const groups = new Set(generated.result.unmatched.flatMap((item) => (item.group ? [item.group] : [])));
        const lone = generated.result.unmatched.filter((item) => !item.group).length;
        expect(cases).toHaveLength(groups.size + lone);
        // The count a sink decides by before it builds them (REC-PERF-1).
        expect(caseCount(generated.result)).toBe(cases.length);
        expect(new Set(cases.map((c) => c.caseId)).size).toBe(cases.length);
        const seen = cases.flatMap(covered).sort();
        expect(seen).toEqual(generated.result.unmatched.map((item) => `${item.side}:${item.id}`).sort());
        for (const c of cases) {
          if (!c.members) continue;
          // A group's members are exactly the exceptions of that group.
          const expected = generated.result.unmatched.filter((item) => item.group === c.group).map((item) => `${item.side}:${item.id}`);
          expect(covered(c).sort()).toEqual(expected.sort());
          expect(c.caseId).toBe(`group:${c.group}`);
          expect(c.ageDays).toBe(Math.max(...c.members.map((member) => member.ageDays)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a group case totals each side exactly, per currency, and the difference is statement - ledger', () => {
    fc.assert(
      fc.property(generatedArb, (generated) => {
        for (const c of build(generated)) {
          if (!c.members) continue;
          const currencies = [...new Set(c.members.map((member) => member.currency))].sort();
          expect(c.totals!.map((total) => total.currency)).toEqual(currencies);
          for (const total of c.totals!) {
            const of = (side: CaseMember['side']) => c.members!.filter((m) => m.side === side && m.currency === total.currency).reduce((sum, m) => sum + minor(m.amount, total.currency), 0n);
            expect(minor(total.statement, total.currency)).toBe(of('statement'));
            expect(minor(total.ledger, total.currency)).toBe(of('ledger'));
            expect(minor(total.difference, total.currency)).toBe(of('statement') - of('ledger'));
            // Exact decimals at the currency's scale, never a float's rendering.
            for (const amount of [total.statement, total.ledger, total.difference]) {
              expect(amount).toMatch(SCALE[total.currency] ? new RegExp(`^-?\\d+\\.\\d{${SCALE[total.currency]}}$`) : /^-?\d+$/);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the cases do not depend on the order of the exceptions (metamorphic: shuffled in, same cases out)', () => {
    fc.assert(
      fc.property(
        generatedArb.chain((generated) => fc.shuffledSubarray(generated.result.unmatched, { minLength: generated.result.unmatched.length }).map((shuffled) => [generated, shuffled] as const)),
        ([generated, shuffled]) => {
          const byId = (cases: ExceptionCase[]) => [...cases].sort((a, b) => (a.caseId < b.caseId ? -1 : 1));
          expect(byId(build({ ...generated, result: { matches: [], unmatched: shuffled } }))).toEqual(byId(build(generated)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('importRunResult raises every case once; re-importing the run changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(generatedArb, async (generated) => {
        const store = memoryStore();
        const first = await importRunResult(store, runOf(generated));
        const cases = build(generated);
        expect(first).toEqual({ runId: RUN.runId, raised: cases.length, reopened: 0, cleared: 0, alreadyImported: false });
        const stored = await store.list({ limit: 1000 });
        expect(stored.map((c) => c.caseId).sort()).toEqual(cases.map((c) => c.caseId).sort());
        for (const c of cases) expect(await store.get(c.caseId)).toEqual(c);
        const again = await importRunResult(store, runOf(generated));
        expect(again).toEqual({ runId: RUN.runId, raised: 0, reopened: 0, cleared: 0, alreadyImported: true });
        expect(await store.list({ limit: 1000 })).toEqual(stored);
      }),
      { numRuns: 40 },
    );
  });

  it('a later run that no longer reports a group clears its one case; reporting it again reopens it', async () => {
    const store = memoryStore();
    const line = (id: string, amount: string): StatementLine => ({
      statementLineId: id,
      format: 'camt.053',
      statementId: 'S',
      accountId: ACCOUNTS[0]!,
      currency: 'EUR',
      amount,
      bookingDate: '2025-03-10',
      valueDate: null,
      position: { file: 'f' },
    });
    const entry = (id: string, amount: string): LedgerEntry => ({
      entryId: id,
      accountId: ACCOUNTS[0]!,
      currency: 'EUR',
      amount,
      bookingDate: '2025-03-10',
      valueDate: '2025-03-10',
      reference: id,
      description: '',
    });
    const grouped: Generated = {
      result: {
        matches: [],
        unmatched: [
          { side: 'statement', id: 'aaa:0:1', reason: 'SPLIT_INCOMPLETE', ageDays: 3, group: 'batch:B-1' },
          { side: 'ledger', id: 'L-1', reason: 'SPLIT_INCOMPLETE', ageDays: 3, group: 'batch:B-1' },
          { side: 'ledger', id: 'L-2', reason: 'SPLIT_INCOMPLETE', ageDays: 4, group: 'batch:B-1' },
        ],
      },
      lines: new Map([['aaa:0:1', line('aaa:0:1', '100.00')]]),
      entries: new Map([
        ['L-1', entry('L-1', '60.00')],
        ['L-2', entry('L-2', '30.50')],
      ]),
    };
    await importRunResult(store, runOf(grouped, 'run-1'));
    const raised = (await store.get('group:batch:B-1'))!;
    expect(raised).toMatchObject({
      side: 'both',
      amount: '100.00',
      ageDays: 4,
      ledgerEntryIds: ['L-1', 'L-2'],
      totals: [{ currency: 'EUR', statement: '100.00', ledger: '90.50', difference: '9.50' }],
    });
    const matchedLater: Generated = {
      ...grouped,
      result: { matches: [{ matchId: 'm', ruleId: 'r', confidence: 1, status: 'confirmed', statementLineIds: ['aaa:0:1'], ledgerEntryIds: ['L-1', 'L-2'] }], unmatched: [] },
    };
    expect(await importRunResult(store, runOf(matchedLater, 'run-2'))).toMatchObject({ cleared: 1, raised: 0 });
    expect((await store.get('group:batch:B-1'))!.status).toBe('CLEARED');
    expect(await importRunResult(store, runOf(grouped, 'run-3'))).toMatchObject({ reopened: 1, raised: 0 });
    expect((await store.get('group:batch:B-1'))!.status).toBe('OPEN');
  });

  it('an action applies to the group case as a whole: one version, one event, every member kept', () => {
    fc.assert(
      fc.property(generatedArb, (generated) => {
        for (const c of build(generated).filter((candidate) => candidate.members)) {
          const { next, event } = applyCaseAction(c, { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'batch settles tomorrow' }, reconciler, T0, c.version);
          expect(next).toMatchObject({ status: 'RESOLVED', version: 2, members: c.members, totals: c.totals, ledgerEntryIds: c.ledgerEntryIds });
          expect(event).toMatchObject({ caseId: c.caseId, version: 2, from: 'OPEN', to: 'RESOLVED' });
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the case view lists every member and the totals', () => {
    fc.assert(
      fc.property(generatedArb, (generated) => {
        for (const c of build(generated).filter((candidate) => candidate.members)) {
          const page = renderCaseDetail({ actor: reconciler, case: c, history: [], allowed: ['comment'], csrf: 'x' });
          expect(page).toContain(`Exceptions in this case (${c.members!.length})`);
          for (const member of c.members!) expect(page).toContain(`<td class="id">${member.id}</td>`);
          for (const total of c.totals!) expect(page).toContain(`<td class="num">${total.difference}</td>`);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('PCI-3: a group key or member that carries a card number is masked in the case', () => {
    const pan = '4111111111111111';
    const generated: Generated = {
      result: {
        matches: [],
        unmatched: [
          { side: 'ledger', id: `L-${pan}`, reason: 'UNMATCHED', ageDays: 1, group: `batch:${pan}`, detail: `card 4111 1111 1111 1111` },
          { side: 'ledger', id: 'L-2', reason: 'UNMATCHED', ageDays: 1, group: `batch:${pan}` },
        ],
      },
      lines: new Map(),
      entries: new Map(),
    };
    const cases = build(generated);
    expect(cases).toHaveLength(1);
    const text = JSON.stringify(cases);
    expect(text).not.toMatch(/4111\D?1111\D?1111\D?1111/);
  });

  it('caseTotals skips members whose amount the run did not know, and never mixes currencies', () => {
    const member = (side: CaseMember['side'], currency: string, amount: string): CaseMember => ({
      side,
      id: `${side}-${currency}-${amount}`,
      reason: 'UNMATCHED',
      ageDays: 0,
      accountId: 'A',
      currency,
      amount,
    });
    expect(caseTotals([member('statement', 'EUR', '1.10'), member('ledger', 'EUR', '0.2'), member('ledger', 'JPY', '5'), member('ledger', 'EUR', '')])).toEqual([
      { currency: 'EUR', statement: '1.10', ledger: '0.20', difference: '0.90' },
      { currency: 'JPY', statement: '0', ledger: '5', difference: '-5' },
    ]);
  });
});

/** A store and the actions of a case's history (the in-memory DynamoDB table answers no history query: its event items are read). */
type Opened = { store: WorkbenchStore; actions(caseId: string): Promise<string[]> };
describe.each([
  [
    'SqliteWorkbenchStore',
    (): Opened => {
      const store = memoryStore();
      return { store, actions: async (caseId) => (await store.history(caseId)).map((event) => event.action) };
    },
  ],
  [
    'DynamoWorkbenchStore',
    (): Opened => {
      const table = new FakeWorkbenchTable();
      return {
        store: new DynamoWorkbenchStore({ client: table.client, tableName: 'workbench' }),
        actions: async (caseId) =>
          [...table.items.entries()]
            .filter(([key]) => key.startsWith(`CASE#${caseId}|EVENT#`))
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([, item]) => item.action!.S!),
      };
    },
  ],
])('%s: a group that changes between runs', (_name, open) => {
  const line: StatementLine = {
    statementLineId: 'aaa:0:1',
    format: 'camt.053',
    statementId: 'S',
    accountId: 'ACC-1',
    currency: 'EUR',
    amount: '100.00',
    bookingDate: '2025-03-10',
    valueDate: null,
    position: { file: 'f' },
  };
  const entry = (id: string, amount: string): LedgerEntry => ({
    entryId: id,
    accountId: 'ACC-1',
    currency: 'EUR',
    amount,
    bookingDate: '2025-03-10',
    valueDate: '2025-03-10',
    reference: id,
    description: '',
  });
  const entries = new Map([
    ['L-1', entry('L-1', '60.00')],
    ['L-2', entry('L-2', '30.00')],
  ]);
  const reported = (ledgerIds: string[]): Generated => ({
    result: {
      matches: [],
      unmatched: [
        { side: 'statement', id: 'aaa:0:1', reason: 'SPLIT_INCOMPLETE', ageDays: 3, group: 'batch:B' },
        ...ledgerIds.map((id): UnmatchedItem => ({ side: 'ledger', id, reason: 'SPLIT_INCOMPLETE', ageDays: 3, group: 'batch:B' })),
      ],
    },
    lines: new Map([['aaa:0:1', line]]),
    entries,
  });

  it('the case follows the members the latest run reports, keeping its status, assignee, version and history', async () => {
    const { store, actions } = open();
    await importRunResult(store, runOf(reported(['L-1', 'L-2']), 'run-1'));
    const raised = (await store.get('group:batch:B'))!;
    const assigned = applyCaseAction(raised, { type: 'assign', assignee: 'bo@bank.example' }, reconciler, T0, 1);
    await store.save(assigned.next, assigned.event);

    await importRunResult(store, runOf(reported(['L-2']), 'run-2'));
    const later = (await store.get('group:batch:B'))!;
    expect(later.members!.map((member) => member.id)).toEqual(['aaa:0:1', 'L-2']);
    expect(later).toMatchObject({
      runId: 'run-2',
      version: 2,
      status: 'OPEN',
      assignee: 'bo@bank.example',
      ledgerEntryIds: ['L-2'],
      totals: [{ currency: 'EUR', statement: '100.00', ledger: '30.00', difference: '70.00' }],
    });
    expect(await actions('group:batch:B')).toEqual(['import', 'assign']);
    expect((await store.list({ search: 'l-2' })).map((c) => c.caseId)).toEqual(['group:batch:B']);
    // The entry it no longer holds is gone from its search text (a stale search index would still find it).
    expect((await store.list({ search: 'l-1' })).map((c) => c.caseId)).toEqual([]);
  });
});
