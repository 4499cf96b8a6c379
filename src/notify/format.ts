/**
 * Locale formatting of template variables (NOTIFY-1). Money is formatted from its exact decimal
 * string: the amount is validated and canonicalised through bigint minor units
 * (src/domain/money.ts), then handed to Intl.NumberFormat AS A STRING (ECMA-402 formats a decimal
 * string as an exact mathematical value, never through a binary float); the fraction digits are
 * fixed to the currency's ISO 4217 exponent, so nothing is ever rounded.
 */
import type { Money } from '../domain/money';
import { currencyExponent, fromMinorUnits, MoneyError, toMinorUnits } from '../domain/money';
import { containsPan } from '../domain/pan';

export class FormatError extends Error {
  override name = 'FormatError';
}

const LOCALE = /^[a-z]{2,3}(-[A-Z]{2})?$/;

/** The BCP 47 tag for a language and an optional region, e.g. `de` + `CH` → `de-CH`. */
export function localeOf(language: string, region?: string): string {
  const tag = region ? `${language}-${region}` : language;
  if (!LOCALE.test(tag)) throw new FormatError(`locale "${tag}" is not <language>[-<REGION>] (e.g. en-GB)`);
  return tag;
}

/**
 * Intl formatters are costly to build (the locale data, and a time zone's rules for a date) and
 * immutable: one per distinct (kind, locale, currency or zone), kept for the process. The keys come
 * from a handful of locales, ISO 4217 codes and IANA zones; a bound keeps a stream of odd inputs
 * from growing it without end.
 */
const FORMATTERS = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
const MAX_FORMATTERS = 512;

function formatter<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, build: () => F): F {
  let found = FORMATTERS.get(key) as F | undefined;
  if (found === undefined) {
    found = build();
    if (FORMATTERS.size >= MAX_FORMATTERS) FORMATTERS.clear();
    FORMATTERS.set(key, found);
  }
  return found;
}

/** The exact amount formatted for `locale`, e.g. `{ value: "1234.5", currency: "EUR" }` in de-DE → `1.234,50 €`. */
export function formatMoney(amount: Money, locale: string): string {
  let minor: bigint;
  try {
    minor = toMinorUnits(amount.value, amount.currency);
  } catch (error) {
    throw new FormatError(`money ${JSON.stringify(amount.value)} ${amount.currency}: ${(error as Error).message}`);
  }
  const exponent = currencyExponent(amount.currency);
  const exact = fromMinorUnits(minor, amount.currency);
  const format = formatter(
    `money\u0000${locale}\u0000${amount.currency}`,
    () =>
      new Intl.NumberFormat(locale, {
        style: 'currency',
        currency: amount.currency,
        minimumFractionDigits: exponent,
        maximumFractionDigits: exponent,
      }),
  );
  // A string argument is an exact decimal for Intl.NumberFormat (ES2023 Intl.NumberFormat v3).
  return (format.format as (value: string) => string)(exact);
}

/** A non-negative integer formatted for `locale` (group separators), exactly (bigint). */
export function formatCount(count: number | bigint, locale: string): string {
  if (typeof count === 'number' && (!Number.isSafeInteger(count) || count < 0)) throw new FormatError(`count ${count} is not a non-negative integer`);
  if (typeof count === 'bigint' && count < 0n) throw new FormatError(`count ${count} is negative`);
  return formatter(`count\u0000${locale}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 })).format(BigInt(count));
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 instant formatted for `locale` in `timeZone` (an IANA zone, UTC by default). */
export function formatDateTime(iso: string, locale: string, timeZone = 'UTC'): string {
  if (!ISO_INSTANT.test(iso)) throw new FormatError(`datetime "${iso}" is not an ISO 8601 instant with a zone`);
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) throw new FormatError(`datetime "${iso}" is not a valid instant`);
  try {
    return formatter(`datetime\u0000${locale}\u0000${timeZone}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone })).format(at);
  } catch (error) {
    throw new FormatError(`time zone "${timeZone}": ${(error as Error).message}`);
  }
}

/** A card token (schemas/common.schema.json `panToken`): `tok_` and 8–64 letters or digits. */
const TOKEN = /^tok_[A-Za-z0-9]{8,64}$/;

/**
 * A card as the customer may see it: the last four characters of its TOKEN, never of a card number
 * (PCI-3). Anything that is not a token is refused, and the error never repeats the value.
 */
export function cardSuffix(panToken: string): string {
  if (!TOKEN.test(panToken) || containsPan(panToken, 'identifier')) throw new FormatError('card: not a card token (tok_ and 8-64 letters or digits); the value is withheld');
  return panToken.slice(-4);
}

/** How a card is shown: `•••• 1a2B`. */
export function formatCard(panToken: string): string {
  return `•••• ${cardSuffix(panToken)}`;
}

/** Money as a webhook carries it: exact, canonical (the currency's exponent), never a number. */
export function canonicalMoney(amount: Money): Money {
  try {
    return { value: fromMinorUnits(toMinorUnits(amount.value, amount.currency), amount.currency), currency: amount.currency };
  } catch (error) {
    if (error instanceof MoneyError) throw new FormatError(`money ${JSON.stringify(amount.value)} ${amount.currency}: ${error.message}`);
    throw error;
  }
}
