import type { ScheduledEvent } from 'aws-lambda';
import { createSweeperHandler } from '../../functions/sweeper/sweeper';
import { openMemoryDatabase } from '../support/memory-database';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { markRetrying } from '../../src/domain/transaction-state';
import { authorisedEvent } from '../../src/domain/ingest';
import type { Redriver } from '../../src/ports';
import { authorisation, CapturingPublisher, fixedClock, lambdaContext } from '../support/builders';

/** The event EventBridge Scheduler delivers to the sweeper every few minutes. */
const scheduled: ScheduledEvent = {
  version: '0',
  id: 'c5b6e4b1-0000-4000-8000-000000000001',
  'detail-type': 'Scheduled Event',
  source: 'aws.scheduler',
  account: '123456789012',
  time: '2026-11-01T10:05:00Z',
  region: 'eu-west-2',
  resources: ['arn:aws:scheduler:eu-west-2:123456789012:schedule/default/dev-sweeper'],
  detail: {},
};

describe('sweeper handler (EventBridge Scheduler → SWEEP-2 sweep)', () => {
  it('re-drives retrying transactions under deterministic names and fails them past the threshold', async () => {
    const transactions = new SqliteTransactionStateStore(openMemoryDatabase());
    const started: string[] = [];
    const redriver: Redriver = { redrive: async (name) => (started.includes(name) ? 'already-started' : (started.push(name), 'started')) };
    const publisher = new CapturingPublisher();
    const handler = createSweeperHandler({ transactions, redriver, publisher, clock: fixedClock, config: { maxAttempts: 1, pageSize: 50 } });
    const event = authorisedEvent(authorisation(), '2026-11-01T10:00:00Z');

    await markRetrying(transactions, event, 'enrich', new Error('reference table throttled'), fixedClock.now());
    expect(await handler(scheduled, lambdaContext)).toEqual({ examined: 1, redriven: 1, alreadyRedriven: 0, failed: 0 });
    expect(started).toEqual([`${event.correlationId}-enrich-r1`]);

    await markRetrying(transactions, event, 'enrich', new Error('reference table throttled'), fixedClock.now());
    expect(await handler(scheduled, lambdaContext)).toEqual({ examined: 1, redriven: 0, alreadyRedriven: 0, failed: 1 });
    expect(publisher.published.map((e) => [e.type, (e.data as { stage: string }).stage])).toEqual([['posting.failed', 'enrich']]);
    expect(await handler(scheduled, lambdaContext)).toEqual({ examined: 0, redriven: 0, alreadyRedriven: 0, failed: 0 });
  });
});
