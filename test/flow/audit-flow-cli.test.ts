/** `ledgerline audit-flow` (FLOW-1..3): options, output, exit status, and every class of bad input. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli-in-process';
import { tempDir } from '../support/runtime';
import { orderIndependentLines } from './support';

describe('ledgerline audit-flow', () => {
  let dir: string;
  let state: string;
  beforeAll(async () => {
    dir = tempDir('ledgerline-flow-cli-');
    const input = join(dir, 'auths.ndjson');
    writeFileSync(input, `${orderIndependentLines(600, 21).join('\n')}\n`);
    state = join(dir, 'S');
    expect((await runCli(['post', '--input', input, '--state', state, '--fault-drop', '0.1', '--partitions', '1'])).status).toBe(0);
  }, 120_000);

  it('prints the boundaries, the equations and the stuck payments; progress goes to stderr', async () => {
    const result = await runCli(['audit-flow', '--state', state]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^Boundaries/);
    expect(result.stdout).toContain('ok   approved = duplicatesParked + unique + failedBeforeDedup + inFlightAtDedup');
    expect(result.stdout).toMatch(/Stuck before repair: [1-9][0-9]*/);
    expect(result.stdout).toMatch(/Stuck and not repaired: [1-9][0-9]*; balanced/);
    expect(result.stderr).toMatch(/^audit-flow: read the facts of [0-9]+ payment\(s\)/);
    expect(() => JSON.parse(result.stdout)).toThrow();
  });

  it('windows by ingestion time and waits --stuck-after before calling a payment stuck', async () => {
    const future = await runCli(['audit-flow', '--state', state, '--json', '--window', '2999-01-01T00:00Z/']);
    expect(future.status).toBe(0);
    expect(JSON.parse(future.stdout).audit.boundaries.ingested.count).toBe(0);
    const patient = await runCli(['audit-flow', '--state', state, '--json', '--stuck-after', '1d']);
    expect(patient.status).toBe(0);
    const report = JSON.parse(patient.stdout).audit;
    expect(report.stuck).toEqual([]);
    expect(report.inFlight).toBeGreaterThan(0);
  });

  it('refuses bad options, naming the option and the value', async () => {
    const cases: [string[], RegExp][] = [
      [['--stuck-after', '15'], /--stuck-after must be a whole number with a unit/],
      [['--stuck-after', '-1m'], /--stuck-after must be/],
      [['--stuck-after', '1.5h'], /--stuck-after must be/],
      [['--window', '2026-01-01'], /--window must be FROM\/TO/],
      [['--window', 'yesterday/'], /--window start "yesterday" is not an ISO 8601 time/],
      [['--window', '2026-01-02T00:00Z/2026-01-01T00:00Z'], /--window start .* is not before its end/],
      [['--window', '/2026-13-45T00:00Z'], /--window end "2026-13-45T00:00Z" is not an ISO 8601 time/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['audit-flow', '--state', state, ...args]);
      expect([args, result.status]).toEqual([args, 2]);
      expect(result.stderr).toMatch(message);
    }
    const missing = await runCli(['audit-flow', '--state', join(dir, 'nowhere')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`state directory "${join(dir, 'nowhere')}" does not exist`);
  });

  it('repairs, then finds nothing left (exit 0)', async () => {
    const repaired = await runCli(['audit-flow', '--state', state, '--repair']);
    expect(repaired.status).toBe(0);
    expect(repaired.stdout).toMatch(/Repair: [1-9][0-9]* re-emitted, 0 could not be rebuilt/);
    expect(repaired.stdout).toContain('Stuck and not repaired: 0; balanced');
    expect((await runCli(['audit-flow', '--state', state])).status).toBe(0);
  });
});

describe('ledgerline post --fault-drop: the summary still accounts for every line', () => {
  it('--json: the categories and the dropped payments add up to received, and `post --help` says so', async () => {
    const dir = tempDir('ledgerline-flow-summary-');
    const input = join(dir, 'auths.ndjson');
    writeFileSync(input, `${orderIndependentLines(300, 22).join('\n')}\n`);
    const run = await runCli(['post', '--input', input, '--state', join(dir, 'S'), '--fault-drop', '0.1', '--partitions', '1', '--json']);
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, number> & { dropped: Record<string, number> };
    const categories = ['invalid', 'notApproved', 'replayed', 'duplicates', 'rejected', 'declined', 'review', 'posted', 'failed', 'pending'].reduce((sum, key) => sum + summary[key]!, 0);
    const dropped = Object.values(summary.dropped).reduce((sum, n) => sum + n, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(categories + dropped).toBe(summary.received);
    const help = await runCli(['post', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      'received = invalid + notApproved + replayed + duplicates + rejected + declined + review + posted + failed + pending, and with --fault-drop + the payments its dropped events left where they were (dropped, per boundary)',
    );
  });
});
