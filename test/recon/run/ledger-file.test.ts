/**
 * The ledger file: CSV (header, RFC 4180 quoting) or NDJSON; every row validated with an error
 * naming the file, the line and the field; amounts exact with the currency's precision.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalAmount, ledgerFileSide, readLedgerFile } from '../../../src/recon/run/ledger-file';
import { BadInputError } from '../../../src/recon/run/errors';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from '../../support/runtime';

const HEADER = 'entryId,accountId,currency,amount,bookingDate,valueDate,reference,description';
const dir = tempDir('recon-ledger-');
const LEDGER_COLUMNS = HEADER.split(',') as ['entryId', 'accountId', 'currency', 'amount', 'bookingDate', 'valueDate', 'reference', 'description'];
let generated = 0;

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function failure(path: string): Promise<BadInputError> {
  try {
    await readLedgerFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(BadInputError);
    return error as BadInputError;
  }
  throw new Error(`${path} was accepted`);
}

describe('ledger file', () => {
  it('reads CSV with quoted cells, a BOM and CRLF, canonicalising amounts to the currency exponent', async () => {
    const path = file(
      'ledger.csv',
      `\uFEFF${HEADER}\r\nL1,GB00TEST,GBP,+12.5,2024-01-02,2024-01-03,REF-1,"Rent, January"\r\nL2,GB00TEST,JPY,-1500,2024-01-02,2024-01-02,,"say ""hi"""\r\nL3,BH00TEST,BHD,0.125,2024-01-02,2024-01-02,R3,multi\n`,
    );
    const ledger = await readLedgerFile(path);
    expect(ledger.format).toBe('csv');
    expect(ledger.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(ledger.entries).toEqual([
      { entryId: 'L1', accountId: 'GB00TEST', currency: 'GBP', amount: '12.50', bookingDate: '2024-01-02', valueDate: '2024-01-03', reference: 'REF-1', description: 'Rent, January' },
      { entryId: 'L2', accountId: 'GB00TEST', currency: 'JPY', amount: '-1500', bookingDate: '2024-01-02', valueDate: '2024-01-02', reference: '', description: 'say "hi"' },
      { entryId: 'L3', accountId: 'BH00TEST', currency: 'BHD', amount: '0.125', bookingDate: '2024-01-02', valueDate: '2024-01-02', reference: 'R3', description: 'multi' },
    ]);
  });

  it('reads NDJSON and defines its own accounts', async () => {
    const path = file(
      'ledger.ndjson',
      [
        { entryId: 'N1', accountId: 'NL26VAYB8060476890', currency: 'EUR', amount: '-1.00', bookingDate: '2014-12-31', valueDate: '2014-12-31', reference: 'X', description: 'd' },
        { entryId: 'N2', accountId: 'NL26VAYB8060476890', currency: 'EUR', amount: '2', bookingDate: '2014-12-31', valueDate: '2014-12-31', reference: 'Y', description: '' },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n'),
    );
    const side = await ledgerFileSide(path);
    expect((await readLedgerFile(path)).format).toBe('ndjson');
    expect(
      side
        .entries(new Set(['NL26VAYB8060476890']))
        .toArray()
        .map((e) => e.amount),
    ).toEqual(['-1.00', '2.00']);
    // In scope: only the accounts the run's statements cover.
    expect(side.entries(new Set(['GB00OTHER'])).toArray()).toEqual([]);
    expect(side.knows('NL26VAYB8060476890')).toBe(true);
    expect(side.knows('GB93LDGL67874444189555')).toBe(false);
    expect(side.unknownAccountFault('XX')).toBe(`account XX is not in the ledger ${path}`);
  });

  it('rejects an amount with more decimals than the currency allows, naming file, line and field', async () => {
    const path = file('precision.csv', `${HEADER}\nL1,A,GBP,1.00,2024-01-02,2024-01-02,R,\nL2,A,GBP,1.234,2024-01-02,2024-01-02,R,\n`);
    const error = await failure(path);
    expect(error.kind).toBe('precision');
    expect(error.position).toEqual({ file: path, line: 3 });
    expect(error.message).toBe(`${path} line 3: field "amount" amount "1.234" has 3 decimal places; GBP allows 2`);
  });

  it.each([
    ['a date that does not exist', `${HEADER}\nL1,A,GBP,1.00,2024-02-30,2024-02-01,R,\n`, 2, 'field "bookingDate" "2024-02-30" is not a date YYYY-MM-DD'],
    ['an unknown currency', `${HEADER}\nL1,A,XXX,1.00,2024-02-01,2024-02-01,R,\n`, 2, 'field "currency" "XXX" is not a known ISO 4217 currency'],
    [
      'a missing column',
      'entryId,accountId,amount\nL1,A,1.00\n',
      1,
      'the CSV header lacks column(s) currency, bookingDate, valueDate (needs entryId,accountId,currency,amount,bookingDate,valueDate,reference,description)',
    ],
    ['a short row', `${HEADER}\nL1,A,GBP,1.00\n`, 2, 'has 4 cells, the header has 8 (truncated row?)'],
    ['an unclosed quote (truncated file)', `${HEADER}\nL1,A,GBP,1.00,2024-02-01,2024-02-01,R,"never closed\n`, 2, 'a quoted cell is never closed (truncated file?)'],
    ['a repeated entry id', `${HEADER}\nL1,A,GBP,1.00,2024-02-01,2024-02-01,R,\nL1,A,GBP,2.00,2024-02-01,2024-02-01,R,\n`, 3, 'field "entryId" "L1" repeats the entry at line 2 of account A'],
    ['a float amount', `${HEADER}\nL1,A,GBP,1e3,2024-02-01,2024-02-01,R,\n`, 2, 'field "amount" "1e3" is not a signed decimal amount (e.g. -12.30)'],
  ])('rejects %s', async (_name, content, line, fault) => {
    const path = file('bad.csv', content);
    const error = await failure(path);
    expect(error.position.line).toBe(line);
    expect(error.message).toBe(`${path} line ${line}: ${fault}`);
  });

  it('rejects JSON numbers as amounts and truncated NDJSON lines', async () => {
    const numberPath = file('number.ndjson', '{"entryId":"N1","accountId":"A","currency":"GBP","amount":1.1,"bookingDate":"2024-01-01","valueDate":"2024-01-01"}\n');
    expect((await failure(numberPath)).message).toBe(`${numberPath} line 1: field "amount" must be a string, got the JSON number 1.1 (amounts are decimal strings)`);
    const truncated = file('truncated.ndjson', '{"entryId":"N1","accountId":"A","currency":"GBP","amount":"1.10","bookingDate":"2024-01-01","valueDate":"2024-01-01"}\n{"entryId":"N2","accou');
    const error = await failure(truncated);
    expect(error.kind).toBe('truncated');
    expect(error.message).toMatch(new RegExp(`^${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 2: is not a JSON object \\(.*\\); truncated line\\?$`));
  });

  it('refuses a UTF-16 or UTF-32 ledger file at line 1 naming its encoding (not "the CSV header lacks columns")', async () => {
    const csv = `${HEADER}\nL1,A,GBP,1.10,2024-01-01,2024-01-01,R,D\n`;
    const ndjson = '{"entryId":"N1","accountId":"A","currency":"GBP","amount":"1.10","bookingDate":"2024-01-01","valueDate":"2024-01-01"}\n';
    const wide: [string, Buffer][] = [
      ['UTF-16 little-endian text (it starts with that byte order mark)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')])],
      ['UTF-16 big-endian text (it starts with that byte order mark)', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(csv, 'utf16le').swap16()])],
      ['UTF-16 little-endian text', Buffer.from(ndjson, 'utf16le')],
      ['UTF-32 little-endian text (it starts with that byte order mark)', Buffer.from([0xff, 0xfe, 0, 0, ...[...csv].flatMap((c) => [c.charCodeAt(0), 0, 0, 0])])],
    ];
    for (const [name, bytes] of wide) {
      const path = join(dir, `wide-${(generated += 1)}.csv`);
      writeFileSync(path, bytes);
      const error = await failure(path);
      expect(error.message).toBe(`${path} line 1: the file is ${name}; ledger files are read as UTF-8: save or export it as UTF-8`);
    }
  });

  it('canonicalAmount keeps the sign and pads to the exponent', () => {
    expect(canonicalAmount('-0.5', 'EUR')).toBe('-0.50');
    expect(canonicalAmount('+7', 'KWD')).toBe('7.000');
    expect(() => canonicalAmount('1.5', 'JPY')).toThrow('JPY allows 0');
  });
});

describe('ledger file line bound (REC-IN-1)', () => {
  const row = (i: number, description: string): string => `L${i},GB29NWBK60161331926819,GBP,1.00,2026-01-05,2026-01-05,R${i},${description}`;

  it('a line at the bound is read; one character past it is refused naming the file and the line, whichever line it is', async () => {
    const prefix = row(2, '');
    const atLimit = file('at-limit.csv', `${HEADER}\n${row(1, 'a')}\n${prefix}${'d'.repeat(65536 - prefix.length)}\n`);
    // The CSV reader then refuses the description by its own (smaller) bound; the line itself passed.
    const read = await readLedgerFile(atLimit).catch((error: Error) => error);
    expect(String((read as Error).message ?? '')).not.toContain('line is longer than');
    for (const position of [2, 3]) {
      const rows = [row(1, 'a'), row(2, 'b')];
      rows.splice(position - 2, 0, `${prefix}${'d'.repeat(65537 - prefix.length)}`);
      const error = await failure(file(`past-${position}.csv`, `${HEADER}\n${rows.join('\n')}\n`));
      expect(error.message).toContain('line is longer than 65536 characters');
      expect(error.message).toContain(`line ${position}`);
      expect(error.message).not.toContain('ddddddddddddddddddd');
    }
  });

  it('a 64 MiB line is refused without reading the rest of the file into one string', async () => {
    const big = join(dir, 'huge.csv');
    writeFileSync(big, `${HEADER}\n${row(1, 'x'.repeat(64 * 1024 * 1024))}\n${row(2, 'ok')}\n`);
    const error = await failure(big);
    expect(error.message).toContain('line 2');
    expect(error.message.length).toBeLessThan(500);
  });

  it('a BOM on the first line and CRLF line ends read as plain LF', async () => {
    const plain = await readLedgerFile(file('plain.csv', `${HEADER}\n${row(1, 'a')}\n${row(2, 'b')}\n`));
    const bom = await readLedgerFile(file('bom.csv', `\uFEFF${HEADER}\r\n${row(1, 'a')}\r\n${row(2, 'b')}`));
    expect(bom.entries).toEqual(plain.entries);
  });
});

describe('ledger file, generated', () => {
  const CURRENCIES = { EUR: 2, JPY: 0, BHD: 3 } as const;
  const cellText = fc.array(fc.constantFrom('a', 'Z', '7', ' ', ',', '"', '\n', '\r\n', "'", '=', 'é', '€', '-'), { maxLength: 10 }).map((chars) => chars.join(''));
  const idText = fc.array(fc.constantFrom('A', 'b', '1', '-', '_', ',', '"', 'é'), { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
  const row = fc.record({
    entryId: idText,
    accountId: fc.constantFrom('GB00ONE', 'GB00TWO', 'NL,THREE'),
    currency: fc.constantFrom(...(Object.keys(CURRENCIES) as (keyof typeof CURRENCIES)[])),
    minor: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
    sign: fc.constantFrom('', '+'),
    bookingDate: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    reference: cellText,
    description: cellText,
  });
  const written = (minor: bigint, exponent: number, sign: string): string => {
    const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
    const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
    return minor < 0n ? `-${text}` : `${sign}${text}`;
  };
  const canonical = (minor: bigint, exponent: number): string => {
    const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
    const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
    return minor < 0n ? `-${text}` : text;
  };
  /** A CSV cell, quoted when it must be, or always. */
  const cell = (value: string, always: boolean): string => (always || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

  it('reads back every row of a generated CSV exactly, whatever the quoting, line ends, BOM, column order and blank lines', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(row, { selector: (r) => `${r.accountId}\u0000${r.entryId.trim()}`, minLength: 1, maxLength: 30 }),
        fc.record({ crlf: fc.boolean(), bom: fc.boolean(), quoteAll: fc.boolean(), blank: fc.boolean(), reversed: fc.boolean() }),
        async (rows, style) => {
          const fields = style.reversed ? [...LEDGER_COLUMNS].reverse() : LEDGER_COLUMNS;
          const eol = style.crlf ? '\r\n' : '\n';
          const lines = rows.map((r) => {
            const exponent = CURRENCIES[r.currency];
            const values: Record<(typeof LEDGER_COLUMNS)[number], string> = {
              entryId: r.entryId,
              accountId: r.accountId,
              currency: r.currency,
              amount: written(r.minor, exponent, r.sign),
              bookingDate: r.bookingDate,
              valueDate: r.bookingDate,
              reference: r.reference,
              description: r.description,
            };
            return fields.map((field) => cell(values[field], style.quoteAll)).join(',');
          });
          const text = `${style.bom ? '\uFEFF' : ''}${fields.join(',')}${eol}${lines.join(style.blank ? `${eol}${eol}` : eol)}${eol}`;
          const ledger = await readLedgerFile(file(`generated-${(generated += 1)}.csv`, text));
          expect(ledger.entries).toEqual(
            rows.map((r) => ({
              entryId: r.entryId.trim(),
              accountId: r.accountId,
              currency: r.currency,
              amount: canonical(r.minor, CURRENCIES[r.currency]),
              bookingDate: r.bookingDate,
              valueDate: r.bookingDate,
              // A line break inside a quoted cell reads as LF, however it was written.
              reference: r.reference.replace(/\r\n/g, '\n').trim(),
              description: r.description.replace(/\r\n/g, '\n'),
            })),
          );
        },
      ),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(4420) },
    );
  });

  it('canonicalAmount agrees with exact arithmetic on generated amounts (sign, leading plus, fewer decimals, negative zero)', () => {
    fc.assert(
      fc.property(row, (r) => {
        const exponent = CURRENCIES[r.currency];
        const text = written(r.minor, exponent, r.sign);
        expect(canonicalAmount(text, r.currency)).toBe(canonical(r.minor, exponent));
        // Fewer decimals than the currency's (trailing zeros left off) pad to the exponent.
        const short = exponent > 0 ? text.replace(/\.?0{1,2}$/, '') : text;
        if (short !== '' && short !== '-' && short !== '+') expect(canonicalAmount(short, r.currency)).toBe(canonical(r.minor, exponent));
        if (exponent > 0) expect(() => canonicalAmount(`${written(r.minor, exponent, r.sign)}1`, r.currency)).toThrow(/decimal places/);
        expect(canonicalAmount(`-${'0'.repeat(1)}${exponent ? `.${'0'.repeat(exponent)}` : ''}`, r.currency)).toBe(canonical(0n, exponent));
      }),
      { numRuns: fuzzRuns(1000), seed: fuzzSeed(4421) },
    );
  });

  it('a fault after, inside or at the end of a quoted cell spanning lines names the right line', async () => {
    const multi = `L1,GB00X,EUR,1.00,2024-01-02,2024-01-02,R1,"first\nsecond\nthird"`;
    // Line 1 header, lines 2-4 the quoted record, line 5 the bad amount.
    expect((await failure(file('after-quoted.csv', `${HEADER}\n${multi}\nL2,GB00X,EUR,1.234,2024-01-02,2024-01-02,R2,d\n`))).position.line).toBe(5);
    // A quote inside an unquoted cell, on the line after a quoted record.
    const inside = await failure(file('quote-inside.csv', `${HEADER}\n${multi}\nL2,GB00X,EUR,1.00,2024-01-02,2024-01-02,R"2,d\n`));
    expect([inside.position.line, inside.fault]).toEqual([5, expect.stringMatching(/quote inside an unquoted cell/)]);
    // A quoted cell never closed: truncated, naming the line where its record starts.
    const open = await failure(file('never-closed.csv', `${HEADER}\nL1,GB00X,EUR,1.00,2024-01-02,2024-01-02,R1,ok\nL2,GB00X,EUR,1.00,2024-01-02,2024-01-02,R2,"open\nmore\n`));
    expect([open.position.line, open.kind]).toEqual([3, 'truncated']);
    // A record over the bound: refused naming its first line.
    const long = await failure(file('long-record.csv', `${HEADER}\nL1,GB00X,EUR,1.00,2024-01-02,2024-01-02,R1,"${'x\n'.repeat(40_000)}"\n`));
    expect([long.position.line, long.fault]).toEqual([2, expect.stringMatching(/record that starts at line 2 is longer than/)]);
    // A repeated entry id is named with the line of the first.
    const repeat = await failure(file('repeat.csv', `${HEADER}\n${multi}\nL1,GB00X,EUR,2.00,2024-01-02,2024-01-02,R2,d\n`));
    expect([repeat.position.line, repeat.fault]).toEqual([5, expect.stringMatching(/repeats the entry at line 2/)]);
  });
});
