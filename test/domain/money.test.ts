import fc from 'fast-check';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import {
  basisPoints,
  canonical,
  convertMinorUnits,
  CURRENCY_EXPONENTS,
  currencyExponent,
  divideHalfEven,
  fromMinorUnits,
  isKnownCurrency,
  minorOf,
  MoneyError,
  parseRate,
  toMinorUnits,
} from '../../src/domain/money';

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
    expect(() => toMinorUnits('1', 'XXX')).toThrow(expect.objectContaining({ name: 'MoneyError' }));
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
      { numRuns: fuzzRuns(100), seed: fuzzSeed(4217) },
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

  it("applies basis-point fees with banker's rounding", () => {
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

describe('precision limits per currency (ISO 4217 minor units)', () => {
  // Stated from ISO 4217, not read from the code: 0 decimals for ISK, JPY, KRW; 3 for BHD, JOD,
  // KWD, OMR, TND; 2 for every other currency Ledgerline handles.
  const ZERO = ['ISK', 'JPY', 'KRW'];
  const THREE = ['BHD', 'JOD', 'KWD', 'OMR', 'TND'];
  const TWO = ['AED', 'AUD', 'BRL', 'CAD', 'CHF', 'CNY', 'CZK', 'DEM', 'DKK', 'EUR', 'GBP', 'HKD', 'HUF', 'INR', 'MXN', 'NOK', 'NZD', 'PLN', 'RON', 'SAR', 'SEK', 'SGD', 'THB', 'TRY', 'USD', 'ZAR'];
  const table: [string, number][] = [...ZERO.map((c) => [c, 0] as [string, number]), ...TWO.map((c) => [c, 2] as [string, number]), ...THREE.map((c) => [c, 3] as [string, number])];

  it('knows exactly these currencies, with these exponents', () => {
    expect(Object.entries(CURRENCY_EXPONENTS).sort()).toEqual([...table].sort());
    for (const [currency, exponent] of table) expect(currencyExponent(currency)).toBe(exponent);
  });

  it.each(table)('%s (%i decimals): the smallest unit is accepted, one more decimal place is refused', (currency, exponent) => {
    const smallest = exponent === 0 ? '1' : `0.${'0'.repeat(exponent - 1)}1`;
    expect(toMinorUnits(smallest, currency)).toBe(1n);
    expect(toMinorUnits(`-${smallest}`, currency)).toBe(-1n);
    expect(fromMinorUnits(1n, currency)).toBe(smallest);
    // exactly `exponent` places, with trailing zeros, is still fine
    expect(toMinorUnits(exponent === 0 ? '7' : `7.${'0'.repeat(exponent)}`, currency)).toBe(7n * 10n ** BigInt(exponent));
    const tooPrecise = `0.${'0'.repeat(exponent)}1`;
    expect(() => toMinorUnits(tooPrecise, currency)).toThrow(`has ${exponent + 1} decimal places; ${currency} allows ${exponent}`);
    // precision is about digits written, not value: a trailing zero past the exponent is refused too
    expect(() => toMinorUnits(`1.${'0'.repeat(exponent + 1)}`, currency)).toThrow(MoneyError);
  });

  it('a decimal string is accepted exactly when it has no more places than its currency allows (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...table), fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 4 }), fc.boolean(), ([currency, exponent], digits, places, negative) => {
        const text = digits.toString().padStart(places + 1, '0');
        const value = `${negative ? '-' : ''}${places === 0 ? text : `${text.slice(0, -places)}.${text.slice(-places)}`}`;
        if (places <= exponent) expect(toMinorUnits(value, currency)).toBe((negative ? -digits : digits) * 10n ** BigInt(exponent - places));
        else expect(() => toMinorUnits(value, currency)).toThrow(`has ${places} decimal places; ${currency} allows ${exponent}`);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(4217) },
    );
  });

  it('unknown currencies are refused at every entry point, whatever the case', () => {
    for (const currency of ['gbp', 'XXX', 'GBPX', '']) {
      expect(isKnownCurrency(currency)).toBe(false);
      expect(() => toMinorUnits('1', currency)).toThrow(`unknown ISO 4217 currency "${currency}"`);
      expect(() => fromMinorUnits(1n, currency)).toThrow(MoneyError);
    }
    expect(isKnownCurrency('toString')).toBe(false); // not fooled by Object.prototype
  });
});

describe('rate and rounding limits', () => {
  it('rates have at most 12 decimal places and are greater than zero', () => {
    expect(parseRate('0.000000000001')).toEqual({ numerator: 1n, denominator: 10n ** 12n });
    expect(() => parseRate('0.0000000000001')).toThrow('at most 12 places');
    expect(() => parseRate('0.000000000000')).toThrow('must be greater than zero');
    expect(parseRate('1')).toEqual({ numerator: 1n, denominator: 1n });
    for (const bad of ['1.', '.5', '01.5', '1e2', '+1', ' 1']) expect(() => parseRate(bad)).toThrow(MoneyError);
  });

  it.each([
    [14n, 10n, 1n], // below half: down
    [15n, 10n, 2n], // exactly half, odd quotient: up to even
    [16n, 10n, 2n], // above half: up
    [24n, 10n, 2n],
    [25n, 10n, 2n], // exactly half, even quotient: stays
    [26n, 10n, 3n],
    [-15n, 10n, -2n],
    [-25n, 10n, -2n],
    [-26n, 10n, -3n],
    [15n, -10n, -2n],
    [0n, 7n, 0n],
    [1n, 3n, 0n], // 0.33…
    [2n, 3n, 1n], // 0.66…
  ])('divideHalfEven(%s, %s) = %s', (numerator, denominator, expected) => {
    expect(divideHalfEven(numerator, denominator)).toBe(expected);
  });

  it('refuses division by zero', () => {
    expect(() => divideHalfEven(1n, 0n)).toThrow('division by zero');
  });

  it('basis points: 0 and 10,000 (100%) at the ends; negative or fractional refused', () => {
    expect(basisPoints(12345n, 0)).toBe(0n);
    expect(basisPoints(12345n, 10_000)).toBe(12345n);
    expect(basisPoints(20000n, 1)).toBe(2n);
    expect(basisPoints(5000n, 1)).toBe(0n); // 0.5 → 0 (even)
    expect(basisPoints(15000n, 1)).toBe(2n); // 1.5 → 2 (even)
    expect(() => basisPoints(1n, -1)).toThrow('must be a non-negative integer');
  });

  it('converts at the exponent boundaries in both directions (0 ↔ 3 decimals)', () => {
    // 1 JPY at 0.0065 BHD/JPY = 0.0065 BHD = 6.5 fils → 6 (half to even)
    expect(convertMinorUnits(1n, 'JPY', 'BHD', parseRate('0.0065'))).toBe(6n);
    expect(convertMinorUnits(1n, 'JPY', 'BHD', parseRate('0.0075'))).toBe(8n);
    // 0.001 BHD at 400 JPY/BHD = 0.4 JPY → 0; at 500 = 0.5 → 0 (even); at 1500 = 1.5 → 2
    expect(convertMinorUnits(1n, 'BHD', 'JPY', parseRate('400'))).toBe(0n);
    expect(convertMinorUnits(1n, 'BHD', 'JPY', parseRate('500'))).toBe(0n);
    expect(convertMinorUnits(1n, 'BHD', 'JPY', parseRate('1500'))).toBe(2n);
  });
});
