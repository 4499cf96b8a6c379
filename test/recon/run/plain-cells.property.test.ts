/**
 * REC-OUT-1, PCI-3, REC-PERF-1: the one-scan fast paths of the CSV writers write exactly what the
 * full path writes. isPlainCell (with or without the PAN guard's rule) only ever answers true for a value that the
 * formula neutraliser, the RFC 4180 quoting and (with it) the PAN guard leave as it is; copySimpleCell
 * and CsvBytes write exactly the bytes of that cell, and say when it starts with an apostrophe; the
 * oracle here is the writer's contract written out independently (neutralise, then quote a cell
 * holding a quote, comma or line break or surrounding whitespace), and redactPans itself.
 */
import fc from 'fast-check';
import { redactPans } from '../../../src/domain/pan';
import { copySimpleCell, CsvBytes, decodeCsvText, isPlainCell, neutraliseText, textCell } from '../../../src/recon/run/csv-writer';
import { mayHoldPan } from '../../../src/recon/run/results';

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
        if (!isPlainCell(text, true)) return;
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
    expect(isPlainCell('a\\b', true)).toBe(false);
    expect(isPlainCell('REF 123456789012', true)).toBe(true); // 12 digits
    expect(isPlainCell('REF 1234567890123', true)).toBe(false); // 13 digits: the PAN guard decides
    expect(isPlainCell('4111111111111111', true)).toBe(false);
  });

  it('property: copySimpleCell writes the bytes of textCell, and takes only what neither the writer’s quoting nor (guarded) the PAN guard changes', () => {
    fc.assert(
      fc.property(cellText, fc.boolean(), fc.nat({ max: 5 }), (text, guarded, at) => {
        const out = new Uint8Array(at + text.length + 1);
        const end = copySimpleCell(text, out, at, guarded);
        if (end < 0) return;
        expect(Buffer.from(out.subarray(at, end)).toString('latin1')).toBe(textCell(text));
        // Plain, or one of = + - @ before plain text: neutralised by one apostrophe, no quotes.
        expect(end - at).toBe(isPlainCell(text, guarded) ? text.length : text.length + 1);
        if (guarded) {
          expect(mayHoldPan(text)).toBe(false);
          expect(redactPans(text, 'identifier')).toBe(text);
          expect(redactPans(text)).toBe(text);
        }
      }),
      { numRuns: 4000 },
    );
  });

  it('property: CsvBytes writes, cell after cell, the UTF-8 of the cells textCell (or the guard’s full path) writes, and flags every cell a reader decodes', () => {
    const guard = (value: string | undefined): string => textCell(value === undefined ? '' : redactPans(value, 'identifier'));
    fc.assert(
      fc.property(fc.array(fc.record({ text: fc.option(cellText, { nil: undefined }), guarded: fc.boolean() }), { maxLength: 30 }), (cells) => {
        const out = new CsvBytes();
        const expected: string[] = [];
        for (const { text, guarded } of cells) {
          const written = guarded ? guard(text) : textCell(text);
          const apostrophe = guarded ? out.guarded(text, guard) : out.text(text);
          expect(apostrophe).toBe(written.replace(/^"/, '').startsWith("'"));
          out.char(0x2c);
          expected.push(written, ',');
          // What a reader decodes is the value (the guard's, for a guarded cell).
          if (!written.startsWith('"')) expect(decodeCsvText(written)).toBe(guarded ? (text === undefined ? '' : redactPans(text, 'identifier')) : (text ?? ''));
        }
        expect(Buffer.from(out.take()).toString('utf8')).toBe(expected.join(''));
      }),
      { numRuns: 2000 },
    );
  });

  it('CsvBytes grows for a cell longer than its piece, and hands over whole pieces', () => {
    const out = new CsvBytes();
    const long = 'é'.repeat(1 << 20);
    out.text('a');
    out.char(0x2c);
    out.text(long);
    expect(out.full).toBe(true);
    const piece = out.take();
    expect(Buffer.from(piece).toString('utf8')).toBe(`a,${long}`);
    expect(out.full).toBe(false);
    expect(out.take().length).toBe(0);
  });
});
