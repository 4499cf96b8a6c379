/**
 * ING-1 through the real NDJSON reader (`ledgerline post` in process): a UTF-8 byte-order mark on the first line is ignored (as
 * the CSV readers do); one in the middle of the file is that line's dead letter.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli-in-process';
import { sampleLines, tempDir } from '../support/runtime';

describe('post: the NDJSON reader', () => {
  it('ignores a byte-order mark on the first line and dead-letters one mid-file, under 1 and 2 partitions', async () => {
    const lines = sampleLines(40, 13, 0);
    const dir = tempDir();
    const input = join(dir, 'bom.ndjson');
    const withMarks = [`\uFEFF${lines[0]}`, ...lines.slice(1, 20), `\uFEFF${lines[20]}`, ...lines.slice(21)];
    writeFileSync(input, `${withMarks.join('\n')}\n`, 'utf8');
    const plainInput = join(dir, 'plain.ndjson');
    writeFileSync(plainInput, `${[...lines.slice(0, 20), ...lines.slice(21)].join('\n')}\n`, 'utf8');
    const plain = JSON.parse((await runCli(['post', '--input', plainInput, '--state', join(dir, 'plain'), '--json', '--partitions', '1'])).stdout);
    for (const partitions of ['1', '2']) {
      const state = join(dir, `p${partitions}`);
      const result = await runCli(['post', '--input', input, '--state', state, '--json', '--partitions', partitions]);
      expect(result.status).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ received: 40, invalid: 1 });
      // the first record counts as if it had no mark: everything but line 21 matches the unmarked file
      expect({ ...summary, received: summary.received - 1, invalid: 0, elapsedMs: 0 }).toEqual({ ...plain, elapsedMs: 0 });
      const letters = JSON.parse((await runCli(['dead-letters', '--state', state, '--json'])).stdout).deadLetters as { position: number; reason: string }[];
      expect(letters.map((letter) => letter.position)).toEqual([21]);
      expect(letters[0]!.reason).toMatch(/^not JSON/);
    }
  });
});
