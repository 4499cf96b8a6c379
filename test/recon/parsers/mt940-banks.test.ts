/**
 * MT940 layouts seen in real banks' exports (REC-MT940-1 … REC-MT940-8 below are the variants' ids in the
 * module comment of src/recon/parsers/mt940.ts). The fixtures are synthetic, built here in the
 * banks' layouts; each variant also has a generated check over many statements, and the faults
 * that must still be refused are asserted with the file, line and fault named.
 */
import fc from 'fast-check';
import { Mt940Parser, parseMt940Text, type Mt940Message } from '../../../src/recon/parsers/mt940';
import type { StatementLine } from '../../../src/recon/types';
import { parseError } from './support/fixtures';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

/** Streaming parse (the production path) → lines and proofs; parseMt940Text gives the messages. */
function stream(text: string, file = 'bank.sta'): { lines: StatementLine[]; proofs: (boolean | undefined)[] } {
  const lines: StatementLine[] = [];
  const proofs: (boolean | undefined)[] = [];
  const parser = new Mt940Parser({ file, hashPrefix: '000000000000', format: 'mt940' }, { line: (_index, line) => lines.push(line), statement: (summary) => proofs.push(summary.balance?.ok) }, {});
  parser.push(text);
  parser.end();
  return { lines, proofs };
}

interface Entry {
  /** :61: after the tag, up to and including the amount's mark/amount/type/reference. */
  line61: string;
  minor: bigint;
  details?: string[];
}

/** One statement (no terminator) whose balances prove: opening 100.00 + entries = closing. */
function message(ref: string, entries: Entry[], opening = 10000n): string[] {
  const closing = entries.reduce((sum, e) => sum + e.minor, opening);
  const balance = (minor: bigint): string => `${minor < 0n ? 'D' : 'C'}240131EUR${(minor < 0n ? -minor : minor) / 100n},${String((minor < 0n ? -minor : minor) % 100n).padStart(2, '0')}`;
  return [
    `:20:${ref}`,
    ':25:NL91ABNA0417164300',
    ':28C:1/1',
    `:60F:${balance(opening)}`,
    ...entries.flatMap((e) => [`:61:${e.line61}`, ...(e.details ?? []).map((d) => `:86:${d}`)]),
    `:62F:${balance(closing)}`,
  ];
}

const amount = (minor: bigint): string => `${minor / 100n},${String(minor % 100n).padStart(2, '0')}`;
const entry = (minor: bigint, details?: string[], date = '240115'): Entry => ({
  line61: `${date}${minor < 0n ? 'D' : 'C'}${amount(minor < 0n ? -minor : minor)}NTRFNONREF`,
  minor,
  ...(details ? { details } : {}),
});

const arbEntries = fc.array(
  fc.bigInt({ min: -50000n, max: 50000n }).filter((m) => m !== 0n),
  { minLength: 0, maxLength: 5 },
);

describe('REC-MT940-1: ABN AMRO wrapper lines before every message', () => {
  const wrap = (msg: string[]): string[] => ['ABNANL2A', '940', 'ABNANL2A', ...msg, '-'];

  it('skips "ABNANL2A" / "940" / "ABNANL2A" before each message, every message proves', () => {
    fc.assert(
      fc.property(fc.array(arbEntries, { minLength: 1, maxLength: 4 }), (statements) => {
        const text =
          statements
            .flatMap((amounts, i) =>
              wrap(
                message(
                  `ABN${i}`,
                  amounts.map((m) => entry(m)),
                ),
              ),
            )
            .join('\r\n') + '\r\n';
        const { lines, proofs } = stream(text);
        expect(proofs).toEqual(statements.map(() => true));
        expect(lines.map((l) => l.amount)).toEqual(statements.flat().map((m) => `${m < 0n ? '-' : ''}${amount(m < 0n ? -m : m).replace(',', '.')}`));
      }),
    );
  });

  it('a wrapper-like line inside a message is still the field text it continues (not skipped)', () => {
    const [msg] = parseMt940Text(wrap(message('ABN', [entry(500n, ['TRANSFER TO', 'ABNANL2A'])])).join('\n'));
    // Here "ABNANL2A" is a continuation line of :86:, kept as written.
    expect(msg!.transactions[0]!.details!.lines).toEqual(['TRANSFER TO', 'ABNANL2A']);
  });

  it('other text before the first field is still refused naming the file and line', async () => {
    const error = await parseError(() => stream(['ABNANL2A', 'HELLO WORLD', ...message('X', [])].join('\n'), 'abn.sta'));
    expect(error.position).toEqual({ file: 'abn.sta', line: 2 });
    expect(error.fault).toMatch(/unexpected text outside any field/);
  });
});

describe('REC-MT940-2: ING file header line', () => {
  it('skips "0000 01INGBNL2AXXXX00001" and "940 00" before the first message', () => {
    for (const header of [['0000 01INGBNL2AXXXX00001', '0000 01INGBNL2AXXXX00001', '940 00'], ['0000 01INGBNL2AXXXX00001940 00']]) {
      const text = [...header, ...message('ING', [entry(-1234n), entry(99n)]), '-'].join('\r\n');
      const { lines, proofs } = stream(text);
      expect(proofs).toEqual([true]);
      expect(lines.map((l) => l.amount)).toEqual(['-12.34', '0.99']);
      expect(lines[0]!.position.line).toBe(header.length + 5);
    }
  });
});

describe('REC-MT940-2: ING "-XXX" message end', () => {
  it('is a "-" terminator, so every message of the file is terminated', () => {
    const text = ['0000 01INGBNL2AXXXX00001', '0000 01INGBNL2AXXXX00001', '940 00', ...message('INGEB', [entry(56n)]), '-XXX', ...message('INGEB2', []), '-XXX'].join('\r\n');
    const messages = parseMt940Text(text);
    expect(messages.map((m) => [m.transactionReference, m.terminated])).toEqual([
      ['INGEB', true],
      ['INGEB2', true],
    ]);
  });

  it('"-XXX" inside a SWIFT block is still refused naming the line', async () => {
    const text = ['{1:F01INGBNL2AXXXX0000000000}{2:O940}{4:', ...message('INGEB', []), '-XXX'].join('\n');
    const error = await parseError(() => parseMt940Text(text, 'ing.sta'));
    expect(error.position).toEqual({ file: 'ing.sta', line: 7 });
    expect(error.fault).toMatch(/ends inside a SWIFT message block/);
  });
});

describe('REC-MT940-3: Rabobank files start with ":940:"', () => {
  it('accepts the ":940:" line before the messages', () => {
    const text = [':940:', ...message('940S240131', [entry(250n)]), '-', ...message('940S240201', []), '-'].join('\n');
    const messages = parseMt940Text(text);
    expect(messages.map((m) => [m.transactionReference, m.transactions.length])).toEqual([
      ['940S240131', 1],
      ['940S240201', 0],
    ]);
  });

  it('":940:" followed by text on its line is not a message-type line: refused naming the line', async () => {
    const error = await parseError(() => parseMt940Text([':940:X', ...message('R', [])].join('\n'), 'rabo.sta'));
    expect(error.position).toEqual({ file: 'rabo.sta', line: 1 });
  });
});

describe('REC-MT940-4: several :86: after one :61: (older Rabobank exports)', () => {
  it('joins them in order into that entry, each :86: once, and the next :61: starts a new entry', () => {
    const word = fc.stringMatching(/^[A-Z][A-Z0-9 ]{0,20}[A-Z0-9]$/);
    fc.assert(
      fc.property(fc.array(fc.array(word, { minLength: 0, maxLength: 4 }), { minLength: 1, maxLength: 4 }), (texts) => {
        const entries = texts.map((details, i) => entry(BigInt(i + 1) * 100n, details.length > 0 ? details : undefined));
        const { lines, proofs } = stream(message('RABO', entries).join('\n') + '\n-\n');
        expect(proofs).toEqual([true]);
        expect(lines.map((l) => l.remittanceInformation)).toEqual(texts.map((details) => (details.length > 0 ? details.join(' ').trim() : undefined)));
        const [msg] = parseMt940Text(message('RABO', entries).join('\n'));
        expect(msg!.transactions.map((t) => t.details?.lines)).toEqual(texts.map((details) => (details.length > 0 ? details : undefined)));
      }),
    );
  });

  it('a :86: after the closing balance is still the statement information, not an entry text', () => {
    const [msg] = parseMt940Text([...message('RABO', [entry(100n, ['/TRCD/100/', '/NAME/ACME BV/'])]), ':86:STATEMENT NOTE', '-'].join('\n'));
    expect(msg!.transactions[0]!.details!.text).toBe('/TRCD/100/ /NAME/ACME BV/');
    expect(msg!.information).toBe('STATEMENT NOTE');
  });

  it('the joined :86: fields together are bounded (REC-IN-1): refused naming the :86: line that passes the bound', async () => {
    const chunk = 'X'.repeat(60);
    const details = Array.from({ length: 40 }, () => chunk);
    const error = await parseError(() => parseMt940Text(message('RABO', [entry(100n, details)]).join('\n'), 'rabo.sta'));
    expect(error.position.file).toBe('rabo.sta');
    expect(error.fault).toMatch(/field :86:/);
    // 2048 / 60 → the 35th :86: passes the bound; it is on line 5 + 1 + 34.
    expect(error.position.line).toBe(40);
  });
});

describe('REC-MT940-5: blanks in place of the optional entry date (Citi, ASN Bank)', () => {
  it('accepts 1 to 4 blanks: value date only, booking date = value date', () => {
    for (const blanks of [' ', '  ', '   ', '    ']) {
      const [msg] = parseMt940Text(message('CITI', [{ line61: `240115${blanks}D12,34NTRFREF1//BANK1`, minor: -1234n }]).join('\n'));
      const t = msg!.transactions[0]!;
      expect([t.valueDate, t.entryDate, t.mark, t.amount, t.customerReference, t.bankReference]).toEqual(['2024-01-15', undefined, 'D', '12.34', 'REF1', 'BANK1']);
      const { lines } = stream(message('CITI', [{ line61: `240115${blanks}C1,00NTRFREF1`, minor: 100n }]).join('\n'));
      expect([lines[0]!.bookingDate, lines[0]!.valueDate]).toEqual(['2024-01-15', '2024-01-15']);
    }
  });

  it('five blanks, or blanks then a half entry date, are still refused naming the line', async () => {
    for (const line61 of ['240115     D1,00NTRFX', '240115  01D1,00NTRFX']) {
      const error = await parseError(() => parseMt940Text(message('CITI', [{ line61, minor: -100n }]).join('\n'), 'citi.sta'));
      expect(error.position).toEqual({ file: 'citi.sta', line: 5 });
      expect(error.fault).toMatch(/^:61: debit\/credit mark/);
    }
  });
});

describe('REC-MT940-6: 30 February (German savings banks)', () => {
  it('an entry date 0230 is the last day of February of its year, the text as written kept', () => {
    const cases: [string, string][] = [
      ['2402290230', '2024-02-29'], // leap year
      ['2302280230', '2023-02-28'],
      ['2303010230', '2023-02-28'],
      ['2212310230', '2023-02-28'], // the February nearest a December value date is the next year's
      ['2302280229', '2023-02-28'], // 29 February of a common year
    ];
    for (const [dates, expected] of cases) {
      const [msg] = parseMt940Text(message('SPK', [{ line61: `${dates}D1,00NZINNONREF`, minor: -100n }]).join('\n'));
      const t = msg!.transactions[0]!;
      expect([t.entryDate, t.entryDateAsWritten]).toEqual([expected, dates.slice(6)]);
      const { lines } = stream(message('SPK', [{ line61: `${dates}D1,00NZINNONREF`, minor: -100n }]).join('\n'));
      expect(lines[0]!.bookingDate).toBe(expected);
    }
  });

  it('a value date of 30 February is the last day of February, kept as written', () => {
    const [msg] = parseMt940Text(message('SPK', [{ line61: '2302300230C5,00NZINNONREF', minor: 500n }]).join('\n'));
    const t = msg!.transactions[0]!;
    expect([t.valueDate, t.valueDateAsWritten, t.entryDate, t.entryDateAsWritten]).toEqual(['2023-02-28', '230230', '2023-02-28', '0230']);
  });

  it('a real calendar date keeps no "as written" text', () => {
    const [msg] = parseMt940Text(message('SPK', [{ line61: '2402290229D1,00NZINNONREF', minor: -100n }]).join('\n'));
    expect(msg!.transactions[0]!).toMatchObject({ valueDate: '2024-02-29', entryDate: '2024-02-29', valueDateAsWritten: undefined, entryDateAsWritten: undefined });
  });

  it('any other impossible date is still an error naming the file and line', async () => {
    for (const [dates, fault] of [
      ['2402280231', /entry date 2024-02-31 is not a calendar date/], // 31 February is no convention
      ['2402310228', /:61: value date 2024-02-31 is not a calendar date/],
      ['2404310430', /:61: value date 2024-04-31 is not a calendar date/],
      ['2413010101', /:61: value date 2024-13-01 is not a calendar date/],
      ['2401151301', /entry date 1301 is not a calendar date/],
    ] as const) {
      const error = await parseError(() => parseMt940Text(message('SPK', [{ line61: `${dates}D1,00NZINNONREF`, minor: -100n }]).join('\n'), 'spk.sta'));
      expect(error.position).toEqual({ file: 'spk.sta', line: 5 });
      expect(error.fault).toMatch(fault);
    }
  });
});

describe('REC-MT940-7: a final message without "-" but with its :62F:', () => {
  it('is accepted after terminated messages, and alone', () => {
    fc.assert(
      fc.property(fc.array(arbEntries, { minLength: 1, maxLength: 4 }), fc.boolean(), (statements, trailingInfo) => {
        const parts = statements.map((amounts, i) =>
          message(
            `M${i}`,
            amounts.map((m) => entry(m)),
          ),
        );
        const last = parts.pop()!;
        const text = [...parts.flatMap((p) => [...p, '-']), ...last, ...(trailingInfo ? [':86:CLOSING NOTE'] : [])].join('\n');
        const messages: Mt940Message[] = parseMt940Text(text);
        expect(messages.map((m) => m.terminated)).toEqual(statements.map((_, i) => i < statements.length - 1));
        expect(stream(text).proofs).toEqual(statements.map(() => true));
      }),
    );
  });

  it('a final message cut before its :62F: (or ending on an intermediate :62M:) is still truncated', async () => {
    const one = [...message('A', []), '-'];
    const cut = message('B', [entry(100n)]).slice(0, -1);
    const error = await parseError(() => parseMt940Text([...one, ...cut].join('\n'), 'cut.sta'));
    expect(error.position).toEqual({ file: 'cut.sta', line: 11 }); // the last line read
    expect(error.fault).toMatch(/has no :62F:\/:62M: closing balance \(truncated file\?\)/);
    const intermediate = message('B', []).map((l) => l.replace(':62F:', ':62M:'));
    const error2 = await parseError(() => parseMt940Text([...one, ...intermediate].join('\n'), 'cut.sta'));
    expect(error2.fault).toMatch(/no "-" terminator .*truncated/);
  });
});

describe('REC-MT940-8: unknown bank-specific fields (e.g. :NS:)', () => {
  it('are kept as raw text on the entry they follow or on the statement, never folded into the field before', () => {
    const text = [
      ':20:SPK',
      ':25:10020030/1234567',
      ':28C:1/1',
      ':NS:01STATEMENT HEADER',
      '02SECOND LINE',
      ':60F:C240131EUR100,00',
      ':61:240115D1,00NTRFNONREF',
      ':NS:22ENTRY NOTE',
      ':86:PAYMENT TEXT',
      ':61:240115C2,00NTRFNONREF',
      ':86:SECOND PAYMENT',
      ':NS:33AFTER DETAILS',
      ':62F:C240131EUR101,00',
      '-',
    ].join('\n');
    const [msg] = parseMt940Text(text);
    expect(msg!.otherFields).toEqual([{ tag: 'NS', line: 4, text: '01STATEMENT HEADER\n02SECOND LINE' }]);
    const [a, b] = msg!.transactions;
    expect(a!.otherFields).toEqual([{ tag: 'NS', line: 8, text: '22ENTRY NOTE' }]);
    expect(a!.details!.text).toBe('PAYMENT TEXT');
    expect(b!.otherFields).toEqual([{ tag: 'NS', line: 12, text: '33AFTER DETAILS' }]);
    expect(b!.details!.text).toBe('SECOND PAYMENT');
    expect(msg!.accountIdentification).toBe('10020030/1234567');
    const { lines, proofs } = stream(text);
    expect(proofs).toEqual([true]);
    expect(lines.map((l) => l.remittanceInformation)).toEqual(['PAYMENT TEXT', 'SECOND PAYMENT']);
    // On the statement lines too, in file order, with their lines.
    expect(lines.map((l) => l.otherFields)).toEqual([[{ tag: 'NS', line: 8, text: '22ENTRY NOTE' }], [{ tag: 'NS', line: 12, text: '33AFTER DETAILS' }]]);
  });

  it('reach the statement line in file order, masked as free text (a card number is, a reference is not)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            tag: fc.constantFrom('NS', 'AB', 'XY'),
            text: fc.oneof(fc.stringMatching(/^[A-Z0-9 ]{1,30}$/), fc.constant('CARD 4111111111111111'), fc.constant('REF 15180015077602405')),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (fields) => {
          const text = [
            ':20:SPK',
            ':25:10020030/1234567',
            ':28C:1/1',
            ':60F:C240131EUR100,00',
            ':61:240115C1,00NTRFNONREF',
            ...fields.map((f) => `:${f.tag}:${f.text}`),
            ':86:PAYMENT',
            ':62F:C240131EUR101,00',
            '-',
          ].join('\n');
          const { lines } = stream(text);
          expect(lines).toHaveLength(1);
          const expected = fields.map((f, i) => ({ tag: f.tag, line: 6 + i, text: f.text.replace('4111111111111111', '[REDACTED-PAN]') }));
          expect(lines[0]!.otherFields).toEqual(expected);
        },
      ),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(8801) },
    );
  });

  it('an unknown numeric SWIFT tag is still refused naming the line', async () => {
    const error = await parseError(() => parseMt940Text([...message('X', []).slice(0, 4), ':99:X', ...message('X', []).slice(4)].join('\n'), 'x.sta'));
    expect(error.position).toEqual({ file: 'x.sta', line: 5 });
    expect(error.fault).toBe('unknown field :99: in an MT940/MT942 statement');
  });

  it('a bank-specific field before :20: is refused naming the line', async () => {
    const error = await parseError(() => parseMt940Text([':NS:X', ...message('X', [])].join('\n'), 'x.sta'));
    expect(error.position).toEqual({ file: 'x.sta', line: 1 });
  });
});
