/** SqliteLedgerStore specifics (the shared behaviour is the LedgerStore contract, test/adapters/contracts). */
import { openMemoryDatabase } from '../../support/memory-database';
import { SqliteLedgerStore } from '../../../src/adapters/embedded/ledger-store';
import { correlationIdFor } from '../../../src/domain/events';
import { hotShard } from '../../../src/domain/hot-accounts';
import { buildPostingLegs } from '../../../src/domain/posting';
import type { PostingSequence } from '../../../src/ports';
import { approvedData } from '../../support/builders';

function sequencesFor(count: number, prefix = 'A'): PostingSequence[] {
  return Array.from({ length: count }, (_, i) => {
    const legs = buildPostingLegs(correlationIdFor(`${prefix}${i}`), approvedData({ authorisation: { authorizationId: `${prefix}${i}` } }));
    return { sequenceId: legs[0]!.sequenceId, authorizationId: `${prefix}${i}`, legs };
  });
}

describe('SqliteLedgerStore', () => {
  it('applies 1,000 payments to one merchant in one call with ONE versioned balance update per account', async () => {
    const store = new SqliteLedgerStore(openMemoryDatabase());
    const sequences = sequencesFor(1000);
    const result = await store.recordPostings(sequences);
    expect(result.newSequences).toEqual(sequences.map((sequence) => sequence.sequenceId));
    // one update for the merchant settlement account + one for the customer account (all ACC-0001 here)
    expect(result.balanceUpdates).toBe(2);
    const balances = await store.balances();
    expect(balances.find((b) => b.accountId === 'SETTLE-GBP-001')).toEqual({ accountId: 'SETTLE-GBP-001', currency: 'GBP', balance: '25000.00', version: 1 });
    expect(balances.find((b) => b.accountId === 'ACC-0001')).toEqual({ accountId: 'ACC-0001', currency: 'GBP', balance: '-25000.00', version: 1 });
  });

  it('keeps one row per leg in ledger_legs (the reconciliation ledger side reads them) and no marker row', async () => {
    const db = openMemoryDatabase();
    const store = new SqliteLedgerStore(db);
    const sequences = sequencesFor(3);
    await store.recordPostings(sequences);
    await store.recordPostings([...sequences].reverse());
    const rows = db.prepare('SELECT leg_id, sequence_id, account_id, direction, amount_minor, currency, value_date FROM ledger_legs ORDER BY leg_id').all();
    expect(rows).toEqual(
      sequences
        .flatMap((sequence) => sequence.legs)
        .sort((a, b) => (a.legId < b.legId ? -1 : 1))
        .map((leg) => ({ leg_id: leg.legId, sequence_id: leg.sequenceId, account_id: leg.accountId, direction: leg.direction, amount_minor: 2500, currency: 'GBP', value_date: leg.valueDate })),
    );
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['ledger_balances', 'ledger_legs']);
  });

  it('shards a hot account: a call writes shard hash(its smallest new sequence id) mod n, and balances sum the shards', async () => {
    const db = openMemoryDatabase();
    const store = new SqliteLedgerStore(db, { hotAccountShards: { 'SETTLE-GBP-001': 4 } });
    const used = new Set<number>();
    for (let batch = 0; batch < 20; batch += 1) {
      const sequences = sequencesFor(10, `B${batch}-`);
      const smallest = sequences.map((sequence) => sequence.sequenceId).sort()[0]!;
      await store.recordPostings(sequences);
      used.add(hotShard(smallest, 4));
    }
    const shards = db.prepare("SELECT shard FROM ledger_balances WHERE account_id = 'SETTLE-GBP-001' ORDER BY shard").pluck().all();
    expect(shards).toEqual([...used].sort());
    expect(used.size).toBeGreaterThan(1);
    const merchant = (await store.balances()).find((b) => b.accountId === 'SETTLE-GBP-001')!;
    expect(merchant.balance).toBe('5000.00');
    expect(merchant.version).toBe(20); // 20 calls → 20 updates spread across shards
    const totals = store.totalsByCurrency().get('GBP')!;
    expect(totals.debits).toBe(totals.credits);
  });

  it('refuses a first leg recorded under another sequence rather than skipping the sequence', async () => {
    const store = new SqliteLedgerStore(openMemoryDatabase());
    const [a, b] = sequencesFor(2);
    await store.recordPostings([a!]);
    const impostor: PostingSequence = { ...b!, legs: b!.legs.map((leg, index) => (index === 0 ? { ...leg, legId: a!.legs[0]!.legId } : leg)) };
    await expect(store.recordPostings([impostor])).rejects.toThrow(/is recorded under sequence/);
  });
});
