/**
 * The one way a Ledgerline consumer is wired: an SQS batch (fed by an EventBridge rule) →
 * parse + schema-validate each record → the consumer's batch logic → partial batch failure.
 *
 * The same Middy handler runs on Lambda and inside the embedded runtime.
 */
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventType, LedgerEvent } from '../domain/events';
import { validateEvent } from '../../schemas';
import type { Logger } from './logger';
import { silentLogger } from './logger';

/** Per input event: undefined = done, an Error = this record failed and is retried. */
export type BatchResults = ReadonlyArray<Error | undefined>;

export interface ConsumerDefinition<T extends EventType> {
  /** The consumer's name (functions/<name>). */
  name: string;
  /** Event types this consumer accepts; anything else is a poison record. */
  accepts: readonly T[];
  /** Processes the valid events of one batch; returns one result per event, in order. */
  processBatch(events: LedgerEvent<T>[]): Promise<BatchResults>;
  logger?: Logger;
}

export type SqsHandler = middy.MiddyfiedHandler<SQSEvent, SQSBatchResponse, Error, Context>;

/** Embedded runtime fast path: a record may carry its already-parsed bus event. */
export const PARSED_BODY = Symbol.for('ledgerline.parsedBody');
type RecordWithParsed = SQSRecord & { [PARSED_BODY]?: { detail: unknown } };

/**
 * Reads the envelope out of an SQS record. The body is an EventBridge event (`detail` = the
 * envelope) when a rule delivered it, or the bare envelope when the authorisation Pipe delivered
 * it straight to the hot path's queue (FUSE-1).
 */
export function eventFromRecord<T extends EventType>(record: SQSRecord, accepts: readonly T[]): LedgerEvent<T> {
  const parsed = (record as RecordWithParsed)[PARSED_BODY];
  const body = parsed ?? (JSON.parse(record.body) as unknown);
  const envelope = body !== null && typeof body === 'object' && 'detail' in body ? (body as { detail: unknown }).detail : body;
  return validateEvent(envelope, accepts);
}

export function createSqsConsumer<T extends EventType>(definition: ConsumerDefinition<T>): SqsHandler {
  const logger = definition.logger ?? silentLogger;
  const consumeBatch = async (event: SQSEvent): Promise<PromiseSettledResult<unknown>[]> => {
    const settled: PromiseSettledResult<unknown>[] = new Array(event.Records.length);
    const valid: LedgerEvent<T>[] = [];
    const positions: number[] = [];
    event.Records.forEach((record, index) => {
      try {
        valid.push(eventFromRecord(record, definition.accepts));
        positions.push(index);
      } catch (error) {
        logger.error('rejected record', { consumer: definition.name, messageId: record.messageId, error });
        settled[index] = { status: 'rejected', reason: error };
      }
    });
    if (valid.length > 0) {
      const results = await definition.processBatch(valid);
      positions.forEach((position, i) => {
        const failure = results[i];
        settled[position] = failure ? { status: 'rejected', reason: failure } : { status: 'fulfilled', value: undefined };
      });
    }
    return settled;
  };
  Object.defineProperty(consumeBatch, 'name', { value: `${definition.name}ConsumeBatch` });
  return middy<SQSEvent, SQSBatchResponse>()
    .use(
      sqsPartialBatchFailure({
        logger: (reason: unknown, record: SQSRecord) => logger.warn('record failed; it will be retried', { consumer: definition.name, messageId: record.messageId, error: reason }),
      }),
    )
    .handler(consumeBatch as unknown as (event: SQSEvent) => Promise<SQSBatchResponse>);
}
