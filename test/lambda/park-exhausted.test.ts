/**
 * NFR3/NFR5: a record that used its last delivery and still failed is parked RETRYING for the
 * sweeper. A store that is throttled or busy while it is parked is tried again (each write is
 * conditional on the version) before the record is given up to the dead-letter queue; any other
 * store fault gives it up at once; its batch-mates keep their outcomes either way.
 */
import middy from '@middy/core';
import fc from 'fast-check';
import type { SQSEvent } from 'aws-lambda';
import { parkExhaustedRecords } from '../../src/lambda/park-exhausted';
import { TransientStoreError, type TransactionState, type TransactionStateStore } from '../../src/ports';
import { approvedData, envelope, sqsEvent } from '../support/builders';

/** A transaction-state store whose writes fail `failures` times first (transient or not), counting attempts. */
function flakyStore(failures: number, transient: boolean): TransactionStateStore & { attempts: number; stored: TransactionState[] } {
  const stored: TransactionState[] = [];
  const store = {
    attempts: 0,
    stored,
    get: async () => undefined,
    put: async (state: TransactionState) => {
      store.attempts += 1;
      if (store.attempts <= failures) throw transient ? new TransientStoreError('ProvisionedThroughputExceededException') : new Error('AccessDeniedException');
      stored.push(state);
    },
    listByStatus: async () => [],
  };
  return store as unknown as TransactionStateStore & { attempts: number; stored: TransactionState[] };
}

async function park(store: TransactionStateStore, event: SQSEvent): Promise<PromiseSettledResult<unknown>[]> {
  const handler = middy(async (incoming: SQSEvent) =>
    incoming.Records.map((_, i): PromiseSettledResult<unknown> => (i === 0 ? { status: 'rejected', reason: new Error('stage failed') } : { status: 'fulfilled', value: 'ok' })),
  );
  handler.use(parkExhaustedRecords({ stage: 'posting', maxReceiveCount: 3, transactions: store, clock: { now: () => new Date('2026-01-01T00:00:00Z') } }));
  return (await handler(event, {} as never)) as PromiseSettledResult<unknown>[];
}

const batch = (): SQSEvent => sqsEvent([envelope('payment.rules-decided', approvedData(), 'AUTH-1'), envelope('payment.rules-decided', approvedData(), 'AUTH-2')], 3);

describe('parking an exhausted record', () => {
  it('property: up to 4 transient faults are ridden out (parked once); 5 give the record up; batch-mates untouched', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 7 }), async (failures) => {
        const store = flakyStore(failures, true);
        const settled = await park(store, batch());
        expect(settled[1]).toEqual({ status: 'fulfilled', value: 'ok' });
        if (failures < 5) {
          expect(settled[0]).toEqual({ status: 'fulfilled', value: 'parked-for-sweeper' });
          expect(store.stored).toHaveLength(1);
          expect(store.stored[0]!.status).toBe('RETRYING');
          expect(store.attempts).toBe(failures + 1);
        } else {
          expect(settled[0]!.status).toBe('rejected');
          expect(store.stored).toHaveLength(0);
          expect(store.attempts).toBe(5);
        }
      }),
      { numRuns: 16 },
    );
  });

  it('a store fault that is not transient gives the record up at once', async () => {
    const store = flakyStore(1, false);
    const settled = await park(store, batch());
    expect(settled[0]!.status).toBe('rejected');
    expect(store.attempts).toBe(1);
    expect(settled[1]).toEqual({ status: 'fulfilled', value: 'ok' });
  });
});
