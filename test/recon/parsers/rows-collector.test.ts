/**
 * REC-PERF-1: a file read as rows (parseStatementFileAsRows: the run's statement sources) holds the
 * same statements and lines as the same file read as objects (parseStatementFile), file rows and
 * each statement's rows alike: lines that come statement after statement (MT940) and lines whose
 * statements come mixed (a CSV whose accounts and currencies alternate), generated and real.
 */
import fc from 'fast-check';
import { parseStatementFile, parseStatementFileAsRows } from '../../../src/recon/parsers';
import type { ParsedStatementFile } from '../../../src/recon/types';
import type { ParsedStatementRows } from '../../../src/recon/statement-rows';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { MT940_SAMPLES, own, shared, tempDir } from './support/fixtures';

function expectSame(rows: ParsedStatementRows, objects: ParsedStatementFile): void {
  expect({ file: rows.file, format: rows.format, contentHash: rows.contentHash }).toEqual({ file: objects.file, format: objects.format, contentHash: objects.contentHash });
  expect(rows.rows.toArray()).toEqual(objects.statements.flatMap((s) => s.lines));
  expect(rows.statements.map((s) => ({ statementId: s.statementId, accountId: s.accountId, currency: s.currency, balance: s.balance, lines: s.rows.toArray() }))).toEqual(
    objects.statements.map((s) => ({ statementId: s.statementId, accountId: s.accountId, currency: s.currency, balance: s.balance, lines: s.lines })),
  );
}

const dir = tempDir('rows-collector');
afterAll(() => dir.cleanup());

describe('statement files read as rows (REC-PERF-1)', () => {
  it('real files: MT940/MT942 samples and our CSV exports, rows as the objects', async () => {
    const files: [string, string | undefined][] = [
      ...MT940_SAMPLES.map((path): [string, undefined] => [shared(`mt940/${path}`), undefined]),
      [own('generic-signed.csv'), 'generic-signed'],
      [own('generic-debit-credit.csv'), 'generic-debit-credit'],
    ];
    for (const [path, profile] of files) {
      const options = profile ? { profile } : {};
      expectSame(await parseStatementFileAsRows(path, options), await parseStatementFile(path, options));
    }
  });

  it('property: a CSV whose accounts and currencies come in any order reads as rows as it does as objects', async () => {
    const ACCOUNTS = ['GB29NWBK60161331926819', 'DE89370400440532013000', 'NL91ABNA0417164300'];
    const lineArb = fc.record({ account: fc.nat(2), currency: fc.constantFrom('EUR', 'GBP'), cents: fc.integer({ min: -99_999, max: 99_999 }), day: fc.integer({ min: 1, max: 28 }) });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { minLength: 1, maxLength: 30 }), async (lines) => {
        n += 1;
        const body = lines.map((l, i) => `${ACCOUNTS[l.account]},${l.currency},2025-06-${String(l.day).padStart(2, '0')},,${(l.cents / 100).toFixed(2)},E2E-${i},BR-${i},,line ${i},`);
        const path = dir.write(`mixed-${n}.csv`, `account,currency,booking_date,value_date,amount,end_to_end_id,bank_reference,customer_reference,description,counterparty\n${body.join('\n')}\n`);
        expectSame(await parseStatementFileAsRows(path, { profile: 'generic-signed' }), await parseStatementFile(path, { profile: 'generic-signed' }));
      }),
      { numRuns: fuzzRuns(60), seed: fuzzSeed(2026) },
    );
  });
});
