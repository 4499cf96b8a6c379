/**
 * REC-OUT-1, PCI-3, REC-PERF-1: the one-scan fast paths of the CSV writers write exactly what the
 * full path writes. isPlainCell / isPlainPanFreeCell only ever answer true for a value that the
 * formula neutraliser, the RFC 4180 quoting and (for the second) the PAN guard leave as it is; the
 * oracle here is the writer's contract written out independently (neutralise, then quote a cell
 * holding a quote, comma or line break or surrounding whitespace), and redactPans itself.
 */
import fc from 'fast-check';
import { redactPans } from '../../../src/domain/pan';
import { isPlainCell, neutraliseText, textCell } from '../../../src/recon/run/csv-writer';
import { isPlainPanFreeCell, mayHoldPan } from '../../../src/recon/run/results';

/** The text cell as the writer's contract states it. */
function oracleCell(text: string): string {
  const neutral = neutraliseText(text);
  return /[",\r\n]/.test(neutral) || neutral !== neutral.trim() ? `"${neutral.replace(/"/g, '""')}"` : neutral;
}

// Characters around every rule: formula starts (ASCII and full-width), apostrophe, quote, comma,
// backslash, spaces and line breaks, controls, digits (13 in a row), non-ASCII and format characters.
const SPECIAL = ['=', '+', '-', '@', '\uFF1D', '\uFF0B', "'", '"', ',', '\\', ' ', '\t', '\r', '\n', '\u0000', '\u007f', '\u00a0', '\u200b', '\u2028', 'é', '4', '1', '0', 'a', 'Z', '.', '/', ':'];
const cellText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SPECIAL), maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.stringMatching(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{4,20}$/),
  fc.stringMatching(/^[0-9]{10,19}$/),
);

describe('plain cells (one-scan fast paths)', () => {
  it('property: textCell writes what the neutralise-then-quote contract writes, fast path or not', () => {
    fc.assert(
      fc.property(cellText, (text) => {
        expect(textCell(text)).toBe(oracleCell(text));
        if (isPlainCell(text)) expect(oracleCell(text)).toBe(text);
      }),
      { numRuns: 4000 },
    );
  });

  it('property: a plain PAN-free cell is plain, and neither PAN guard nor the writer changes it', () => {
    fc.assert(
      fc.property(cellText, (text) => {
        if (!isPlainPanFreeCell(text)) return;
        expect(isPlainCell(text)).toBe(true);
        expect(mayHoldPan(text)).toBe(false);
        expect(redactPans(text, 'identifier')).toBe(text);
        expect(redactPans(text)).toBe(text);
        expect(oracleCell(text)).toBe(text);
      }),
      { numRuns: 4000 },
    );
  });

  it('answers false exactly at each rule’s edge', () => {
    for (const text of ['', ' A', 'A ', '"', ',', '"=', '=1', '+1', '-1', '@a', "'a", 'a"b', 'a,b', 'a\nb', 'a\rb', 'a\tb', 'é', '\uFF1D1']) expect(isPlainCell(text)).toBe(false);
    for (const text of ['A', 'A B', 'REF-1', 'a=b', 'x@y', "it's", 'a\\b', '4111111111111111']) expect(isPlainCell(text)).toBe(true);
    expect(isPlainPanFreeCell('a\\b')).toBe(false);
    expect(isPlainPanFreeCell('REF 123456789012')).toBe(true); // 12 digits
    expect(isPlainPanFreeCell('REF 1234567890123')).toBe(false); // 13 digits: the PAN guard decides
    expect(isPlainPanFreeCell('4111111111111111')).toBe(false);
  });
});
