/**
 * REC-PERF-1: a big statement file parsed by two threads (src/adapters/embedded/statement-part.ts,
 * the second part on ./statement-part.thread.ts) is parseStatementFile's result: camt.053 and MT940
 * files above STATEMENT_SPLIT_MIN_BYTES come back through the real helper thread and the column
 * hand-over with every line, statement, proof and the hash equal; a broken big file (a fault in
 * either part, a truncation, a byte that is not UTF-8) fails with parseStatementFile's error, the
 * same position and message; the choice of threads follows the format, the size and
 * LEDGERLINE_MAIN_THREAD.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateLabelledSet } from '../../../src/recon/matching';
import { parseStatementFile } from '../../../src/recon/parsers';
import { planSplit } from '../../../src/recon/parsers/parts';
import { parseSplit, parseStatementOnThreads, secondPartOnThread, splitFraction, splitsOnThreads, STATEMENT_SPLIT_MIN_BYTES } from '../../../src/adapters/embedded/statement-part';
import { statementsOf, writeCamt, writeMt940 } from '../../../bench/statement-files';
import { tempDir } from '../../support/runtime';

jest.setTimeout(300_000);

const dir = tempDir('statement-part-thread-');

/** Every field, its order and undefined ones, as a digest (equal digests: equal results) and the text's start (an error's message). */
function serialise(value: unknown): string {
  const text = JSON.stringify(value, (_key, field: unknown) => (field === undefined ? '\u0000undefined' : typeof field === 'bigint' ? `${field}n` : field));
  return `${text.slice(0, 300)} … ${text.length} ${createHash('sha256').update(text).digest('hex')}`;
}

async function outcome(parse: () => Promise<unknown>): Promise<string> {
  try {
    return serialise({ ok: await parse() });
  } catch (error) {
    const e = error as Error & { position?: unknown; fault?: unknown };
    return serialise({ name: e.name, message: e.message, position: e.position, fault: e.fault });
  }
}

/** A statement file of the format just over the size split on two threads. */
function bigFile(format: 'camt' | 'mt940'): string {
  const path = join(dir, `big.${format}`);
  const lines = format === 'camt' ? 20_000 : 80_000;
  const set = generateLabelledSet({ seed: 11, statementLines: lines, accounts: 60 });
  if (format === 'camt') writeCamt(path, statementsOf(set), '2025-06-30');
  else writeMt940(path, statementsOf(set), '2025-06-30');
  expect(statSync(path).size).toBeGreaterThan(STATEMENT_SPLIT_MIN_BYTES);
  return path;
}

let camt: string;
let mt940: string;
beforeAll(() => {
  camt = bigFile('camt');
  mt940 = bigFile('mt940');
});

it.each(['camt', 'mt940'] as const)('a big %s file comes back from the helper thread equal to the one-thread parse', async (format) => {
  const path = format === 'camt' ? camt : mt940;
  const expected = await outcome(() => parseStatementFile(path));
  const plan = await planSplit(path, {});
  expect(plan).toBeDefined();
  // The parts meet on the real thread (no fallback to the one-thread parse)...
  const split = await parseSplit(plan!, secondPartOnThread);
  expect(split).toBeDefined();
  expect(serialise({ ok: split })).toBe(expected);
  // ...and the adapter's parse is the same.
  expect(await outcome(() => parseStatementOnThreads(path))).toBe(expected);
});

it.each([
  ['a fault in the first part', 0.2, ':61:2506100610X'],
  ['a fault in the second part', 0.8, ':61:2506100610X'],
  ['a byte that is not UTF-8 in the second part', 0.9, '\u00ff'],
  ['a truncation', 1, ''],
] as const)('a big broken file fails as on one thread: %s', async (_name, place, text) => {
  for (const source of [camt, mt940]) {
    const bytes = readFileSync(source);
    const at = Math.floor(bytes.length * place);
    const insert = source === camt && text.startsWith(':61:') ? '<Ntry><Amt Ccy="EUR">1.000</Amt></Ntry>' : text;
    const broken =
      place === 1
        ? bytes.subarray(0, bytes.length - 300)
        : Buffer.concat([bytes.subarray(0, bytes.indexOf(10, at) + 1), text === '\u00ff' ? Buffer.from([0xff]) : Buffer.from(`${insert}\n`), bytes.subarray(bytes.indexOf(10, at) + 1)]);
    const path = join(dir, `broken-${Math.round(place * 10)}-${source === camt ? 'camt' : 'mt940'}`);
    writeFileSync(path, broken);
    const expected = await outcome(() => parseStatementFile(path));
    // A byte that is not UTF-8 in an otherwise ASCII file is read as Windows-1252 (REC-IN-7): the whole file decides.
    if (text !== '\u00ff') expect(expected).toMatch(/StatementParseError/);
    expect(await outcome(() => parseStatementOnThreads(path))).toBe(expected);
  }
});

it('cuts camt files in halves and leaves MT940 whole (its split costs more than it saves beside the ledger thread)', async () => {
  expect(splitFraction('camt.053')).toBe(0.5);
  expect(splitFraction('camt.054')).toBe(0.5);
  expect(splitFraction('mt940')).toBeUndefined();
  expect(await planSplit(camt, {}, splitFraction)).toBeDefined();
  expect(await planSplit(mt940, {}, splitFraction)).toBeUndefined();
});

it('splits a big file unless LEDGERLINE_MAIN_THREAD=1; never a small or missing one', () => {
  expect(splitsOnThreads(camt, {})).toBe(true);
  expect(splitsOnThreads(camt, { LEDGERLINE_MAIN_THREAD: '1' })).toBe(false);
  const small = join(dir, 'small.sta');
  writeFileSync(small, ':20:X\n');
  expect(splitsOnThreads(small, {})).toBe(false);
  expect(splitsOnThreads(join(dir, 'missing'), {})).toBe(false);
});
