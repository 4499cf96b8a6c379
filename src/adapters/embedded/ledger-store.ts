/**
 * The embedded ledger: legs append-only (idempotent by legId); per batch, ONE conditional
 * versioned balance update per account (per shard for hot accounts), retried on conflict.
 */
import type { StateDatabase } from './database';
import type { PostingLeg } from '../../domain/events';
import { shardFor, sumByAccount } from '../../domain/posting';
import { fromMinorUnits, minorOf } from '../../domain/money';
import type { BalanceView, LedgerStore, RecordLegsResult, SequenceStore } from '../../ports';
import { TransientStoreError } from '../../ports';

const MAX_CONFLICT_RETRIES = 10;

export interface LedgerOptions {
  /** Accounts too hot for one balance row: accountId → number of balance shards. */
  hotAccountShards?: Readonly<Record<string, number>>;
}

interface BalanceRow {
  version: bigint;
}

export class SqliteLedgerStore implements LedgerStore {
  private readonly insertLeg;
  private readonly readBalance;
  private readonly createBalance;
  private readonly updateBalance;
  private readonly allBalances;

  constructor(
    private readonly db: StateDatabase,
    private readonly options: LedgerOptions = {},
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS ledger_legs (
      leg_id TEXT PRIMARY KEY,
      sequence_id TEXT NOT NULL,
      account_id TEXT NOT NULL,
      direction TEXT NOT NULL,
      amount_minor INTEGER NOT NULL,
      currency TEXT NOT NULL,
      value_date TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ledger_balances (
      account_id TEXT NOT NULL,
      shard INTEGER NOT NULL,
      currency TEXT NOT NULL,
      debit_minor INTEGER NOT NULL,
      credit_minor INTEGER NOT NULL,
      version INTEGER NOT NULL,
      PRIMARY KEY (account_id, shard)
    ) WITHOUT ROWID;`);
    this.insertLeg = db.prepare('INSERT OR IGNORE INTO ledger_legs VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.readBalance = db.prepare('SELECT version FROM ledger_balances WHERE account_id = ? AND shard = ?').safeIntegers(true);
    this.createBalance = db.prepare('INSERT OR IGNORE INTO ledger_balances VALUES (?, ?, ?, ?, ?, 1)');
    this.updateBalance = db.prepare(
      'UPDATE ledger_balances SET debit_minor = debit_minor + ?, credit_minor = credit_minor + ?, version = version + 1 WHERE account_id = ? AND shard = ? AND version = ?',
    );
    this.allBalances = db
      .prepare(
        'SELECT account_id, currency, sum(credit_minor) - sum(debit_minor) AS balance, sum(debit_minor) AS debits, sum(credit_minor) AS credits, sum(version) AS version FROM ledger_balances GROUP BY account_id, currency ORDER BY account_id',
      )
      .safeIntegers(true);
  }

  async recordLegs(legs: readonly PostingLeg[]): Promise<RecordLegsResult> {
    // All-or-nothing (a SAVEPOINT inside an open transaction): a leg is recorded only with its balance change.
    return this.recordAtomically(legs);
  }

  private readonly recordAtomically = (legs: readonly PostingLeg[]): RecordLegsResult => this.db.transaction(() => this.recordInTransaction(legs))();

  private recordInTransaction(legs: readonly PostingLeg[]): RecordLegsResult {
    const newLegs: PostingLeg[] = [];
    for (const leg of legs) {
      const minor = minorOf(leg.amount);
      if (this.insertLeg.run(leg.legId, leg.sequenceId, leg.accountId, leg.direction, minor, leg.amount.currency, leg.valueDate).changes === 1) newLegs.push(leg);
    }
    let balanceUpdates = 0;
    for (const delta of sumByAccount(newLegs).values()) {
      const shard = shardFor(delta.legs, this.options.hotAccountShards?.[delta.accountId] ?? 1);
      this.applyVersioned(delta.accountId, shard, delta.currency, delta.debitMinor, delta.creditMinor);
      balanceUpdates += 1;
    }
    return { newLegs, balanceUpdates };
  }

  /** Optimistic locking as on DynamoDB: read the version, update only if unchanged, retry on conflict. */
  private applyVersioned(accountId: string, shard: number, currency: string, debit: bigint, credit: bigint): void {
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt += 1) {
      const row = this.readBalance.get(accountId, shard) as BalanceRow | undefined;
      if (!row) {
        if (this.createBalance.run(accountId, shard, currency, debit, credit).changes === 1) return;
        continue;
      }
      if (this.updateBalance.run(debit, credit, accountId, shard, row.version).changes === 1) return;
    }
    throw new TransientStoreError(`balance of ${accountId} shard ${shard}: version conflict persisted after ${MAX_CONFLICT_RETRIES} retries`);
  }

  async balances(): Promise<BalanceView[]> {
    return (this.allBalances.all() as { account_id: string; currency: string; balance: bigint; version: bigint }[]).map((row) => ({
      accountId: row.account_id,
      currency: row.currency,
      balance: fromMinorUnits(row.balance, row.currency),
      version: Number(row.version),
    }));
  }

  /** Per currency, total debits and credits across the whole ledger (equal when balanced). */
  totalsByCurrency(): Map<string, { debits: bigint; credits: bigint }> {
    const totals = new Map<string, { debits: bigint; credits: bigint }>();
    for (const row of this.allBalances.all() as { currency: string; debits: bigint; credits: bigint }[]) {
      const total = totals.get(row.currency) ?? { debits: 0n, credits: 0n };
      total.debits += row.debits;
      total.credits += row.credits;
      totals.set(row.currency, total);
    }
    return totals;
  }
}

/** The assembler's view: legs per sequence until the sequence is complete. */
export class SqliteSequenceStore implements SequenceStore {
  private readonly insert;
  private readonly select;

  constructor(db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS sequence_legs (
      sequence_id TEXT NOT NULL,
      leg_index INTEGER NOT NULL,
      leg_json TEXT NOT NULL,
      PRIMARY KEY (sequence_id, leg_index)
    ) WITHOUT ROWID`);
    this.insert = db.prepare('INSERT OR IGNORE INTO sequence_legs VALUES (?, ?, ?)');
    this.select = db.prepare('SELECT leg_json FROM sequence_legs WHERE sequence_id = ? ORDER BY leg_index').pluck();
  }

  async addLegs(legs: readonly PostingLeg[]): Promise<Map<string, PostingLeg[]>> {
    const incoming = new Map<string, PostingLeg[]>();
    for (const leg of legs) {
      const group = incoming.get(leg.sequenceId);
      if (group) group.push(leg);
      else incoming.set(leg.sequenceId, [leg]);
    }
    const known = new Map<string, PostingLeg[]>();
    for (const [sequenceId, group] of incoming) {
      // The common case: the whole sequence arrives in one batch. Nothing needs storing: a
      // re-delivery re-assembles the same record, which the outbox writes only once.
      if (new Set(group.map((leg) => leg.legIndex)).size === group[0]!.legCount) {
        known.set(sequenceId, group);
        continue;
      }
      for (const leg of group) this.insert.run(leg.sequenceId, leg.legIndex, JSON.stringify(leg));
      known.set(
        sequenceId,
        (this.select.all(sequenceId) as string[]).map((json) => JSON.parse(json) as PostingLeg),
      );
    }
    return known;
  }
}
