/**
 * Standard SQS queues, encrypted with a customer-managed key. The hot path's queue stays standard:
 * a FIFO queue grouped by card token would order a card's payments across batches, but needs the
 * consumer and the batch settings changed first (docs/operating-modes.md, "Order"). `QueueWithDlq` = a work queue + its
 * dead-letter queue; `DeadLetterQueue` alone serves EventBridge targets, the Pipe and Scheduler.
 */
import { Construct } from 'constructs';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';

/** SQS maximum: a dead letter waits 14 days for a human or the redriver. */
export const DLQ_RETENTION_SECONDS = 1_209_600;
export const QUEUE_RETENTION_SECONDS = 345_600;
/** Data-key reuse: fewer KMS calls on the hot path (5 minutes). */
const DATA_KEY_REUSE_SECONDS = 300;

export interface DeadLetterQueueProps {
  name: string;
  kmsKeyArn: string;
}

export class DeadLetterQueue extends Construct {
  readonly queue: SqsQueue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new SqsQueue(this, 'queue', {
      name: props.name,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      kmsMasterKeyId: props.kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: DATA_KEY_REUSE_SECONDS,
    });
  }
}

export interface QueueWithDlqProps {
  name: string;
  dlqName: string;
  kmsKeyArn: string;
  /** ≥ 6 × the consumer's timeout + its batching window (AWS guidance for Lambda event sources). */
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export class QueueWithDlq extends Construct {
  readonly queue: SqsQueue;
  readonly dlq: SqsQueue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    this.dlq = new DeadLetterQueue(this, 'dlq', { name: props.dlqName, kmsKeyArn: props.kmsKeyArn }).queue;
    this.queue = new SqsQueue(this, 'queue', {
      name: props.name,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      receiveWaitTimeSeconds: 20,
      kmsMasterKeyId: props.kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: DATA_KEY_REUSE_SECONDS,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.dlq.arn, maxReceiveCount: props.maxReceiveCount }),
    });
  }
}

/** AWS: the source queue's visibility timeout should be at least 6 × the function timeout (+ batching window). */
export function visibilityTimeoutFor(functionTimeoutSeconds: number, batchingWindowSeconds: number): number {
  return 6 * functionTimeoutSeconds + batchingWindowSeconds;
}
