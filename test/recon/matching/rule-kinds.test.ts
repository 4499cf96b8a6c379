import { matchAll, matchPartition, defaultRuleSet } from '../../../src/recon/matching';
import { AS_OF, entry, expectEachRowOnce, line, onlyRules, reasonOf, summary, withRules } from './helpers';

const rules = defaultRuleSet();

describe('exact reference', () => {
  it('matches the ledger reference to the end-to-end id, ignoring case and whitespace, confidence reduced by date distance', () => {
    const lines = [line({ id: 's1', amount: '250.00', endToEndId: 'E2E-ABC-42' })];
    const entries = [entry({ id: 'l1', amount: '250.00', reference: ' e2e-abc -42 ', bookingDate: '2025-06-18', valueDate: '2025-06-18' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.matches).toEqual([expect.objectContaining({ ruleId: 'e2e-exact', confidence: 0.996, status: 'confirmed', statementLineIds: ['s1'], ledgerEntryIds: ['l1'] })]);
    expect(result.unmatched).toEqual([]);
  });

  it('matches on the bank reference and on the customer reference; NOTPROVIDED identifies nothing', () => {
    const lines = [
      line({ id: 's1', amount: '10.00', bankReference: 'ACCTSVCR-1' }),
      line({ id: 's2', amount: '20.00', endToEndId: 'NOTPROVIDED', customerReference: 'INV-7781' }),
      line({ id: 's3', amount: '30.00', endToEndId: 'NOTPROVIDED', bookingDate: '2025-06-01', valueDate: '2025-06-01' }),
    ];
    const entries = [
      entry({ id: 'l1', amount: '10.00', reference: 'acctsvcr-1' }),
      entry({ id: 'l2', amount: '20.00', reference: 'INV-7781' }),
      entry({ id: 'l3', amount: '30.00', reference: 'NOTPROVIDED', bookingDate: '2025-06-20', valueDate: '2025-06-20' }),
    ];
    const result = matchAll(lines, entries, onlyRules('bankref-exact', 'e2e-exact'), AS_OF);
    expect(summary(result)).toEqual(['bankref-exact:confirmed:s1=l1', 'bankref-exact:confirmed:s2=l2']);
    expect(reasonOf(result, 's3')?.reason).toBe('UNMATCHED');
  });

  it('requires equal amounts unless the rule has a tolerance (a fee deducted)', () => {
    const lines = [line({ id: 's1', amount: '99.60', endToEndId: 'E2E-1' })];
    const entries = [entry({ id: 'l1', amount: '100.00', reference: 'E2E-1' })];
    expect(matchAll(lines, entries, onlyRules('e2e-exact'), AS_OF).matches).toEqual([]);
    const result = matchAll(lines, entries, onlyRules('e2e-exact', 'reference-tolerance'), AS_OF);
    // 0.95 - 0.04 * (0.40 / 0.50)
    expect(result.matches).toEqual([expect.objectContaining({ ruleId: 'reference-tolerance', confidence: 0.918, status: 'confirmed' })]);
  });

  it('a statement line without dates still matches by reference, at the edge of the window', () => {
    const lines = [line({ id: 's1', amount: '5.00', endToEndId: 'E2E-ND', bookingDate: null, valueDate: null })];
    const entries = [entry({ id: 'l1', amount: '5.00', reference: 'E2E-ND' })];
    const result = matchAll(lines, entries, onlyRules('e2e-exact'), AS_OF);
    expect(result.matches).toEqual([expect.objectContaining({ ruleId: 'e2e-exact', confidence: 0.938 })]); // 1 - 31 * 0.002
  });
});

describe('amount + date window', () => {
  it('matches the same amount within the window, on booking or value date', () => {
    const lines = [line({ id: 's1', amount: '-42.17', bookingDate: '2025-06-20', valueDate: '2025-06-21' }), line({ id: 's2', amount: '73.00', bookingDate: '2025-06-10', valueDate: '2025-06-20' })];
    const entries = [
      entry({ id: 'l1', amount: '-42.17', bookingDate: '2025-06-21', valueDate: '2025-06-21' }),
      entry({ id: 'l2', amount: '73.00', bookingDate: '2025-06-20', valueDate: '2025-06-20' }),
    ];
    const result = matchAll(lines, entries, onlyRules('amount-date'), AS_OF);
    expect(result.matches.map((m) => [m.statementLineIds[0], m.ledgerEntryIds[0], m.confidence])).toEqual([
      ['s1', 'l1', 0.95], // value dates equal
      ['s2', 'l2', 0.95], // value date equal although booking dates are 10 days apart
    ]);
  });

  it('does not match outside the window, nor a different amount or sign', () => {
    const lines = [line({ id: 's1', amount: '73.00', bookingDate: '2025-06-10', valueDate: '2025-06-10' }), line({ id: 's2', amount: '-5.00' })];
    const entries = [entry({ id: 'l1', amount: '73.00', bookingDate: '2025-06-14', valueDate: '2025-06-14' }), entry({ id: 'l2', amount: '5.00' })];
    expect(matchAll(lines, entries, onlyRules('amount-date'), AS_OF).matches).toEqual([]);
  });
});

describe('tolerance', () => {
  it('matches within the absolute tolerance, proposed (base 0.85), penalised by the difference', () => {
    const lines = [line({ id: 's1', amount: '99.60' })];
    const entries = [entry({ id: 'l1', amount: '100.00' })];
    const result = matchAll(lines, entries, onlyRules('tolerance'), AS_OF);
    expect(result.matches).toEqual([expect.objectContaining({ ruleId: 'tolerance', confidence: 0.77, status: 'proposed' })]);
  });

  it('matches within the percentage on large amounts and rejects beyond both', () => {
    const lines = [line({ id: 's1', amount: '9955.00' }), line({ id: 's2', amount: '98.00' })];
    const entries = [entry({ id: 'l1', amount: '10000.00' }), entry({ id: 'l2', amount: '100.00' })];
    const result = matchAll(lines, entries, onlyRules('tolerance'), AS_OF);
    expect(summary(result)).toEqual(['tolerance:proposed:s1=l1']); // 45.00 <= 0.5% of 10,000.00
    expect(reasonOf(result, 's2')?.reason).toBe('AMOUNT_MISMATCH'); // 2.00 > 0.50 and > 0.5%
  });

  it('uses the per-currency absolute tolerance (JPY has no minor unit)', () => {
    const jpy = { currency: 'JPY' };
    const lines = [line({ id: 's1', amount: '15000', ...jpy }), line({ id: 's2', amount: '2000', ...jpy })];
    const entries = [entry({ id: 'l1', amount: '15040', ...jpy }), entry({ id: 'l2', amount: '2060', ...jpy })];
    const result = matchAll(lines, entries, onlyRules('tolerance'), AS_OF);
    expect(summary(result)).toEqual(['tolerance:proposed:s1=l1']); // 40 <= 50 JPY; 60 > 50 and > 0.5% of 2060
  });
});

describe('one-to-many (batch booking vs its ledger items)', () => {
  const batch = [line({ id: 's1', amount: '-60.00', customerReference: 'PAYROLL-2025-06', batchItemCount: 3 })];
  const items = [
    entry({ id: 'l1', amount: '-10.00', reference: 'PAYROLL-2025-06-001' }),
    entry({ id: 'l2', amount: '-20.00', reference: 'payroll-2025-06/2', bookingDate: '2025-06-19', valueDate: '2025-06-19' }),
    entry({ id: 'l3', amount: '-30.00', reference: 'PAYROLL-2025-06-003' }),
  ];

  it('groups the items whose reference is the batch reference plus an item suffix and sum exactly', () => {
    const result = matchAll(batch, items, rules, AS_OF);
    expect(result.matches).toEqual([expect.objectContaining({ ruleId: 'batch-by-reference', confidence: 0.965, status: 'confirmed', statementLineIds: ['s1'], ledgerEntryIds: ['l1', 'l2', 'l3'] })]);
    expect(result.unmatched).toEqual([]);
  });

  it('finds the exact subset when an extra item carries the batch reference, with a lower confidence', () => {
    const extra = entry({ id: 'l4', amount: '-5.00', reference: 'PAYROLL-2025-06-004' });
    const result = matchAll(batch, [...items, extra], rules, AS_OF);
    expect(summary(result)).toEqual(['batch-by-reference:proposed:s1=l1+l2+l3']);
    expect(result.matches[0]!.confidence).toBe(0.865); // 0.97 - 0.005 (1 day) - 0.1 (subset)
    expect(reasonOf(result, 'l4')?.reason).toBe('UNMATCHED'); // not part of the (matched) batch
  });

  it('groups unreferenced items by exact sum (bounded search), proposed', () => {
    const lines = [line({ id: 's1', amount: '75.25' })];
    const entries = [entry({ id: 'l1', amount: '25.25', reference: 'TILL-A' }), entry({ id: 'l2', amount: '50.00', reference: 'TILL-B' }), entry({ id: 'l3', amount: '3.10', reference: 'TILL-C' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(summary(result)).toEqual(['batch-by-amount:proposed:s1=l1+l2']);
    expect(result.matches[0]!.confidence).toBe(0.75);
  });
});

describe('many-to-one (several statement lines vs one ledger entry)', () => {
  it('groups statement parts referenced <ledger reference>/<n> that sum exactly', () => {
    const lines = [line({ id: 's1', amount: '400.00', endToEndId: 'INV-9/1' }), line({ id: 's2', amount: '600.00', endToEndId: 'INV-9/2', bookingDate: '2025-06-22', valueDate: '2025-06-22' })];
    const entries = [entry({ id: 'l1', amount: '1000.00', reference: 'INV-9' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.matches).toEqual([expect.objectContaining({ ruleId: 'split-by-reference', confidence: 0.95, status: 'confirmed', statementLineIds: ['s1', 's2'], ledgerEntryIds: ['l1'] })]);
  });

  it('groups unreferenced statement lines by exact sum', () => {
    const lines = [line({ id: 's1', amount: '-12.00' }), line({ id: 's2', amount: '-30.00' }), line({ id: 's3', amount: '-8.50' })];
    const entries = [entry({ id: 'l1', amount: '-50.50', reference: 'CARD-SETTLEMENT' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(summary(result)).toEqual(['split-by-amount:proposed:s1+s2+s3=l1']);
    expect(result.matches[0]!.confidence).toBe(0.72); // 0.75 - 0.03 (third item)
  });
});

describe('one-use guarantee', () => {
  it('a row that two rules could match is used by the higher-priority rule only', () => {
    const lines = [line({ id: 's1', amount: '80.00', endToEndId: 'E2E-1' }), line({ id: 's2', amount: '80.00' })];
    const entries = [entry({ id: 'l1', amount: '80.00', reference: 'E2E-1' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(summary(result)).toEqual(['e2e-exact:confirmed:s1=l1']);
    expect(reasonOf(result, 's2')?.reason).toBe('UNMATCHED');
    expectEachRowOnce(result, lines, entries);
  });

  it('the priority order, not the file order, decides: a higher-priority rule listed last still runs first', () => {
    const lines = [line({ id: 's1', amount: '80.00', endToEndId: 'E2E-1' }), line({ id: 's2', amount: '80.00' })];
    const entries = [entry({ id: 'l1', amount: '80.00', reference: 'E2E-1' })];
    const base = defaultRuleSet();
    const reversed = withRules(structuredClone([...base.rules].reverse()));
    expect(summary(matchAll(lines, entries, reversed, AS_OF))).toEqual(['e2e-exact:confirmed:s1=l1']);
  });

  it('an item cannot join two groups: two batch bookings with the same reference compete for one set of items', () => {
    const lines = [line({ id: 's1', amount: '30.00', endToEndId: 'B-77' }), line({ id: 's2', amount: '30.00', endToEndId: 'B-77', bookingDate: '2025-06-21', valueDate: '2025-06-21' })];
    const entries = [entry({ id: 'l1', amount: '10.00', reference: 'B-77-1' }), entry({ id: 'l2', amount: '20.00', reference: 'B-77-2' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(summary(result)).toEqual(['batch-by-reference:confirmed:s1=l1+l2']);
    expect(reasonOf(result, 's2')?.reason).toBe('UNMATCHED');
    expectEachRowOnce(result, lines, entries);
  });

  it('amount grouping never reuses an item across heads', () => {
    const lines = [line({ id: 's1', amount: '30.00' }), line({ id: 's2', amount: '30.00', bankReference: 'OTHER' })];
    const entries = [entry({ id: 'l1', amount: '10.00', reference: 'X1' }), entry({ id: 'l2', amount: '20.00', reference: 'X2' })];
    const result = matchAll(lines, entries, onlyRules('batch-by-amount'), AS_OF);
    expect(summary(result)).toEqual(['batch-by-amount:proposed:s1=l1+l2']);
    expectEachRowOnce(result, lines, entries);
  });
});

describe('ties', () => {
  it('two equally good candidates: the smaller ledger id wins and the match is only proposed', () => {
    const lines = [line({ id: 's1', amount: '19.99' })];
    const entries = [entry({ id: 'l-b', amount: '19.99', reference: 'R2' }), entry({ id: 'l-a', amount: '19.99', reference: 'R1' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(summary(result)).toEqual(['amount-date:proposed:s1=l-a']);
    expect(result.matches[0]!.confidence).toBe(0.65); // 0.95 - 0.3 ambiguity
    expect(reasonOf(result, 'l-b')?.reason).toBe('UNMATCHED');
  });

  it('a closer date is not a tie: the nearer candidate is confirmed', () => {
    const lines = [line({ id: 's1', amount: '19.99' })];
    const entries = [
      entry({ id: 'l-a', amount: '19.99', bookingDate: '2025-06-22', valueDate: '2025-06-22' }),
      entry({ id: 'l-b', amount: '19.99', bookingDate: '2025-06-20', valueDate: '2025-06-20' }),
    ];
    expect(summary(matchAll(lines, entries, rules, AS_OF))).toEqual(['amount-date:confirmed:s1=l-b']);
  });

  it('indistinguishable twins are not ambiguous: the first takes the match, the copy is a DUPLICATE', () => {
    const original = line({ id: 's1', amount: '55.00', endToEndId: 'E2E-D' });
    const lines = [{ ...original, statementLineId: 's2' }, original];
    const entries = [entry({ id: 'l1', amount: '55.00', reference: 'E2E-D' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(summary(result)).toEqual(['e2e-exact:confirmed:s1=l1']);
    expect(reasonOf(result, 's2')).toEqual(expect.objectContaining({ reason: 'DUPLICATE', ageDays: 10 }));
  });

  it('equally ranked pairs are taken fewest-alternatives first, so both rows match (both proposed)', () => {
    // s1 could take l1 or l2; s2 only l1. Greedy by id alone would leave s2 unmatched.
    const lines = [line({ id: 's1', amount: '40.00', bookingDate: '2025-06-20', valueDate: '2025-06-20' }), line({ id: 's2', amount: '40.00', bookingDate: '2025-06-25', valueDate: '2025-06-20' })];
    const entries = [
      entry({ id: 'l1', amount: '40.00', bookingDate: '2025-06-20', valueDate: '2025-06-20' }),
      entry({ id: 'l2', amount: '40.00', bookingDate: '2025-06-20', valueDate: '2025-06-25' }),
    ];
    const result = matchAll(lines, entries, onlyRules('amount-date'), AS_OF);
    expect(summary(result)).toEqual(['amount-date:proposed:s1=l2', 'amount-date:proposed:s2=l1']);
  });
});

describe('confidence threshold', () => {
  const lines = [line({ id: 's1', amount: '12.34', bookingDate: '2025-06-19', valueDate: '2025-06-19' })];
  const entries = [entry({ id: 'l1', amount: '12.34' })];

  it('confirms at or above the threshold and proposes below it', () => {
    const at = matchPartition({ statementLines: lines, ledgerEntries: entries }, { ...onlyRules('amount-date'), confirmThreshold: 0.935 }, AS_OF);
    expect(at.matches[0]).toEqual(expect.objectContaining({ confidence: 0.935, status: 'confirmed' }));
    const above = matchPartition({ statementLines: lines, ledgerEntries: entries }, { ...onlyRules('amount-date'), confirmThreshold: 0.94 }, AS_OF);
    expect(above.matches[0]).toEqual(expect.objectContaining({ confidence: 0.935, status: 'proposed' }));
  });

  it('match ids are deterministic and depend on the rule and rows only', () => {
    const a = matchAll(lines, entries, rules, AS_OF).matches[0]!;
    const b = matchAll(lines, entries, rules, '2026-01-01').matches[0]!;
    expect(a.matchId).toBe(b.matchId);
    expect(a.matchId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
