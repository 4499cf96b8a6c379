/**
 * MODE-2 on AWS: functions/ingest-batch over the same stages as the hot path (here on the
 * embedded adapters) posts an S3 file in chunks exactly once per content: the same file again
 * posts nothing and says so; a failure mid-file fails the invocation and the retry posts nothing
 * twice; the ledger equals `post` of the same lines.
 */
import { join } from 'node:path';
import type { Context, S3Event } from 'aws-lambda';
import { createIngestBatchHandler, BatchChunkFailedError, type BatchFileRecord, type BatchFileSummary, type FileRegistry, type IngestBatchResult } from '../../functions/ingest-batch/ingest-batch';
import { createDedupStage } from '../../functions/dedup/dedup';
import { createStandardiseStage } from '../../functions/standardise/standardise';
import { createEnrichStage } from '../../functions/enrich/enrich';
import { createRulesStage } from '../../functions/rules/rules';
import { createPostingStage } from '../../functions/posting/posting';
import { createAssemblerStage } from '../../functions/assembler/assembler';
import { DEFAULT_DEDUP_CONFIG } from '../../src/domain/dedup';
import { openStateDatabase } from '../../src/adapters/embedded/database';
import { SqliteDedupStore, SqliteParkedDuplicateStore } from '../../src/adapters/embedded/dedup-store';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { SqliteLedgerStore } from '../../src/adapters/embedded/ledger-store';
import { SqliteFileOutbox } from '../../src/adapters/embedded/outbox';
import { loadRuleSetFile } from '../../src/adapters/embedded/rule-set-file';
import { SqliteDecisionStore, SqliteVelocityStore } from '../../src/adapters/embedded/rules-state';
import { sourceNamed } from '../../src/modes/source-config';
import { postPartitioned } from '../../src/runtime/partitioned-runtime';
import { summedBalances } from '../support/ledger';
import { referenceData, sampleLines, tempDir } from '../support/runtime';

jest.setTimeout(120_000);

const clock = { now: () => new Date('2026-12-06T10:00:00Z') };

class MemoryRegistry implements FileRegistry {
  readonly records = new Map<string, BatchFileRecord>();
  async lookup(hash: string) {
    return this.records.get(hash);
  }
  async start(hash: string, bucket: string, key: string) {
    const record = this.records.get(hash) ?? { contentHash: hash, bucket, key, status: 'posting' as const, attempts: 0 };
    record.attempts += 1;
    this.records.set(hash, record);
    return { ...record };
  }
  async finish(hash: string, summary: BatchFileSummary) {
    Object.assign(this.records.get(hash)!, { status: 'posted', summary });
  }
}

function s3Event(key: string): S3Event {
  return { Records: [{ s3: { bucket: { name: 'ingest' }, object: { key } } }] } as unknown as S3Event;
}

function setUp(objects: Map<string, Buffer>, chunk: number, publishFault?: () => boolean) {
  const dir = tempDir();
  const db = openStateDatabase(dir);
  const transactions = new SqliteTransactionStateStore(db);
  const ledger = new SqliteLedgerStore(db, { hotAccountShards: {} });
  const registry = new MemoryRegistry();
  const handler = createIngestBatchHandler({
    source: { ...sourceNamed('card-files'), batchSize: chunk },
    readObject: async (_bucket, key) => objects.get(key)!,
    registry,
    stages: {
      dedup: createDedupStage({ store: new SqliteDedupStore(db), parking: new SqliteParkedDuplicateStore(db), transactions, clock, config: DEFAULT_DEDUP_CONFIG }),
      standardise: createStandardiseStage({ clock }),
      enrich: createEnrichStage({ referenceData: referenceData(), clock, transactions }),
      rules: createRulesStage({ ruleSet: loadRuleSetFile(), velocity: new SqliteVelocityStore(db), decisions: new SqliteDecisionStore(db), transactions, clock }),
      posting: createPostingStage({ ledger, clock }),
      assembler: createAssemblerStage({ outbox: new SqliteFileOutbox(db, join(dir, 'outbox')), transactions, clock }),
    },
    publisher: {
      publish: async () => {
        if (publishFault?.()) throw new Error('bus unavailable (injected)');
      },
    },
    clock,
  });
  const invoke = (key: string) => handler(s3Event(key), {} as Context) as Promise<IngestBatchResult>;
  return { dir, db, registry, invoke };
}

async function referenceLedger(lines: string[]): Promise<string[]> {
  const state = join(tempDir(), 'reference');
  await postPartitioned(lines, 'reference', { stateDir: state, partitions: 1, runtime: {} });
  return summedBalances(state);
}

test('a file is posted in chunks once by content; the same content again posts nothing and says so', async () => {
  const lines = sampleLines(900, 81, 0.05);
  const body = Buffer.from(`\ufeff${lines.join('\r\n')}\r\nnot json\n`);
  const objects = new Map([
    ['day-1.ndjson', body],
    ['copy.ndjson', body],
  ]);
  const { dir, db, invoke } = setUp(objects, 200);
  try {
    const first = await invoke('day-1.ndjson');
    const file = first.files[0]!;
    expect(file.outcome).toBe('posted');
    if (file.outcome !== 'posted') return;
    expect(file.summary).toMatchObject({ received: 901, invalid: 1, chunks: 5 });
    expect(file.summary.invalidLines).toEqual([{ line: 901, reason: expect.stringMatching(/^not JSON/) }]);
    expect(file.summary.posted + file.summary.duplicates + file.summary.declined + file.summary.review + file.summary.rejected + file.summary.notApproved + file.summary.failed).toBe(900);
    const again = await invoke('copy.ndjson');
    expect(again.files[0]).toMatchObject({ outcome: 'already-posted', contentHash: file.contentHash, summary: file.summary });
    db.close();
    expect(await summedBalances(dir)).toEqual(await referenceLedger(lines));
  } finally {
    if (db.open) db.close();
  }
});

test('a failure mid-file fails the invocation; the retry posts nothing twice', async () => {
  const lines = sampleLines(700, 83, 0.03);
  const objects = new Map([['f.ndjson', Buffer.from(`${lines.join('\n')}\n`)]]);
  let publishes = 0;
  let failing = true;
  const { dir, db, registry, invoke } = setUp(objects, 150, () => failing && ++publishes === 3);
  try {
    await expect(invoke('f.ndjson')).rejects.toThrow(BatchChunkFailedError);
    expect([...registry.records.values()][0]).toMatchObject({ status: 'posting', attempts: 1 });
    failing = false;
    const retried = await invoke('f.ndjson');
    expect(retried.files[0]).toMatchObject({ outcome: 'posted', attempts: 2 });
    db.close();
    expect(await summedBalances(dir)).toEqual(await referenceLedger(lines));
  } finally {
    if (db.open) db.close();
  }
});
