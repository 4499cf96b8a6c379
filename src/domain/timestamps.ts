/**
 * ING-2: a timestamp is a real RFC 3339 instant, or it is refused at ingest with the field named.
 *
 * Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction]<offset>` with
 * - year 2000-2099 (as written), month 01-12, a day that exists in that month (29 February in
 *   leap years only);
 * - hour 00-23, minute 00-59, second 00-59 (no leap second: nothing downstream can date one);
 * - an optional fraction of 1-9 digits;
 * - offset `Z` or `±hh:mm` with hh 00-23 and mm 00-59.
 * Upper-case `T` and `Z` only; no space separator, no offset without its colon, no date without a
 * time. The schema's `date-time` format is a regex that lets `2026-13-01`, hour 25, `+99:99`,
 * `23:59:60` and 30 February through; this check is what stands between them and the ledger.
 */

export const TIMESTAMP_YEARS = Object.freeze({ first: 2000, last: 2099 });

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?(?:Z|[+-]([0-9]{2}):([0-9]{2}))$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function calendarDateFault(year: number, month: number, day: number): string | undefined {
  if (year < TIMESTAMP_YEARS.first || year > TIMESTAMP_YEARS.last) return `year outside ${TIMESTAMP_YEARS.first}-${TIMESTAMP_YEARS.last}`;
  if (month < 1 || month > 12) return 'month outside 01-12';
  if (day < 1 || day > daysInMonth(year, month)) return 'day does not exist in that month';
  return undefined;
}

/** What is wrong with an RFC 3339 date-time (never echoing it), or undefined when it is a real instant. */
export function timestampFault(value: string): string | undefined {
  const match = RFC3339.exec(value);
  if (!match) return 'not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.fraction] then Z or ±hh:mm)';
  const [, year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match;
  const dateFault = calendarDateFault(Number(year), Number(month), Number(day));
  if (dateFault) return dateFault;
  if (Number(hour) > 23) return 'hour outside 00-23';
  if (Number(minute) > 59) return 'minute outside 00-59';
  if (Number(second) > 59) return 'second outside 00-59 (no leap second)';
  if (offsetHours !== undefined && (Number(offsetHours) > 23 || Number(offsetMinutes) > 59)) return 'offset outside ±23:59';
  return undefined;
}

/** What is wrong with an RFC 3339 full-date (`YYYY-MM-DD`), or undefined when the day exists. */
export function dateFault(value: string): string | undefined {
  const match = DATE.exec(value);
  if (!match) return 'not an RFC 3339 date (YYYY-MM-DD)';
  return calendarDateFault(Number(match[1]), Number(match[2]), Number(match[3]));
}
