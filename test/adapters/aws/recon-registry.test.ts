/**
 * The AWS run registry's record of matched ledger entries (REC-RUN-1): what a committed run
 * matched leaves later runs' scope, all of it or none (a crash at any write), only while the run
 * holds its content claim, and concurrent runs on the same accounts never overwrite each other.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ClaimLostError, s3ClaimRegistry } from '../../../src/adapters/aws/recon-registry';
import type { RunRecord } from '../../../src/ports/reconciliation';
import { FakeS3 } from '../../recon/aws/fake-s3';

const BUCKET = 'ingest';
const source = { bucket: BUCKET, key: 'incoming/statements/s.xml', versionId: null };
const hashOf = (runId: string) => createHash('sha256').update(`content of ${runId}`).digest('hex');

function record(runId: string, matched: readonly { accountId: string; entryId: string }[]): RunRecord {
  return {
    runId,
    asOf: '2026-01-31',
    recordedAt: '2026-02-01T00:00:00.000Z',
    files: [{ contentHash: hashOf(runId), runId, file: 's.xml', format: 'camt.053', statementLines: matched.length }],
    statements: [],
    matchedLedger: matched.map((m, i) => ({ ...m, matchId: `m-${i}` })),
  };
}

/** A client whose `failAt`-th PutObject fails (a crash mid-commit); the rest go to the fake. */
function crashingClient(s3: FakeS3, failAt: number): S3Client {
  let puts = 0;
  return {
    send: (command: unknown) => {
      if (command instanceof PutObjectCommand && ++puts === failAt) return Promise.reject(Object.assign(new Error('connection reset'), { name: 'NetworkingError' }));
      return s3.client.send(command as never);
    },
  } as unknown as S3Client;
}

const registry = (client: S3Client, runId: string) => s3ClaimRegistry(client, { bucket: BUCKET, runId, source, now: () => new Date('2026-02-01T00:00:00Z') });

async function commit(client: S3Client, run: RunRecord): Promise<void> {
  const r = registry(client, run.runId);
  await r.stage(run);
  await r.commit();
}

/** Normalise's commit: the content claim, nothing matched yet. */
const claim = (s3: FakeS3, runId: string) => commit(s3.client, record(runId, []));

const keysOf = (matched: readonly { accountId: string; entryId: string }[]) => new Set(matched.map((m) => `${m.accountId}\u0000${m.entryId}`));

const matchedArb = fc
  .uniqueArray(fc.record({ accountId: fc.constantFrom('GB29NWBK60161331926819', 'ACC-1', 'acc 2/ü', 'DE89370400440532013000'), entryId: fc.stringMatching(/^[A-Za-z0-9:_-]{1,12}$/) }), {
    selector: (m) => `${m.accountId}\u0000${m.entryId}`,
    minLength: 1,
    maxLength: 40,
  })
  .map((items) => items);

const ALL_ACCOUNTS = new Set(['GB29NWBK60161331926819', 'ACC-1', 'acc 2/ü', 'DE89370400440532013000', 'never-matched']);

describe('AWS run registry: matched ledger entries (REC-RUN-1)', () => {
  it('a committed run’s matched entries are what a later run leaves out, for exactly the accounts it asks about; the run itself does not count its own', async () => {
    await fc.assert(
      fc.asyncProperty(matchedArb, fc.subarray([...ALL_ACCOUNTS]), async (matched, asked) => {
        const s3 = new FakeS3();
        await claim(s3, 'run-a');
        await commit(s3.client, record('run-a', matched));
        const later = await registry(s3.client, 'run-b').reconciledLedgerKeys(new Set(asked));
        expect(later).toEqual(new Set([...keysOf(matched)].filter((key) => asked.includes(key.split('\u0000')[0]!))));
        expect(await registry(s3.client, 'run-a').reconciledLedgerKeys(ALL_ACCOUNTS)).toEqual(new Set());
      }),
      { numRuns: 40 },
    );
  });

  it('a crash at any write of the commit leaves none of the run’s entries counting; the retried step commits each once', async () => {
    await fc.assert(
      fc.asyncProperty(matchedArb, fc.nat(), async (matched, crashPick) => {
        const s3 = new FakeS3();
        await claim(s3, 'run-a');
        const accounts = new Set(matched.map((m) => m.accountId)).size;
        // Puts of the commit: the content re-claim (refused: already held), per account its entries + one link, then the commit object.
        const failAt = 1 + (crashPick % (1 + 2 * accounts + 1));
        await expect(commit(crashingClient(s3, failAt), record('run-a', matched))).rejects.toThrow(/connection reset/);
        expect(await registry(s3.client, 'run-b').reconciledLedgerKeys(ALL_ACCOUNTS)).toEqual(new Set());
        // The content claim normalise made is not released by the failed step (the workflow's failure path does that).
        expect(s3.keys(BUCKET, 'results/registry/').filter((key) => /^results\/registry\/[0-9a-f]{64}\.json$/.test(key))).toHaveLength(1);
        await commit(s3.client, record('run-a', matched));
        expect(await registry(s3.client, 'run-b').reconciledLedgerKeys(ALL_ACCOUNTS)).toEqual(keysOf(matched));
        // One link per account, never two for the same run.
        const links = s3.keys(BUCKET, 'results/registry/ledger/').filter((key) => /\/\d{8}\.json$/.test(key));
        expect(links).toHaveLength(accounts);
      }),
      { numRuns: 40 },
    );
  });

  it('a run whose content claim is released (the workflow failed it after summarise) no longer counts', async () => {
    const s3 = new FakeS3();
    const matched = [{ accountId: 'ACC-1', entryId: 'E1' }];
    await claim(s3, 'run-a');
    await commit(s3.client, record('run-a', matched));
    expect(await registry(s3.client, 'run-b').reconciledLedgerKeys(new Set(['ACC-1']))).toEqual(keysOf(matched));
    s3.objects.delete(`${BUCKET}/${registry(s3.client, 'run-a').contentKey(hashOf('run-a'))}`);
    expect(await registry(s3.client, 'run-c').reconciledLedgerKeys(new Set(['ACC-1']))).toEqual(new Set());
  });

  it('a run whose content claim another run holds commits nothing (ClaimLostError) and its entries never count', async () => {
    const s3 = new FakeS3();
    await claim(s3, 'run-a');
    // run-x's record names run-a's content: the claim is run-a's.
    const stolen = { ...record('run-x', [{ accountId: 'ACC-1', entryId: 'E1' }]), files: record('run-a', []).files };
    await expect(commit(s3.client, stolen)).rejects.toBeInstanceOf(ClaimLostError);
    expect(await registry(s3.client, 'run-b').reconciledLedgerKeys(new Set(['ACC-1']))).toEqual(new Set());
    expect(s3.keys(BUCKET, 'results/registry/runs/')).toEqual([]);
  });

  it('runs committing the same accounts at once each take their own place in the chains: both count', async () => {
    await fc.assert(
      fc.asyncProperty(matchedArb, matchedArb, async (first, second) => {
        const s3 = new FakeS3();
        await claim(s3, 'run-a');
        await claim(s3, 'run-b');
        await Promise.all([commit(s3.client, record('run-a', first)), commit(s3.client, record('run-b', second))]);
        expect(await registry(s3.client, 'run-c').reconciledLedgerKeys(ALL_ACCOUNTS)).toEqual(new Set([...keysOf(first), ...keysOf(second)]));
        // run-a's view: only run-b's.
        expect(await registry(s3.client, 'run-a').reconciledLedgerKeys(ALL_ACCOUNTS)).toEqual(keysOf(second));
      }),
      { numRuns: 25 },
    );
  });

  it('normalise’s commit (nothing matched yet) writes no ledger record and no run commit', async () => {
    const s3 = new FakeS3();
    await claim(s3, 'run-a');
    expect(s3.keys(BUCKET, 'results/registry/ledger/')).toEqual([]);
    expect(s3.keys(BUCKET, 'results/registry/runs/')).toEqual([]);
  });

  describe('a damaged registry fails naming the object and the fault', () => {
    const damaged = async (damage: (s3: FakeS3) => void): Promise<Error> => {
      const s3 = new FakeS3();
      await claim(s3, 'run-a');
      await commit(s3.client, record('run-a', [{ accountId: 'ACC-1', entryId: 'E1' }]));
      damage(s3);
      return registry(s3.client, 'run-b')
        .reconciledLedgerKeys(new Set(['ACC-1']))
        .then(
          () => new Error('no error'),
          (error: Error) => error,
        );
    };
    const only = (s3: FakeS3, pattern: RegExp) => s3.keys(BUCKET, 'results/registry/').find((key) => pattern.test(key))!;

    it('a chain link without a run id', async () => {
      const error = await damaged((s3) => s3.put(BUCKET, only(s3, /\/00000000\.json$/), '{}\n'));
      expect(error.message).toMatch(/s3:\/\/ingest\/results\/registry\/ledger\/[0-9a-f]{32}\/00000000\.json: a ledger chain link without a runId/);
    });

    it('a run commit without the content claims it holds', async () => {
      const error = await damaged((s3) => s3.put(BUCKET, 'results/registry/runs/run-a.json', '{"runId":"run-a"}\n'));
      expect(error.message).toBe('s3://ingest/results/registry/runs/run-a.json: a run commit without contentKeys');
    });

    it('entries of an account without their list', async () => {
      const error = await damaged((s3) => s3.put(BUCKET, only(s3, /ledger\/[0-9a-f]{32}\/runs\/run-a\.json$/), '{"runId":"run-a"}\n'));
      expect(error.message).toMatch(/ledger\/[0-9a-f]{32}\/runs\/run-a\.json: matched entries without entryIds/);
    });

    it('a committed run whose entries of the account are gone', async () => {
      const error = await damaged((s3) => s3.objects.delete(`${BUCKET}/${only(s3, /ledger\/[0-9a-f]{32}\/runs\/run-a\.json$/)}`));
      expect(error.message).toMatch(/results\/registry\/ledger\/[0-9a-f]{32}\/runs\/run-a\.json: run run-a is committed but its matched entries of this account are missing/);
    });

    it('a chain link that is not JSON', async () => {
      const error = await damaged((s3) => s3.put(BUCKET, only(s3, /\/00000000\.json$/), 'not json'));
      expect(error.message).toMatch(/s3:\/\/ingest\/results\/registry\/ledger\/[0-9a-f]{32}\/00000000\.json: not JSON/);
    });
  });
});
