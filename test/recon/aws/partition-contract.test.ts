/**
 * The partition contract of the scale path: the same input through the AWS pieces (normalise →
 * partition chunks as JSON in S3 → reconcile-match per chunk, in any order → summarise/merge)
 * gives the same result as `matchAll` locally, and byte-identical matches.csv / exceptions.csv
 * to `ledgerline reconcile`. Plus normalise's re-upload and bad-input behaviour.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchAll } from '../../../src/recon/matching/partition';
import { defaultRuleSet } from '../../../src/recon/matching/rules';
import { collectRun, keys, matchStep, normaliseStep, summariseStep, type NormaliseEvent, type RunConfig } from '../../../src/recon/run/aws/steps';
import { readLedgerFile } from '../../../src/recon/run/ledger-file';
import { canonicalResult } from '../../../src/recon/run/results';
import { parseStatement } from '../../../src/recon/run/statements';
import { tempDir } from '../../support/runtime';
import { BAI2_UNKNOWN, FIXTURES, LEDGER_HEADER, read, reconciled, writeText } from '../run/helpers';
import { FakeS3 } from './fake-s3';

const SEPA = join(FIXTURES, 'mt940/betterplace/sepa_mt9401.sta');
const INGEST = 'ledgerline-test-ingest';
const ANALYTICS = 'ledgerline-test-analytics';

/**
 * A ledger export for the 20-account SEPA statement, written from the real file's lines: every
 * third line booked with its bank reference, every fifth by amount + date only (off by a day),
 * every seventh 0.20 short (tolerance), one entry per account nobody matches.
 */
async function writeSepaLedger(dir: string): Promise<string> {
  const parsed = await parseStatement(SEPA);
  const rows: string[] = [];
  const accounts = new Set<string>();
  let n = 0;
  for (const statement of parsed.statements) {
    for (const line of statement.lines) {
      n += 1;
      accounts.add(line.accountId);
      if (n % 3 === 0 && line.bankReference) rows.push(`S-${n},${line.accountId},EUR,${line.amount},${line.bookingDate},${line.valueDate},${line.bankReference},ref`);
      else if (n % 5 === 0) rows.push(`S-${n},${line.accountId},EUR,${line.amount},2007-09-05,2007-09-05,,amount+date`);
      else if (n % 7 === 0) {
        const cents = BigInt(line.amount.replace('.', '')) - 20n;
        const text = `${cents < 0n ? '-' : ''}${(cents < 0n ? -cents : cents)
          .toString()
          .padStart(3, '0')
          .replace(/(\d{2})$/, '.$1')}`;
        rows.push(`S-${n},${line.accountId},EUR,${text},${line.bookingDate},${line.valueDate},,tolerance`);
      }
    }
  }
  [...accounts].sort().forEach((account, i) => rows.push(`X-${i},${account},EUR,-1.11,2007-09-03,2007-09-03,,nobody`));
  return writeText(dir, 'sepa-ledger.csv', `${LEDGER_HEADER}\n${rows.join('\n')}\n`);
}

describe('partition contract (AWS path = matchAll)', () => {
  const dir = tempDir('recon-contract-');
  const s3 = new FakeS3();
  let ledgerPath: string;
  const config: RunConfig = { ruleSet: 'default', ledger: { bucket: INGEST, key: 'ledger/export.csv' }, partitionRows: 12, maxPartitions: 6, matchConcurrency: 4 };
  const event = (runId: string, key = 'incoming/statements/sepa_mt9401.sta'): NormaliseEvent => ({ bucket: INGEST, key, versionId: 'v1', runId, analyticsBucket: ANALYTICS, config });

  beforeAll(async () => {
    ledgerPath = await writeSepaLedger(dir);
    s3.put(INGEST, 'incoming/statements/sepa_mt9401.sta', readFileSync(SEPA));
    s3.put(INGEST, 'ledger/export.csv', readFileSync(ledgerPath));
  });

  it('normalise → match per chunk (any order) → merge equals matchAll, and the CSVs equal the local run', async () => {
    const ctx = { s3: s3.client, tmpDir: dir, now: () => new Date('2026-01-01T00:00:00Z') };
    const normalised = await normaliseStep(ctx, event('recon-contract-run-1'));
    expect(normalised).toMatchObject({ duplicate: false, claimed: true, format: 'mt940', statementLines: 97, runManifestKey: keys.runManifest('recon-contract-run-1') });
    // Account/currency partitions grouped into a handful of chunks (the Distributed Map's items).
    expect(normalised.partitions.length).toBeGreaterThan(1);
    expect(normalised.partitions.length).toBeLessThanOrEqual(6);
    expect(JSON.stringify(normalised.partitions).length).toBeLessThan(2000);
    // The Glue job's input: one NDJSON line per statement line, with the source file's hash.
    const ndjson = s3.text(ANALYTICS, `${normalised.statementLinesPrefix}part-00000.ndjson`)!.trimEnd().split('\n');
    expect(ndjson).toHaveLength(97);
    expect(JSON.parse(ndjson[0]!)).toMatchObject({ sourceFileSha256: normalised.contentHash, statementLineId: expect.stringMatching(/^[0-9a-f]{12}:0:0$/) });

    // The Distributed Map may run the items in any order.
    for (const item of [...normalised.partitions].reverse()) {
      const result = await matchStep(ctx, { runId: 'recon-contract-run-1', analyticsBucket: ANALYTICS, config, partition: item });
      expect(result.partition).toBe(item.id);
    }
    const merged = await collectRun(ctx, ANALYTICS, 'recon-contract-run-1');

    // Locally: the same file and ledger through matchAll.
    const parsed = await parseStatement(SEPA);
    const lines = parsed.statements.flatMap((s) => s.lines);
    const accounts = new Set(lines.map((l) => l.accountId));
    const entries = (await readLedgerFile(ledgerPath)).entries.filter((e) => accounts.has(e.accountId));
    const local = matchAll(lines, entries, defaultRuleSet(), normalised.asOf!);
    expect(merged.result).toEqual(local);
    expect(local.matches.length).toBeGreaterThan(20);
    expect(new Set(local.matches.map((m) => m.ruleId)).size).toBeGreaterThan(2);

    // And the rendered results equal `ledgerline reconcile` of the same inputs.
    const summarised = await summariseStep(ctx, { runId: 'recon-contract-run-1', analyticsBucket: ANALYTICS, config });
    const out = join(dir, 'local-out');
    const run = await reconciled({ statements: [SEPA], ledger: { file: ledgerPath }, out, asOf: normalised.asOf! });
    expect(s3.text(ANALYTICS, `${keys.results('recon-contract-run-1')}matches.csv`)).toBe(read(join(out, 'matches.csv')));
    expect(s3.text(ANALYTICS, `${keys.results('recon-contract-run-1')}exceptions.csv`)).toBe(read(join(out, 'exceptions.csv')));
    expect(summarised.summary.matched).toEqual(run.summary.matched);
    expect(summarised.summary).toMatchObject({
      statementLines: 97,
      unmatchedStatement: run.summary.unmatchedStatement,
      unmatchedLedger: run.summary.unmatchedLedger,
      exceptions: run.summary.exceptions,
    });
    expect(canonicalResult(merged.result).matches.length).toBe(run.summary.matched.total);

    // Redshift: one transaction per run, delete-then-COPY of the run's rows (idempotent on retry).
    expect(summarised.loadSql).toEqual([
      "DELETE FROM reconciliation.runs WHERE run_id = 'recon-contract-run-1'",
      `COPY reconciliation.runs FROM 's3://${ANALYTICS}/matches/runs/recon-contract-run-1/load/runs.csv' IAM_ROLE DEFAULT FORMAT AS CSV`,
      "DELETE FROM reconciliation.matches WHERE run_id = 'recon-contract-run-1'",
      `COPY reconciliation.matches FROM 's3://${ANALYTICS}/matches/runs/recon-contract-run-1/load/matches.csv' IAM_ROLE DEFAULT FORMAT AS CSV`,
      "DELETE FROM reconciliation.exceptions WHERE run_id = 'recon-contract-run-1'",
      `COPY reconciliation.exceptions FROM 's3://${ANALYTICS}/matches/runs/recon-contract-run-1/load/exceptions.csv' IAM_ROLE DEFAULT FORMAT AS CSV`,
    ]);
    const loadMatches = s3
      .text(ANALYTICS, `${keys.results('recon-contract-run-1')}load/matches.csv`)!
      .trimEnd()
      .split('\n');
    expect(loadMatches).toHaveLength(read(join(out, 'matches.csv')).trimEnd().split('\n').length - 1);
    expect(loadMatches.every((row) => row.startsWith('recon-contract-run-1,'))).toBe(true);
  });

  it('a re-upload of the same content (another key, another execution) is a duplicate: nothing written for it', async () => {
    s3.put(INGEST, 'incoming/statements/copy-of-sepa.sta', readFileSync(SEPA));
    const before = s3.keys(ANALYTICS);
    const again = await normaliseStep({ s3: s3.client, tmpDir: dir }, event('recon-contract-run-2', 'incoming/statements/copy-of-sepa.sta'));
    expect(again).toMatchObject({ duplicate: true, claimed: false, firstRunId: 'recon-contract-run-1', partitions: [] });
    expect(s3.keys(ANALYTICS)).toEqual(before);
    // The same execution retried (same run id) still owns its claim.
    const retry = await normaliseStep({ s3: s3.client, tmpDir: dir }, event('recon-contract-run-1'));
    expect(retry).toMatchObject({ duplicate: false, claimed: true });
  });

  it("a re-encoded copy (CRLF ↔ LF, a BOM) is the same statements: a duplicate of the first run (REC-OUT-2); a failed run's claims lapse", async () => {
    const text = readFileSync(SEPA, 'utf8');
    const flipped = text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text.replace(/\n/g, '\r\n');
    s3.put(INGEST, 'incoming/statements/sepa-reencoded.sta', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(flipped)]));
    const before = s3.keys(ANALYTICS);
    const copy = await normaliseStep({ s3: s3.client, tmpDir: dir }, event('recon-contract-run-3', 'incoming/statements/sepa-reencoded.sta'));
    expect(copy).toMatchObject({ duplicate: true, claimed: false, firstRunId: 'recon-contract-run-1', partitions: [] });
    expect(s3.keys(ANALYTICS)).toEqual(before);

    // Another statement (its own sequence number): claimed by run 4, whose workflow then fails and releases its content claim.
    const renumbered = text.replace(/:28C:(\d+)/g, (_whole, n: string) => `:28C:${Number(n) + 500}`);
    s3.put(INGEST, 'incoming/statements/sepa-next.sta', renumbered);
    const first = await normaliseStep({ s3: s3.client, tmpDir: dir }, event('recon-contract-run-4', 'incoming/statements/sepa-next.sta'));
    expect(first).toMatchObject({ duplicate: false, claimed: true });
    expect(s3.keys(INGEST, 'results/registry/statements/').length).toBeGreaterThan(0);
    s3.objects.delete(`${INGEST}/${first.registryKey}`); // ReleaseClaim
    s3.put(INGEST, 'incoming/statements/sepa-next-crlf.sta', renumbered.includes('\r\n') ? renumbered.replace(/\r\n/g, '\n') : renumbered.replace(/\n/g, '\r\n'));
    const retried = await normaliseStep({ s3: s3.client, tmpDir: dir }, event('recon-contract-run-5', 'incoming/statements/sepa-next-crlf.sta'));
    expect(retried).toMatchObject({ duplicate: false, claimed: true });
  });

  it('bad input: the object moves to quarantine/ with a reason object and the step fails naming the file and line', async () => {
    s3.put(INGEST, 'incoming/statements/sample-parseError.txt', readFileSync(BAI2_UNKNOWN));
    const before = s3.keys(ANALYTICS);
    const failure = normaliseStep({ s3: s3.client, tmpDir: dir }, event('recon-bad-1', 'incoming/statements/sample-parseError.txt'));
    await expect(failure).rejects.toMatchObject({ name: 'BadStatementFile' });
    await expect(failure).rejects.toThrow(`s3://${INGEST}/incoming/statements/sample-parseError.txt line 1: unknown statement format`);
    expect(s3.keys(INGEST, 'incoming/statements/sample-parseError.txt')).toEqual([]);
    expect(s3.objects.get(`${INGEST}/quarantine/recon-bad-1/sample-parseError.txt`)).toEqual(readFileSync(BAI2_UNKNOWN));
    const reason = JSON.parse(s3.text(INGEST, 'quarantine/recon-bad-1/sample-parseError.txt.reason.json')!) as Record<string, string>;
    expect(reason).toMatchObject({ file: `s3://${INGEST}/incoming/statements/sample-parseError.txt`, problem: 'unknown-format', runId: 'recon-bad-1' });
    expect(reason.reason).toContain('line 1: unknown statement format');
    // Nothing recorded: no analytics objects, no registry claim for this content.
    expect(s3.keys(ANALYTICS)).toEqual(before);
    expect(s3.keys(INGEST, 'results/registry/').filter((key) => s3.text(INGEST, key)!.includes('recon-bad-1'))).toEqual([]); // no claim of this run
  });

  it('an account the ledger export does not know quarantines the statement', async () => {
    s3.put(INGEST, 'incoming/statements/mbank.sta', readFileSync(join(FIXTURES, 'mt940/mBank/mt940.sta')));
    await expect(normaliseStep({ s3: s3.client, tmpDir: dir }, event('recon-bad-2', 'incoming/statements/mbank.sta'))).rejects.toThrow(
      `account PL29114010810000267002001002 in statement file s3://${INGEST}/incoming/statements/mbank.sta line 6 is not in the ledger s3://${INGEST}/ledger/export.csv`,
    );
    expect(s3.keys(INGEST, 'quarantine/recon-bad-2/')).toEqual(['quarantine/recon-bad-2/mbank.sta', 'quarantine/recon-bad-2/mbank.sta.reason.json']);
  });
});
