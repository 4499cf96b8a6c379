/**
 * REC-RUN-1 on AWS, against the local command (metamorphic): a later statement of the same
 * accounts sees the ledger minus what the committed first run matched, on AWS (the S3 run
 * registry) exactly as locally (registry.db): the same matches.csv and exceptions.csv, the same
 * counts, ledgerEntriesAlreadyReconciled included. A run the workflow failed after summarise
 * (its claim released) takes nothing out of a later run's scope.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keys, matchStep, normaliseStep, summariseStep, type RunConfig, type StepContext } from '../../../src/recon/run/aws/steps';
import type { RunSummary } from '../../../src/recon/run/results';
import { tempDir } from '../../support/runtime';
import { FIXTURES, LEDGER_HEADER, read, reconciled, writeText } from '../run/helpers';
import { FakeS3 } from './fake-s3';

const SEPA = join(FIXTURES, 'mt940/betterplace/sepa_mt9401.sta');
const INGEST = 'ledgerline-test-ingest';
const ANALYTICS = 'ledgerline-test-analytics';

/** The same statements under other statement references (`:20:`) and sequence numbers (`:28C:`): new statement identities, the same lines. */
const nextStatements = (text: string): string => text.replace(/^:20:T/gm, ':20:U').replace(/^:28C:00004/gm, ':28C:00005');

/** A ledger export from the statement's own lines: every other line booked by amount and date, and one entry per account nobody matches. */
function ledgerFor(text: string): string {
  const rows: string[] = [];
  let account = '';
  let n = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith(':25:')) {
      account = line.slice(4).trim();
      rows.push(`X-${rows.length},${account},EUR,-1.11,2007-09-03,2007-09-03,,nobody`);
    }
    const booking = /^:61:(\d{2})(\d{2})(\d{2})(?:\d{4})?(C|D|RC|RD)[A-Z]?(\d+),(\d*)N/.exec(line);
    if (!booking) continue;
    n += 1;
    if (n % 2 === 1) continue;
    const [, yy, mm, dd, mark, units, cents] = booking;
    const date = `20${yy}-${mm}-${dd}`;
    rows.push(`S-${n},${account},EUR,${mark!.endsWith('D') ? '-' : ''}${units}.${(cents ?? '').padEnd(2, '0')},${date},${date},,by amount and date`);
  }
  return `${LEDGER_HEADER}\n${rows.join('\n')}\n`;
}

async function runOnAws(ctx: StepContext, s3: FakeS3, config: RunConfig, runId: string, key: string) {
  const normalised = await normaliseStep(ctx, { bucket: INGEST, key, versionId: 'v1', runId, analyticsBucket: ANALYTICS, config, asOf: '2007-09-30' });
  expect(normalised).toMatchObject({ duplicate: false, claimed: true });
  for (const partition of normalised.partitions) await matchStep(ctx, { runId, analyticsBucket: ANALYTICS, config, partition });
  await summariseStep(ctx, { runId, analyticsBucket: ANALYTICS, config });
  const text = (name: string) => s3.text(ANALYTICS, `${keys.results(runId)}${name}`)!;
  return { normalised, summary: JSON.parse(text('summary.json')) as RunSummary, matches: text('matches.csv'), exceptions: text('exceptions.csv') };
}

const counts = (summary: RunSummary) => ({
  statementLines: summary.statementLines,
  ledgerEntries: summary.ledgerEntries,
  ledgerEntriesAlreadyReconciled: summary.ledgerEntriesAlreadyReconciled,
  matched: summary.matched,
  unmatchedStatement: summary.unmatchedStatement,
  unmatchedLedger: summary.unmatchedLedger,
  exceptions: summary.exceptions,
});

describe('AWS runs leave out the ledger entries committed runs matched (REC-RUN-1), as the local command does', () => {
  const dir = tempDir('recon-matched-ledger-');
  const first = readFileSync(SEPA, 'utf8');
  const second = nextStatements(first);
  const ledgerText = ledgerFor(first);
  const config: RunConfig = { ruleSet: 'default', ledger: { bucket: INGEST, key: 'ledger/export.csv' }, partitionRows: 10, maxPartitions: 8 };
  const ctx = (s3: FakeS3): StepContext => ({ s3: s3.client, tmpDir: dir, now: () => new Date('2026-01-01T00:00:00Z') });

  it('the second run of the same accounts on AWS equals the local second run, results and counts', async () => {
    const s3 = new FakeS3();
    s3.put(INGEST, 'ledger/export.csv', ledgerText);
    s3.put(INGEST, 'incoming/statements/first.sta', first);
    s3.put(INGEST, 'incoming/statements/second.sta', second);
    const awsFirst = await runOnAws(ctx(s3), s3, config, 'recon-first', 'incoming/statements/first.sta');
    const awsSecond = await runOnAws(ctx(s3), s3, config, 'recon-second', 'incoming/statements/second.sta');

    const ledgerPath = writeText(dir, 'ledger.csv', ledgerText);
    const out = join(dir, 'local-out');
    const localFirst = await reconciled({ statements: [writeText(dir, 'first.sta', first)], ledger: { file: ledgerPath }, out, asOf: '2007-09-30' });
    const localSecond = await reconciled({ statements: [writeText(dir, 'second.sta', second)], ledger: { file: ledgerPath }, out, asOf: '2007-09-30' });

    // The first run matched something, so the second run's scope is smaller by exactly that.
    expect(localFirst.summary.matched.total).toBeGreaterThan(0);
    expect(counts(awsFirst.summary)).toEqual(counts(localFirst.summary));
    expect(awsSecond.summary.ledgerEntriesAlreadyReconciled).toBeGreaterThan(0);
    expect(awsSecond.summary.ledgerEntriesAlreadyReconciled).toBe(
      new Set(
        awsFirst.matches
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((row) => row.split(',')[3]),
      ).size,
    );
    expect(awsSecond.normalised.ledgerEntries).toBe(awsFirst.normalised.ledgerEntries - awsSecond.summary.ledgerEntriesAlreadyReconciled);
    expect(counts(awsSecond.summary)).toEqual(counts(localSecond.summary));
    expect(awsSecond.matches).toBe(read(join(out, 'matches.csv')));
    expect(awsSecond.exceptions).toBe(read(join(out, 'exceptions.csv')));
  });

  it('summary.json on AWS is the local one, byte for byte (run ids aside), for a file mixing statements reconciled before with new ones', async () => {
    const s3 = new FakeS3();
    const mixed = `${second}${second.endsWith('\n') ? '' : '\r\n'}${first}`;
    s3.put(INGEST, 'ledger/export.csv', ledgerText);
    s3.put(INGEST, 'incoming/statements/first.sta', first);
    s3.put(INGEST, 'incoming/statements/mixed.sta', mixed);
    await runOnAws(ctx(s3), s3, config, 'recon-one', 'incoming/statements/first.sta');
    const aws = await runOnAws(ctx(s3), s3, config, 'recon-two', 'incoming/statements/mixed.sta');
    expect(aws.summary.statementFiles[0]?.skippedStatements?.length).toBeGreaterThan(0);

    const ledgerPath = writeText(dir, 'ledger-mixed.csv', ledgerText);
    const out = join(dir, 'local-mixed');
    const one = await reconciled({ statements: [writeText(dir, 'first.sta', first)], ledger: { file: ledgerPath }, out, asOf: '2007-09-30' });
    const two = await reconciled({ statements: [writeText(dir, 'mixed.sta', mixed)], ledger: { file: ledgerPath }, out, asOf: '2007-09-30' });
    const awsText = s3
      .text(ANALYTICS, `${keys.results('recon-two')}summary.json`)!
      .split('recon-one')
      .join(one.summary.runId)
      .split('recon-two')
      .join(two.summary.runId);
    expect(awsText).toBe(read(join(out, 'summary.json')));
  });

  it('a run whose claim the workflow released after summarise takes nothing out of a later run', async () => {
    const s3 = new FakeS3();
    s3.put(INGEST, 'ledger/export.csv', ledgerText);
    s3.put(INGEST, 'incoming/statements/first.sta', first);
    s3.put(INGEST, 'incoming/statements/second.sta', second);
    const failed = await runOnAws(ctx(s3), s3, config, 'recon-failed', 'incoming/statements/first.sta');
    expect(failed.summary.matched.total).toBeGreaterThan(0);
    // The failure path (ReleaseClaim) deletes the run's content claim.
    s3.objects.delete(`${INGEST}/results/registry/${failed.normalised.contentHash}.json`);
    const later = await runOnAws(ctx(s3), s3, config, 'recon-later', 'incoming/statements/second.sta');
    expect(later.summary.ledgerEntriesAlreadyReconciled).toBe(0);
    expect(later.normalised.ledgerEntries).toBe(failed.normalised.ledgerEntries);
    expect(later.summary.matched).toEqual(failed.summary.matched);
  });
});
