/**
 * REC-PERF-1: a ledger file read on its helper thread (src/adapters/embedded/ledger-file.thread.ts)
 * is the ledger file read here. Generated ledgers (CSV and NDJSON; cells with quotes, commas, line
 * breaks, NUL, non-ASCII text, Luhn-valid references and card numbers to mask) come back through
 * the column transfer deep-equal to readLedgerFile's, with the same digest; every class of bad
 * input comes back as the same BadInputError (file, position, fault, kind, message); the choice of
 * thread follows the file's size and LEDGERLINE_MAIN_THREAD.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { decodeLedgerFailure, decodeLedgerFile, encodeLedgerFailure, type LedgerThreadMessage } from '../../../src/adapters/embedded/ledger-file-transfer';
import { MAX_SHARED_TEXTS } from '../../../src/recon/ledger-rows';
import { encodeLedgerFile } from '../../support/ledger-columns';
import { fileLedgerSource, LEDGER_THREAD_MIN_BYTES, readLedgerFileOnThread, readsOnThread, startLedgerFileRead } from '../../../src/adapters/embedded/recon-ledger-source';
import { ledgerFileSideOf, readLedgerFile, type LedgerFile, type LedgerFileRows } from '../../../src/recon/run/ledger-file';
import { BadInputError } from '../../../src/recon/run/errors';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from '../../support/runtime';

jest.setTimeout(120_000);

const FIELDS = ['entryId', 'accountId', 'currency', 'amount', 'bookingDate', 'valueDate', 'reference', 'description'] as const;
type Row = Record<(typeof FIELDS)[number], string>;
const dir = tempDir('ledger-thread-');
let written = 0;

/** Free text: quotes, commas, line breaks, NUL, non-ASCII, astral characters, spaces to trim. */
const text = fc.array(fc.constantFrom('a', 'Z', '7', ' ', '"', ',', '\n', '\r\n', '\u0000', 'é', '€', '𝟘', '.', '\t'), { maxLength: 14 }).map((chars) => chars.join(''));
/** Luhn-valid numbers: a bank reference (PCI-2) or a card number in free text (masked, PCI-3). */
const LUHN = ['4111111111111111', '5555555555554444', '79927398713', '378282246310005'];
const row = fc.record({
  entryId: fc.oneof(
    fc.array(fc.constantFrom('A', 'b', '1', '9', '-', '_', 'é', ','), { minLength: 1, maxLength: 8 }).map((chars) => chars.join('')),
    fc.constantFrom(...LUHN),
  ),
  accountId: fc.constantFrom('GB00ONE', 'GB00TWO', 'NL91ABNA0417164300', ' padded '),
  currency: fc.constantFrom('EUR', 'JPY', 'BHD'),
  amount: fc.constantFrom('1', '-0.5', '+12.30', '0', '100000000000', '-7'),
  bookingDate: fc.constantFrom('2024-02-29', '2025-06-10', '2000-01-01'),
  valueDate: fc.constantFrom('2024-02-29', '2025-06-11'),
  reference: fc.oneof(text, fc.constantFrom(...LUHN)),
  description: fc.oneof(text, fc.constantFrom(...LUHN.map((n) => `card ${n} paid`))),
});
const goodRows = fc
  .uniqueArray(row, { selector: (r) => `${r.accountId.trim()}\u0000${r.entryId}`, minLength: 1, maxLength: 30 })
  .map((rows) => rows.map((r) => (r.currency === 'JPY' && r.amount.includes('.') ? { ...r, amount: '3' } : r)));

function csv(rows: Row[]): string {
  const cell = (value: string): string => (/[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value);
  return `${FIELDS.join(',')}\n${rows.map((r) => FIELDS.map((f) => cell(r[f])).join(',')).join('\n')}\n`;
}

function ndjson(rows: Row[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

function fileOf(content: string, ext = 'csv'): string {
  const path = join(dir, `ledger-${(written += 1)}.${ext}`);
  writeFileSync(path, content);
  return path;
}

/** The message as the thread's port delivers it: structured clone, buffers transferred. */
function throughPort(message: LedgerThreadMessage, transfer: ArrayBuffer[] = []): LedgerThreadMessage {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(message, transfer);
    return receiveMessageOnPort(port2)!.message as LedgerThreadMessage;
  } finally {
    port1.close();
  }
}

function transferred(file: LedgerFile, pieceChars?: number): LedgerFile {
  const { message, transfer } = encodeLedgerFile(file, { pieceChars });
  const received = throughPort(message, transfer);
  if (received.type !== 'ledger-file') throw new Error('expected a ledger file');
  return decodeLedgerFile(received);
}

/** What a reader threw, as every field a caller sees. */
function failure(error: unknown): Record<string, unknown> {
  if (!(error instanceof BadInputError)) throw error;
  return { badInput: true, name: error.name, file: error.file, position: error.position, fault: error.fault, kind: error.kind, message: error.message };
}

/** A ledger file read on the helper thread (its entries as rows) with its entries as objects, to compare with readLedgerFile's. */
function withEntries({ rows, ...rest }: LedgerFileRows): LedgerFile {
  return { ...rest, entries: rows.toArray() };
}

async function outcome(read: Promise<LedgerFile>): Promise<{ file?: LedgerFile; error?: Record<string, unknown> }> {
  try {
    return { file: await read };
  } catch (error) {
    return { error: failure(error) };
  }
}

function transferredFailure(error: unknown): Record<string, unknown> {
  const received = throughPort(encodeLedgerFailure(error));
  if (received.type !== 'ledger-failure') throw new Error('expected a failure');
  return failure(decodeLedgerFailure(received));
}

/** One file of every class of bad input the reader names. */
const BAD: Record<string, { content: string; ext?: string }> = {
  'too many decimals': { content: `${FIELDS.join(',')}\nE1,GB00ONE,EUR,1.234,2025-06-10,2025-06-10,r,d\n` },
  'a card number quoted in a fault': { content: `${FIELDS.join(',')}\nE1,GB00ONE,EUR,4111111111111111.123,2025-06-10,2025-06-10,r,d\n` },
  'unknown currency': { content: `${FIELDS.join(',')}\nE1,GB00ONE,XXQ,1.00,2025-06-10,2025-06-10,r,d\n` },
  'not a date': { content: `${FIELDS.join(',')}\nE1,GB00ONE,EUR,1.00,2025-02-30,2025-06-10,r,d\n` },
  'an empty required field': { content: `${FIELDS.join(',')}\n,GB00ONE,EUR,1.00,2025-06-10,2025-06-10,r,d\n` },
  'a card number as the account': { content: `${FIELDS.join(',')}\nE1,4111111111111111,EUR,1.00,2025-06-10,2025-06-10,r,d\n` },
  'a repeated entry id': {
    content: `${FIELDS.join(',')}\nE2,GB00ONE,EUR,1.00,2025-06-10,2025-06-10,r,d\nE1,GB00ONE,EUR,1.00,2025-06-10,2025-06-10,r,d\nE2,GB00ONE,EUR,2.00,2025-06-10,2025-06-10,r,d\n`,
  },
  'a truncated row': { content: `${FIELDS.join(',')}\nE1,GB00ONE,EUR,1.00\n` },
  'a row with too many cells': { content: `${FIELDS.join(',')}\nE1,GB00ONE,EUR,1.00,2025-06-10,2025-06-10,r,d,extra\n` },
  'a header without columns': { content: 'entryId,amount\nE1,1.00\n' },
  'a quoted cell never closed': { content: `${FIELDS.join(',')}\nE1,GB00ONE,EUR,1.00,2025-06-10,2025-06-10,"r,d\n` },
  'a line too long': { content: `${FIELDS.join(',')}\nE1,GB00ONE,EUR,1.00,2025-06-10,2025-06-10,r,${'d'.repeat(70_000)}\n` },
  'an empty file': { content: '\n\n' },
  'invalid JSON': { content: '{"entryId":"E1","amount":1x}\n', ext: 'ndjson' },
  'a truncated JSON line': { content: '{"entryId":"E1","accountId":"GB00ONE"\n', ext: 'ndjson' },
  'a JSON number as the amount': {
    content: `${JSON.stringify({ entryId: 'E1', accountId: 'GB00ONE', currency: 'EUR', amount: 1, bookingDate: '2025-06-10', valueDate: '2025-06-10' })}\n`,
    ext: 'ndjson',
  },
  'not a JSON object': { content: '["E1"]\n', ext: 'ndjson' },
};

describe('the ledger file through the column transfer', () => {
  it('generated CSV and NDJSON ledgers come back deep-equal, with the same digest', async () => {
    await fc.assert(
      fc.asyncProperty(goodRows, fc.boolean(), fc.integer({ min: 1, max: 64 }), async (rows, asJson, pieceChars) => {
        const path = asJson ? fileOf(ndjson(rows), 'ndjson') : fileOf(csv(rows));
        const here = await readLedgerFile(path);
        expect(here.entries).toHaveLength(rows.length);
        // Small pieces: a joined column split over many pieces reads the same.
        for (const piece of [undefined, pieceChars]) {
          const there = transferred(here, piece);
          expect(there).toEqual(here);
          // The same field order in every entry (one object shape, and the same result bytes downstream).
          for (const [i, entry] of there.entries.entries()) expect(Object.keys(entry)).toEqual(Object.keys(here.entries[i]!));
        }
      }),
      { numRuns: fuzzRuns(150), seed: fuzzSeed(20261206) },
    );
  });

  it('a column of more distinct texts than a shared column holds travels joined, and reads the same', async () => {
    const rows = MAX_SHARED_TEXTS + 10;
    const lines = [FIELDS.join(',')];
    for (let i = 0; i < rows; i += 1) lines.push(`E${String(i).padStart(7, '0')},GB00ONE,EUR,${i}.01,2025-06-10,2025-06-10,R${i},shared text`);
    const here = await readLedgerFile(fileOf(`${lines.join('\n')}\n`));
    const { message } = encodeLedgerFile(here);
    expect(message.columns.map((column) => column.kind)).toEqual(['joined', 'shared', 'shared', 'joined', 'shared', 'shared', 'joined', 'shared']);
    const there = transferred(here);
    // (isDeepStrictEqual: jest's toEqual takes seconds over 65,000 entries.)
    expect(isDeepStrictEqual(there, here)).toBe(true);
    expect(isDeepStrictEqual(there.entries.slice(0, -1), here.entries.slice(1))).toBe(false);
    // Repeated texts stay one string each, as the reader keeps them (a million entries stay small).
    expect(new Set(there.entries.map((entry) => entry.description)).size).toBe(1);
  });

  it.each(Object.keys(BAD))('%s: the same BadInputError comes back', async (name) => {
    const path = fileOf(BAD[name]!.content, BAD[name]!.ext);
    const here = await outcome(readLedgerFile(path));
    expect(here.error).toBeDefined();
    expect(transferredFailure(await readLedgerFile(path).catch((error: unknown) => error))).toEqual(here.error);
    expect(JSON.stringify(here.error)).not.toContain('4111111111111111');
  });

  it('any other failure comes back with its name, message and code', () => {
    const error = Object.assign(new Error('EACCES: permission denied, open /x'), { code: 'EACCES' });
    const received = throughPort(encodeLedgerFailure(error));
    expect(received.type).toBe('ledger-failure');
    const back = decodeLedgerFailure(received as Extract<LedgerThreadMessage, { type: 'ledger-failure' }>);
    expect(back).not.toBeInstanceOf(BadInputError);
    expect({ name: back.name, message: back.message, code: (back as { code?: string }).code }).toEqual({ name: 'Error', message: error.message, code: 'EACCES' });
  });
});

describe('the ledger file on its helper thread', () => {
  it('generated ledgers read on the thread equal the ledger read here (entries, digest, format)', async () => {
    await fc.assert(
      fc.asyncProperty(goodRows, fc.boolean(), async (rows, asJson) => {
        const path = asJson ? fileOf(ndjson(rows), 'ndjson') : fileOf(csv(rows));
        const there = await readLedgerFileOnThread(path).file;
        expect(there.rows.length).toBe(rows.length);
        expect(withEntries(there)).toEqual(await readLedgerFile(path));
      }),
      { numRuns: fuzzRuns(3), seed: fuzzSeed(61206) },
    );
  });

  it.each(['too many decimals', 'a card number as the account', 'a truncated JSON line', 'an empty file'])('%s: the thread fails with the same BadInputError', async (name) => {
    const path = fileOf(BAD[name]!.content, BAD[name]!.ext);
    const here = await outcome(readLedgerFile(path));
    expect(here.error).toBeDefined();
    expect(await outcome(readLedgerFileOnThread(path).file.then(withEntries))).toEqual(here);
  });

  it('a missing file fails on the thread as it does here', async () => {
    const path = join(dir, 'missing.csv');
    expect(await outcome(readLedgerFileOnThread(path).file.then(withEntries))).toEqual(await outcome(readLedgerFile(path)));
  });

  it('a file of LEDGER_THREAD_MIN_BYTES or more is read on the thread, unless LEDGERLINE_MAIN_THREAD=1; its ledger side is the one read here', async () => {
    const small = fileOf(csv([{ entryId: 'E1', accountId: 'GB00ONE', currency: 'EUR', amount: '1', bookingDate: '2025-06-10', valueDate: '2025-06-10', reference: 'r', description: 'd' }]));
    const lines = [FIELDS.join(',')];
    for (let i = 0; lines.length * 64 < LEDGER_THREAD_MIN_BYTES + 64 * 1000; i += 1)
      lines.push(`E${String(i).padStart(8, '0')},GB00ACC${i % 7},EUR,${i}.25,2025-06-1${i % 10},2025-06-10,REF-${i},desc ${i % 100}`.padEnd(63, ' '));
    const large = fileOf(`${lines.join('\n')}\n`);
    expect(readsOnThread(small, {})).toBe(false);
    expect(readsOnThread(large, {})).toBe(true);
    expect(readsOnThread(large, { LEDGERLINE_MAIN_THREAD: '1' })).toBe(false);
    expect(readsOnThread(join(dir, 'missing.csv'), {})).toBe(false);
    expect(readsOnThread(dir, {})).toBe(false);
    const read = startLedgerFileRead(large);
    expect(read.threaded).toBe(true);
    const there = await read.file;
    const here = await readLedgerFile(large);
    expect(there.rows.length).toBeGreaterThan(100_000);
    expect(isDeepStrictEqual(withEntries(there), here)).toBe(true);
    const side = ledgerFileSideOf(large, here);
    const source = await fileLedgerSource(large);
    const accounts = new Set(['GB00ACC3', 'GB00ACC5', 'GB00NONE']);
    const entries = await source.entries(accounts);
    expect(entries.length).toBeGreaterThan(30_000);
    expect(isDeepStrictEqual(entries.toArray(), side.entries(accounts).toArray())).toBe(true);
    expect(await source.digest(accounts)).toBe(side.digest(accounts));
    expect(await source.knows('GB00ACC6')).toBe(true);
    expect(await source.knows('GB00NONE')).toBe(false);
    expect(source.unknownAccountFault('GB00NONE')).toBe(side.unknownAccountFault('GB00NONE'));
  });

  it('stop() ends a thread still reading: the process is not held', async () => {
    const lines = [FIELDS.join(',')];
    for (let i = 0; i < 200_000; i += 1) lines.push(`E${String(i).padStart(8, '0')},GB00ONE,EUR,${i}.25,2025-06-10,2025-06-10,REF-${i},d`);
    const read = readLedgerFileOnThread(fileOf(`${lines.join('\n')}\n`));
    read.stop();
    await expect(read.file).rejects.toThrow(/exited/);
  });
});
