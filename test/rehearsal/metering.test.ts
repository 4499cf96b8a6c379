/**
 * COST-1: what the rehearsal's meter counts, held to the services' billing rules: DynamoDB item
 * sizes and capacity (1 unit per KB written, the larger of before and after, ×2 in transactions,
 * failed conditions and cancelled transactions still consume, index entries put / changed /
 * removed, reads per 4 KB, half when eventually consistent), SQS requests (64 KB chunks, at most 10
 * messages per receive and delete, sends a counted request did not cover billed one by one),
 * EventBridge entry sizes and S3 price classes.
 */
import fc from 'fast-check';
import type { TableDefinition } from '../../rehearsal/deployment';
import { DynamoStandIn } from '../../rehearsal/dynamo';
import { indexWriteUnits, itemSize, keyText, Meter, numberSize, putEventsEntrySize, readHalfUnits, s3PriceClass, valueSize, writeUnits, type Item } from '../../rehearsal/metering';
import { QueueService, VirtualClock } from '../../rehearsal/sqs';

const transactions: TableDefinition = {
  address: 'aws_dynamodb_table.transactions',
  name: 'transactions',
  arn: 'arn:aws:dynamodb:eu-west-2:111111111111:table/transactions',
  hashKey: 'pk',
  attributes: [
    { name: 'pk', type: 'S' },
    { name: 'retryingAt', type: 'S' },
  ],
  // A sparse index: only items with `retryingAt` are in it.
  globalSecondaryIndexes: [{ name: 'retrying', hashKey: 'retryingAt', projectionType: 'KEYS_ONLY' }],
  localSecondaryIndexes: [],
  streamEnabled: false,
};

const text = (bytes: number) => 'x'.repeat(bytes);

describe('DynamoDB item sizes (DynamoDB developer guide, item size rules)', () => {
  it('a string is its UTF-8 bytes, a name its UTF-8 bytes, a number 1 byte per two significant digits plus 1', () => {
    expect(itemSize({ pk: { S: 'abc' } })).toBe(2 + 3);
    expect(itemSize({ naïve: { S: 'é' } })).toBe(6 + 2);
    expect(numberSize('0')).toBe(1);
    expect(numberSize('12345')).toBe(4);
    expect(numberSize('-0.00012300')).toBe(3);
    expect(numberSize('1.5e10')).toBe(2);
    expect(valueSize({ BOOL: true })).toBe(1);
    expect(valueSize({ NULL: true })).toBe(1);
    expect(valueSize({ B: Buffer.from('hello').toString('base64') })).toBe(5);
  });

  it('a list or map is 3 bytes plus 1 per element plus its elements (and a map its names)', () => {
    expect(valueSize({ L: [{ S: 'ab' }, { N: '7' }] })).toBe(3 + (1 + 2) + (1 + 2));
    expect(valueSize({ M: { a: { S: 'xy' }, bb: { BOOL: false } } })).toBe(3 + (1 + 1 + 2) + (1 + 2 + 1));
  });

  it('write units are per KB rounded up, at least 1; read half-units per 4 KB, halved when eventually consistent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 1024 }), (bytes) => {
        expect(writeUnits(bytes)).toBe(Math.max(1, Math.ceil(bytes / 1024)));
        expect(readHalfUnits(bytes, true)).toBe(2 * readHalfUnits(bytes, false));
        expect(readHalfUnits(bytes, false)).toBe(Math.max(1, Math.ceil(bytes / 4096)));
      }),
    );
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
  });

  it('an index entry costs a write when it appears, disappears or changes, two when its key changes, none otherwise', () => {
    const base: Item = { pk: { S: 'T#1' }, status: { S: 'RUNNING' } };
    const retrying: Item = { ...base, retryingAt: { S: '2026-12-05T10:00:00Z' } };
    expect(indexWriteUnits(transactions, undefined, base)).toBe(0);
    expect(indexWriteUnits(transactions, base, retrying)).toBe(1);
    expect(indexWriteUnits(transactions, retrying, { ...retrying, status: { S: 'RETRYING' } })).toBe(0);
    expect(indexWriteUnits(transactions, retrying, { ...retrying, retryingAt: { S: '2026-12-05T11:00:00Z' } })).toBe(2);
    expect(indexWriteUnits(transactions, retrying, base)).toBe(1);
    expect(indexWriteUnits(transactions, retrying, undefined)).toBe(1);
    expect(
      indexWriteUnits({ ...transactions, globalSecondaryIndexes: [{ ...transactions.globalSecondaryIndexes[0]!, projectionType: 'ALL' }] }, retrying, { ...retrying, status: { S: 'RETRYING' } }),
    ).toBe(1);
  });
});

describe('the meter on the DynamoDB stand-in', () => {
  const dynamo = new DynamoStandIn([transactions], 'eu-west-2');
  const meter = new Meter();
  const send = (operation: string, input: Record<string, unknown>) => meter.dynamo('function test', operation, input, dynamo, () => dynamo.handle(operation, JSON.stringify(input), input));
  const units = async () => {
    await meter.settled();
    return meter.counts(META, (name) => name).dynamodb.transactions!;
  };

  beforeAll(async () => {
    await dynamo.start();
    meter.recording = true;
  });
  afterAll(() => dynamo.stop());

  it('counts puts, updates, failed conditions, transactions and index writes as DynamoDB bills them', async () => {
    const big = text(1500);
    // A new item of ~1.5 KB: 2 units.
    await send('PutItem', { TableName: 'transactions', Item: { pk: { S: 'T#1' }, body: { S: big } } });
    expect((await units()).writeUnits.toString()).toBe('2');
    // The same put again under attribute_not_exists: the condition fails, the existing 1.5 KB item is charged: 2 more.
    const failed = await send('PutItem', { TableName: 'transactions', Item: { pk: { S: 'T#1' } }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(failed.status).toBe(400);
    expect((await units()).writeUnits.toString()).toBe('4');
    expect((await units()).conditionalFailures).toBe(1);
    // An update that shrinks it to a few bytes is charged the larger image (2) and puts it in the sparse index (1).
    await send('UpdateItem', {
      TableName: 'transactions',
      Key: { pk: { S: 'T#1' } },
      UpdateExpression: 'REMOVE body SET retryingAt = :at',
      ExpressionAttributeValues: { ':at': { S: '2026-12-05T10:00:00Z' } },
    });
    expect((await units()).writeUnits.toString()).toBe('7');
    // A transaction of two small items: 2 × 2 units; its removal from the index: 1.
    await send('TransactWriteItems', {
      TransactItems: [{ Put: { TableName: 'transactions', Item: { pk: { S: 'T#2' } } } }, { Update: { TableName: 'transactions', Key: { pk: { S: 'T#1' } }, UpdateExpression: 'REMOVE retryingAt' } }],
    });
    expect((await units()).writeUnits.toString()).toBe('12');
    // A cancelled transaction still consumes its items, twice.
    const cancelled = await send('TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: 'transactions', Item: { pk: { S: 'T#3' } } } },
        { ConditionCheck: { TableName: 'transactions', Key: { pk: { S: 'T#2' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
    });
    expect(cancelled.status).toBe(400);
    expect((await units()).writeUnits.toString()).toBe('16');
    expect((await units()).transactionsCancelled).toBe(1);
    expect((await units()).requests).toEqual({ PutItem: 2, UpdateItem: 1, TransactWriteItems: 2 });
  });

  it('counts reads per 4 KB of the whole item (not the projection), half when eventually consistent, the minimum for a missing item', async () => {
    const before = (await units()).readUnits;
    await send('PutItem', { TableName: 'transactions', Item: { pk: { S: 'R#1' }, body: { S: text(5000) } } });
    await send('GetItem', { TableName: 'transactions', Key: { pk: { S: 'R#1' } }, ProjectionExpression: 'pk' });
    expect((await units()).readUnits.minus(before).toString()).toBe('1');
    await send('GetItem', { TableName: 'transactions', Key: { pk: { S: 'R#1' } }, ConsistentRead: true });
    expect((await units()).readUnits.minus(before).toString()).toBe('3');
    await send('GetItem', { TableName: 'transactions', Key: { pk: { S: 'absent' } } });
    expect((await units()).readUnits.minus(before).toString()).toBe('3.5');
  });

  it('tracks the most written items with their attempts, conditions and latency', async () => {
    await meter.settled();
    const hottest = meter.counts(META, (name) => name).hotItems[0]!;
    expect(hottest).toMatchObject({ table: 'transactions', key: 'pk=T#1' });
    expect(hottest.attempts).toBeGreaterThanOrEqual(hottest.writes);
    expect(hottest.conditionalAttempts).toBe(1);
    expect(hottest.latencyMicros).toBeGreaterThan(0);
    expect(hottest.minLatencyMicros).toBeGreaterThan(0);
    expect(hottest.minLatencyMicros * hottest.attempts).toBeLessThanOrEqual(hottest.latencyMicros);
  });

  it('counts nothing while not recording', async () => {
    const before = (await units()).writeUnits;
    meter.recording = false;
    await send('PutItem', { TableName: 'transactions', Item: { pk: { S: 'T#9' } } });
    meter.recording = true;
    expect((await units()).writeUnits.equals(before)).toBe(true);
  });
});

const META = {
  env: 'dev',
  region: 'eu-west-2',
  count: 1,
  posted: 1,
  seed: 1,
  date: '2026-12-05T00:00:00Z',
  gitCommit: 'test',
  gitDirty: false,
  clean: true,
  window: 'test',
  topology: { functions: [], routes: [], pipes: [] },
  injected: { duplicateDeliveries: 0, visibilityExpiries: 0, transientFaults: 0 },
  pipes: {},
};

describe('SQS, EventBridge and S3 requests', () => {
  const queueDefinition = { address: 'q', name: 'q', arn: 'arn:aws:sqs:eu-west-2:111111111111:q', url: 'http://sqs/q', visibilityTimeoutSeconds: 30, receiveWaitTimeSeconds: 0 };

  it('bills every 64 KB chunk of a request, and sends no counted request covered as batches of 10 per burst of one origin', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 200 * 1024 }), { minLength: 1, maxLength: 10 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 200 * 1024 }), { maxLength: 8 }),
        (batches, loose) => {
          const meter = new Meter();
          meter.recording = true;
          const queue = new QueueService([queueDefinition], new VirtualClock()).byArn(queueDefinition.arn)!;
          queue.meter = meter;
          for (const sizes of batches) {
            meter.sqsRequest('q', 'send', 'function a', sizes);
            for (const size of sizes) queue.send(text(size), 'SendMessageBatch');
          }
          for (const size of loose) queue.send(text(size), 'pipe p');
          // Redrive moves and injected duplicates are not requests.
          if (queue.messages[0]) queue.duplicate(queue.messages[0]);
          const counted = meter.counts(META, (name) => name).sqs.q ?? { sendRequests: 0, sentMessages: 0, producers: [] };
          // The loose sends are one synchronous burst of one origin: SendMessageBatch requests of 10.
          const request = (sizes: number[]) => Math.max(1, Math.ceil(sizes.reduce((a, b) => a + b, 0) / 65536));
          let expected = batches.reduce((n, sizes) => n + request(sizes), 0);
          for (let start = 0; start < loose.length; start += 10) expected += request(loose.slice(start, start + 10));
          expect(counted.sendRequests).toBe(expected);
          expect(counted.sentMessages).toBe(batches.flat().length + loose.length);
          expect(counted.producers).toEqual([...(batches.length > 0 ? ['function a'] : []), ...(loose.length > 0 ? ['pipe p'] : [])]);
        },
      ),
    );
  });

  it('sends of one origin in separate turns are separate requests', async () => {
    const meter = new Meter();
    meter.recording = true;
    for (let i = 0; i < 12; i += 1) meter.sqsMessage('q', 100, true, 'pipe p');
    await Promise.resolve();
    meter.sqsMessage('q', 100, true, 'pipe p');
    meter.sqsMessage('q', 100, false, 'q after 5 receives');
    expect(meter.counts(META, (name) => name).sqs.q).toMatchObject({ sendRequests: 2 + 1, sentMessages: 13, producers: ['pipe p'] });
  });

  it("an event-source mapping's batch costs ⌈n/10⌉ receives and ⌈deleted/10⌉ deletes (Lambda's poller takes 10 at a time)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 }), (n, deletedWanted) => {
        const deleted = Math.min(n, deletedWanted);
        const meter = new Meter();
        meter.recording = true;
        meter.esmBatch('q', 'fn', 'role-fn', new Array<number>(n).fill(1000), 12.3456, deleted);
        const counts = meter.counts(META, (name) => name);
        expect(counts.sqs.q).toMatchObject({ receiveRequests: Math.ceil(n / 10), receivedMessages: n, deleteRequests: Math.ceil(deleted / 10), deletedMessages: deleted, consumers: ['role-fn'] });
        expect(counts.eventSourceMappings).toEqual([{ queue: 'q', function: 'fn', batches: 1, messages: n, durationMicros: 12346 }]);
      }),
    );
  });

  it('bills Lambda per invocation rounded up to the millisecond, and counts cold starts and log bytes', () => {
    const meter = new Meter();
    meter.recording = true;
    meter.lambdaInvocation('fn', 10.2, true, 100);
    meter.lambdaInvocation('fn', 0.3, false, 0);
    meter.lambdaColdStart('fn', 250.4);
    meter.lambdaLog('fn', 300, 2);
    const counts = meter.counts(META, (name) => `/aws/lambda/${name}`);
    expect(counts.lambda.fn).toEqual({ invocations: 2, errors: 1, billedMs: 12, durationMicros: 10500, coldStarts: 1, initMs: 251, records: 100, logBytes: 300, logEvents: 2 });
    expect(counts.logs).toEqual({ '/aws/lambda/fn': { bytes: 300, events: 2 } });
  });

  it('sizes a PutEvents entry as EventBridge does and counts 64 KB chunks; archives take what matches their pattern', () => {
    expect(putEventsEntrySize({ Source: 'ledgerline', DetailType: 'payment.authorised', Detail: '{"a":1}' })).toBe(10 + 18 + 7);
    expect(putEventsEntrySize({ Time: '2026-12-05T00:00:00Z', Source: 's', DetailType: 't', Detail: '{}', Resources: ['arn:x'] })).toBe(14 + 1 + 1 + 2 + 5);
    const meter = new Meter([{ name: 'replay', busName: 'bus', pattern: { 'detail-type': ['payment.authorised'] } }]);
    meter.recording = true;
    meter.putEventsRequest('bus');
    meter.customEvent('bus', 100);
    meter.customEvent('bus', 65537);
    meter.routedEvent('bus', { source: 'ledgerline', 'detail-type': 'payment.authorised', detail: {} });
    meter.routedEvent('bus', { source: 'ledgerline', 'detail-type': 'posting.recorded', detail: {} });
    meter.routedEvent('default', { source: 'aws.s3', 'detail-type': 'Object Created', detail: {} });
    meter.ruleDelivery('bus', 'rule-a', 'sqs');
    const counts = meter.counts(META, (name) => name).eventBridge;
    expect(counts.buses.bus).toEqual({ putEventsRequests: 1, customEvents: 2, customChunks: 3, awsServiceEvents: 0, awsServiceChunks: 0, deliveries: { sqs: 1 } });
    expect(counts.buses.default).toMatchObject({ awsServiceEvents: 1, awsServiceChunks: 1 });
    expect(counts.archives.replay!.events).toBe(1);
    expect(counts.rules).toEqual({ 'rule-a': 1 });
  });

  it('classes S3 requests by price: PUT/COPY/POST/LIST, free DELETE, GET and the rest', () => {
    expect(['PutObject', 'CopyObject', 'ListObjectsV2', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload'].map(s3PriceClass)).toEqual(new Array(6).fill('put'));
    expect(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload'].map(s3PriceClass)).toEqual(['free', 'free', 'free']);
    expect(['GetObject', 'HeadObject', 'GetObjectTagging'].map(s3PriceClass)).toEqual(['get', 'get', 'get']);
    expect(keyText({ sk: { S: 'b' }, pk: { S: 'a' } })).toBe('pk=a,sk=b');
  });
});
