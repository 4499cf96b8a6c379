/**
 * Exact sums of signed decimal strings (REC-1: money is never a float): the totals of a grouped
 * case (REC-CASE-1) and the volumes of the dashboards (REC-DASH-1). Pure.
 */
import { currencyExponent, isKnownCurrency } from '../../domain/money';

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** A decimal string as an integer of 10^-scale units, or undefined when it is not a plain decimal. */
function scaled(amount: string, scale: number): bigint | undefined {
  const match = DECIMAL.exec(amount);
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) return undefined;
  const units = BigInt(whole! + fraction.padEnd(scale, '0'));
  return sign === '-' ? -units : units;
}

/** The number of decimals a sum of `amounts` in `currency` is shown with: the currency's, or more if an amount carries more. */
function scaleOf(amounts: readonly string[], currency: string): number {
  let scale = isKnownCurrency(currency) ? currencyExponent(currency) : 0;
  for (const amount of amounts) {
    const fraction = DECIMAL.exec(amount)?.[3];
    if (fraction && fraction.length > scale) scale = fraction.length;
  }
  return scale;
}

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString();
  if (scale === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** Throws naming the amount when one is not a plain signed decimal string. */
export class AmountError extends Error {
  override name = 'AmountError';
}

/** The exact sum of signed decimal strings of one currency ("" counts as nothing is not allowed: every amount must be a decimal). */
export function sumAmounts(amounts: readonly string[], currency: string): string {
  const scale = scaleOf(amounts, currency);
  let total = 0n;
  for (const amount of amounts) {
    const units = scaled(amount, scale);
    if (units === undefined) throw new AmountError(`amount "${amount}" (${currency}) is not a decimal number`);
    total += units;
  }
  return format(total, scale);
}

/** a - b, exactly. */
export function subtractAmounts(a: string, b: string, currency: string): string {
  const scale = scaleOf([a, b], currency);
  const x = scaled(a, scale);
  const y = scaled(b, scale);
  if (x === undefined) throw new AmountError(`amount "${a}" (${currency}) is not a decimal number`);
  if (y === undefined) throw new AmountError(`amount "${b}" (${currency}) is not a decimal number`);
  return format(x - y, scale);
}

/** Whether `amount` is a plain signed decimal string. */
export function isDecimal(amount: string): boolean {
  return DECIMAL.test(amount);
}
