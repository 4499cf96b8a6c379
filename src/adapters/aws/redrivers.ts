/**
 * Redriver adapters for the sweeper.
 *
 * - StepFunctionsRedriver (primary): StartExecution named by the deterministic execution
 *   name, input = the event. A name already used answers ExecutionAlreadyExists →
 *   'already-started'. (For STANDARD state machines, the same name + same input while the
 *   first execution still runs is answered with success by AWS; nothing new starts either way.)
 * - SqsQueueRedriver (fallback when no redrive state machine is configured): sends the event,
 *   EventBridge-shaped (`{ 'detail-type', source, detail }`, what the consumers parse), to the
 *   consumer's queue. Standard-queue semantics: no deduplication, so it always answers
 *   'started'; re-drives are safe because every consumer is idempotent.
 */
import { createHash } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ListDeadLetterSourceQueuesCommand, ListMessageMoveTasksCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { redactPans } from '../../domain/pan';
import type { LedgerEvent } from '../../domain/events';
import type { BusEvent } from '../../routes';
import type { Redriver } from '../../ports';
import { awsCall, errorName } from './errors';

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const HASH_CHARS = 40;

/**
 * A valid Step Functions execution name for `name`: itself when it is 1-80 of [A-Za-z0-9-_],
 * else a readable prefix (invalid characters → "_") + "-" + 40 hex chars of its SHA-256.
 * Deterministic, and distinct names map to distinct results (up to the hash).
 */
export function executionNameFor(name: string): string {
  if (NAME.test(name)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_CHARS);
  const prefix = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80 - HASH_CHARS - 1);
  return prefix ? `${prefix}-${hash}` : hash;
}

export interface StepFunctionsRedriverOptions {
  client?: SFNClient;
  stateMachineArn: string;
}

export class StepFunctionsRedriver implements Redriver {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor(options: StepFunctionsRedriverOptions) {
    this.client = options.client ?? new SFNClient({});
    this.stateMachineArn = options.stateMachineArn;
  }

  async redrive(executionName: string, event: LedgerEvent): Promise<'started' | 'already-started'> {
    try {
      await awsCall('Step Functions StartExecution', () =>
        this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionNameFor(executionName), input: JSON.stringify(event) })),
      );
      return 'started';
    } catch (error) {
      if (errorName(error) === 'ExecutionAlreadyExists') return 'already-started';
      throw error;
    }
  }
}

export interface SqsQueueRedriverOptions {
  client?: SQSClient;
  /** The queue of the consumer that should see the event again (standard queue). */
  queueUrl: string;
}

/** The SQS body an EventBridge rule would have delivered for `event`. */
export function busEventFor(event: LedgerEvent): BusEvent & { version: '0'; id: string; time: string } {
  return { version: '0', id: event.id, 'detail-type': event.type, source: event.source, time: event.occurredAt, detail: event };
}

export class SqsQueueRedriver implements Redriver {
  private readonly client: SQSClient;
  private readonly queueUrl: string;

  constructor(options: SqsQueueRedriverOptions) {
    this.client = options.client ?? new SQSClient({});
    this.queueUrl = options.queueUrl;
  }

  async redrive(executionName: string, event: LedgerEvent): Promise<'started' | 'already-started'> {
    await awsCall('SQS SendMessage', () =>
      this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: JSON.stringify(busEventFor(event)),
          MessageAttributes: { redriveName: { DataType: 'String', StringValue: executionName } },
        }),
      ),
    );
    return 'started';
  }
}

// --- DLQ-1: the dead-letter queues, read and redriven by the operator -------------------------

/** The IAM actions `ledgerline dlq` needs (declared once: src/use-cases/replay/operator-iam.ts). */
export { DLQ_IAM } from '../../use-cases/replay/operator-iam';

/** A message on a dead-letter queue, as `dlq list|show` prints it: the body redacted (PCI-3). */
export interface DeadLetterMessage {
  queueName: string;
  messageId: string;
  /** The body with every card number withheld (PCI-1 evidence). */
  body: string;
  receiveCount: number;
  sentAt?: string;
  /** String message attributes, redacted: EventBridge puts RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE on what it dead-letters. */
  attributes?: Record<string, string>;
}

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

export interface MoveTask {
  taskHandle?: string;
  status: MoveTaskStatus;
  moved: number;
  toMove?: number;
  failureReason?: string;
  startedAt?: string;
}

export interface SqsDeadLetterQueuesOptions {
  client?: SQSClient;
  /** The region of a client this adapter creates. */
  region?: string;
}

function stringAttributes(attributes: Record<string, { StringValue?: string }> | undefined): { attributes?: Record<string, string> } {
  const strings = Object.entries(attributes ?? {}).filter((entry): entry is [string, { StringValue: string }] => typeof entry[1].StringValue === 'string');
  return strings.length === 0 ? {} : { attributes: Object.fromEntries(strings.map(([name, value]) => [redactPans(name), redactPans(value.StringValue)])) };
}

/**
 * The dead-letter queues on AWS. `peek` receives WITHOUT deleting, with a visibility timeout of 0
 * so the messages stay on the queue for the redrive; `redrive` starts an SQS message move task
 * back to the queue each message came from (its source queue), and `tasks` reports its progress.
 */
export class SqsDeadLetterQueues {
  private readonly client: SQSClient;

  constructor(options: SqsDeadLetterQueuesOptions = {}) {
    this.client = options.client ?? new SQSClient(options.region ? { region: options.region } : {});
  }

  /** The queues whose redrive policy names this DLQ. */
  async sources(dlqUrl: string): Promise<string[]> {
    const urls: string[] = [];
    let token: string | undefined;
    do {
      const page = await awsCall('SQS ListDeadLetterSourceQueues', () => this.client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl, NextToken: token, MaxResults: 1000 })));
      urls.push(...(page.queueUrls ?? []));
      token = page.NextToken;
    } while (token);
    return urls;
  }

  /** Up to `max` messages of the DLQ, left on it (no DeleteMessage; visibility timeout 0). */
  async peek(queueName: string, dlqUrl: string, max = 100): Promise<DeadLetterMessage[]> {
    const seen = new Map<string, DeadLetterMessage>();
    for (let round = 0; seen.size < max && round < Math.ceil(max / 10) + 2; round += 1) {
      const response = await awsCall('SQS ReceiveMessage', () =>
        this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: Math.min(10, max - seen.size),
            VisibilityTimeout: 0,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        ),
      );
      const messages = response.Messages ?? [];
      let fresh = 0;
      for (const message of messages) {
        if (!message.MessageId || seen.has(message.MessageId)) continue;
        fresh += 1;
        const sent = message.Attributes?.SentTimestamp;
        seen.set(message.MessageId, {
          queueName,
          messageId: message.MessageId,
          body: redactPans(message.Body ?? ''),
          receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
          ...(sent && /^\d+$/.test(sent) ? { sentAt: new Date(Number(sent)).toISOString() } : {}),
          ...stringAttributes(message.MessageAttributes),
        });
      }
      if (fresh === 0) break;
    }
    return [...seen.values()].slice(0, max);
  }

  /**
   * Starts moving the DLQ's messages back to their source queues. A task already running for this
   * DLQ is reported rather than a second one started (SQS allows one per queue).
   */
  async redrive(dlqArn: string): Promise<{ started: boolean; task: MoveTask }> {
    const running = (await this.tasks(dlqArn)).find((task) => task.status === 'RUNNING');
    if (running) return { started: false, task: running };
    const response = await awsCall('SQS StartMessageMoveTask', () => this.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn })));
    return { started: true, task: { ...(response.TaskHandle ? { taskHandle: response.TaskHandle } : {}), status: 'RUNNING', moved: 0 } };
  }

  /** The DLQ's recent move tasks, newest first. */
  async tasks(dlqArn: string): Promise<MoveTask[]> {
    const response = await awsCall('SQS ListMessageMoveTasks', () => this.client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 })));
    return (response.Results ?? []).map((result) => ({
      ...(result.TaskHandle ? { taskHandle: result.TaskHandle } : {}),
      status: (result.Status ?? 'FAILED') as MoveTaskStatus,
      moved: Number(result.ApproximateNumberOfMessagesMoved ?? 0),
      ...(result.ApproximateNumberOfMessagesToMove !== undefined ? { toMove: Number(result.ApproximateNumberOfMessagesToMove) } : {}),
      ...(result.FailureReason ? { failureReason: result.FailureReason } : {}),
      ...(result.StartedTimestamp !== undefined ? { startedAt: new Date(Number(result.StartedTimestamp)).toISOString() } : {}),
    }));
  }
}
