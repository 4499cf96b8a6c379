import fc from 'fast-check';
import { buildPostingLegs, imbalance, PostingError } from '../../src/domain/posting';
import { shardFor, sumByAccount } from '../support/posting-deltas';
import { assembleSequence, parsePostingLines, POSTING_RECORD_WIDTH } from '../../src/domain/posting-record';
import { correlationIdFor } from '../../src/domain/events';
import { fromMinorUnits } from '../../src/domain/money';
import { approvedData } from '../support/builders';

const correlation = correlationIdFor('AUTH-1');

describe('posting sequences (FR7)', () => {
  it('posts a domestic payment as customer debit + merchant settlement credit', () => {
    const legs = buildPostingLegs(correlation, approvedData());
    expect(legs.map((l) => [l.legIndex, l.legCount, l.legType, l.accountId, l.direction, l.amount.value])).toEqual([
      [1, 2, 'CUSTOMER_DEBIT', 'ACC-0001', 'DEBIT', '25.00'],
      [2, 2, 'MERCHANT_SETTLEMENT_CREDIT', 'SETTLE-GBP-001', 'CREDIT', '25.00'],
    ]);
    expect(new Set(legs.map((l) => l.sequenceId)).size).toBe(1);
    expect(imbalance(legs).size).toBe(0);
  });

  it('posts a cross-currency payment through FX positions with fee legs, balanced per currency', () => {
    const legs = buildPostingLegs(correlation, approvedData({ authorisation: { amount: { value: '100.00', currency: 'EUR' } }, accountCurrency: 'GBP', converted: '85.67', fee: '2.36' }));
    expect(legs.map((l) => `${l.legType}:${l.accountId}:${l.direction}:${l.amount.value}${l.amount.currency}`)).toEqual([
      'CUSTOMER_DEBIT:ACC-0001:DEBIT:85.67GBP',
      'FX_POSITION_CREDIT:FXPOS-GBP:CREDIT:85.67GBP',
      'FX_POSITION_DEBIT:FXPOS-EUR:DEBIT:100.00EUR',
      'MERCHANT_SETTLEMENT_CREDIT:SETTLE-EUR-001:CREDIT:100.00EUR',
      'FX_FEE_DEBIT:ACC-0001:DEBIT:2.36GBP',
      'FX_FEE_INCOME_CREDIT:FXFEE-GBP:CREDIT:2.36GBP',
    ]);
    expect(legs.every((l) => l.legCount === 6)).toBe(true);
  });

  it('omits fee legs when the fee is zero', () => {
    const legs = buildPostingLegs(correlation, approvedData({ authorisation: { amount: { value: '1.00', currency: 'EUR' } }, accountCurrency: 'GBP', converted: '0.85', fee: '0.00' }));
    expect(legs).toHaveLength(4);
  });

  it('refuses to post a payment that was not approved', () => {
    const declined = { ...approvedData(), decision: { outcome: 'decline' as const, firedRules: ['BLOCKED_MCC'], ruleSetId: 'x', ruleSetVersion: '1', velocityCount: 1 } };
    expect(() => buildPostingLegs(correlation, declined)).toThrow(PostingError);
  });

  it('every posting sequence balances, for any amounts and currencies (property)', () => {
    const currency = fc.constantFrom('GBP', 'EUR', 'USD', 'JPY', 'KWD');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 9n }), currency, currency, (txn, conv, fee, txnCcy, acctCcy) => {
        const data = approvedData({
          authorisation: { amount: { value: fromMinorUnits(txn, txnCcy), currency: txnCcy } },
          accountCurrency: acctCcy,
          converted: fromMinorUnits(conv, acctCcy),
          fee: fromMinorUnits(fee, acctCcy),
        });
        const legs = buildPostingLegs(correlation, data);
        expect(imbalance(legs).size).toBe(0);
        expect(legs.map((l) => l.legIndex)).toEqual(legs.map((_, i) => i + 1));
        expect(assembleSequence([...legs].reverse()).complete).toBe(true);
      }),
    );
  });

  it('sums a batch once per account', () => {
    const legs = Array.from({ length: 1000 }, (_, i) => buildPostingLegs(correlationIdFor(`A${i}`), approvedData({ authorisation: { authorizationId: `A${i}` } }))).flat();
    const deltas = sumByAccount(legs);
    expect(deltas.get('SETTLE-GBP-001')).toMatchObject({ creditMinor: 2_500_000n, debitMinor: 0n });
    expect(deltas.get('SETTLE-GBP-001')!.legs).toHaveLength(1000);
  });

  it('shards deterministically and within range', () => {
    const legs = buildPostingLegs(correlation, approvedData());
    expect(shardFor(legs, 8)).toBe(shardFor([...legs].reverse(), 8));
    expect(shardFor(legs, 8)).toBeGreaterThanOrEqual(0);
    expect(shardFor(legs, 8)).toBeLessThan(8);
    expect(shardFor(legs, 1)).toBe(0);
  });
});

describe('posting record (FR8)', () => {
  it('assembles only complete sequences, in leg order, as fixed-width lines', () => {
    const legs = buildPostingLegs(correlation, approvedData({ authorisation: { amount: { value: '100.00', currency: 'EUR' } }, accountCurrency: 'GBP', converted: '85.67', fee: '2.36' }));
    expect(assembleSequence(legs.slice(0, 5))).toEqual({ complete: false, have: 5, need: 6 });
    const result = assembleSequence([legs[3]!, ...legs]);
    if (!result.complete) throw new Error('expected complete');
    const lines = result.record.content.split('\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(6);
    expect(lines.every((line) => line.length === POSTING_RECORD_WIDTH)).toBe(true);
    const parsed = parsePostingLines(result.record.content);
    expect(parsed.map((p) => [p.legIndex, p.legCount, p.debitCredit, p.amountMinor, p.currency])).toEqual([
      [1, 6, 'D', 8567n, 'GBP'],
      [2, 6, 'C', 8567n, 'GBP'],
      [3, 6, 'D', 10000n, 'EUR'],
      [4, 6, 'C', 10000n, 'EUR'],
      [5, 6, 'D', 236n, 'GBP'],
      [6, 6, 'C', 236n, 'GBP'],
    ]);
    expect(parsed[0]).toMatchObject({ recordType: 'PL', accountId: 'ACC-0001', valueDate: '20261101', authorizationId: 'AUTH-1', legTypeCode: 'CDEB' });
    expect(result.record.recordId).toBe(`PR-${legs[0]!.sequenceId}`);
  });

  it('rejects an unbalanced or inconsistent sequence', () => {
    const legs = buildPostingLegs(correlation, approvedData());
    const tampered = [legs[0]!, { ...legs[1]!, amount: { value: '24.99', currency: 'GBP' } }];
    expect(() => assembleSequence(tampered)).toThrow('does not balance');
    expect(() => assembleSequence([legs[0]!, { ...legs[1]!, legCount: 3 }])).toThrow('disagrees');
  });
});
