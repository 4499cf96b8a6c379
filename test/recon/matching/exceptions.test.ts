import { defaultRuleSet, matchAll } from '../../../src/recon/matching';
import { AS_OF, entry, expectEachRowOnce, line, reasonOf, summary } from './helpers';

const rules = defaultRuleSet();

describe('reason codes of unmatched rows', () => {
  it('UNMATCHED, with the age in days relative to the as-of date passed in', () => {
    const lines = [line({ id: 's1', amount: '12.00', bookingDate: '2025-06-20' })];
    const entries = [entry({ id: 'l1', amount: '-99.00', bookingDate: '2025-06-25', valueDate: '2025-06-25' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.unmatched).toEqual([
      { side: 'statement', id: 's1', reason: 'UNMATCHED', ageDays: 10 },
      { side: 'ledger', id: 'l1', reason: 'UNMATCHED', ageDays: 5 },
    ]);
    expect(matchAll(lines, entries, rules, '2025-07-05').unmatched.map((item) => item.ageDays)).toEqual([15, 10]);
  });

  it('STALE when older than staleAfterDays (30 by default), on both sides', () => {
    const lines = [line({ id: 's1', amount: '12.00', bookingDate: '2025-05-30', valueDate: '2025-05-30' })];
    const entries = [entry({ id: 'l1', amount: '-99.00', bookingDate: '2025-05-31', valueDate: '2025-05-31' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.unmatched).toEqual([
      { side: 'statement', id: 's1', reason: 'STALE', ageDays: 31, detail: 'unmatched for 31 days (stale after 30)' },
      { side: 'ledger', id: 'l1', reason: 'UNMATCHED', ageDays: 30 },
    ]);
  });

  it('AMOUNT_MISMATCH when a same-reference counterpart differs beyond tolerance', () => {
    const lines = [line({ id: 's1', amount: '100.00', endToEndId: 'E2E-77' })];
    const entries = [entry({ id: 'l1', amount: '90.00', reference: 'e2e-77', bookingDate: '2025-06-02', valueDate: '2025-06-02' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.matches).toEqual([]);
    expect(result.unmatched).toEqual([
      { side: 'statement', id: 's1', reason: 'AMOUNT_MISMATCH', ageDays: 10, candidateId: 'l1', detail: 'same reference; amounts differ by 10.00 (100.00 vs 90.00)' },
      { side: 'ledger', id: 'l1', reason: 'AMOUNT_MISMATCH', ageDays: 28, candidateId: 's1', detail: 'same reference; amounts differ by 10.00 (90.00 vs 100.00)' },
    ]);
  });

  it('AMOUNT_MISMATCH when an unmatched same-date counterpart differs by at most 10% (but beyond tolerance)', () => {
    const lines = [line({ id: 's1', amount: '-100.00' }), line({ id: 's2', amount: '-500.00' })];
    const entries = [entry({ id: 'l1', amount: '-95.00', reference: 'PAY-1' }), entry({ id: 'l2', amount: '-96.50', reference: 'PAY-2', bookingDate: '2025-06-21', valueDate: '2025-06-21' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.matches).toEqual([]);
    expect(reasonOf(result, 's1')).toEqual(expect.objectContaining({ reason: 'AMOUNT_MISMATCH', candidateId: 'l1' }));
    expect(reasonOf(result, 's2')?.reason).toBe('UNMATCHED'); // 400.00 apart: not a mismatch, just unmatched
    expect(reasonOf(result, 'l1')).toEqual(expect.objectContaining({ reason: 'AMOUNT_MISMATCH', candidateId: 's1' }));
    expect(reasonOf(result, 'l2')?.reason).toBe('UNMATCHED'); // a day later: the window is 0 days
  });

  it('DUPLICATE: the same statement line delivered twice (the copy is withheld; the first is matched)', () => {
    const original = line({ id: 's1', amount: '75.00', endToEndId: 'E2E-DUP', bankReference: 'ACCT-1' });
    const lines = [original, { ...original, statementLineId: 's2' }];
    const entries = [entry({ id: 'l1', amount: '75.00', reference: 'E2E-DUP' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(summary(result)).toEqual(['e2e-exact:confirmed:s1=l1']);
    expect(result.unmatched).toEqual([{ side: 'statement', id: 's2', reason: 'DUPLICATE', ageDays: 10, detail: 'same account, amount, dates and references as statement line s1 (matched)' }]);
  });

  it('DUPLICATE: both copies unmatched, the first stays UNMATCHED and the second is its DUPLICATE', () => {
    const original = line({ id: 's1', amount: '75.00', endToEndId: 'E2E-ORPHAN', bookingDate: '2025-05-01', valueDate: '2025-05-01' });
    const result = matchAll([{ ...original, statementLineId: 's2' }, original], [], rules, AS_OF);
    expect(result.unmatched.map((item) => [item.id, item.reason, item.ageDays])).toEqual([
      ['s1', 'STALE', 60],
      ['s2', 'DUPLICATE', 60],
    ]);
  });

  it('DUPLICATE: a ledger entry recorded twice; the copy is not offered to later rules', () => {
    const posted = entry({ id: 'l1', amount: '-42.00', reference: 'SUPPLIER-INV-9' });
    const lines = [
      line({ id: 's1', amount: '-42.00', customerReference: 'SUPPLIER-INV-9' }),
      line({ id: 's2', amount: '-42.00', bankReference: 'UNRELATED' }), // amount-date would otherwise take the copy
    ];
    const result = matchAll(lines, [posted, { ...posted, entryId: 'l2' }], rules, AS_OF);
    expect(summary(result)).toEqual(['bankref-exact:confirmed:s1=l1']);
    expect(reasonOf(result, 'l2')).toEqual(expect.objectContaining({ reason: 'DUPLICATE', detail: 'same account, amount, dates and reference as ledger entry l1 (matched)' }));
    expect(reasonOf(result, 's2')?.reason).toBe('UNMATCHED');
  });

  it('identical rows without any reference are not called duplicates (two equal coffees)', () => {
    const coffee = line({ id: 's1', amount: '-3.50', bankReference: undefined });
    const result = matchAll([coffee, { ...coffee, statementLineId: 's2' }], [], rules, AS_OF);
    expect(result.unmatched.map((item) => item.reason)).toEqual(['UNMATCHED', 'UNMATCHED']);
  });

  it('SPLIT_INCOMPLETE: a batch booking whose ledger items only partly exist (head and items)', () => {
    const lines = [line({ id: 's1', amount: '60.00', endToEndId: 'BATCH-Q', batchItemCount: 3 })];
    const entries = [entry({ id: 'l1', amount: '10.00', reference: 'BATCH-Q-001' }), entry({ id: 'l2', amount: '20.00', reference: 'BATCH-Q-002' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.matches).toEqual([]);
    expect(result.unmatched).toEqual([
      {
        side: 'statement',
        id: 's1',
        reason: 'SPLIT_INCOMPLETE',
        ageDays: 10,
        candidateId: 'l1',
        detail: 'batch booking of 3 items: 2 unmatched ledger item(s) found summing to 30.00, line amount 60.00',
        group: expect.stringMatching(/^grp-[0-9a-f]{16}$/),
      },
      { side: 'ledger', id: 'l1', reason: 'SPLIT_INCOMPLETE', ageDays: 10, candidateId: 's1', detail: 'item of batch booking s1 whose items do not sum to it', group: expect.any(String) },
      { side: 'ledger', id: 'l2', reason: 'SPLIT_INCOMPLETE', ageDays: 10, candidateId: 's1', detail: 'item of batch booking s1 whose items do not sum to it', group: expect.any(String) },
    ]);
    // REC-CASE-1: the booking and its items are one case.
    expect(new Set(result.unmatched.map((item) => item.group)).size).toBe(1);
  });

  it('SPLIT_INCOMPLETE: a ledger entry split over statement lines that do not add up', () => {
    const lines = [line({ id: 's1', amount: '400.00', endToEndId: 'INV-5/1' })];
    const entries = [entry({ id: 'l1', amount: '1000.00', reference: 'INV-5' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(reasonOf(result, 's1')).toEqual(expect.objectContaining({ reason: 'SPLIT_INCOMPLETE', candidateId: 'l1' }));
    expect(reasonOf(result, 'l1')).toEqual(
      expect.objectContaining({ reason: 'SPLIT_INCOMPLETE', candidateId: 's1', detail: '1 unmatched statement part(s) found summing to 400.00, entry amount 1000.00' }),
    );
  });

  it('a batch booking with a declared item count but no ledger items at all is simply unmatched', () => {
    const result = matchAll([line({ id: 's1', amount: '60.00', endToEndId: 'BATCH-Z', batchItemCount: 3 })], [], rules, AS_OF);
    expect(result.unmatched).toEqual([{ side: 'statement', id: 's1', reason: 'UNMATCHED', ageDays: 10 }]);
  });

  it('every row ends up exactly once, matched or unmatched', () => {
    const lines = [line({ id: 's1', amount: '60.00', endToEndId: 'BATCH-Q', batchItemCount: 3 }), line({ id: 's2', amount: '100.00', endToEndId: 'E2E-77' }), line({ id: 's3', amount: '7.00' })];
    const entries = [entry({ id: 'l1', amount: '10.00', reference: 'BATCH-Q-001' }), entry({ id: 'l2', amount: '90.00', reference: 'E2E-77' }), entry({ id: 'l3', amount: '7.00' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expectEachRowOnce(result, lines, entries);
    expect(summary(result)).toEqual(['amount-date:confirmed:s3=l3']);
  });
});
