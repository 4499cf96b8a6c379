/**
 * The ledger CSV's fast path (rows cut at commas out of each decoded chunk) against the general
 * one (RFC 4180 records): a file re-encoded with quoting on every cell, CRLF line ends, a BOM, or
 * fed in chunks split at every byte position reads exactly like the plain file; a bad row of
 * every class is refused with the same fault at the same line, whichever path reads it.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLedger, readLedgerFile, type LedgerFile } from '../../../src/recon/run/ledger-file';
import { BadInputError } from '../../../src/recon/run/errors';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from '../../support/runtime';

const FIELDS = ['entryId', 'accountId', 'currency', 'amount', 'bookingDate', 'valueDate', 'reference', 'description'] as const;
type Row = Record<(typeof FIELDS)[number], string>;
const dir = tempDir('recon-ledger-fast-');
let written = 0;

/** Cell text with no quote, comma or line break (readable unquoted), some of it non-ASCII or padded. */
const plainText = fc.array(fc.constantFrom('a', 'Z', '7', ' ', '-', "'", '=', 'é', '€', '𝟘', '.'), { maxLength: 12 }).map((chars) => chars.join(''));
const row = fc.record({
  entryId: fc.array(fc.constantFrom('A', 'b', '1', '9', '-', '_', 'é'), { minLength: 1, maxLength: 8 }).map((chars) => chars.join('')),
  accountId: fc.constantFrom('GB00ONE', 'GB00TWO', 'NL91ABNA0417164300'),
  currency: fc.constantFrom('EUR', 'JPY', 'BHD'),
  amount: fc.constantFrom('1', '-0.5', '+12.30', '0', '100000000000', '7.125'),
  bookingDate: fc.constantFrom('2024-02-29', '2025-06-10', '2000-01-01'),
  valueDate: fc.constantFrom('2024-02-29', '2025-06-11'),
  reference: plainText,
  description: plainText,
});
/** A set of rows the reader accepts: ids unique per account, amounts within the currency's decimals. */
const goodRows = fc
  .uniqueArray(row, { selector: (r) => `${r.accountId}\u0000${r.entryId}`, minLength: 1, maxLength: 25 })
  .map((rows) => rows.map((r) => ((r.currency === 'JPY' && r.amount.includes('.')) || (r.currency === 'EUR' && r.amount === '7.125') ? { ...r, amount: '3' } : r)));
const style = fc.record({ quoteAll: fc.boolean(), crlf: fc.boolean(), bom: fc.boolean(), finalNewline: fc.boolean(), shuffled: fc.boolean() });
type Style = { quoteAll: boolean; crlf: boolean; bom: boolean; finalNewline: boolean; shuffled: boolean };

function encode(rows: Row[], s: Style): string {
  const columns = s.shuffled ? [...FIELDS].reverse() : [...FIELDS];
  const cell = (value: string): string => (s.quoteAll ? `"${value.replace(/"/g, '""')}"` : value);
  const eol = s.crlf ? '\r\n' : '\n';
  const lines = [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))];
  return `${s.bom ? '\uFEFF' : ''}${lines.join(eol)}${s.finalNewline ? eol : ''}`;
}

const PLAIN: Style = { quoteAll: false, crlf: false, bom: false, finalNewline: true, shuffled: false };

async function outcome(read: Promise<LedgerFile>): Promise<{ entries?: LedgerFile['entries']; error?: { line: number | undefined; fault: string; kind: string } }> {
  try {
    return { entries: (await read).entries };
  } catch (error) {
    if (!(error instanceof BadInputError)) throw error;
    return { error: { line: error.position.line, fault: error.fault, kind: error.kind } };
  }
}

function fileOf(text: string): string {
  const path = join(dir, `ledger-${(written += 1)}.csv`);
  writeFileSync(path, text);
  return path;
}

/** The bytes in chunks cut at the given positions. */
function* cutAt(bytes: Buffer, positions: number[]): Generator<Uint8Array> {
  let from = 0;
  for (const at of [...positions].sort((a, b) => a - b)) {
    yield bytes.subarray(from, at);
    from = at;
  }
  yield bytes.subarray(from);
}

describe('ledger CSV fast path', () => {
  it('reads a file re-encoded with quoting on every cell, CRLF, a BOM, another column order exactly like the plain file', async () => {
    await fc.assert(
      fc.asyncProperty(goodRows, style, async (rows, s) => {
        const plain = await outcome(readLedgerFile(fileOf(encode(rows, PLAIN))));
        expect(plain.error).toBeUndefined();
        expect(plain.entries).toHaveLength(rows.length);
        expect(await outcome(readLedgerFile(fileOf(encode(rows, s))))).toEqual(plain);
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(5510) },
    );
  });

  it('reads the same entries however the bytes are chunked: split at every byte position, and at random positions', async () => {
    const rows: Row[] = [
      { entryId: 'L1', accountId: 'GB00ONE', currency: 'EUR', amount: '+1.5', bookingDate: '2024-02-29', valueDate: '2024-02-29', reference: 'R €1', description: 'é 𝟘 "q"' },
      { entryId: 'L2', accountId: 'GB00ONE', currency: 'JPY', amount: '-12', bookingDate: '2025-06-10', valueDate: '2025-06-11', reference: ' padded ', description: 'two\nlines' },
      { entryId: 'L0', accountId: 'GB00TWO', currency: 'BHD', amount: '0.125', bookingDate: '2000-01-01', valueDate: '2000-01-01', reference: '', description: 'a, b' },
    ];
    for (const s of [PLAIN, { ...PLAIN, crlf: true, bom: true }, { ...PLAIN, quoteAll: true, crlf: true }]) {
      // Unquoted, a cell cannot hold a quote, comma or line break.
      const bytes = Buffer.from(encode(s.quoteAll ? rows : rows.map((r) => ({ ...r, description: r.description.replace(/[\n",]/g, ' ') })), s));
      const whole = await outcome(readLedger('ledger.csv', [bytes]));
      expect(whole.error).toBeUndefined();
      for (let at = 0; at <= bytes.length; at += 1) expect(await outcome(readLedger('ledger.csv', cutAt(bytes, [at])))).toEqual(whole);
      // Every byte its own chunk: UTF-8 characters and CRLF pairs split everywhere.
      expect(
        await outcome(
          readLedger(
            'ledger.csv',
            cutAt(
              bytes,
              Array.from({ length: bytes.length }, (_, i) => i),
            ),
          ),
        ),
      ).toEqual(whole);
    }
    // Bytes that are not UTF-8 (a lead byte, then ASCII) read as U+FFFD wherever the chunks break.
    const broken = Buffer.concat([
      Buffer.from(
        encode(
          rows.slice(0, 1).map((r) => ({ ...r, description: 'x' })),
          PLAIN,
        ).slice(0, -1),
      ),
      Buffer.from([0xc3]),
      Buffer.from('y\n'),
    ]);
    const whole = await outcome(readLedger('ledger.csv', [broken]));
    expect(whole.entries?.[0]?.description).toBe('x\ufffdy');
    for (let at = 0; at <= broken.length; at += 1) expect(await outcome(readLedger('ledger.csv', cutAt(broken, [at])))).toEqual(whole);
    await fc.assert(
      fc.asyncProperty(goodRows, style, fc.array(fc.nat(), { maxLength: 8 }), async (generated, s, cuts) => {
        const bytes = Buffer.from(encode(generated, s));
        const whole = await outcome(readLedger('ledger.csv', [bytes]));
        expect(
          await outcome(
            readLedger(
              'ledger.csv',
              cutAt(
                bytes,
                cuts.map((c) => c % (bytes.length + 1)),
              ),
            ),
          ),
        ).toEqual(whole);
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(5511) },
    );
  });

  /** A bad row of each class, as a change to one generated row (the fault the reader gives it). */
  const BAD: [string, (r: Row) => Row, RegExp][] = [
    ['an unknown currency', (r) => ({ ...r, currency: 'XXX' }), /field "currency" "XXX" is not a known ISO 4217 currency/],
    ['too many decimals', (r) => ({ ...r, currency: 'EUR', amount: '1.234' }), /field "amount" amount "1.234" has 3 decimal places; EUR allows 2/],
    ['a float amount', (r) => ({ ...r, amount: '1e3' }), /field "amount" "1e3" is not a signed decimal amount/],
    ['an empty amount', (r) => ({ ...r, amount: ' ' }), /field "amount" is empty/],
    ['an impossible booking date', (r) => ({ ...r, bookingDate: '2023-02-29' }), /field "bookingDate" "2023-02-29" is not a date YYYY-MM-DD/],
    ['a value date in another format', (r) => ({ ...r, valueDate: '10/06/2025' }), /field "valueDate" "10\/06\/2025" is not a date YYYY-MM-DD/],
    ['an empty entry id', (r) => ({ ...r, entryId: '' }), /field "entryId" is empty/],
    ['a card number as the account', (r) => ({ ...r, accountId: '4111111111111111' }), /field "accountId" is a card number \(PCI-3\)/],
    ['an over-long description', (r) => ({ ...r, description: 'd'.repeat(1001) }), /field "description" is longer than 1000 characters/],
  ];

  it.each(BAD)('refuses %s with the same fault at the same line, plain, quoted, CRLF, BOM or chunked', async (_name, spoil, fault) => {
    await fc.assert(
      fc.asyncProperty(goodRows, fc.nat(), style, fc.nat(), async (rows, pick, s, cut) => {
        const at = pick % rows.length;
        const bad = rows.map((r, i) => (i === at ? spoil(r) : r));
        const plain = await outcome(readLedgerFile(fileOf(encode(bad, PLAIN))));
        expect(plain.error).toEqual({ line: at + 2, fault: expect.stringMatching(fault), kind: expect.any(String) });
        expect(await outcome(readLedgerFile(fileOf(encode(bad, s))))).toEqual(plain);
        const bytes = Buffer.from(encode(bad, s));
        expect(await outcome(readLedger('ledger.csv', cutAt(bytes, [cut % (bytes.length + 1)])))).toEqual(plain);
      }),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(5512) },
    );
  });

  it('refuses a repeated entry id naming the first line, whether ids arrive in order or not', async () => {
    await fc.assert(
      fc.asyncProperty(goodRows, fc.nat(), fc.nat(), style, async (rows, first, second, s) => {
        fc.pre(rows.length >= 2);
        const a = first % rows.length;
        const b = second % rows.length;
        fc.pre(a < b);
        const bad = rows.map((r, i) => (i === b ? { ...r, entryId: rows[a]!.entryId, accountId: rows[a]!.accountId } : r));
        const plain = await outcome(readLedgerFile(fileOf(encode(bad, PLAIN))));
        expect(plain.error).toEqual({ line: b + 2, fault: `field "entryId" "${rows[a]!.entryId.trim()}" repeats the entry at line ${a + 2} of account ${rows[a]!.accountId}`, kind: 'invalid-row' });
        expect(await outcome(readLedgerFile(fileOf(encode(bad, s))))).toEqual(plain);
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(5513) },
    );
    // The same id under two accounts is two entries, in order or not.
    for (const ids of [
      ['A1', 'A2', 'A1'],
      ['B2', 'B1', 'B2'],
    ]) {
      const rows = ids.map((entryId, i) => ({
        entryId,
        accountId: i === 2 ? 'GB00TWO' : 'GB00ONE',
        currency: 'EUR',
        amount: '1',
        bookingDate: '2024-02-29',
        valueDate: '2024-02-29',
        reference: '',
        description: '',
      }));
      expect((await readLedgerFile(fileOf(encode(rows, PLAIN)))).entries.map((e) => `${e.accountId}/${e.entryId}`)).toEqual(rows.map((r) => `${r.accountId}/${r.entryId}`));
    }
  });

  it('refuses a row with a cell too many or too few, and a quote inside an unquoted cell, at its line', async () => {
    await fc.assert(
      fc.asyncProperty(goodRows, fc.nat(), fc.constantFrom('extra', 'short', 'quote'), async (rows, pick, kind) => {
        const at = pick % rows.length;
        const lines = encode(rows, PLAIN).split('\n');
        const line = lines[at + 1]!;
        lines[at + 1] = kind === 'extra' ? `${line},x` : kind === 'short' ? line.slice(0, line.lastIndexOf(',')) : `${line}x"y`;
        const { error } = await outcome(readLedgerFile(fileOf(lines.join('\n'))));
        expect(error?.line).toBe(at + 2);
        expect(error?.fault).toMatch(kind === 'extra' ? /has 9 cells, the header has 8$/ : kind === 'short' ? /has 7 cells, the header has 8 \(truncated row\?\)/ : /quote inside an unquoted cell/);
      }),
      { numRuns: fuzzRuns(60), seed: fuzzSeed(5514) },
    );
  });
});
