/**
 * Re-uploads (REC-OUT-2), metamorphic: any re-encoding of a statement file — LF or CRLF line
 * ends, a UTF-8 byte-order mark, with or without a trailing newline — for every format (camt,
 * MT940, BAI2, CSV) is recognised as the same statement: reported as a re-upload of the first run,
 * nothing committed, the current results unchanged byte for byte. A new statement next to a known
 * one is reconciled alone; a statement with its own identity is not a re-upload.
 */
import fc from 'fast-check';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { queryStore } from '../../support/analytics-store';
import { reconcile, type ReconcileOptions } from '../../../src/recon/run/reconcile';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, FIXTURES, listing, MT940, read, reconciled, registryRuns, writeLedger, writeText } from './helpers';

const root = tempDir('recon-reupload-');
const ledger = writeLedger(root);
const CSV_STATEMENT = writeText(
  root,
  'export.csv',
  'account,currency,amount,booking_date,value_date,end_to_end_id,bank_reference,customer_reference,description,counterparty\n' +
    'NL26VAYB8060476890,EUR,8.85,2014-12-31,2015-01-02,000000001,BR-1,,"Incoming, first",ACME\n' +
    'NL26VAYB8060476890,EUR,-7.00,2014-12-31,2015-01-02,000000002,BR-2,,Outgoing,ACME\n',
);

const FORMATS: Record<string, { file: string; profile?: string }> = {
  camt: { file: CAMT053 },
  mt940: { file: MT940 },
  bai2: { file: BAI2 },
  csv: { file: CSV_STATEMENT, profile: 'generic-signed' },
};

interface Encoding {
  eol: 'lf' | 'crlf';
  bom: boolean;
  trailing: 'none' | 'one' | 'two';
}

const encoding: fc.Arbitrary<Encoding> = fc.record({ eol: fc.constantFrom('lf', 'crlf'), bom: fc.boolean(), trailing: fc.constantFrom('none', 'one', 'two') });

/** The same text, re-encoded. */
function reencode(bytes: Buffer, how: Encoding): Buffer {
  let text = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n');
  text = text.replace(/\n+$/, '');
  text += { none: '', one: '\n', two: '\n\n' }[how.trailing];
  if (how.eol === 'crlf') text = text.replace(/\n/g, '\r\n');
  return Buffer.concat([how.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
}

function options(out: string, statements: string[], profile?: string): ReconcileOptions {
  return { statements, ledger: { file: ledger }, out, profile, now: () => new Date('2026-01-01T00:00:00Z') };
}

function visible(out: string) {
  return {
    current: readlinkSync(join(out, 'current')),
    files: ['matches.csv', 'exceptions.csv', 'summary.json', 'audit.ndjson'].map((name) => read(join(out, name))),
    runs: listing(join(out, 'runs')),
  };
}

describe('re-uploads by statement identity (REC-OUT-2)', () => {
  it.each(Object.keys(FORMATS))('every re-encoding of a %s statement is the same statement: reported, nothing committed, current unchanged', async (format) => {
    const { file, profile } = FORMATS[format]!;
    const out = join(root, `out-${format}`);
    const first = await reconciled(options(out, [file], profile));
    expect(first.summary.statementLines).toBeGreaterThan(0);
    const before = visible(out);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(encoding, async (how) => {
        n += 1;
        const bytes = reencode(readFileSync(file), how);
        const copy = writeText(root, `${format}-${n}-${how.eol}-${how.bom ? 'bom' : 'nobom'}-${how.trailing}${file.slice(file.lastIndexOf('.'))}`, bytes);
        const again = await reconcile(options(out, [copy], profile));
        expect(again.committed).toBe(false);
        if (again.committed) return;
        const sameBytes = bytes.equals(readFileSync(file));
        expect(again.reuploaded).toEqual([
          { file: copy.slice(copy.lastIndexOf('/') + 1), contentHash: expect.stringMatching(/^[0-9a-f]{64}$/), firstRunId: first.summary.runId, by: sameBytes ? 'content' : 'statement identity' },
        ]);
        expect(again.currentRunId).toBe(first.summary.runId);
        expect(again.json).toMatchObject({ committed: false, runId: null, statementLines: 0, current: first.summary.runId });
        expect(visible(out)).toEqual(before);
      }),
      { numRuns: fuzzRuns(4), seed: fuzzSeed(9201 + format.length) },
    );
    expect(registryRuns(out)).toEqual([first.summary.runId]);
    const stored = await queryStore<{ n: number }>(out, 'SELECT count(DISTINCT run_id)::INT n FROM statement_lines');
    expect(stored[0]!.n).toBe(1);
  });

  it('a file and its CRLF copy in one command: the copy is a re-upload of this very run', async () => {
    const out = join(root, 'out-same-command');
    const copy = writeText(root, 'mt940-crlf.sta', reencode(readFileSync(MT940), { eol: 'crlf', bom: true, trailing: 'one' }));
    const run = await reconciled(options(out, [MT940, copy]));
    expect(run.summary.statementLines).toBe(3);
    expect(run.summary.reuploaded).toEqual([{ file: 'mt940-crlf.sta', contentHash: expect.any(String), firstRunId: run.summary.runId, by: 'statement identity' }]);
  });

  it('a file holding a known statement and a new one reconciles only the new one, naming the skipped statement', async () => {
    const out = join(root, 'out-partial');
    // camt053.v2.minimal.xml holds statement 253 of the account; the multi-statement file holds 253 and 254.
    const minimal = await reconciled(options(out, [join(FIXTURES, 'camt/camt053.v2.minimal.xml')]));
    const multi = await reconciled(options(out, [CAMT053]));
    expect(multi.summary.statementLines).toBe(1);
    expect(multi.summary.reuploaded).toEqual([]);
    expect(multi.summary.statementFiles[0]).toMatchObject({
      status: 'reconciled',
      statements: 1,
      skippedStatements: [{ statementId: '253EURNL26VAYB8060476890', accountId: 'NL26VAYB8060476890', firstRunId: minimal.summary.runId }],
    });
    // And now nothing of it is new.
    const again = await reconcile(options(out, [writeText(root, 'multi-crlf.xml', reencode(readFileSync(CAMT053), { eol: 'crlf', bom: false, trailing: 'none' }))]));
    expect(again.committed).toBe(false);
  });

  it('a statement with its own identity (another statement id) is not a re-upload', async () => {
    const out = join(root, 'out-other-id');
    await reconciled(options(out, [MT940]));
    const renumbered = writeText(root, 'mt940-next.sta', read(MT940).replace(':28C:1/1', ':28C:2/1'));
    const next = await reconciled(options(out, [renumbered]));
    expect(next.summary.statementLines).toBe(3);
    expect(next.summary.reuploaded).toEqual([]);
  });
});
