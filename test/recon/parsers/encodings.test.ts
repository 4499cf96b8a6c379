/**
 * REC-IN-7 and REC-RUN-2: a statement's text encoding, and one read that hashes and parses.
 *
 * Metamorphic: the same statement written in UTF-8 (with or without a byte-order mark),
 * ISO-8859-1, Windows-1250 or Windows-1252 parses to the same lines (amounts, dates, references,
 * and texts equal after decoding), in every format (camt.053, MT940, BAI2, CSV), whether the
 * encoding is named, declared (camt's XML declaration) or, for Windows-1252, found by the reader.
 * Chunk boundaries never matter: the bytes are split at every offset. Bytes an encoding leaves
 * undefined, invalid UTF-8 in a UTF-8 file and files mixing encodings are refused naming the
 * line of the first bad byte.
 */
import * as fc from 'fast-check';
import { createHash } from 'node:crypto';
import { parseStatementChunks, parseStatementFile, type StatementParseOptions } from '../../../src/recon/parsers';
import { CP1252_TABLE } from '../../../src/recon/parsers/decode';
import { isStatementEncoding, parseEncoding, STATEMENT_ENCODINGS, type StatementEncoding } from '../../../src/recon/parsers/encoding';
import type { ParsedStatementFile, StatementLine } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { parseError, tempDir } from './support/fixtures';
import { bai2, BAI2_DEFAULTS, camt, camtDetails, camtEntry, csv, csvProfile, mt940 } from './support/statements';

const tmp = tempDir('encodings');
afterAll(() => tmp.cleanup());
let counter = 0;

// ---------------------------------------------------------------------------------------------
// Encoders (the inverse of each code page, built from the decoders the platform has).

const WIN1250 = new TextDecoder('windows-1250');
const TABLES: Record<Exclude<StatementEncoding, 'utf-8'>, string[]> = {
  'iso-8859-1': Array.from({ length: 256 }, (_, b) => String.fromCharCode(b)),
  'windows-1252': [...CP1252_TABLE],
  'windows-1250': Array.from({ length: 256 }, (_, b) => WIN1250.decode(Uint8Array.of(b))),
};
const UNDEFINED: Record<Exclude<StatementEncoding, 'utf-8'>, number[]> = {
  'iso-8859-1': Array.from({ length: 32 }, (_, i) => 0x80 + i),
  'windows-1252': [0x81, 0x8d, 0x8f, 0x90, 0x9d],
  'windows-1250': [0x81, 0x83, 0x88, 0x90, 0x98],
};

function encode(text: string, encoding: StatementEncoding, bom = false): Buffer {
  if (encoding === 'utf-8') return Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text, 'utf8')]);
  const table = TABLES[encoding];
  const undefinedBytes = UNDEFINED[encoding];
  return Buffer.from(
    [...text].map((ch) => {
      const byte = table.indexOf(ch);
      if (byte === -1 || undefinedBytes.includes(byte)) throw new Error(`${ch} is not in ${encoding}`);
      return byte;
    }),
  );
}

/** Letters each single-byte encoding has beyond ASCII (what banks' exports carry in names). */
const ACCENTED: Record<Exclude<StatementEncoding, 'utf-8'>, string[]> = {
  'iso-8859-1': ['é', 'ü', 'ß', 'Ä', 'ñ', 'ø', 'Å', 'ç', 'À', '£'],
  'windows-1252': ['é', 'ü', 'ß', 'Ä', 'ñ', 'ø', '€', 'Š', 'œ', '‘', 'Ÿ'],
  'windows-1250': ['ł', 'ř', 'ő', 'Ś', 'ž', 'č', 'é', 'ü', 'ß', 'Ä', 'ť', 'Ł'],
};

// ---------------------------------------------------------------------------------------------
// Statements with a name and a narrative in each format.

type Format = 'camt' | 'mt940' | 'bai2' | 'csv';
const FORMATS: Format[] = ['camt', 'mt940', 'bai2', 'csv'];

/** A statement whose counterparty / narrative text is `name` (letters and spaces). */
function statementText(format: Format, name: string, declaration?: string): string {
  switch (format) {
    case 'camt': {
      const text = camt({ entries: [camtEntry('12.34', 'CRDT', camtDetails({ e2e: 'E2E1', ustrd: [`Invoice ${name}`], name, acctSvcrRef: 'BANKREF1' })), camtEntry('5.00', 'DBIT')] });
      return declaration === undefined ? text : text.replace('encoding="UTF-8"', `encoding="${declaration}"`);
    }
    case 'mt940':
      return mt940({
        entries: [
          { l61: ['2401020102C1,00NTRFCREF//BREF'], l86: [`Zahlung ${name}`] },
          { l61: ['2401030103D2,00NTRFNONREF//BREF2'], l86: ['Plain narrative'] },
        ],
      });
    case 'bai2':
      return bai2({ details: [{ ...BAI2_DEFAULTS.details[0]!, text: `Wire ${name}` }, BAI2_DEFAULTS.details[1]!] });
    case 'csv':
      return csv([{ description: `Rent ${name}`, counterparty: name }, { amount: '3.00' }]);
  }
}

function optionsFor(format: Format, extra: StatementParseOptions = {}): StatementParseOptions {
  return format === 'csv' ? { profile: csvProfile(), ...extra } : extra;
}

/** What must not depend on the encoding: everything but the line id (derived from the bytes) and the file. */
function semantic(file: ParsedStatementFile): unknown {
  return file.statements.map((s) => ({
    ...s,
    lines: s.lines.map((line: StatementLine) => {
      const { statementLineId, position, ...rest } = line;
      expect(statementLineId).toMatch(new RegExp(`^${file.contentHash.slice(0, 12)}:`));
      return { ...rest, position: { ...position, file: '' } };
    }),
  }));
}

async function parseBytes(bytes: Buffer, options: StatementParseOptions): Promise<ParsedStatementFile> {
  return parseStatementFile(tmp.write(`s-${counter++}.in`, bytes), options);
}

async function* chunksOf(bytes: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield new Uint8Array(bytes.subarray(start, cut));
    start = cut;
  }
  yield new Uint8Array(bytes.subarray(start));
}

const nameArb = (encoding: Exclude<StatementEncoding, 'utf-8'>): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...ACCENTED[encoding]), fc.constantFrom('a', 'b', 'M', 'z', ' ')), { minLength: 1, maxLength: 12 })
    .map((chars) => `N${chars.join('')}${ACCENTED[encoding][0]}`.replace(/\s+$/, ''));

const SINGLE_BYTE = ['iso-8859-1', 'windows-1250', 'windows-1252'] as const;

describe('parseEncoding (REC-IN-7)', () => {
  it.each([
    ['utf-8', 'utf-8'],
    ['UTF8', 'utf-8'],
    ['latin1', 'iso-8859-1'],
    ['ISO-8859-1', 'iso-8859-1'],
    ['iso_8859_1', 'iso-8859-1'],
    ['cp1252', 'windows-1252'],
    ['Windows-1252', 'windows-1252'],
    ['win-1250', 'windows-1250'],
    ['CP1250', 'windows-1250'],
    [' windows-1250 ', 'windows-1250'],
  ])('%j is %s', (text, expected) => {
    expect(parseEncoding(text)).toBe(expected);
    expect(isStatementEncoding(text)).toBe(true);
  });

  it.each(['utf-16', 'ebcdic', '', 'latin2', 'windows-1251', 'constructor', '__proto__'])('%j is refused naming the value and the accepted list', (text) => {
    expect(() => parseEncoding(text)).toThrow(`unknown statement encoding "${text}": use one of ${STATEMENT_ENCODINGS.join(', ')}`);
    expect(isStatementEncoding(text)).toBe(false);
  });
});

describe('the same statement in every encoding is the same statement (REC-IN-7)', () => {
  it.each(FORMATS)('%s', async (format) => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SINGLE_BYTE).chain((encoding) => fc.tuple(fc.constant(encoding), nameArb(encoding))),
        fc.boolean(),
        async ([encoding, name], bom) => {
          const text = statementText(format, name);
          const reference = await parseBytes(encode(text, 'utf-8'), optionsFor(format));
          const expected = semantic(reference);
          // The decoded name reaches the line unchanged.
          const first = reference.statements[0]!.lines[0]!;
          expect(`${first.remittanceInformation ?? ''} ${first.counterparty ?? ''}`).toContain(name);
          // UTF-8 with a byte-order mark, named or found.
          expect(semantic(await parseBytes(encode(text, 'utf-8', bom), optionsFor(format)))).toEqual(expected);
          expect(semantic(await parseBytes(encode(text, 'utf-8', bom), optionsFor(format, { encoding: 'utf-8' })))).toEqual(expected);
          // The single-byte spelling, named.
          const bytes = encode(text, encoding);
          expect(semantic(await parseBytes(bytes, optionsFor(format, { encoding })))).toEqual(expected);
          // Found by the reader: Windows-1252 is read without being named, as are the files whose
          // bytes are also valid Windows-1252; a byte 1252 leaves undefined is refused naming --encoding.
          const ambiguous = UNDEFINED['windows-1252'].find((b) => bytes.includes(b));
          if (encoding === 'windows-1252') expect(semantic(await parseBytes(bytes, optionsFor(format)))).toEqual(expected);
          else if (ambiguous !== undefined) {
            const error = await parseError(() => parseBytes(bytes, optionsFor(format)));
            expect(error.position.line).toBe(bytes.subarray(0, bytes.indexOf(ambiguous)).toString('latin1').split('\n').length);
            expect(error.fault).toContain('--encoding');
          }
        },
      ),
      { numRuns: fuzzRuns(25), seed: fuzzSeed(7107) },
    );
  });

  it('camt: the XML declaration names the encoding; a named encoding overrides it', async () => {
    for (const encoding of SINGLE_BYTE) {
      const name = `Z${ACCENTED[encoding].join('')}`;
      const expected = semantic(await parseBytes(encode(statementText('camt', name), 'utf-8'), {}));
      for (const spelling of [encoding, encoding.toUpperCase(), encoding === 'iso-8859-1' ? 'latin1' : encoding.replace('windows-', 'cp')]) {
        const bytes = encode(statementText('camt', name, spelling), encoding);
        expect(semantic(await parseBytes(bytes, {}))).toEqual(expected);
        expect(semantic(await parseBytes(bytes, { encoding }))).toEqual(expected);
      }
    }
    // The declaration says Latin-1 but the bytes are UTF-8, and --encoding says so: --encoding wins.
    const utf8 = encode(statementText('camt', 'Zé', 'ISO-8859-1'), 'utf-8');
    expect(semantic(await parseBytes(utf8, { encoding: 'utf-8' }))).toEqual(semantic(await parseBytes(encode(statementText('camt', 'Zé'), 'utf-8'), {})));
    // Unread by the declaration alone, it would be mojibake (Ã©), never an error.
    const mojibake = await parseBytes(utf8, {});
    expect(mojibake.statements[0]!.lines[0]!.counterparty).toBe('ZÃ©');
  });

  it('camt: a declared encoding the reader does not know is refused at line 1, naming it and the accepted list', async () => {
    const error = await parseError(() => parseBytes(encode(statementText('camt', 'Z', 'UTF-16'), 'utf-8'), {}));
    expect(error.position.line).toBe(1);
    expect(error.fault).toBe(`the XML declaration's encoding "UTF-16" is not supported: use one of ${STATEMENT_ENCODINGS.join(', ')}`);
  });
});

describe('chunk boundaries never matter (REC-IN-7, REC-RUN-2)', () => {
  const cases = FORMATS.flatMap((format) =>
    (['utf-8', ...SINGLE_BYTE] as StatementEncoding[]).map((encoding) => {
      const name = encoding === 'utf-8' ? 'Zé€łř😀' : `Z${ACCENTED[encoding].join('')}`;
      return { format, encoding, bytes: encode(statementText(format, name), encoding, encoding === 'utf-8') };
    }),
  );

  it.each(cases.map((c) => [c.format, c.encoding, c]))('%s in %s: split at every byte, the result and the hash are the whole file’s', async (_f, _e, c) => {
    const options = optionsFor(c.format, c.encoding === 'windows-1252' || c.encoding === 'utf-8' ? {} : { encoding: c.encoding });
    const whole = await parseBytes(c.bytes, options);
    expect(whole.contentHash).toBe(createHash('sha256').update(c.bytes).digest('hex'));
    const expected = { ...whole, file: 'stream' };
    for (let cut = 0; cut <= c.bytes.length; cut++) {
      const parsed = await parseStatementChunks(chunksOf(c.bytes, [cut]), { ...options, name: 'stream' });
      for (const s of parsed.statements) for (const line of s.lines) line.position.file = whole.file;
      expect(parsed).toEqual(expected);
    }
  });

  it('any number of chunks of any size give the same result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...cases), fc.array(fc.nat(), { maxLength: 40 }), async (c, raw) => {
        const options = optionsFor(c.format, c.encoding === 'windows-1252' || c.encoding === 'utf-8' ? {} : { encoding: c.encoding });
        const cuts = raw.map((n) => n % (c.bytes.length + 1));
        const a = await parseStatementChunks(chunksOf(c.bytes, cuts), { ...options, name: 'x' });
        const b = await parseStatementChunks(chunksOf(c.bytes, []), { ...options, name: 'x' });
        expect(a).toEqual(b);
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(7108) },
    );
  });

  it('REC-RUN-2: a stream that can be read only once is hashed and parsed in that one read', async () => {
    for (const c of cases) {
      const options = optionsFor(c.format, c.encoding === 'windows-1252' || c.encoding === 'utf-8' ? {} : { encoding: c.encoding });
      let reads = 0;
      const once: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]() {
          reads += 1;
          if (reads > 1) throw new Error('the stream was read twice');
          return chunksOf(c.bytes, [7, 300])[Symbol.asyncIterator]();
        },
      };
      const parsed = await parseStatementChunks(once, { ...options, name: 'once' });
      expect(reads).toBe(1);
      const hash = createHash('sha256').update(c.bytes).digest('hex');
      expect(parsed.contentHash).toBe(hash);
      parsed.statements.forEach((s, si) => s.lines.forEach((line, li) => expect(line.statementLineId).toBe(`${hash.slice(0, 12)}:${si}:${li}`)));
    }
  });

  it('an empty stream is "the file is empty" at line 1', async () => {
    const error = await parseError(() => parseStatementChunks(chunksOf(Buffer.alloc(0), []), { name: 'empty' }));
    expect(error.message).toBe('empty:1: the file is empty');
  });
});

describe('bad bytes are refused naming their line (REC-IN-7)', () => {
  /** A statement of `format`, ASCII, with `bad` put into the narrative of its first line. */
  function withBytes(format: Format, bad: number[], before = 'N'): { bytes: Buffer; line: number } {
    const text = statementText(format, `${before}QQQ`);
    const utf8 = Buffer.from(text, 'utf8');
    const at = utf8.indexOf('QQQ');
    const bytes = Buffer.concat([utf8.subarray(0, at), Buffer.from(bad), utf8.subarray(at + 3)]);
    return { bytes, line: utf8.subarray(0, at).toString('utf8').split('\n').length };
  }

  it('a byte the named single-byte encoding leaves undefined', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORMATS),
        fc.constantFrom(...SINGLE_BYTE).chain((encoding) => fc.tuple(fc.constant(encoding), fc.constantFrom(...UNDEFINED[encoding]))),
        async (format, [encoding, byte]) => {
          const { bytes, line } = withBytes(format, [byte]);
          const error = await parseError(() => parseBytes(bytes, optionsFor(format, { encoding })));
          expect(error.position.line).toBe(line);
          expect(error.fault).toContain(`byte 0x${byte.toString(16)}`);
          expect(error.fault).toContain('--encoding');
        },
      ),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(7109) },
    );
  });

  it('invalid UTF-8 when the file is named UTF-8; mixed encodings; undefined bytes when found', async () => {
    const invalid = [[0xff], [0xc3, 0x28], [0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xe9, 0x81]];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FORMATS), fc.constantFrom(...invalid), async (format, bad) => {
        const named = withBytes(format, bad);
        const error = await parseError(() => parseBytes(named.bytes, optionsFor(format, { encoding: 'utf-8' })));
        expect(error.position.line).toBe(named.line);
        expect(error.fault).toMatch(/invalid UTF-8/);
        // UTF-8 text before the bad byte: the file mixes encodings.
        const mixed = withBytes(format, bad, 'Né');
        const mixedError = await parseError(() => parseBytes(mixed.bytes, optionsFor(format)));
        expect(mixedError.position.line).toBe(mixed.line);
        expect(mixedError.fault).toMatch(/mixes encodings.*--encoding/);
        // A byte-order mark says UTF-8 too.
        const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), named.bytes]);
        const bomError = await parseError(() => parseBytes(bom, optionsFor(format)));
        expect(bomError.position.line).toBe(named.line);
        expect(bomError.fault).toContain('--encoding');
      }),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(7110) },
    );
    // Found by the reader: not UTF-8, and not Windows-1252 either.
    for (const format of FORMATS) {
      const { bytes, line } = withBytes(format, [0xe9, 0x9d]);
      const error = await parseError(() => parseBytes(bytes, optionsFor(format)));
      expect(error.position.line).toBe(line);
      expect(error.fault).toMatch(/not valid UTF-8, and byte 0x9d .* is undefined in Windows-1252, so its encoding is ambiguous: name the file's encoding with --encoding/);
    }
  });

  it('a UTF-16 or UTF-32 file (a spreadsheet\'s "Unicode text", with or without its byte-order mark) is refused at line 1 naming that encoding, in every format, detected, forced or named', async () => {
    const wide: { name: string; bom: number[]; encode: (text: string) => Buffer }[] = [
      { name: 'UTF-16 little-endian', bom: [0xff, 0xfe], encode: (text) => Buffer.from(text, 'utf16le') },
      { name: 'UTF-16 big-endian', bom: [0xfe, 0xff], encode: (text) => Buffer.from(text, 'utf16le').swap16() },
      { name: 'UTF-32 little-endian', bom: [0xff, 0xfe, 0, 0], encode: (text) => Buffer.from([...text].flatMap((c) => [c.codePointAt(0)! & 0xff, c.codePointAt(0)! >> 8, 0, 0])) },
      { name: 'UTF-32 big-endian', bom: [0, 0, 0xfe, 0xff], encode: (text) => Buffer.from([...text].flatMap((c) => [0, 0, c.codePointAt(0)! >> 8, c.codePointAt(0)! & 0xff])) },
    ];
    for (const format of FORMATS) {
      for (const { name, bom, encode } of wide) {
        for (const withBom of [true, false]) {
          const body = encode(statementText(format, 'Zoe'));
          const bytes = withBom ? Buffer.concat([Buffer.from(bom), body]) : body;
          for (const extra of [{}, { format: format === 'camt' ? ('camt.053' as const) : format === 'csv' ? ('csv' as const) : format }, { encoding: 'utf-8' as const }]) {
            const error = await parseError(() => parseBytes(bytes, optionsFor(format, extra)));
            expect([error.position.line, error.fault]).toEqual([
              1,
              `the file is ${name} text${withBom ? ' (it starts with that byte order mark)' : ''}; statements are read as ${STATEMENT_ENCODINGS.join(', ')}: save or export it in one of them`,
            ]);
          }
        }
      }
    }
  });

  it('a single-byte encoding named for a file with a UTF-8 byte-order mark is refused at line 1', async () => {
    for (const encoding of SINGLE_BYTE) {
      const bytes = encode(statementText('mt940', 'Zé'), 'utf-8', true);
      const error = await parseError(() => parseBytes(bytes, { encoding }));
      expect(error.position.line).toBe(1);
      expect(error.fault).toBe(`the file starts with a UTF-8 byte order mark but --encoding says ${encoding}`);
    }
  });
});
