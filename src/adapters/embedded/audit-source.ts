/**
 * The embedded runtime's records, read for the audit trail (AUDIT-1): read-only cursor reads of
 * an embedded state (each partition's ledgerline.db) and of a workbench database
 * (<out>/workbench.db). Nothing here writes to either; the tables are the stores' own.
 *
 * Feeds and their cursors (each a strictly increasing position, so a page never repeats):
 * - lifecycle: the event archive (REPLAY-1), by its `seq`;
 * - ledger: the posting outbox (LEDGER-2) names every recorded sequence in the order it was
 *   written, by its `seq`; the sequence's legs are read from ledger_legs. With `full`, the ledger
 *   is read whole from ledger_legs instead (a sequence recorded without a posting record, as an
 *   adjustment interrupted between the two, is found too): re-appending is a no-op;
 * - transaction-state: transactions by (updated_at, transaction_id);
 * - workbench events: case_events by (at, case_id, version); workbench cases: cases by
 *   (updatedAt, case_id).
 * Time-ordered cursors assume the single writer's clock does not run backwards (LOCK-1 keeps one
 * writer per state); `ledgerline audit sync --full` re-reads everything, idempotently.
 */
import Database from 'better-sqlite3';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { PartitionedRecord } from '../../audit-trail/chain';
import { type AuditLeg, ledgerSequenceRecord, lifecycleEventRecord, transactionStateRecord, workbenchCaseRecord, workbenchEventRecord } from '../../audit-trail/records';
import type { LedgerEvent } from '../../domain/events';
import { fromMinorUnits } from '../../domain/money';
import type { TransactionState } from '../../ports';
import type { CaseEvent, ExceptionCase } from '../../recon/workbench/cases';
import type { AuditFeed, AuditFeedPage } from '../../use-cases/copy-audit/copy-audit';
import { STATE_DB_FILE } from './database';
import { WORKBENCH_DB_FILE } from './workbench-store';

type Db = Database.Database;

function openReadOnly(file: string): Db | undefined {
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

const hasTable = (db: Db, table: string): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;

/** A cursor of several parts, as text (JSON array). */
const encode = (parts: readonly (string | number)[]): string => JSON.stringify(parts);
function decode(cursor: string | undefined, feed: string, arity: number): (string | number)[] | undefined {
  if (cursor === undefined) return undefined;
  let parts: unknown;
  try {
    parts = JSON.parse(cursor);
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== arity) throw new Error(`audit feed ${feed}: cursor ${JSON.stringify(cursor)} is not a cursor of this feed (${arity} part(s))`);
  return parts as (string | number)[];
}

interface LegRow {
  leg_id: string;
  sequence_id: string;
  account_id: string;
  direction: 'DEBIT' | 'CREDIT';
  amount_minor: bigint;
  currency: string;
  value_date: string;
  authorization_id: string | null;
}

function legsToSequence(sequenceId: string, rows: readonly LegRow[]): { sequenceId: string; authorizationId: string; legs: AuditLeg[] } {
  const index = (legId: string): number => Number(legId.slice(legId.lastIndexOf(':') + 1));
  const ordered = [...rows].sort((a, b) => index(a.leg_id) - index(b.leg_id) || (a.leg_id < b.leg_id ? -1 : 1));
  const legs = ordered.map((row): AuditLeg => ({
    legId: row.leg_id,
    accountId: row.account_id,
    direction: row.direction,
    amount: { value: fromMinorUnits(row.amount_minor, row.currency), currency: row.currency },
    valueDate: row.value_date,
    ...(row.authorization_id ? { authorizationId: row.authorization_id } : {}),
  }));
  return { sequenceId, authorizationId: ordered.find((row) => row.authorization_id)?.authorization_id ?? '', legs };
}

/** The feeds of one embedded state partition directory (a dir holding ledgerline.db). */
export function embeddedStateFeeds(partitionDir: string, options: { full?: boolean } = {}): AuditFeed[] {
  const file = join(partitionDir, STATE_DB_FILE);
  const base = `embedded:${existsSync(partitionDir) ? realpathSync(partitionDir) : partitionDir}`;
  const withDb = async <T>(empty: T, read: (db: Db) => T): Promise<T> => {
    const db = openReadOnly(file);
    if (!db) return empty;
    try {
      return read(db);
    } finally {
      db.close();
    }
  };
  const none = (cursor: string | undefined): AuditFeedPage => ({ records: [], next: cursor, done: true });

  const lifecycle: AuditFeed = {
    name: `${base}:lifecycle`,
    read: (cursor, limit) =>
      withDb(none(cursor), (db) => {
        if (!hasTable(db, 'event_archive')) return none(cursor);
        const after = Number(decode(cursor, lifecycle.name, 1)?.[0] ?? 0);
        const rows = db.prepare('SELECT seq, body FROM event_archive WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as { seq: number; body: string }[];
        const records = rows.map((row) => lifecycleEventRecord(JSON.parse(row.body) as LedgerEvent, `archive:${row.seq}`));
        const last = rows[rows.length - 1];
        return { records, next: last ? encode([last.seq]) : cursor, done: rows.length < limit };
      }),
  };

  const fullLedger = options.full === true;
  const ledger: AuditFeed = {
    // A full pass has its own cursor (sequence ids), beside the outbox's (outbox positions).
    name: `${base}:${fullLedger ? 'ledger-full' : 'ledger'}`,
    read: (cursor, limit) =>
      withDb(none(cursor), (db) => {
        if (!hasTable(db, 'ledger_legs')) return none(cursor);
        const legsOf = db
          .prepare(
            "SELECT leg_id, sequence_id, account_id, direction, amount_minor, currency, value_date, authorization_id FROM ledger_legs WHERE leg_id > ? || ':' AND leg_id < ? || ';' AND sequence_id = ?",
          )
          .safeIntegers(true);
        if (fullLedger) {
          // The whole ledger by sequence id (no write order is kept in ledger_legs).
          const after = String(decode(cursor, ledger.name, 1)?.[0] ?? '');
          const ids = db.prepare('SELECT DISTINCT sequence_id FROM ledger_legs WHERE sequence_id > ? ORDER BY sequence_id LIMIT ?').pluck().all(after, limit) as string[];
          const records = ids.map((id) => ledgerSequenceRecord(legsToSequence(id, legsOf.all(id, id, id) as LegRow[]), `sequence:${id}`));
          const last = ids[ids.length - 1];
          return { records, next: last !== undefined ? encode([last]) : cursor, done: ids.length < limit };
        }
        if (!hasTable(db, 'posting_outbox')) return none(cursor);
        const after = Number(decode(cursor, ledger.name, 1)?.[0] ?? 0);
        const rows = db.prepare('SELECT seq, sequence_id FROM posting_outbox WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as { seq: number; sequence_id: string }[];
        const records: PartitionedRecord[] = [];
        for (const row of rows) {
          const legs = legsOf.all(row.sequence_id, row.sequence_id, row.sequence_id) as LegRow[];
          if (legs.length > 0) records.push(ledgerSequenceRecord(legsToSequence(row.sequence_id, legs), `outbox:${row.seq}`));
        }
        const last = rows[rows.length - 1];
        return { records, next: last ? encode([last.seq]) : cursor, done: rows.length < limit };
      }),
  };

  const transactions: AuditFeed = {
    name: `${base}:transaction-state`,
    read: (cursor, limit) =>
      withDb(none(cursor), (db) => {
        if (!hasTable(db, 'transactions')) return none(cursor);
        const [at, id] = (decode(cursor, transactions.name, 2) ?? ['', '']) as [string, string];
        const rows = db
          .prepare('SELECT * FROM transactions WHERE updated_at > ? OR (updated_at = ? AND transaction_id > ?) ORDER BY updated_at, transaction_id LIMIT ?')
          .all(at, at, id, limit) as Array<Record<string, string | number | null>>;
        const records = rows.map((row) =>
          transactionStateRecord({
            transactionId: String(row.transaction_id),
            authorizationId: String(row.authorization_id),
            status: row.status as TransactionState['status'],
            ...(row.stage === null ? {} : { stage: String(row.stage) }),
            attempts: Number(row.attempts),
            ...(row.last_error === null ? {} : { lastError: String(row.last_error) }),
            ...(row.pending_event === null ? {} : { pendingEvent: JSON.parse(String(row.pending_event)) as LedgerEvent }),
            version: Number(row.version),
            updatedAt: String(row.updated_at),
          }),
        );
        const last = rows[rows.length - 1];
        return { records, next: last ? encode([String(last.updated_at), String(last.transaction_id)]) : cursor, done: rows.length < limit };
      }),
  };
  return [ledger, lifecycle, transactions];
}

/** The feeds of a workbench database (<dir>/workbench.db): case events (the actions) and case states. */
export function embeddedWorkbenchFeeds(workbenchDir: string): AuditFeed[] {
  const file = join(workbenchDir, WORKBENCH_DB_FILE);
  const base = `embedded:${existsSync(workbenchDir) ? realpathSync(workbenchDir) : workbenchDir}`;
  const none = (cursor: string | undefined): AuditFeedPage => ({ records: [], next: cursor, done: true });
  const withDb = async (cursor: string | undefined, table: string, read: (db: Db) => AuditFeedPage): Promise<AuditFeedPage> => {
    const db = openReadOnly(file);
    if (!db) return none(cursor);
    try {
      return hasTable(db, table) ? read(db) : none(cursor);
    } finally {
      db.close();
    }
  };
  const events: AuditFeed = {
    name: `${base}:workbench-events`,
    read: (cursor, limit) =>
      withDb(cursor, 'case_events', (db) => {
        const [at, caseId, version] = (decode(cursor, events.name, 3) ?? ['', '', 0]) as [string, string, number];
        const rows = db
          .prepare(
            `SELECT json_extract(event_json, '$.at') AS at, case_id, version, event_json FROM case_events
             WHERE json_extract(event_json, '$.at') > ? OR (json_extract(event_json, '$.at') = ? AND (case_id > ? OR (case_id = ? AND version > ?)))
             ORDER BY 1, case_id, version LIMIT ?`,
          )
          .all(at, at, caseId, caseId, version, limit) as { at: string; case_id: string; version: number; event_json: string }[];
        const records = rows.map((row) => workbenchEventRecord(JSON.parse(row.event_json) as CaseEvent));
        const last = rows[rows.length - 1];
        return { records, next: last ? encode([last.at, last.case_id, last.version]) : cursor, done: rows.length < limit };
      }),
  };
  const cases: AuditFeed = {
    name: `${base}:workbench-cases`,
    read: (cursor, limit) =>
      withDb(cursor, 'cases', (db) => {
        const [at, caseId] = (decode(cursor, cases.name, 2) ?? ['', '']) as [string, string];
        const rows = db
          .prepare(
            `SELECT json_extract(case_json, '$.updatedAt') AS at, case_id, case_json FROM cases
             WHERE json_extract(case_json, '$.updatedAt') > ? OR (json_extract(case_json, '$.updatedAt') = ? AND case_id > ?)
             ORDER BY 1, case_id LIMIT ?`,
          )
          .all(at, at, caseId, limit) as { at: string; case_id: string; case_json: string }[];
        const records = rows.map((row) => workbenchCaseRecord(JSON.parse(row.case_json) as ExceptionCase));
        const last = rows[rows.length - 1];
        return { records, next: last ? encode([last.at, last.case_id]) : cursor, done: rows.length < limit };
      }),
  };
  return [events, cases];
}
