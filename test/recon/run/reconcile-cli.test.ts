/**
 * `ledgerline reconcile` end to end through the CLI (main(argv) in process; one usage error through
 * bin/ledgerline.js as a child process) on real fixtures and a
 * ledger written to match some of their lines: the --json contract, matches.csv /
 * exceptions.csv columns, the DuckDB store and Parquet copies, determinism, re-uploads, and the
 * posting state as the ledger side.
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { queryStore } from '../../support/analytics-store';
import { EXCEPTION_COLUMNS, MATCH_COLUMNS } from '../../../src/recon/run/results';
import { cli } from '../../support/cli';
import { runCli } from '../../support/cli-in-process';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, copyTo, csvHeader, csvRows, FIXTURES, listing, MT940, read, STATE_MT940, writeLedger, writeState, writeText } from './helpers';

const root = tempDir('recon-cli-');
const ledger = writeLedger(root);
const statements = ['--statement', CAMT053, '--statement', MT940, '--statement', BAI2];

function reconcile(out: string, extra: string[] = [], files = statements) {
  return runCli(['reconcile', ...files, '--ledger', ledger, '--out', out, '--json', ...extra]);
}

describe('ledgerline reconcile', () => {
  const out = join(root, 'out');
  let json: Record<string, unknown>;

  beforeAll(async () => {
    const result = await reconcile(out);
    expect(result.stderr).toContain('matching 22 statement line(s) against 9 ledger entries');
    expect(result.status).toBe(0);
    json = JSON.parse(result.stdout) as Record<string, unknown>;
  });

  it('prints one JSON object with the contract fields', async () => {
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['statementLines', 'ledgerEntries', 'elapsedMs', 'matched', 'unmatchedStatement', 'unmatchedLedger', 'exceptions', 'balanceChecks']));
    expect(json.statementLines).toBe(22); // camt 2 + mBank 3 + BAI2 11 + 6
    expect(json.ledgerEntries).toBe(9);
    expect(typeof json.elapsedMs).toBe('number');
    expect(json.matched).toEqual({ total: 7, byRule: { 'amount-date': 2, 'bankref-exact': 2, 'batch-by-amount': 1, 'e2e-exact': 2 }, confirmed: 6, proposed: 1 });
    expect(json.unmatchedLedger).toBe(1);
    expect(json.unmatchedStatement).toBe(22 - 7);
    const exceptions = json.exceptions as Record<string, number>;
    expect(Object.values(exceptions).reduce((a, b) => a + b, 0)).toBe(16);
    expect(exceptions).toEqual({ STALE: 15, UNMATCHED: 1 }); // BAI2 (2006) lines are years older than the as-of date (the latest statement date)
    expect(json.balanceChecks).toEqual(
      expect.arrayContaining([
        { statementId: '253EURNL26VAYB8060476890', accountId: 'NL26VAYB8060476890', ok: true, difference: '0.00' },
        { statementId: '254EURNL26VAYB8060476890', accountId: 'NL26VAYB8060476890', ok: true, difference: '0.00' },
        { statementId: 'ST170119CYC/1:1/1', accountId: 'PL29114010810000267002001002', ok: true, difference: '0.00' },
      ]),
    );
  });

  it('writes matches.csv: one row per ledger entry of a match, naming statementLineId, bankReference, ledgerEntryId, ruleId, confidence', async () => {
    expect(csvHeader(join(out, 'matches.csv'))).toBe(MATCH_COLUMNS.join(','));
    const rows = csvRows(join(out, 'matches.csv'));
    expect(rows).toHaveLength(8);
    const byLedger = Object.fromEntries(rows.map((row) => [row.ledgerEntryId, row]));
    expect(byLedger['L-CAMT-1']).toMatchObject({ ruleId: 'e2e-exact', confidence: '1.0000', status: 'confirmed' });
    expect(byLedger['L-MB-1']).toMatchObject({ ruleId: 'bankref-exact', bankReference: 'MB170119012058', status: 'confirmed' });
    expect(byLedger['L-MB-3']!.bankReference).toBe('MB170119012121');
    expect(byLedger['L-BAI-1']).toMatchObject({ ruleId: 'amount-date' });
    // The batch: one statement line (115.00) against two ledger entries, one row each, same match.
    const batch = rows.filter((row) => row.ruleId === 'batch-by-amount');
    expect(batch.map((row) => row.ledgerEntryId).sort()).toEqual(['L-BAI-B1', 'L-BAI-B2']);
    expect(new Set(batch.map((row) => row.statementLineId)).size).toBe(1);
    expect(new Set(batch.map((row) => row.matchId)).size).toBe(1);
    expect(batch[0]!.status).toBe('proposed');
    for (const row of rows) expect(row.statementLineId).toMatch(/^[0-9a-f]{12}:\d+:\d+$/);
  });

  it('docs/reconciliation.md gives the headers of matches.csv and exceptions.csv as they are written', () => {
    const docs = read(join(__dirname, '../../../docs/reconciliation.md'));
    expect(docs).toContain(`- \`matches.csv\`: \`${MATCH_COLUMNS.join(',')}\`.`);
    expect(docs).toContain(`- \`exceptions.csv\`: \`${EXCEPTION_COLUMNS.join(',')}\`.`);
  });

  it('writes exceptions.csv with side, id, reason and ageDays', async () => {
    expect(csvHeader(join(out, 'exceptions.csv'))).toBe(EXCEPTION_COLUMNS.join(','));
    const rows = csvRows(join(out, 'exceptions.csv'));
    expect(rows).toHaveLength(16);
    const ledgerSide = rows.filter((row) => row.side === 'ledger');
    expect(ledgerSide).toEqual([expect.objectContaining({ id: 'L-BAI-X', ledgerEntryId: 'L-BAI-X', amount: '-77.77', currency: 'CAD', reason: 'STALE' })]);
    for (const row of rows) {
      expect(['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE']).toContain(row.reason);
      expect(row.ageDays).toMatch(/^\d+$/);
    }
    // Statement side first, then ledger side.
    expect(rows.findIndex((row) => row.side === 'ledger')).toBe(rows.length - 1);
  });

  it('swaps the results in atomically: current -> runs/<runId>, stable names link into it', async () => {
    expect(lstatSync(join(out, 'current')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(out, 'current'))).toBe(join('runs', json.runId as string));
    for (const name of ['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson']) expect(existsSync(join(out, 'runs', json.runId as string, name))).toBe(true);
    expect(existsSync(join(out, '.staging'))).toBe(false);
    const summary = JSON.parse(read(join(out, 'summary.json'))) as Record<string, unknown>;
    expect(summary).toMatchObject({ runId: json.runId, statementLines: 22, ledgerEntries: 9, reuploaded: [] });
    expect(read(join(out, 'summary.json'))).not.toMatch(/elapsedMs|\d{4}-\d{2}-\d{2}T\d{2}:/);
    const audit = read(join(out, 'audit.ndjson'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; at?: string });
    expect(audit.map((record) => record.type)).toEqual(['run.started', 'statement.parsed', 'statement.parsed', 'statement.parsed', 'ledger.loaded', 'matching.completed', 'run.recorded']);
    expect(audit[0]!.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('loads the run into DuckDB and writes Parquet copies', async () => {
    const counts = await queryStore<{ t: string; n: number }>(
      out,
      "SELECT 'runs' t, count(*)::INT n FROM runs UNION ALL SELECT 'statement_lines', count(*)::INT FROM statement_lines UNION ALL SELECT 'ledger_entries', count(*)::INT FROM ledger_entries UNION ALL SELECT 'matches', count(*)::INT FROM matches UNION ALL SELECT 'exceptions', count(*)::INT FROM exceptions ORDER BY t",
    );
    expect(Object.fromEntries(counts.map((row) => [row.t, row.n]))).toEqual({ runs: 1, statement_lines: 22, ledger_entries: 9, matches: 8, exceptions: 16 });
    const [row] = await queryStore<{ amount: string }>(out, "SELECT CAST(amount AS VARCHAR) amount FROM ledger_entries WHERE entry_id = 'L-BAI-X'");
    expect(row!.amount).toBe('-77.770000');
    for (const table of ['runs', 'statement_lines', 'ledger_entries', 'matches', 'exceptions']) expect(existsSync(join(out, 'parquet', `${table}.parquet`))).toBe(true);
    const [parquet] = await queryStore<{ n: number }>(out, `SELECT count(*)::INT n FROM read_parquet('${join(out, 'parquet', 'matches.parquet')}')`);
    expect(parquet!.n).toBe(8);
  });

  it('is deterministic: the same inputs give byte-identical CSVs and summary', async () => {
    const again = join(root, 'out-again');
    const result = await reconcile(again);
    expect(result.status).toBe(0);
    for (const name of ['matches.csv', 'exceptions.csv', 'summary.json']) expect(read(join(again, name))).toBe(read(join(out, name)));
  });

  it('detects a re-upload of the same content (even renamed) and never double-counts it; nothing is committed, the current results stay (REC-OUT-2)', async () => {
    const renamed = copyTo(root, CAMT053, 'renamed-statement.xml');
    const before = Object.fromEntries(['matches.csv', 'exceptions.csv', 'summary.json'].map((name) => [name, read(join(out, name))]));
    const runsBefore = listing(join(out, 'runs'));
    const result = await reconcile(out, [], ['--statement', renamed]);
    expect(result.status).toBe(0);
    const second = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(second.statementLines).toBe(0);
    expect(second.ledgerEntries).toBe(0);
    expect((second.matched as { total: number }).total).toBe(0);
    expect(second).toMatchObject({ committed: false, runId: null, current: json.runId });
    expect(second.reuploaded).toEqual([{ file: 'renamed-statement.xml', contentHash: expect.stringMatching(/^[0-9a-f]{64}$/), firstRunId: json.runId, by: 'content' }]);
    expect(result.stderr).toContain('already reconciled');
    expect(result.stderr).toContain('nothing new');
    // The visible results are the first run's, byte for byte; no run directory was added.
    expect(readlinkSync(join(out, 'current'))).toBe(join('runs', json.runId as string));
    for (const [name, content] of Object.entries(before)) expect(read(join(out, name))).toBe(content);
    expect(listing(join(out, 'runs'))).toEqual(runsBefore);
    const human = await runCli(['reconcile', '--statement', renamed, '--ledger', ledger, '--out', out]);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('nothing new');
    expect(human.stdout).toContain(`current run ${json.runId as string}`);
    const matches = await queryStore<{ n: number }>(out, "SELECT count(*)::INT n FROM matches WHERE ledger_entry_id LIKE 'L-CAMT-%'");
    expect(matches[0]!.n).toBe(2); // still only the first run's
    const lines = await queryStore<{ n: number }>(out, "SELECT count(*)::INT n FROM statement_lines WHERE account_id = 'NL26VAYB8060476890'");
    expect(lines[0]!.n).toBe(2);
  });

  it('a ledger entry matched by an earlier run is not matched again by a later statement', async () => {
    const fresh = join(root, 'out-consumed');
    expect((await reconcile(fresh, [], ['--statement', CAMT053])).status).toBe(0);
    // Another statement of the same account with the same 8.85 line (no end-to-end id this time;
    // its own statement id, else it would be the same statement re-sent).
    const other = writeText(root, 'camt053-other-statement.xml', read(join(FIXTURES, 'camt/camt053.v2.minimal.xml')).replace('<Id>253EURNL26VAYB8060476890</Id>', '<Id>300EURNL26VAYB8060476890</Id>'));
    const later = await reconcile(fresh, [], ['--statement', other]);
    expect(later.status).toBe(0);
    const summary = JSON.parse(later.stdout) as { statementLines: number; ledgerEntries: number; ledgerEntriesAlreadyReconciled: number; matched: { total: number } };
    expect(summary).toMatchObject({ statementLines: 1, ledgerEntries: 0, ledgerEntriesAlreadyReconciled: 2, matched: { total: 0 } });
    // Without the registry (a fresh --out) the same line would take L-CAMT-1.
    const alone = await reconcile(join(root, 'out-alone'), [], ['--statement', other]);
    expect((JSON.parse(alone.stdout) as { matched: { total: number } }).matched.total).toBe(1);
  });

  it('a statement with new lines next to a re-upload reconciles only the new one', async () => {
    const fresh = join(root, 'out-mixed');
    expect((await reconcile(fresh, [], ['--statement', MT940])).status).toBe(0);
    const result = await reconcile(fresh, [], ['--statement', MT940, '--statement', CAMT053]);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as { statementLines: number; reuploaded: { file: string }[]; matched: { total: number } };
    expect(summary.statementLines).toBe(2);
    expect(summary.reuploaded.map((r) => r.file)).toEqual(['mt940.sta']);
    expect(summary.matched.total).toBe(2);
  });

  it('reconciles against the posting state: legs of the statement accounts, resolved through reference data', async () => {
    const state = writeState(join(root, 'state'));
    const statement = writeText(root, 'refdata.sta', STATE_MT940);
    const stateOut = join(root, 'out-state');
    const result = await runCli(['reconcile', '--statement', statement, '--state', state, '--out', stateOut, '--json']);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as { statementLines: number; ledgerEntries: number; matched: { total: number }; unmatchedLedger: number };
    expect(summary).toMatchObject({ statementLines: 1, ledgerEntries: 2, matched: { total: 1 }, unmatchedLedger: 1 });
    const rows = csvRows(join(stateOut, 'matches.csv'));
    expect(rows).toEqual([expect.objectContaining({ ledgerEntryId: 'SEQ-1:1', bankReference: 'BANKREF-1' })]);
    const exceptions = csvRows(join(stateOut, 'exceptions.csv'));
    expect(exceptions).toEqual([expect.objectContaining({ side: 'ledger', id: 'SEQ-2:1', accountId: 'GB93LDGL67874444189555', amount: '-50.00' })]);
  });

  it('reconciles a CSV statement through a named column-mapping profile', async () => {
    const csv = writeText(
      root,
      'export.csv',
      'account,currency,amount,booking_date,value_date,end_to_end_id,bank_reference,customer_reference,description,counterparty\n' +
        'NL26VAYB8060476890,EUR,8.85,2014-12-31,2015-01-02,000000001,BR-1,,"Incoming, first",ACME\n' +
        'NL26VAYB8060476890,EUR,-7.00,2014-12-31,2015-01-02,000000002,BR-2,,Outgoing,ACME\n',
    );
    const result = await runCli(['reconcile', '--statement', csv, '--profile', 'generic-signed', '--ledger', ledger, '--out', join(root, 'out-csv'), '--json']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ statementLines: 2, matched: { total: 2, byRule: { 'e2e-exact': 2 } } });
    expect(csvRows(join(root, 'out-csv', 'matches.csv')).map((row) => row.bankReference)).toEqual(['BR-1', 'BR-2']);
    const unknown = await runCli(['reconcile', '--statement', csv, '--profile', 'no-such-profile', '--ledger', ledger, '--out', join(root, 'out-csv-2')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown CSV profile "no-such-profile"');
  });

  it('prints a readable summary without --json, and usage errors exit 2', async () => {
    for (const command of ['reconcile', 'inbox']) expect((await runCli([command, '--help'])).stdout).toContain(`Usage: ledgerline ${command}`);
    const human = await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--out', join(root, 'out-human')]);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/^run run-\d{8}-[0-9a-f]{16}/);
    expect(human.stdout).toContain('matched           2 (2 confirmed, 0 proposed)');
    // A real child process once: the exit status as the shell sees it.
    const both = cli(['reconcile', '--statement', MT940, '--ledger', ledger, '--state', root, '--out', join(root, 'x')]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('give either --ledger FILE or --state DIR, not both');
    const neither = await runCli(['reconcile', '--statement', MT940, '--out', join(root, 'x')]);
    expect(neither.status).toBe(2);
    expect(neither.stderr).toContain('the ledger side is required');
    const missing = await runCli(['reconcile', '--statement', join(root, 'nope.xml'), '--ledger', ledger, '--out', join(root, 'x')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('statement file');
    const badDate = await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--out', join(root, 'x'), '--as-of', '2024-13-01']);
    expect(badDate.status).toBe(2);
    expect(badDate.stderr).toContain('--as-of must be a date YYYY-MM-DD');
  });
});
