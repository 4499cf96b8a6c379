/**
 * ING-4 / REC-IN-2 class test for the statement readers (camt, MT940/MT942, BAI2, CSV): generated
 * hostile lines and fields are put into valid statement files (the real samples in
 * ../shared/fixtures and the small built ones), and whatever comes in, the reader either returns
 * statements or raises the typed StatementParseError naming the file and a line of it: never a
 * RangeError, a TypeError or anything else, and never a hang (each file is a few KB, so a run
 * past jest's timeout is a hang). Where the fault sits on one known line (a line past its bound,
 * a control character, invalid UTF-8) the error must name exactly that line.
 *
 * Hostile kinds: huge lines, control characters and NUL, invalid UTF-8, bad amounts, 20+ digit
 * numbers, unterminated quotes, deep XML nesting, duplicated lines, truncation at any byte, the
 * format's own tokens in the wrong place, and arbitrary Unicode text.
 *
 * CI runs fuzzRuns(n) cases per format with a fixed seed; `npm run fuzz` runs more with fresh seeds.
 */
import * as fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { parseStatementFile, type StatementParseOptions } from '../../../src/recon/parsers';
import { BAI2_LIMITS, CAMT_TEXT_DEFAULT, CSV_LIMITS, MT940_LINE, XML_WHITESPACE_SLACK } from '../../../src/recon/parsers/limits';
import { firstInvalidUtf8 } from '../../../src/recon/parsers/decode';
import { StatementParseError } from '../../../src/recon/types';
import { fuzzRuns, fuzzScale, fuzzSeed } from '../../support/fuzz';
import { MT940_SAMPLES, own, shared, tempDir } from './support/fixtures';
import { bai2, camt, csv, csvProfile, mt940, mt942 } from './support/statements';

type Family = 'camt' | 'mt940' | 'bai2' | 'csv';

interface Base {
  name: string;
  bytes: Buffer;
  options: StatementParseOptions;
  /** Invalid UTF-8 is a fault (false for a cp1252 CSV: every byte is a character there). */
  utf8: boolean;
}

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');
const sample = (path: string): Buffer => readFileSync(shared(path));

const CAMT_REJECTED = new Set(['camt053.v2.wrong.xml', 'camt053.v2.all-balance-types.xml', 'camt053.v2.five.decimals.xml', 'camt53.only-Dt-with-DtTm.xml']);

const BASES: Record<Family, Base[]> = {
  camt: [
    { name: 'built camt.053', bytes: buf(camt()), options: {}, utf8: true },
    ...readdirSync(shared('camt'))
      .filter((f) => f.endsWith('.xml') && !CAMT_REJECTED.has(f))
      .map((f) => ({ name: f, bytes: sample(`camt/${f}`), options: {}, utf8: true })),
  ],
  mt940: [
    { name: 'built MT940', bytes: buf(mt940()), options: {}, utf8: true },
    { name: 'built MT942', bytes: buf(mt942()), options: {}, utf8: true },
    ...MT940_SAMPLES.map((f) => ({ name: f, bytes: sample(`mt940/${f}`), options: {}, utf8: true })),
  ],
  bai2: [
    { name: 'built BAI2', bytes: buf(bai2()), options: {}, utf8: true },
    ...['sample1.txt', 'sample2.txt', 'sample3.txt'].map((f) => ({ name: f, bytes: sample(`bai2/${f}`), options: {}, utf8: true })),
  ],
  csv: [
    { name: 'built CSV', bytes: buf(csv([{}, { amount: '3.00', description: 'two\nlines' }])), options: { profile: csvProfile() }, utf8: true },
    { name: 'generic-signed.csv', bytes: readFileSync(own('generic-signed.csv')), options: { profile: 'generic-signed' }, utf8: true },
    { name: 'generic-debit-credit.csv', bytes: readFileSync(own('generic-debit-credit.csv')), options: { profile: 'generic-debit-credit' }, utf8: true },
    { name: 'eu-bank-export-bom.csv', bytes: readFileSync(own('eu-bank-export-bom.csv')), options: { profile: 'eu-bank-export' }, utf8: true },
    { name: 'us-bank-export.csv', bytes: readFileSync(own('us-bank-export.csv')), options: { profile: 'us-bank-export' }, utf8: true },
    { name: 'uk-bank-export-cp1252.csv', bytes: readFileSync(own('uk-bank-export-cp1252.csv')), options: { profile: 'uk-bank-export' }, utf8: false },
  ],
};

/** Past any line or text bound of the family, so the refusal is the line's own. */
const HUGE: Record<Family, number> = {
  camt: CAMT_TEXT_DEFAULT + XML_WHITESPACE_SLACK + 1,
  mt940: MT940_LINE + 1,
  bai2: BAI2_LIMITS.line + 1,
  csv: CSV_LIMITS.line + 1,
};

/** Each family's own tokens, to be put where they do not belong. */
const TOKENS: Record<Family, string[]> = {
  camt: [
    '<Ntry>',
    '</Ntry>',
    '</Stmt>',
    '<Stmt>',
    '<Amt Ccy="EUR">',
    '</Amt>',
    '<CdtDbtInd>CRDT</CdtDbtInd>',
    '&',
    '&amp;',
    '&#0;',
    '&#x110000;',
    '<!--',
    '-->',
    '<![CDATA[',
    ']]>',
    '<!DOCTYPE a [<!ENTITY e "x">]>',
    '<?xml version="1.0"?>',
    '</Document>',
    '<a b="1" b="2">',
    '<Id>',
  ],
  mt940: [
    ':20:',
    ':25:',
    ':28C:1/1',
    ':60F:C240101EUR1,00',
    ':61:',
    ':61:2401020102C1,00NTRFX',
    ':86:',
    ':62F:C240102EUR1,00',
    '-',
    '-}',
    '{1:F01',
    '{2:I940',
    '{4:',
    ':13D:',
    ':90D:1EUR1,00',
    '?20EREF+',
    '\u0001',
    '\u0003',
  ],
  bai2: ['01,', '02,', '03,', '16,', '88,', '49,', '98,', '99,', '/', '16,195,5050,0,R,C,T/', '88,more text/', '49,0,1/', '03,ACC,,010,+1,,/', ',,,,', '16,999,1,0,R,C,T/'],
  csv: ['"', '""', '"a"b"', ',', ',,,,,,,,,,,,,,', ';', '\t', '\r', 'account,currency', '=cmd|x', '"unterminated'],
};

const BAD_AMOUNTS = [
  '1,2,3',
  '1e5',
  '-0',
  '+',
  '.',
  ',',
  '1.234',
  '0x10',
  'NaN',
  'Infinity',
  '１２',
  '٣',
  '12345678901234567890',
  '1234567890123456789012345',
  `9${'9'.repeat(40)}`,
  '99999999999999999999,99',
  '-12345678901234567890.00',
];

/** A line of the family's own shape with a hostile value in its amount. */
const AMOUNT_LINES: Record<Family, (amount: string) => string> = {
  camt: (a) => `<Ntry><Amt Ccy="EUR">${a}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>`,
  mt940: (a) => `:61:2401020102C${a}NTRFX//B`,
  bai2: (a) => `16,195,${a},0,REF,CUST,text/`,
  csv: (a) => `GB29NWBK60161331926819,GBP,2024-03-01,,${a},,,,,,,`,
};

type Hostile =
  | { kind: 'huge'; prefix: string; extra: number }
  | { kind: 'control'; code: number }
  | { kind: 'utf8'; bytes: number[] }
  | { kind: 'text'; text: string }
  | { kind: 'deep'; depth: number }
  | { kind: 'duplicate' }
  | { kind: 'truncate'; fraction: number };

interface Mutation {
  base: number;
  /** Where, as a fraction of the file's lines. */
  where: number;
  how: 'insert' | 'replace' | 'append';
  hostile: Hostile;
}

/** C0 controls a line may not hold (tab, LF, CR excluded; SOH/ETX are MT940 framing at a line's ends). */
const CONTROLS = [0, 2, 4, 5, 6, 7, 8, 0x0e, 0x10, 0x1b, 0x1f];
const BAD_UTF8 = [[0xff], [0xfe], [0xc3, 0x28], [0x80], [0xbf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]];

function hostileArb(family: Family): fc.Arbitrary<Hostile> {
  const text = fc.oneof(
    fc.constantFrom(...TOKENS[family]),
    fc.constantFrom(...BAD_AMOUNTS).map(AMOUNT_LINES[family]),
    fc.constantFrom(...BAD_AMOUNTS),
    fc.array(fc.constantFrom(...TOKENS[family], ...BAD_AMOUNTS, ' ', 'x', '0'), { maxLength: 8 }).map((parts) => parts.join('')),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    // eslint-disable-next-line no-control-regex -- control characters are the located kind, not this one
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?')),
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('huge' as const), prefix: fc.constantFrom('', ...TOKENS[family]), extra: fc.integer({ min: 0, max: 5000 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('control' as const), code: fc.constantFrom(...CONTROLS) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('utf8' as const), bytes: fc.constantFrom(...BAD_UTF8) }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('text' as const), text }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 1, max: 20000 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'duplicate' as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  );
}

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) {
    lines.push(bytes.subarray(start, at));
    start = at + 1;
  }
  lines.push(bytes.subarray(start));
  return lines;
}

interface Mutated {
  bytes: Buffer;
  /** The 1-based line that holds the fault, when the fault sits on one line. */
  faultLine?: number;
}

function mutate(base: Buffer, family: Family, m: Mutation): Mutated {
  if (m.hostile.kind === 'truncate') return { bytes: base.subarray(0, Math.floor(base.length * m.hostile.fraction)) };
  const lines = splitLines(base);
  const k = Math.min(lines.length - 1, Math.floor(m.where * lines.length));
  const h = m.hostile;
  let payload: Buffer;
  let located = false;
  switch (h.kind) {
    case 'huge':
      payload = buf(`${h.prefix}${'x'.repeat(HUGE[family] + h.extra)}`);
      located = true;
      break;
    case 'control':
      payload = Buffer.concat([buf('ab'), Buffer.from([h.code]), buf('cd')]);
      located = true;
      break;
    case 'utf8':
      payload = Buffer.concat([buf('ab'), Buffer.from(h.bytes), buf('cd')]);
      located = true;
      break;
    case 'deep':
      payload = buf(`${'<a>'.repeat(h.depth)}x${'</a>'.repeat(h.depth)}`);
      break;
    case 'duplicate':
      payload = Buffer.from(lines[k]!);
      break;
    default:
      payload = buf(h.text);
  }
  const line = lines[k]!;
  if (m.how === 'insert') lines.splice(k, 0, payload);
  else if (m.how === 'replace') lines[k] = payload;
  else lines[k] = Buffer.concat([line.subarray(0, line.length - (line[line.length - 1] === 13 ? 1 : 0)), payload, line[line.length - 1] === 13 ? Buffer.from([13]) : Buffer.alloc(0)]);
  return { bytes: Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from([10]), l]))), ...(located ? { faultLine: k + 1 } : {}) };
}

/**
 * REC-IN-7: bytes that are not UTF-8 must be refused (at their line) when the file had UTF-8
 * text before them or holds a byte Windows-1252 leaves undefined; otherwise the reader may take
 * the file as Windows-1252 (and then parse it, or refuse what that text says).
 */
function refusedAsUtf8(bytes: Buffer): boolean {
  const at = firstInvalidUtf8(bytes);
  if (at === -1) return true;
  if (bytes.subarray(0, at).some((b) => b >= 0x80)) return true;
  return [0x81, 0x8d, 0x8f, 0x90, 0x9d].some((b) => bytes.includes(b));
}

const tmp = tempDir('hostile');
afterAll(() => tmp.cleanup());
let counter = 0;

/** The oracle: statements, or the typed error naming the file and a line of it (the fault's line when known). */
async function check(family: Family, m: Mutation): Promise<void> {
  const base = BASES[family][m.base % BASES[family].length]!;
  const mutated = mutate(base.bytes, family, m);
  const path = tmp.write(`${family}-${counter++}.in`, mutated.bytes);
  const lineCount = splitLines(mutated.bytes).length;
  let parsed;
  try {
    parsed = await parseStatementFile(path, base.options);
  } catch (error) {
    if (!(error instanceof StatementParseError)) {
      throw new Error(`${base.name} + ${JSON.stringify(m).slice(0, 300)}: ${(error as Error).name} escaped the reader: ${(error as Error).message}`, { cause: error });
    }
    expect(error.position.file).toBe(path);
    expect(Number.isInteger(error.position.line)).toBe(true);
    expect(error.position.line).toBeGreaterThanOrEqual(1);
    expect(error.position.line).toBeLessThanOrEqual(lineCount);
    const located = mutated.faultLine !== undefined && (m.hostile.kind !== 'utf8' || (base.utf8 && refusedAsUtf8(mutated.bytes)));
    if (located) {
      // camt: a text run names the line of its first character; a huge line appended to a line
      // whose text started there, or text run on from the line before, may name that line.
      const expected = mutated.faultLine!;
      if (family === 'camt') expect([expected - 1, expected]).toContain(error.position.line);
      else expect(error.position.line).toBe(expected);
    }
    return;
  }
  // Parsed: the hostile part was harmless (text where text may be), and the result is sound.
  if (mutated.faultLine !== undefined && (m.hostile.kind !== 'utf8' || (base.utf8 && refusedAsUtf8(mutated.bytes)))) {
    throw new Error(`${base.name} + ${m.hostile.kind}: a fault at line ${mutated.faultLine} was accepted`);
  }
  for (const statement of parsed.statements) {
    for (const line of statement.lines) {
      expect(line.amount).toMatch(/^-?[0-9]+(\.[0-9]+)?$/);
      expect(line.position.file).toBe(path);
    }
  }
}

const mutationArb = (family: Family): fc.Arbitrary<Mutation> =>
  fc.record({
    base: fc.nat({ max: 1000 }),
    where: fc.double({ min: 0, max: 0.9999, noNaN: true }),
    how: fc.constantFrom('insert' as const, 'replace' as const, 'append' as const),
    hostile: hostileArb(family),
  });

describe('hostile input: a statement or the typed error naming the file and the line', () => {
  const sizes: Record<Family, number> = { camt: 60, mt940: 60, bai2: 50, csv: 50 };
  it.each(Object.keys(BASES) as Family[])(
    '%s',
    async (family) => {
      await fc.assert(
        fc.asyncProperty(mutationArb(family), (m) => check(family, m)),
        { numRuns: fuzzRuns(sizes[family]), seed: fuzzSeed(7700 + family.length) },
      );
    },
    60_000 * fuzzScale(),
  );

  it.each(Object.keys(BASES) as Family[])('%s: every base file parses unchanged (the mutations start from valid files)', async (family) => {
    for (const base of BASES[family]) {
      const parsed = await parseStatementFile(tmp.write(`${family}-base-${counter++}.in`, base.bytes), base.options);
      expect(parsed.statements.length).toBeGreaterThan(0);
    }
  });

  it('every located kind is refused at its line in every base (a walk, not a sample)', async () => {
    for (const family of Object.keys(BASES) as Family[]) {
      for (let b = 0; b < BASES[family].length; b++) {
        for (const hostile of [
          { kind: 'huge', prefix: '', extra: 0 },
          { kind: 'control', code: 0 },
          { kind: 'utf8', bytes: [0xff] },
        ] as Hostile[]) {
          await check(family, { base: b, where: 0.5, how: 'insert', hostile });
        }
      }
    }
  }, 60_000);
});
