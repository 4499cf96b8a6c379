/**
 * Properties of the PAN guard over generated text (PCI-1, PCI-2, PCI-3):
 * - the fast finder agrees with a plain reference reading of the requirements (every window
 *   enumerated, nothing clever) under both kinds of evidence;
 * - redaction is idempotent, keeps everything outside the found spans, and never leaves a PAN;
 * - escaping text (JSON, `\u`, JSON of JSON) neither hides a PAN nor makes one;
 * - findPan handles any nesting depth and agrees with a recursive reference.
 */
import * as fc from 'fast-check';
import { containsPan, findPan, PAN_REDACTION, panSpans, redactPans } from '../../src/domain/pan';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { CARD_SCHEMES, cardPanArb, DIGIT_ZEROS, luhnDigitsArb, luhnValid, panSpellingArb } from '../support/pan-spellings';

// ---------------------------------------------------------------------------
// The reference reading (slow and plain)

const DIGIT_VALUE = new Map<string, number>();
for (const zero of DIGIT_ZEROS) for (let value = 0; value <= 9; value += 1) DIGIT_VALUE.set(String.fromCodePoint(zero + value), value);
/** PCI-1's separators, as listed in the requirement (a subset of what the guard accepts; generated text uses only these). */
const TEXT_SEPARATORS = new Set([' ', '\t', '.', '/', '_', ',', '-', '\u00a0', '\u2013', '\u2014', '\u2010', '\u2212']);
/** PCI-2's joiners between printed groups. */
const ID_JOINERS = new Set([' ', '-', '\u00a0', '\u2010', '\u2013', '\u2014', '\u2212']);
const NOT_SEPARATORS = [':', ';', '+', '#', '\n', '"', '(', '*', 'x', 'é', '日'];

interface Chain {
  groups: number[][];
  /** Code point index of the chain's first digit and after its last. */
  start: number;
  end: number;
}

function chainsOf(chars: readonly string[], joins: ReadonlySet<string>, maxGap: number): Chain[] {
  const chains: Chain[] = [];
  let i = 0;
  while (i < chars.length) {
    if (!DIGIT_VALUE.has(chars[i] as string)) {
      i += 1;
      continue;
    }
    const chain: Chain = { groups: [], start: i, end: i };
    for (;;) {
      const group: number[] = [];
      while (i < chars.length && DIGIT_VALUE.has(chars[i] as string)) group.push(DIGIT_VALUE.get(chars[i++] as string) as number);
      chain.groups.push(group);
      chain.end = i;
      let gap = 0;
      while (i + gap < chars.length && joins.has(chars[i + gap] as string)) gap += 1;
      if (gap === 0 || gap > maxGap || !DIGIT_VALUE.has(chars[i + gap] ?? '')) break;
      i += gap;
    }
    chains.push(chain);
  }
  return chains;
}

function referenceText(text: string): boolean {
  for (const { groups } of chainsOf(Array.from(text), TEXT_SEPARATORS, 3)) {
    for (let first = 0; first < groups.length; first += 1) {
      for (let last = first; last < groups.length; last += 1) {
        const digits = groups
          .slice(first, last + 1)
          .flat()
          .join('');
        if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return true;
      }
    }
    for (const group of groups) {
      if (group.length <= 19) continue;
      const digits = group.join('');
      for (let start = 0; start < digits.length; start += 1)
        for (let length = 13; length <= 19 && start + length <= digits.length; length += 1) if (luhnValid(digits.slice(start, start + length))) return true;
    }
  }
  return false;
}

const fitsScheme = (digits: string): boolean =>
  CARD_SCHEMES.some(
    (scheme) => scheme.lengths.includes(digits.length) && scheme.prefixes.some(([lo, hi]) => Number(digits.slice(0, lo.length)) >= Number(lo) && Number(digits.slice(0, lo.length)) <= Number(hi)),
  );
const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;

function referenceIdentifier(text: string): boolean {
  const chars = Array.from(text);
  return chainsOf(chars, ID_JOINERS, 1).some(({ groups, start, end }) => {
    const digits = groups.flat().join('');
    const standalone = !LETTER_OR_DIGIT.test(chars[start - 1] ?? ' ') && !LETTER_OR_DIGIT.test(chars[end] ?? ' ');
    return standalone && digits.length >= 13 && digits.length <= 19 && luhnValid(digits) && fitsScheme(digits);
  });
}

// ---------------------------------------------------------------------------
// Generated text: digit runs (some Luhn-valid, some card PANs), separators, other characters

const zeroArb = fc.constantFrom(...DIGIT_ZEROS.slice(0, 4), 0x30, 0x30, 0x30, 0x30);
const inScript = (digits: string, zero: number): string => Array.from(digits, (d) => String.fromCodePoint(zero + Number(d))).join('');
const digitRunArb = fc
  .tuple(
    fc.oneof(
      fc.stringMatching(/^[0-9]{1,6}$/),
      fc.stringMatching(/^[0-9]{7,25}$/),
      luhnDigitsArb(),
      cardPanArb(),
      cardPanArb().map((pan) => pan.slice(0, 8)),
      cardPanArb().map((pan) => pan.slice(8)),
    ),
    zeroArb,
  )
  .map(([digits, zero]) => inScript(digits, zero));
const separatorRunArb = fc.array(fc.constantFrom(...TEXT_SEPARATORS), { minLength: 1, maxLength: 4 }).map((chars) => chars.join(''));
const otherArb = fc.array(fc.constantFrom(...NOT_SEPARATORS, 'card', 'ACC', ' ref '), { minLength: 1, maxLength: 2 }).map((parts) => parts.join(''));
const textArb = fc
  .array(fc.oneof({ weight: 4, arbitrary: digitRunArb }, { weight: 4, arbitrary: separatorRunArb }, { weight: 2, arbitrary: otherArb }), { maxLength: 14 })
  .map((parts) => parts.join(''));

const options = (ciRuns: number, seed: number): { numRuns: number; seed: number | undefined } => ({ numRuns: fuzzRuns(ciRuns), seed: fuzzSeed(seed) });

describe('the finder agrees with a plain reading of the requirements', () => {
  it('text evidence (PCI-1)', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        expect({ text, found: containsPan(text) }).toEqual({ text, found: referenceText(text) });
      }),
      options(3000, 7201),
    );
  });

  it('identifier evidence (PCI-2)', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        expect({ text, found: containsPan(text, 'identifier') }).toEqual({ text, found: referenceIdentifier(text) });
      }),
      options(3000, 7202),
    );
  });

  it('generated text really does hold PANs often enough to tell (both ways)', () => {
    const sample = fc.sample(textArb, { numRuns: 2000, seed: 7203 });
    const withPan = sample.filter(referenceText).length;
    const withCard = sample.filter(referenceIdentifier).length;
    expect(withPan).toBeGreaterThan(200);
    expect(withPan).toBeLessThan(1800);
    expect(withCard).toBeGreaterThan(50);
  });
});

describe('redaction', () => {
  it('is idempotent, leaves no PAN, and changes nothing but the found spans', () => {
    fc.assert(
      fc.property(textArb, fc.constantFrom<'text' | 'identifier'>('text', 'identifier'), (text, evidence) => {
        const once = redactPans(text, evidence);
        expect(redactPans(once, evidence)).toBe(once);
        expect(containsPan(once, evidence)).toBe(false);
        expect(panSpans(once, evidence).length).toBeLessThanOrEqual(panSpans(text, evidence).length);
        if (!containsPan(text, evidence)) {
          expect(once).toBe(text);
          return;
        }
        // The text between spans survives in order, each span replaced by one marker.
        const spans = panSpans(text, evidence);
        const kept = [text.slice(0, spans[0]![0]), ...spans.map(([, end], i) => text.slice(end, spans[i + 1]?.[0] ?? text.length))];
        const parts = once.split(PAN_REDACTION);
        if (parts.length === kept.length) expect(parts).toEqual(kept);
        else expect(parts.length).toBeGreaterThan(kept.length); // a second pass found a PAN the first one's remainders made
      }),
      options(2000, 7204),
    );
  });

  it('covers every span the finder reports, and each span holds a PAN by itself', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        for (const [start, end] of panSpans(text)) expect({ span: text.slice(start, end), found: containsPan(text.slice(start, end)) }).toEqual({ span: text.slice(start, end), found: true });
      }),
      options(1000, 7205),
    );
  });
});

describe('escapes: the same text is judged alike however it is encoded (PCI-1, ING-5)', () => {
  const escapeSome = (text: string, mask: readonly boolean[]): string =>
    Array.from(text)
      .map((char, i) => (mask[i % mask.length] ? Array.from({ length: char.length }, (_, u) => `\\u${char.charCodeAt(u).toString(16).padStart(4, '0')}`).join('') : char))
      .join('');

  it('as JSON, or with any characters written as \\u escapes, or as JSON of that', () => {
    fc.assert(
      fc.property(textArb, fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }), fc.boolean(), (text, mask, upper) => {
        const plain = containsPan(text);
        const escaped = escapeSome(text, mask);
        const encodings = [
          JSON.stringify(text),
          JSON.stringify({ note: text }),
          `"${upper ? escaped.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`) : escaped}"`,
          JSON.stringify({ line: escaped }),
        ];
        for (const encoding of encodings) {
          expect({ encoding, found: containsPan(encoding) }).toEqual({ encoding, found: plain });
          expect(containsPan(redactPans(encoding))).toBe(false);
        }
      }),
      options(1500, 7206),
    );
  });
});

describe('findPan', () => {
  type Step = { kind: 'array'; before: number } | { kind: 'object'; key: string };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.integer({ min: 0, max: 2 }).map((before): Step => ({ kind: 'array', before })),
    fc.constantFrom('a', 'note', 'x1', 'deep').map((key): Step => ({ kind: 'object', key })),
  );

  it('finds a PAN at any depth (to 30,000) with the right path, without recursion', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30_000 }), fc.array(stepArb, { minLength: 1, maxLength: 5 }), fc.option(panSpellingArb(), { nil: undefined }), (depth, pattern, spelling) => {
        let value: unknown = spelling ? spelling.text : 'no card here 2026-11-01';
        const path: string[] = [];
        for (let level = 0; level < depth; level += 1) {
          const step = pattern[level % pattern.length] as Step;
          if (step.kind === 'array') {
            value = [...Array.from({ length: step.before }, () => 'x'), value];
            path.push(`[${step.before}]`);
          } else {
            value = { other: 1, [step.key]: value };
            path.push(`.${step.key}`);
          }
        }
        expect(findPan(value)).toBe(spelling ? `$${path.reverse().join('')}` : undefined);
      }),
      options(25, 7207),
    );
  });

  /** The recursive definition findPan replaced (document order, member name before its value). */
  function recursiveFindPan(value: unknown, path: string): string | undefined {
    if (typeof value === 'string') return containsPan(value) ? path : undefined;
    if (typeof value === 'number' || typeof value === 'bigint') return containsPan(String(value)) ? path : undefined;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) {
        const found = recursiveFindPan(value[i], `${path}[${i}]`);
        if (found) return found;
      }
      return undefined;
    }
    if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const found = recursiveFindPan(key, `${path}{key}`) ?? recursiveFindPan(child, `${path}.${key}`);
        if (found) return found;
      }
    }
    return undefined;
  }

  it('agrees with the recursive definition on generated JSON holding PAN spellings', () => {
    const leaf = fc.oneof(
      fc.jsonValue({ maxDepth: 0 }),
      panSpellingArb().map((spelling) => spelling.text),
      textArb,
    );
    const json = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), textArb), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(json, (value) => {
        expect(findPan(value)).toBe(recursiveFindPan(value, '$'));
      }),
      options(500, 7208),
    );
  });
});
