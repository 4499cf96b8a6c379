/** CSV through named column-mapping profiles, on our own small files in ./fixtures. */
import { readFileSync } from 'node:fs';
import { parseStatementFile } from '../../../src/recon/parsers';
import { CP1252_TABLE, createByteDecoder } from '../../../src/recon/parsers/decode';
import { CsvProfileError, validateCsvProfile, type CsvProfile } from '../../../src/recon/parsers/csv';
import { CSV_PROFILES, GENERIC_SIGNED, resolveCsvProfile } from '../../../src/recon/parsers/csv-profiles';
import { own, parseError, tempDir } from './support/fixtures';

describe('shipped CSV profiles', () => {
  it('are valid and resolvable by name', () => {
    expect(Object.keys(CSV_PROFILES)).toEqual(['generic-signed', 'generic-debit-credit', 'uk-bank-export', 'eu-bank-export', 'us-bank-export']);
    for (const [name, profile] of Object.entries(CSV_PROFILES)) {
      expect(() => validateCsvProfile(profile)).not.toThrow();
      expect(resolveCsvProfile(name)).toBe(profile);
    }
    expect(() => resolveCsvProfile('nope')).toThrow(/unknown CSV profile "nope"; known: generic-signed/);
  });

  it('reject contradictory custom profiles', () => {
    const bad = (patch: Partial<CsvProfile>) => () => validateCsvProfile({ ...GENERIC_SIGNED, ...patch });
    expect(bad({ delimiter: ';;' })).toThrow(CsvProfileError);
    expect(bad({ thousandsSeparator: '.', decimalSeparator: '.' })).toThrow(/thousands and decimal separators must differ/);
    expect(bad({ header: false })).toThrow(/named but the file has no header row/);
    expect(bad({ columns: { ...GENERIC_SIGNED.columns, account: undefined } })).toThrow(/needs an account column or a fixed account/);
  });
});

describe('CSV files', () => {
  it('generic-signed: quotes, escaped quotes, a multi-line field, blank line, several accounts and currencies', async () => {
    const path = own('generic-signed.csv');
    const file = await parseStatementFile(path, { profile: 'generic-signed' });
    expect(file.format).toBe('csv');
    expect(file.statements.map((s) => [s.statementId, s.lines.length, s.balance])).toEqual([
      ['GB29NWBK60161331926819/GBP', 3, undefined],
      ['GB29NWBK60161331926819/EUR', 1, undefined],
      ['DE89370400440532013000/JPY', 1, undefined],
    ]);
    const [rent, refund, fee] = file.statements[0]!.lines;
    expect(rent).toMatchObject({
      amount: '-1234.50',
      currency: 'GBP',
      bookingDate: '2024-03-01',
      valueDate: '2024-03-01',
      endToEndId: 'E2E-0001',
      bankReference: 'BR-0001',
      customerReference: 'INV-1001',
      remittanceInformation: 'Rent, March',
      counterparty: 'Acme Property Ltd',
      status: 'BOOK',
      statementLineId: `${file.contentHash.slice(0, 12)}:0:0`,
      position: { file: path, line: 2 },
    });
    expect(refund).toMatchObject({ amount: '250.00', valueDate: null, remittanceInformation: 'Refund "order 42"', counterparty: 'Shop & Co' });
    expect(refund!.customerReference).toBeUndefined();
    expect(fee).toMatchObject({ amount: '-10.00', position: { file: path, line: 8 } });
    expect(file.statements[1]!.lines[0]).toMatchObject({
      amount: '99.99',
      remittanceInformation: 'Two-line\ndescription',
      position: { file: path, line: 4 },
      statementLineId: `${file.contentHash.slice(0, 12)}:1:0`,
    });
    expect(file.statements[2]!.lines[0]).toMatchObject({ amount: '-5000', currency: 'JPY' });
  });

  it('generic-debit-credit: debit column out, credit column in (a sign in the debit column is ignored), CRLF', async () => {
    const file = await parseStatementFile(own('generic-debit-credit.csv'), { profile: 'generic-debit-credit' });
    expect(file.statements[0]!.lines.map((l) => [l.amount, l.bankReference, l.valueDate])).toEqual([
      ['-12.30', 'B1', '2024-04-01'],
      ['1000.00', 'B2', '2024-04-02'],
      ['-45.00', 'B3', '2024-04-02'],
    ]);
  });

  it('uk-bank-export: cp1252 bytes (£ 0xA3, é 0xE9, € 0x80, ’ 0x92), DD/MM/YYYY, thousands separators, fixed GBP', async () => {
    const bytes = readFileSync(own('uk-bank-export-cp1252.csv'));
    expect(bytes.includes(0xa3) && bytes.includes(0xe9) && bytes.includes(0x80)).toBe(true);
    const file = await parseStatementFile(own('uk-bank-export-cp1252.csv'), { profile: 'uk-bank-export' });
    expect(file.statements.map((s) => s.statementId)).toEqual(['GB33BUKB20201555555555/GBP']);
    expect(file.statements[0]!.lines.map((l) => [l.bookingDate, l.amount, l.remittanceInformation, l.typeCode, l.bankReference ?? null])).toEqual([
      ['2024-03-05', '-1234.56', 'Café Rouge £ lunch', 'DEB', 'R-1'],
      ['2024-03-06', '2000.00', 'Pay from Renée € transfer \u2019quoted\u2019', 'CR', 'R-2'],
      ['2024-03-07', '-15.00', 'Naïve Ltd, £ direct debit', 'DD', null],
    ]);
  });

  it('eu-bank-export: UTF-8 BOM removed, ";" delimiter, DD.MM.YYYY, decimal comma and "." thousands', async () => {
    expect(readFileSync(own('eu-bank-export-bom.csv')).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const file = await parseStatementFile(own('eu-bank-export-bom.csv'), { profile: 'eu-bank-export' });
    expect(file.statements.map((s) => [s.statementId, s.lines.length])).toEqual([
      ['DE89370400440532013000/EUR', 2],
      ['DE89370400440532013000/CHF', 1],
    ]);
    const [invoice, storno] = file.statements[0]!.lines;
    expect(invoice).toMatchObject({
      amount: '-1234.56',
      bookingDate: '2024-02-01',
      valueDate: '2024-02-02',
      counterparty: 'Müller GmbH',
      remittanceInformation: 'Rechnung 2024-17 Überweisung',
      endToEndId: 'E2E-DE-1',
      customerReference: 'KREF-1',
      bankReference: 'BANK-1',
    });
    expect(storno).toMatchObject({ amount: '12.50', counterparty: 'Straße & Söhne', remittanceInformation: 'Gutschrift; Storno' });
    const chf = file.statements[1]!.lines[0]!;
    expect(chf).toMatchObject({ amount: '1000000.00', currency: 'CHF', bookingDate: '2024-02-29', valueDate: '2024-03-01' });
    expect(chf.endToEndId).toBeUndefined(); // NOTPROVIDED
  });

  it('us-bank-export: MM/DD/YYYY, amount + DR/CR indicator', async () => {
    const file = await parseStatementFile(own('us-bank-export.csv'), { profile: 'us-bank-export' });
    expect(file.statements[0]!.lines.map((l) => [l.amount, l.bookingDate, l.valueDate, l.customerReference ?? null])).toEqual([
      ['12500.00', '2024-03-15', '2024-03-15', 'PO-77'],
      ['-250.75', '2024-03-15', '2024-03-18', null],
    ]);
  });

  it('a custom profile without a header row, by column index, tab-delimited, fixed account and currency', async () => {
    const tmp = tempDir('csv-custom');
    try {
      const path = tmp.write('tabs.txt', 'Export of 2024-05\n20240501\t-3,5\tCoffee\n20240502\t1.234,00\tRefund\n');
      const profile: CsvProfile = {
        name: 'tabs',
        delimiter: '\t',
        quote: '"',
        header: false,
        skipLines: 1,
        encoding: 'utf8',
        dateFormat: 'YYYYMMDD',
        decimalSeparator: ',',
        thousandsSeparator: '.',
        amount: { kind: 'signed', column: 1 },
        columns: { bookingDate: 0, description: 2 },
        account: 'ACC-FIXED',
        currency: 'EUR',
      };
      const file = await parseStatementFile(path, { profile });
      expect(file.statements[0]!.lines.map((l) => [l.accountId, l.amount, l.bookingDate, l.remittanceInformation, l.position.line])).toEqual([
        ['ACC-FIXED', '-3.50', '2024-05-01', 'Coffee', 2],
        ['ACC-FIXED', '1234.00', '2024-05-02', 'Refund', 3],
      ]);
    } finally {
      tmp.cleanup();
    }
  });

  it('CSV needs a profile: without one the file is an unknown format', async () => {
    const error = await parseError(() => parseStatementFile(own('generic-signed.csv')));
    expect(error.position).toEqual({ file: own('generic-signed.csv'), line: 1 });
    expect(error.fault).toMatch(/^unknown statement format: the file starts with a letter, not with camt/);
  });
});

describe('CSV errors name the file and line', () => {
  const tmp = tempDir('csv');
  afterAll(() => tmp.cleanup());
  const header = 'account,currency,booking_date,value_date,amount,end_to_end_id,bank_reference,customer_reference,description,counterparty';
  const row = (amount: string, date = '2024-03-01', currency = 'EUR') => `ACC,${currency},${date},,${amount},,,,,`;
  const parse = (name: string, text: string | Buffer, profile: CsvProfile | string = 'generic-signed') => parseStatementFile(tmp.write(name, text), { profile });

  it.each([
    // Faults name the field, never its value (PCI-3).
    ['wrong precision for EUR', [row('1.00'), row('12.345')], 3, 'amount has 3 decimal places but EUR allows 2'],
    ['wrong precision for JPY', [row('1', '2024-03-01', 'JPY'), row('1.5', '2024-03-01', 'JPY')], 3, 'amount has 1 decimal places but JPY allows 0'],
    ['bad date', [row('1.00', '2024-13-01')], 2, 'booking date 2024-13-01 is not a calendar date'],
    ['date in another format', [row('1.00', '01/03/2024')], 2, 'booking date is not a YYYY-MM-DD date'],
    ['not an amount', [row('"1,00"')], 2, 'amount is not an amount in the profile\'s format (decimal ".")'],
    ['unknown currency', [row('1.00', '2024-03-01', 'ABC')], 2, 'currency ABC is not supported (no ISO 4217 minor-unit exponent known)'],
    ['short line', ['ACC,EUR,2024-03-01'], 2, 'the line has 3 fields but the header (line 1) has 10'],
    ['stray quote', ['ACC,EUR,2024-03-01,,1.00,,,,ab"c,'], 2, 'a quote inside unquoted field 9: quote the whole field'],
  ])('%s', async (_what, rows, line, fault) => {
    const error = await parseError(() => parse('bad.csv', [header, ...rows].join('\n')));
    expect(error.position.line).toBe(line);
    expect(error.fault).toBe(fault);
    expect(error.message).toContain(`bad.csv:${line}: `);
  });

  it('a missing header column names the header line', async () => {
    const error = await parseError(() => parse('hdr.csv', 'account,currency,date,amount\nACC,EUR,2024-03-01,1.00\n'));
    expect(error.position.line).toBe(1);
    expect(error.fault).toMatch(/^the header has no column "booking_date" \(profile generic-signed\)/);
  });

  it('a file cut inside a quoted field is truncated', async () => {
    const error = await parseError(() => parse('cut.csv', `${header}\n${row('1.00')}\nACC,EUR,2024-03-02,,2.00,,,,"half a descr`));
    expect(error.position.line).toBe(3);
    expect(error.fault).toBe('the file ends inside a quoted field (truncated file? an unterminated quote?)');
  });

  it('debit and credit both filled in is ambiguous', async () => {
    const h = 'account,currency,booking_date,value_date,debit,credit,end_to_end_id,bank_reference,customer_reference,description,counterparty';
    const error = await parseError(() => parse('dc.csv', `${h}\nA,EUR,2024-01-01,,1.00,2.00,,,,,\n`, 'generic-debit-credit'));
    expect(error.fault).toBe('both the debit and the credit amount are filled in');
  });

  it('a UTF-8 BOM in a file the profile says is cp1252 is refused', async () => {
    const error = await parseError(() => parse('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Date\n')]), 'uk-bank-export'));
    expect(error.position.line).toBe(1);
    expect(error.fault).toContain('UTF-8 byte order mark but the CSV profile says windows-1252');
  });

  it('bytes that are neither UTF-8 nor unambiguous Windows-1252 are refused naming the line (REC-IN-7)', async () => {
    const error = await parseError(() => parse('latin.csv', Buffer.concat([Buffer.from(`${header}\nACC,EUR,2024-03-01,,1.00,,,,Caf`), Buffer.from([0xe9, 0x81]), Buffer.from(',\n')])));
    expect(error.position.line).toBe(2);
    expect(error.fault).toMatch(/not valid UTF-8, and byte 0x81 at byte offset \d+ is undefined in Windows-1252.*--encoding/);
  });
});

describe('cp1252 table', () => {
  // Node 20's TextDecoder('windows-1252') decodes 0x80-0x9F as ISO 8859-1 (C1 controls), so the
  // table is checked against the Windows-1252 code page itself.
  it('maps 0x80-0x9F to the Windows-1252 characters and everything else as ISO 8859-1', () => {
    const high = CP1252_TABLE.slice(0x80, 0xa0).map((c) => c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0'));
    expect(high).toEqual([
      '20AC',
      '0081',
      '201A',
      '0192',
      '201E',
      '2026',
      '2020',
      '2021',
      '02C6',
      '2030',
      '0160',
      '2039',
      '0152',
      '008D',
      '017D',
      '008F',
      '0090',
      '2018',
      '2019',
      '201C',
      '201D',
      '2022',
      '2013',
      '2014',
      '02DC',
      '2122',
      '0161',
      '203A',
      '0153',
      '009D',
      '017E',
      '0178',
    ]);
    for (let byte = 0; byte < 256; byte++) {
      if (byte < 0x80 || byte >= 0xa0) expect(CP1252_TABLE[byte]).toBe(String.fromCharCode(byte));
    }
    expect(CP1252_TABLE[0xa3]).toBe('£');
    expect(CP1252_TABLE[0xe9]).toBe('é');
    const undefinedBytes = [0x81, 0x8d, 0x8f, 0x90, 0x9d];
    const defined = Array.from({ length: 256 }, (_, i) => i).filter((b) => !undefinedBytes.includes(b));
    expect(createByteDecoder('x', 'windows-1252').decode(Buffer.from(defined))).toBe(defined.map((b) => CP1252_TABLE[b]).join(''));
    for (const byte of undefinedBytes) expect(() => createByteDecoder('x', 'windows-1252').decode(Buffer.from([0x41, byte]))).toThrow(/undefined in windows-1252/);
  });
});
