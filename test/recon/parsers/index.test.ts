/**
 * Format detection, unknown formats, the file-level contract (content hash, deterministic ids,
 * streaming = whole-file parse) and truncation across every real fixture.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { detectCamtVersion, detectFormat, parseStatementFile, streamStatementLineBatches, streamStatementLines, type StreamStatementOptions } from '../../../src/recon/parsers';
import type { StatementFormat, StatementLine } from '../../../src/recon/types';
import { own, parseError, shared, tempDir } from './support/fixtures';

const head = (path: string): Buffer => readFileSync(path).subarray(0, 4096);

/** Every real fixture that parses, with its format. */
const GOOD: [string, StatementFormat][] = [
  ...readdirSync(shared('camt'))
    .filter((f) => f.endsWith('.xml') && !['camt053.v2.wrong.xml', 'camt053.v2.five.decimals.xml', 'camt053.v2.all-balance-types.xml', 'camt53.only-Dt-with-DtTm.xml'].includes(f))
    .map((f): [string, StatementFormat] => [`camt/${f}`, `camt.05${/camt0?5([234])/.exec(f)![1]}` as StatementFormat]),
  ['mt940/betterplace/sepa_mt9401.sta', 'mt940'],
  ['mt940/betterplace/sepa_snippet.sta', 'mt940'],
  ['mt940/betterplace/with_binary_character.sta', 'mt940'],
  ['mt940/cmxl/mt940.sta', 'mt940'],
  ['mt940/mBank/mt940.sta', 'mt940'],
  ['mt940/mBank/mt942.sta', 'mt942'],
  ['mt940/mBank/with_newline_in_tnr.sta', 'mt940'],
  ['bai2/sample1.txt', 'bai2'],
  ['bai2/sample2.txt', 'bai2'],
  ['bai2/sample3.txt', 'bai2'],
];

async function drain(path: string, options: StreamStatementOptions = {}) {
  const lines: StatementLine[] = [];
  const generator = streamStatementLines(path, options);
  let result = await generator.next();
  while (!result.done) {
    lines.push(result.value);
    result = await generator.next();
  }
  return { lines, summary: result.value };
}

describe('detectFormat', () => {
  it.each(GOOD)('%s → %s', (path, format) => {
    expect(detectFormat(head(shared(path)))).toBe(format);
  });

  it('camt type and version come from the Document namespace', () => {
    expect(detectCamtVersion(head(shared('camt/camt052.v1.xml')))).toEqual({ type: 'camt.052', version: '001.01', namespace: 'urn:iso:std:iso:20022:tech:xsd:camt.052.001.01' });
    expect(detectCamtVersion(head(shared('camt/camt053.v8.xml')))?.version).toBe('001.08');
    expect(detectCamtVersion(head(shared('camt/camt054.v4.xml')))?.type).toBe('camt.054');
    expect(detectCamtVersion(Buffer.from('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.13">'))?.version).toBe('001.13');
  });

  it('SWIFT headers, MT942 markers, BOM and leading blank lines', () => {
    expect(detectFormat(Buffer.from('{1:F01BANKDEFFAXXX0000000000}{2:O9421200240102BANK}{4:\n:20:X'))).toBe('mt942');
    expect(detectFormat(Buffer.from('{1:F01BANKDEFFAXXX0000000000}{2:I940BANKDEFFXXXXN}{4:\n:20:X'))).toBe('mt940');
    expect(detectFormat(Buffer.from('{1:F01BANK}{4:\n:20:X\n:25:A\n:28C:1\n:34F:EUR0,\n:13D:2401011200+0100\n'))).toBe('mt942');
    expect(detectFormat(Buffer.from('\ufeff\r\n\r\n:20:X\r\n:25:A\r\n'))).toBe('mt940');
    expect(detectFormat(Buffer.from('\u0001\n:20:ST1\n'))).toBe('mt940');
    expect(detectFormat(head(shared('mt940/betterplace/empty_line.sta')))).toBe('mt940');
    expect(detectFormat(Buffer.from('01,SENDER,RECEIVER,240301,0800,1,,,2/'))).toBe('bai2');
  });

  it("banks' wrapper lines before the first message: ABN AMRO, ING, Rabobank (REC-MT940-1..3)", () => {
    expect(detectFormat(Buffer.from('ABNANL2A\r\n940\r\nABNANL2A\r\n:20:ABN AMRO BANK NV\r\n:25:517852257\r\n'))).toBe('mt940');
    expect(detectFormat(Buffer.from('0000 01INGBNL2AXXXX00001\n0000 01INGBNL2AXXXX00001\n940 00\n:20:P140220000000001\n:25:NL69INGB0123456789EUR\n'))).toBe('mt940');
    expect(detectFormat(Buffer.from(':940:\n:20:940S130403\n:25:NL50RABO0123456789\n'))).toBe('mt940');
    expect(detectFormat(Buffer.from(':942:\n:20:X\n:25:A\n:34F:EUR0,\n'))).toBe('mt942');
    // A wrapper line alone, or before something that is not an MT message, is still unknown.
    expect(detectFormat(Buffer.from('ABNANL2A\n940\nABNANL2A\n'))).toBeUndefined();
    expect(detectFormat(Buffer.from('ABNANL2A\nentryId,accountId\n'))).toBeUndefined();
  });

  it('is undefined for anything else: CSV, other XML, fragments, binary, empty', () => {
    expect(detectFormat(head(own('generic-signed.csv')))).toBeUndefined();
    expect(detectFormat(Buffer.from('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">'))).toBeUndefined();
    expect(detectFormat(Buffer.from('<html><body>'))).toBeUndefined();
    expect(detectFormat(head(shared('mt940/cmxl/statement_line.sta')))).toBeUndefined();
    expect(detectFormat(head(shared('bai2/sample-parseError.txt')))).toBeUndefined();
    expect(detectFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]))).toBeUndefined();
    expect(detectFormat(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('unknown formats', () => {
  const tmp = tempDir('unknown');
  afterAll(() => tmp.cleanup());

  it.each([
    // The start is described, never quoted (PCI-3: the file may hold a card number).
    ['statement.json', '{"lines":[]}', /^unknown statement format: the file starts with a punctuation mark or symbol, not with camt/],
    ['statement.pdf', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), /^unknown statement format: the file starts with a punctuation mark or symbol/],
    ['pain.xml', '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>', /^unknown statement format/],
  ])('%s is "unknown statement format" naming the file (line 1)', async (name, content, fault) => {
    const path = tmp.write(name, content);
    const error = await parseError(() => parseStatementFile(path));
    expect(error.position).toEqual({ file: path, line: 1 });
    expect(error.fault).toMatch(fault);
    expect(error.message).toContain(`${path}:1: unknown statement format`);
    await expect(streamStatementLines(path).next()).rejects.toThrow(/unknown statement format/);
  });

  it('an empty file, a missing file and a directory are errors naming the path', async () => {
    const empty = tmp.write('empty.sta', '');
    expect((await parseError(() => parseStatementFile(empty))).message).toBe(`${empty}:1: the file is empty`);
    expect((await parseError(() => parseStatementFile(`${tmp.dir}/missing.sta`))).fault).toMatch(/^cannot read the file: ENOENT/);
    expect((await parseError(() => parseStatementFile(tmp.dir))).fault).toBe('not a regular file');
  });

  it('a forced format that does not fit is an error naming the line', async () => {
    const error = await parseError(() => parseStatementFile(own('generic-signed.csv'), { format: 'mt940' }));
    expect(error.position.line).toBe(1);
    expect(error.fault).toMatch(/unexpected text outside any field/);
    const camt = await parseError(() => parseStatementFile(shared('bai2/sample1.txt'), { format: 'camt.053' }));
    expect(camt.fault).toMatch(/malformed XML: text before the root element/);
  });
});

describe('file contract on every real fixture', () => {
  it.each(GOOD)('%s: content hash, ids, streaming = whole parse, deterministic', async (path, format) => {
    const file = shared(path);
    const parsed = await parseStatementFile(file);
    expect(parsed.file).toBe(file);
    expect(parsed.format).toBe(format);
    expect(parsed.contentHash).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    parsed.statements.forEach((statement, s) =>
      statement.lines.forEach((line, l) => {
        expect(line.statementLineId).toBe(`${parsed.contentHash.slice(0, 12)}:${s}:${l}`);
        expect(line.statementId).toBe(statement.statementId);
        expect(line.accountId).toBe(statement.accountId);
        expect(line.amount).toMatch(/^-?[0-9]+(\.[0-9]+)?$/);
        expect(line.position.file).toBe(file);
        if (line.bookingDate !== null) expect(line.bookingDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }),
    );
    const { lines, summary } = await drain(file, { chunkSize: 257 });
    expect(lines).toEqual(parsed.statements.flatMap((s) => s.lines));
    expect(summary.contentHash).toBe(parsed.contentHash);
    expect(summary.statements.map((s) => [s.statementId, s.lineCount, s.balance])).toEqual(parsed.statements.map((s) => [s.statementId, s.lines.length, s.balance]));
    expect(await parseStatementFile(file)).toEqual(parsed);
  });

  it('batches carry the same lines as the per-line stream', async () => {
    const file = shared('mt940/betterplace/sepa_mt9401.sta');
    const batches: StatementLine[][] = [];
    const generator = streamStatementLineBatches(file, { chunkSize: 2048 });
    let result = await generator.next();
    while (!result.done) {
      batches.push(result.value);
      result = await generator.next();
    }
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.flat()).toEqual((await drain(file)).lines);
    expect(result.value.statements).toHaveLength(26);
  });

  it('a re-upload under another name has the same content hash and line ids', async () => {
    const tmp = tempDir('reupload');
    try {
      const copy = tmp.write('renamed.txt', readFileSync(shared('bai2/sample3.txt')));
      const [a, b] = [await parseStatementFile(shared('bai2/sample3.txt')), await parseStatementFile(copy)];
      expect(b.contentHash).toBe(a.contentHash);
      expect(b.statements.flatMap((s) => s.lines.map((l) => l.statementLineId))).toEqual(a.statements.flatMap((s) => s.lines.map((l) => l.statementLineId)));
    } finally {
      tmp.cleanup();
    }
  });
});

describe('truncated real files are errors, never partial results', () => {
  const tmp = tempDir('truncated');
  afterAll(() => tmp.cleanup());

  it.each(GOOD)('%s cut at 1/3 and 2/3', async (path) => {
    const bytes = readFileSync(shared(path));
    for (const fraction of [1 / 3, 2 / 3]) {
      const cut = tmp.write(`cut-${fraction.toFixed(2)}-${path.replace(/\//g, '_')}`, bytes.subarray(0, Math.floor(bytes.length * fraction)));
      const error = await parseError(() => parseStatementFile(cut));
      expect(error.position.file).toBe(cut);
      expect(error.fault).toMatch(/truncated|not a calendar date|is not|has no|no .* found|out of sequence|does not match|missing|ends/);
    }
  });
});
