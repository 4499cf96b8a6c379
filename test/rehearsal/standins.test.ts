/**
 * What the rehearsal adds to its stand-ins (REH-1: every gap emulated or named), held to DynamoDB / SQS / EventBridge semantics:
 * TransactWriteItems over dynalite (all or nothing, one CancellationReason per item), the stream
 * records of a stream-enabled table, SQS visibility and redrive, the Pipe's targets (a bus, or an
 * SQS queue: FUSE-1), and EventBridge patterns.
 */
import type { PipeDefinition, TableDefinition } from '../../rehearsal/deployment';
import { PipeRunner } from '../../rehearsal/pipe';
import type { PutEventsEntry } from '../../rehearsal/eventbridge';
import { DynamoStandIn, type StreamRecord } from '../../rehearsal/dynamo';
import { matchesEventPattern } from '../../rehearsal/event-pattern';
import { internalS3Headers, S3StandIn } from '../../rehearsal/s3';
import { QueueService, VirtualClock } from '../../rehearsal/sqs';

const ledger: TableDefinition = {
  address: 'aws_dynamodb_table.ledger',
  name: 'ledger',
  arn: 'arn:aws:dynamodb:eu-west-2:111111111111:table/ledger',
  hashKey: 'pk',
  attributes: [{ name: 'pk', type: 'S' }],
  globalSecondaryIndexes: [],
  localSecondaryIndexes: [],
  streamEnabled: false,
};
const intake: TableDefinition = {
  ...ledger,
  address: 'aws_dynamodb_table.intake',
  name: 'intake',
  arn: 'arn:aws:dynamodb:eu-west-2:111111111111:table/intake',
  hashKey: 'id',
  attributes: [{ name: 'id', type: 'S' }],
  streamEnabled: true,
  streamViewType: 'NEW_IMAGE',
  streamArn: 'arn:aws:dynamodb:eu-west-2:111111111111:table/intake/stream/2026-01-01T00:00:00.000',
};

describe('DynamoDB stand-in', () => {
  const dynamo = new DynamoStandIn([ledger, intake], 'eu-west-2');
  const records: StreamRecord[] = [];
  const call = async (operation: string, input: Record<string, unknown>) => {
    const response = await dynamo.handle(operation, JSON.stringify(input), input);
    return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
  };
  const item = async (pk: string) => (await call('GetItem', { TableName: 'ledger', Key: { pk: { S: pk } }, ConsistentRead: true })).body.Item as Record<string, { S?: string; N?: string }> | undefined;
  const legPut = (pk: string) => ({ Put: { TableName: 'ledger', Item: { pk: { S: pk } }, ConditionExpression: 'attribute_not_exists(pk)' } });
  const balanceAdd = (delta: string, expectedVersion?: string) => ({
    Update: {
      TableName: 'ledger',
      Key: { pk: { S: 'BAL#A' } },
      UpdateExpression: 'SET balance = if_not_exists(balance, :zero) + :delta, version = if_not_exists(version, :zero) + :one',
      ConditionExpression: expectedVersion ? 'version = :expected' : 'attribute_not_exists(pk)',
      ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':delta': { N: delta }, ...(expectedVersion ? { ':expected': { N: expectedVersion } } : {}) },
    },
  });

  beforeAll(async () => {
    await dynamo.start();
    dynamo.onStream('intake', (record) => records.push(record));
  });
  afterAll(() => dynamo.stop());

  it('TransactWriteItems applies every item, or none with one cancellation reason per item', async () => {
    expect((await call('TransactWriteItems', { TransactItems: [legPut('LEG#1'), balanceAdd('-500')] })).status).toBe(200);
    expect((await item('BAL#A'))?.balance).toEqual({ N: '-500' });

    // LEG#2 is new but the balance condition fails: LEG#2 must not be written.
    const cancelled = await call('TransactWriteItems', { TransactItems: [legPut('LEG#2'), balanceAdd('-700', '7')] });
    expect(cancelled.status).toBe(400);
    expect(cancelled.body.__type).toMatch(/#TransactionCanceledException$/);
    expect(cancelled.body.CancellationReasons).toEqual([{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }]);
    expect(await item('LEG#2')).toBeUndefined();
    expect((await item('BAL#A'))?.balance).toEqual({ N: '-500' });

    // Every failing item is reported, not only the first (the ledger store drops legs that exist).
    const replay = await call('TransactWriteItems', { TransactItems: [legPut('LEG#1'), legPut('LEG#3'), balanceAdd('-1', '9')] });
    expect((replay.body.CancellationReasons as { Code: string }[]).map((reason) => reason.Code)).toEqual(['ConditionalCheckFailed', 'None', 'ConditionalCheckFailed']);
    expect(await item('LEG#3')).toBeUndefined();
  });

  it('a ConditionCheck is a no-op that can cancel the transaction, and one item may appear only once', async () => {
    const check = (condition: string) => ({ ConditionCheck: { TableName: 'ledger', Key: { pk: { S: 'LEG#absent' } }, ConditionExpression: condition } });
    expect((await call('TransactWriteItems', { TransactItems: [check('attribute_not_exists(pk)'), legPut('LEG#4')] })).status).toBe(200);
    expect(await item('LEG#absent')).toBeUndefined();
    expect(await item('LEG#4')).toBeDefined();
    const failed = await call('TransactWriteItems', { TransactItems: [check('attribute_exists(pk)'), legPut('LEG#5')] });
    expect((failed.body.CancellationReasons as { Code: string }[]).map((reason) => reason.Code)).toEqual(['ConditionalCheckFailed', 'None']);
    expect(await item('LEG#5')).toBeUndefined();
    const twice = await call('TransactWriteItems', { TransactItems: [legPut('LEG#6'), legPut('LEG#6')] });
    expect(twice.body.__type).toMatch(/#ValidationException$/);
    expect(await item('LEG#6')).toBeUndefined();
  });

  it('a stream-enabled table emits INSERT / MODIFY / REMOVE with its view type, and nothing for a write that changes nothing', async () => {
    records.length = 0;
    const put = { TableName: 'intake', Item: { id: { S: 'a1' }, amount: { S: '1.00' } } };
    await call('PutItem', put);
    await call('PutItem', put);
    await call('PutItem', { ...put, Item: { id: { S: 'a1' }, amount: { S: '2.00' } } });
    await call('BatchWriteItem', { RequestItems: { intake: [{ PutRequest: { Item: { id: { S: 'a2' } } } }, { DeleteRequest: { Key: { id: { S: 'a1' } } } }] } });
    expect(records.map((record) => [record.eventName, record.dynamodb.Keys.id, record.dynamodb.NewImage?.amount ?? null, 'OldImage' in record.dynamodb])).toEqual([
      ['INSERT', { S: 'a1' }, { S: '1.00' }, false],
      ['MODIFY', { S: 'a1' }, { S: '2.00' }, false],
      ['INSERT', { S: 'a2' }, null, false],
      ['REMOVE', { S: 'a1' }, null, false],
    ]);
    expect(new Set(records.map((record) => record.dynamodb.SequenceNumber)).size).toBe(4);
    expect(records.every((record) => record.eventSourceARN === intake.streamArn && record.dynamodb.StreamViewType === 'NEW_IMAGE')).toBe(true);
  });
});

describe('SQS stand-in', () => {
  it('hides a received message for the visibility timeout, counts receives, and moves it to the DLQ past maxReceiveCount', () => {
    const clock = new VirtualClock();
    const dlqArn = 'arn:aws:sqs:eu-west-2:111111111111:work-dlq';
    const service = new QueueService(
      [
        {
          address: 'q',
          name: 'work',
          arn: 'arn:aws:sqs:eu-west-2:111111111111:work',
          url: 'https://sqs/work',
          visibilityTimeoutSeconds: 181,
          receiveWaitTimeSeconds: 0,
          redrive: { deadLetterTargetArn: dlqArn, maxReceiveCount: 2 },
        },
        { address: 'd', name: 'work-dlq', arn: dlqArn, url: 'https://sqs/work-dlq', visibilityTimeoutSeconds: 30, receiveWaitTimeSeconds: 0 },
      ],
      clock,
    );
    const work = service.byUrlOrName('work')!;
    work.send('poison', 'test');
    expect(work.receive(10).map((message) => message.receiveCount)).toEqual([1]);
    expect(work.receive(10)).toEqual([]);
    clock.advanceTo(clock.now() + 181_000);
    expect(work.receive(10).map((message) => message.receiveCount)).toEqual([2]);
    clock.advanceTo(clock.now() + 181_000);
    expect(work.receive(10)).toEqual([]);
    expect(work.counters.movedToDlq).toBe(1);
    expect(service.byArn(dlqArn)!.deadLetters.map((message) => message.body)).toEqual(['poison']);
  });

  it('a deleted message never comes back; a stale receipt handle deletes nothing', () => {
    const clock = new VirtualClock();
    const service = new QueueService(
      [{ address: 'q', name: 'work', arn: 'arn:aws:sqs:eu-west-2:111111111111:work', url: 'https://sqs/work', visibilityTimeoutSeconds: 10, receiveWaitTimeSeconds: 0 }],
      clock,
    );
    const work = service.byUrlOrName('work')!;
    work.send('m', 'test');
    const stale = work.receive(1)[0]!.receiptHandle;
    clock.advanceTo(clock.now() + 10_000);
    const current = work.receive(1)[0]!.receiptHandle;
    expect(work.delete(stale)).toBe(false);
    expect(work.delete(current)).toBe(true);
    clock.advanceTo(clock.now() + 60_000);
    expect(work.receive(1)).toEqual([]);
  });
});

describe('Pipe stand-in', () => {
  const queueArn = 'arn:aws:sqs:eu-west-2:111111111111:hot-path-queue';
  const dlqArn = 'arn:aws:sqs:eu-west-2:111111111111:pipe-dlq';
  const definition = (target: string): PipeDefinition => ({
    address: 'aws_pipes_pipe.pipe',
    name: 'authorisations',
    arn: 'arn:aws:pipes:eu-west-2:111111111111:pipe/authorisations',
    roleName: 'pipe-role',
    sourceArn: intake.streamArn!,
    enrichmentArn: 'arn:aws:lambda:eu-west-2:111111111111:function:ingest',
    targetArn: target,
    filterPatterns: [{ eventName: ['INSERT'] }],
    batchSize: 10,
    maximumBatchingWindowSeconds: 1,
    maximumRetryAttempts: 2,
    maximumRecordAgeSeconds: -1,
    parallelizationFactor: 1,
    bisectOnFailure: true,
    deadLetterArn: dlqArn,
    startingPosition: 'TRIM_HORIZON',
    ...(target.startsWith('arn:aws:events:') ? { detailTypePath: '$.type', sourcePath: '$.source' } : {}),
    desiredState: 'RUNNING',
  });
  const record = (id: string, eventName: StreamRecord['eventName'] = 'INSERT'): StreamRecord => ({
    eventID: id,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-2',
    dynamodb: { ApproximateCreationDateTime: 1, Keys: { id: { S: id } }, NewImage: { id: { S: id } }, SequenceNumber: id, SizeBytes: 10, StreamViewType: 'NEW_IMAGE' },
    eventSourceARN: intake.streamArn!,
  });
  const queues = () =>
    new QueueService(
      [
        { address: 'q', name: 'hot-path-queue', arn: queueArn, url: 'https://sqs/hot-path-queue', visibilityTimeoutSeconds: 361, receiveWaitTimeSeconds: 0 },
        { address: 'd', name: 'pipe-dlq', arn: dlqArn, url: 'https://sqs/pipe-dlq', visibilityTimeoutSeconds: 30, receiveWaitTimeSeconds: 0 },
      ],
      new VirtualClock(),
    );
  /** The enrichment: one envelope per INSERT, as ingest returns them. */
  const invoke = async (_arn: string, event: unknown) => ({
    ok: true as const,
    result: (event as StreamRecord[]).map((one) => ({ type: 'payment.authorised', source: 'ledgerline.ingest', id: one.eventID })),
  });
  const drain = async (pipe: PipeRunner) => {
    pipe.flush();
    while (pipe.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('an SQS target: each envelope the enrichment returns is ONE message whose body is the bare envelope, sent as the pipe role; nothing is put on a bus', async () => {
    const service = queues();
    const calls: string[] = [];
    const delivered: string[] = [];
    const puts: PutEventsEntry[][] = [];
    const pipe = new PipeRunner(definition(queueArn), {
      authorize: (principal, request) => {
        calls.push(`${principal.kind === 'role' ? principal.roleName : principal.kind} ${request.service}:${request.operation}`);
        return undefined;
      },
      invoke,
      putEvents: (entries) => {
        puts.push(entries);
        return { FailedEntryCount: 0, Entries: [] };
      },
      queues: service,
      onQueueDelivery: (queue, message) => delivered.push(`${queue.name} ${message.body}`),
    });
    for (const id of ['a', 'b', 'c']) pipe.accept(record(id));
    pipe.accept(record('d', 'MODIFY'));
    await drain(pipe);
    const bodies = service
      .byArn(queueArn)!
      .receive(10)
      .map((message) => JSON.parse(message.body) as { id: string; type: string });
    expect(bodies.map((body) => [body.id, body.type])).toEqual([
      ['a', 'payment.authorised'],
      ['b', 'payment.authorised'],
      ['c', 'payment.authorised'],
    ]);
    expect(delivered).toHaveLength(3);
    expect(puts).toEqual([]);
    expect(calls).toEqual(['pipe-role lambda:Invoke', 'pipe-role sqs:SendMessage']);
    expect([pipe.counters.events, pipe.counters.filteredOut]).toEqual([3, 1]);
  });

  it('an SQS target the pipe role may not send to: the batch is retried, then its stream batch information is dead-lettered', async () => {
    const service = queues();
    const pipe = new PipeRunner(definition(queueArn), {
      authorize: (_principal, request) =>
        request.service === 'sqs' && request.input && (request.input as { QueueUrl?: string }).QueueUrl === 'https://sqs/hot-path-queue' ? 'AccessDenied: sqs:SendMessage' : undefined,
      invoke,
      putEvents: () => ({ FailedEntryCount: 0, Entries: [] }),
      queues: service,
    });
    pipe.accept(record('x'));
    await drain(pipe);
    expect(service.byArn(queueArn)!.depth).toBe(0);
    expect([pipe.counters.retries, pipe.counters.deadLettered]).toEqual([2, 1]);
    const letter = JSON.parse(service.byArn(dlqArn)!.deadLetters[0]!.body) as { context: { errorMessage: string }; ddbStreamBatchInfo: { startSequenceNumber: string } };
    expect([letter.context.errorMessage, letter.ddbStreamBatchInfo.startSequenceNumber]).toEqual(['AccessDenied: sqs:SendMessage', 'x']);
  });

  it('a bus target: each envelope is one event, detail-type and source from the synthesized paths', async () => {
    const bus = 'arn:aws:events:eu-west-2:111111111111:event-bus/bus';
    const puts: PutEventsEntry[] = [];
    const pipe = new PipeRunner(definition(bus), {
      authorize: () => undefined,
      invoke,
      putEvents: (entries) => {
        puts.push(...entries);
        return { FailedEntryCount: 0, Entries: [] };
      },
      queues: queues(),
    });
    pipe.accept(record('e'));
    await drain(pipe);
    expect(puts.map((entry) => [entry.EventBusName, entry.DetailType, entry.Source])).toEqual([[bus, 'payment.authorised', 'ledgerline.ingest']]);
  });
});

describe('S3 stand-in', () => {
  const bucket = 'ingest';
  const s3 = new S3StandIn({ buckets: [{ address: 'aws_s3_bucket.ingest', name: bucket, arn: `arn:aws:s3:::${bucket}`, eventBridge: false, versioned: false }] }, () => undefined);
  const send = (operation: string, key: string | undefined, query: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    s3.handle({
      operation,
      bucket,
      key,
      method: operation === 'PutObject' ? 'PUT' : 'GET',
      path: key ? `/${bucket}/${key}` : `/${bucket}`,
      query: new URLSearchParams(query),
      headers: { ...internalS3Headers('test'), ...headers },
      body: Buffer.from(operation === 'PutObject' ? 'content' : ''),
      requester: 'test',
    });

  beforeAll(() => s3.start());
  afterAll(() => s3.stop());

  it('PutObject with If-None-Match: * writes once and then answers 412 PreconditionFailed', async () => {
    expect((await send('PutObject', 'outbox/postings/PR-1.txt', {}, { 'if-none-match': '*' })).status).toBe(200);
    const again = await send('PutObject', 'outbox/postings/PR-1.txt', {}, { 'if-none-match': '*' });
    expect(again.status).toBe(412);
    expect(again.body.toString()).toContain('<Code>PreconditionFailed</Code>');
  });

  it('ListObjectsV2 pages past 1,000 keys with continuation tokens', async () => {
    for (let i = 0; i < 1004; i += 1) await send('PutObject', `parked/${String(i).padStart(5, '0')}.json`);
    const first = (await send('ListObjectsV2', undefined, { 'list-type': '2', prefix: 'parked/' })).body.toString();
    expect(first.match(/<Contents>/g)).toHaveLength(1000);
    const token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(first)?.[1];
    expect(token).toBeDefined();
    const second = (await send('ListObjectsV2', undefined, { 'list-type': '2', prefix: 'parked/', 'continuation-token': token! })).body.toString();
    expect([...second.matchAll(/<Key>([^<]+)<\/Key>/g)].map((match) => match[1])).toEqual(['parked/01000.json', 'parked/01001.json', 'parked/01002.json', 'parked/01003.json']);
    expect(second).not.toContain('<NextContinuationToken>');
  }, 60_000);
});

describe('EventBridge patterns', () => {
  const uploaded = { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'ingest' }, object: { key: 'incoming/statements/a.xml', size: 10 } } };

  it('matches exact values, nested objects and prefixes as EventBridge does', () => {
    const rule = { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['ingest'] }, object: { key: [{ prefix: 'incoming/statements/' }] } } };
    expect(matchesEventPattern(rule, uploaded)).toBe(true);
    expect(matchesEventPattern(rule, { ...uploaded, detail: { ...uploaded.detail, object: { key: 'incoming/ledger/x.ndjson' } } })).toBe(false);
    expect(matchesEventPattern(rule, { ...uploaded, detail: { bucket: { name: 'other' }, object: uploaded.detail.object } })).toBe(false);
    expect(
      matchesEventPattern(
        { 'detail-type': ['payment.rules-decided'], detail: { data: { decision: { outcome: ['approve'] } } } },
        { 'detail-type': 'payment.rules-decided', detail: { data: { decision: { outcome: 'review' } } } },
      ),
    ).toBe(false);
  });

  it('supports anything-but, numeric, exists and array-valued fields', () => {
    expect(matchesEventPattern({ detail: { object: { size: [{ numeric: ['>', 5, '<=', 10] }] } } }, uploaded)).toBe(true);
    expect(matchesEventPattern({ detail: { object: { size: [{ numeric: ['>', 10] }] } } }, uploaded)).toBe(false);
    expect(matchesEventPattern({ source: [{ 'anything-but': ['aws.s3'] }] }, uploaded)).toBe(false);
    expect(matchesEventPattern({ detail: { object: { etag: [{ exists: false }] } } }, uploaded)).toBe(true);
    expect(matchesEventPattern({ detail: { object: { etag: [{ exists: true }] } } }, uploaded)).toBe(false);
    expect(matchesEventPattern({ eventName: ['INSERT'] }, { eventName: 'MODIFY' })).toBe(false);
    expect(matchesEventPattern({ resources: ['arn:b'] }, { resources: ['arn:a', 'arn:b'] })).toBe(true);
  });
});
