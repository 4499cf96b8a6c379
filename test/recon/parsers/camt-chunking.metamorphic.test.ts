/**
 * Metamorphic: a camt document read in any chunking is the same document (REC-PERF-1 reading
 * speed must not depend on where the reads cut the text). Pushed whole, one character at a time,
 * or in random pieces, the camt reader gives the same lines (same fields, values and key order),
 * the same statement summaries and balances, or the same error (fault, line, element; REC-IN-2),
 * for every real sample, generated statements (batches included) and broken variants of them.
 */
import * as fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { CamtParser } from '../../../src/recon/parsers/camt';
import type { StatementSummary } from '../../../src/recon/parsers/common';
import { StatementParseError, type StatementLine } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { shared } from './support/fixtures';
import { camt, camtDetails, camtEntry } from './support/statements';

interface Read {
  lines: { statement: number; keys: string[]; line: StatementLine }[];
  statements: StatementSummary[];
  error?: { fault: string; position: unknown };
}

function read(chunks: readonly string[]): Read {
  const out: Read = { lines: [], statements: [] };
  const parser = new CamtParser(
    { file: 'statement.xml', hashPrefix: 'abcdef012345', format: 'camt.053' },
    {
      line: (statement, line) => out.lines.push({ statement, keys: Object.keys(line), line }),
      statement: (summary) => out.statements.push(summary),
    },
  );
  try {
    for (const chunk of chunks) parser.push(chunk);
    parser.end();
  } catch (error) {
    if (!(error instanceof StatementParseError)) throw error;
    out.error = { fault: error.fault, position: error.position };
  }
  return out;
}

/**
 * The outcome that cannot depend on chunking: an error alone, else everything read. One detail
 * does depend on it, as it always has: a pushed chunk is checked for control characters before it
 * is read, so that error names the elements open where the chunk starts (its line is exact).
 */
function outcome(chunks: readonly string[]): Read | { error: Read['error'] } {
  const result = read(chunks);
  if (!result.error) return result;
  if (result.error.fault.includes('control character')) return { error: { ...result.error, position: { ...(result.error.position as object), element: '(open elements where the chunk starts)' } } };
  return { error: result.error };
}

function pieces(text: string, sizes: readonly number[]): string[] {
  const chunks: string[] = [];
  for (let at = 0, k = 0; at < text.length; k++) {
    const size = sizes.length === 0 ? text.length : 1 + (sizes[k % sizes.length]! % text.length);
    chunks.push(text.slice(at, at + size));
    at += size;
  }
  return chunks;
}

const SAMPLES = readdirSync(shared('camt'))
  .filter((f) => f.endsWith('.xml'))
  .map((f) => [f, readFileSync(shared(`camt/${f}`), 'utf8')] as const);

const BATCH = camtEntry(
  '3.00',
  'CRDT',
  `<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch><TxDtls><Refs><EndToEndId>E-1</EndToEndId></Refs><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></TxDtls><TxDtls><Refs><EndToEndId>E-2</EndToEndId></Refs><Amt Ccy="EUR">2.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>Second &amp; last</Ustrd></RmtInf></TxDtls></NtryDtls>`,
);

const entry = fc
  .tuple(fc.integer({ min: 1, max: 99_999 }), fc.constantFrom<'CRDT' | 'DBIT'>('CRDT', 'DBIT'), fc.constantFrom('E2E-1', 'NOTPROVIDED', 'x&amp;y'), fc.boolean())
  .map(([cents, indicator, e2e, batch]) =>
    batch
      ? BATCH
      : camtEntry((cents / 100).toFixed(2), indicator, camtDetails({ e2e, ref: 'INSTR-1', ustrd: ['Invoice   42', ' second line '], name: 'A Customer Name Ltd', acctSvcrRef: `REF${cents}` })),
  );

/** A statement, sometimes broken: a character dropped, or something inserted, somewhere. */
const documents = fc
  .tuple(
    fc.array(entry, { minLength: 1, maxLength: 6 }),
    fc.constantFrom('none', 'drop', 'insert'),
    fc.nat(),
    fc.constantFrom('<', '</Ntry>', '&', '\u0001', '<Amt>', 'x'.repeat(300), '<!-- c -->', '\r\n', '<X/>'),
  )
  .map(([entries, mutation, at, insert]) => {
    const text = camt({ entries });
    const i = at % text.length;
    if (mutation === 'drop') return text.slice(0, i) + text.slice(i + 1);
    if (mutation === 'insert') return text.slice(0, i) + insert + text.slice(i);
    return text;
  });

describe('camt reader: the same result in any chunking', () => {
  it.each(SAMPLES)('%s: whole, one character at a time, and in pieces of 2 to 97', (_name, text) => {
    const whole = outcome([text]);
    expect(outcome(pieces(text, [1]))).toStrictEqual(whole);
    expect(outcome(pieces(text, [1, 96, 3, 40, 17]))).toStrictEqual(whole);
  });

  it('generated statements, valid and broken, in random pieces', () => {
    fc.assert(
      fc.property(documents, fc.array(fc.nat({ max: 200 }), { maxLength: 8 }), (text, sizes) => {
        expect(outcome(pieces(text, sizes))).toStrictEqual(outcome([text]));
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(20261207) },
    );
  });

  it('the generated statements read (not all refused): the property compares lines', () => {
    const text = camt({ entries: [BATCH, camtEntry('1.00', 'DBIT')] });
    const result = read(pieces(text, [5]));
    expect(result.error).toBeUndefined();
    expect(result.lines.map((l) => [l.line.amount, l.line.endToEndId, l.line.remittanceInformation])).toEqual([
      ['1.00', 'E-1', undefined],
      ['2.00', 'E-2', 'Second & last'],
      ['-1.00', undefined, undefined],
    ]);
    expect(new Set(result.lines.map((l) => l.keys.join()))).toHaveProperty('size', 1);
  });
});
