import { openMemoryDatabase } from '../../../src/adapters/embedded/database';
import { SqliteLedgerStore, SqliteSequenceStore } from '../../../src/adapters/embedded/ledger-store';
import { buildPostingLegs } from '../../../src/domain/posting';
import { correlationIdFor } from '../../../src/domain/events';
import { approvedData } from '../../support/builders';

function legsFor(count: number, prefix = 'A') {
  return Array.from({ length: count }, (_, i) => buildPostingLegs(correlationIdFor(`${prefix}${i}`), approvedData({ authorisation: { authorizationId: `${prefix}${i}` } }))).flat();
}

describe('SqliteLedgerStore (hot accounts)', () => {
  it('applies 1,000 payments to one merchant in one batch with ONE versioned balance update', async () => {
    const store = new SqliteLedgerStore(openMemoryDatabase());
    const result = await store.recordLegs(legsFor(1000));
    expect(result.newLegs).toHaveLength(2000);
    // one update for the merchant settlement account + one per customer account (all ACC-0001 here)
    expect(result.balanceUpdates).toBe(2);
    const balances = await store.balances();
    expect(balances.find((b) => b.accountId === 'SETTLE-GBP-001')).toEqual({ accountId: 'SETTLE-GBP-001', currency: 'GBP', balance: '25000.00', version: 1 });
    expect(balances.find((b) => b.accountId === 'ACC-0001')).toEqual({ accountId: 'ACC-0001', currency: 'GBP', balance: '-25000.00', version: 1 });
  });

  it('is idempotent: re-recording legs, in any batch composition, changes nothing', async () => {
    const store = new SqliteLedgerStore(openMemoryDatabase());
    const legs = legsFor(50);
    await store.recordLegs(legs.slice(0, 60));
    const before = await store.balances();
    const again = await store.recordLegs([...legs.slice(30, 100), ...legs.slice(0, 10)]);
    expect(again.newLegs).toHaveLength(40); // only legs 60..99 are new
    await store.recordLegs(legs);
    const after = await store.balances();
    expect(after.find((b) => b.accountId === 'SETTLE-GBP-001')!.balance).toBe('1250.00');
    expect(before.find((b) => b.accountId === 'SETTLE-GBP-001')!.balance).toBe('750.00');
    const empty = await store.recordLegs(legs);
    expect(empty).toEqual({ newLegs: [], balanceUpdates: 0 });
  });

  it('shards a hot account and sums the shards on read', async () => {
    const store = new SqliteLedgerStore(openMemoryDatabase(), { hotAccountShards: { 'SETTLE-GBP-001': 4 } });
    for (let batch = 0; batch < 20; batch += 1) await store.recordLegs(legsFor(10, `B${batch}-`));
    const merchant = (await store.balances()).find((b) => b.accountId === 'SETTLE-GBP-001')!;
    expect(merchant.balance).toBe('5000.00');
    expect(merchant.version).toBe(20); // 20 batches → 20 updates spread across shards
    const totals = store.totalsByCurrency().get('GBP')!;
    expect(totals.debits).toBe(totals.credits);
  });
});

describe('SqliteSequenceStore', () => {
  it('does not store a sequence that arrives complete in one batch', async () => {
    const db = openMemoryDatabase();
    const store = new SqliteSequenceStore(db);
    const legs = legsFor(3);
    const known = await store.addLegs(legs);
    expect([...known.values()].map((group) => group.length)).toEqual([2, 2, 2]);
    expect(db.prepare('SELECT count(*) AS n FROM sequence_legs').get()).toEqual({ n: 0 });
  });

  it('collects legs per sequence, idempotently', async () => {
    const store = new SqliteSequenceStore(openMemoryDatabase());
    const legs = legsFor(2);
    const first = await store.addLegs([legs[0]!]);
    expect(first.get(legs[0]!.sequenceId)).toHaveLength(1);
    const second = await store.addLegs([legs[1]!, legs[0]!, legs[2]!]);
    expect(
      second
        .get(legs[0]!.sequenceId)!
        .map((l) => l.legIndex)
        .sort(),
    ).toEqual([1, 2]);
    expect(second.get(legs[2]!.sequenceId)).toHaveLength(1);
  });
});
