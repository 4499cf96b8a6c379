/**
 * `ledgerline reconcile` and `ledgerline inbox` usage errors (src/recon/run/cli-commands.ts): an
 * option that names the wrong thing (a statement that is not there, a directory for a file, a file
 * for a directory, a rule set or CSV profile that does not exist; --registry and --quarantine too) exits 2 naming the option and the
 * path, before anything is created, locked or moved: no --out directory appears, the inbox is as it was.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../support/cli-in-process';
import { tempDir } from '../../support/runtime';
import { CAMT053, FIXTURES, listing, writeLedger } from './helpers';

const root = tempDir('recon-cli-usage-');
const ledger = writeLedger(root);
const aFile = join(root, 'a-file.txt');
writeFileSync(aFile, 'not a directory\n');

let counter = 0;
const freshOut = (): string => join(root, `out-${(counter += 1)}`);

describe('ledgerline reconcile: usage errors leave no --out behind', () => {
  it.each([
    ['a statement that does not exist', (out: string) => ['--statement', join(root, 'missing.xml'), '--out', out], /statement file ".*missing\.xml" does not exist/],
    ['a directory given as the statement', (out: string) => ['--statement', root, '--out', out], /statement ".*" is a directory, expected a file/],
    ['an unknown CSV profile', (out: string) => ['--statement', CAMT053, '--profile', 'uk-bank-exprt', '--out', out], /--profile: unknown CSV profile "uk-bank-exprt"; known: .*uk-bank-export/],
    ['a --registry that is a file', (out: string) => ['--statement', CAMT053, '--registry', aFile, '--out', out], /--registry ".*a-file\.txt" exists and is not a directory/],
    ['a --quarantine that is a file', (out: string) => ['--statement', CAMT053, '--quarantine', aFile, '--out', out], /--quarantine ".*a-file\.txt" exists and is not a directory/],
    ['a directory given as --accounts', (out: string) => ['--statement', CAMT053, '--accounts', root, '--out', out], /account registry ".*" is a directory, expected a file/],
  ])('%s: exit 2, naming it; --out is not created', async (_, args, message) => {
    const out = freshOut();
    const result = await runCli(['reconcile', ...args(out), '--ledger', ledger]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^ledgerline: reconcile: /);
    expect(result.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});

describe('ledgerline inbox: usage errors before anything is locked or moved', () => {
  function inboxWithStatement(): string {
    const inbox = join(root, `inbox-${(counter += 1)}`);
    mkdirSync(inbox);
    copyFileSync(CAMT053, join(inbox, 'camt.xml'));
    return inbox;
  }

  it('an --out that is a file: exit 2, "exists and is not a directory"', async () => {
    const inbox = inboxWithStatement();
    const result = await runCli(['inbox', '--dir', inbox, '--out', aFile, '--ledger', ledger, '--once']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`ledgerline: inbox: --out "${aFile}" exists and is not a directory\n`);
    expect(listing(inbox)).toEqual(['camt.xml']);
  });

  it('a file given as --dir: exit 2, "is not a directory" (not "does not exist")', async () => {
    const result = await runCli(['inbox', '--dir', aFile, '--out', freshOut(), '--ledger', ledger, '--once']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`ledgerline: inbox: inbox "${aFile}" is not a directory\n`);
  });

  it.each([
    ['a rule set that does not exist', ['--rules', join(root, 'no-rules.json')], /^ledgerline: inbox: rules file ".*no-rules\.json" does not exist\n$/],
    ['an unknown CSV profile', ['--profile', 'uk-bank-exprt'], /^ledgerline: inbox: --profile: unknown CSV profile "uk-bank-exprt"; known: .*uk-bank-export/],
    ['a --registry that is a file', ['--registry', aFile], /^ledgerline: inbox: --registry ".*a-file\.txt" exists and is not a directory\n$/],
  ])('%s: exit 2 at once, naming it; every statement stays in the inbox and --out is not created', async (_, extra, message) => {
    const inbox = inboxWithStatement();
    const out = freshOut();
    const result = await runCli(['inbox', '--dir', inbox, '--out', out, '--ledger', ledger, '--once', ...extra]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(listing(inbox)).toEqual(['camt.xml']);
    expect(existsSync(out)).toBe(false);
  });
});

describe('ledgerline reconcile: statement lines kept out of matching are counted where the run is reported', () => {
  // A real camt.052 whose one entry is pending (PDNG): not booked, so never matched (REC-IN-4).
  const PENDING_CAMT = join(FIXTURES, 'camt/camt052.v6.xml');
  const accounts = join(root, 'accounts.txt');
  writeFileSync(accounts, 'CH2801234000123456789\n');

  it('the summary and --json say how many lines were excluded and why, so every line is accounted for', async () => {
    const text = await runCli(['reconcile', '--statement', PENDING_CAMT, '--ledger', ledger, '--accounts', accounts, '--out', freshOut()]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('statement lines   1\n');
    expect(text.stdout).toContain('unmatched         0 statement, 0 ledger\n');
    expect(text.stdout).toContain('excluded          1 statement line(s), not matched (summary.json lists them)\n  PENDING         1\n');
    const json = await runCli(['reconcile', '--statement', PENDING_CAMT, '--ledger', ledger, '--accounts', accounts, '--out', freshOut(), '--json']);
    const summary = JSON.parse(json.stdout) as { statementLines: number; matched: { total: number }; unmatchedStatement: number; excludedFromMatching?: Record<string, number> };
    expect(summary.excludedFromMatching).toEqual({ PENDING: 1 });
    expect(summary.matched.total + summary.unmatchedStatement + Object.values(summary.excludedFromMatching!).reduce((a, b) => a + b, 0)).toBe(summary.statementLines);
  });
});
