/**
 * camt.052 / camt.053 / camt.054 on every real file in ../shared/fixtures/camt, plus synthetic
 * documents for what the samples do not cover (prefixes, CDATA, truncation, balance selection).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseStatementFile, streamStatementLines } from '../../../src/recon/parsers';
import { CamtParser } from '../../../src/recon/parsers/camt';
import type { StatementSummary } from '../../../src/recon/parsers/common';
import type { StatementLine } from '../../../src/recon/types';
import { parseError, shared, tempDir } from './support/fixtures';

const camt = (name: string): string => shared(`camt/${name}`);

type Expect = {
  format: string;
  statements: { id: string; account: string; currency: string; balance?: Record<string, unknown> }[];
  lines: Partial<StatementLine>[];
};

const CH = 'CH2801234000123456789';
const NL = 'NL26VAYB8060476890';
const batch052 = {
  amount: '-200000.00',
  currency: 'SEK',
  bookingDate: '2007-10-18',
  valueDate: '2007-10-18',
  bankReference: 'AAAASESS-FP-ACCR-01',
  customerReference: 'FINP-0055-001',
  remittanceInformation: 'Credit',
  typeCode: 'PAYM/0001/0003',
  status: 'BOOK',
  batchItemCount: 20,
};
const entry053 = { amount: '8.85', currency: 'EUR', bookingDate: '2014-12-31', valueDate: '2015-01-02', typeCode: '544', status: 'BOOK' };
const sekInEur = { opening: '18.15', movements: '8.85', closing: '-27.00', ok: false, fault: 'CLBD balance (Document/BkToCstmrStmt/Stmt[1]/Bal[2]) is in SEK, the statement in EUR' };

/** What each accepted fixture must give. */
const ACCEPTED: Record<string, Expect> = {
  'camt052.v1.xml': { format: 'camt.052', statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }], lines: [batch052] },
  'camt052.v2.xml': { format: 'camt.052', statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }], lines: [{ ...batch052, counterparty: 'Company Name' }] },
  'camt052.v2.other-account.xml': { format: 'camt.052', statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }], lines: [{ ...batch052, counterparty: 'Company Name' }] },
  'camt052.v2.with-account-name.xml': {
    format: 'camt.052',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    lines: [{ amount: '-200000.00', bookingDate: null, valueDate: null, counterparty: 'Company Name', status: 'BOOK' }],
  },
  'camt052.v4.xml': {
    format: 'camt.052',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    lines: [
      {
        amount: '-200000.00',
        status: 'PDNG',
        endToEndId: 'UXC06140000015PI00001EE00001',
        customerReference: 'UXC06140000015PI00001II00001',
        bankReference: 'ACSR160614165200001',
        remittanceInformation: 'Example Remittance - 4 - V1',
        counterparty: 'UNIFITS GmbH',
        typeCode: 'PMNT/RCDT/DMCT',
      },
    ],
  },
  'camt052.v6.xml': {
    format: 'camt.052',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    lines: [{ amount: '-200000.00', status: 'PDNG', endToEndId: 'UXC06140000015PI00001EE00001', remittanceInformation: 'Example Remittance - 6 - V1', typeCode: 'PMNT/RCDT/DMCT' }],
  },
  'camt052.v6.Amt-zero.xml': {
    format: 'camt.052',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    lines: [{ amount: '-200000.00', status: 'PDNG', bankReference: 'ACSR160614165200001', remittanceInformation: 'Example Remittance - 6 - V1' }],
  },
  'camt052.v8.xml': {
    format: 'camt.052',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    lines: [{ ...batch052, typeCode: 'PMNT/ICDT/XBCT' }],
  },
  'camt053.v2.minimal.xml': {
    format: 'camt.053',
    statements: [{ id: '253EURNL26VAYB8060476890', account: NL, currency: 'EUR', balance: sekInEur }],
    lines: [{ ...entry053, remittanceInformation: '4654654654654654', counterparty: 'NAME NAME' }],
  },
  'camt053.v2.minimal.ultimate.xml': {
    format: 'camt.053',
    statements: [{ id: '253EURNL26VAYB8060476890', account: NL, currency: 'EUR', balance: sekInEur }],
    lines: [{ ...entry053, remittanceInformation: '4654654654654654', counterparty: 'DEBTOR NAME NM' }],
  },
  'camt053.v2.with-party-ids.xml': {
    format: 'camt.053',
    statements: [{ id: '253EURNL26VAYB8060476890', account: NL, currency: 'EUR', balance: sekInEur }],
    lines: [{ ...entry053, counterparty: 'NAME NAME' }],
  },
  'camt053.v2.with-account-name.xml': {
    format: 'camt.053',
    statements: [{ id: '253EURCH2801234000123456789', account: CH, currency: 'EUR' }],
    lines: [{ amount: '8.85', currency: 'EUR', bookingDate: '2014-12-31', valueDate: null, typeCode: '544' }],
  },
  'camt053.v2.multi.statement.xml': {
    format: 'camt.053',
    statements: [
      { id: '253EURNL26VAYB8060476890', account: NL, currency: 'EUR', balance: { opening: '18.15', movements: '8.85', closing: '27.00', difference: '0.00', ok: true } },
      { id: '254EURNL26VAYB8060476890', account: NL, currency: 'EUR', balance: { opening: '27.00', movements: '-7.00', closing: '20.00', difference: '0.00', ok: true } },
    ],
    lines: [
      { ...entry053, endToEndId: '000000001', remittanceInformation: 'Transaction Description 1' },
      { amount: '-7.00', endToEndId: '000000002', remittanceInformation: 'Transaction Description 2', counterparty: 'Company Name 2' },
    ],
  },
  'camt053.v3.xml': {
    format: 'camt.053',
    statements: [{ id: '253EURNL26VAYB8060476890', account: NL, currency: 'EUR', balance: sekInEur }],
    lines: [{ ...entry053, bankReference: 'XXXXXXXXXXXXXXXXXXXXXXEUR', typeCode: 'PMNT/RCDT/DMCT', counterparty: 'NAME NAME' }],
  },
  'camt053.v4.xml': {
    format: 'camt.053',
    statements: [{ id: '253EURNL26VAYB8060476890', account: NL, currency: 'EUR', balance: sekInEur }],
    lines: [{ ...entry053, bankReference: 'AAAASESS-FP-CN_98765/01', typeCode: 'PAYM/0001/0005' }],
  },
  'camt053.v8.xml': {
    format: 'camt.053',
    statements: [{ id: '253EURNL26VAYB8060476890', account: NL, currency: 'EUR', balance: sekInEur }],
    lines: [
      { ...entry053, endToEndId: 'MUELL/FINP/RA12345', bankReference: 'AAAASESS-FP-CN_98765/01', typeCode: 'PMNT/RCDT/BOOK', counterparty: 'NAME NAME', remittanceInformation: '4654654654654654' },
    ],
  },
  'camt054.v2.xml': {
    format: 'camt.054',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    // Three TxDtls and no Btch: a batch of 3; per-item references stay on the items.
    lines: [{ amount: '-200000.00', bookingDate: '2007-10-18', bankReference: 'AAAASESS-FP-ACCR001', typeCode: 'PMNT/ICDT/DMCT', batchItemCount: 3, endToEndId: undefined }],
  },
  'camt054.v2.with-account-name.xml': { format: 'camt.054', statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }], lines: [{ amount: '-200000.00', typeCode: 'PMNT/ICDT/DMCT' }] },
  'camt054.v4.xml': {
    format: 'camt.054',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    lines: [{ amount: '-200000.00', bankReference: 'ACSR160617103200001', customerReference: 'UXC06170000006PI00001', batchItemCount: 2, remittanceInformation: 'Order' }],
  },
  'camt054.v8.xml': {
    format: 'camt.054',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    // Btch/NbOfTxs (2) is what the bank says the batch holds, even though the sample lists 3 TxDtls.
    lines: [{ amount: '-200000.00', bankReference: 'ACSR160617103200001', customerReference: 'UXC06170000006PI00001', batchItemCount: 2, typeCode: 'PMNT/ICDT/DMCT', status: 'BOOK' }],
  },
  'camt054.v8-with-UETR.xml': { format: 'camt.054', statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }], lines: [{ amount: '-200000.00', status: 'BOOK', typeCode: undefined }] },
  'camt054.v8-with-financial-institution.xml': {
    format: 'camt.054',
    statements: [{ id: 'AAAASESS-FP-ACCR001', account: CH, currency: 'SEK' }],
    // A debit: the counterparty is the creditor, here only an agent (FinInstnId/Nm).
    lines: [{ amount: '-200000.00', bankReference: 'ACSR160617103200001', counterparty: 'Example Creditor 3 - V1' }],
  },
};

/** Rejected by default, with the element that is wrong. */
const REJECTED: Record<string, { element: string; fault: RegExp }> = {
  'camt053.v2.wrong.xml': { element: 'Document/BkToCstmrStmt', fault: /contains no <Stmt>/ },
  'camt053.v2.five.decimals.xml': { element: 'Document/BkToCstmrStmt/Stmt[1]/Bal[1]/Amt', fault: /^amount has 3 decimal places but EUR allows 2$/ },
  'camt053.v2.all-balance-types.xml': { element: 'Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt', fault: /^amount has 3 decimal places but EUR allows 2$/ },
  'camt53.only-Dt-with-DtTm.xml': { element: 'Document/BkToCstmrStmt/Stmt[1]/Bal[1]/Amt', fault: /^amount has 5 decimal places but RON allows 2$/ },
};

describe('camt fixtures', () => {
  it('every .xml in the folder is either accepted or rejected here', () => {
    const files = readdirSync(shared('camt')).filter((f) => f.endsWith('.xml'));
    expect([...Object.keys(ACCEPTED), ...Object.keys(REJECTED)].sort()).toEqual(files.sort());
  });

  it.each(Object.entries(ACCEPTED))('%s', async (name, expected) => {
    const file = await parseStatementFile(camt(name));
    expect(file.format).toBe(expected.format);
    expect(file.statements).toHaveLength(expected.statements.length);
    file.statements.forEach((s, i) => {
      const e = expected.statements[i]!;
      expect([s.statementId, s.accountId, s.currency]).toEqual([e.id, e.account, e.currency]);
      if (e.balance) expect(s.balance).toMatchObject(e.balance);
      else expect(s.balance).toBeUndefined();
    });
    const lines = file.statements.flatMap((s) => s.lines);
    expect(lines).toHaveLength(expected.lines.length);
    lines.forEach((line, i) => {
      const e = expected.lines[i]!;
      for (const [key, value] of Object.entries(e)) expect([key, line[key as keyof StatementLine]]).toEqual([key, value]);
      expect(line.format).toBe(expected.format);
      expect(line.statementLineId).toBe(
        `${file.contentHash.slice(0, 12)}:${file.statements.findIndex((s) => s.lines.includes(line))}:${file.statements.find((s) => s.lines.includes(line))!.lines.indexOf(line)}`,
      );
      expect(line.position.file).toBe(camt(name));
      expect(line.position.element).toMatch(/^Document\/BkToCstmr\w+\/(Stmt|Rpt|Ntfctn)\[\d+\]\/Ntry\[1\]$/);
    });
  });

  it.each(Object.entries(REJECTED))('%s is rejected, naming the file and element', async (name, expected) => {
    const error = await parseError(() => parseStatementFile(camt(name)));
    expect(error.position.file).toBe(camt(name));
    expect(error.position.element).toBe(expected.element);
    expect(error.position.line).toBeGreaterThan(0);
    expect(error.fault).toMatch(expected.fault);
    expect(error.message).toContain(`${name}:${error.position.line} (${expected.element})`);
  });

  it('with allowTrailingZeroDecimals, the zero-padded samples parse (xs:decimal value semantics)', async () => {
    const five = await parseStatementFile(camt('camt053.v2.five.decimals.xml'), { allowTrailingZeroDecimals: true });
    expect(five.statements[0]!.lines[0]).toMatchObject({ amount: '8.85', endToEndId: '000000001' });
    // 18.150 + 8.850 = 27.000, but the CLBD is 27.050: the sample itself does not prove.
    expect(five.statements[0]!.balance).toMatchObject({ opening: '18.15', movements: '8.85', closing: '27.05', difference: '0.05', ok: false });

    // All balance types: OPBD (1.01) is the opening, not PRCD (2.02); CLBD (4.04) the closing.
    const all = await parseStatementFile(camt('camt053.v2.all-balance-types.xml'), { allowTrailingZeroDecimals: true });
    expect(all.statements[0]!.balance).toMatchObject({ opening: '1.01', movements: '8.85', closing: '4.04', difference: '-5.82', ok: false });

    const ron = await parseStatementFile(camt('camt53.only-Dt-with-DtTm.xml'), { allowTrailingZeroDecimals: true });
    expect(ron.statements).toEqual([{ statementId: 'I38y0h4YyLnQiOV6P7nEd44r2', accountId: 'GB33BUKB20201555555555', currency: 'RON', lines: [] }]);
  });
});

describe('camt synthetic documents', () => {
  const tmp = tempDir('camt');
  afterAll(() => tmp.cleanup());

  const entry = (amount: string, indicator: 'CRDT' | 'DBIT', status: string, extra = ''): string =>
    `<Ntry><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>${indicator}</CdtDbtInd><Sts><Cd>${status}</Cd></Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt><ValDt><DtTm>2024-03-02T23:30:00-05:00</DtTm></ValDt>${extra}</Ntry>`;
  const balance = (code: string, amount: string, indicator = 'CRDT'): string =>
    `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>${indicator}</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>`;
  const doc = (body: string, version = '001.08', prefix = ''): string => {
    const p = prefix ? `${prefix}:` : '';
    return `<?xml version="1.0" encoding="UTF-8"?>\n<${p}Document xmlns${prefix ? `:${prefix}` : ''}="urn:iso:std:iso:20022:tech:xsd:camt.053.${version}">\n<${p}BkToCstmrStmt><${p}GrpHdr><${p}MsgId>M1</${p}MsgId></${p}GrpHdr>\n<${p}Stmt><${p}Id>S1</${p}Id><${p}Acct><${p}Id><${p}IBAN>DE89370400440532013000</${p}IBAN></${p}Id><${p}Ccy>EUR</${p}Ccy></${p}Acct>\n${body}\n</${p}Stmt></${p}BkToCstmrStmt></${p}Document>\n`;
  };

  it('PRCD opens when there is no OPBD; PDNG/INFO entries do not move the booked balance', async () => {
    const body = [
      balance('PRCD', '100.00'),
      balance('CLBD', '70.00'),
      entry('50.00', 'DBIT', 'BOOK'),
      entry('20.00', 'CRDT', 'BOOK'),
      entry('999.99', 'CRDT', 'PDNG'),
      entry('1.00', 'DBIT', 'INFO'),
    ].join('\n');
    const file = await parseStatementFile(tmp.write('prcd.xml', doc(body)));
    expect(file.statements[0]!.balance).toEqual({
      statementId: 'S1',
      accountId: 'DE89370400440532013000',
      currency: 'EUR',
      opening: '100.00',
      movements: '-30.00',
      closing: '70.00',
      difference: '0.00',
      ok: true,
    });
    expect(file.statements[0]!.lines.map((l) => [l.amount, l.status, l.valueDate])).toEqual([
      ['-50.00', 'BOOK', '2024-03-02'],
      ['20.00', 'BOOK', '2024-03-02'],
      ['999.99', 'PDNG', '2024-03-02'],
      ['-1.00', 'INFO', '2024-03-02'],
    ]);
  });

  it('a namespace prefix, entities, character references, CDATA, comments and PIs', async () => {
    const rmt =
      '<NtryDtls><TxDtls><Refs><EndToEndId>E2E&amp;1</EndToEndId><InstrId>I-&#x41;&#66;</InstrId></Refs><RltdPties><Dbtr><Pty><Nm>M&#252;ller &lt;GmbH&gt;</Nm></Pty></Dbtr></RltdPties><RmtInf><Ustrd><![CDATA[Invoice <42> & "co"]]></Ustrd><Strd><RfrdDocInf><Nb>INV-42</Nb></RfrdDocInf><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls>';
    const body = `<!-- a comment with <Ntry> inside --><?bank hint="x"?>${entry('12.34', 'CRDT', 'BOOK', rmt)}`;
    const file = await parseStatementFile(tmp.write('prefix.xml', doc(body, '001.02', 'ns2')));
    expect(file.format).toBe('camt.053');
    expect(file.statements[0]!.lines[0]).toMatchObject({
      amount: '12.34',
      endToEndId: 'E2E&1',
      customerReference: 'I-AB',
      counterparty: 'Müller <GmbH>',
      // REC-PAN-1: the creditor reference's 14 digits pass Luhn but start outside every card issuer
      // range and are not grouped like a card: a reference, kept.
      remittanceInformation: 'Invoice <42> & "co" INV-42 RF18539007547034',
    });
  });

  it('malformed XML names the line and the open elements', async () => {
    const error = await parseError(() => parseStatementFile(tmp.write('bad.xml', doc(`${entry('1.00', 'CRDT', 'BOOK').replace('</CdtDbtInd>', '</CdtDbtInt>')}`))));
    expect(error.position.line).toBe(5);
    expect(error.position.element).toContain('Document/BkToCstmrStmt/Stmt/Ntry/CdtDbtInd');
    expect(error.fault).toContain('malformed XML: </CdtDbtInt> does not close <CdtDbtInd>');
  });

  it('DOCTYPE (entity expansion) and undeclared entities are refused', async () => {
    const doctype = doc(entry('1.00', 'CRDT', 'BOOK')).replace('<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x "y">]>\n');
    expect((await parseError(() => parseStatementFile(tmp.write('doctype.xml', doctype)))).fault).toContain('DOCTYPE declarations are not allowed');
    const entity = doc(entry('1.00', 'CRDT', 'BOOK', '<AddtlNtryInf>&nbsp;</AddtlNtryInf>'));
    expect((await parseError(() => parseStatementFile(tmp.write('entity.xml', entity)))).fault).toContain('unknown entity reference');
  });

  it('wrong precision names the element: 3 decimals for EUR, decimals for JPY', async () => {
    const eur = await parseError(() => parseStatementFile(tmp.write('eur.xml', doc(entry('8.855', 'CRDT', 'BOOK'))), { allowTrailingZeroDecimals: true }));
    expect(eur.position.element).toBe('Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt');
    expect(eur.fault).toBe('amount has 3 decimal places but EUR allows 2');
    const jpy = await parseError(() => parseStatementFile(tmp.write('jpy.xml', doc(entry('100', 'CRDT', 'BOOK').replace('Ccy="EUR">100', 'Ccy="JPY">100.5')))));
    expect(jpy.fault).toBe('amount has 1 decimal places but JPY allows 0');
  });

  it('missing CdtDbtInd, a signed amount, an unknown currency and a bad date are errors naming the element', async () => {
    const cases: [string, string, RegExp][] = [
      [entry('1.00', 'CRDT', 'BOOK').replace('<CdtDbtInd>CRDT</CdtDbtInd>', ''), 'Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/CdtDbtInd', /missing CdtDbtInd/],
      [entry('-1.00', 'CRDT', 'BOOK'), 'Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt', /must be unsigned/],
      [entry('1.00', 'CRDT', 'BOOK').replace('Ccy="EUR"', 'Ccy="XXQ"'), 'Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt', /currency XXQ is not supported/],
      [entry('1.00', 'CRDT', 'BOOK').replace('2024-03-01', '2024-02-30'), 'Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/BookgDt/Dt', /2024-02-30 is not a calendar date/],
    ];
    for (const [body, element, fault] of cases) {
      const error = await parseError(() => parseStatementFile(tmp.write('case.xml', doc(body))));
      expect([error.position.element, error.fault]).toEqual([element, expect.stringMatching(fault)]);
    }
  });

  it('a document of another camt type, or not camt at all, is refused', async () => {
    const pain = doc(entry('1.00', 'CRDT', 'BOOK')).replace('camt.053.001.08', 'pain.001.001.09');
    expect((await parseError(() => parseStatementFile(tmp.write('pain.xml', pain), { format: 'camt.053' }))).fault).toBe(
      'the Document namespace is not that of a camt.052, camt.053 or camt.054 message',
    );
    const mismatch = await parseError(() => parseStatementFile(tmp.write('x.xml', doc(entry('1.00', 'CRDT', 'BOOK'))), { format: 'camt.054' }));
    expect(mismatch.position.element).toBe('Document');
    expect(mismatch.fault).toBe('the Document is camt.053.001.08, not camt.054');
  });

  it('truncated files: the tail check fails before any line, and the tokenizer catches any cut', async () => {
    const text = readFileSync(camt('camt053.v2.multi.statement.xml'), 'utf8');
    for (const cut of [0.25, 0.5, 0.9]) {
      const path = tmp.write(`cut-${cut}.xml`, text.slice(0, Math.floor(text.length * cut)));
      const error = await parseError(() => parseStatementFile(path));
      expect(error.position.file).toBe(path);
      expect(error.fault).toMatch(/does not end with <\/Document> \(truncated file\?\)/);
      const stream = streamStatementLines(path);
      await expect(stream.next()).rejects.toThrow(/truncated/);
    }
    // Past the tail check (the parser alone): every cut point is an error, never a partial result.
    const step = Math.max(1, Math.floor(text.length / 97));
    for (let at = 1; at < text.length - 12; at += step) {
      const summaries: StatementSummary[] = [];
      const parser = new CamtParser({ file: 'cut.xml', hashPrefix: 'x', format: 'camt.053' }, { line: () => undefined, statement: (s) => summaries.push(s) });
      expect(() => {
        parser.push(text.slice(0, at));
        parser.end();
      }).toThrow(/truncated file|no root element/);
    }
  });

  it('streaming in tiny chunks (multi-byte characters split across chunks) gives the same result', async () => {
    const body = [balance('OPBD', '0.00'), balance('CLBD', '1.50'), entry('1.50', 'CRDT', 'BOOK', '<AddtlNtryInf>Zürich € ünïcödé 💶 &amp; more</AddtlNtryInf>')].join('');
    const path = tmp.write('utf8.xml', doc(body));
    const whole = await parseStatementFile(path);
    expect(whole.statements[0]!.lines[0]!.remittanceInformation).toBe('Zürich € ünïcödé 💶 & more');
    for (const chunkSize of [1, 2, 3, 5, 7, 64]) {
      const summaries: StatementSummary[] = [];
      const lines: StatementLine[] = [];
      const stream = streamStatementLines(path, { chunkSize, onStatement: (s) => summaries.push(s) });
      let result = await stream.next();
      while (!result.done) {
        lines.push(result.value);
        result = await stream.next();
      }
      expect(lines).toEqual(whole.statements[0]!.lines);
      expect(result.value.statements).toEqual(summaries);
      expect(summaries[0]!.balance).toEqual(whole.statements[0]!.balance);
    }
  });
});
