/**
 * What the operator running `ledgerline replay` and `ledgerline dlq` on AWS needs (REPLAY-1,
 * DLQ-1): declared once, next to nothing AWS-specific, and read by the AWS adapters' docs, the
 * data stack's operator role and the IAM contract test.
 */

/** EventBridge replay: StartReplay on the archive, DescribeReplay on the replays it starts. */
export const REPLAY_IAM = Object.freeze({
  archive: Object.freeze(['events:StartReplay']),
  replay: Object.freeze(['events:DescribeReplay']),
});

/** The dead-letter queues: read without deleting, list their sources, start and follow message move tasks. */
export const DLQ_IAM = Object.freeze({
  deadLetterQueue: Object.freeze(['sqs:ListDeadLetterSourceQueues', 'sqs:ReceiveMessage', 'sqs:GetQueueAttributes', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:DeleteMessage']),
  /** A move task sends each message back to its source queue as the caller. */
  sourceQueue: Object.freeze(['sqs:SendMessage']),
  /** The queues are encrypted with the messaging key: reading and sending use it through SQS. */
  key: Object.freeze(['kms:Decrypt', 'kms:GenerateDataKey']),
});

/**
 * The prefix of every replay name `ledgerline replay` starts in an environment
 * (src/use-cases/replay/replay.ts replayNameFor): the environment's prefix, so the replays fall
 * under the permissions boundary's `<prefix>-*` resources.
 */
export function replayNamePrefix(environmentPrefix: string): string {
  return `${environmentPrefix}-replay-`;
}
