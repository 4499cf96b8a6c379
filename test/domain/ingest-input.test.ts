/**
 * What an input line must be (ING-1, ING-2, ING-3, ING-4) at the classifier: each defect below was
 * reproduced on a real line before the guard existed.
 */
import { AUTHORISATION_TIMESTAMP_FIELDS, classifyLine, withoutByteOrderMark } from '../../src/domain/ingest';
import common from '../../schemas/common.schema.json';
import type { LineClassification } from '../../src/domain/ingest';
import { validateAuthorisation } from '../../schemas';
import { authorisation } from '../support/builders';

const plain = JSON.stringify(authorisation());

function classify(line: string): LineClassification {
  return classifyLine(line, validateAuthorisation);
}

function reasonOf(line: string): string {
  const classified = classify(line);
  if (classified.kind !== 'invalid') throw new Error(`expected a dead letter, got a valid authorisation for ${line.slice(0, 200)}`);
  return classified.reason;
}

describe('ING-1: strict JSON', () => {
  it('a 40 KB line nested 20,000 deep with a \\u escape is one dead letter, not a stack overflow', () => {
    const deep = `{"a":${'['.repeat(20_000)}"\\u0041"${']'.repeat(20_000)}}`;
    expect(deep.length).toBeGreaterThan(40_000);
    expect(reasonOf(deep)).toMatch(/nested more than 32 deep at \$\.a(\[0\])+/);
    const deepObjects = `${'{"x":'.repeat(20_000)}"\\u0041"${'}'.repeat(20_000)}`;
    expect(reasonOf(deepObjects)).toMatch(/nested more than 32 deep/);
  });

  it.each([
    ['a duplicated panToken', plain.replace('{', '{"panToken":"tok_OTHERCARD99999999",')],
    ['a duplicated panToken with the same value', plain.replace('{', '{"panToken":"tok_ABCDEFGH12345678",')],
    ['an escaped duplicate name', plain.replace('{', '{"pan\\u0054oken":"tok_OTHERCARD99999999",')],
    ['a fully escaped duplicate name', plain.replace('{', `{"${[...'panToken'].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}":"tok_X1234567",`)],
  ])('%s is dead-lettered naming the member, not its value', (_name, line) => {
    const reason = reasonOf(line);
    expect(reason).toMatch(/duplicate member name at \$\.panToken/);
    expect(reason).not.toContain('tok_');
  });

  it('a duplicate inside a nested object names the nested member', () => {
    const line = plain.replace('"merchant":{', '"merchant":{"mcc":"5999",');
    expect(reasonOf(line)).toMatch(/duplicate member name at \$\.merchant\.mcc/);
  });

  it('the same name in two different objects is not a duplicate', () => {
    const line = JSON.stringify({ ...authorisation(), billingAmount: { value: '30.00', currency: 'EUR' }, conversionRate: '1.2' });
    expect(classify(line).kind).toBe('valid');
  });

  it('a lone UTF-16 surrogate, escaped or raw, is dead-lettered', () => {
    expect(reasonOf(plain.replace('Corner Shop', 'Corner \\uD800Shop'))).toMatch(/lone UTF-16 surrogate at \$\.merchant\.name/);
    expect(reasonOf(plain.replace('Corner Shop', 'Corner \\uDC00Shop'))).toMatch(/lone UTF-16 surrogate/);
    expect(reasonOf(plain.replace('Corner Shop', 'Corner \uD800Shop'))).toMatch(/lone UTF-16 surrogate/);
    // a proper pair is a character like any other
    expect(classify(plain.replace('Corner Shop', 'Corner \\uD83D\\uDE00Shop')).kind).toBe('valid');
    expect(classify(plain.replace('Corner Shop', 'Corner \u{1F600}Shop')).kind).toBe('valid');
  });

  it('only one object per line', () => {
    expect(reasonOf('[1,2]')).toMatch(/not a JSON object/);
    expect(reasonOf('1e400')).toMatch(/not a JSON object/);
    expect(reasonOf('"text"')).toMatch(/not a JSON object/);
    expect(reasonOf('null')).toMatch(/not a JSON object/);
  });

  it('the hex digits of a \\u escape are not digits of the value (a card-number check must not depend on the spelling)', () => {
    // rrn "630500100053" with its second digit escaped: the raw text reads 6, 0033, 0500100053
    const line = JSON.stringify(authorisation({ rrn: '630500100053', stan: '100053' })).replace('"630500100053"', '"6\\u00330500100053"');
    expect(JSON.parse(line).rrn).toBe('630500100053');
    expect(classify(line).kind).toBe('valid');
    // while a card number spelled with escapes is still found, in the parsed value
    const spelled = JSON.stringify(authorisation()).replace('"Corner Shop"', '"Shop 4111\\u00201111\\u0020111\\u0031 1111"');
    expect(reasonOf(spelled)).toMatch(/field \$\.merchant\.name contains a PAN-like number/);
  });

  it('a JSON syntax error is named without quoting the line', () => {
    expect(reasonOf('not json 4111')).toBe("not JSON: Unexpected token 'o'");
    expect(reasonOf('\u0000{}')).toBe('not JSON: Unexpected token U+0000');
    expect(reasonOf(`${plain} x`)).toMatch(/^not JSON: Unexpected non-whitespace character after JSON at position \d+$/);
  });

  it('a byte-order mark is dropped from a first line only by withoutByteOrderMark; mid-file it is a dead letter', () => {
    expect(withoutByteOrderMark(`\uFEFF${plain}`)).toBe(plain);
    expect(withoutByteOrderMark(plain)).toBe(plain);
    expect(withoutByteOrderMark('\uFEFF\uFEFFx')).toBe('\uFEFFx');
    expect(reasonOf(`\uFEFF${plain}`)).toMatch(/^not JSON/);
  });

  it('an escaped card number in a line that fails the strict check is withheld', () => {
    const escaped = [...'4111111111111111'].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join('');
    const line = plain.replace('{', `{"terminalId":"${escaped}",`);
    const classified = classify(line);
    expect(classified.kind).toBe('invalid');
    if (classified.kind === 'invalid') expect(classified.redactedLine).not.toContain(escaped);
    const notJson = `{"note":"${escaped}"`;
    const broken = classify(notJson);
    expect(broken.kind).toBe('invalid');
    if (broken.kind === 'invalid') expect(broken.redactedLine).not.toContain(escaped);
  });
});

describe('ING-2: every timestamp is a real RFC 3339 instant, years 2000-2099', () => {
  it.each([
    ['month 13', '2026-13-01T10:00:00Z'],
    ['month 00', '2026-00-01T10:00:00Z'],
    ['hour 25', '2026-11-01T25:00:00Z'],
    ['hour 24', '2026-11-01T24:00:00Z'],
    ['minute 60', '2026-11-01T10:60:00Z'],
    ['offset +99:99', '2026-11-01T10:00:00+99:99'],
    ['offset +24:00', '2026-11-01T10:00:00+24:00'],
    ['offset minutes 60', '2026-11-01T10:00:00+01:60'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['30 February', '2026-02-30T10:00:00Z'],
    ['29 February in a common year', '2027-02-29T10:00:00Z'],
    ['31 April', '2026-04-31T10:00:00Z'],
    ['day 00', '2026-11-00T10:00:00Z'],
    ['year 0000', '0000-01-01T10:00:00Z'],
    ['year 9999', '9999-12-31T10:00:00Z'],
    ['year 1999', '1999-12-31T23:59:59Z'],
    ['year 2100', '2100-01-01T00:00:00Z'],
    ['an offset without colon', '2026-11-01T10:00:00+0100'],
    ['no offset', '2026-11-01T10:00:00'],
    ['a date only', '2026-11-01'],
  ])('%s is dead-lettered naming transmittedAt', (_name, transmittedAt) => {
    const reason = reasonOf(JSON.stringify(authorisation({ transmittedAt })));
    expect(reason).toMatch(/transmittedAt/);
  });

  it.each([
    ['the first instant of 2000', '2000-01-01T00:00:00Z'],
    ['the last second of 2099', '2099-12-31T23:59:59.999Z'],
    ['29 February in a leap year', '2028-02-29T10:00:00Z'],
    ['29 February 2000', '2000-02-29T10:00:00Z'],
    ['the widest offsets', '2026-11-01T10:00:00+23:59'],
    ['a negative offset', '2026-11-01T10:00:00-23:59'],
    ['nanoseconds', '2026-11-01T10:00:00.123456789Z'],
  ])('%s is accepted', (_name, transmittedAt) => {
    expect(classify(JSON.stringify(authorisation({ transmittedAt }))).kind).toBe('valid');
  });
});

describe("ING-2: the checked fields are the schema's date-time fields", () => {
  it('every authorisation property whose schema is a timestamp or a date is checked', () => {
    const properties = common.definitions.authorisation.properties as Record<string, { $ref?: string }>;
    const dated = Object.entries(properties)
      .filter(([, schema]) => schema.$ref === '#/definitions/timestamp' || schema.$ref === '#/definitions/date')
      .map(([field]) => field);
    expect(dated.length).toBeGreaterThan(0);
    expect([...AUTHORISATION_TIMESTAMP_FIELDS].sort()).toEqual(dated.sort());
  });
});

describe('ING-3: a zero amount is not a posting', () => {
  it.each([
    ['amount "0"', { amount: { value: '0', currency: 'GBP' } }],
    ['amount "0.00"', { amount: { value: '0.00', currency: 'GBP' } }],
    ['amount "0.000" in BHD', { amount: { value: '0.000', currency: 'BHD' } }],
    ['billingAmount "0.00"', { billingAmount: { value: '0.00', currency: 'EUR' }, conversionRate: '1.17' }],
  ])('%s is dead-lettered with reason "zero amount"', (_name, overrides) => {
    expect(reasonOf(JSON.stringify(authorisation(overrides)))).toMatch(/^zero amount/);
  });

  it('the smallest non-zero amount is a posting', () => {
    expect(classify(JSON.stringify(authorisation({ amount: { value: '0.01', currency: 'GBP' } }))).kind).toBe('valid');
    expect(classify(JSON.stringify(authorisation({ amount: { value: '1', currency: 'JPY' } }))).kind).toBe('valid');
  });
});

describe('ING-2: an amount with more decimal places than its currency allows', () => {
  it.each([
    ['amount', { amount: { value: '12.345', currency: 'GBP' } }, 'amount.value: has 3 decimal places; GBP allows 2', '12.345'],
    ['amount in JPY', { amount: { value: '1500.5', currency: 'JPY' } }, 'amount.value: has 1 decimal places; JPY allows 0', '1500.5'],
    ['billingAmount', { billingAmount: { value: '98.765', currency: 'EUR' }, conversionRate: '1.17' }, 'billingAmount.value: has 3 decimal places; EUR allows 2', '98.765'],
  ])('%s is dead-lettered naming the path and the rule, never the value', (_name, overrides, reason, value) => {
    const got = reasonOf(JSON.stringify(authorisation(overrides)));
    expect(got).toBe(reason);
    expect(got).not.toContain(value);
  });
});
