/**
 * REC-PERF-1: readLedgerFileColumns (the ledger's helper thread reads a file straight into columns)
 * is readLedgerFile: for generated CSV and NDJSON ledgers — ids out of order, ids repeated under
 * one account or several, card numbers as ids that mask alike, bad rows — the rows read from its
 * columns are readLedgerFile's entries (same digest and format), or it fails with the same
 * BadInputError (file, position, fault, kind, message).
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { columnLedgerRows } from '../../../src/recon/ledger-rows';
import { readLedgerFile, readLedgerFileColumns } from '../../../src/recon/run/ledger-file';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from '../../support/runtime';

const FIELDS = ['entryId', 'accountId', 'currency', 'amount', 'bookingDate', 'valueDate', 'reference', 'description'] as const;
type Row = Record<(typeof FIELDS)[number], string>;
const dir = tempDir('ledger-columns-');
let written = 0;

/** Card numbers (Luhn-valid, masked alike: the later id gets #line<N>) and plain ids from a small alphabet (repeats and any order). */
const CARDS = ['4111111111111111', '4111111111111111', '5555555555554444'];
const row = fc.record({
  entryId: fc.oneof(fc.constantFrom('A1', 'A2', 'B1', 'b1', 'C9', 'Z'), fc.constantFrom(...CARDS)),
  accountId: fc.constantFrom('GB00ONE', 'GB00TWO'),
  currency: fc.constantFrom('EUR', 'GBP'),
  amount: fc.constantFrom('1.00', '-0.5', '12.30'),
  bookingDate: fc.constantFrom('2025-06-10', '2024-02-29'),
  valueDate: fc.constantFrom('2025-06-11', ''),
  reference: fc.constantFrom('', 'REF-1', '79927398713', '4111 1111 1111 1111'),
  description: fc.constantFrom('', 'paid', 'card 4111111111111111 paid', 'a, "quoted" one'),
});
/** A row with one bad field (too many decimals, no amount, an impossible date, a card number as the account). */
const badRow = fc
  .tuple(row, fc.constantFrom<[keyof Row, string]>(['amount', '1.234'], ['amount', 'x'], ['bookingDate', '2025-02-30'], ['accountId', '4111111111111111']))
  .map(([r, [field, value]]) => ({ ...r, [field]: value }));
const rows = fc
  .tuple(fc.array(row, { minLength: 1, maxLength: 12 }), fc.option(fc.tuple(badRow, fc.nat()), { freq: 3 }))
  .map(([good, bad]) => (bad ? [...good.slice(0, bad[1] % (good.length + 1)), bad[0], ...good.slice(bad[1] % (good.length + 1))] : good));

function csv(rows: Row[]): string {
  const cell = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return `${FIELDS.join(',')}\n${rows.map((r) => FIELDS.map((f) => cell(r[f])).join(',')).join('\n')}\n`;
}

function fileOf(content: string, ext: string): string {
  const path = join(dir, `ledger-${(written += 1)}.${ext}`);
  writeFileSync(path, content);
  return path;
}

/** A read's outcome: the file, or the fields of its failure. */
async function outcome<T>(read: Promise<T>): Promise<{ value?: T; error?: Record<string, unknown> }> {
  try {
    return { value: await read };
  } catch (error) {
    const e = error as Error & Record<string, unknown>;
    return { error: { name: e.name, message: e.message, file: e.file, position: e.position, fault: e.fault, kind: e.kind } };
  }
}

describe('readLedgerFileColumns', () => {
  it('generated ledgers (ids repeated, out of order, masked alike; bad rows): the columns read back as readLedgerFile, or the same failure', async () => {
    let read = 0;
    let failed = 0;
    let maskedAlike = 0;
    await fc.assert(
      fc.asyncProperty(rows, fc.boolean(), fc.constantFrom(undefined, 8), async (rows, asJson, pieceChars) => {
        const path = asJson ? fileOf(`${rows.map((r) => JSON.stringify(r)).join('\n')}\n`, 'ndjson') : fileOf(csv(rows), 'csv');
        const here = await outcome(readLedgerFile(path));
        const there = await outcome(readLedgerFileColumns(path, { pieceChars }));
        if (here.error) {
          failed += 1;
          expect(there.error).toEqual(here.error);
          return;
        }
        read += 1;
        if (here.value!.entries.some((entry) => entry.entryId.includes('#line'))) maskedAlike += 1;
        const { length, columns, ...file } = there.value!;
        expect({ ...file, entries: columnLedgerRows(length, columns).toArray() }).toStrictEqual(here.value);
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(71207) },
    );
    // Both kinds of outcome were met.
    expect(read).toBeGreaterThan(5);
    expect(failed).toBeGreaterThan(5);
    expect(maskedAlike).toBeGreaterThan(0);
  });

  it('a column of more distinct texts than a shared column holds goes joined as it is read, and reads back the same', async () => {
    const rows = Array.from({ length: 70_000 }, (_, i) => `L${String(i).padStart(6, '0')},GB00ONE,EUR,1.00,2025-06-10,2025-06-10,R${i},`);
    const path = fileOf(`entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n${rows.join('\n')}\n`, 'csv');
    const { length, columns, ...file } = await readLedgerFileColumns(path, { pieceChars: 100_000 });
    expect(columns.map((column) => column.kind)).toEqual(['joined', 'shared', 'shared', 'shared', 'shared', 'shared', 'joined', 'shared']);
    expect(columns[0]!.kind === 'joined' && columns[0]!.pieces.length).toBeGreaterThan(1);
    expect({ ...file, entries: columnLedgerRows(length, columns).toArray() }).toStrictEqual(await readLedgerFile(path));
  });
});
