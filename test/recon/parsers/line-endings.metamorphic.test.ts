/**
 * Metamorphic: the same statement is the same statement however its lines end. LF or CRLF, a
 * UTF-8 byte-order mark or none, a final line break or none (2 × 2 × 2 spellings) must give the
 * same parsed statements from every reader (camt, MT940/MT942, BAI2, CSV): same lines, amounts,
 * references, texts, balances and positions. Only what is derived from the bytes themselves
 * differs (the content hash in each statementLineId). ING-1: a BOM on the first line is ignored
 * by every reader alike; the one exception is a CSV profile that declares cp1252, where a UTF-8
 * BOM says the profile is wrong, and the file is refused naming line 1.
 *
 * Run over every real sample the readers accept and over generated statements.
 */
import * as fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { parseStatementFile, type StatementParseOptions } from '../../../src/recon/parsers';
import type { ParsedStatementFile } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { MT940_SAMPLES, own, parseError, shared, tempDir } from './support/fixtures';
import { bai2, camt, camtDetails, camtEntry, csv, csvProfile, mt940 } from './support/statements';

interface Base {
  name: string;
  bytes: Buffer;
  options: StatementParseOptions;
}

const CAMT_REJECTED = new Set(['camt053.v2.wrong.xml', 'camt053.v2.all-balance-types.xml', 'camt053.v2.five.decimals.xml', 'camt53.only-Dt-with-DtTm.xml']);

const SAMPLES: Base[] = [
  ...readdirSync(shared('camt'))
    .filter((f) => f.endsWith('.xml') && !CAMT_REJECTED.has(f))
    .map((f) => ({ name: `camt/${f}`, bytes: readFileSync(shared(`camt/${f}`)), options: {} })),
  ...MT940_SAMPLES.map((f) => ({ name: `mt940/${f}`, bytes: readFileSync(shared(`mt940/${f}`)), options: {} })),
  ...['sample1.txt', 'sample2.txt', 'sample3.txt'].map((f) => ({ name: `bai2/${f}`, bytes: readFileSync(shared(`bai2/${f}`)), options: {} })),
  { name: 'generic-signed.csv', bytes: readFileSync(own('generic-signed.csv')), options: { profile: 'generic-signed' } },
  { name: 'generic-debit-credit.csv', bytes: readFileSync(own('generic-debit-credit.csv')), options: { profile: 'generic-debit-credit' } },
  { name: 'eu-bank-export-bom.csv', bytes: readFileSync(own('eu-bank-export-bom.csv')), options: { profile: 'eu-bank-export' } },
  { name: 'us-bank-export.csv', bytes: readFileSync(own('us-bank-export.csv')), options: { profile: 'us-bank-export' } },
];

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

interface Spelling {
  crlf: boolean;
  bom: boolean;
  finalBreak: boolean;
}

const SPELLINGS: Spelling[] = [false, true].flatMap((crlf) => [false, true].flatMap((bom) => [false, true].map((finalBreak) => ({ crlf, bom, finalBreak }))));

/** The bytes with the given line ends, BOM and final break (lone CRs inside lines are kept). */
function respell(bytes: Buffer, s: Spelling): Buffer {
  let text = bytes.toString('latin1'); // byte-preserving
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  text = text.replace(/\r\n/g, '\n').replace(/\n+$/, '');
  if (s.finalBreak) text += '\n';
  if (s.crlf) text = text.replace(/\n/g, '\r\n');
  const body = Buffer.from(text, 'latin1');
  return s.bom ? Buffer.concat([BOM, body]) : body;
}

/** The parse without what derives from the bytes (the content hash, the file name). */
function comparable(file: ParsedStatementFile): unknown {
  return {
    format: file.format,
    statements: file.statements.map((s) => ({
      ...s,
      lines: s.lines.map((l) => ({ ...l, statementLineId: l.statementLineId.replace(/^[0-9a-f]{12}:/, ''), position: { ...l.position, file: '' } })),
    })),
  };
}

const tmp = tempDir('line-endings');
afterAll(() => tmp.cleanup());
let counter = 0;

async function allSpellingsAgree(base: Base, spellings: Spelling[] = SPELLINGS): Promise<unknown> {
  const results: unknown[] = [];
  for (const spelling of spellings) {
    const path = tmp.write(`${counter++}-${base.name.replace(/\W/g, '_')}`, respell(base.bytes, spelling));
    results.push(comparable(await parseStatementFile(path, base.options)));
  }
  for (let i = 1; i < results.length; i++) expect({ spelling: spellings[i], parsed: results[i] }).toEqual({ spelling: spellings[i], parsed: results[0] });
  return results[0];
}

describe('line ends, BOM and the final line break do not change the statement', () => {
  it.each(SAMPLES.map((s) => [s.name, s] as const))('%s', async (_name, base) => {
    await allSpellingsAgree(base);
  });

  it('a cp1252 CSV profile refuses a UTF-8 BOM on line 1 (the profile is wrong for the file)', async () => {
    const path = tmp.write('bom-cp1252.csv', Buffer.concat([BOM, readFileSync(own('uk-bank-export-cp1252.csv'))]));
    const error = await parseError(() => parseStatementFile(path, { profile: 'uk-bank-export' }));
    expect(error.position).toEqual({ file: path, line: 1 });
    expect(error.fault).toBe('the file starts with a UTF-8 byte order mark but the CSV profile says windows-1252');
    // Without the BOM, CRLF or LF and the final break still agree.
    await allSpellingsAgree(
      { name: 'uk-cp1252', bytes: readFileSync(own('uk-bank-export-cp1252.csv')), options: { profile: 'uk-bank-export' } },
      SPELLINGS.filter((s) => !s.bom),
    );
  });
});

describe('generated statements: every spelling parses the same', () => {
  const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .\-/]{0,20}[A-Za-z0-9]$/);
  const amount = fc
    .integer({ min: 1, max: 99_999_999 })
    .map((minor) => ({ minor, swift: `${Math.floor(minor / 100)},${String(minor % 100).padStart(2, '0')}`, dot: `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}` }));
  const entry = fc.record({ amount, credit: fc.boolean(), ref: word, text: fc.array(word, { minLength: 1, maxLength: 3 }) });
  const entries = fc.array(entry, { minLength: 1, maxLength: 4 });

  it('MT940 (multi-line :86: narratives)', async () => {
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        const text = mt940({
          entries: list.map((e) => ({ l61: [`2401020102${e.credit ? 'C' : 'D'}${e.amount.swift}NTRF${e.ref.slice(0, 16).trim() || 'X'}//B1`], l86: e.text })),
          closing: 'C240103EUR0,00',
        });
        await allSpellingsAgree({ name: 'gen.sta', bytes: Buffer.from(text), options: {} });
      }),
      { numRuns: fuzzRuns(8), seed: fuzzSeed(6101) },
    );
  });

  it('BAI2 (16 text continued on 88 records)', async () => {
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        const details = list.map((e) => ({ type: e.credit ? '195' : '475', amount: String(e.amount.minor), funds: '0', bankRef: 'R1', custRef: 'C1', text: e.text[0]!, more: e.text.slice(1) }));
        await allSpellingsAgree({ name: 'gen.bai', bytes: Buffer.from(bai2({ details })), options: {} });
      }),
      { numRuns: fuzzRuns(8), seed: fuzzSeed(6102) },
    );
  });

  it('CSV (quoted cells with line breaks inside)', async () => {
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        const rows = list.map((e) => ({ amount: `${e.credit ? '' : '-'}${e.amount.dot}`, description: e.text.join('\n'), bank_ref: e.ref }));
        await allSpellingsAgree({ name: 'gen.csv', bytes: Buffer.from(csv(rows)), options: { profile: csvProfile() } });
      }),
      { numRuns: fuzzRuns(8), seed: fuzzSeed(6103) },
    );
  });

  it('camt (remittance lines, whitespace inside text)', async () => {
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        // A line break inside a text value: CRLF and LF must read alike there too (XML 1.0 §2.11).
        const xml = camt({ entries: list.map((e) => camtEntry(e.amount.dot, e.credit ? 'CRDT' : 'DBIT', camtDetails({ ustrd: [...e.text, e.text.join('\n')], acctSvcrRef: e.ref.slice(0, 35) }))) });
        // Pretty-printed too: line breaks between and inside elements.
        const pretty = xml.replace(/></g, '>\n  <');
        const compact = await allSpellingsAgree({ name: 'gen.xml', bytes: Buffer.from(xml), options: {} });
        expect(await allSpellingsAgree({ name: 'gen-pretty.xml', bytes: Buffer.from(pretty), options: {} })).toEqual(compact);
      }),
      { numRuns: fuzzRuns(8), seed: fuzzSeed(6104) },
    );
  });
});
