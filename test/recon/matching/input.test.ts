import { dayNumber, defaultRuleSet, matchAll, matchPartition, MatchInputError, normaliseReference } from '../../../src/recon/matching';
import { safeMinorUnits } from '../../../src/recon/matching/rows';
import { AS_OF, entry, line } from './helpers';

const rules = defaultRuleSet();

describe('matcher input', () => {
  it("parses decimal amounts into exact integer minor units, with toMinorUnits' validation", () => {
    expect(safeMinorUnits('12.30', 'EUR', 2)).toBe(1230);
    expect(safeMinorUnits('-0.05', 'EUR', 2)).toBe(-5);
    expect(safeMinorUnits('7', 'EUR', 2)).toBe(700);
    expect(safeMinorUnits('-0.00', 'EUR', 2)).toBe(0);
    expect(Object.is(safeMinorUnits('-0.00', 'EUR', 2), 0)).toBe(true);
    expect(safeMinorUnits('1500', 'JPY', 0)).toBe(1500);
    expect(safeMinorUnits('90071992547409.91', 'EUR', 2)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => safeMinorUnits('90071992547409.92', 'EUR', 2)).toThrow("exceeds the matcher's exact integer range");
    for (const bad of ['', '-', '1.', '.5', '01.00', '1e3', '1,00', ' 1.00', '+1.00']) {
      expect(() => safeMinorUnits(bad, 'EUR', 2)).toThrow(`amount "${bad}" is not a decimal string`);
    }
    expect(() => safeMinorUnits('1.234', 'EUR', 2)).toThrow('amount "1.234" has 3 decimal places; EUR allows 2');
  });

  it('computes day numbers without Date or time zones and rejects impossible dates', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('2024-03-01') - dayNumber('2024-02-28')).toBe(2);
    expect(dayNumber('2025-03-01') - dayNumber('2025-02-28')).toBe(1);
    for (const bad of ['2025-02-29', '2025-13-01', '2025-00-10', '2025-6-1', '20250601', '2025-06-31']) expect(dayNumber(bad)).toBeNaN();
  });

  it('normalises references: upper case, no whitespace, ignored placeholders dropped', () => {
    const ignored = new Set(['NOTPROVIDED']);
    expect(normaliseReference(' ab c\t-1 ', ignored)).toBe('ABC-1');
    expect(normaliseReference('ABC-1', ignored)).toBe('ABC-1');
    expect(normaliseReference('Not Provided', ignored)).toBeUndefined();
    expect(normaliseReference('   ', ignored)).toBeUndefined();
    expect(normaliseReference(undefined, ignored)).toBeUndefined();
  });

  it('rejects bad rows with an error naming the row and the fault', () => {
    const run =
      (lines = [line({ id: 's1', amount: '1.00' })], entries = [entry({ id: 'l1', amount: '1.00' })]) =>
      () =>
        matchAll(lines, entries, rules, AS_OF);
    expect(run([line({ id: 's1', amount: '1.234' })])).toThrow(new MatchInputError('statement line "s1": amount "1.234" has 3 decimal places; EUR allows 2'));
    expect(run(undefined, [entry({ id: 'l9', amount: '12', currency: 'XYZ' })])).toThrow('ledger entry "l9": unknown ISO 4217 currency "XYZ"');
    expect(run([line({ id: 's1', amount: '1.00', bookingDate: '2025-02-30' })])).toThrow('statement line "s1": "2025-02-30" is not a YYYY-MM-DD date');
    expect(run(undefined, [entry({ id: 'l1', amount: '1.00', bookingDate: '' })])).toThrow('ledger entry "l1": missing date');
    expect(run([line({ id: 's1', amount: '1.00' }), line({ id: 's1', amount: '2.00' })])).toThrow('statement line "s1": duplicate statementLineId');
    expect(run(undefined, [entry({ id: 'l1', amount: '1.00' }), entry({ id: 'l1', amount: '1.00' })])).toThrow('ledger entry "l1": duplicate entryId');
    expect(() => matchAll([], [], rules, '30/06/2025')).toThrow('asOf "30/06/2025" is not a YYYY-MM-DD date');
  });

  it('matchPartition refuses rows from another partition', () => {
    const input = { statementLines: [line({ id: 's1', amount: '1.00' })], ledgerEntries: [entry({ id: 'l1', amount: '1.00', currency: 'USD' })] };
    expect(() => matchPartition(input, rules, AS_OF)).toThrow('ledger entry "l1": account/currency GB33LEDG000001/USD does not belong to partition GB33LEDG000001/EUR');
  });

  it('an empty partition gives an empty result', () => {
    expect(matchPartition({ statementLines: [], ledgerEntries: [] }, rules, AS_OF)).toEqual({ matches: [], unmatched: [] });
  });
});
