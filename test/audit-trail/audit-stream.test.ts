/**
 * audit-stream (AUDIT-1 on AWS): real-shaped DynamoDB Streams records (NEW_IMAGE, marshalled by
 * the stores' own item builders) of the ledger, transactions and workbench tables, through the
 * Middy handler and the copy-audit use case, into a real PostgreSQL. Re-delivery is a no-op;
 * an unreadable record and the records of a partition that cannot be appended come back as
 * batchItemFailures by sequence number, and their batch-mates are stored.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Client, Pool } from 'pg';
import { journalItem } from '../../src/adapters/aws/dynamo-ledger-store';
import { caseItem, eventItem } from '../../src/adapters/aws/dynamo-workbench-store';
import { LEDGER_KEYS, TABLES, WORKBENCH_INDEXES, WORKBENCH_KEYS } from '../../src/adapters/aws/tables';
import { migrateAuditStore } from '../../src/adapters/postgres/audit-migrations';
import { PostgresAuditStore } from '../../src/adapters/postgres/audit-store';
import { partitionOf } from '../../src/audit-trail/chain';
import { nextEvent, correlationIdFor } from '../../src/domain/events';
import { buildPostingLegs, sequenceIdFor } from '../../src/domain/posting';
import type { CaseEvent, ExceptionCase } from '../../src/recon/workbench/cases';
import { verifyAuditTrail } from '../../src/use-cases/copy-audit/copy-audit';
import { createAuditStreamHandler } from '../../functions/audit-stream/audit-stream';
import { auditRecordOfStream } from '../../functions/audit-stream/decode';
import { AuditStreamConfigError, readAuditStreamConfig } from '../../functions/audit-stream/config';
import { databaseCredentials, lazyAuditStore } from '../../functions/audit-stream/store';
import { approvedData } from '../support/builders';
import { describeWithPostgres, useThrowAwayPostgres } from '../support/postgres';

const TABLE_NAMES = { ledger: 'ledgerline-test-ledger', transactions: 'ledgerline-test-transactions', workbench: 'ledgerline-test-workbench' };
const context = {} as Context;
let sequenceNumber = 100_000_000_000_000_000_000n;

function streamRecord(table: string, image: Record<string, AttributeValue>, eventName: 'INSERT' | 'MODIFY' | 'REMOVE' = 'INSERT', createdSeconds = 1_764_579_600): DynamoDBRecord {
  sequenceNumber += 1n;
  return {
    eventID: `event-${sequenceNumber}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-2',
    eventSourceARN: `arn:aws:dynamodb:eu-west-2:123456789012:table/${table}/stream/2026-12-01T00:00:00.000`,
    dynamodb: {
      ApproximateCreationDateTime: createdSeconds,
      Keys: {},
      ...(eventName === 'REMOVE' ? { OldImage: image as never } : { NewImage: image as never }),
      SequenceNumber: String(sequenceNumber),
      SizeBytes: 512,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

function ledgerRecord(authorizationId: string, createdSeconds?: number): { record: DynamoDBRecord; sequenceId: string } {
  const data = approvedData({ authorisation: { authorizationId } });
  const correlationId = correlationIdFor(authorizationId, data.authorisation.transmittedAt);
  const legs = buildPostingLegs(correlationId, data);
  const sequenceId = sequenceIdFor(correlationId);
  return { record: streamRecord(TABLE_NAMES.ledger, journalItem({ sequenceId, authorizationId, legs }), 'INSERT', createdSeconds), sequenceId };
}

const baseCase: ExceptionCase = {
  caseId: 'exception:statement:L-42',
  kind: 'exception',
  runId: 'run-9',
  side: 'statement',
  reason: 'UNMATCHED',
  accountId: 'GB29NWBK60161331926819',
  currency: 'EUR',
  amount: '5000.00',
  ageDays: 4,
  ledgerEntryIds: [],
  status: 'PENDING_APPROVAL',
  version: 2,
  updatedAt: '2026-12-01T10:00:00.000Z',
} as ExceptionCase;
const caseEvent = (version: number, action: CaseEvent['action'], actor: string, at: string): CaseEvent => ({ caseId: baseCase.caseId, version, action, actor, at, to: 'PENDING_APPROVAL' });

describe('audit-stream configuration', () => {
  const env = {
    [TABLES.ledger.envVar]: 'l',
    [TABLES.transactions.envVar]: 't',
    [TABLES.workbench.envVar]: 'w',
    AUDIT_DB_HOST: 'audit.cluster-abc.eu-west-2.rds.amazonaws.com',
    AUDIT_DB_NAME: 'audit',
    AUDIT_DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:audit-abc',
  };
  it('reads the tables and the connection, TLS on and the writer role by default', () => {
    expect(readAuditStreamConfig(env)).toEqual({
      tables: { ledger: 'l', transactions: 't', workbench: 'w' },
      database: { host: env.AUDIT_DB_HOST, port: 5432, database: 'audit', secretArn: env.AUDIT_DB_SECRET_ARN, ssl: true, role: 'ledgerline_audit_writer' },
    });
  });
  it.each([
    [{ AUDIT_DB_HOST: '' }, 'missing environment variable(s) AUDIT_DB_HOST'],
    [{ [TABLES.ledger.envVar]: undefined, AUDIT_DB_NAME: ' ' }, `missing environment variable(s) ${TABLES.ledger.envVar}, AUDIT_DB_NAME`],
    [{ AUDIT_DB_PORT: '70000' }, 'AUDIT_DB_PORT must be a port number 1-65535, got "70000"'],
    [{ AUDIT_DB_PORT: '54x' }, 'AUDIT_DB_PORT must be a port number 1-65535, got "54x"'],
    [{ AUDIT_DB_SECRET_ARN: 'my-secret' }, 'AUDIT_DB_SECRET_ARN must be a Secrets Manager ARN, got "my-secret"'],
    [{ AUDIT_DB_SSL: 'yes' }, 'AUDIT_DB_SSL must be true or false, got "yes"'],
  ])('refuses %j naming the variable', (change, message) => {
    expect(() => readAuditStreamConfig({ ...env, ...change })).toThrow(new AuditStreamConfigError(`audit-stream: ${message}`));
  });

  it('reads the credentials from the secret, and never shows a malformed secret', async () => {
    const send = jest.fn(async () => ({ SecretString: JSON.stringify({ username: 'writer', password: 's3cret', engine: 'postgres' }) }));
    await expect(databaseCredentials({ send } as never, env.AUDIT_DB_SECRET_ARN)).resolves.toEqual({ user: 'writer', password: 's3cret' });
    expect((send.mock.calls[0] as unknown as [{ input: unknown }])[0].input).toEqual({ SecretId: env.AUDIT_DB_SECRET_ARN });
    const bad = { send: async () => ({ SecretString: 'password=hunter2' }) };
    const error = await databaseCredentials(bad as never, env.AUDIT_DB_SECRET_ARN).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(`secret ${env.AUDIT_DB_SECRET_ARN} is not JSON with a string "username" and "password" (its value is not shown)`);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('opens the store once per container, and again after a failed open', async () => {
    let calls = 0;
    const secrets = { send: async () => (++calls === 1 ? Promise.reject(new Error('throttled')) : { SecretString: JSON.stringify({ username: 'u', password: 'p' }) }) };
    const pools: unknown[] = [];
    const open = lazyAuditStore(readAuditStreamConfig(env).database, secrets as never, (connection) => {
      pools.push(connection);
      return {} as never;
    });
    await expect(open()).rejects.toThrow('throttled');
    const store = await open();
    expect(await open()).toBe(store);
    expect(pools).toEqual([{ host: env.AUDIT_DB_HOST, port: 5432, database: 'audit', ssl: true, user: 'u', password: 'p' }]);
  });
});

describe('audit-stream decoding of workbench items', () => {
  it('copies a case as the case: every key and index attribute of the table stripped (whatever indexes the table has), its own fields kept', () => {
    const item = caseItem(baseCase);
    const indexAttributes = [...new Set(Object.values(WORKBENCH_INDEXES).flatMap((index) => [index.partitionKey, index.sortKey]))].filter((attribute) => attribute !== 'caseId');
    // The item as the store writes it carries its index keys (else this test proves nothing).
    expect(indexAttributes.filter((attribute) => attribute in item).length).toBeGreaterThanOrEqual(4);
    const record = auditRecordOfStream(streamRecord(TABLE_NAMES.workbench, item, 'MODIFY'), TABLE_NAMES);
    expect(record).toBeDefined();
    const copied = JSON.stringify(record);
    for (const attribute of [...indexAttributes, TABLES.workbench.partitionKey.name, TABLES.workbench.sortKey!.name])
      expect([attribute, copied.includes(`"${attribute}":`)]).toEqual([attribute, false]);
    for (const field of ['caseId', 'accountId', 'status', 'amount']) expect([field, copied.includes(`"${field}":`)]).toEqual([field, true]);
  });
});

describeWithPostgres('audit-stream into PostgreSQL', () => {
  const pg = useThrowAwayPostgres();
  let admin: Client;
  let pool: Pool;
  let store: PostgresAuditStore;
  let handler: ReturnType<typeof createAuditStreamHandler>;

  beforeAll(async () => {
    const url = await pg.freshDatabase();
    admin = await pg.client(url);
    await migrateAuditStore(admin);
    // A short lock timeout: an append that waits on a locked head fails (the partial-failure test).
    pool = pg.pool(url, 3, '-c lock_timeout=300');
    store = new PostgresAuditStore(pool, { role: 'ledgerline_audit_writer' });
    handler = createAuditStreamHandler({ store: async () => store, tables: TABLE_NAMES });
  }, 120_000);

  const invoke = (records: DynamoDBRecord[]) => handler({ Records: records } as DynamoDBStreamEvent, context);
  const rows = async () => (await admin.query('SELECT source, source_id, source_position, event_type, actor, occurred_at, payload FROM audit_rows ORDER BY source_id COLLATE "C"')).rows;

  it('copies ledger sequences, transaction states, flow facts and workbench actions; skips derived and removed items; re-delivery is a no-op', async () => {
    const ledger = ledgerRecord('AUTH-S1');
    const pending = nextEvent(
      { id: 'cause-1', correlationId: 'tx-1' },
      'posting.failed',
      'ledgerline.sweeper',
      { authorizationId: 'AUTH-S1', stage: 'enrich', reason: 'x', attempts: 3 },
      '2026-12-01T09:00:00.000Z',
    );
    const batch = [
      ledger.record,
      streamRecord(TABLE_NAMES.ledger, marshall({ pk: LEDGER_KEYS.balance('ACC-1', 0), balanceAccountId: 'ACC-1', shard: 0, balanceMinor: 100, version: 1, currency: 'GBP' })),
      streamRecord(
        TABLE_NAMES.transactions,
        marshall({
          transactionId: 'tx-1',
          authorizationId: 'AUTH-S1',
          status: 'RETRYING',
          stage: 'enrich',
          attempts: 1,
          version: 2,
          updatedAt: '2026-12-01T09:00:00.000Z',
          lastError: 'timeout',
          pendingEvent: JSON.stringify(pending),
          retryJob: 'RETRYING#01',
        }),
        'MODIFY',
      ),
      streamRecord(
        TABLE_NAMES.transactions,
        marshall({
          transactionId: 'FLOW#INGESTED#AUTH-S1',
          kind: 'ingested',
          ingestedAt: '2026-12-01T08:59:00.000Z',
          ingestedBucket: 'INGESTED#2026-12-01T08#03',
          correlationId: 'tx-1',
          amount: '12.34',
          currency: 'GBP',
          approved: true,
        }),
      ),
      streamRecord(TABLE_NAMES.workbench, caseItem(baseCase), 'MODIFY'),
      streamRecord(TABLE_NAMES.workbench, eventItem(caseEvent(2, 'propose-write-off', 'ana@bank.example', '2026-12-01T10:00:00.000Z'))),
      streamRecord(TABLE_NAMES.workbench, marshall({ pk: WORKBENCH_KEYS.runPartition('run-9'), sk: WORKBENCH_KEYS.runSort, importedAt: '2026-12-01T08:00:00.000Z' })),
      streamRecord(TABLE_NAMES.transactions, marshall({ transactionId: 'tx-gone' }), 'REMOVE'),
    ];
    expect(await invoke(batch)).toEqual({ batchItemFailures: [] });
    const stored = await rows();
    expect(stored.map((row) => [row.source, row.source_id, row.event_type, row.actor])).toEqual([
      ['transaction-state', 'flow:FLOW#INGESTED#AUTH-S1', 'flow.ingested', 'ledgerline.flow'],
      ['ledger', `ledger:${ledger.sequenceId}`, 'ledger.sequence-recorded', 'ledgerline.posting'],
      ['transaction-state', 'transaction:tx-1:v2', 'transaction.RETRYING', 'ledgerline.enrich'],
      ['workbench', `workbench:${baseCase.caseId}:case:v2`, 'workbench.case-state', 'ledgerline'],
      ['workbench', `workbench:${baseCase.caseId}:v2`, 'workbench.propose-write-off', 'ana@bank.example'],
    ]);
    // The ledger row: exact amounts and leg types from the journal item; the stream time as when it happened.
    const ledgerRow = stored.find((row) => row.source === 'ledger');
    expect(ledgerRow.source_position).toBe(ledger.record.dynamodb!.SequenceNumber);
    expect((ledgerRow.occurred_at as Date).toISOString()).toBe('2025-12-01T09:00:00.000Z');
    expect(ledgerRow.payload.legs.map((leg: { legType: string }) => leg.legType)).toEqual(expect.arrayContaining(['CUSTOMER_DEBIT', 'MERCHANT_SETTLEMENT_CREDIT']));
    for (const leg of ledgerRow.payload.legs) expect(leg.amount.value).toMatch(/^\d+\.\d{2}$/);
    // The pending event is named, not copied (its content is the lifecycle's).
    expect(stored.find((row) => row.source_id === 'transaction:tx-1:v2').payload.pendingEvent).toEqual({ id: pending.id, type: 'posting.failed' });

    // The same batch again, and shuffled with a duplicate inside: nothing new.
    expect(await invoke(batch)).toEqual({ batchItemFailures: [] });
    expect(await invoke([batch[5]!, batch[0]!, batch[5]!, batch[2]!])).toEqual({ batchItemFailures: [] });
    expect(await rows()).toEqual(stored);
  });

  it('returns an unreadable record and the records of a partition it cannot append, by sequence number; their batch-mates are stored', async () => {
    const bad = ledgerRecord('AUTH-S2');
    const legs = (bad.record.dynamodb!.NewImage as Record<string, AttributeValue>).l!.L!;
    (legs[0]!.M as Record<string, AttributeValue>).t = { S: 'NOPE' };
    const foreign = streamRecord('some-other-table', marshall({ pk: 'x' }));
    const fresh = ledgerRecord('AUTH-S3');
    const event3 = caseEvent(3, 'approve-write-off', 'ben@bank.example', '2026-12-01T11:00:00.000Z');
    const approval = streamRecord(TABLE_NAMES.workbench, eventItem(event3));
    const batch = [bad.record, fresh.record, approval, foreign];

    // Someone holds the head of the case's partition: its append times out.
    const casePartition = partitionOf({ source: 'workbench', occurredAt: event3.at }, baseCase.caseId);
    const holder = await pg.client(pg.cluster().urlFor(String((await admin.query('SELECT current_database() AS db')).rows[0].db)));
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM audit_heads WHERE partition_key = $1 FOR UPDATE', [casePartition]);
    let response;
    try {
      response = await invoke(batch);
    } finally {
      await holder.query('ROLLBACK');
    }
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual([bad.record, approval, foreign].map((r) => r.dynamodb!.SequenceNumber!).sort());
    const ids = (await rows()).map((row) => row.source_id);
    expect(ids).toContain(`ledger:${fresh.sequenceId}`);
    expect(ids).not.toContain(`workbench:${baseCase.caseId}:v3`);

    // Lambda delivers again from the lowest failed record: the approval is stored now, the rest is a no-op.
    const again = await invoke([fresh.record, approval]);
    expect(again).toEqual({ batchItemFailures: [] });
    expect((await rows()).map((row) => row.source_id)).toContain(`workbench:${baseCase.caseId}:v3`);
    expect((await verifyAuditTrail(store)).faults).toEqual([]);
  });

  it('returns the whole batch when the store cannot be opened', async () => {
    const down = createAuditStreamHandler({ store: async () => Promise.reject(new Error('connect ETIMEDOUT')), tables: TABLE_NAMES });
    const batch = [ledgerRecord('AUTH-S4').record, ledgerRecord('AUTH-S5').record];
    expect(await down({ Records: batch } as DynamoDBStreamEvent, context)).toEqual({ batchItemFailures: batch.map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber })) });
  });
});
