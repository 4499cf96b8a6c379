/**
 * FR7 / FR8: the documented limits of posting sequences and of the core-banking record
 * (docs/posting-record-format.md), each at its edge and one past it: sequence lengths 2, 4 and 6
 * (the fee legs appear from the smallest fee up), the 18-digit amount field, and the text fields'
 * widths (kept whole at the width, cut one character past it).
 */
import { buildPostingLegs, PostingError } from '../../src/domain/posting';
import { assembleSequence, formatLegLine, parsePostingLines, POSTING_RECORD_WIDTH } from '../../src/domain/posting-record';
import type { PostingLeg } from '../../src/domain/events';
import { correlationIdFor } from '../../src/domain/events';
import { approvedData } from '../support/builders';

const correlation = correlationIdFor('AUTH-1');

function crossCurrency(fee: string) {
  return buildPostingLegs(correlation, approvedData({ authorisation: { amount: { value: '100.00', currency: 'EUR' } }, accountCurrency: 'GBP', converted: '85.67', fee }));
}

describe('sequence lengths', () => {
  it.each([
    ['domestic', 2, () => buildPostingLegs(correlation, approvedData())],
    ['cross-currency, no fee', 4, () => crossCurrency('0.00')],
    ['cross-currency, the smallest fee (0.01)', 6, () => crossCurrency('0.01')],
  ])('%s: %i legs, numbered 1..n, each carrying the count', (_name, count, build) => {
    const legs = build();
    expect(legs.map((leg) => [leg.legIndex, leg.legCount])).toEqual(Array.from({ length: count }, (_, i) => [i + 1, count]));
    const assembled = assembleSequence(legs);
    expect(assembled.complete).toBe(true);
    if (assembled.complete) expect(parsePostingLines(assembled.record.content).map((line) => line.legCount)).toEqual(Array(count).fill(count));
  });

  it('assembles a sequence only with every leg: n - 1 legs is incomplete, n is complete', () => {
    const legs = crossCurrency('0.59');
    expect(assembleSequence(legs.slice(0, 5))).toEqual({ complete: false, have: 5, need: 6 });
    expect(assembleSequence(legs.slice(1))).toEqual({ complete: false, have: 5, need: 6 });
    expect(assembleSequence(legs).complete).toBe(true);
  });
});

describe('record field widths', () => {
  const [base] = buildPostingLegs(correlation, approvedData()) as [PostingLeg, ...PostingLeg[]];
  const line = (changes: Partial<PostingLeg>) => parsePostingLines(`${formatLegLine({ ...base, ...changes })}\n`)[0]!;

  it('amount: 18 digits of minor units fit, 19 do not', () => {
    const largest = '9999999999999999.99'; // 999999999999999999 minor units, 18 digits
    expect(line({ amount: { value: largest, currency: 'GBP' } }).amountMinor).toBe(999_999_999_999_999_999n);
    expect(formatLegLine({ ...base, amount: { value: largest, currency: 'GBP' } })).toHaveLength(POSTING_RECORD_WIDTH);
    expect(() => formatLegLine({ ...base, amount: { value: '10000000000000000.00', currency: 'GBP' } })).toThrow(new PostingError('amount 1000000000000000000 does not fit 18 digits'));
    expect(line({ amount: { value: '0.01', currency: 'GBP' } }).amountMinor).toBe(1n);
  });

  it.each([
    ['accountId', 34],
    ['authorizationId', 35],
    ['narrative', 40],
  ] as const)('%s: %i characters are kept whole, one more is cut to the width', (field, width) => {
    const exact = 'A'.repeat(width - 1) + 'Z';
    expect(line({ [field]: exact })[field]).toBe(exact);
    expect(line({ [field]: `${exact}Q` })[field]).toBe(exact);
    expect(line({ [field]: exact.slice(1) })[field]).toBe(exact.slice(1)); // shorter: padded, read back trimmed
    expect(formatLegLine({ ...base, [field]: `${exact}QQQQ` })).toHaveLength(POSTING_RECORD_WIDTH);
  });

  it('legs carry at most 140 characters of narrative', () => {
    const data = approvedData();
    const exact = 'N'.repeat(140);
    const legsOf = (description: string) => buildPostingLegs(correlation, { ...data, enrichment: { ...data.enrichment, description } });
    expect(legsOf(exact)[0]!.narrative).toBe(exact);
    expect(legsOf(`${exact}X`)[0]!.narrative).toBe(exact);
  });
});
