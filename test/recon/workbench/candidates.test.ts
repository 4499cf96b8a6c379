/**
 * Candidates with reasons (REC-MATCH-1 by hand): generated batches whose items sum to the line
 * are ranked first with "group sum equal"; reasons never claim an equality that does not hold
 * (checked against exact bigint arithmetic and the matcher's normalisation on generated rows);
 * amounts stay exact beyond float precision; bad rows are skipped, never ranked.
 */
import fc from 'fast-check';
import { type Candidate, candidateQuery, matchCandidateWrites, minorOf, type OpenRow, openRowsOf, rankCandidates, subjectOf, withinTolerance } from '../../../src/recon/workbench/candidates';
import { allowedDifference } from '../../../src/recon/matching/common';
import { normaliseReference } from '../../../src/recon/matching/rows';
import { compileRuleSet, defaultRuleSet } from '../../../src/recon/matching/rules';
import { WorkbenchError } from '../../../src/recon/workbench/cases';
import { exceptionCase, reconciler, viewer } from './helpers';

const RULES = compileRuleSet(defaultRuleSet());
const ACCOUNT = 'ACC-1';

function line(id: string, amount: string, extra: Partial<OpenRow> = {}): OpenRow {
  return { side: 'statement', id, caseId: `exception:statement:${id}`, accountId: ACCOUNT, currency: 'EUR', amount, day: '2026-03-10', references: [], ...extra };
}
function entry(id: string, amount: string, extra: Partial<OpenRow> = {}): OpenRow {
  return { side: 'ledger', id, caseId: `exception:ledger:${id}`, accountId: ACCOUNT, currency: 'EUR', amount, day: '2026-03-10', references: [], ...extra };
}

const cents = (minor: bigint): string => {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
};

const itemAmounts = fc.uniqueArray(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 2, maxLength: 8 });
const noiseAmounts = fc.array(fc.bigInt({ min: -(10n ** 10n), max: 10n ** 10n }), { maxLength: 12 });
/** How the items are tied to the line: one case group, a shared reference, or batch item references. */
const ties = fc.constantFrom('group', 'shared', 'batch');

function tie(kind: string, i: number): { line: Partial<OpenRow>; item: Partial<OpenRow> } {
  if (kind === 'group') return { line: { group: 'grp-1', caseId: 'group:grp-1' }, item: { group: 'grp-1', caseId: 'group:grp-1' } };
  if (kind === 'shared') return { line: { references: ['PAYRUN 77'] }, item: { references: ['payrun77'] } };
  return { line: { references: ['BATCH-42'] }, item: { references: [`BATCH-42/${String(i + 1).padStart(3, '0')}`] } };
}

describe('ranking', () => {
  test('a generated batch whose items sum to the line is ranked first, with "group sum equal" naming exactly its items', () => {
    fc.assert(
      fc.property(itemAmounts, noiseAmounts, ties, fc.option(fc.bigInt({ min: 1n, max: 10n ** 9n })), (items, noise, kind, extra) => {
        const target = items.reduce((a, b) => a + b, 0n);
        const subject = line('S1', cents(target), tie(kind, 0).line);
        const batch = items.map((amount, i) => entry(`I${i}`, cents(amount), tie(kind, i).item));
        // An extra tied item that is not part of the sum (distinct from every item: the sum's subset stays unique).
        const extras = extra !== null && !items.includes(extra) ? [entry('X-extra', cents(extra), tie(kind, 99).item)] : [];
        const others = noise.map((amount, i) => entry(`N${i}`, cents(amount), { day: '2026-03-01' }));
        const ranked = rankCandidates(subject, [...others, ...batch, ...extras]);
        const first = ranked[0]!;
        expect(first.kind).toBe('group');
        expect(first.rows.map((row) => row.id).sort()).toEqual(batch.map((row) => row.id).sort());
        expect(first.total).toBe(subject.amount);
        expect(first.reasons).toContainEqual(expect.objectContaining({ field: 'group', verdict: 'sum-equal', items: items.length }));
      }),
      { numRuns: 300 },
    );
  });

  const reference = fc.constantFrom('', 'REF-1', 'ref 1', 'REF-2', 'BATCH-9', 'BATCH-9/001', 'batch-9-2', 'NONREF', 'N/A');
  const amount = fc.oneof(
    fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }).map(cents),
    fc.constantFrom('100.00', '100.01', '100.50', '100.51', '99.50', '99.49', '-100.00', '1e3', '', '12.345', 'abc'),
  );
  const row = fc.record({
    side: fc.constantFrom<'statement' | 'ledger'>('statement', 'ledger', 'ledger'),
    id: fc.stringMatching(/^[A-Z][0-9]{1,3}$/),
    amount,
    currency: fc.constantFrom('EUR', 'EUR', 'EUR', 'JPY'),
    accountId: fc.constantFrom(ACCOUNT, ACCOUNT, ACCOUNT, 'OTHER'),
    day: fc.option(
      fc.integer({ min: 0, max: 40 }).map((d) => `2026-03-${String(1 + (d % 28)).padStart(2, '0')}`),
      { nil: undefined },
    ),
    references: fc.array(reference, { maxLength: 2 }).map((refs) => refs.filter((ref) => ref !== '')),
    group: fc.option(fc.constantFrom('grp-a', 'grp-b'), { nil: undefined }),
  });

  const exactSum = (candidate: Candidate): bigint => candidate.rows.reduce((sum, r) => sum + minorOf(r.amount, r.currency)!, 0n);
  const normalised = (refs: readonly string[]) => refs.map((ref) => normaliseReference(ref, RULES.ignoreReferences)).filter((ref): ref is string => ref !== undefined);

  test('reasons never claim an equality that does not hold; totals and differences are exact (generated rows)', () => {
    fc.assert(
      fc.property(
        row.map((r) => ({
          ...r,
          side: 'statement' as const,
          accountId: ACCOUNT,
          currency: 'EUR',
          caseId: 'exception:statement:subject',
          id: 'SUBJECT',
          amount: r.amount.match(/^-?\d+\.\d\d$/) ? r.amount : '100.00',
        })),
        fc.array(row, { maxLength: 25 }),
        (subjectRow, rows) => {
          const subject: OpenRow = { ...subjectRow, ...(subjectRow.day ? {} : { day: undefined }) } as OpenRow;
          const target = minorOf(subject.amount, 'EUR')!;
          const ranked = rankCandidates(
            subject,
            rows.map((r) => ({ ...r, caseId: `exception:${r.side}:${r.id}` }) as OpenRow),
          );
          for (const candidate of ranked) {
            // Only the other side, the same account and currency, with exact amounts.
            for (const r of candidate.rows) {
              expect(r.side).toBe('ledger');
              expect(r.accountId).toBe(ACCOUNT);
              expect(r.currency).toBe('EUR');
              expect(minorOf(r.amount, 'EUR')).toBeDefined();
            }
            const sum = exactSum(candidate);
            expect(minorOf(candidate.total, 'EUR')).toBe(sum);
            for (const reason of candidate.reasons) {
              if (reason.field === 'amount') {
                const diff = sum - target;
                expect(minorOf(reason.difference, 'EUR')).toBe(diff);
                if (reason.verdict === 'equal') expect(diff).toBe(0n);
                else expect(diff).not.toBe(0n);
                if (reason.verdict === 'within-tolerance') expect((diff < 0n ? -diff : diff) <= minorOf(reason.allowed!, 'EUR')!).toBe(true);
              }
              if (reason.field === 'group') {
                expect(minorOf(reason.sum, 'EUR')).toBe(sum);
                expect(minorOf(reason.difference, 'EUR')).toBe(sum - target);
                expect(reason.verdict === 'sum-equal').toBe(sum === target);
              }
              if (reason.field === 'reference' && candidate.kind === 'single') {
                const other = candidate.rows[0]!;
                if (reason.verdict === 'equal') expect(subject.references.some((ref) => other.references.includes(ref))).toBe(true);
                if (reason.verdict === 'equal-normalised') expect(normalised(subject.references).some((ref) => normalised(other.references).includes(ref))).toBe(true);
                if (reason.verdict === 'same-group') expect(subject.group !== undefined && subject.group === other.group).toBe(true);
                if (reason.verdict === 'none') {
                  expect(normalised(subject.references).some((ref) => normalised(other.references).includes(ref))).toBe(false);
                  expect(subject.group !== undefined && subject.group === other.group).toBe(false);
                }
              }
              if (reason.field === 'date' && reason.days !== null && candidate.kind === 'single') {
                const other = candidate.rows[0]!;
                expect(reason.days).toBe(Math.abs(Date.parse(`${subject.day}T00:00:00Z`) - Date.parse(`${other.day}T00:00:00Z`)) / 86_400_000);
              }
            }
          }
          // Ranked: scores never increase.
          for (let i = 1; i < ranked.length; i += 1) expect(ranked[i]!.score).toBeLessThanOrEqual(ranked[i - 1]!.score);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('amounts beyond float precision are summed exactly', () => {
    // 9007199254740993 minor units: not a double. A float sum of the items would be off by one cent.
    const subject = line('S', '90071992547409.93', { group: 'g', caseId: 'group:g' });
    const items = [entry('A', '90071992547409.90', { group: 'g', caseId: 'group:g' }), entry('B', '0.03', { group: 'g', caseId: 'group:g' })];
    const near = entry('C', '90071992547409.92');
    const ranked = rankCandidates(subject, [...items, near]);
    expect(ranked[0]!.kind).toBe('group');
    expect(ranked[0]!.total).toBe('90071992547409.93');
    const single = ranked.find((c) => c.key === 'ledger:C')!;
    expect(single.reasons).toContainEqual(expect.objectContaining({ field: 'amount', verdict: 'within-tolerance', difference: '-0.01' }));
  });

  test('the tolerance is the rule set\'s (0.50 or 0.5 %), "within" only inside it', () => {
    const subject = line('S', '100.00');
    const reasonFor = (amount: string) => rankCandidates(subject, [entry('E', amount)])[0]!.reasons.find((r) => r.field === 'amount')!;
    expect(reasonFor('100.00')).toMatchObject({ verdict: 'equal' });
    expect(reasonFor('100.50')).toMatchObject({ verdict: 'within-tolerance', difference: '0.50', allowed: '0.50' });
    expect(reasonFor('100.51')).toMatchObject({ verdict: 'differs', difference: '0.51' });
    expect(reasonFor('99.49')).toMatchObject({ verdict: 'differs', difference: '-0.51' });
  });

  test("the exact tolerance agrees with the matcher's allowedDifference wherever that one is exact (generated)", () => {
    const tolerance = RULES.rules.find((rule) => rule.kind === 'tolerance')!.tolerance;
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 9), max: 10 ** 9 }), fc.integer({ min: -(10 ** 9), max: 10 ** 9 }), fc.constantFrom('EUR', 'JPY'), (a, b, currency) => {
        const diff = Math.abs(a - b);
        if (diff === 0) return;
        const expected = allowedDifference(tolerance, tolerance.absoluteFor(currency), a, b, diff);
        const got = withinTolerance(tolerance, currency, BigInt(a), BigInt(b), BigInt(diff));
        expect(got === undefined ? -1 : Number(got)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  test('bad rows are skipped and a subject without an exact amount has no candidates', () => {
    const subject = line('S', '10.00');
    const rows = [
      entry('bad1', '1e1'),
      entry('bad2', '10.001'),
      entry('bad3', ''),
      entry('other-account', '10.00', { accountId: 'X' }),
      entry('other-ccy', '10', { currency: 'JPY' }),
      line('same-side', '10.00'),
    ];
    expect(rankCandidates(subject, rows)).toEqual([]);
    expect(rankCandidates(line('S', 'ten'), [entry('E', '10.00')])).toEqual([]);
  });

  test("the lookup asks for the subject's normalised references and batch keys, its exact amount and case", () => {
    const query = candidateQuery(line('S', '-12.34', { references: ['batch 7/002', 'NONREF'] }));
    expect(query).toMatchObject({ side: 'ledger', accountId: ACCOUNT, currency: 'EUR', amountMinor: -1234n, caseId: 'exception:statement:S' });
    expect(query.references.sort()).toEqual(['BATCH7', 'BATCH7/002']);
  });
});

describe('rows of a case', () => {
  test('a grouped case stands for its members; a lone case for its row; a proposed match for none', () => {
    const grouped = exceptionCase({
      caseId: 'group:grp-1',
      group: 'grp-1',
      asOf: '2026-03-10',
      members: [
        { side: 'statement', id: 'S1', reason: 'SPLIT_INCOMPLETE', ageDays: 2, accountId: ACCOUNT, currency: 'EUR', amount: '30.00', bankReference: 'B-1' },
        { side: 'ledger', id: 'L1', reason: 'SPLIT_INCOMPLETE', ageDays: 3, accountId: ACCOUNT, currency: 'EUR', amount: '10.00', bankReference: 'B-1' },
      ],
    });
    expect(openRowsOf(grouped)).toEqual([
      { side: 'statement', id: 'S1', caseId: 'group:grp-1', accountId: ACCOUNT, currency: 'EUR', amount: '30.00', day: '2026-03-08', references: ['B-1'], group: 'grp-1' },
      // A ledger member's bank reference is its candidate line's: never claimed as its own.
      { side: 'ledger', id: 'L1', caseId: 'group:grp-1', accountId: ACCOUNT, currency: 'EUR', amount: '10.00', day: '2026-03-07', references: [], group: 'grp-1' },
    ]);
    expect(subjectOf(grouped)!.id).toBe('S1');
    expect(openRowsOf(exceptionCase({ caseId: 'exception:ledger:L9', accountId: ACCOUNT, amount: '5.00' }))).toEqual([
      { side: 'ledger', id: 'L9', caseId: 'exception:ledger:L9', accountId: ACCOUNT, currency: 'EUR', amount: '5.00', references: [] },
    ]);
    expect(openRowsOf(exceptionCase({ kind: 'proposed-match', caseId: 'match:m' }))).toEqual([]);
  });
});

describe('matching a candidate', () => {
  const subjectCase = exceptionCase({ caseId: 'exception:statement:S', accountId: ACCOUNT, amount: '30.00', version: 4 });
  const subject = subjectOf(subjectCase)!;
  const a = exceptionCase({ caseId: 'exception:ledger:A', accountId: ACCOUNT, amount: '10.00', side: 'ledger', version: 2 });
  const b = exceptionCase({ caseId: 'exception:ledger:B', accountId: ACCOUNT, amount: '20.00', side: 'ledger', version: 7 });
  const candidate: Candidate = {
    key: 'ledger:A+B',
    kind: 'group',
    side: 'ledger',
    rows: [...openRowsOf(a), ...openRowsOf(b)],
    caseIds: [a.caseId, b.caseId],
    total: '30.00',
    score: 1000,
    reasons: [{ field: 'group', verdict: 'sum-equal', sum: '30.00', difference: '0.00', items: 2, of: 2, text: 'group sum equal' }],
  };
  const cases = new Map([
    [a.caseId, a],
    [b.caseId, b],
  ]);

  test("one action resolves the line and every item's case, each one version on with its history event", () => {
    const writes = matchCandidateWrites({ subjectCase, subject, candidate, cases, actor: reconciler, at: '2026-03-11T10:00:00Z', expectedVersion: 4 });
    expect(writes.map((w) => [w.next.caseId, w.next.status, w.next.version, w.event.action, w.next.resolution?.kind])).toEqual([
      ['exception:statement:S', 'RESOLVED', 5, 'resolve', 'MATCHED_MANUALLY'],
      ['exception:ledger:A', 'RESOLVED', 3, 'resolve', 'MATCHED_MANUALLY'],
      ['exception:ledger:B', 'RESOLVED', 8, 'resolve', 'MATCHED_MANUALLY'],
    ]);
    expect(writes[0]!.next.resolution!.ledgerEntryIds).toEqual(['A', 'B']);
    expect(writes[0]!.event.note).toContain('group sum equal');
  });

  test('refused: a stale version, a viewer, and a candidate holding part of another grouped case', () => {
    expect(() => matchCandidateWrites({ subjectCase, subject, candidate, cases, actor: reconciler, at: 'now', expectedVersion: 3 })).toThrow(/changed since you opened it/);
    expect(() => matchCandidateWrites({ subjectCase, subject, candidate, cases, actor: viewer, at: 'now', expectedVersion: 4 })).toThrow(WorkbenchError);
    const grouped = exceptionCase({
      caseId: 'group:g2',
      group: 'g2',
      members: [
        { side: 'ledger', id: 'A', reason: 'UNMATCHED', ageDays: 1, accountId: ACCOUNT, currency: 'EUR', amount: '10.00' },
        { side: 'ledger', id: 'Z', reason: 'UNMATCHED', ageDays: 1, accountId: ACCOUNT, currency: 'EUR', amount: '99.00' },
      ],
    });
    const partial: Candidate = { ...candidate, key: 'ledger:A', rows: openRowsOf(grouped).filter((r) => r.id === 'A'), caseIds: ['group:g2'] };
    expect(() => matchCandidateWrites({ subjectCase, subject, candidate: partial, cases: new Map([['group:g2', grouped]]), actor: reconciler, at: 'now', expectedVersion: 4 })).toThrow(
      /case group:g2 also holds ledger Z/,
    );
  });
});
