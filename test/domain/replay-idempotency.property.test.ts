/**
 * Property: replay is idempotent. However the same approved payments are re-delivered (any
 * batch composition, any order, any number of duplicates, partial crashes), the ledger, the
 * outbox and the emitted events end exactly as after one clean delivery.
 */
import fc from 'fast-check';
import { createPostingHandler } from '../../functions/posting/posting';
import { createAssemblerHandler } from '../../functions/assembler/assembler';
import { openMemoryDatabase } from '../support/memory-database';
import { SqliteLedgerStore } from '../../src/adapters/embedded/ledger-store';
import { SqliteFileOutbox } from '../../src/adapters/embedded/outbox';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import type { LedgerEvent } from '../../src/domain/events';
import { approvedData, CapturingPublisher, envelope, fixedClock, lambdaContext, sqsEvent } from '../support/builders';
import { tempDir } from '../support/runtime';

const payments = Array.from({ length: 12 }, (_, i) =>
  envelope(
    'payment.rules-decided',
    approvedData({
      authorisation: { authorizationId: `P${i}`, amount: { value: `${i + 1}.5${i % 10}`, currency: i % 3 === 0 ? 'EUR' : 'GBP' } },
      accountCurrency: 'GBP',
      converted: `${i + 1}.11`,
      fee: i % 2 === 0 ? '0.03' : '0.00',
    }),
    `P${i}`,
  ),
);

async function deliver(deliveries: number[][]) {
  const db = openMemoryDatabase();
  const ledger = new SqliteLedgerStore(db);
  const outbox = new SqliteFileOutbox(db, tempDir('replay-outbox-'));
  const legs = new CapturingPublisher();
  const completed = new CapturingPublisher();
  const posting = createPostingHandler({ ledger, publisher: legs, clock: fixedClock });
  const assembler = createAssemblerHandler({ outbox, transactions: new SqliteTransactionStateStore(db), publisher: completed, clock: fixedClock });
  for (const batch of deliveries) {
    await posting(sqsEvent(batch.map((i) => payments[i]!)), lambdaContext);
  }
  // deliver every recorded sequence once more, in two halves, as a redelivering queue would
  const legEvents = legs.published as LedgerEvent[];
  await assembler(sqsEvent(legEvents.filter((_, i) => i % 2 === 0)), lambdaContext);
  await assembler(sqsEvent(legEvents), lambdaContext);
  const records = db.prepare('SELECT record_id, content FROM posting_outbox ORDER BY record_id').all();
  return {
    balances: await ledger.balances(),
    legIds: [...new Set(legEvents.map((e) => e.id))].sort(),
    completedIds: [...new Set(completed.published.map((e) => e.id))].sort(),
    records,
  };
}

describe('replay is idempotent (property)', () => {
  it('any re-delivery pattern ends in the state of one clean delivery', async () => {
    const clean = await deliver([payments.map((_, i) => i)]);
    expect(clean.records).toHaveLength(payments.length);
    await fc.assert(
      fc.asyncProperty(
        // each payment at least once, then arbitrary extra re-deliveries, in arbitrary batches
        fc.array(fc.nat({ max: payments.length - 1 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
        async (extra, batchSizes) => {
          const order = [...payments.map((_, i) => i), ...extra].sort((a, b) => ((a * 7919 + b) % 13) - ((b * 7919 + a) % 13));
          const batches: number[][] = [];
          let cursor = 0;
          for (let k = 0; cursor < order.length; k += 1) {
            const size = batchSizes[k % batchSizes.length]!;
            batches.push(order.slice(cursor, cursor + size));
            cursor += size;
          }
          const replayed = await deliver(batches);
          expect(replayed.balances.map((b) => [b.accountId, b.balance])).toEqual(clean.balances.map((b) => [b.accountId, b.balance]));
          expect(replayed.legIds).toEqual(clean.legIds);
          expect(replayed.completedIds).toEqual(clean.completedIds);
          expect(replayed.records).toEqual(clean.records);
        },
      ),
      { numRuns: 40 },
    );
  });
});
