/**
 * ADJ-1, the pure adjusting entry: generated cases (sides, signs, currencies with 0, 2 and 3
 * decimals, grouped totals) give two balanced legs per booking that move the adjusted account by
 * exactly the case's difference; the id depends on the case and the proposal only; the posting
 * record is the payment format with the adjustment's own leg codes; a reversal nets the booking to
 * zero; every class of bad input is refused naming the case and the fault.
 */
import fc from 'fast-check';
import {
  type AdjustedCase,
  isAdjustmentReference,
  adjustmentFromRef,
  adjustmentIdFor,
  adjustmentRef,
  buildAdjustment,
  buildReversal,
  caseDifferences,
  exactMinor,
  reversalIdFor,
} from '../../src/domain/adjustment';
import { fromMinorUnits } from '../../src/domain/money';
import { imbalance, signedMinor } from '../../src/domain/posting';
import { parsePostingLines, POSTING_RECORD_WIDTH } from '../../src/domain/posting-record';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

const CURRENCIES = ['EUR', 'JPY', 'KWD', 'GBP'] as const;
const approval = { proposedBy: 'rita@bank.example', proposedAt: '2026-11-02T10:00:00.000Z' };

const amountIn = (currency: string) => fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }).map((minor) => ({ minor, text: fromMinorUnits(minor, currency) }));

const lone = fc
  .record({ currency: fc.constantFrom(...CURRENCIES), side: fc.constantFrom('statement' as const, 'ledger' as const), id: fc.stringMatching(/^[a-z0-9]{1,12}$/) })
  .chain(({ currency, side, id }) =>
    amountIn(currency).map(({ minor, text }) => ({
      adjusted: { caseId: `exception:${side}:${id}`, side, accountId: 'ACC-1', currency, amount: text } satisfies AdjustedCase,
      difference: side === 'statement' ? minor : -minor,
    })),
  );

function accountLeg(legs: ReturnType<typeof buildAdjustment>) {
  return legs!.legs.find((leg) => leg.accountId === 'ACC-1')!;
}

describe('buildAdjustment', () => {
  it('books a lone exception: two balanced legs moving the account by exactly statement − ledger, the contra opposite (generated)', () => {
    fc.assert(
      fc.property(lone, fc.constantFrom('WRITE_OFF' as const, 'SUSPENSE' as const), ({ adjusted, difference }, target) => {
        const adjustment = buildAdjustment({ case: adjusted, target, approval, ledgerAccountId: 'ACC-1', ledgerAccountCurrency: adjusted.currency });
        if (difference === 0n) {
          expect(adjustment).toBeUndefined();
          return;
        }
        expect(adjustment!.legs).toHaveLength(2);
        expect(imbalance(adjustment!.legs).size).toBe(0);
        expect(signedMinor(accountLeg(adjustment))).toBe(difference);
        const contra = adjustment!.legs.find((leg) => leg.accountId !== 'ACC-1')!;
        expect(contra.accountId).toBe(`${target === 'WRITE_OFF' ? 'WRITEOFF' : 'SUSPENSE'}-${adjusted.currency}`);
        expect(adjustment!.legs.every((leg) => leg.amount.currency === adjusted.currency && !leg.amount.value.startsWith('-'))).toBe(true);
        expect(adjustment!.legs.every((leg) => leg.valueDate === '2026-11-02' && leg.authorizationId === adjustment!.adjustmentId)).toBe(true);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(0xad1) },
    );
  });

  it('books a grouped case by its totals’ difference, and a case whose sides are equal books nothing (generated)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CURRENCIES), fc.array(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), { minLength: 1, maxLength: 5 }), (currency, parts) => {
        const difference = parts.reduce((sum, part) => sum + part, 0n);
        const adjusted: AdjustedCase = {
          caseId: 'group:g1',
          side: 'both',
          accountId: 'ACC-1',
          currency,
          amount: '0',
          totals: parts.map((part) => ({ currency, difference: fromMinorUnits(part, currency) })),
        };
        expect(caseDifferences(adjusted)).toEqual(difference === 0n ? new Map() : new Map([[currency, difference]]));
        const adjustment = buildAdjustment({ case: adjusted, target: 'WRITE_OFF', approval, ledgerAccountId: 'ACC-1' });
        if (difference === 0n) expect(adjustment).toBeUndefined();
        else expect(signedMinor(accountLeg(adjustment))).toBe(difference);
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(0xad2) },
    );
  });

  it('the id depends on the case and the proposal only: the same approval is the same adjustment, another proposal another', () => {
    fc.assert(
      fc.property(lone, fc.string(), fc.string(), ({ adjusted, difference }, otherCase, otherUser) => {
        fc.pre(difference !== 0n);
        const input = { case: adjusted, target: 'WRITE_OFF' as const, approval, ledgerAccountId: 'ACC-1' };
        const once = buildAdjustment(input)!;
        expect(buildAdjustment(input)).toEqual(once);
        expect(once.adjustmentId).toBe(adjustmentIdFor(adjusted.caseId, approval));
        expect(once.adjustmentId).toMatch(/^ADJ-[0-9a-f]{24}$/);
        expect(isAdjustmentReference(once.adjustmentId)).toBe(true);
        expect(once.legs.every((leg) => isAdjustmentReference(leg.authorizationId))).toBe(true);
        expect(once.record.recordId).toBe(`PR-${once.sequenceId}`);
        if (otherCase !== adjusted.caseId) expect(adjustmentIdFor(otherCase, approval)).not.toBe(once.adjustmentId);
        if (otherUser !== approval.proposedBy) expect(adjustmentIdFor(adjusted.caseId, { ...approval, proposedBy: otherUser })).not.toBe(once.adjustmentId);
        expect(adjustmentIdFor(adjusted.caseId, { ...approval, proposedAt: '2026-11-02T10:00:01.000Z' })).not.toBe(once.adjustmentId);
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(0xad3) },
    );
  });

  it('writes the payment record format (185-character lines, balanced) with the adjustment leg codes', () => {
    fc.assert(
      fc.property(lone, fc.constantFrom('WRITE_OFF' as const, 'SUSPENSE' as const), ({ adjusted, difference }, target) => {
        fc.pre(difference !== 0n);
        const adjustment = buildAdjustment({ case: adjusted, target, approval, ledgerAccountId: 'ACC-1' })!;
        const lines = adjustment.record.content.split('\n').filter((line) => line.length > 0);
        expect(lines.every((line) => line.length === POSTING_RECORD_WIDTH)).toBe(true);
        const parsed = parsePostingLines(adjustment.record.content);
        expect(parsed.map((line) => line.legTypeCode)).toEqual(['ADJA', target === 'WRITE_OFF' ? 'WOFF' : 'SUSP']);
        expect(parsed.map((line) => [line.sequenceId, line.legIndex, line.legCount])).toEqual([
          // Text fields are upper-cased (docs/posting-record-format.md).
          [adjustment.sequenceId.toUpperCase(), 1, 2],
          [adjustment.sequenceId.toUpperCase(), 2, 2],
        ]);
        const debits = parsed.filter((line) => line.debitCredit === 'D').reduce((sum, line) => sum + line.amountMinor, 0n);
        const credits = parsed.filter((line) => line.debitCredit === 'C').reduce((sum, line) => sum + line.amountMinor, 0n);
        expect(debits).toBe(credits);
        expect(debits).toBe(difference < 0n ? -difference : difference);
        expect(parsed[0]!.authorizationId).toBe(adjustment.adjustmentId.toUpperCase());
        expect(parsed[0]!.valueDate).toBe('20261102');
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(0xad4) },
    );
  });

  it('a reversal nets the booking to zero on every account, once per adjustment; the case’s reference rebuilds the same legs', () => {
    fc.assert(
      fc.property(lone, ({ adjusted, difference }) => {
        fc.pre(difference !== 0n);
        const adjustment = buildAdjustment({ case: adjusted, target: 'WRITE_OFF', approval, ledgerAccountId: 'ACC-1' })!;
        expect(adjustmentFromRef(adjusted.caseId, adjustmentRef(adjustment, approval))).toEqual(adjustment);
        const reversal = buildReversal(adjustment, '2026-12-01T08:00:00.000Z');
        expect(reversal.adjustmentId).toBe(reversalIdFor(adjustment.adjustmentId));
        expect(reversal.reverses).toBe(adjustment.adjustmentId);
        expect(reversal.sequenceId).not.toBe(adjustment.sequenceId);
        expect(buildReversal(adjustment, '2027-01-01T08:00:00.000Z').sequenceId).toBe(reversal.sequenceId);
        const net = new Map<string, bigint>();
        for (const leg of [...adjustment.legs, ...reversal.legs]) net.set(leg.accountId, (net.get(leg.accountId) ?? 0n) + signedMinor(leg));
        expect([...net.values()].every((value) => value === 0n)).toBe(true);
        expect(parsePostingLines(reversal.record.content).map((line) => line.legTypeCode)).toEqual(['ADJA', 'WOFF']);
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(0xad5) },
    );
  });

  it('takes configured contra accounts', () => {
    const adjustment = buildAdjustment({
      case: { caseId: 'c', side: 'statement', accountId: 'ACC-1', currency: 'EUR', amount: '-3.10' },
      target: 'SUSPENSE',
      approval,
      ledgerAccountId: 'ACC-1',
      accounts: { suspense: { EUR: 'SUSP-EUR-HQ' } },
    })!;
    expect(adjustment.legs.map((leg) => [leg.accountId, leg.direction, leg.amount.value])).toEqual([
      ['ACC-1', 'DEBIT', '3.10'],
      ['SUSP-EUR-HQ', 'CREDIT', '3.10'],
    ]);
  });

  it.each([
    ['an amount that is not a decimal', { amount: '1e3' }, /case c: amount "1e3" is not a decimal/],
    ['an amount with a comma', { amount: '1,50' }, /not a decimal/],
    ['more decimals than the currency allows', { amount: '1.005' }, /more decimals than EUR allows \(2\)/],
    ['an unknown currency', { currency: 'XXQ' }, /case c: unknown ISO 4217 currency "XXQ"/],
    ['items on both sides and no totals', { side: 'both' as const }, /both sides but no totals/],
    [
      'a difference in several currencies',
      {
        totals: [
          { currency: 'EUR', difference: '1.00' },
          { currency: 'GBP', difference: '2.00' },
        ],
      },
      /several currencies \(EUR, GBP\)/,
    ],
  ])('refuses %s, naming the case', (_name, override, message) => {
    const adjusted: AdjustedCase = { caseId: 'c', side: 'statement', accountId: 'ACC-1', currency: 'EUR', amount: '1.50', ...override };
    expect(() => buildAdjustment({ case: adjusted, target: 'WRITE_OFF', approval, ledgerAccountId: 'ACC-1' })).toThrow(message);
  });

  it('refuses a difference in another currency than the ledger account’s, a missing ledger account, the contra account itself, a bad proposal time', () => {
    const adjusted: AdjustedCase = { caseId: 'c', side: 'statement', accountId: 'ACC-1', currency: 'EUR', amount: '1.50' };
    expect(() => buildAdjustment({ case: adjusted, target: 'WRITE_OFF', approval, ledgerAccountId: 'ACC-1', ledgerAccountCurrency: 'GBP' })).toThrow(/in EUR but ledger account ACC-1 is in GBP/);
    expect(() => buildAdjustment({ case: adjusted, target: 'WRITE_OFF', approval, ledgerAccountId: ' ' })).toThrow(/no ledger account/);
    expect(() => buildAdjustment({ case: adjusted, target: 'WRITE_OFF', approval, ledgerAccountId: 'WRITEOFF-EUR' })).toThrow(/is the write-off account itself/);
    expect(() => buildAdjustment({ case: adjusted, target: 'WRITE_OFF', approval: { ...approval, proposedAt: 'yesterday' }, ledgerAccountId: 'ACC-1' })).toThrow(/proposal time "yesterday"/);
    expect(() => buildAdjustment({ case: adjusted, target: 'BOGUS' as never, approval, ledgerAccountId: 'ACC-1' })).toThrow(/unknown adjustment target BOGUS/);
  });

  it('isAdjustmentReference tells an adjustment’s reference from a payment’s', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(isAdjustmentReference(text)).toBe(/^ADJ-[0-9a-f]{24}$/.test(text));
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(0xad6) },
    );
    for (const reference of ['AUTH-000001', 'ADJ-', 'ADJ-0123456789abcdef01234567x', 'adj-0123456789abcdef01234567', undefined, null]) expect(isAdjustmentReference(reference)).toBe(false);
  });

  it('exactMinor accepts surplus trailing zeros and a sign, exactly', () => {
    expect(exactMinor('12.300', 'EUR', 'x')).toBe(1230n);
    expect(exactMinor('+7', 'JPY', 'x')).toBe(7n);
    expect(exactMinor('-0.001', 'KWD', 'x')).toBe(-1n);
    expect(exactMinor('123456789012345678.99', 'EUR', 'x')).toBe(12345678901234567899n);
  });
});
