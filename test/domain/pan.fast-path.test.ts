/**
 * REC-PAN-1 / PCI-1: the guard's fast path (a text with no chain of 13 digits returns at once) and
 * its full path agree. Metamorphic: appending, past a non-separator, a 13-digit run that fails
 * Luhn (never a card number under any evidence) forces every text through the full path without
 * changing what it holds, so the verdict and the redaction must not change either.
 */
import fc from 'fast-check';
import { containsPan, panSpans, passesLuhn, redactPans, type PanEvidence } from '../../src/domain/pan';
import { cardPanArb, DIGIT_ZEROS, nonCardNumberArb, PAN_SEPARATORS, spellPan } from '../support/pan-spellings';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

const EVIDENCE: readonly PanEvidence[] = ['text', 'identifier', 'narrative'];
/** 13 digits failing Luhn: a run of 13–19 that fails as a whole is never searched for windows. */
const FORCE = '1234567890123';
const TAIL = ` ; Q ${FORCE}`;

const digitRunArb = fc.integer({ min: 1, max: 22 }).chain((length) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length }).map((d) => d.join('')));
const separatorArb = fc.constantFrom(...PAN_SEPARATORS, ':', ';', '?', '+', '\u2212', '\u202f', '\u3000', '\uff0c', '\u2009');
const wordArb = fc.constantFrom('Invoice', 'Payment', 'EREF+', 'SVWZ+', '?20', 'ACC-', 'Zoë', 'Øre', 'card', 'Karte', 'VISA/', 'pan', 'x', 'INV-2026-');
const unicodeDigitsArb = fc
  .tuple(fc.constantFrom(...DIGIT_ZEROS), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 16 }))
  .map(([zero, values]) => values.map((v) => String.fromCodePoint(zero + v)).join(''));
const escapedDigitArb = fc.integer({ min: 0, max: 9 }).map((v) => `\\u00${(48 + v).toString(16)}`);
const cardArb = fc
  .tuple(cardPanArb(), fc.constantFrom<number[] | undefined>(undefined, [4, 4, 4, 4], [4, 6, 5], [4, 4, 4, 1]), fc.constantFrom(' ', '-', '  ', '\u00a0', '.', '/'))
  .map(([pan, groups, separator]) => spellPan(pan, { groups: groups && groups.reduce((a, b) => a + b, 0) === pan.length ? groups : undefined, separator }));
const pieceArb = fc.oneof(
  { weight: 5, arbitrary: digitRunArb },
  { weight: 5, arbitrary: separatorArb },
  { weight: 4, arbitrary: wordArb },
  { weight: 1, arbitrary: unicodeDigitsArb },
  { weight: 1, arbitrary: escapedDigitArb },
  { weight: 1, arbitrary: cardArb },
  { weight: 1, arbitrary: nonCardNumberArb().map((n) => n.text) },
);
const textArb = fc.array(pieceArb, { minLength: 0, maxLength: 14 }).map((pieces) => pieces.join(''));

describe('PAN guard: fast path and full path agree (REC-PAN-1, PCI-1)', () => {
  it('the forcing tail is no card number under any evidence, alone or after text', () => {
    expect(passesLuhn(FORCE)).toBe(false);
    for (const evidence of EVIDENCE) {
      expect({ evidence, found: containsPan(TAIL, evidence) }).toEqual({ evidence, found: false });
      expect(redactPans(`Invoice 42${TAIL}`, evidence)).toBe(`Invoice 42${TAIL}`);
    }
  });

  it.each(EVIDENCE)('%s evidence: the verdict, the spans and the redaction are unchanged when the full path is forced', (evidence) => {
    fc.assert(
      fc.property(textArb, (text) => {
        const forced = `${text}${TAIL}`;
        expect({ text, found: containsPan(forced, evidence) }).toEqual({ text, found: containsPan(text, evidence) });
        expect({ text, spans: panSpans(forced, evidence).filter(([start]) => start < text.length) }).toEqual({ text, spans: panSpans(text, evidence) });
        expect({ text, redacted: redactPans(forced, evidence) }).toEqual({ text, redacted: `${redactPans(text, evidence)}${TAIL}` });
      }),
      { numRuns: fuzzRuns(3000), seed: fuzzSeed(4711) },
    );
  });

  it('the generated texts exercise both paths: some hold card numbers, many have no chain of 13', () => {
    const sample = fc.sample(textArb, { numRuns: 2000, seed: 4711 });
    const found = sample.filter((text) => containsPan(text)).length;
    const short = sample.filter((text) => !/\p{Nd}(?:[^\p{L}\p{Nd}\\]{0,3}\p{Nd}){12}/u.test(text) && !text.includes('\\')).length;
    expect(found).toBeGreaterThan(100);
    expect(short).toBeGreaterThan(400);
  });

  it('a chain reaching 13 digits only through up to three separators, Unicode digits or escapes is seen', () => {
    const pan = '4111111111111111';
    for (const separator of ['\t', ' - ', '\u2013', '\u3000', ',,,']) expect({ separator, found: containsPan(spellPan(pan, { groups: [4, 4, 4, 4], separator })) }).toEqual({ separator, found: true });
    expect(containsPan('4111 1111 1111    1111')).toBe(false); // a four-character gap ends the chain: 12 digits
    for (const zero of DIGIT_ZEROS) expect({ zero, found: containsPan(spellPan(pan, { digits: { zero } })) }).toEqual({ zero, found: true });
    expect(containsPan(spellPan(pan, { escape: 'all' }))).toBe(true);
    expect(containsPan(spellPan(pan, { escape: 'some' }))).toBe(true);
  });
});
