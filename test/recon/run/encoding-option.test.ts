/**
 * REC-IN-7: `ledgerline reconcile --encoding` and `ledgerline inbox --encoding` hand the declared
 * encoding to parsing; the help lists every encoding; a bad value is a usage error naming it.
 */
import { join } from 'node:path';
import { STATEMENT_ENCODINGS } from '../../../src/recon/parsers/encoding';
import { reconcile } from '../../../src/recon/run/reconcile';
import { parseStatement } from '../../../src/recon/run/statements';
import { cli } from '../../support/cli';
import { runCli } from '../../support/cli-in-process';
import { seededRandom } from '../../support/random';
import { tempDir } from '../../support/runtime';
import { MT940, writeLedger } from './helpers';

const root = tempDir('recon-encoding-');
const ledger = writeLedger(root);

describe('--encoding (REC-IN-7)', () => {
  it('the help of reconcile and inbox lists every statement encoding', async () => {
    for (const command of ['reconcile', 'inbox']) {
      const help = (await runCli([command, '--help'])).stdout.replace(/\s+/g, ' ');
      expect(help).toContain('--encoding <encoding>');
      for (const encoding of STATEMENT_ENCODINGS) expect(help).toContain(encoding);
    }
  });

  it('a value that is no encoding is a usage error (exit 2) naming the value, for generated values', async () => {
    const random = seededRandom(7);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_';
    // Near misses (other real encodings) and generated junk, run in process.
    const values = ['utf-16', 'windows-1251', '', 'latin-1x'];
    for (let i = 0; i < 12; i += 1) values.push(`x${Array.from({ length: 1 + Math.floor(random() * 10) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')}`);
    for (const [index, value] of values.entries()) {
      const reconcileCommand = ['reconcile', '--statement', MT940, '--ledger', ledger, '--out', join(root, 'bad')];
      const inboxCommand = ['inbox', '--dir', root, '--ledger', ledger, '--out', join(root, 'bad-inbox'), '--once'];
      for (const command of index % 2 === 0 ? [reconcileCommand] : [inboxCommand]) {
        const result = await runCli([...command, '--encoding', value]);
        expect({ value, status: result.status }).toEqual({ value, status: 2 });
        expect(result.stderr).toContain(`unknown statement encoding "${value}"`);
        expect(result.stderr).toContain(STATEMENT_ENCODINGS.join(', '));
      }
    }
  });

  it('through bin/ledgerline.js, a bad encoding exits 2 as the shell sees it', () => {
    const result = cli(['reconcile', '--statement', MT940, '--ledger', ledger, '--out', join(root, 'bad-child'), '--encoding', 'utf-16']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown statement encoding "utf-16"');
  });

  it('the declared encoding reaches the parser, canonical whatever the alias', async () => {
    const seen: unknown[] = [];
    const outcome = await reconcile({
      statements: [MT940],
      ledger: { file: ledger },
      out: join(root, 'spy'),
      encoding: 'iso-8859-1',
      parseStatement: async (path, options) => {
        seen.push(options.encoding);
        return parseStatement(path, options);
      },
    });
    expect(outcome.committed).toBe(true);
    expect(seen).toEqual(['iso-8859-1']);
    // Through the CLI an alias is accepted and the run is the same as with the canonical name (MT940 is ASCII).
    const latin = JSON.parse((await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--out', join(root, 'latin'), '--encoding', 'Latin1', '--json'])).stdout) as { matched: unknown };
    const plain = JSON.parse((await runCli(['reconcile', '--statement', MT940, '--ledger', ledger, '--out', join(root, 'plain'), '--json'])).stdout) as { matched: unknown };
    expect(latin.matched).toEqual(plain.matched);
  });
});
