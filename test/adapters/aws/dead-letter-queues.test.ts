/**
 * DLQ-1 on AWS, against a recorded SQS client: list/show receive WITHOUT deleting (visibility
 * timeout 0) and redact every card number (PCI-3); redrive starts one message move task per
 * dead-letter queue and reports a running one instead of starting a second.
 */
import { DeleteMessageCommand, ListDeadLetterSourceQueuesCommand, ListMessageMoveTasksCommand, ReceiveMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsDeadLetterQueues } from '../../../src/adapters/aws/redrivers';
import { TransientStoreError } from '../../../src/ports';
import { containsDigitsOf, panSpellingList } from '../../support/pan-spellings';
import { TEST_AWS } from './support/dynalite';

const DLQ_URL = 'https://sqs.eu-west-2.amazonaws.com/111111111111/ledgerline-dev-payments-to-hot-path-dlq';
const DLQ_ARN = 'arn:aws:sqs:eu-west-2:111111111111:ledgerline-dev-payments-to-hot-path-dlq';

describe('SqsDeadLetterQueues', () => {
  const client = new SQSClient(TEST_AWS);
  const mock = mockClient(client);
  const queues = new SqsDeadLetterQueues({ client });
  beforeEach(() => mock.reset());
  afterAll(() => mock.restore());

  it('peek receives without deleting, visibility 0, de-duplicating re-received messages, and stops when nothing new comes', async () => {
    const message = (id: string) => ({ MessageId: id, ReceiptHandle: `rh-${id}`, Body: `{"id":"${id}"}`, Attributes: { ApproximateReceiveCount: '5', SentTimestamp: '1765000000000' } });
    mock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a'), message('b')] })
      .resolvesOnce({ Messages: [message('b'), message('c')] })
      .resolvesOnce({ Messages: [message('a')] })
      .resolves({});
    const peeked = await queues.peek('dlq', DLQ_URL, 50);
    expect(peeked.map((m) => m.messageId)).toEqual(['a', 'b', 'c']);
    expect(peeked[0]).toEqual({ queueName: 'dlq', messageId: 'a', body: '{"id":"a"}', receiveCount: 5, sentAt: new Date(1765000000000).toISOString() });
    for (const call of mock.commandCalls(ReceiveMessageCommand)) expect(call.args[0].input).toMatchObject({ QueueUrl: DLQ_URL, VisibilityTimeout: 0 });
    expect(mock.commandCalls(ReceiveMessageCommand)).toHaveLength(3);
    expect(mock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('peek stops at max', async () => {
    let n = 0;
    mock
      .on(ReceiveMessageCommand)
      .callsFake((input: { MaxNumberOfMessages: number }) => ({ Messages: Array.from({ length: input.MaxNumberOfMessages }, () => ({ MessageId: `m${(n += 1)}`, Body: '{}' })) }));
    expect(await queues.peek('dlq', DLQ_URL, 25)).toHaveLength(25);
    expect(mock.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input.MaxNumberOfMessages)).toEqual([10, 10, 5]);
  });

  it('PCI-3: a body carrying a card number in any spelling comes back with the digits withheld', async () => {
    const spellings = panSpellingList().slice(0, 80);
    mock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: spellings.map((spelling, i) => ({
          MessageId: `m${i}`,
          Body: JSON.stringify({ detail: { note: spelling.text } }),
          MessageAttributes: { ERROR_MESSAGE: { DataType: 'String', StringValue: `target refused ${spelling.text}` }, RULE_ARN: { DataType: 'String', StringValue: 'arn:rule' } },
        })),
      })
      .resolves({});
    const peeked = await queues.peek('dlq', DLQ_URL, 100);
    expect(peeked[0]!.attributes).toMatchObject({ RULE_ARN: 'arn:rule' });
    const bodies = peeked.map((m) => `${m.body}\n${JSON.stringify(m.attributes)}`).join('\n');
    for (const pan of new Set(spellings.map((spelling) => spelling.pan))) expect(containsDigitsOf(bodies, pan)).toBe(false);
  });

  it('sources pages through ListDeadLetterSourceQueues', async () => {
    mock
      .on(ListDeadLetterSourceQueuesCommand)
      .resolvesOnce({ queueUrls: ['q1'], NextToken: 't' })
      .resolves({ queueUrls: ['q2'] });
    expect(await queues.sources(DLQ_URL)).toEqual(['q1', 'q2']);
    expect(mock.commandCalls(ListDeadLetterSourceQueuesCommand)[1]!.args[0].input).toMatchObject({ QueueUrl: DLQ_URL, NextToken: 't' });
  });

  it('redrive starts a move task back to the source queue (no destination), unless one is running', async () => {
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, SourceArn: DLQ_ARN }] });
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-1' });
    expect(await queues.redrive(DLQ_ARN)).toEqual({ started: true, task: { taskHandle: 'handle-1', status: 'RUNNING', moved: 0 } });
    expect(mock.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({ SourceArn: DLQ_ARN });

    mock.reset();
    mock.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ TaskHandle: 'handle-2', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 4, ApproximateNumberOfMessagesToMove: 10, StartedTimestamp: 1765000000000 }],
    });
    const again = await queues.redrive(DLQ_ARN);
    expect(again).toEqual({ started: false, task: { taskHandle: 'handle-2', status: 'RUNNING', moved: 4, toMove: 10, startedAt: new Date(1765000000000).toISOString() } });
    expect(mock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('tasks report failures with their reason; throttling is transient and names the call', async () => {
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'FAILED', FailureReason: 'AccessDenied', ApproximateNumberOfMessagesMoved: 1 }] });
    expect(await queues.tasks(DLQ_ARN)).toEqual([{ status: 'FAILED', moved: 1, failureReason: 'AccessDenied' }]);
    mock.on(StartMessageMoveTaskCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    await expect(queues.redrive(DLQ_ARN)).rejects.toThrow(TransientStoreError);
    await expect(queues.redrive(DLQ_ARN)).rejects.toThrow(/SQS StartMessageMoveTask/);
  });
});
