/**
 * `ledgerline reconcile`'s summary (REC-OUT-1): the matched-by-rule and exception rows keep their
 * counts in one column, past the longest name by at least one space, whatever the rule ids and
 * reasons are (a rule set may name its rules at any length); short names keep the column they
 * always had.
 */
import fc from 'fast-check';
import { countRows } from '../../../src/recon/run/cli-commands';

describe('count rows of the reconcile summary', () => {
  it('property: each row is its name, then spaces, then its count, every count in the same column', () => {
    const name = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/\s/.test(s));
    fc.assert(
      fc.property(fc.dictionary(name, fc.nat()), (counts) => {
        const rows = countRows(counts);
        const entries = Object.entries(counts);
        expect(rows).toHaveLength(entries.length);
        const columns = new Set<number>();
        rows.forEach((row, i) => {
          const [label, n] = entries[i]!;
          expect(row.startsWith(`  ${label} `)).toBe(true);
          expect(row.endsWith(String(n))).toBe(true);
          const column = row.length - String(n).length;
          expect(row.slice(2 + label.length, column).trim()).toBe('');
          columns.add(column);
        });
        expect(columns.size).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('the rule ids of a real run: the long ones no longer run into their counts, the short ones keep column 18', () => {
    expect(countRows({ 'e2e-exact': 29982, 'batch-by-shared-reference': 647, 'reference-tolerance': 1950 })).toEqual([
      '  e2e-exact                 29982',
      '  batch-by-shared-reference 647',
      '  reference-tolerance       1950',
    ]);
    expect(countRows({ UNMATCHED: 1416, STALE: 700 })).toEqual(['  UNMATCHED       1416', '  STALE           700']);
  });
});
