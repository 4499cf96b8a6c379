/**
 * ING-2: timestampFault against an independent oracle (Date.UTC round trips) over generated
 * field values on both sides of every bound, plus the documented boundaries one by one.
 */
import fc from 'fast-check';
import { dateFault, TIMESTAMP_YEARS, timestampFault } from '../../src/domain/timestamps';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

const two = (n: number): string => String(n).padStart(2, '0');
const four = (n: number): string => String(n).padStart(4, '0');

/** A calendar day exists when Date.UTC does not roll it over into another day. */
function dayExists(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day;
}

const parts = fc.record({
  year: fc.oneof(fc.integer({ min: 1998, max: 2101 }), fc.constantFrom(0, 1, 999, 9999)),
  month: fc.integer({ min: 0, max: 13 }),
  day: fc.integer({ min: 0, max: 32 }),
  hour: fc.integer({ min: 0, max: 25 }),
  minute: fc.integer({ min: 0, max: 61 }),
  second: fc.integer({ min: 0, max: 61 }),
  fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
  offset: fc.option(fc.record({ sign: fc.constantFrom('+', '-'), hours: fc.integer({ min: 0, max: 25 }), minutes: fc.integer({ min: 0, max: 61 }) }), { nil: undefined }),
});

describe('timestamps (ING-2)', () => {
  it('accepts exactly the real instants of 2000-2099, and then agrees with Date.parse', () => {
    let accepted = 0;
    fc.assert(
      fc.property(parts, (p) => {
        const offset = p.offset ? `${p.offset.sign}${two(p.offset.hours)}:${two(p.offset.minutes)}` : 'Z';
        const text = `${four(p.year)}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${p.fraction === undefined ? '' : `.${p.fraction}`}${offset}`;
        const real =
          p.year >= 2000 && p.year <= 2099 && dayExists(p.year, p.month, p.day) && p.hour <= 23 && p.minute <= 59 && p.second <= 59 && (!p.offset || (p.offset.hours <= 23 && p.offset.minutes <= 59));
        expect([text, timestampFault(text) === undefined]).toEqual([text, real]);
        if (!real) return;
        accepted += 1;
        const sign = p.offset?.sign === '-' ? -1 : 1;
        const offsetMs = p.offset ? sign * (p.offset.hours * 60 + p.offset.minutes) * 60_000 : 0;
        const ms = p.fraction === undefined ? 0 : Math.floor(Number(`0.${p.fraction}`) * 1000 + 1e-9);
        const expected = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, ms) - offsetMs;
        expect(Math.abs(Date.parse(text) - expected)).toBeLessThanOrEqual(1);
      }),
      { numRuns: fuzzRuns(1500), seed: fuzzSeed(2026) },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it.each([
    ['2000-01-01T00:00:00Z', undefined],
    ['1999-12-31T23:59:59Z', /year outside 2000-2099/],
    ['2099-12-31T23:59:59Z', undefined],
    ['2100-01-01T00:00:00Z', /year outside/],
    ['2026-01-31T00:00:00Z', undefined],
    ['2026-01-32T00:00:00Z', /day/],
    ['2026-02-28T00:00:00Z', undefined],
    ['2026-02-29T00:00:00Z', /day does not exist/],
    ['2024-02-29T00:00:00Z', undefined],
    ['2026-12-01T00:00:00Z', undefined],
    ['2026-13-01T00:00:00Z', /month outside 01-12/],
    ['2026-01-01T23:59:59Z', undefined],
    ['2026-01-01T24:00:00Z', /hour outside 00-23/],
    ['2026-01-01T25:00:00Z', /hour/],
    ['2026-01-01T00:59:00Z', undefined],
    ['2026-01-01T00:60:00Z', /minute outside 00-59/],
    ['2026-12-31T23:59:60Z', /no leap second/],
    ['2026-01-01T00:00:00+23:59', undefined],
    ['2026-01-01T00:00:00+24:00', /offset outside/],
    ['2026-01-01T00:00:00-00:60', /offset outside/],
    ['2026-01-01T00:00:00+99:99', /offset outside/],
    ['2026-01-01T00:00:00.123456789Z', undefined],
    ['2026-01-01T00:00:00.1234567890Z', /not an RFC 3339 date-time/],
    ['2026-01-01T00:00:00.Z', /not an RFC 3339/],
    ['2026-01-01t00:00:00z', /not an RFC 3339/],
    ['2026-01-01 00:00:00Z', /not an RFC 3339/],
    ['2026-01-01T00:00:00+0100', /not an RFC 3339/],
    ['+002026-01-01T00:00:00Z', /not an RFC 3339/],
    ['2026-1-01T00:00:00Z', /not an RFC 3339/],
    ['２０２６-01-01T00:00:00Z', /not an RFC 3339/],
    ['', /not an RFC 3339/],
  ])('%s', (text, expected) => {
    if (expected === undefined) expect(timestampFault(text)).toBeUndefined();
    else expect(timestampFault(text)).toMatch(expected);
  });

  it('a fault never echoes the value', () => {
    expect(timestampFault('4111111111111111')).not.toMatch(/[0-9]{5}/);
  });

  it('dates: the same calendar and range', () => {
    expect(dateFault(`${TIMESTAMP_YEARS.first}-01-01`)).toBeUndefined();
    expect(dateFault(`${TIMESTAMP_YEARS.last}-12-31`)).toBeUndefined();
    expect(dateFault('1999-12-31')).toMatch(/year/);
    expect(dateFault('2026-02-30')).toMatch(/day/);
    expect(dateFault('2026-13-01')).toMatch(/month/);
    expect(dateFault('2026-02-30T00:00:00Z')).toMatch(/not an RFC 3339 date/);
  });
});
