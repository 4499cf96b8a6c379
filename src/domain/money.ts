/**
 * Exact money. Amounts travel as decimal strings with an ISO 4217 currency and are
 * computed as bigint minor units. No floating point anywhere money flows.
 */

export interface Money {
  /** Positive or negative decimal string, e.g. "12.30"; never exponent notation. */
  value: string;
  /** ISO 4217 alphabetic code. */
  currency: string;
}

/**
 * ISO 4217 minor-unit exponents for the currencies Ledgerline handles.
 * DEM (withdrawn 2002, exponent 2) and RON appear in real bank statement samples the
 * reconciliation parsers are tested on.
 */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  AED: 2,
  AUD: 2,
  BHD: 3,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  CZK: 2,
  DEM: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  INR: 2,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  MXN: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PLN: 2,
  RON: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TRY: 2,
  USD: 2,
  ZAR: 2,
});

export class MoneyError extends Error {
  override name = 'MoneyError';
}

const DECIMAL = /^(-)?(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

export function isKnownCurrency(currency: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENTS, currency);
}

export function currencyExponent(currency: string): number {
  const exponent = CURRENCY_EXPONENTS[currency];
  if (exponent === undefined) throw new MoneyError(`unknown ISO 4217 currency "${currency}"`);
  return exponent;
}

/**
 * Parses a decimal string into minor units of `currency`.
 * Rejects more fractional digits than the currency allows (e.g. "1.234" GBP).
 */
export function toMinorUnits(value: string, currency: string): bigint {
  const exponent = currencyExponent(currency);
  const match = DECIMAL.exec(value);
  if (!match) throw new MoneyError(`amount "${value}" is not a decimal string`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > exponent) {
    throw new MoneyError(`amount "${value}" has ${fraction.length} decimal places; ${currency} allows ${exponent}`);
  }
  const minor = BigInt((whole ?? '0') + fraction.padEnd(exponent, '0'));
  return sign ? -minor : minor;
}

const minorCache = new WeakMap<Money, bigint>();

/**
 * toMinorUnits of a Money value, parsed once per object: money values are immutable, and one
 * posting leg's amount is read by the balance check, the ledger write and the posting record.
 */
export function minorOf(amount: Money): bigint {
  let minor = minorCache.get(amount);
  if (minor === undefined) {
    minor = toMinorUnits(amount.value, amount.currency);
    minorCache.set(amount, minor);
  }
  return minor;
}

/** Formats minor units as a decimal string with exactly the currency's exponent. */
export function fromMinorUnits(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString();
  if (exponent === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const text = `${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
  return negative ? `-${text}` : text;
}

export function money(minor: bigint, currency: string): Money {
  return { value: fromMinorUnits(minor, currency), currency };
}

/** Normalises a Money to its canonical string (exact exponent), validating precision. */
export function canonical(amount: Money): Money {
  return money(toMinorUnits(amount.value, amount.currency), amount.currency);
}

/** A positive decimal rate such as "1.1734" held as an exact fraction. */
export interface Rate {
  numerator: bigint;
  denominator: bigint;
}

const RATE = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,12}))?$/;

export function parseRate(text: string): Rate {
  const match = RATE.exec(text);
  if (!match) throw new MoneyError(`rate "${text}" is not a positive decimal with at most 12 places`);
  const [, whole, fraction = ''] = match;
  const numerator = BigInt((whole ?? '0') + fraction);
  if (numerator === 0n) throw new MoneyError(`rate "${text}" must be greater than zero`);
  return { numerator, denominator: 10n ** BigInt(fraction.length) };
}

/** Divides with round-half-to-even (banker's rounding), the ISO 20022 / ledger norm. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new MoneyError('division by zero');
  if (denominator < 0n) return divideHalfEven(-numerator, -denominator);
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  const remainder = n % denominator;
  const twice = remainder * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** Converts minor units between currencies at `rate` (target per 1 unit of source). */
export function convertMinorUnits(minor: bigint, from: string, to: string, rate: Rate): bigint {
  const scale = currencyExponent(to) - currencyExponent(from);
  let numerator = minor * rate.numerator;
  let denominator = rate.denominator;
  if (scale >= 0) numerator *= 10n ** BigInt(scale);
  else denominator *= 10n ** BigInt(-scale);
  return divideHalfEven(numerator, denominator);
}

/** Applies a fee in basis points (1 bp = 0.01%), rounded half-even. */
export function basisPoints(minor: bigint, bps: number): bigint {
  if (!Number.isInteger(bps) || bps < 0) throw new MoneyError(`fee ${bps} bp must be a non-negative integer`);
  return divideHalfEven(minor * BigInt(bps), 10_000n);
}
