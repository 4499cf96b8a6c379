/**
 * Class tests over the shared PAN spelling generator (test/support/pan-spellings.ts):
 * PCI-1 every spelling is found, and redaction leaves none of its digits in any form;
 * PCI-2 card-scheme PANs are found under identifier evidence, and bank references, IBANs, dates,
 * amounts and invoice numbers stay visible.
 */
import * as fc from 'fast-check';
import { containsPan, findPan, redactPans } from '../../src/domain/pan';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import type { PanSpelling } from '../support/pan-spellings';
import { cardPanArb, containsDigitsOf, luhnDigitsArb, luhnValid, NON_CARD_SAMPLES, nonCardNumberArb, panSpellingArb, panSpellingList, SAMPLE_PANS, spellPan } from '../support/pan-spellings';

/** What is wrong with how the guard treats one spelling, or undefined. */
function fault(spelling: PanSpelling): string | undefined {
  if (!containsDigitsOf(spelling.text, spelling.pan)) return 'the scanner does not see the spelling';
  if (!containsPan(spelling.text)) return 'not found';
  const redacted = redactPans(spelling.text);
  if (containsDigitsOf(redacted, spelling.pan)) return `digits kept: ${JSON.stringify(redacted)}`;
  if (containsPan(redacted)) return 'a PAN is still found after redaction';
  return undefined;
}

describe('every PAN spelling is found and fully redacted (PCI-1)', () => {
  it('for the deterministic list (every context, separator, digit script and escape form, PANs of 13–19 digits)', () => {
    const list = panSpellingList();
    expect(new Set(list.map((spelling) => spelling.pan.length))).toEqual(new Set([13, 14, 15, 16, 17, 18, 19]));
    const faults = list.map((spelling) => ({ form: spelling.form, text: spelling.text, fault: fault(spelling) })).filter((entry) => entry.fault !== undefined);
    expect(faults).toEqual([]);
  });

  it('for generated scheme-shaped PANs in generated spellings', () => {
    fc.assert(
      fc.property(panSpellingArb(), (spelling) => {
        expect({ form: spelling.form, text: spelling.text, fault: fault(spelling) }).toEqual({ form: spelling.form, text: spelling.text, fault: undefined });
      }),
      { numRuns: fuzzRuns(1500), seed: fuzzSeed(7101) },
    );
  });

  it('for any Luhn-valid 13–19 digits (text evidence needs no card scheme)', () => {
    fc.assert(
      fc.property(panSpellingArb(luhnDigitsArb()), (spelling) => {
        expect({ form: spelling.form, text: spelling.text, fault: fault(spelling) }).toEqual({ form: spelling.form, text: spelling.text, fault: undefined });
      }),
      { numRuns: fuzzRuns(1000), seed: fuzzSeed(7102) },
    );
  });

  it('finds the spelling inside a parsed record, at its path', () => {
    fc.assert(
      fc.property(panSpellingArb(), fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), (spelling, noise) => {
        const record = { id: 'N-1', noise, nested: [{ note: spelling.text }] };
        expect(findPan(record)).toBe('$.nested[0].note');
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(7103) },
    );
  });

  it('leaves text without a PAN as it is, digits and all', () => {
    for (const sample of NON_CARD_SAMPLES.filter((entry) => entry.plainTextSafe)) expect(redactPans(`ref ${sample.text} ok`)).toBe(`ref ${sample.text} ok`);
  });
});

describe('identifier evidence (PCI-2)', () => {
  const fours = (length: number): number[] => Array.from({ length: Math.ceil(length / 4) }, (_, i) => Math.min(4, length - 4 * i));
  const identifierForms = (pan: string): string[] => [
    pan,
    `ACC-${pan}`,
    `ref: ${pan}`,
    spellPan(pan, { groups: fours(pan.length), separator: ' ' }),
    spellPan(pan, { groups: [4, pan.length - 4], separator: '-' }),
    spellPan(pan, { digits: 'fullwidth' }),
    spellPan(pan, { escape: 'all', context: 'jsonInvalid' }),
  ];

  it('finds scheme-shaped PANs of every length 13–19, standalone or printed in groups', () => {
    const sampleFaults = SAMPLE_PANS.flatMap((pan) => identifierForms(pan).filter((text) => !containsPan(text, 'identifier')));
    expect(sampleFaults).toEqual([]);
    fc.assert(
      fc.property(cardPanArb(), (pan) => {
        expect(identifierForms(pan).filter((text) => !containsPan(text, 'identifier'))).toEqual([]);
        expect(containsDigitsOf(redactPans(`id ${pan}`, 'identifier'), pan)).toBe(false);
      }),
      { numRuns: fuzzRuns(1000), seed: fuzzSeed(7104) },
    );
  });

  it('keeps bank references, IBANs, dates, amounts and invoice numbers visible', () => {
    const check = (sample: { text: string; kind: string; plainTextSafe: boolean }): void => {
      if (sample.kind === 'luhn-reference') expect(luhnValid(sample.text)).toBe(true); // so that Luhn alone would have flagged it
      expect({ ...sample, identifier: containsPan(sample.text, 'identifier') }).toEqual({ ...sample, identifier: false });
      expect(redactPans(`ref ${sample.text}.`, 'identifier')).toBe(`ref ${sample.text}.`);
      if (sample.plainTextSafe) expect({ ...sample, text: containsPan(sample.text) }).toEqual({ ...sample, text: false });
    };
    NON_CARD_SAMPLES.forEach(check);
    fc.assert(fc.property(nonCardNumberArb(), check), { numRuns: fuzzRuns(3000), seed: fuzzSeed(7105) });
  });

  it('keeps identifiers built from references joined by "/" or "." visible (network/STAN/RRN)', () => {
    fc.assert(
      fc.property(fc.constantFrom('VISA', 'MC', 'AMEX'), fc.stringMatching(/^[0-9]{6}$/), fc.stringMatching(/^[0-9]{12}$/), fc.constantFrom('/', '.', '_'), (network, stan, rrn, joiner) => {
        expect(containsPan(`${network}${joiner}${stan}${joiner}${rrn}`, 'identifier')).toBe(false);
      }),
      { numRuns: fuzzRuns(500), seed: fuzzSeed(7106) },
    );
  });
});
