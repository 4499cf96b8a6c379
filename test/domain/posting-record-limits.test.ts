/**
 * FR7 / FR8: the documented limits of posting sequences and of the core-banking record
 * (docs/posting-record-format.md), each at its edge and one past it: sequence lengths 2, 4 and 6
 * (the fee legs appear from the smallest fee up), the 18-digit amount field, and the text fields'
 * widths (kept whole at the width, cut one character past it).
 */
import { assertBalanced, buildPostingLegs, imbalance, PostingError, sequenceIdFor, signedMinor } from '../../src/domain/posting';
import { shardFor, sumByAccount } from '../support/posting-deltas';
import { assembleSequence, formatLegLine, parsePostingLines, POSTING_RECORD_WIDTH } from '../../src/domain/posting-record';
import type { PostingLeg } from '../../src/domain/events';
import { correlationIdFor, timeOfId } from '../../src/domain/events';
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

describe('posting invariants the first mutation run showed untested', () => {
  it('legs are numbered "<sequenceId>:<legIndex>", and the sequence id keeps the transaction id\'s time', () => {
    const timed = correlationIdFor('AUTH-9', '2026-11-01T10:00:00.000Z');
    const legs = buildPostingLegs(timed, approvedData());
    expect(legs.map((leg) => leg.legId)).toEqual(legs.map((leg) => `${leg.sequenceId}:${leg.legIndex}`));
    expect(timeOfId(legs[0]!.sequenceId)).toBe(Date.parse('2026-11-01T10:00:00.000Z'));
    expect(sequenceIdFor(timed)).not.toBe(sequenceIdFor(correlationIdFor('AUTH-9', '2026-11-01T10:00:00.001Z')));
    // an id without a time gives a name-based (version 5) sequence id
    expect(sequenceIdFor(correlation)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
    expect(timeOfId(sequenceIdFor(correlation))).toBeUndefined();
  });

  it('refuses different currencies without a conversion, naming the payment', () => {
    const data = approvedData();
    const mismatched = { ...data, enrichment: { ...data.enrichment, accountAmount: { value: '25.00', currency: 'EUR' } } };
    expect(() => buildPostingLegs(correlation, mismatched)).toThrow(new PostingError('payment AUTH-1: currencies differ but no conversion was enriched'));
    const declined = { ...data, decision: { ...data.decision, outcome: 'review' as const } };
    expect(() => buildPostingLegs(correlation, declined)).toThrow('payment AUTH-1 is not approved (review)');
  });

  it('signed minor units: a credit is +, a debit is −', () => {
    const [debit, credit] = buildPostingLegs(correlation, approvedData()) as [PostingLeg, PostingLeg];
    expect([debit.direction, signedMinor(debit)]).toEqual(['DEBIT', -2500n]);
    expect([credit.direction, signedMinor(credit)]).toEqual(['CREDIT', 2500n]);
  });

  it('an unbalanced sequence is refused with its currency and the amount it is off by', () => {
    const legs = buildPostingLegs(correlation, approvedData());
    const short = [legs[0]!, { ...legs[1]!, amount: { value: '24.97', currency: 'GBP' } }];
    expect([...imbalance(short).entries()].map(([currency, minor]) => [currency, minor < 0n ? -minor : minor])).toEqual([['GBP', 3n]]);
    expect(() => assertBalanced(short)).toThrow(new RegExp(`^posting sequence ${legs[0]!.sequenceId} does not balance: GBP -?3$`));
  });

  it('sums a batch per account exactly, debits and credits apart, and refuses one account in two currencies', () => {
    const legs = [
      ...buildPostingLegs(correlationIdFor('A1'), approvedData()),
      ...buildPostingLegs(correlationIdFor('A2'), approvedData({ authorisation: { amount: { value: '0.07', currency: 'GBP' } } })),
    ];
    const deltas = sumByAccount(legs);
    expect(deltas.get('ACC-0001')).toMatchObject({ currency: 'GBP', debitMinor: 2507n, creditMinor: 0n });
    expect(deltas.get('SETTLE-GBP-001')).toMatchObject({ currency: 'GBP', debitMinor: 0n, creditMinor: 2507n });
    const eur = { ...legs[0]!, legId: 'x:1', amount: { value: '1.00', currency: 'EUR' } };
    expect(() => sumByAccount([legs[0]!, eur])).toThrow('account ACC-0001 receives EUR and GBP legs');
  });

  it("a hot account's shard depends only on the batch's smallest leg id, and batches spread over every shard", () => {
    const batches = Array.from({ length: 200 }, (_, i) => buildPostingLegs(correlationIdFor(`AUTH-${i}`), approvedData()));
    const shards = batches.map((legs) => shardFor(legs, 8));
    expect(new Set(shards)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    for (const legs of batches.slice(0, 20)) {
      const smallest = [...legs].sort((a, b) => (a.legId < b.legId ? -1 : 1))[0]!;
      expect(shardFor(legs, 8)).toBe(shardFor([smallest], 8));
    }
    const two = [...batches[0]!, ...batches[1]!];
    expect(shardFor(two, 8)).toBe(shardFor([...two].sort((a, b) => (a.legId < b.legId ? -1 : 1)).slice(0, 1), 8));
    expect(shardFor([], 8)).toBe(0);
    expect(batches.every((legs) => shardFor(legs, 1) === 0)).toBe(true);
  });
});
