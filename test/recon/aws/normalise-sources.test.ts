/**
 * The AWS normalise step's ledger side and configuration: the posting ledger's journal as the
 * ledger (REC-1), the declared accounts of RunConfig (REC-ACC-1), the declared encoding (REC-IN-7),
 * and a bad configuration named before anything is read or written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PostingLeg } from '../../../src/domain/events';
import { normaliseStep, type NormaliseEvent, type RunConfig } from '../../../src/recon/run/aws/steps';
import { parseStatement } from '../../../src/recon/run/statements';
import { tempDir } from '../../support/runtime';
import { FIXTURES } from '../run/helpers';
import { FakeS3 } from './fake-s3';

const INGEST = 'ledgerline-test-ingest';
const ANALYTICS = 'ledgerline-test-analytics';
const MBANK = join(FIXTURES, 'mt940/mBank/mt940.sta');
const ACCOUNT = 'PL29114010810000267002001002';
const dir = tempDir('recon-normalise-sources-');

function event(runId: string, key: string, config: RunConfig): NormaliseEvent {
  return { bucket: INGEST, key, versionId: null, runId, analyticsBucket: ANALYTICS, config };
}

/** Legs of the statement's lines posted to ledger account ACC-PL (one per line, same amount), plus another account's leg. */
async function journalLegs(): Promise<PostingLeg[]> {
  const parsed = await parseStatement(MBANK);
  const lines = parsed.statements.flatMap((s) => s.lines);
  const legs = lines.map(
    (line, i) =>
      ({
        legId: `LEG-${i}`,
        sequenceId: `SEQ-${i}`,
        legIndex: 1,
        legCount: 2,
        legType: 'CUSTOMER_DEBIT',
        accountId: 'ACC-PL',
        direction: line.amount.startsWith('-') ? 'DEBIT' : 'CREDIT',
        amount: { value: line.amount.replace(/^-/, ''), currency: 'PLN' },
        valueDate: line.valueDate ?? line.bookingDate!,
        narrative: 'n',
        authorizationId: line.bankReference ?? `AUTH-${i}`,
      }) as PostingLeg,
  );
  return [...legs, { ...legs[0]!, legId: 'LEG-OTHER', accountId: 'ACC-OTHER' }];
}

describe('normalise: ledger side and configuration', () => {
  it('reconciles against the posting journal: the legs of the mapped account only, read through the reader', async () => {
    const s3 = new FakeS3();
    s3.put(INGEST, 'incoming/statements/mbank.sta', readFileSync(MBANK));
    const legs = await journalLegs();
    const asked: string[][] = [];
    const journal = {
      source: 'dynamodb://ledger',
      postedLegs: async (accounts: ReadonlySet<string>) => {
        asked.push([...accounts]);
        return legs.filter((leg) => accounts.has(leg.accountId));
      },
    };
    const result = await normaliseStep(
      { s3: s3.client, tmpDir: dir, journal },
      event('run-journal-1', 'incoming/statements/mbank.sta', { ledger: { journal: true, accounts: { [ACCOUNT]: 'ACC-PL' } } }),
    );
    expect(result).toMatchObject({ duplicate: false, claimed: true, ledgerEntries: legs.length - 1 });
    expect(asked.every((accounts) => accounts.every((account) => account === 'ACC-PL'))).toBe(true);
    const entries = s3
      .text(ANALYTICS, 'normalised/run-journal-1/ledger-entries/part-00000.ndjson')!
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { accountId: string; entryId: string });
    // The entries carry the statement's account, so both sides partition alike.
    expect(new Set(entries.map((entry) => entry.accountId))).toEqual(new Set([ACCOUNT]));
    expect(entries.map((entry) => entry.entryId).sort()).toEqual(
      legs
        .slice(0, -1)
        .map((leg) => leg.legId)
        .sort(),
    );
  });

  it('an account the journal has no postings for is quarantined; declared in config.accounts it reconciles to all unmatched', async () => {
    const journal = { source: 'dynamodb://ledger', postedLegs: async () => [] as PostingLeg[] };
    const s3 = new FakeS3();
    s3.put(INGEST, 'incoming/statements/a.sta', readFileSync(MBANK));
    await expect(normaliseStep({ s3: s3.client, tmpDir: dir, journal }, event('run-journal-2', 'incoming/statements/a.sta', { ledger: { journal: true } }))).rejects.toMatchObject({
      name: 'BadStatementFile',
      message: expect.stringContaining(`account ${ACCOUNT} in statement file s3://${INGEST}/incoming/statements/a.sta line`),
    });
    expect(s3.keys(INGEST, 'quarantine/run-journal-2/')).toHaveLength(2);
    s3.put(INGEST, 'incoming/statements/b.sta', readFileSync(MBANK));
    const declared = await normaliseStep({ s3: s3.client, tmpDir: dir, journal }, event('run-journal-3', 'incoming/statements/b.sta', { ledger: { journal: true }, accounts: [ACCOUNT] }));
    expect(declared).toMatchObject({ duplicate: false, claimed: true, ledgerEntries: 0 });
    expect(declared.statementLines).toBeGreaterThan(0);
  });

  it.each([
    [{ ledger: { journal: true } } as RunConfig, undefined, 'LEDGER_TABLE'],
    [{ ledger: { journal: true }, encoding: 'ebcdic' } as RunConfig, { source: 'x', postedLegs: async () => [] }, 'unknown statement encoding "ebcdic"'],
    [{ ledger: { journal: true }, accounts: '10200123456' } as unknown as RunConfig, { source: 'x', postedLegs: async () => [] }, 'config.accounts must be a list'],
    [{ ledger: { journal: true }, accounts: ['4111111111111111'] } as RunConfig, { source: 'x', postedLegs: async () => [] }, 'a card number is not an account'],
    [{} as RunConfig, undefined, 'config.ledger'],
  ])('a bad configuration is named and nothing is written (%#)', async (config, journal, fault) => {
    const s3 = new FakeS3();
    s3.put(INGEST, 'incoming/statements/c.sta', readFileSync(MBANK));
    const before = s3.keys(INGEST);
    await expect(normaliseStep({ s3: s3.client, tmpDir: dir, ...(journal ? { journal } : {}) }, event('run-config', 'incoming/statements/c.sta', config))).rejects.toMatchObject({
      name: 'ReconConfigurationError',
      message: expect.stringContaining(fault),
    });
    expect(s3.keys(INGEST)).toEqual(before);
    expect(s3.keys(ANALYTICS)).toEqual([]);
  });
});
