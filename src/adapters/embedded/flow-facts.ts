/**
 * The embedded flow facts (FLOW-1..3): the flow journal the runtime writes beside the stages'
 * own tables, and the reader that turns every partition's tables into per-payment facts.
 *
 * - `flow_ingested`: one row per newly ingested authorisation (in the wave's transaction, with the
 *   ingest dedup of `authorisations`): its money, whether the network approved it, and when.
 * - `flow_authorisations`: each approved authorisation itself (card token only, never a card
 *   number: PCI-3), apart so the audit's scan stays small, so a repair rebuilds its
 *   `payment.authorised` event without re-reading the input (FLOW-4).
 * - `flow_rejected`: payments enrichment rejected (no stage table keeps them otherwise).
 *
 * The reader reads each stage's own store: dedup claims and parked duplicates, rules decisions,
 * ledger legs (by sequence), the posting outbox, the transaction-state table.
 */
import type { Authorisation, LedgerEvent } from '../../domain/events';
import { authorisedEvent } from '../../domain/ingest';
import { sequenceIdFor } from '../../domain/posting';
import type { FlowFacts, FlowFactsReader, FlowWindow, OrphanFact, PaymentFlowFacts } from '../../ports/flow';
import type { TransactionStatus } from '../../ports';
import type { StateDatabase } from './database';
import { openStateDatabase } from './database';

export class SqliteFlowJournal {
  private readonly ingested;
  private readonly rejectedInsert;
  private readonly authorisation;
  private readonly selectIngested;

  constructor(db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS flow_ingested (
      authorization_id TEXT PRIMARY KEY,
      correlation_id TEXT NOT NULL,
      currency TEXT NOT NULL,
      amount TEXT NOT NULL,
      approved INTEGER NOT NULL,
      ingested_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS flow_authorisations (
      authorization_id TEXT PRIMARY KEY,
      authorisation TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS flow_rejected (
      correlation_id TEXT PRIMARY KEY,
      authorization_id TEXT NOT NULL,
      reason TEXT NOT NULL
    ) WITHOUT ROWID;`);
    this.ingested = db.prepare('INSERT OR IGNORE INTO flow_ingested VALUES (?, ?, ?, ?, ?, ?)');
    this.authorisation = db.prepare('INSERT OR IGNORE INTO flow_authorisations VALUES (?, ?)');
    this.rejectedInsert = db.prepare('INSERT OR IGNORE INTO flow_rejected VALUES (?, ?, ?)');
    this.selectIngested = db.prepare<[string], { authorisation: string | null; ingested_at: string; approved: number }>(
      'SELECT a.authorisation, i.ingested_at, i.approved FROM flow_ingested i LEFT JOIN flow_authorisations a ON a.authorization_id = i.authorization_id WHERE i.authorization_id = ?',
    );
  }

  /** Records a newly ingested authorisation (the caller's wave transaction makes it atomic). */
  recordIngested(authorisation: Authorisation, correlationId: string, approved: boolean, ingestedAt: string): void {
    this.ingested.run(authorisation.authorizationId, correlationId, authorisation.amount.currency, authorisation.amount.value, approved ? 1 : 0, ingestedAt);
    // Only what enters the hot path can need its event rebuilt (FLOW-3).
    if (approved) this.authorisation.run(authorisation.authorizationId, JSON.stringify(authorisation));
  }

  recordRejected(event: LedgerEvent): void {
    if (event.type !== 'payment.rejected') return;
    const data = event.data as { authorisation: { authorizationId: string }; reason: string };
    this.rejectedInsert.run(event.correlationId, data.authorisation.authorizationId, String(data.reason));
  }

  /** The payment's `payment.authorised` event as ingestion built it (same id, same content), or why not. */
  rebuildAuthorised(authorizationId: string): LedgerEvent<'payment.authorised'> | string {
    const row = this.selectIngested.get(authorizationId);
    if (!row) return `authorisation ${authorizationId} was never ingested into this state`;
    if (row.approved !== 1) return `authorisation ${authorizationId} was not approved by the network; it never enters the hot path`;
    if (row.authorisation === null) return `authorisation ${authorizationId} was ingested but its content was not kept`;
    return authorisedEvent(JSON.parse(row.authorisation) as Authorisation, row.ingested_at);
  }
}

function hasTable(db: StateDatabase, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

function column<T>(db: StateDatabase, table: string, sql: string): T[] {
  return hasTable(db, table) ? (db.prepare(sql).pluck().all() as T[]) : [];
}

/** Reads one partition's facts (the database stays open: the caller owns it). */
export function readPartitionFacts(db: StateDatabase, location: string, window: FlowWindow): FlowFacts {
  type Ingested = { authorization_id: string; correlation_id: string; currency: string; amount: string; approved: number; ingested_at: string };
  const ingested = hasTable(db, 'flow_ingested') ? (db.prepare('SELECT authorization_id, correlation_id, currency, amount, approved, ingested_at FROM flow_ingested').all() as Ingested[]) : [];
  const claimed = new Set(column<string>(db, 'dedup_claims', 'SELECT authorization_id FROM dedup_claims'));
  const parked = new Set(column<string>(db, 'parked_duplicates', 'SELECT authorization_id FROM parked_duplicates'));
  const rejected = new Set(column<string>(db, 'flow_rejected', 'SELECT correlation_id FROM flow_rejected'));
  const decisions = new Map(
    (hasTable(db, 'rules_decisions')
      ? (db.prepare("SELECT correlation_id, json_extract(decision, '$.outcome') AS outcome FROM rules_decisions").all() as { correlation_id: string; outcome: string }[])
      : []
    ).map((row) => [row.correlation_id, row.outcome]),
  );
  const legs = new Set(column<string>(db, 'ledger_legs', 'SELECT DISTINCT sequence_id FROM ledger_legs'));
  // ADJ-1: a workbench adjustment is no payment: its sequence (reference ADJ-…) is nobody's orphan.
  const adjustments = new Set(column<string>(db, 'ledger_legs', "SELECT DISTINCT sequence_id FROM ledger_legs WHERE authorization_id GLOB 'ADJ-*'"));
  const records = new Set(column<string>(db, 'posting_outbox', 'SELECT sequence_id FROM posting_outbox'));
  type Tx = { transaction_id: string; status: TransactionStatus; updated_at: string; stage: string | null };
  const transactions = new Map(
    (hasTable(db, 'transactions') ? (db.prepare('SELECT transaction_id, status, updated_at, stage FROM transactions').all() as Tx[]) : []).map((row) => [row.transaction_id, row]),
  );

  const from = window.from?.toISOString();
  const to = window.to?.toISOString();
  const payments: PaymentFlowFacts[] = [];
  const knownAuthorisations = new Set<string>();
  const knownTransactions = new Set<string>();
  const knownSequences = new Set<string>();
  for (const row of ingested) {
    const sequenceId = sequenceIdFor(row.correlation_id);
    knownAuthorisations.add(row.authorization_id);
    knownTransactions.add(row.correlation_id);
    knownSequences.add(sequenceId);
    if ((from !== undefined && row.ingested_at < from) || (to !== undefined && row.ingested_at >= to)) continue;
    const decision = decisions.get(row.correlation_id);
    const tx = transactions.get(row.correlation_id);
    payments.push({
      location,
      authorizationId: row.authorization_id,
      transactionId: row.correlation_id,
      amount: { value: row.amount, currency: row.currency },
      ingestedAt: row.ingested_at,
      approved: row.approved === 1,
      ...(parked.has(row.authorization_id) ? { dedup: 'duplicate' as const } : claimed.has(row.authorization_id) ? { dedup: 'unique' as const } : {}),
      ...(rejected.has(row.correlation_id) ? { rejected: true } : {}),
      ...(decision === 'approve' || decision === 'decline' || decision === 'review' ? { decision } : {}),
      ...(legs.has(sequenceId) ? { legs: true } : {}),
      ...(records.has(sequenceId) ? { record: true } : {}),
      ...(tx ? { transaction: { status: tx.status, updatedAt: tx.updated_at, ...(tx.stage ? { stage: tx.stage } : {}) } } : {}),
    });
  }
  const orphans: OrphanFact[] = [];
  for (const id of claimed) if (!knownAuthorisations.has(id)) orphans.push({ location, kind: 'claim', id });
  for (const id of decisions.keys()) if (!knownTransactions.has(id)) orphans.push({ location, kind: 'decision', id });
  for (const id of legs) if (!knownSequences.has(id) && !adjustments.has(id)) orphans.push({ location, kind: 'legs', id });
  for (const id of records) if (!legs.has(id)) orphans.push({ location, kind: 'record', id });
  return { payments, orphans };
}

/** The facts of every partition of an embedded state (`dirs`: its partition directories). */
export class SqliteFlowFacts implements FlowFactsReader {
  constructor(private readonly dirs: readonly string[]) {}

  async read(window: FlowWindow): Promise<FlowFacts> {
    const facts: FlowFacts = { payments: [], orphans: [] };
    for (const dir of this.dirs) {
      const db = openStateDatabase(dir);
      try {
        const part = readPartitionFacts(db, dir, window);
        for (const payment of part.payments) facts.payments.push(payment);
        for (const orphan of part.orphans) facts.orphans.push(orphan);
      } finally {
        db.close();
      }
    }
    return facts;
  }
}
