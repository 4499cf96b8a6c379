/**
 * REC-IN-1: every documented field bound, at its limit (the file parses) and one past it (the
 * file is refused with a StatementParseError naming the file, the line and the field, and quoting
 * nothing of the field). The bounds come from src/recon/parsers/limits.ts, the one table the
 * readers enforce and docs/reconciliation.md lists, so a bound changed there is tested here.
 */
import { parseStatementFile, type CsvProfile } from '../../../src/recon/parsers';
import {
  BAI2_LIMITS,
  CAMT_NODES_PER_CHILD,
  CAMT_TEXT,
  CAMT_TEXT_DEFAULT,
  CSV_FIELDS,
  CSV_LIMITS,
  LINE_FIELDS,
  MT940_FIELD_DEFAULT,
  MT940_FIELDS,
  MT940_LINE,
  MT940_SUBFIELDS,
  XML_LIMITS,
  XML_WHITESPACE_SLACK,
} from '../../../src/recon/parsers/limits';
import { asBadInput, BadInputError } from '../../../src/recon/run/errors';
import type { ParsedStatementFile } from '../../../src/recon/types';
import { parseError, tempDir } from './support/fixtures';
import { bai2, BAI2_DEFAULTS, camt, camtDetails, camtEntry, csv, csvProfile, lineOf, mt940, MT940_DEFAULTS, mt942, MT942_DEFAULTS, swiftAmount } from './support/statements';

interface Made {
  text: string;
  /** The line the refusal must name. */
  line: number;
  profile?: CsvProfile;
}

interface Bound {
  name: string;
  limit: number;
  make: (length: number) => Made;
  fault: RegExp;
  /** The element path the refusal must name (camt). */
  element?: string | RegExp;
  /** A check on the parse at the limit (the value made it through). */
  accepted?: (file: ParsedStatementFile) => void;
}

const tmp = tempDir('limits');
afterAll(() => tmp.cleanup());
let files = 0;

async function checkBound(bound: Bound, ext: string): Promise<void> {
  const atLimit = bound.make(bound.limit);
  const okPath = tmp.write(`ok-${files++}.${ext}`, atLimit.text);
  const parsed = await parseStatementFile(okPath, atLimit.profile ? { profile: atLimit.profile } : {});
  bound.accepted?.(parsed);

  const over = bound.make(bound.limit + 1);
  const badPath = tmp.write(`bad-${files++}.${ext}`, over.text);
  const error = await parseError(() => parseStatementFile(badPath, over.profile ? { profile: over.profile } : {}));
  expect(error.position.file).toBe(badPath);
  expect(error.position.line).toBe(over.line);
  if (bound.element !== undefined) expect(error.position.element).toMatch(bound.element);
  expect(error.fault).toMatch(bound.fault);
  // The refusal quotes nothing of the field (PCI-3): no run of the filler survives into the message.
  expect(error.message).not.toMatch(/(.)\1{15}/);
  // And it becomes bad input naming the file and the line.
  const bad = asBadInput(error, badPath);
  expect(bad).toBeInstanceOf(BadInputError);
  expect((bad as BadInputError).message).toContain(`line ${over.line}`);
}

/** `length` characters of text in parts of at most `part`, joined by single spaces. */
function spaced(length: number, part: number, char = 'T'): string[] {
  const parts: string[] = [];
  let left = length;
  while (left > 0) {
    if (parts.length > 0) left -= 1;
    const size = Math.min(part, Math.max(left, 1));
    parts.push(char.repeat(size));
    left -= size;
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------

describe('MT940 / MT942 bounds', () => {
  const field = (tag: string) => new RegExp(`^field :${tag}: is longer than ${MT940_FIELDS[tag]} characters$`);
  const balance = (length: number) => `C240101EUR${swiftAmount(length - 10)}`;
  const at = (text: string, prefix: string): Made => ({ text, line: lineOf(text, prefix) });

  const bounds: Bound[] = [
    {
      name: ':20:',
      limit: MT940_FIELDS['20']!,
      make: (n) => at(mt940({ ref: 'R'.repeat(n) }), ':20:'),
      fault: field('20'),
      accepted: (f) => expect(f.statements[0]!.statementId).toBe(`${'R'.repeat(16)}:1/1`),
    },
    { name: ':21:', limit: MT940_FIELDS['21']!, make: (n) => at(mt940({ related: 'X'.repeat(n) }), ':21:'), fault: field('21') },
    {
      name: ':25:',
      limit: MT940_FIELDS['25']!,
      make: (n) => at(mt940({ account: 'A'.repeat(n) }), ':25:'),
      fault: field('25'),
      accepted: (f) => expect(f.statements[0]!.accountId).toBe('A'.repeat(35)),
    },
    {
      name: ':25P:',
      limit: MT940_FIELDS['25P']!,
      make: (n) => at(mt940({ account: `${'A'.repeat(n - 11)}\nDEUTDEFF500` }).replace(':25:', ':25P:'), ':25P:'),
      fault: field('25P'),
    },
    { name: ':28C:', limit: MT940_FIELDS['28C']!, make: (n) => at(mt940({ number: `${'1'.repeat(n - 6)}/12345` }), ':28C:'), fault: field('28C') },
    { name: ':28:', limit: MT940_FIELDS['28']!, make: (n) => at(mt940({ number: '1'.repeat(n) }).replace(':28C:', ':28:'), ':28:'), fault: field('28') },
    { name: ':60F:', limit: MT940_FIELDS['60F']!, make: (n) => at(mt940({ opening: balance(n) }), ':60F:'), fault: field('60F') },
    { name: ':60M:', limit: MT940_FIELDS['60M']!, make: (n) => at(mt940({ opening: balance(n) }).replace(':60F:', ':60M:'), ':60M:'), fault: field('60M') },
    { name: ':62F:', limit: MT940_FIELDS['62F']!, make: (n) => at(mt940({ closing: balance(n) }), ':62F:'), fault: field('62F') },
    { name: ':62M:', limit: MT940_FIELDS['62M']!, make: (n) => at(mt940({ closing: balance(n) }).replace(':62F:', ':62M:'), ':62M:'), fault: field('62M') },
    { name: ':64:', limit: MT940_FIELDS['64']!, make: (n) => at(mt940({ available: balance(n) }), ':64:'), fault: field('64') },
    { name: ':65:', limit: MT940_FIELDS['65']!, make: (n) => at(mt940({ forward: balance(n) }), ':65:'), fault: field('65') },
    {
      name: ':61: (the whole field: 66 on its first line, the supplementary details on the next)',
      limit: MT940_FIELDS['61']!,
      // value date, entry date, "RC", funds code, 15d amount, type, 16x reference, "//", 16x bank reference: 66
      make: (n) => at(mt940({ entries: [{ l61: [`2401020102RCR${swiftAmount(15)}NTRF${'C'.repeat(16)}//${'B'.repeat(16)}`, 'S'.repeat(n - 66)] }], closing: 'C240103EUR0,00' }), ':61:'),
      fault: field('61'),
    },
    {
      name: ':61: amount (15d; twenty digits was the reported case)',
      limit: MT940_SUBFIELDS.amount,
      make: (n) => at(mt940({ entries: [{ l61: [`2401020102C${swiftAmount(n)}NTRFCREF//BREF`] }] }), ':61:'),
      fault: /^:61: amount is longer than 15 characters$/,
      accepted: (f) => expect(f.statements[0]!.lines[0]!.amount).toBe('111111111111.00'),
    },
    {
      name: ':61: customer reference',
      limit: MT940_SUBFIELDS.customerReference,
      make: (n) => at(mt940({ entries: [{ l61: [`2401020102C1,00NTRF${'C'.repeat(n)}//BREF`] }] }), ':61:'),
      fault: /^:61: customer reference is longer than 16 characters$/,
      accepted: (f) => expect(f.statements[0]!.lines[0]!.customerReference).toBe('C'.repeat(16)),
    },
    {
      name: ':61: bank reference',
      limit: MT940_SUBFIELDS.bankReference,
      make: (n) => at(mt940({ entries: [{ l61: [`2401020102C1,00NTRFCREF//${'B'.repeat(n)}`] }] }), ':61:'),
      fault: /^:61: bank reference is longer than 16 characters$/,
      accepted: (f) => expect(f.statements[0]!.lines[0]!.bankReference).toBe('B'.repeat(16)),
    },
    {
      name: ':61: supplementary details',
      limit: MT940_SUBFIELDS.supplementaryDetails,
      make: (n) => at(mt940({ entries: [{ l61: ['2401020102C1,00NTRFCREF//BREF', 'S'.repeat(n)] }] }), ':61:'),
      fault: /^:61: supplementary details is longer than 34 characters$/,
    },
    {
      name: ':86: (over several lines)',
      limit: MT940_FIELDS['86']!,
      make: (n) =>
        at(
          mt940({ entries: [{ l61: ['2401020102C1,00NTRFCREF//BREF'], l86: [...Array.from({ length: Math.floor(n / 64) }, () => 'n'.repeat(64)), ...(n % 64 ? ['n'.repeat(n % 64)] : [])] }] }),
          ':86:',
        ),
      fault: field('86'),
      accepted: (f) => expect(f.statements[0]!.lines[0]!.remittanceInformation).toHaveLength(2048),
    },
    {
      name: 'counterparty (?32/?33 of a structured :86:)',
      limit: LINE_FIELDS.counterparty!,
      make: (n) => at(mt940({ entries: [{ l61: ['2401020102C1,00NTRFCREF//BREF'], l86: [`166?00GUTSCHRIFT?32${'P'.repeat(n)}`] }] }), ':61:'),
      fault: /^counterparty is longer than 256 characters$/,
    },
    {
      name: 'endToEndId (EREF+ of a structured :86:)',
      limit: LINE_FIELDS.endToEndId!,
      make: (n) => at(mt940({ entries: [{ l61: ['2401020102C1,00NTRFCREF//BREF'], l86: [`166?00GUTSCHRIFT?20EREF+${'E'.repeat(n)}`] }] }), ':61:'),
      fault: /^endToEndId is longer than 140 characters$/,
    },
    {
      name: 'customerReference (KREF+ of a structured :86:)',
      limit: LINE_FIELDS.customerReference!,
      make: (n) => at(mt940({ entries: [{ l61: ['2401020102C1,00NTRFCREF//BREF'], l86: [`166?00GUTSCHRIFT?20KREF+${'K'.repeat(n)}`] }] }), ':61:'),
      fault: /^customerReference is longer than 140 characters$/,
    },
    { name: ':34F:', limit: MT940_FIELDS['34F']!, make: (n) => at(mt942({ floor: `EURC${swiftAmount(n - 4)}` }), ':34F:'), fault: field('34F') },
    { name: ':13D:', limit: MT940_FIELDS['13D']!, make: (n) => at(mt942({ dateTime: `2401021200+0100${'0'.repeat(n - 15)}` }), ':13D:'), fault: field('13D') },
    {
      name: ':90D:',
      limit: MT940_FIELDS['90D']!,
      make: (n) => at(mt942({ entries: ['240102C1,00NTRFX', `240102D${swiftAmount(15)}NTRFY`], debits: `00001EUR${n === 23 ? swiftAmount(15) : `0${swiftAmount(n - 9)}`}` }), ':90D:'),
      fault: field('90D'),
    },
    {
      name: ':90C:',
      limit: MT940_FIELDS['90C']!,
      make: (n) => at(mt942({ entries: [`240102C${swiftAmount(15)}NTRFX`, '240102D2,00NTRFY'], credits: `00001EUR${n === 23 ? swiftAmount(15) : `0${swiftAmount(n - 9)}`}` }), ':90C:'),
      fault: field('90C'),
    },
  ];

  it.each(bounds)('$name: $limit characters pass, one more is refused', (bound) => checkBound(bound, 'sta'));

  it(`a physical line: ${MT940_LINE} characters are read (then the field's own bound refuses it), one more is refused as a line`, async () => {
    const text = (n: number) => mt940({ entries: [{ l61: ['2401020102C1,00NTRFCREF//BREF'], l86: ['n'.repeat(n - 4)] }] });
    const atLimit = await parseError(() => parseStatementFile(tmp.write('line-ok.sta', text(MT940_LINE))));
    expect(atLimit.fault).toBe(`field :86: is longer than ${MT940_FIELDS['86']} characters`);
    const over = await parseError(() => parseStatementFile(tmp.write('line-bad.sta', text(MT940_LINE + 1))));
    expect([over.position.line, over.fault]).toEqual([lineOf(text(MT940_LINE + 1), ':86:'), `a line (field :86:) is longer than ${MT940_LINE} characters`]);
  });

  it(`a tag with no bound of its own gets ${MT940_FIELD_DEFAULT} (and is then refused as unknown)`, async () => {
    const text = (n: number) => mt940().replace(':62F:', `:99:${'u'.repeat(n)}\n:62F:`);
    const atLimit = await parseError(() => parseStatementFile(tmp.write('unknown-ok.sta', text(MT940_FIELD_DEFAULT))));
    expect(atLimit.fault).toBe('unknown field :99: in an MT940/MT942 statement');
    const over = await parseError(() => parseStatementFile(tmp.write('unknown-bad.sta', text(MT940_FIELD_DEFAULT + 1))));
    expect(over.fault).toBe(`field :99: is longer than ${MT940_FIELD_DEFAULT} characters`);
  });

  it('the defaults the builders start from parse', async () => {
    const file = await parseStatementFile(tmp.write('defaults.sta', mt940()));
    expect(file.statements[0]!.lines).toHaveLength(MT940_DEFAULTS.entries.length);
    const report = await parseStatementFile(tmp.write('defaults942.sta', mt942()));
    expect(report.statements[0]!.lines).toHaveLength(MT942_DEFAULTS.entries.length);
  });
});

// ---------------------------------------------------------------------------------------------

describe('BAI2 bounds', () => {
  const at = (text: string, prefix: string): Made => ({ text, line: lineOf(text, prefix) });
  const detail = (patch: Partial<(typeof BAI2_DEFAULTS.details)[number]>) => [{ ...BAI2_DEFAULTS.details[0]!, ...patch }, BAI2_DEFAULTS.details[1]!];
  const tooLong = (what: string, limit: number = BAI2_LIMITS.field) => new RegExp(`^${what} is longer than ${limit} characters$`);

  /** A 03 record whose length with its 88 continuations ("400,1,,") is exactly `length`. */
  const longAccount = (length: number): Made => {
    const base = bai2({ accountMore: [] }).split('\n')[2]!;
    const body03 = base.slice(3, -1).length;
    const count = Math.floor((length - body03) / 8);
    const pad = length - body03 - 8 * count;
    const more = Array.from({ length: count }, (_, i) => (i === 0 ? `400,${'0'.repeat(pad)}1,,` : '400,1,,'));
    return { text: bai2({ accountMore: more }), line: 3 };
  };

  const bounds: Bound[] = [
    { name: '01 sender identification', limit: BAI2_LIMITS.field, make: (n) => at(bai2({ sender: 'S'.repeat(n) }), '01,'), fault: tooLong('01 sender identification') },
    { name: '01 receiver identification', limit: BAI2_LIMITS.field, make: (n) => at(bai2({ receiver: 'R'.repeat(n) }), '01,'), fault: tooLong('01 receiver identification') },
    { name: '01 file identification number', limit: BAI2_LIMITS.field, make: (n) => at(bai2({ fileId: '7'.repeat(n) }), '01,'), fault: tooLong('01 file identification number') },
    { name: '02 ultimate receiver identification', limit: BAI2_LIMITS.field, make: (n) => at(bai2({ groupReceiver: 'G'.repeat(n) }), '02,'), fault: tooLong('02 ultimate receiver identification') },
    { name: '02 originator identification', limit: BAI2_LIMITS.field, make: (n) => at(bai2({ originator: 'O'.repeat(n) }), '02,'), fault: tooLong('02 originator identification') },
    {
      name: '03 customer account number',
      limit: BAI2_LIMITS.field,
      make: (n) => at(bai2({ account: 'A'.repeat(n) }), '03,'),
      fault: tooLong('03 customer account number'),
      accepted: (f) => expect(f.statements[0]!.accountId).toBe('A'.repeat(80)),
    },
    {
      name: '16 bank reference number',
      limit: BAI2_LIMITS.field,
      make: (n) => at(bai2({ details: detail({ bankRef: 'B'.repeat(n) }) }), '16,'),
      fault: tooLong('16 bank reference number'),
      accepted: (f) => expect(f.statements[0]!.lines[0]!.bankReference).toBe('B'.repeat(80)),
    },
    { name: '16 customer reference number', limit: BAI2_LIMITS.field, make: (n) => at(bai2({ details: detail({ custRef: 'C'.repeat(n) }) }), '16,'), fault: tooLong('16 customer reference number') },
    {
      name: '16 text (across 88 continuations)',
      limit: BAI2_LIMITS.text,
      make: (n) => {
        const [first, ...more] = spaced(n, 1000);
        return at(bai2({ details: detail({ text: first!, more }) }), '16,');
      },
      fault: tooLong('16 text', BAI2_LIMITS.text),
      accepted: (f) => expect(f.statements[0]!.lines[0]!.remittanceInformation).toHaveLength(4096),
    },
    {
      name: '16 amount (digits)',
      limit: BAI2_LIMITS.amountDigits,
      make: (n) => at(bai2({ details: detail({ amount: `1${'0'.repeat(n - 1)}` }) }), '16,'),
      fault: /^16 amount is longer than 18 digits$/,
      accepted: (f) => expect(f.statements[0]!.lines[0]!.amount).toBe('1000000000000000.00'),
    },
    {
      name: '03 summary amount (digits, after the sign)',
      limit: BAI2_LIMITS.amountDigits,
      make: (n) =>
        at(
          bai2({
            summaries: [
              ['010', `+1${'0'.repeat(n - 1)}`],
              ['015', '+95050'],
            ],
          }),
          '03,',
        ),
      fault: /^03 amount for type 010 is longer than 18 digits$/,
    },
    { name: '49 number of records (digits)', limit: BAI2_LIMITS.countDigits, make: (n) => at(bai2({ accountRecordsDigits: n }), '49,'), fault: /^49 number of records is longer than 9 digits$/ },
    {
      name: 'a physical line',
      limit: BAI2_LIMITS.line,
      make: (n) => {
        const prefix = '16,195,5050,0,REF1,CUST1,';
        return at(bai2({ details: detail({ text: 'L'.repeat(n - prefix.length - 1) }) }), '16,');
      },
      fault: /^a line \(starting a 16 record\) is longer than 4096 characters$/,
    },
    { name: 'a record with its 88 continuations', limit: BAI2_LIMITS.record, make: longAccount, fault: /^the 03 record \(with its 88 continuations, from line 3\) is longer than 16384 characters$/ },
  ];

  it.each(bounds)('$name: $limit pass, one more is refused', (bound) => checkBound(bound, 'bai'));
});

// ---------------------------------------------------------------------------------------------

describe('CSV bounds', () => {
  const profile = csvProfile();
  const row = (patch: Parameters<typeof csv>[0] extends (infer R)[] | undefined ? R : never, extra = 0): Made => ({ text: csv([patch], extra), line: 2, profile: csvProfile(extra) });
  const column = (name: string, kind: string) => new RegExp(`^column "${name}" \\(${kind}\\) is longer than ${CSV_FIELDS[kind]} characters$`);
  const x = (n: number, c = 'x') => c.repeat(n);

  const mapped: [string, string, (n: number) => string][] = [
    ['account', 'account', (n) => x(n, 'A')],
    ['currency', 'currency', (n) => `EUR${x(n - 3, 'O')}`],
    ['amount', 'amount', (n) => `${x(n - 3, '1')}.00`],
    ['booking_date', 'bookingDate', (n) => `2024-03-01${x(n - 10, '1')}`],
    ['value_date', 'valueDate', (n) => `2024-03-02${x(n - 10, '1')}`],
    ['e2e', 'endToEndId', (n) => x(n, 'E')],
    ['bank_ref', 'bankReference', (n) => x(n, 'B')],
    ['cust_ref', 'customerReference', (n) => x(n, 'C')],
    ['description', 'description', (n) => x(n, 'd')],
    ['counterparty', 'counterparty', (n) => x(n, 'p')],
    ['type', 'typeCode', (n) => x(n, 'T')],
    ['status', 'status', (n) => x(n, 'S')],
  ];

  const bounds: Bound[] = [
    ...mapped.map(([name, kind, value]): Bound => ({ name: `column ${name} (${kind})`, limit: CSV_FIELDS[kind]!, make: (n) => row({ [name]: value(n) }), fault: column(name, kind) })),
    {
      name: 'the debit/credit indicator',
      limit: CSV_FIELDS.indicator!,
      make: (n) => {
        const indicator: CsvProfile = {
          ...profile,
          name: 'indicator',
          amount: { kind: 'indicator', column: 'amount', indicator: 'status', debitValues: ['D'.repeat(16)], creditValues: ['C'] },
          columns: { ...profile.columns, status: undefined },
        };
        return { text: csv([{ amount: '12.50', status: 'D'.repeat(n) }]), line: 2, profile: indicator };
      },
      fault: /^column "status" \(indicator\) is longer than 16 characters$/,
      accepted: (f) => expect(f.statements[0]!.lines[0]!.amount).toBe('-12.50'),
    },
    { name: 'an unmapped field', limit: CSV_LIMITS.field, make: (n) => row({ extra: [x(n)] }, 1), fault: /^field 13 is longer than 4096 characters$/ },
    {
      name: 'a physical line',
      limit: CSV_LIMITS.line,
      make: (n) => {
        const base = csv([{}], 17).split('\n')[1]!.length;
        let need = n - base;
        const cells = Array.from({ length: 17 }, () => {
          const size = Math.min(need, 4000);
          need -= size;
          return x(size);
        });
        const text = csv([{ extra: cells }], 17);
        expect(text.split('\n')[1]).toHaveLength(n);
        return { text, line: 2, profile: csvProfile(17) };
      },
      fault: /^a line is longer than 65536 characters$/,
    },
    {
      name: 'a record over several lines (quoted line breaks)',
      limit: CSV_LIMITS.record,
      make: (n) => {
        const base = csv([{}], 17).split('\n')[1]!.length;
        // Each extra cell "aaa…\naaa…" is quoted: +2 quotes; 17 cells hold what the base row lacks.
        let need = n - base;
        const cells = Array.from({ length: 17 }, () => {
          const size = Math.min(need, 3900);
          need -= size;
          return size >= 3 ? `${x(Math.floor((size - 3) / 2), 'a')}\n${x(size - 3 - Math.floor((size - 3) / 2), 'a')}` : '';
        });
        const text = csv([{ extra: cells }], 17);
        expect(text.slice(text.indexOf('\n') + 1, -1)).toHaveLength(n);
        return { text, line: 2, profile: csvProfile(17) };
      },
      fault: /^the record that starts at line 2 \(an unterminated quote\?\) is longer than 65536 characters$/,
    },
  ];

  it.each(bounds)('$name: $limit pass, one more is refused', (bound) => checkBound(bound, 'csv'));
});

// ---------------------------------------------------------------------------------------------

describe('camt bounds', () => {
  const header = (xml: string): Made => {
    const text = camt({ header: xml });
    return { text, line: lineOf(text, xml.slice(0, 12)) };
  };
  const element = (name: string, length: number) => header(`<${name}>${'x'.repeat(length)}</${name}>`);
  const textBound = (name: string, limit: number): Bound => ({
    name: `<${name}>`,
    limit,
    make: (n) => element(name, n),
    fault: new RegExp(`^malformed XML: text of <${name}> is longer than ${limit} characters$`),
    element: `Document/BkToCstmrStmt/GrpHdr/${name}`,
  });

  const ntry = (content: string): Made => {
    const text = camt({ entries: [content] });
    return { text, line: lineOf(text, '<Ntry>') };
  };
  /** An entry with `count` elements (itself included) made of empty <Ustrd/>. */
  const nodes = (count: number): string => {
    const shell = camtEntry('1.00', 'CRDT', '<NtryDtls><TxDtls><RmtInf></RmtInf></TxDtls></NtryDtls>');
    const have = (shell.match(/<[A-Za-z]/g) ?? []).length;
    return shell.replace('<RmtInf></RmtInf>', `<RmtInf>${'<Ustrd/>'.repeat(count - have)}</RmtInf>`);
  };

  const bounds: Bound[] = [
    ...Object.entries(CAMT_TEXT).map(([name, limit]) => textBound(name, limit)),
    textBound('AnyOtherElement', CAMT_TEXT_DEFAULT),
    {
      name: 'MsgId with whitespace around it (not counted, up to the slack)',
      limit: XML_WHITESPACE_SLACK,
      make: (n) => header(`<MsgId>${'m'.repeat(CAMT_TEXT.MsgId!)}${' '.repeat(n)}</MsgId>`),
      fault: /^malformed XML: text of <MsgId> is longer than 35 characters$/,
    },
    {
      name: 'Amt in an entry (18 digits and the point)',
      limit: CAMT_TEXT.Amt!,
      make: (n) => ntry(camtEntry(`${'1'.repeat(n - 3)}.00`)),
      fault: /^malformed XML: text of <Amt> is longer than 19 characters$/,
      element: /Stmt\/Ntry\/Amt$/,
      accepted: (f) => expect(f.statements[0]!.lines[0]!.amount).toBe('1111111111111111.00'),
    },
    {
      name: 'a tag with its attributes',
      limit: XML_LIMITS.tag,
      make: (n) => header(`<Foo a="${'a'.repeat(n - 9)}"/>`),
      fault: /^malformed XML: a tag is longer than 4096 characters$/,
    },
    { name: 'a comment', limit: XML_LIMITS.comment, make: (n) => header(`<!--${'c'.repeat(n)}-->`), fault: /^malformed XML: a comment is longer than 65536 characters$/ },
    {
      name: 'a processing instruction',
      limit: XML_LIMITS.comment,
      make: (n) => header(`<?pi ${'p'.repeat(n - 3)}?>`),
      fault: /^malformed XML: a processing instruction is longer than 65536 characters$/,
    },
    {
      name: 'element nesting',
      limit: XML_LIMITS.depth,
      // Document, the message root and GrpHdr are 3 deep.
      make: (n) => header(`${'<N>'.repeat(n - 3)}${'</N>'.repeat(n - 3)}`),
      fault: /^malformed XML: elements are nested deeper than 64 levels$/,
    },
    {
      name: 'elements held for one entry',
      limit: CAMT_NODES_PER_CHILD,
      make: (n) => ntry(nodes(n)),
      fault: /^<Ntry> holds more than 10000 elements$/,
      element: /^Document\/BkToCstmrStmt\/Stmt\[1\]\/Ntry\//,
    },
    {
      name: 'remittance information joined from Ustrd lines',
      limit: LINE_FIELDS.remittanceInformation!,
      make: (n) => {
        const text = camt({ entries: [camtEntry('1.00', 'CRDT', camtDetails({ ustrd: spaced(n, 140, 'u') }))] });
        return { text, line: lineOf(text, '<Ntry>') };
      },
      fault: /^remittanceInformation is longer than 4096 characters$/,
      element: 'Document/BkToCstmrStmt/Stmt[1]/Ntry[1]',
      accepted: (f) => expect(f.statements[0]!.lines[0]!.remittanceInformation).toHaveLength(4096),
    },
  ];

  it.each(bounds)('$name: $limit pass, one more is refused', (bound) => checkBound(bound, 'xml'));
});
