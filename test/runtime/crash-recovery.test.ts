/**
 * kill -9 at arbitrary moments, then a re-run, gives exactly the ledger (and posting outbox)
 * of an uninterrupted run: nothing lost, nothing posted twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliAsync } from '../support/cli';
import { outboxLines, sampleLines, tempDir } from '../support/runtime';

function killAfter(args: string[], ms: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve) => {
    const child = cliAsync(args);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? 'killed' : 'finished');
    });
  });
}

describe('crash recovery', () => {
  it('kill -9 at several moments, then a re-run, equals an uninterrupted run', async () => {
    const dir = tempDir();
    const input = join(dir, 'auths.ndjson');
    writeFileSync(input, `${sampleLines(8000, 21, 0.02).join('\n')}\n`);

    const reference = join(dir, 'reference');
    const uninterrupted = cli(['post', '--input', input, '--state', reference, '--json', '--wave-size', '500']);
    expect(uninterrupted.status).toBe(0);

    const crashed = join(dir, 'crashed');
    const outcomes: string[] = [];
    for (const ms of [900, 1400, 1900, 2600]) {
      outcomes.push(await killAfter(['post', '--input', input, '--state', crashed, '--json', '--wave-size', '500'], ms));
    }
    expect(outcomes).toContain('killed');
    const rerun = cli(['post', '--input', input, '--state', crashed, '--json', '--wave-size', '500']);
    expect(rerun.status).toBe(0);

    const ledger = (state: string) => JSON.parse(cli(['ledger', '--state', state, '--json']).stdout);
    expect(ledger(crashed)).toEqual(ledger(reference));
    expect(outboxLines(crashed)).toEqual(outboxLines(reference));
    expect(JSON.parse(rerun.stdout).ledger).toEqual(JSON.parse(uninterrupted.stdout).ledger);
  }, 120_000);
});
