/** BAI2 on the real files in ../shared/fixtures/bai2, plus synthetic integrity failures. */
import { readFileSync } from 'node:fs';
import { parseStatementFile } from '../../../src/recon/parsers';
import { Bai2Parser, bai2Direction } from '../../../src/recon/parsers/bai2';
import { parseError, shared, tempDir } from './support/fixtures';

const bai2 = (name: string): string => shared(`bai2/${name}`);

describe('BAI2 fixtures', () => {
  it('sample1.txt: two CAD accounts, value-dated details, 88-continued summaries, control totals check', async () => {
    const file = await parseStatementFile(bai2('sample1.txt'));
    expect(file.format).toBe('bai2');
    expect(file.statements.map((s) => [s.statementId, s.accountId, s.currency, s.lines.length])).toEqual([
      ['10200123456/2006-03-17/1.1', '10200123456', 'CAD', 11],
      ['10200123456/2006-03-17/1.2', '10200123456', 'CAD', 6],
    ]);
    // Only opening/closing AVAILABLE balances (040/045) are reported: no ledger balance proof.
    expect(file.statements.every((s) => s.balance === undefined)).toBe(true);
    const [first, fourth] = [file.statements[0]!.lines[0]!, file.statements[0]!.lines[3]!];
    expect(first).toMatchObject({ amount: '-25.00', typeCode: '409', valueDate: '2006-03-16', bookingDate: '2006-03-17', remittanceInformation: 'RETURNED CHEQUE', status: 'BOOK' });
    expect(fourth).toMatchObject({ amount: '2035.00', typeCode: '108', remittanceInformation: 'TFR 1020 0345678' });
    expect(first.position).toEqual({ file: bai2('sample1.txt'), line: 5 });
    // 100 total credits 2085.00 (3 items), 400 total debits 2085.00 (8 items), per the 88 summary.
    const lines = file.statements[0]!.lines;
    const sum = (sign: number) => lines.filter((l) => Math.sign(Number(l.amount)) === sign).reduce((n, l) => n + Math.round(Number(l.amount) * 100), 0);
    expect([sum(1), sum(-1)]).toEqual([208500, -208500]);
    expect(file.statements[1]!.lines.map((l) => l.amount)).toEqual(['115.00', '1000.00', '-1000.00', '-90.00', '-20.00', '-5.00']);
  });

  it('sample2.txt: default currency USD, S/D funds types, 16 text in an 88, 03 summaries split over 88s', async () => {
    const file = await parseStatementFile(bai2('sample2.txt'));
    expect(file.statements.map((s) => [s.accountId, s.currency, s.lines.length])).toEqual([
      ['0123456789', 'USD', 1],
      ['9876543210', 'USD', 1],
      ['4589761203', 'USD', 2],
      ['0975312468', 'USD', 0],
      ['7890654321', 'USD', 0],
    ]);
    const lines = file.statements.flatMap((s) => s.lines);
    expect(lines[0]).toMatchObject({ amount: '4500.00', typeCode: '115', valueDate: null, bookingDate: '2004-06-20' });
    expect(lines[1]).toMatchObject({ amount: '5000.00', remittanceInformation: 'LOCK BOX NO.68751' });
    expect(lines[2]).toMatchObject({
      amount: '200000.00',
      typeCode: '218',
      valueDate: '2004-06-22',
      bankReference: 'SP4738',
      customerReference: 'YRC065321',
      remittanceInformation: 'PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO',
    });
    expect(lines[3]).toMatchObject({ amount: '100000.00', typeCode: '195' });
    // 010 opening ledger is there, but no 015 closing ledger: no balance proof.
    expect(file.statements.every((s) => s.balance === undefined)).toBe(true);
  });

  it('sample3.txt: several records per line, wrapped text, 15 accounts whose 010 + details = 015', async () => {
    const file = await parseStatementFile(bai2('sample3.txt'));
    expect(file.statements).toHaveLength(15);
    expect(file.statements.every((s) => s.balance?.ok === true)).toBe(true);
    expect(file.statements.map((s) => s.lines.length)).toEqual([6, 0, 0, 2, 0, 0, 0, 6, 4, 8, 0, 0, 0, 0, 0]);
    expect(file.statements[0]!.balance).toEqual({
      statementId: '1111111/2022-09-19/1.1',
      accountId: '1111111',
      currency: 'USD',
      opening: '-35.00',
      movements: '-1.00',
      closing: '-36.00',
      difference: '0.00',
      ok: true,
    });
    expect(file.statements[9]!.balance).toMatchObject({ opening: '-40.78', movements: '316.73', closing: '275.95', ok: true });
    const [a, b] = file.statements[0]!.lines;
    expect(a).toMatchObject({ amount: '25.00', typeCode: '142', remittanceInformation: 'TRANSFER   PAYPAL             PPD' });
    expect(b).toMatchObject({ amount: '5.00', remittanceInformation: 'TRANSFER   MSPBNA BANK        PPD' });
    expect(a!.position.line).toBe(b!.position.line); // two 16 records on one physical line
    // A 16 whose text wraps onto a bare line, then continues in an 88.
    expect(file.statements[7]!.lines[0]).toMatchObject({ amount: '25.00', remittanceInformation: '111111     ACH_SETL           1111111111 111111111111111 1111111111' });
    expect(file.statements[9]!.lines[0]).toMatchObject({
      amount: '138.55',
      typeCode: '195',
      remittanceInformation: 'Wire Transfer Credit          VISA INTERNATIONAL            900 METRO CENTER BLVD FOSTER CITY       CA 94404',
    });
  });

  it('sample-parseError.txt: rejected naming the file and line 1', async () => {
    const detected = await parseError(() => parseStatementFile(bai2('sample-parseError.txt')));
    expect(detected.position).toEqual({ file: bai2('sample-parseError.txt'), line: 1 });
    expect(detected.fault).toMatch(/^unknown statement format: the file starts with a digit, not with .* BAI2 \("01,"\)/);
    const forced = await parseError(() => parseStatementFile(bai2('sample-parseError.txt'), { format: 'bai2' }));
    expect(forced.position).toEqual({ file: bai2('sample-parseError.txt'), line: 1 });
    expect(forced.message).toBe(
      `${bai2('sample-parseError.txt')}:1: record code 00 is not a BAI2 record (01 file header, 02 group header, 03 account, 16 detail, 49 account trailer, 88 continuation, 98 group trailer or 99 file trailer); a BAI2 file starts with the 01 file header`,
    );
  });
});

describe('BAI2 integrity (synthetic)', () => {
  const tmp = tempDir('bai2');
  afterAll(() => tmp.cleanup());
  const file = (records: string[]): string => `${records.join('\n')}\n`;
  const good = [
    '01,SENDER,RECEIVER,240301,0800,1,,,2/',
    '02,RECEIVER,BANK,1,240229,2400,EUR,2/',
    '03,ACC1,,010,+100000,,,015,+95050,,/',
    '16,195,5050,0,REF1,CUST1,Incoming wire/',
    '16,475,10000,Z,CHK1,,Cheque 42/',
    '49,210100,4/',
    '98,210100,1,6/',
    '99,210100,1,8/',
  ];

  it('a well-formed file proves and carries the group currency', async () => {
    const parsed = await parseStatementFile(tmp.write('good.bai', file(good)));
    expect(parsed.statements[0]!.balance).toMatchObject({ currency: 'EUR', opening: '1000.00', movements: '-49.50', closing: '950.50', ok: true });
    expect(parsed.statements[0]!.lines.map((l) => [l.amount, l.bankReference, l.customerReference])).toEqual([
      ['50.50', 'REF1', 'CUST1'],
      ['-100.00', 'CHK1', undefined],
    ]);
  });

  it.each([
    ['between summaries (SVB)', '03,ACC1,,010,+100000,,,,,,,015,+95050,,/'],
    ['after the currency', '03,ACC1,EUR,,,,,010,+100000,,,015,+95050,,/'],
    ['several, and trailing', '03,ACC1,,,,,,010,+100000,,,,,,,015,+95050,,,,,,/'],
  ])('empty summary slots in an 03 record are skipped: %s', async (_what, account) => {
    const records = [...good];
    records[2] = account;
    const parsed = await parseStatementFile(tmp.write('slots.bai', file(records)));
    expect(parsed.statements[0]!.balance).toMatchObject({ opening: '1000.00', closing: '950.50', ok: true });
  });

  it('with empty slots skipped, the first real fault is the one reported (a wrong trailer count)', async () => {
    const records = [...good];
    records[2] = '03,ACC1,EUR,,,,,010,+100000,,,015,+95050,,/';
    records[7] = '99,210100,1,9/';
    const error = await parseError(() => parseStatementFile(tmp.write('slots-bad.bai', file(records))));
    expect(error.fault).toMatch(/99 record count 9 does not match the file: it has 8 records/);
  });

  it.each([
    // Totals and account numbers are field content: never in a message (PCI-3); counts are.
    ['03 slot without a type code', 2, '03,ACC1,,,+100000,,,015,+95050,,/', /^03 summary has an amount, item count or funds type but no type code$/],
    ['49 control total', 5, '49,210101,4/', /^49 control total does not match the account of line 3: not the sum of its amounts$/],
    ['49 record count', 5, '49,210100,5/', /49 record count 5 does not match the account of line 3: it has 4 records/],
    ['98 control total', 6, '98,210000,1,6/', /^98 control total does not match group 1 \(line 2\)/],
    ['98 account count', 6, '98,210100,2,6/', /98 account count 2 does not match group 1 \(line 2\): it has 1/],
    ['99 record count', 7, '99,210100,1,9/', /99 record count 9 does not match the file: it has 8 records/],
    ['16 signed amount', 3, '16,195,-5050,0,REF1,CUST1,Incoming wire/', /^16 amount is not an unsigned whole number/],
    ['16 unknown direction', 3, '16,750,5050,0,REF1,CUST1,Loan/', /type code 750 is outside the credit .* and debit .* ranges/],
    ['16 status code', 3, '16,015,5050,0,REF1,CUST1,x/', /type code 015 is a status \(balance\) code/],
    ['funds type', 3, '16,195,5050,X,REF1,CUST1,Incoming wire/', /^16: funds type is not one of/],
    ['currency', 2, '03,ACC1,XYZ,010,+100000,,,015,+95050,,/', /^03 currency code XYZ is not supported/],
    ['as-of date', 1, '02,RECEIVER,BANK,1,240230,2400,EUR,2/', /02 as-of date 2024-02-30 is not a calendar date/],
  ])('%s mismatch or error names the line', async (_what, index, replacement, fault) => {
    const records = [...good];
    records[index] = replacement;
    const error = await parseError(() => parseStatementFile(tmp.write('bad.bai', file(records))));
    expect(error.position.line).toBe(index + 1);
    expect(error.fault).toMatch(fault);
  });

  it('amounts use the currency exponent: JPY (0) and BHD (3)', async () => {
    const records = [
      '01,S,R,240301,0800,1,,,2/',
      '02,R,B,1,240229,,JPY,/',
      '03,JP1,,010,1000,,,015,1500,,/',
      '16,195,500,,,,/',
      '49,3000,3/',
      '03,BH1,BHD,010,1000,,,015,0,,/',
      '16,495,1000,,,,/',
      '49,2000,3/',
      '98,5000,2,8/',
      '99,5000,1,10/',
    ];
    const parsed = await parseStatementFile(tmp.write('ccy.bai', file(records)));
    expect(parsed.statements.map((s) => [s.currency, s.lines[0]!.amount, s.balance!.ok])).toEqual([
      ['JPY', '500', true],
      ['BHD', '-1.000', true],
    ]);
  });

  it('a truncated file (no 99 trailer) is an error, never a partial result', async () => {
    const text = readFileSync(bai2('sample3.txt'), 'utf8');
    const path = tmp.write('cut.bai', text.slice(0, Math.floor(text.length / 2)));
    const error = await parseError(() => parseStatementFile(path));
    expect(error.fault).toMatch(/does not end with a 99 file trailer \(truncated file\?\)/);
    // Past the tail check: the parser alone reports the missing trailer for any cut at a line end.
    const lines = text.split('\n');
    for (let n = 1; n < lines.length - 1; n++) {
      const parser = new Bai2Parser({ file: 'cut.bai', hashPrefix: 'x', format: 'bai2' }, { line: () => undefined, statement: () => undefined });
      expect(() => {
        parser.push(lines.slice(0, n).join('\n'));
        parser.end();
      }).toThrow(/without its 99 file trailer|does not match/);
    }
  });

  it('type code ranges', () => {
    expect([bai2Direction(10), bai2Direction(108), bai2Direction(399), bai2Direction(409), bai2Direction(699), bai2Direction(700), bai2Direction(930), bai2Direction(970), bai2Direction(905)]).toEqual(
      [0, 1, 1, -1, -1, undefined, 1, -1, 0],
    );
  });
});
