/**
 * `ledgerline reconcile`'s summary (REC-1): the matched-by-rule and exception rows keep their
 * counts in one column, past the longest name by at least one space, whatever the rule ids and
 * reasons are (a rule set may name its rules at any length); short names keep the column they
 * always had. A run of many statements lists every balance check that differs and counts the rest.
 */
import fc from 'fast-check';
import { BALANCE_ROWS, balanceRows, countRows } from '../../../src/recon/run/cli-commands';

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

describe('balance rows of the reconcile summary', () => {
  const check = fc.record({
    statementId: fc.stringMatching(/^[A-Z0-9]{1,8}:\d{1,3}\/1$/),
    accountId: fc.stringMatching(/^GB\d{2}LEDG\d{6}$/),
    ok: fc.boolean(),
    difference: fc.constantFrom('0.00', '12.34', '-0.01'),
    currency: fc.constantFrom('EUR', 'GBP', 'JPY'),
  });

  it(`property: up to ${BALANCE_ROWS} statements, one row each; past it, every one that differs and a count of the rest, nothing lost`, () => {
    fc.assert(
      fc.property(fc.array(check, { maxLength: 60 }), (checks) => {
        const rows = balanceRows(checks);
        const differing = checks.filter((b) => !b.ok);
        const differRows = rows.filter((row) => row.includes(': DIFFERS by '));
        // Every check that differs is shown, in order, whatever the run's size.
        expect(differRows).toEqual(differing.map((b) => `balance           ${b.statementId} ${b.accountId}: DIFFERS by ${b.difference} ${b.currency}`));
        if (checks.length <= BALANCE_ROWS) {
          expect(rows).toHaveLength(checks.length);
          expect(rows.filter((row) => row.endsWith(': ok'))).toHaveLength(checks.length - differing.length);
        } else {
          expect(rows).toHaveLength(differing.length + 1);
          expect(rows[rows.length - 1]).toMatch(
            new RegExp(`^balance +${checks.length - differing.length} of ${checks.length} statements ok(, ${differing.length} differ \\(above\\))?; every check is in summary.json$`),
          );
          expect(rows[rows.length - 1]!.includes('differ (above)')).toBe(differing.length > 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a check the statement itself makes impossible (its closing balance in another currency) gives the reason on its row, as summary.json does', () => {
    const fault = 'CLBD balance (Document/BkToCstmrStmt/Stmt[1]/Bal[2]) is in SEK, the statement in EUR';
    const camt = { statementId: '253EURNL26VAYB8060476890', accountId: 'NL26VAYB8060476890', currency: 'EUR', ok: false, difference: '-54.00' };
    expect(balanceRows([{ ...camt, fault }])).toEqual([`balance           253EURNL26VAYB8060476890 NL26VAYB8060476890: DIFFERS by -54.00 EUR (${fault})`]);
    // Past ten statements the differing ones are still listed with their reason.
    const ok = { ...camt, ok: true, difference: '0.00' };
    expect(balanceRows([...Array.from({ length: BALANCE_ROWS }, () => ok), { ...camt, fault }])[0]).toContain(`DIFFERS by -54.00 EUR (${fault})`);
  });
});
