import fc from 'fast-check';
import { basisPoints, canonical, convertMinorUnits, divideHalfEven, fromMinorUnits, minorOf, MoneyError, parseRate, toMinorUnits } from '../../src/domain/money';

describe('money', () => {
  it('parses decimal strings into exact minor units per ISO 4217 exponent', () => {
    expect(toMinorUnits('12.34', 'GBP')).toBe(1234n);
    expect(toMinorUnits('12.3', 'GBP')).toBe(1230n);
    expect(toMinorUnits('12', 'GBP')).toBe(1200n);
    expect(toMinorUnits('1500', 'JPY')).toBe(1500n);
    expect(toMinorUnits('1.005', 'KWD')).toBe(1005n);
    expect(toMinorUnits('-0.01', 'EUR')).toBe(-1n);
  });

  it('rejects wrong precision, unknown currencies and non-decimals with the input named', () => {
    expect(() => toMinorUnits('1.234', 'GBP')).toThrow('amount "1.234" has 3 decimal places; GBP allows 2');
    expect(() => toMinorUnits('1.5', 'JPY')).toThrow(MoneyError);
    expect(() => toMinorUnits('1', 'XXX')).toThrow('unknown ISO 4217 currency "XXX"');
    expect(() => toMinorUnits('1e3', 'GBP')).toThrow('is not a decimal string');
    expect(() => toMinorUnits('01.00', 'GBP')).toThrow(MoneyError);
  });

  it('formats minor units with exactly the currency exponent', () => {
    expect(fromMinorUnits(5n, 'GBP')).toBe('0.05');
    expect(fromMinorUnits(-123456n, 'EUR')).toBe('-1234.56');
    expect(fromMinorUnits(7n, 'JPY')).toBe('7');
    expect(fromMinorUnits(1n, 'BHD')).toBe('0.001');
    expect(canonical({ value: '3.5', currency: 'USD' })).toEqual({ value: '3.50', currency: 'USD' });
  });

  it('round-trips any amount exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.constantFrom('GBP', 'JPY', 'KWD', 'EUR'), (minor, ccy) => {
        expect(toMinorUnits(fromMinorUnits(minor, ccy), ccy)).toBe(minor);
      }),
    );
  });

  it('rounds half to even', () => {
    expect(divideHalfEven(25n, 10n)).toBe(2n);
    expect(divideHalfEven(35n, 10n)).toBe(4n);
    expect(divideHalfEven(-25n, 10n)).toBe(-2n);
    expect(divideHalfEven(26n, 10n)).toBe(3n);
  });

  it('converts between currencies of different exponents exactly', () => {
    // 100.00 EUR at 0.8567 GBP/EUR = 85.67 GBP
    expect(convertMinorUnits(10000n, 'EUR', 'GBP', parseRate('0.8567'))).toBe(8567n);
    // 1000 JPY at 0.0052 GBP/JPY = 5.20 GBP
    expect(convertMinorUnits(1000n, 'JPY', 'GBP', parseRate('0.0052'))).toBe(520n);
    // 10.00 GBP at 190.5 JPY/GBP = 1905 JPY
    expect(convertMinorUnits(1000n, 'GBP', 'JPY', parseRate('190.5'))).toBe(1905n);
    expect(() => parseRate('0')).toThrow('must be greater than zero');
    expect(() => parseRate('-1')).toThrow(MoneyError);
  });

  it('applies basis-point fees with banker\'s rounding', () => {
    expect(basisPoints(10000n, 275)).toBe(275n);
    expect(basisPoints(1n, 5000)).toBe(0n); // 0.5 → 0 (even)
    expect(basisPoints(3n, 5000)).toBe(2n); // 1.5 → 2 (even)
    expect(() => basisPoints(1n, 2.5)).toThrow(MoneyError);
  });
});

describe('minorOf', () => {
  it('parses a money value once and returns the same exact minor units', () => {
    const amount = { value: '12.34', currency: 'GBP' };
    expect(minorOf(amount)).toBe(1234n);
    expect(minorOf(amount)).toBe(1234n);
    expect(minorOf({ value: '0.001', currency: 'KWD' })).toBe(1n);
    expect(() => minorOf({ value: '1.234', currency: 'GBP' })).toThrow('GBP allows 2');
  });
});
