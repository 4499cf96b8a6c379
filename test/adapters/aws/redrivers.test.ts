import { ExecutionAlreadyExists, SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { executionNameFor, SqsQueueRedriver, StepFunctionsRedriver } from '../../../src/adapters/aws/redrivers';
import type { LedgerEvent } from '../../../src/domain/events';
import { correlationIdFor, EventTypes, nextEvent } from '../../../src/domain/events';
import { eventFromRecord } from '../../../src/lambda/sqs-consumer';
import { TransientStoreError } from '../../../src/ports';
import { TEST_AWS } from './support/dynalite';

const ARN = 'arn:aws:states:eu-west-2:123456789012:stateMachine:dev-ledgerline-redrive';

const event: LedgerEvent = nextEvent(
  { id: 'cause-1', correlationId: correlationIdFor('AUTH-1') },
  EventTypes.postingCompleted,
  'ledgerline.assembler',
  { sequenceId: 'seq-1', authorizationId: 'AUTH-1', legCount: 2, postingRecordId: 'rec-1' },
  '2025-06-01T10:00:00.000Z',
);

describe('executionNameFor', () => {
  it('keeps a valid name of up to 80 characters', () => {
    expect(executionNameFor('redrive-posting-abc_1')).toBe('redrive-posting-abc_1');
    expect(executionNameFor('a'.repeat(80))).toBe('a'.repeat(80));
  });

  it('hashes long or invalid names deterministically into ≤ 80 valid characters', () => {
    const long = `redrive-${'x'.repeat(100)}-attempt-3`;
    const names = [long, 'redrive:posting:9f3c/attempt 2', `${'a'.repeat(81)}`];
    for (const name of names) {
      const result = executionNameFor(name);
      expect(result).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(result).toBe(executionNameFor(name));
    }
    expect(executionNameFor(`${long}x`)).not.toBe(executionNameFor(long));
    expect(executionNameFor('a:b')).not.toBe(executionNameFor('a_b'));
  });
});

describe('StepFunctionsRedriver', () => {
  const client = new SFNClient(TEST_AWS);
  const mock = mockClient(client);
  const redriver = new StepFunctionsRedriver({ client, stateMachineArn: ARN });
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  it('starts an execution named by the deterministic name with the event as input', async () => {
    mock.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    await expect(redriver.redrive('redrive-tx-1-attempt-1', event)).resolves.toBe('started');
    expect(mock.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'redrive-tx-1-attempt-1',
      input: JSON.stringify(event),
    });
  });

  it('hashes a long name', async () => {
    mock.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    const name = `redrive-${correlationIdFor('AUTH-1')}-posting-${correlationIdFor('AUTH-2')}-attempt-1`;
    expect(name.length).toBeGreaterThan(80);
    await redriver.redrive(name, event);
    expect(mock.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe(executionNameFor(name));
    expect(executionNameFor(name).length).toBeLessThanOrEqual(80);
  });

  it('answers already-started when the name was used', async () => {
    mock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));
    await expect(redriver.redrive('redrive-tx-1-attempt-1', event)).resolves.toBe('already-started');
  });

  it('maps throttling to TransientStoreError', async () => {
    mock.on(StartExecutionCommand).rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));
    await expect(redriver.redrive('n', event)).rejects.toBeInstanceOf(TransientStoreError);
  });
});

describe('SqsQueueRedriver', () => {
  const client = new SQSClient(TEST_AWS);
  const mock = mockClient(client);
  const queueUrl = 'https://sqs.eu-west-2.amazonaws.com/123456789012/dev-legs-to-assembler-queue';
  const redriver = new SqsQueueRedriver({ client, queueUrl });
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  it('sends an EventBridge-shaped body that the consumers parse back to the event', async () => {
    mock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    await expect(redriver.redrive('redrive-tx-1-attempt-1', event)).resolves.toBe('started');
    const input = mock.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input.QueueUrl).toBe(queueUrl);
    expect(input.MessageDeduplicationId).toBeUndefined();
    const body = JSON.parse(input.MessageBody!);
    expect(body).toMatchObject({ 'detail-type': 'posting.completed', source: 'ledgerline.assembler', detail: event });
    expect(input.MessageAttributes?.redriveName?.StringValue).toBe('redrive-tx-1-attempt-1');
    const record = { messageId: 'm-1', body: input.MessageBody! } as SQSRecord;
    expect(eventFromRecord(record, [EventTypes.postingCompleted])).toEqual(event);
  });

  it('maps an outage to TransientStoreError', async () => {
    mock.on(SendMessageCommand).rejects(new SQSServiceException({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'down' }));
    await expect(redriver.redrive('n', event)).rejects.toBeInstanceOf(TransientStoreError);
  });
});
