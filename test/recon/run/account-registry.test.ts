/**
 * REC-ACC-1: the registry of accounts finance reconciles. A declared account with no ledger
 * entries yet reconciles to all unmatched; an undeclared unknown account is still refused; a bad
 * registry is refused naming its file, line and fault, and never repeats a card number.
 */
import { join } from 'node:path';
import { canonicalAccount, parseAccountRegistry, AccountRegistryError } from '../../../src/recon/run/account-registry';
import { runCli } from '../../support/cli-in-process';
import { tempDir } from '../../support/runtime';
import { CAMT053, LEDGER_ROWS, MT940, writeLedger, writeText } from './helpers';
import { seededRandom } from '../../support/random';

describe('parseAccountRegistry', () => {
  it('reads ids and IBANs, one per line, ignoring blanks and comments; IBANs in groups of four are one account', () => {
    const accounts = parseAccountRegistry('# finance, 2026-12\nACC-0001\n\n  pl29 1140 1081 0000 2670 0200 1002  # new mBank account\nNL26VAYB8060476890\n', 'accounts.txt');
    expect([...accounts]).toEqual(['ACC-0001', 'PL29114010810000267002001002', 'NL26VAYB8060476890']);
    expect(canonicalAccount('nl26 vayb 8060 4768 90')).toBe('NL26VAYB8060476890');
  });

  it.each([1, 2, 3, 4, 5, 6])('generated registry %i: every bad line is named by its line number, good lines never are', (seed) => {
    const random = seededRandom(seed);
    const good = ['ACC-0001', 'SETTLE-GBP-001', 'GB33BUKB20201555555555', 'acct.7/2'];
    const bad: [string, RegExp][] = [
      ['4111111111111111', /a card number is not an account \(PCI-3\)/],
      ['4111 1111 1111 1111', /a card number is not an account \(PCI-3\)/],
      ['ACC 0001;DROP', /is not an account id or IBAN/],
      ['x'.repeat(65), /is not an account id or IBAN/],
      ['ÄCC-1', /is not an account id or IBAN/],
    ];
    const lines: string[] = [];
    const expected = new Map<number, RegExp>();
    for (let i = 0; i < 30; i += 1) {
      if (random() < 0.3) {
        const [text, fault] = bad[Math.floor(random() * bad.length)]!;
        lines.push(text);
        expected.set(i + 1, fault);
      } else lines.push(random() < 0.2 ? '# comment' : good[Math.floor(random() * good.length)]!);
    }
    if (expected.size === 0) {
      expect(() => parseAccountRegistry(lines.join('\n'), 'r.txt')).not.toThrow();
      return;
    }
    let error: unknown;
    try {
      parseAccountRegistry(lines.join('\n'), 'r.txt');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AccountRegistryError);
    const message = (error as Error).message;
    expect(message).toContain(`${expected.size} fault`);
    for (const [line, fault] of expected) expect(message.split('\n').find((row) => row.includes(`r.txt:${line}:`))).toMatch(fault);
    expect(message).not.toMatch(/4111/);
  });
});

describe('reconcile --accounts', () => {
  const root = tempDir('recon-accounts-');
  // The mBank account of the MT940 statement has no rows in this ledger: a new account.
  const ledger = writeLedger(
    root,
    LEDGER_ROWS.filter((row) => !row.startsWith('L-MB')),
    'ledger-without-mbank.csv',
  );

  it('without a registry, an account with no ledger rows is refused (exit 2, named)', async () => {
    const result = await runCli(['reconcile', '--statement', CAMT053, '--statement', MT940, '--ledger', ledger, '--out', join(root, 'out-refused'), '--json']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('account PL29114010810000267002001002');
  });

  it('declared, the new account reconciles to all unmatched and the run commits', async () => {
    const registry = writeText(root, 'accounts.txt', '# accounts finance reconciles\nPL29 1140 1081 0000 2670 0200 1002\n');
    const result = await runCli(['reconcile', '--statement', CAMT053, '--statement', MT940, '--ledger', ledger, '--accounts', registry, '--out', join(root, 'out-declared'), '--json']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('mt940, 1 statement(s), 3 line(s)');
    const json = JSON.parse(result.stdout) as { statementLines: number; unmatchedStatement: number };
    // The camt statements' 2 lines and the new account's 3 lines; the 3 have nothing to match.
    expect(json.statementLines).toBe(5);
    expect(json.unmatchedStatement).toBeGreaterThanOrEqual(3);
  });

  it('a bad registry is a usage error naming its file and line, not a quarantined statement', async () => {
    const registry = writeText(root, 'bad-accounts.txt', 'PL29114010810000267002001002\n4111111111111111\n');
    const out = join(root, 'out-bad');
    const result = await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--accounts', registry, '--out', out], { processStreams: true });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${registry}:2: a card number is not an account (PCI-3)`);
    expect(result.stderr).not.toContain('4111111111111111');
    const missing = await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--accounts', join(root, 'nope.txt'), '--out', out]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('account registry');
  });
});
