import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateAuthorisation } from '../../schemas';
import { buildProgram } from '../../src/cli/main';
import { cli } from '../support/cli';
import { runCli } from '../support/cli-in-process';
import { tempDir } from '../support/runtime';

describe('ledgerline CLI', () => {
  it('has --help on every command', async () => {
    for (const command of [
      [],
      ['generate'],
      ['generate', 'authorizations'],
      ['post'],
      ['ledger'],
      ['dead-letters'],
      ['sweep'],
      ['demo'],
      ['audit-flow'],
      ['replay'],
      ['dlq'],
      ['dlq', 'redrive'],
      ['ingest'],
      ['authorise'],
    ]) {
      const result = await runCli([...command, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('Usage: ledgerline');
    }
    expect((await runCli(['post', '--help'])).stdout).toContain('--state <dir>');
  });

  it('a command group without its subcommand is a usage error (exit 2, its help on stderr); help asked for exits 0', async () => {
    const groups = buildProgram()
      .commands.filter((command) => command.commands.length > 0)
      .map((command) => command.name());
    expect(groups).toEqual(expect.arrayContaining(['generate', 'dlq', 'audit']));
    for (const group of groups) {
      const bare = await runCli([group]);
      expect({ group, status: bare.status }).toEqual({ group, status: 2 });
      expect(bare.stderr).toContain(`Usage: ledgerline ${group}`);
      expect(bare.stdout).toBe('');
      for (const asked of [
        [group, '--help'],
        ['help', group],
      ])
        expect({ asked, status: (await runCli(asked)).status }).toEqual({ asked, status: 0 });
    }
    expect((await runCli(['help'])).status).toBe(0);
  });

  it('generates deterministic NDJSON that validates against the authorisation schema', async () => {
    const a = await runCli(['generate', 'authorizations', '--count', '200', '--seed', '7', '--duplicates', '0.05']);
    const b = await runCli(['generate', 'authorizations', '--count', '200', '--seed', '7', '--duplicates', '0.05']);
    const c = await runCli(['generate', 'authorizations', '--count', '200', '--seed', '8']);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
    const lines = a.stdout.trim().split('\n');
    expect(lines).toHaveLength(200);
    lines.forEach((line) => validateAuthorisation(JSON.parse(line)));
  });

  it('posts with --json: the categories add up, and ledger --json lists balances', async () => {
    const dir = tempDir();
    const input = join(dir, 'auths.ndjson');
    writeFileSync(input, (await runCli(['generate', 'authorizations', '--count', '1500', '--seed', '3', '--duplicates', '0.02'])).stdout + 'not json\n');
    const state = join(dir, 'state');
    const result = await runCli(['post', '--input', input, '--state', state, '--json']);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['received', 'invalid', 'duplicates', 'declined', 'review', 'posted', 'elapsedMs', 'ledger']));
    expect(summary.received).toBe(1501);
    expect(summary.invalid).toBe(1);
    const sum = ['invalid', 'notApproved', 'replayed', 'duplicates', 'rejected', 'declined', 'review', 'posted', 'failed', 'pending'].reduce((n, k) => n + summary[k], 0);
    expect(sum).toBe(1501);
    for (const totals of Object.values(summary.ledger) as { debits: string; credits: string }[]) {
      expect(totals.debits).toMatch(/^[0-9]+(\.[0-9]+)?$/);
      expect(totals.debits).toBe(totals.credits);
    }
    const ledger = JSON.parse((await runCli(['ledger', '--state', state, '--json'])).stdout);
    expect(ledger.accounts.length).toBeGreaterThan(50);
    expect(Object.keys(ledger.accounts[0]).sort()).toEqual(['accountId', 'balance', 'currency', 'version']);
    expect(typeof ledger.accounts[0].balance).toBe('string');
    const letters = JSON.parse((await runCli(['dead-letters', '--state', state, '--json'])).stdout).deadLetters;
    expect(letters).toEqual([expect.objectContaining({ position: 1501, reason: expect.stringMatching(/^not JSON/) })]);
    const again = JSON.parse((await runCli(['post', '--input', input, '--state', state, '--json'])).stdout);
    expect(again).toMatchObject({ posted: 0, replayed: 1500, invalid: 1 });
  });

  it('gives clear errors and a non-zero exit for bad arguments', async () => {
    // A real child process once: the exit status as the shell sees it.
    const missing = cli(['post', '--input', '/nonexistent/auths.ndjson', '--state', tempDir()]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('input file "/nonexistent/auths.ndjson" does not exist');
    const count = await runCli(['generate', 'authorizations', '--count', 'ten', '--seed', '1']);
    expect(count.status).not.toBe(0);
    expect(count.stderr).toContain('--count must be a positive whole number, got "ten"');
    const rate = await runCli(['generate', 'authorizations', '--count', '1', '--seed', '1', '--duplicates', '2']);
    expect(rate.stderr).toContain('--duplicates must be a fraction between 0 and 1');
    const noState = await runCli(['ledger', '--state', '/nonexistent/state', '--json']);
    expect(noState.status).toBe(2);
    expect(noState.stderr).toContain('state directory "/nonexistent/state" does not exist');
    const noInput = await runCli(['post', '--state', tempDir()]);
    expect(noInput.status).not.toBe(0);
    expect(noInput.stderr).toContain("required option '--input <file>' not specified");
    // HOT-1: a hot account must exist in the reference data, with 1..256 shards; every fault is named.
    const input = join(tempDir(), 'one.ndjson');
    writeFileSync(input, '');
    const hot = await runCli(['post', '--input', input, '--state', tempDir(), '--hot-account', 'ACC-SETTLE-1=8', '--hot-account', 'FXPOS-GBP=300', '--hot-account', 'SETTLE-GBP-001=16']);
    expect(hot.status).toBe(2);
    expect(hot.stderr).toContain('hot account "ACC-SETTLE-1": no such account in the reference data');
    expect(hot.stderr).toContain('hot account "FXPOS-GBP": shard count 300 is not an integer from 1 to 256');
    expect(hot.stderr).not.toContain('SETTLE-GBP-001"');
  });

  it('runs the demo (the README main job) end to end', async () => {
    const state = tempDir();
    const result = await runCli(['demo', '--count', '800', '--state', state]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Ledger by currency');
    expect(result.stdout).toContain('balanced');
    expect(result.stdout).not.toContain('UNBALANCED');
    expect(readFileSync(join(state, 'authorizations-seed42-n800.ndjson'), 'utf8').split('\n')).toHaveLength(801);
  });
});
