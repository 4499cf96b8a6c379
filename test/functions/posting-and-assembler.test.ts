import { createPostingHandler } from '../../functions/posting/posting';
import { createAssemblerHandler } from '../../functions/assembler/assembler';
import { openMemoryDatabase } from '../../src/adapters/embedded/database';
import { SqliteLedgerStore, SqliteSequenceStore } from '../../src/adapters/embedded/ledger-store';
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
    expect(publisher.published).toHaveLength(2000);
    expect(publisher.published.every((e) => e.type === 'posting.leg-recorded')).toBe(true);
    validateEvent(publisher.published[0]);
    // Re-delivery of the whole batch: same leg events, balances unchanged
    await handler(sqsEvent(events, 2), lambdaContext);
    expect((await ledger.balances()).find((b) => b.accountId === 'SETTLE-GBP-001')).toMatchObject({ balance: '25000.00', version: 1 });
    expect(publisher.published.slice(2000).map((e) => e.id)).toEqual(publisher.published.slice(0, 2000).map((e) => e.id));
  });

  it('isolates a poison payment when the batch write fails, so its batch-mates still post', async () => {
    const real = new SqliteLedgerStore(openMemoryDatabase());
    const ledger = {
      recordLegs: async (legs: Parameters<typeof real.recordLegs>[0]) => {
        if (legs.some((l) => l.authorizationId === 'AUTH-2')) throw new Error('account blocked in core banking');
        return real.recordLegs(legs);
      },
      balances: () => real.balances(),
    };
    const publisher = new CapturingPublisher();
    const handler = createPostingHandler({ ledger, publisher, clock: fixedClock });
    const response = await handler(sqsEvent([approved(1), approved(2), approved(3)]), lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(publisher.published.map((e) => (e.data as { authorizationId: string }).authorizationId)).toEqual(['AUTH-1', 'AUTH-1', 'AUTH-3', 'AUTH-3']);
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
    expect(publisher.published).toHaveLength(4);
  });

  it('a failing ledger store fails the batch and applies nothing twice on retry', async () => {
    const real = new SqliteLedgerStore(openMemoryDatabase());
    let failures = 2; // the batch call, then the isolated per-payment call
    const ledger = {
      recordLegs: async (legs: Parameters<typeof real.recordLegs>[0]) => {
        if (failures-- > 0) throw new Error('ledger unavailable');
        return real.recordLegs(legs);
      },
      balances: () => real.balances(),
    };
    const handler = createPostingHandler({ ledger, publisher: new CapturingPublisher(), clock: fixedClock });
    expect((await handler(sqsEvent([approved(1)]), lambdaContext)).batchItemFailures).toHaveLength(1);
    expect((await handler(sqsEvent([approved(1)], 2), lambdaContext)).batchItemFailures).toHaveLength(0);
    expect((await real.balances()).find((b) => b.accountId === 'ACC-0001')!.balance).toBe('-25.00');
  });
});

describe('assembler handler (FR8)', () => {
  it('writes the posting record only when the sequence is complete, once', async () => {
    const db = openMemoryDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    const outbox = new SqliteFileOutbox(db, dir);
    const publisher = new CapturingPublisher();
    const legPublisher = new CapturingPublisher();
    const posting = createPostingHandler({ ledger: new SqliteLedgerStore(db), publisher: legPublisher, clock: fixedClock });
    await posting(sqsEvent([approved(1)]), lambdaContext);
    const legs = legPublisher.published as LedgerEvent<'posting.leg-recorded'>[];
    const assembler = createAssemblerHandler({ sequences: new SqliteSequenceStore(db), outbox, transactions: new SqliteTransactionStateStore(db), publisher, clock: fixedClock });
    await assembler(sqsEvent([legs[1]!]), lambdaContext);
    expect(publisher.published).toHaveLength(0);
    await assembler(sqsEvent([legs[0]!]), lambdaContext);
    expect(publisher.published.map((e) => e.type)).toEqual(['posting.completed']);
    validateEvent(publisher.published[0]);
    await assembler(sqsEvent([legs[0]!, legs[1]!], 2), lambdaContext); // re-delivery
    expect(publisher.published[1]!.id).toBe(publisher.published[0]!.id);
    outbox.flush();
    const files = readdirSync(dir);
    expect(files).toEqual(['postings-00000001.txt']);
    const lines = parsePostingLines(readFileSync(join(dir, files[0]!), 'utf8'));
    expect(lines.map((l) => [l.legIndex, l.debitCredit, l.amountMinor])).toEqual([
      [1, 'D', 2500n],
      [2, 'C', 2500n],
    ]);
    outbox.flush();
    expect(readdirSync(dir)).toHaveLength(1);
  });
});
