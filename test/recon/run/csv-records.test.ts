/**
 * The CSV record reader of the ledger file and the workbench import (src/recon/run/csv.ts,
 * csvRecords): a BOM before the first line is ignored as by every reader (ING-1); a line or a
 * record past its bound is a CsvSyntaxError naming its first line (REC-IN-1), at the limit it is
 * read; faults name the line and never quote a cell (PCI-3).
 */
import * as fc from 'fast-check';
import { CSV_LIMITS } from '../../../src/recon/parsers/limits';
import { csvRecords, CsvSyntaxError, type CsvRecord } from '../../../src/recon/run/csv';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

async function* linesOf(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

async function read(lines: string[], limits?: { line: number; record: number }): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const record of csvRecords(linesOf(lines), limits)) out.push(record);
  return out;
}

async function refusal(lines: string[], limits?: { line: number; record: number }): Promise<CsvSyntaxError> {
  try {
    await read(lines, limits);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a CsvSyntaxError');
}

describe('csvRecords', () => {
  it('ignores a UTF-8 BOM before the first line, and only there', async () => {
    expect(await read(['\ufeffentryId,amount', 'E1,1.00'])).toEqual([
      { cells: ['entryId', 'amount'], line: 1 },
      { cells: ['E1', '1.00'], line: 2 },
    ]);
    expect((await read(['a,b', '\ufeffE1,1.00']))[1]!.cells[0]).toBe('\ufeffE1');
  });

  it('reads the same records with or without a BOM, CR before the break or not (generated)', async () => {
    const cell = fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n"]/g, ''));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), fc.boolean(), fc.boolean(), async (rows, bom, cr) => {
        const lines = rows.map((cells) => cells.map((c) => `"${c}"`).join(','));
        const spelled = lines.map((l, i) => `${i === 0 && bom ? '\ufeff' : ''}${l}${cr ? '\r' : ''}`);
        expect(await read(spelled)).toEqual(await read(lines));
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(8201) },
    );
  });

  it(`a line of ${CSV_LIMITS.line} characters is read; one more is refused naming its line`, async () => {
    expect((await read(['a', 'x'.repeat(CSV_LIMITS.line)]))[1]!.cells[0]).toHaveLength(CSV_LIMITS.line);
    const error = await refusal(['a', 'b', 'x'.repeat(CSV_LIMITS.line + 1)]);
    expect([error.line, error.fault]).toEqual([3, `the line is longer than ${CSV_LIMITS.line} characters`]);
    expect(error.message).not.toMatch(/xxxxxxxx/);
  });

  it('a record over lines is bounded as a whole: at the limit it is read, one more is refused naming its first line', async () => {
    const limits = { line: 100, record: 250 };
    // Record text: `"` + 3 lines + `"` with 2 breaks between them.
    const record = (length: number): string[] => {
      const inner = length - 2 - 2;
      const a = Math.floor(inner / 3);
      return [`"${'a'.repeat(a)}`, 'b'.repeat(a), `${'c'.repeat(inner - 2 * a)}"`];
    };
    expect((await read(['h', ...record(250)], limits))[1]!.cells[0]).toHaveLength(250 - 2);
    const error = await refusal(['h', ...record(251)], limits);
    expect([error.line, error.fault]).toEqual([2, 'the record that starts at line 2 is longer than 250 characters (an unterminated quote?)']);
  });

  it('an unterminated quote over many lines is refused at the record bound, not read to the end', async () => {
    let served = 0;
    async function* endless(): AsyncGenerator<string> {
      yield 'h';
      yield '"open';
      for (;;) {
        served++;
        yield 'more text';
      }
    }
    let error: unknown;
    try {
      for await (const record of csvRecords(endless())) void record;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect((error as CsvSyntaxError).line).toBe(2);
    expect(served).toBeLessThanOrEqual(Math.ceil(CSV_LIMITS.record / 'more text\n'.length) + 1);
  });
});
