/**
 * Middy middleware for SQS consumers: a record that has used up its deliveries
 * (ApproximateReceiveCount ≥ maxReceiveCount) and still fails is parked in the
 * transaction-state store as RETRYING, for the sweeper, instead of going to the DLQ.
 * A record that cannot even be parsed still goes to the DLQ. Nothing is lost either way.
 */
import type middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import type { EventType } from '../domain/events';
import { ALL_EVENT_TYPES } from '../domain/events';
import { markRetrying } from '../domain/transaction-state';
import { TransientStoreError, type Clock, type TransactionStateStore } from '../ports';
import { eventFromRecord } from './sqs-consumer';

export interface ParkExhaustedOptions {
  stage: string;
  maxReceiveCount: number;
  transactions: TransactionStateStore;
  clock: Clock;
}

/** Attempts at writing RETRYING while the store reports a transient fault (each write is conditional on the version: a retry never writes twice). */
const PARK_ATTEMPTS = 5;

/** NFR3/NFR5: a throttled or busy store is tried again (a short backoff) before a record is given up to the dead-letter queue. */
async function markRetryingPersistently(write: () => Promise<unknown>, attempts = PARK_ATTEMPTS): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await write();
      return;
    } catch (error) {
      if (!(error instanceof TransientStoreError) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
    }
  }
}

export function parkExhaustedRecords(options: ParkExhaustedOptions): middy.MiddlewareObj<SQSEvent, unknown> {
  const parkExhaustedAfter: middy.MiddlewareFn<SQSEvent, unknown> = async (request) => {
    const settled = request.response as PromiseSettledResult<unknown>[] | undefined;
    if (!Array.isArray(settled)) return;
    const records = request.event.Records;
    for (let index = 0; index < records.length; index += 1) {
      const outcome = settled[index];
      const record = records[index]!;
      if (outcome?.status !== 'rejected') continue;
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
      if (receiveCount < options.maxReceiveCount) continue;
      let event;
      try {
        event = eventFromRecord(record, ALL_EVENT_TYPES as EventType[]);
      } catch {
        continue; // unparseable: let it reach the dead-letter queue
      }
      try {
        await markRetryingPersistently(() => markRetrying(options.transactions, event, options.stage, outcome.reason, options.clock.now()));
      } catch {
        // The transaction state could not be written (a store still throttled or busy after the
        // retries): this record alone stays failed and takes the dead-letter path; its batch-mates
        // keep their outcomes.
        continue;
      }
      settled[index] = { status: 'fulfilled', value: 'parked-for-sweeper' };
    }
  };
  return { after: parkExhaustedAfter };
}
