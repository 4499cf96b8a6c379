/**
 * Every bad-input kind through the CLI (`ledgerline reconcile` in process, one child process for the
 * exit status as the shell sees it): a clear error naming the file and the line or element,
 * exit code 2, the file copied to <out>/quarantine/ with <name>.reason.txt, and nothing from
 * the run recorded (no results, no registry, no DuckDB rows).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { queryStore } from '../../support/analytics-store';
import { cli } from '../../support/cli';
import { runCli } from '../../support/cli-in-process';
import { tempDir } from '../../support/runtime';
import { BAI2_UNKNOWN, CAMT053, CAMT_WRONG, FIXTURES, LEDGER_ROWS, listing, MT940, read, writeLedger, writeState, writeText } from './helpers';

const root = tempDir('recon-bad-');
const ledger = writeLedger(root);
let counter = 0;

interface Case {
  /** The file that must end up in quarantine. */
  bad: string;
  args: string[];
  /** Everything the error must say (file, line / element, fault). */
  says: string[];
  problem: string;
}

async function expectRejected(c: Case, out: string): Promise<void> {
  const result = await runCli(['reconcile', ...c.args, '--out', out, '--json'], { processStreams: true });
  expect(result.status).toBe(2);
  expect(result.stdout).toBe('');
  for (const text of c.says) expect(result.stderr).toContain(text);
  const name = c.bad.slice(c.bad.lastIndexOf('/') + 1);
  expect(readFileSync(join(out, 'quarantine', name))).toEqual(readFileSync(c.bad));
  const reason = read(join(out, 'quarantine', `${name}.reason.txt`));
  expect(reason).toContain(`file: ${c.bad}`);
  expect(reason).toContain(`problem: ${c.problem}`);
  for (const text of c.says) expect(reason).toContain(text);
}

const cases: Record<string, () => Case> = {
  'a malformed camt file (real fixture)': () => ({
    bad: CAMT_WRONG,
    args: ['--statement', CAMT_WRONG, '--ledger', ledger],
    says: [CAMT_WRONG, 'line 8', 'element Document/BkToCstmrStmt', 'contains no <Stmt>'],
    problem: 'malformed',
  }),
  'a malformed MT940 file (real fixture)': () => {
    const broken = join(FIXTURES, 'mt940/betterplace/sepa_snippet_broken.sta');
    return { bad: broken, args: ['--statement', broken, '--ledger', ledger], says: [broken, 'line 6', 'field :25: is out of sequence'], problem: 'malformed' };
  },
  'a truncated camt file': () => {
    const cut = writeText(root, `cut-${(counter += 1)}.xml`, readFileSync(CAMT053).subarray(0, 1500));
    return { bad: cut, args: ['--statement', CAMT053, '--statement', cut, '--ledger', ledger], says: [cut, 'line 39', 'does not end with </Document> (truncated file?)'], problem: 'truncated' };
  },
  'a truncated BAI2 file': () => {
    const cut = writeText(root, `cut-${(counter += 1)}.bai`, read(join(FIXTURES, 'bai2/sample1.txt')).split('\n').slice(0, 20).join('\n'));
    return { bad: cut, args: ['--statement', cut, '--ledger', ledger], says: [cut, 'line 20', 'does not end with a 99 file trailer (truncated file?)'], problem: 'truncated' };
  },
  'an unknown format (real fixture)': () => ({
    bad: BAI2_UNKNOWN,
    args: ['--statement', BAI2_UNKNOWN, '--ledger', ledger],
    says: [BAI2_UNKNOWN, 'line 1', 'unknown statement format'],
    problem: 'unknown-format',
  }),
  'a statement amount with the wrong precision for its currency': () => {
    const bad = writeText(root, `precision-${(counter += 1)}.xml`, read(CAMT053).replace('<Amt Ccy="EUR">8.85</Amt>', '<Amt Ccy="EUR">8.855</Amt>'));
    return {
      bad,
      args: ['--statement', bad, '--ledger', ledger],
      says: [bad, 'line 110', 'element Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt', 'has 3 decimal places but EUR allows 2'],
      problem: 'precision',
    };
  },
  'a ledger amount with the wrong precision for its currency': () => {
    const badLedger = writeLedger(root, [...LEDGER_ROWS, 'L-BAD,NL26VAYB8060476890,EUR,1.234,2014-12-31,2014-12-31,R,'], `ledger-${(counter += 1)}.csv`);
    return {
      bad: badLedger,
      args: ['--statement', CAMT053, '--ledger', badLedger],
      says: [badLedger, 'line 11', 'field "amount"', '"1.234" has 3 decimal places; EUR allows 2'],
      problem: 'precision',
    };
  },
  'a statement account that is not in the ledger file': () => {
    const partial = writeLedger(
      root,
      LEDGER_ROWS.filter((row) => !row.startsWith('L-MB')),
      `ledger-${(counter += 1)}.csv`,
    );
    return {
      bad: MT940,
      args: ['--statement', CAMT053, '--statement', MT940, '--ledger', partial],
      says: [`account PL29114010810000267002001002 in statement file ${MT940} line 6 is not in the ledger ${partial}`],
      problem: 'unknown-account',
    };
  },
  'a statement account that is not in reference data (--state)': () => {
    const state = writeState(join(root, `state-${(counter += 1)}`));
    return {
      bad: CAMT053,
      args: ['--statement', CAMT053, '--state', state],
      says: [`account NL26VAYB8060476890 in statement file ${CAMT053} element Document/BkToCstmrStmt/Stmt[1]/Ntry[1] is not in reference data`],
      problem: 'unknown-account',
    };
  },
};

describe('bad input', () => {
  it.each(Object.keys(cases))('%s: named error, exit 2, quarantined with its reason, nothing recorded', async (name) => {
    const c = cases[name]!();
    const out = join(root, `out-${(counter += 1)}`);
    await expectRejected(c, out);
    const quarantined = c.bad.slice(c.bad.lastIndexOf('/') + 1);
    expect(listing(out)).toEqual(['quarantine/', `quarantine/${quarantined}`, `quarantine/${quarantined}.reason.txt`].sort());
  });

  it('leaves an earlier run untouched: same current run, registry and DuckDB rows', async () => {
    const out = join(root, 'out-existing');
    const first = await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--out', out, '--json']);
    expect(first.status).toBe(0);
    const runId = (JSON.parse(first.stdout) as { runId: string }).runId;
    const before = listing(out);
    const matchesBefore = read(join(out, 'matches.csv'));

    await expectRejected({ bad: CAMT_WRONG, args: ['--statement', CAMT053, '--statement', CAMT_WRONG, '--ledger', ledger], says: [CAMT_WRONG, 'contains no <Stmt>'], problem: 'malformed' }, out);

    expect(listing(out).filter((path) => !path.startsWith('quarantine/'))).toEqual(before);
    expect(readlinkSync(join(out, 'current'))).toBe(join('runs', runId));
    expect(read(join(out, 'matches.csv'))).toBe(matchesBefore);
    const registry = new Database(join(out, 'registry.db'), { readonly: true });
    try {
      expect(registry.prepare('SELECT run_id FROM runs').pluck().all()).toEqual([runId]);
      // The good file of the rejected run (CAMT053) was not registered: it can still be reconciled.
      expect(registry.prepare('SELECT count(*) FROM statement_files').pluck().get()).toBe(1);
    } finally {
      registry.close();
    }
    const runs = await queryStore<{ run_id: string }>(out, 'SELECT run_id FROM runs');
    expect(runs).toEqual([{ run_id: runId }]);
    const lines = await queryStore<{ n: number }>(out, "SELECT count(*)::INT n FROM statement_lines WHERE account_id = 'NL26VAYB8060476890'");
    expect(lines[0]!.n).toBe(0);
  });

  it('a separate --quarantine folder receives the file and its reason', () => {
    const quarantine = join(root, 'q');
    const out = join(root, 'out-q');
    // A real child process once: a quarantined file's exit status as the shell sees it.
    const result = cli(['reconcile', '--statement', BAI2_UNKNOWN, '--ledger', ledger, '--out', out, '--quarantine', quarantine]);
    expect(result.status).toBe(2);
    expect(listing(quarantine)).toEqual(['sample-parseError.txt', 'sample-parseError.txt.reason.txt']);
    expect(listing(out)).toEqual([]);
  });
});
