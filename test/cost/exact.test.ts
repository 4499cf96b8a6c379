/** COST-1: the exact arithmetic the bill is computed in (no floats reach a dollar figure). */
import fc from 'fast-check';
import { Exact, ExactError, groupDigits, significant } from '../../src/cost/exact';

const decimalText = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 12 })).map(([negative, digits, places]) => {
  const text = digits.toString().padStart(places + 1, '0');
  const whole = text.slice(0, text.length - places).replace(/^0+(?=\d)/, '');
  return `${negative && digits !== 0n ? '-' : ''}${whole}${places > 0 ? `.${text.slice(text.length - places)}` : ''}`;
});
const exact = fc.tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 12n })).map(([n, d]) => Exact.of(n, d));

describe('Exact', () => {
  it('parses every decimal string exactly and prints it back with as many places', () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const places = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
        expect(Exact.parse(text).toFixed(places)).toBe(text === '-0' ? '0' : text);
      }),
    );
  });

  it('refuses anything but a plain decimal (floats in exponent form, spaces, signs twice)', () => {
    for (const text of ['1e-6', '0.1 ', '+1', '--1', '.5', '1.', '', 'NaN', '0x10']) expect(() => Exact.parse(text)).toThrow(ExactError);
  });

  it('adds and multiplies as a field: commutative, associative, distributive', () => {
    fc.assert(
      fc.property(exact, exact, exact, (a, b, c) => {
        expect(a.plus(b).equals(b.plus(a))).toBe(true);
        expect(
          a
            .plus(b)
            .plus(c)
            .equals(a.plus(b.plus(c))),
        ).toBe(true);
        expect(
          a
            .times(b)
            .times(c)
            .equals(a.times(b.times(c))),
        ).toBe(true);
        expect(a.times(b.plus(c)).equals(a.times(b).plus(a.times(c)))).toBe(true);
        if (!b.isZero()) expect(a.dividedBy(b).times(b).equals(a)).toBe(true);
      }),
    );
  });

  it('rounds half away from zero, exactly as integer arithmetic does', () => {
    fc.assert(
      fc.property(exact, fc.integer({ min: 0, max: 9 }), (value, places) => {
        const scale = 10n ** BigInt(places);
        const n = value.numerator * scale;
        const d = value.denominator;
        const magnitude = n < 0n ? -n : n;
        let q = magnitude / d;
        if ((magnitude % d) * 2n >= d) q += 1n;
        expect(value.scaled(places)).toBe(n < 0n ? -q : q);
      }),
    );
    expect(Exact.parse('0.0000005').toFixed(6)).toBe('0.000001');
    expect(Exact.parse('-2.5').toFixed(0)).toBe('-3');
    expect(Exact.of(1n, 3n).toFixed(4)).toBe('0.3333');
  });

  it('ceil and floor bracket the value', () => {
    fc.assert(
      fc.property(exact, (value) => {
        expect(Exact.of(value.floor()).compare(value)).toBeLessThanOrEqual(0);
        expect(Exact.of(value.ceil()).compare(value)).toBeGreaterThanOrEqual(0);
        expect(value.ceil() - value.floor()).toBe(value.denominator === 1n ? 0n : 1n);
      }),
    );
  });

  it('prints a terminating fraction as its exact decimal, and significant digits on request', () => {
    expect(Exact.of(1n, 8n).toString()).toBe('0.125');
    expect(Exact.of(1n, 3n).toString()).toBe('1/3');
    expect(JSON.stringify({ units: Exact.of(81n, 2n) })).toBe('{"units":"40.5"}');
    expect(significant(Exact.parse('0.000123456789'), 4)).toBe('0.0001235');
    expect(significant(Exact.parse('1234.5'), 3)).toBe('1235');
    expect(significant(Exact.ZERO)).toBe('0');
    expect(groupDigits(1234567n)).toBe('1,234,567');
    expect(groupDigits(-1000)).toBe('-1,000');
  });
});
