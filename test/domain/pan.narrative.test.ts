/**
 * REC-PAN-1: in a bank statement, references are data. Narrative evidence (a statement's free
 * text) masks a Luhn-valid 13–19 digit number that starts in a card issuer range or is grouped
 * like a card, or any Luhn-valid spelling when a card word is near; identifier evidence (PCI-2)
 * masks a standalone number in an issuer range with its scheme's length. Bank references that
 * pass Luhn outside the issuer ranges (ING's 16/17-digit ids, letter-prefixed ids, date-led ids,
 * ISO 11649 creditor references, 20+ digit account numbers) are kept.
 */
import * as fc from 'fast-check';
import { containsPan, inIssuerRange, PAN_REDACTION, passesLuhn, redactPans } from '../../src/domain/pan';
import { fitsCardScheme } from '../support/card-schemes';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { containsDigitsOf, luhnComplete } from '../support/pan-spellings';

/** Every issuer range of REC-PAN-1 (prefix ranges, inclusive). */
const ISSUER_RANGES: [number, number][] = [
  [4, 4], // Visa
  [51, 55], // Mastercard
  [2221, 2720],
  [34, 34], // Amex
  [37, 37],
  [6011, 6011], // Discover
  [644, 649],
  [65, 65],
  [3528, 3589], // JCB
  [300, 305], // Diners
  [36, 36],
  [38, 39],
  [62, 62], // UnionPay
  [50, 50], // Maestro
  [56, 69],
];

const PREFIXES = ISSUER_RANGES.flatMap(([lo, hi]) => [...new Set([lo, Math.floor((lo + hi) / 2), hi])].map(String));
const LENGTHS = [13, 14, 15, 16, 17, 18, 19];
const JOINERS = ['', ' ', '-', '\u2013', '\u00a0'];

/** The digits grouped by four (the last group shorter) with `joiner` between groups. */
function grouped(digits: string, joiner: string): string {
  return joiner === '' ? digits : (digits.match(/.{1,4}/g) ?? []).join(joiner);
}

/** A Luhn-valid number of `length` digits starting with `prefix`, the middle from `seed`. */
function card(prefix: string, length: number, seed: number): string {
  let body = prefix;
  for (let i = 0; body.length < length - 1; i += 1) body += String((seed * 7 + i * 3) % 10);
  return luhnComplete(body);
}

/** Free text that puts `value` between words, as narratives do. */
const NARRATIVES = [(v: string) => v, (v: string) => `Ref ${v}`, (v: string) => `ZAHLUNG ${v} DANKE`, (v: string) => `/REMI/${v}/`, (v: string) => `EREF+${v} SVWZ+Invoice 7`];

describe('card issuer ranges (REC-PAN-1)', () => {
  it('inIssuerRange is exactly the listed ranges, by the first four digits', () => {
    const wrong: number[] = [];
    for (let head = 1000; head <= 9999; head += 1) {
      const listed = ISSUER_RANGES.some(([lo, hi]) => {
        const width = String(lo).length;
        const prefix = Math.floor(head / 10 ** (4 - width));
        return prefix >= lo && prefix <= hi;
      });
      if (inIssuerRange(head) !== listed) wrong.push(head);
    }
    expect(wrong).toEqual([]);
  });

  it('every issuer range × length 13–19 × joiner × narrative is masked in free text, no digit of it left', () => {
    let cases = 0;
    for (const prefix of PREFIXES) {
      for (const length of LENGTHS) {
        const pan = card(prefix, length, length);
        for (const joiner of JOINERS) {
          for (const narrative of NARRATIVES) {
            const text = narrative(grouped(pan, joiner));
            cases += 1;
            expect({ text, found: containsPan(text, 'narrative') }).toEqual({ text, found: true });
            const masked = redactPans(text, 'narrative');
            expect(masked).toContain(PAN_REDACTION);
            expect({ text, survived: containsDigitsOf(masked, pan) }).toEqual({ text, survived: false });
          }
        }
      }
    }
    expect(cases).toBe(PREFIXES.length * LENGTHS.length * JOINERS.length * NARRATIVES.length);
  });

  it('identifier fields: a standalone number in an issuer range with its scheme length is masked; the rest is kept', () => {
    for (const prefix of PREFIXES) {
      for (const length of LENGTHS) {
        const pan = card(prefix, length, length + 1);
        for (const joiner of ['', ' ', '-']) {
          const text = grouped(pan, joiner);
          expect({ text, found: containsPan(text, 'identifier') }).toEqual({ text, found: fitsCardScheme(pan) });
          if (fitsCardScheme(pan)) expect(containsDigitsOf(redactPans(`ACC-${text}`, 'identifier'), pan)).toBe(false);
        }
      }
    }
  });

  it('a card-like grouping masks a Luhn-valid number outside the issuer ranges (4-4-4-4, 4-6-5)', () => {
    for (const prefix of ['1', '0', '70', '80', '99']) {
      const sixteen = card(prefix, 16, 3);
      expect(containsPan(`paid ${grouped(sixteen, ' ')} ok`, 'narrative')).toBe(true);
      expect(containsPan(`paid ${sixteen} ok`, 'narrative')).toBe(false);
      const fifteen = card(prefix, 15, 4);
      expect(containsPan(`${fifteen.slice(0, 4)} ${fifteen.slice(4, 10)} ${fifteen.slice(10)}`, 'narrative')).toBe(true);
    }
  });

  it('a card word near a number makes any Luhn-valid spelling a card number', () => {
    for (const word of ['card', 'Karte', 'carte', 'tarjeta', 'VISA', 'Mastercard', 'PAN', 'kaart']) {
      const number = card('18', 16, 9);
      expect(containsPan(`ref ${number}`, 'narrative')).toBe(false);
      expect(containsPan(`${word} ${number}`, 'narrative')).toBe(true);
      expect(containsDigitsOf(redactPans(`${word} x${number}0000000`, 'narrative'), number)).toBe(false);
    }
  });
});

describe('bank references that pass Luhn outside the issuer ranges are kept (REC-PAN-1)', () => {
  /** A first digit (or two) outside every issuer range. */
  const OUTSIDE = ['0', '1', '7', '8', '9', '20', '21', '31', '32', '33', '351'];
  const outsideArb = fc.constantFrom(...OUTSIDE);
  const digitsArb = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
  const luhnRef = (prefix: string, rest: string) => luhnComplete(`${prefix}${rest}`);

  const shapes: fc.Arbitrary<string>[] = [
    // ING 16/17-digit ids (1518… and the like).
    fc.tuple(outsideArb, fc.constantFrom(15, 16)).chain(([p, n]) => digitsArb(n - p.length).map((rest) => luhnRef(p, rest))),
    // Letter-prefixed ids (B20092800002225).
    fc.tuple(fc.constantFrom('B', 'MB', 'NL', 'TRX'), outsideArb, fc.integer({ min: 12, max: 18 })).chain(([letters, p, n]) => digitsArb(n - p.length).map((rest) => `${letters}${luhnRef(p, rest)}`)),
    // Date-led ids: YYYYMMDD then a sequence number.
    fc
      .tuple(fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.integer({ min: 4, max: 10 }))
      .chain(([y, m, d, n]) => digitsArb(n).map((rest) => luhnRef(`${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`, rest))),
    // ISO 11649 creditor references.
    fc.tuple(outsideArb, fc.integer({ min: 12, max: 18 })).chain(([p, n]) => digitsArb(n - p.length).map((rest) => `RF${luhnRef(p, rest)}`)),
    // Account numbers of 20–34 digits (NRB, BBAN), whatever they start with.
    fc.integer({ min: 20, max: 34 }).chain((n) => digitsArb(n)),
  ];

  it('in free text and in identifier fields, in every narrative', () => {
    fc.assert(
      fc.property(fc.oneof(...shapes), fc.constantFrom(...NARRATIVES), (reference, narrative) => {
        const digits = reference.replace(/[^0-9]/g, '');
        if (digits.length <= 19) expect(passesLuhn(digits)).toBe(true);
        const text = narrative(reference);
        expect(redactPans(text, 'narrative')).toBe(text);
        expect(redactPans(reference, 'identifier')).toBe(reference);
      }),
      { numRuns: fuzzRuns(3000), seed: fuzzSeed(9041) },
    );
  });

  it('the references that were masked before', () => {
    for (const reference of ['15180015077602405', 'B20092800002225', 'RF18539007547034', '56114010810000267002001001']) {
      expect(redactPans(`/TRCD/01000/REMI/${reference}/`, 'narrative')).toBe(`/TRCD/01000/REMI/${reference}/`);
      expect(redactPans(reference, 'identifier')).toBe(reference);
    }
  });
});

describe('narrative redaction', () => {
  it('is idempotent and leaves no card number (the mask itself is no card word)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...PREFIXES).map((p) => card(p, 16, 5)),
            fc.constantFrom('ref', 'x', '/', ' ', '2024-01-01', '15180015077602405'),
          ),
          { maxLength: 8 },
        ),
        (parts) => {
          const text = parts.join(' ');
          const once = redactPans(text, 'narrative');
          expect(redactPans(once, 'narrative')).toBe(once);
          expect(containsPan(once, 'narrative')).toBe(false);
          if (text.includes('15180015077602405')) expect(once).toContain('15180015077602405');
        },
      ),
      { numRuns: fuzzRuns(500), seed: fuzzSeed(9042) },
    );
  });

  it('the common case returns the very input: fewer than 13 digits, any evidence', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }).filter((s) => (s.match(/[0-9]/g) ?? []).length < 13),
        fc.constantFrom('text' as const, 'identifier' as const, 'narrative' as const),
        (text, evidence) => {
          expect(redactPans(text, evidence)).toBe(text);
          expect(containsPan(text, evidence)).toBe(false);
        },
      ),
      { numRuns: fuzzRuns(500), seed: fuzzSeed(9043) },
    );
  });
});
