import { createPostingHandler } from '../../functions/posting/posting';
import { createAssemblerHandler } from '../../functions/assembler/assembler';
import { openMemoryDatabase } from '../support/memory-database';
import { SqliteLedgerStore } from '../../src/adapters/embedded/ledger-store';
import { SqliteFileOutbox } from '../../src/adapters/embedded/outbox';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { parsePostingLines } from '../../src/domain/posting-record';
import type { LedgerEvent } from '../../src/domain/events';
import { validateEvent } from '../../schemas';
import { approvedData, CapturingPublisher, envelope, fixedClock, lambdaContext, sqsEvent } from '../support/builders';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

function approved(i: number) {
  return envelope('payment.rules-decided', approvedData({ authorisation: { authorizationId: `AUTH-${i}` } }), `AUTH-${i}`);
}

describe('posting handler (FR7, hot accounts)', () => {
  it('1,000 payments to one merchant in one batch update its balance once', async () => {
    const ledger = new SqliteLedgerStore(openMemoryDatabase());
    const publisher = new CapturingPublisher();
    const handler = createPostingHandler({ ledger, publisher, clock: fixedClock });
    const events = Array.from({ length: 1000 }, (_, i) => approved(i));
    const response = await handler(sqsEvent(events), lambdaContext);
    expect(response).toEqual({ batchItemFailures: [] });
    const merchant = (await ledger.balances()).find((b) => b.accountId === 'SETTLE-GBP-001')!;
    expect(merchant).toMatchObject({ balance: '25000.00', version: 1 });
    // POST-3: one event per payment carrying its whole balanced sequence.
    expect(publisher.published).toHaveLength(1000);
    expect(publisher.published.every((e) => e.type === 'posting.recorded' && (e.data as { legs: unknown[] }).legs.length === 2)).toBe(true);
    validateEvent(publisher.published[0]);
    // Re-delivery of the whole batch: same events, balances unchanged
    await handler(sqsEvent(events, 2), lambdaContext);
    expect((await ledger.balances()).find((b) => b.accountId === 'SETTLE-GBP-001')).toMatchObject({ balance: '25000.00', version: 1 });
    expect(publisher.published.slice(1000).map((e) => e.id)).toEqual(publisher.published.slice(0, 1000).map((e) => e.id));
  });

  it('isolates a poison payment when the batch write fails, so its batch-mates still post', async () => {
    const real = new SqliteLedgerStore(openMemoryDatabase());
    const ledger = {
      recordPostings: async (sequences: Parameters<typeof real.recordPostings>[0]) => {
        if (sequences.some((sequence) => sequence.authorizationId === 'AUTH-2')) throw new Error('account blocked in core banking');
        return real.recordPostings(sequences);
      },
      balances: () => real.balances(),
    };
    const publisher = new CapturingPublisher();
    const handler = createPostingHandler({ ledger, publisher, clock: fixedClock });
    const response = await handler(sqsEvent([approved(1), approved(2), approved(3)]), lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(publisher.published.map((e) => (e.data as { authorizationId: string }).authorizationId)).toEqual(['AUTH-1', 'AUTH-3']);
    expect((await real.balances()).find((b) => b.accountId === 'SETTLE-GBP-001')!.balance).toBe('50.00');
  });

  it('fails only the record that cannot be posted', async () => {
    const ledger = new SqliteLedgerStore(openMemoryDatabase());
    const publisher = new CapturingPublisher();
    const handler = createPostingHandler({ ledger, publisher, clock: fixedClock });
    const bad = approved(2);
    bad.data.enrichment.accountAmount = { value: '25.00', currency: 'EUR' }; // currencies differ, no conversion
    const response = await handler(sqsEvent([approved(1), bad, approved(3)]), lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(publisher.published).toHaveLength(2);
  });

  it('a failing ledger store fails the batch and applies nothing twice on retry', async () => {
    const real = new SqliteLedgerStore(openMemoryDatabase());
    let failures = 2; // the batch call, then the isolated per-payment call
    const ledger = {
      recordPostings: async (sequences: Parameters<typeof real.recordPostings>[0]) => {
        if (failures-- > 0) throw new Error('ledger unavailable');
        return real.recordPostings(sequences);
      },
      balances: () => real.balances(),
    };
    const handler = createPostingHandler({ ledger, publisher: new CapturingPublisher(), clock: fixedClock });
    expect((await handler(sqsEvent([approved(1)]), lambdaContext)).batchItemFailures).toHaveLength(1);
    expect((await handler(sqsEvent([approved(1)], 2), lambdaContext)).batchItemFailures).toHaveLength(0);
    expect((await real.balances()).find((b) => b.accountId === 'ACC-0001')!.balance).toBe('-25.00');
  });
});

describe('assembler handler (FR8, LEDGER-2)', () => {
  it('writes the batch of posting records as one outbox batch, once, and completes each payment', async () => {
    const db = openMemoryDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    const outbox = new SqliteFileOutbox(db, dir);
    const batches: number[] = [];
    const countingOutbox = { writeBatch: async (records: Parameters<typeof outbox.writeBatch>[0]) => (batches.push(records.length), outbox.writeBatch(records)) };
    const publisher = new CapturingPublisher();
    const recordedPublisher = new CapturingPublisher();
    const posting = createPostingHandler({ ledger: new SqliteLedgerStore(db), publisher: recordedPublisher, clock: fixedClock });
    await posting(sqsEvent([approved(1), approved(2)]), lambdaContext);
    const recorded = recordedPublisher.published as LedgerEvent<'posting.recorded'>[];
    const assembler = createAssemblerHandler({ outbox: countingOutbox, transactions: new SqliteTransactionStateStore(db), publisher, clock: fixedClock });
    await assembler(sqsEvent(recorded), lambdaContext);
    expect(batches).toEqual([2]);
    expect(publisher.published.map((e) => e.type)).toEqual(['posting.completed', 'posting.completed']);
    validateEvent(publisher.published[0]);
    await assembler(sqsEvent([recorded[1]!, recorded[0]!], 2), lambdaContext); // re-delivery, another order
    expect(
      publisher.published
        .slice(2)
        .map((e) => e.id)
        .sort(),
    ).toEqual(
      publisher.published
        .slice(0, 2)
        .map((e) => e.id)
        .sort(),
    );
    outbox.flush();
    const files = readdirSync(dir);
    expect(files).toEqual(['postings-00000001.txt']);
    const lines = parsePostingLines(readFileSync(join(dir, files[0]!), 'utf8'));
    expect(lines.map((l) => [l.authorizationId, l.legIndex, l.debitCredit, l.amountMinor])).toEqual([
      ['AUTH-1', 1, 'D', 2500n],
      ['AUTH-1', 2, 'C', 2500n],
      ['AUTH-2', 1, 'D', 2500n],
      ['AUTH-2', 2, 'C', 2500n],
    ]);
    outbox.flush();
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('fails a sequence that does not balance or misses legs, and writes its batch-mates', async () => {
    const db = openMemoryDatabase();
    const outbox = new SqliteFileOutbox(db, mkdtempSync(join(tmpdir(), 'outbox-')));
    const recordedPublisher = new CapturingPublisher();
    await createPostingHandler({ ledger: new SqliteLedgerStore(db), publisher: recordedPublisher, clock: fixedClock })(sqsEvent([approved(1), approved(2), approved(3)]), lambdaContext);
    const [good, short, unbalanced] = recordedPublisher.published as LedgerEvent<'posting.recorded'>[];
    short!.data.legs = short!.data.legs.slice(0, 1).concat(short!.data.legs.slice(0, 1).map((leg) => ({ ...leg })));
    unbalanced!.data.legs = unbalanced!.data.legs.map((leg) => (leg.direction === 'CREDIT' ? { ...leg, amount: { ...leg.amount, value: '25.01' } } : leg));
    const publisher = new CapturingPublisher();
    const assembler = createAssemblerHandler({ outbox, transactions: new SqliteTransactionStateStore(db), publisher, clock: fixedClock });
    const response = await assembler(sqsEvent([good!, short!, unbalanced!]), lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }]);
    expect(publisher.published.map((e) => (e.data as { authorizationId: string }).authorizationId)).toEqual(['AUTH-1']);
  });
});
