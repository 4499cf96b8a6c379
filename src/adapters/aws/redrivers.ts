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
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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
