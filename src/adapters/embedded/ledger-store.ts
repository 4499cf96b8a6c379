/**
 * The embedded ledger (LEDGER-1, HOT-1), on the embedded hot path: one call is one SQLite
 * transaction (a SAVEPOINT inside the run's open transaction), so a sequence's legs and its
 * balance changes are stored together or not at all.
 *
 * - `ledger_legs`: one row per leg, append-only, with its authorisation id (the reconciliation
 *   reference; the happy path writes no transaction row to find it through). The reconciliation
 *   ledger source reads them through `postedLegs` below (never the table itself); the crash tests
 *   read it as a table, so legs stay rows.
 *   Idempotent by sequence with no marker row: a sequence's legs are inserted together, so its
 *   first leg exists ⇔ the sequence is recorded. Its first leg is inserted OR IGNORE; ignored means
 *   recorded before (the whole sequence is skipped); otherwise the rest are plain inserts.
 * - `ledger_balances`: one row per account shard; per call, ONE conditional versioned update per
 *   account shard (read the version, update only if unchanged, retry on conflict), summing the
 *   call's new sequences. A hot account's shard is hash(the call's smallest new sequence id on it)
 *   mod n, so successive batches spread over the shards; balances() sums the shards.
 */
import Database from 'better-sqlite3';
import type { StateDatabase } from './database';
import type { PostingLeg } from '../../domain/events';
import { hotShard, shardCount } from '../../domain/hot-accounts';
import { fromMinorUnits, minorOf } from '../../domain/money';
import { imbalance, sequenceIdFor } from '../../domain/posting';
import type { BalanceView, LedgerStore, PostingSequence, RecordedSequences, RecordPostingsResult } from '../../ports';
import { TransientStoreError } from '../../ports';
import type { PostedLeg } from '../../recon/run/posted-legs';

const MAX_CONFLICT_RETRIES = 10;

export interface LedgerOptions {
  /** Accounts too hot for one balance row: accountId → number of balance shards. */
  hotAccountShards?: Readonly<Record<string, number>>;
}

interface BalanceRow {
  version: bigint;
  currency: string;
}

interface AccountDelta {
  currency: string;
  debit: bigint;
  credit: bigint;
  /** The smallest new sequence id with a leg on the account: the hot-shard anchor. */
  anchor: string;
}

export class SqliteLedgerStore implements LedgerStore, RecordedSequences {
  private readonly insertLeg;
  private readonly insertLegOnce;
  private readonly sequenceOfLeg;
  private readonly readBalance;
  private readonly createBalance;
  private readonly updateBalance;
  private readonly allBalances;
  private readonly anyLegOf;

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
      value_date TEXT NOT NULL,
      authorization_id TEXT
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
    // A state written before legs kept their authorisation id gains the column (older rows: NULL).
    const columns = db.prepare("SELECT name FROM pragma_table_info('ledger_legs')").pluck().all() as string[];
    if (!columns.includes('authorization_id')) db.exec('ALTER TABLE ledger_legs ADD COLUMN authorization_id TEXT');
    const LEG_COLUMNS = '(leg_id, sequence_id, account_id, direction, amount_minor, currency, value_date, authorization_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
    this.insertLeg = db.prepare(`INSERT INTO ledger_legs ${LEG_COLUMNS}`);
    this.insertLegOnce = db.prepare(`INSERT OR IGNORE INTO ledger_legs ${LEG_COLUMNS}`);
    this.sequenceOfLeg = db.prepare('SELECT sequence_id FROM ledger_legs WHERE leg_id = ?').pluck();
    this.readBalance = db.prepare('SELECT version, currency FROM ledger_balances WHERE account_id = ? AND shard = ?').safeIntegers(true);
    this.createBalance = db.prepare('INSERT OR IGNORE INTO ledger_balances VALUES (?, ?, ?, ?, ?, 1)');
    this.updateBalance = db.prepare(
      'UPDATE ledger_balances SET debit_minor = debit_minor + ?, credit_minor = credit_minor + ?, version = version + 1 WHERE account_id = ? AND shard = ? AND version = ?',
    );
    // A sequence's legs are `<sequenceId>:<index>`: a primary-key range finds them (no index on sequence_id).
    this.anyLegOf = db.prepare("SELECT 1 FROM ledger_legs WHERE leg_id > ? || ':' AND leg_id < ? || ';' AND sequence_id = ? LIMIT 1").pluck();
    this.allBalances = db
      .prepare(
        'SELECT account_id, currency, sum(credit_minor) - sum(debit_minor) AS balance, sum(debit_minor) AS debits, sum(credit_minor) AS credits, sum(version) AS version FROM ledger_balances GROUP BY account_id, currency ORDER BY account_id',
      )
      .safeIntegers(true);
  }

  async recordPostings(sequences: readonly PostingSequence[]): Promise<RecordPostingsResult> {
    return this.recordAtomically(sequences);
  }

  private readonly recordAtomically = (sequences: readonly PostingSequence[]): RecordPostingsResult => this.db.transaction(() => this.recordInTransaction(sequences))();

  private recordInTransaction(sequences: readonly PostingSequence[]): RecordPostingsResult {
    const newSequences: string[] = [];
    const deltas = new Map<string, AccountDelta>();
    const seen = new Set<string>();
    for (const sequence of sequences) {
      const { sequenceId, legs } = sequence;
      if (seen.has(sequenceId)) continue;
      seen.add(sequenceId);
      const minors = validate(sequence);
      const first = legs[0]!;
      if (this.insertLegOnce.run(first.legId, sequenceId, first.accountId, first.direction, minors[0]!, first.amount.currency, first.valueDate, first.authorizationId).changes === 0) {
        const owner = this.sequenceOfLeg.get(first.legId) as string | undefined;
        if (owner !== sequenceId) throw new Error(`leg ${first.legId} of sequence ${sequenceId} is recorded under sequence ${owner}`);
        continue; // recorded before, with its balance changes
      }
      for (let index = 1; index < legs.length; index += 1) {
        const leg = legs[index]!;
        this.insertLeg.run(leg.legId, sequenceId, leg.accountId, leg.direction, minors[index]!, leg.amount.currency, leg.valueDate, leg.authorizationId);
      }
      newSequences.push(sequenceId);
      legs.forEach((leg, index) => addDelta(deltas, leg, minors[index]!, sequenceId));
    }
    let balanceUpdates = 0;
    for (const [accountId, delta] of deltas) {
      const shard = hotShard(delta.anchor, shardCount(this.options.hotAccountShards, accountId));
      this.applyVersioned(accountId, shard, delta);
      balanceUpdates += 1;
    }
    return { newSequences, balanceUpdates };
  }

  /** Optimistic locking as on DynamoDB: read the version, update only if unchanged, retry on conflict. */
  private applyVersioned(accountId: string, shard: number, delta: AccountDelta): void {
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt += 1) {
      const row = this.readBalance.get(accountId, shard) as BalanceRow | undefined;
      if (!row) {
        if (this.createBalance.run(accountId, shard, delta.currency, delta.debit, delta.credit).changes === 1) return;
        continue;
      }
      if (row.currency !== delta.currency) throw new Error(`account ${accountId} balance is in ${row.currency}; legs are in ${delta.currency}`);
      if (this.updateBalance.run(delta.debit, delta.credit, accountId, shard, row.version).changes === 1) return;
    }
    throw new TransientStoreError(`balance of ${accountId} shard ${shard}: version conflict persisted after ${MAX_CONFLICT_RETRIES} retries`);
  }

  /** ADJ-1: whether the sequence is recorded. */
  async hasSequence(sequenceId: string): Promise<boolean> {
    return this.anyLegOf.get(sequenceId, sequenceId, sequenceId) !== undefined;
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

/** A sequence the ledger can record: legs of this sequence, amounts ≥ 0, balanced per currency. Returns each leg's minor units. */
function validate(sequence: PostingSequence): bigint[] {
  const { sequenceId, legs } = sequence;
  if (typeof sequenceId !== 'string' || sequenceId.length === 0) throw new Error('a posting sequence has no sequence id');
  if (legs.length === 0) throw new Error(`sequence ${sequenceId} has no legs`);
  const minors = legs.map((leg) => {
    if (leg.sequenceId !== sequenceId) throw new Error(`leg ${leg.legId} belongs to sequence ${leg.sequenceId}, not ${sequenceId}`);
    if (leg.direction !== 'DEBIT' && leg.direction !== 'CREDIT') throw new Error(`leg ${leg.legId}: direction ${String(leg.direction)} is neither DEBIT nor CREDIT`);
    const minor = minorOf(leg.amount);
    if (minor < 0n) throw new Error(`leg ${leg.legId}: amount ${leg.amount.value} is negative (the direction gives the sign)`);
    return minor;
  });
  const off = imbalance(legs);
  if (off.size > 0) throw new Error(`sequence ${sequenceId} does not balance: ${[...off].map(([ccy, minor]) => `${ccy} ${minor}`).join(', ')}`);
  return minors;
}

function addDelta(deltas: Map<string, AccountDelta>, leg: PostingLeg, minor: bigint, sequenceId: string): void {
  let delta = deltas.get(leg.accountId);
  if (!delta) {
    delta = { currency: leg.amount.currency, debit: 0n, credit: 0n, anchor: sequenceId };
    deltas.set(leg.accountId, delta);
  } else if (delta.currency !== leg.amount.currency) {
    throw new Error(`legs for account ${leg.accountId} are in several currencies: ${delta.currency}, ${leg.amount.currency}`);
  }
  if (leg.direction === 'DEBIT') delta.debit += minor;
  else delta.credit += minor;
  if (sequenceId < delta.anchor) delta.anchor = sequenceId;
}

export type { PostedLeg };

/**
 * The legs of `accountIds` in one ledger database file, read-only (the reconciliation ledger
 * source; posting never calls it). A file with no ledger yet has no legs. A state written before
 * legs kept their authorisation id finds it through its transaction rows.
 */
export function postedLegs(dbFile: string, accountIds: readonly string[]): PostedLeg[] {
  if (accountIds.length === 0) return [];
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_legs'").get()) return [];
    const hasAuthorisation = (db.prepare("SELECT name FROM pragma_table_info('ledger_legs')").pluck().all() as string[]).includes('authorization_id');
    const rows = db
      .prepare(
        `SELECT leg_id, sequence_id, account_id, direction, amount_minor, currency, value_date${hasAuthorisation ? ', authorization_id' : ''} FROM ledger_legs WHERE account_id IN (${accountIds.map(() => '?').join(',')})`,
      )
      .safeIntegers(true)
      .all(...accountIds) as {
      leg_id: string;
      sequence_id: string;
      account_id: string;
      direction: 'DEBIT' | 'CREDIT';
      amount_minor: bigint;
      currency: string;
      value_date: string;
      authorization_id?: string | null;
    }[];
    const missing = new Set(rows.filter((row) => !row.authorization_id).map((row) => row.sequence_id));
    const found = authorisationIds(db, missing);
    return rows.map((row) => {
      const authorizationId = row.authorization_id ?? found.get(row.sequence_id);
      return {
        legId: row.leg_id,
        sequenceId: row.sequence_id,
        accountId: row.account_id,
        direction: row.direction,
        amountMinor: row.amount_minor,
        currency: row.currency,
        valueDate: row.value_date,
        ...(authorizationId ? { authorizationId } : {}),
      };
    });
  } finally {
    db.close();
  }
}

/** sequence id → authorisation id, through the transactions table (sequence id = f(correlation id)). */
function authorisationIds(db: Database.Database, wanted: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  if (wanted.size === 0) return found;
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'transactions'").get()) return found;
  for (const row of db.prepare('SELECT transaction_id, authorization_id FROM transactions').iterate() as IterableIterator<{ transaction_id: string; authorization_id: string }>) {
    const sequenceId = sequenceIdFor(row.transaction_id);
    if (wanted.has(sequenceId)) {
      found.set(sequenceId, row.authorization_id);
      if (found.size === wanted.size) break;
    }
  }
  return found;
}
