/**
 * The PAN guard, by example and at every documented boundary (PCI-1 text evidence, PCI-2
 * identifier evidence). The generated class tests are in pan.spellings.test.ts and
 * pan.properties.test.ts.
 */
import { containsPan, findPan, PAN_REDACTION, panSpans, passesLuhn, redactPans } from '../../src/domain/pan';
import { fitsCardScheme } from '../support/card-schemes';
import { containsDigitsOf, luhnComplete, luhnValid } from '../support/pan-spellings';

const VISA = '4111111111111111';

/** A digit string of `length` that fails Luhn (its last digit bumped off the check digit). */
function failingLuhn(body: string): string {
  const valid = luhnComplete(body);
  const last = (Number(valid.slice(-1)) + 1) % 10;
  return `${body}${last}`;
}

describe('PAN guard: text evidence (PCI-1)', () => {
  it('checks Luhn like the reference', () => {
    expect(passesLuhn(VISA)).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(passesLuhn('378282246310005')).toBe(true);
  });

  it('finds a PAN written as one run, in groups, or with an expiry or digits around it', () => {
    expect(containsPan(`card ${VISA} used`)).toBe(true);
    expect(containsPan('4111 1111 1111 1111')).toBe(true);
    expect(containsPan('4111-1111-1111-1111')).toBe(true);
    expect(containsPan('378282246310005')).toBe(true); // 15-digit Amex
    // The greedy candidate of old: the 20-digit chain fails Luhn, the 16-digit window does not.
    expect(passesLuhn('41111111111111111225')).toBe(false);
    expect(containsPan('card 4111 1111 1111 1111 12 25')).toBe(true);
    expect(containsPan('0042 4111 1111 1111 1111')).toBe(true);
    for (const separator of ['.', '/', '_', ',', '  ', '\t', ' - ', '\u00a0', '\u2013', '\u2014']) {
      expect(containsPan(['4111', '1111', '1111', '1111'].join(separator))).toBe(true);
    }
    expect(containsPan('\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11')).toBe(true); // full-width
  });

  it('finds a window inside an unseparated run longer than 19 digits', () => {
    expect(containsPan(`98765${VISA}0123`)).toBe(true);
    // …but a run of 13–19 digits is judged whole: 17 digits failing Luhn are not searched for windows.
    const seventeen = `${VISA}0`;
    expect(passesLuhn(seventeen)).toBe(false);
    expect(containsPan(seventeen)).toBe(false);
  });

  it('joins groups across up to three separators, not four, and never across a colon', () => {
    expect(containsPan('4111 - 1111 - 1111 - 1111')).toBe(true);
    expect(containsPan('4111 -  1111 -  1111 -  1111')).toBe(false);
    expect(containsPan('4111:1111:1111:1111')).toBe(false);
    expect(containsPan('2026-11-01T00:00:00Z stan 123456 rrn 000000123456')).toBe(false);
    expect(containsPan('2026-11-01 12:34:56.789')).toBe(false);
    // Colons do not join even where another long chain is present in the same text.
    const colonJoined = luhnComplete('400000000000').replace(/^(.{4})(.{4})(.{4})/, '$1:$2:$3:');
    expect(containsPan(`${failingLuhn('411111111111111')} at ${colonJoined}`)).toBe(false);
    expect(containsPan(`${failingLuhn('411111111111111')} at ${colonJoined.replace(/:/g, ' ')}`)).toBe(true);
  });

  describe.each([
    [12, false],
    [13, true],
    [19, true],
  ])('a run of %i digits', (length, isPan) => {
    const body = '4'.padEnd(length - 1, '7');
    it(`passing Luhn is ${isPan ? '' : 'not '}a PAN`, () => {
      const valid = luhnComplete(body);
      expect(valid).toHaveLength(length);
      expect(containsPan(valid)).toBe(isPan);
      expect(containsPan(`ref ${valid}.`)).toBe(isPan);
    });
    it('failing Luhn is not a PAN', () => {
      expect(containsPan(failingLuhn(body))).toBe(false);
    });
  });

  it('does not take 20 digits as a PAN by themselves: only a 13–19-digit window passing Luhn counts', () => {
    // A 20-digit run that passes Luhn as a whole, while none of its 13–19-digit windows does.
    let plain: string | undefined;
    for (let seed = 0; plain === undefined; seed += 1) {
      const candidate = luhnComplete(String(1_000_000_000_000_000_000n + BigInt(seed) * 7_919_000_000_003n).slice(0, 19));
      let windowPasses = false;
      for (let length = 13; length <= 19 && !windowPasses; length += 1) {
        for (let start = 0; start + length <= 20 && !windowPasses; start += 1) windowPasses = luhnValid(candidate.slice(start, start + length));
      }
      if (!windowPasses) plain = candidate;
    }
    expect(plain).toHaveLength(20);
    expect(luhnValid(plain)).toBe(true);
    expect(containsPan(plain)).toBe(false);
    expect(containsPan('41111111111111111111')).toBe(true); // its first 16 digits are the Visa test number
  });

  it('is not fooled by 20 digits split into groups either: whole groups only', () => {
    // 13 + 7 digits in two groups: the 13-digit group alone must pass Luhn to count.
    const thirteen = luhnComplete('400000000000');
    expect(containsPan(`${thirteen} 1234567`)).toBe(true);
    expect(containsPan(`${failingLuhn('400000000000')} 1234567`)).toBe(false);
  });

  it('finds PANs in \\u escapes, valid JSON or not, and says when only the escapes hid it', () => {
    const escaped = [...VISA].map((digit) => `\\u00${digit.charCodeAt(0).toString(16)}`).join('');
    expect(containsPan(`{"note":"${escaped}"}`)).toBe(true);
    expect(containsPan(`{"note":"${escaped}",,`)).toBe(true);
    expect(containsPan(`{"note":"${escaped}"`)).toBe(true);
    // Only the escapes hid it: the same text with its backslashes dropped holds no card number.
    expect(containsPan(`{"note":"${escaped.replace(/\\/g, '')}"`)).toBe(false);
    expect(containsPan('{"note":"4111\\t1111\\t1111\\t1111"}')).toBe(true);
    expect(containsPan('{"note":"4111\\/1111\\/1111\\/1111"}')).toBe(true);
  });
});

describe('PAN guard: identifier evidence (PCI-2)', () => {
  it('takes a standalone scheme-shaped Luhn number as a PAN, and nothing less', () => {
    expect(containsPan(VISA, 'identifier')).toBe(true);
    expect(containsPan(`ACC-${VISA}`, 'identifier')).toBe(true);
    expect(containsPan('4111 1111 1111 1111', 'identifier')).toBe(true);
    expect(containsPan(`ACC${VISA}`, 'identifier')).toBe(false); // adjacent to a letter: part of an identifier
    expect(containsPan(`${VISA}7`, 'identifier')).toBe(false); // 17 digits
    expect(containsPan('4111 1111 1111 1111 12 25', 'identifier')).toBe(false); // 20 digits taken whole
    const notScheme = luhnComplete('900000000000000');
    expect(containsPan(notScheme)).toBe(true);
    expect(containsPan(notScheme, 'identifier')).toBe(false);
  });

  it('follows the scheme table at each prefix and length boundary', () => {
    const cases: Array<[string, number, boolean]> = [
      ['4', 13, true],
      ['4', 14, false],
      ['4', 15, false],
      ['4', 16, true],
      ['4', 17, false],
      ['4', 19, true],
      ['51', 16, true],
      ['55', 16, true],
      ['56', 16, true],
      ['51', 15, false],
      ['2221', 16, true],
      ['2220', 16, false],
      ['2720', 16, true],
      ['2721', 16, false],
      ['34', 15, true],
      ['37', 15, true],
      ['35', 15, false],
      ['34', 16, false],
      ['6011', 16, true],
      ['6011', 19, true],
      ['644', 16, true],
      ['649', 16, true],
      ['65', 19, true],
      ['3528', 16, true],
      ['3527', 16, false],
      ['3589', 19, true],
      ['3590', 16, false],
      ['36', 14, true],
      ['38', 14, true],
      ['300', 14, true],
      ['305', 19, true],
      ['306', 14, false],
      ['36', 13, false],
      ['62', 16, true],
      ['62', 19, true],
      ['50', 13, true],
      ['50', 19, true],
      ['56', 13, true],
      ['69', 13, true],
      ['70', 16, false],
      ['1', 16, false],
      ['0', 16, false],
      ['9', 16, false],
    ];
    for (const [prefix, length, card] of cases) {
      const pan = luhnComplete(prefix.padEnd(length - 1, '3'));
      expect([prefix, length, fitsCardScheme(pan)]).toEqual([prefix, length, card]);
      expect([prefix, length, containsPan(pan, 'identifier')]).toEqual([prefix, length, card]);
    }
  });

  it.each([
    [12, false],
    [13, true],
    [19, true],
    [20, false],
  ])('a standalone Visa-prefixed run of %i digits passing Luhn is a PAN: %s (and never when it fails Luhn)', (length, card) => {
    const body = '4'.padEnd(length - 1, '2');
    expect(containsPan(luhnComplete(body), 'identifier')).toBe(card);
    expect(containsPan(failingLuhn(body), 'identifier')).toBe(false);
  });
});

describe('redaction', () => {
  it('redacts without keeping any digit of the PAN', () => {
    expect(redactPans(`{"note":"${VISA}","ok":"1234"}`)).toBe(`{"note":"${PAN_REDACTION}","ok":"1234"}`);
    expect(redactPans('card 4111 1111 1111 1111 12 25')).toBe(`card ${PAN_REDACTION} 12 25`);
  });

  it('removes the whole escaped span of an escaped PAN', () => {
    const escaped = [...VISA].map((digit) => `\\u00${digit.charCodeAt(0).toString(16)}`).join('');
    const line = `{"note":"x ${escaped} y",,`;
    expect(redactPans(line)).toBe(`{"note":"x ${PAN_REDACTION} y",,`);
    const partly = `{"note":"4\\u0031${VISA.slice(2)}"`;
    expect(redactPans(partly)).toBe(`{"note":"${PAN_REDACTION}"`);
    expect(containsDigitsOf(redactPans(partly), VISA)).toBe(false);
    // JSON of a text holding escapes (escaped backslashes) hides nothing either.
    const twice = JSON.stringify({ line: line });
    expect(containsPan(twice)).toBe(true);
    expect(redactPans(twice)).toBe(JSON.stringify({ line: `{"note":"x ${PAN_REDACTION} y",,` }));
    // The hex digits of an escape are not digits of the text (the value is `ab\u4111` + 12 digits)…
    expect(containsPan(`ab\\u${VISA} cd`)).toBe(false);
    // …but where the value itself holds them (an escaped backslash), they are, and the whole
    // escape goes with them.
    expect(containsPan(`ab\\\\u${VISA} cd`)).toBe(true);
    expect(redactPans(`ab\\\\u${VISA} cd`)).toBe(`ab${PAN_REDACTION} cd`);
  });

  it('redacts a whole run longer than 19 digits that holds a PAN', () => {
    expect(redactPans(`ref 98765${VISA}0123 end`)).toBe(`ref ${PAN_REDACTION} end`);
  });

  it('reports spans that cover exactly what is redacted', () => {
    const text = `a ${VISA} b 4111-1111-1111-1111 c`;
    const spans = panSpans(text);
    expect(spans.map(([start, end]) => text.slice(start, end))).toEqual([VISA, '4111-1111-1111-1111']);
  });

  it('redacts under identifier evidence only what identifier evidence finds', () => {
    const reference = luhnComplete('900000000000000');
    expect(redactPans(`${reference}; ${VISA}`, 'identifier')).toBe(`${reference}; ${PAN_REDACTION}`);
    expect(redactPans(`${reference}; ${VISA}`)).toBe(`${PAN_REDACTION}; ${PAN_REDACTION}`);
  });
});

describe('findPan', () => {
  it('finds the path of a PAN anywhere in a parsed record', () => {
    expect(findPan({ a: { b: ['x', `pan ${VISA}`] } })).toBe('$.a.b[1]');
    expect(findPan({ a: 4111111111111111n })).toBe('$.a');
    expect(findPan({ a: 4111111111111111 })).toBe('$.a');
    expect(findPan({ [VISA]: 1 })).toBe('${key}');
    expect(findPan({ fine: 'tok_abcdefgh12345678' })).toBeUndefined();
    expect(findPan({ ref: luhnComplete('900000000000000') }, '$', 'identifier')).toBeUndefined();
    expect(findPan({ ref: VISA }, 'row', 'identifier')).toBe('row.ref');
  });

  it('survives nesting 20,000 deep (no stack overflow) and a value that refers to itself', () => {
    let deep: unknown = `x ${VISA}`;
    for (let i = 0; i < 20_000; i += 1) deep = { a: [deep] };
    expect(findPan(deep)).toBe(`$${'.a[0]'.repeat(20_000)}`);
    const cyclic: Record<string, unknown> = { ok: 'fine' };
    cyclic.self = cyclic;
    expect(findPan(cyclic)).toBeUndefined();
  });
});

describe('deterministic ids never look like a PAN', () => {
  it('re-derives ids whose digits would pass as a PAN', async () => {
    const { deterministicId } = await import('../../src/domain/events');
    const ids = Array.from({ length: 20_000 }, (_, i) => deterministicId('probe', String(i)));
    expect(ids.filter((id) => containsPan(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(deterministicId('a', 'b')).toBe(deterministicId('a', 'b'));
  });
});
