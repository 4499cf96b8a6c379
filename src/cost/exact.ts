/**
 * Exact rational arithmetic for the cost model (COST-1): every quantity and price is a fraction of
 * two bigints, so "count per payment × 1M × unit price" is computed without rounding and rounded
 * once, at display. No floating point reaches a dollar figure (see src/domain/money.ts for the
 * house style: decimal strings at the edges, integers inside).
 */

export class ExactError extends Error {
  override name = 'ExactError';
}

const DECIMAL = /^(-)?(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** A reduced fraction n / d with d > 0. Immutable. */
export class Exact {
  private constructor(
    readonly numerator: bigint,
    readonly denominator: bigint,
  ) {}

  static of(numerator: bigint | number, denominator: bigint | number = 1n): Exact {
    const n = typeof numerator === 'number' ? Exact.integer(numerator) : numerator;
    const d = typeof denominator === 'number' ? Exact.integer(denominator) : denominator;
    if (d === 0n) throw new ExactError('division by zero');
    const sign = d < 0n ? -1n : 1n;
    const g = gcd(n, d) || 1n;
    return new Exact((sign * n) / g, (sign * d) / g);
  }

  private static integer(value: number): bigint {
    if (!Number.isSafeInteger(value)) throw new ExactError(`${value} is not a safe integer`);
    return BigInt(value);
  }

  static readonly ZERO = Exact.of(0n);
  static readonly ONE = Exact.of(1n);

  /** Parses a plain decimal string ("0.0000133334", "-12", "1.5"); no exponents, no spaces. */
  static parse(text: string): Exact {
    const match = DECIMAL.exec(text);
    if (!match) throw new ExactError(`"${text}" is not a decimal number`);
    const [, sign, whole, fraction = ''] = match;
    const digits = BigInt(`${whole}${fraction}`);
    return Exact.of(sign ? -digits : digits, 10n ** BigInt(fraction.length));
  }

  static sum(values: Iterable<Exact>): Exact {
    let total = Exact.ZERO;
    for (const value of values) total = total.plus(value);
    return total;
  }

  plus(other: Exact): Exact {
    return Exact.of(this.numerator * other.denominator + other.numerator * this.denominator, this.denominator * other.denominator);
  }

  minus(other: Exact): Exact {
    return this.plus(other.negate());
  }

  negate(): Exact {
    return Exact.of(-this.numerator, this.denominator);
  }

  times(other: Exact | bigint | number): Exact {
    const o = other instanceof Exact ? other : Exact.of(other);
    return Exact.of(this.numerator * o.numerator, this.denominator * o.denominator);
  }

  dividedBy(other: Exact | bigint | number): Exact {
    const o = other instanceof Exact ? other : Exact.of(other);
    if (o.numerator === 0n) throw new ExactError('division by zero');
    return Exact.of(this.numerator * o.denominator, this.denominator * o.numerator);
  }

  compare(other: Exact): -1 | 0 | 1 {
    const left = this.numerator * other.denominator;
    const right = other.numerator * this.denominator;
    return left < right ? -1 : left > right ? 1 : 0;
  }

  equals(other: Exact): boolean {
    return this.compare(other) === 0;
  }

  isZero(): boolean {
    return this.numerator === 0n;
  }

  /** The smallest integer ≥ this. */
  ceil(): bigint {
    const q = this.numerator / this.denominator;
    return this.numerator > 0n && this.numerator % this.denominator !== 0n ? q + 1n : q;
  }

  /** The largest integer ≤ this. */
  floor(): bigint {
    const q = this.numerator / this.denominator;
    return this.numerator < 0n && this.numerator % this.denominator !== 0n ? q - 1n : q;
  }

  /** Rounded to `places` decimals, half away from zero, as a bigint count of 10^-places units. */
  scaled(places: number): bigint {
    const scale = 10n ** BigInt(places);
    const n = this.numerator * scale;
    const d = this.denominator;
    const magnitude = n < 0n ? -n : n;
    const rounded = (magnitude * 2n + d) / (2n * d);
    return n < 0n ? -rounded : rounded;
  }

  /** A decimal string rounded to `places` decimals (half away from zero), e.g. "12.3400". */
  toFixed(places: number): string {
    const units = this.scaled(places);
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(places + 1, '0');
    const whole = digits.slice(0, digits.length - places);
    const fraction = places > 0 ? `.${digits.slice(digits.length - places)}` : '';
    return `${negative && units !== 0n ? '-' : ''}${whole}${fraction}`;
  }

  /** The exact decimal string when the denominator divides a power of ten, else undefined. */
  toExactDecimal(): string | undefined {
    let d = this.denominator;
    let places = 0;
    while (d % 10n === 0n) {
      d /= 10n;
      places += 1;
    }
    let twos = 0;
    while (d % 2n === 0n) {
      d /= 2n;
      twos += 1;
    }
    let fives = 0;
    while (d % 5n === 0n) {
      d /= 5n;
      fives += 1;
    }
    if (d !== 1n) return undefined;
    return this.toFixed(places + Math.max(twos, fives));
  }

  toString(): string {
    return this.toExactDecimal() ?? `${this.numerator}/${this.denominator}`;
  }

  /** JSON carries the exact value as a string (a decimal when it has one). */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * `value` with `digits` significant digits (at least one decimal place below 1, none needed
 * above 10^digits), e.g. 0.000123456 → "0.000123456", 7.25 → "7.25000".
 */
export function significant(value: Exact, digits = 6): string {
  if (value.isZero()) return '0';
  const magnitude = value.compare(Exact.ZERO) < 0 ? value.negate() : value;
  let exponent = 0;
  let power = Exact.ONE;
  while (magnitude.compare(power) < 0) {
    power = power.dividedBy(10);
    exponent -= 1;
  }
  while (magnitude.compare(power.times(10)) >= 0) {
    power = power.times(10);
    exponent += 1;
  }
  return value.toFixed(Math.max(0, digits - 1 - exponent));
}

/** Formats a whole number with thousands separators ("1,234,567"). */
export function groupDigits(value: bigint | number): string {
  const text = value.toString();
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  return `${negative ? '-' : ''}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}
