import { createDedupHandler } from '../../functions/dedup/dedup';
import { openMemoryDatabase } from '../support/memory-database';
import { SqliteDedupStore, SqliteParkedDuplicateStore } from '../../src/adapters/embedded/dedup-store';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { authorisedEvent } from '../../src/domain/ingest';
import type { DedupStore } from '../../src/ports';
import { TransientStoreError } from '../../src/ports';
import { validateEvent } from '../../schemas';
import { authorisation, CapturingPublisher, fixedClock, lambdaContext, sqsEvent } from '../support/builders';

function setup(wrap?: (store: DedupStore) => DedupStore) {
  const db = openMemoryDatabase();
  const real = new SqliteDedupStore(db);
  const publisher = new CapturingPublisher();
  const handler = createDedupHandler({
    store: wrap ? wrap(real) : real,
    parking: new SqliteParkedDuplicateStore(db),
    transactions: new SqliteTransactionStateStore(db),
    publisher,
    clock: fixedClock,
    config: { windowSeconds: 86400 },
  });
  return { db, publisher, handler };
}

const original = authorisedEvent(authorisation(), '2026-11-01T10:00:01.000Z');
const resend = authorisedEvent(authorisation({ authorizationId: 'AUTH-2' }), '2026-11-01T10:00:02.000Z');
const other = authorisedEvent(authorisation({ authorizationId: 'AUTH-3', stan: '999999' }), '2026-11-01T10:00:03.000Z');

describe('dedup handler (FR2-FR4)', () => {
  it('passes unique payments on, parks duplicates with reason and original id', async () => {
    const { db, publisher, handler } = setup();
    const response = await handler(sqsEvent([original, resend, other]), lambdaContext);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(publisher.published.map((e) => [e.type, e.correlationId === original.correlationId])).toEqual([
      ['payment.deduplicated', true],
      ['payment.duplicate-parked', false],
      ['payment.deduplicated', false],
    ]);
    publisher.published.forEach((e) => validateEvent(e));
    const parked = db.prepare('SELECT authorization_id, original_authorization_id, reason FROM parked_duplicates').all();
    expect(parked).toEqual([{ authorization_id: 'AUTH-2', original_authorization_id: 'AUTH-1', reason: 'DUPLICATE_BUSINESS_KEY' }]);
  });

  it('is idempotent: a re-delivered event re-emits the same event and parks nothing', async () => {
    const { db, publisher, handler } = setup();
    await handler(sqsEvent([original]), lambdaContext);
    await handler(sqsEvent([original], 2), lambdaContext);
    expect(publisher.published).toHaveLength(2);
    expect(publisher.published[0]!.id).toBe(publisher.published[1]!.id);
    expect(publisher.published[1]!.type).toBe('payment.deduplicated');
    expect(db.prepare('SELECT count(*) AS n FROM parked_duplicates').get()).toEqual({ n: 0 });
  });

  it('retries a throttled store; never takes an outage for a duplicate', async () => {
    let throttles = 2;
    const { publisher, handler } = setup((real) => ({
      claim: async (claim, now) => {
        if (throttles-- > 0) throw new TransientStoreError('ProvisionedThroughputExceededException');
        return real.claim(claim, now);
      },
    }));
    const first = await handler(sqsEvent([original, other]), lambdaContext);
    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-0', 'm-1']);
    expect(publisher.published).toHaveLength(0);
    const second = await handler(sqsEvent([original, other], 2), lambdaContext);
    expect(second).toEqual({ batchItemFailures: [] });
    expect(publisher.published.map((e) => e.type)).toEqual(['payment.deduplicated', 'payment.deduplicated']);
  });

  it('reports a malformed record alone as a batch item failure', async () => {
    const { publisher, handler } = setup();
    const event = sqsEvent([original, other]);
    event.Records[0]!.body = '{"detail": {"type": "payment.authorised", "id": 5}}';
    const response = await handler(event, lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(publisher.published).toHaveLength(1);
  });

  it('fails every producing record when the publish fails, so nothing is lost', async () => {
    const { publisher, handler } = setup();
    publisher.failNext = 1;
    const response = await handler(sqsEvent([original, other]), lambdaContext);
    expect(response.batchItemFailures).toHaveLength(2);
    await handler(sqsEvent([original, other], 2), lambdaContext);
    expect(publisher.published.map((e) => e.type)).toEqual(['payment.deduplicated', 'payment.deduplicated']);
  });
});
