/**
 * REC-IN-1 and REC-IN-2, memory side: a hostile construct is refused as soon as it passes its
 * bound, before the rest of it is read. Each case feeds a reader the start of a statement and
 * then up to a gigabyte of filler, 64 KiB at a time, and counts what it took before the typed
 * error came: at most the bound and one chunk. (The heap itself is not asserted; a reader that
 * stops within one chunk cannot have built the huge string. The reported cases were a camt
 * <MsgId> of about 1 GB and an MT940 amount of 20 digits, both "Invalid string length" before.)
 */
import { parseStatementFile } from '../../../src/recon/parsers';
import { Bai2Parser } from '../../../src/recon/parsers/bai2';
import { CamtParser } from '../../../src/recon/parsers/camt';
import type { ParseContext, StatementSink, TextParser } from '../../../src/recon/parsers/common';
import { CsvParser } from '../../../src/recon/parsers/csv';
import { BAI2_LIMITS, CAMT_TEXT, CAMT_TEXT_DEFAULT, CSV_LIMITS, MT940_FIELDS, MT940_LINE, XML_LIMITS, XML_WHITESPACE_SLACK } from '../../../src/recon/parsers/limits';
import { Mt940Parser } from '../../../src/recon/parsers/mt940';
import { StatementParseError, type StatementFormat } from '../../../src/recon/types';
import { parseError, tempDir } from './support/fixtures';
import { camt, csv, csvProfile, lineOf, mt940 } from './support/statements';

const CHUNK = 64 * 1024;
/** 16384 chunks of 64 KiB: a gigabyte, were it all read. */
const GIGABYTE_OF_CHUNKS = 16384;
const FILE = 'hostile.input';

const sink: StatementSink = { line: () => undefined, statement: () => undefined };
const ctx = (format: StatementFormat): ParseContext => ({ file: FILE, hashPrefix: '000000000000', format });

const readers: Record<string, () => TextParser> = {
  camt: () => new CamtParser(ctx('camt.053'), sink),
  mt940: () => new Mt940Parser(ctx('mt940'), sink),
  bai2: () => new Bai2Parser(ctx('bai2'), sink),
  csv: () => new CsvParser(ctx('csv'), sink, csvProfile()),
};

interface Refusal {
  error: StatementParseError;
  /** Characters pushed before the error, the head included. */
  pushed: number;
}

/** Pushes `head`, then `filler` repeated (64 KiB per push) up to a gigabyte, then `tail` and end(). */
function feed(reader: TextParser, head: string, filler: string, tail = ''): Refusal {
  const chunk = filler.repeat(Math.ceil(CHUNK / filler.length)).slice(0, CHUNK);
  let pushed = 0;
  try {
    reader.push(head);
    pushed += head.length;
    for (let i = 0; i < GIGABYTE_OF_CHUNKS; i++) {
      reader.push(chunk);
      pushed += chunk.length;
    }
    reader.push(tail);
    reader.end();
  } catch (error) {
    if (error instanceof StatementParseError) return { error, pushed };
    throw error;
  }
  throw new Error('the reader read a gigabyte of filler without refusing it');
}

const CAMT_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n<BkToCstmrStmt>\n<GrpHdr>\n';
const CSV_HEADER = `${csv([]).split('\n')[0]}\n`;

interface Case {
  name: string;
  reader: keyof typeof readers;
  head: string;
  filler: string;
  bound: number;
  line: number;
  fault: RegExp;
  element?: string;
}

const cases: Case[] = [
  {
    name: 'camt: a gigabyte <MsgId> (the reported case)',
    reader: 'camt',
    head: `${CAMT_HEAD}<MsgId>`,
    filler: 'M',
    bound: CAMT_TEXT.MsgId!,
    line: 5,
    fault: /text of <MsgId> is longer than 35 characters/,
    element: 'Document/BkToCstmrStmt/GrpHdr/MsgId',
  },
  {
    name: 'camt: a gigabyte of whitespace after a value',
    reader: 'camt',
    head: `${CAMT_HEAD}<MsgId>M1`,
    filler: ' \n',
    bound: CAMT_TEXT.MsgId! + XML_WHITESPACE_SLACK,
    line: 5,
    fault: /text of <MsgId> is longer than 35 characters/,
  },
  { name: 'camt: text in an unlisted element', reader: 'camt', head: `${CAMT_HEAD}<Foo>`, filler: 'f', bound: CAMT_TEXT_DEFAULT, line: 5, fault: /text of <Foo> is longer than 2048/ },
  {
    name: 'camt: an "&" that never ends its entity',
    reader: 'camt',
    head: `${CAMT_HEAD}<Foo>&`,
    filler: 'a',
    bound: CAMT_TEXT_DEFAULT,
    line: 5,
    fault: /text of <Foo> is longer than 2048|"&" must start an entity/,
  },
  { name: 'camt: a CDATA section that never closes', reader: 'camt', head: `${CAMT_HEAD}<Foo><![CDATA[`, filler: 'c', bound: CAMT_TEXT_DEFAULT, line: 5, fault: /text of <Foo> is longer than 2048/ },
  { name: 'camt: a tag that never closes', reader: 'camt', head: `${CAMT_HEAD}<Foo a="`, filler: 'a', bound: XML_LIMITS.tag, line: 5, fault: /a tag is longer than 4096/ },
  { name: 'camt: an element name without end', reader: 'camt', head: `${CAMT_HEAD}<Foo`, filler: 'o', bound: XML_LIMITS.tag, line: 5, fault: /a tag is longer than 4096/ },
  { name: 'camt: a comment that never closes', reader: 'camt', head: `${CAMT_HEAD}<!--`, filler: 'c', bound: XML_LIMITS.comment, line: 5, fault: /a comment is longer than 65536/ },
  {
    name: 'camt: a processing instruction that never closes',
    reader: 'camt',
    head: `${CAMT_HEAD}<?pi `,
    filler: 'p',
    bound: XML_LIMITS.comment,
    line: 5,
    fault: /a processing instruction is longer than 65536/,
  },
  { name: 'camt: elements nested without end', reader: 'camt', head: CAMT_HEAD, filler: '<a>', bound: XML_LIMITS.depth * 3, line: 5, fault: /nested deeper than 64 levels/ },
  {
    name: 'camt: text after the root element',
    reader: 'camt',
    head: camt(),
    filler: 't',
    bound: CAMT_TEXT_DEFAULT,
    line: camt().split('\n').length,
    fault: /text outside the root element is longer than 2048/,
  },
  { name: 'MT940: a gigabyte :20: line', reader: 'mt940', head: ':20:', filler: 'R', bound: MT940_LINE, line: 1, fault: /^a line \(field :20:\) is longer than 4096 characters$/ },
  {
    name: 'MT940: a :86: of a million short lines',
    reader: 'mt940',
    head: ':20:R\n:25:A\n:28C:1/1\n:60F:C240101EUR1,00\n:61:240102C1,00NTRFX\n:86:',
    filler: 'n\n',
    bound: MT940_FIELDS['86']! * 2,
    line: 6,
    fault: /^field :86: is longer than 2048 characters$/,
  },
  { name: 'MT940: a line of text before any field', reader: 'mt940', head: '', filler: 'x', bound: MT940_LINE, line: 1, fault: /^a line is longer than 4096/ },
  {
    name: 'BAI2: a gigabyte 16 record',
    reader: 'bai2',
    head: '01,S,R,240301,0800,1,,,2/\n16,195,',
    filler: '9',
    bound: BAI2_LIMITS.line,
    line: 2,
    fault: /^a line \(starting a 16 record\) is longer than 4096/,
  },
  {
    name: 'BAI2: 88 continuations without end',
    reader: 'bai2',
    head: '01,S,R,240301,0800,1,,,2/\n02,R,B,1,240229,2400,EUR,2/\n03,ACC1,,010,+1,,/\n',
    filler: '88,400,1,,/\n',
    bound: BAI2_LIMITS.record * 2,
    line: 3,
    fault: /^the 03 record \(with its 88 continuations, from line 3\) is longer than 16384/,
  },
  { name: 'CSV: a gigabyte line', reader: 'csv', head: CSV_HEADER, filler: 'x', bound: CSV_LIMITS.line, line: 2, fault: /^a line is longer than 65536/ },
  {
    name: 'CSV: a quote that never closes, over a million lines',
    reader: 'csv',
    head: `${CSV_HEADER}"`,
    filler: 'q\n',
    bound: CSV_LIMITS.field * 2,
    line: 2,
    fault: /field 1 \(a quoted field: an unterminated quote\?\) is longer than 4096/,
  },
];

describe('early refusal: a hostile construct costs at most its bound and one chunk', () => {
  it.each(cases)('$name', (c) => {
    const { error, pushed } = feed(readers[c.reader]!(), c.head, c.filler);
    expect(error.position.file).toBe(FILE);
    expect(error.position.line).toBe(c.line);
    if (c.element) expect(error.position.element).toBe(c.element);
    expect(error.fault).toMatch(c.fault);
    expect(pushed).toBeLessThanOrEqual(c.head.length + c.bound + 2 * CHUNK);
  });
});

describe('the reported cases, end to end through parseStatementFile', () => {
  const tmp = tempDir('early');
  afterAll(() => tmp.cleanup());

  it('an MT940 amount of 20 digits is refused naming the file, the :61: line and the field', async () => {
    const text = mt940({ entries: [{ l61: ['2401020102C12345678901234567890,00NTRFCREF//BREF'] }] });
    const path = tmp.write('twenty.sta', text);
    const error = await parseError(() => parseStatementFile(path));
    expect(error).toMatchObject({ position: { file: path, line: lineOf(text, ':61:') }, fault: ':61: amount is longer than 15 characters' });
  });

  it('a camt <MsgId> of 8 MB is refused naming the file, the line and the element', async () => {
    const text = `${CAMT_HEAD}<MsgId>${'M'.repeat(8 * 1024 * 1024)}</MsgId>\n</GrpHdr>\n</BkToCstmrStmt>\n</Document>\n`;
    const path = tmp.write('msgid.xml', text);
    const error = await parseError(() => parseStatementFile(path));
    expect(error.position).toEqual({ file: path, line: 5, element: 'Document/BkToCstmrStmt/GrpHdr/MsgId' });
    expect(error.fault).toBe('malformed XML: text of <MsgId> is longer than 35 characters');
  });
});
