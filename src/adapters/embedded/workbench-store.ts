/**
 * The exceptions workbench's embedded case store: SQLite (WAL) at <out>/workbench.db, next to
 * the reconcile results it imports. Each case is kept whole as JSON, with the columns the list
 * filters on beside it; its history is append-only (case_id, version). Every write is one
 * transaction, conditional on the case's version (optimistic locking, SWEEP-1's pattern).
 * Each imported run's statistics (REC-DASH-1) are kept in run_stats, written with the import.
 */
import { CASE_STATUSES, type CaseEvent, type CaseStatus, type ExceptionCase, type ImportPlan } from '../../recon/workbench/cases';
import { afterKey } from '../../recon/workbench/cursor';
import { type CandidateQuery, minorOf, type OpenRow, openRowsOf, referenceKeys } from '../../recon/workbench/candidates';
import type { RunStats } from '../../recon/workbench/dashboard';
import {
  type CaseCounts,
  type CandidateSource,
  type CaseFilter,
  type CaseNavigator,
  CaseVersionConflict,
  type Clock,
  type OpenCaseAge,
  type PendingSignIn,
  type SessionRecord,
  type SessionStore,
  type WorkbenchStore,
} from '../../recon/workbench/ports';
import type { Statement } from 'better-sqlite3';
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { openDurableDatabase, type StateDatabase, writeTransaction } from './database';
import { startThread } from './threads';
import { CASE_SEARCH_TABLE, type SearchIndexRows, writeSearchIndexRows } from './workbench-search';
import { caseDueDate, defaultSlaRules, type SlaRules } from '../../recon/workbench/sla';

export const WORKBENCH_DB_FILE = 'workbench.db';

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;

/** Opens (creating) <outDir>/workbench.db with the same durability settings as the posting state. */
export function openWorkbenchDatabase(outDir: string): StateDatabase {
  const db = openDurableDatabase(outDir, WORKBENCH_DB_FILE);
  // A run's import is one transaction of 10^5 cases: a 64 MiB page cache keeps it from spilling pages mid-transaction (REC-PERF-1).
  db.pragma('cache_size = -65536');
  return db;
}

/** A case's row: status, reason, account, assignee, age, due day, version, search text, JSON, id. */
type CaseRow = [string, string, string, string | null, number, string, number, string, string, string];

/**
 * The indexes the case list pages through (WB-1 at 1M cases: keyset paging, each page a few index
 * seeks). Each list filter has one index per order that yields its cases in that order from a
 * cursor (age: age_days DESC, case_id; urgency: due_day, age_days DESC, case_id): by status alone,
 * status + reason, account + status, assignee + status (only assigned cases). A reference search
 * of 1–2 characters (a substring without a trigram: SEARCH_TABLES serve longer ones) cannot seek: its index holds everything the search, the reason, the cursor's cut
 * and the order read (status, reason, search text, due day, age, case id), so a search reads that
 * narrow index through and only the page's cases themselves. The account index serves
 * casesOfAccounts too.
 */
const LIST_INDEX_COLUMNS: Record<string, string> = {
  cases_by_status: 'status, age_days DESC, case_id',
  cases_by_due: 'status, due_day, age_days DESC, case_id',
  cases_by_status_reason: 'status, reason, age_days DESC, case_id',
  cases_by_status_reason_due: 'status, reason, due_day, age_days DESC, case_id',
  cases_by_account_status: 'account_id, status, age_days DESC, case_id',
  cases_by_account_due: 'account_id, status, due_day, age_days DESC, case_id',
  cases_by_assignee_status: 'assignee, status, age_days DESC, case_id',
  cases_by_assignee_due: 'assignee, status, due_day, age_days DESC, case_id',
  cases_by_search: 'status, reason, search_text, due_day, age_days, case_id',
};
const CASE_INDEXES = `${Object.entries(LIST_INDEX_COLUMNS)
  .map(([name, columns]) => `CREATE INDEX IF NOT EXISTS ${name} ON cases (${columns})${name.startsWith('cases_by_assignee') ? ' WHERE assignee IS NOT NULL' : ''};`)
  .join('\n')}
    CREATE INDEX IF NOT EXISTS open_rows_by_amount ON open_rows (account_id, currency, side, amount_minor) WHERE amount_minor IS NOT NULL;
    CREATE INDEX IF NOT EXISTS open_row_refs_by_case ON open_row_refs (case_id);`;
const DROP_CASE_INDEXES = [...Object.keys(LIST_INDEX_COLUMNS), 'open_rows_by_amount', 'open_row_refs_by_case'].map((name) => `DROP INDEX IF EXISTS ${name};`).join(' ');
/** The list's indexes of a store written before keyset paging: the new ones above replace them. */
const RETIRED_CASE_INDEXES = 'DROP INDEX IF EXISTS cases_by_reason; DROP INDEX IF EXISTS cases_by_account; DROP INDEX IF EXISTS cases_by_assignee;';
/**
 * The reference search's trigram index (WB-1 at 1M cases: a search of 3 or more characters reads
 * only the cases that match). case_keys gives each case a rowid and the columns the list filters,
 * cuts and orders a search by (status, reason, due day, age); case_search is a contentless FTS5
 * index of each case's search text under that rowid (trigram, case-sensitive over the text that is
 * lower-case already, detail=full so a term is matched as one exact substring). Every write of a
 * case writes both in its transaction, by plain single-row statements: no triggers, since a
 * statement that opens a statement journal (a trigger's does) makes FTS5 flush its pending terms
 * into a new segment, and a case at a time that made an import of 50k cases 2.5 times as slow.
 */
const SEARCH_TABLES = `CREATE TABLE IF NOT EXISTS case_keys (
      id INTEGER PRIMARY KEY,
      case_id TEXT NOT NULL UNIQUE,
      status TEXT NOT NULL,
      reason TEXT NOT NULL,
      due_day TEXT NOT NULL,
      age_days INTEGER NOT NULL
    );
    ${CASE_SEARCH_TABLE};`;
/** Fills the search tables from the cases (a store written before them, or a big first import), case-id order. */
const FILL_KEYS = 'INSERT INTO case_keys (case_id, status, reason, due_day, age_days) SELECT case_id, status, reason, due_day, age_days FROM cases ORDER BY case_id;';
const FILL_SEARCH_TEXT = 'INSERT INTO case_search (rowid, search_text) SELECT k.id, c.search_text FROM case_keys k JOIN cases c ON c.case_id = k.case_id ORDER BY k.id;';
const FILL_SEARCH = `${FILL_KEYS}\n    ${FILL_SEARCH_TEXT}`;
/** Shortest search term (in characters) the trigram index serves; a shorter one reads the search index through. */
const TRIGRAM = 3;

/** The term as an FTS5 string literal: one phrase, matched as an exact substring, never query syntax (OR, NEAR, *, ^, column filters). */
function ftsLiteral(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/** A first import at least this big builds the case indexes once, after its inserts, rather than row by row (REC-PERF-1). */
const BULK_FIRST_IMPORT = 10_000;

/**
 * A big first import of at least this many cases builds its search index on its own thread
 * (./search-index.thread.ts) while it writes the cases and their list indexes, and writes the
 * index's rows into the store's empty one (REC-PERF-1): the index is the same (workbench-search.ts).
 * Never with LEDGERLINE_MAIN_THREAD=1 (every command on one thread).
 */
export const SEARCH_THREAD_FROM = 20_000;
const SEARCH_THREAD = `${__dirname}/search-index.thread.ts`;
/** How long an import waits for its search index thread (about 2 s of work at 10^5 cases) before it builds the index itself: a thread that could not start never answers. */
const SEARCH_THREAD_WAIT_MS = 60_000;

/**
 * Connections that have read or written the search index: FTS5 may keep what it read of an index
 * for a connection, so an index written in under it (the thread's rows) is only ever written on a
 * connection that has not touched it.
 */
const searchTouched = new WeakSet<StateDatabase>();

/** A search index being built on its own thread for the cases of a first import. */
interface SearchBuild {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
  /** The rowid of the first case (in case-id order): the next one case_keys gives. */
  first: number;
}

/** A refreshed case's JSON with the as-of date of the run that reports it now (kept when the run gives none). */
const WITH_AS_OF = "CASE WHEN @asOf IS NULL THEN case_json ELSE json_set(case_json, '$.asOf', @asOf) END";

const systemClock: Clock = { now: () => new Date() };

/** What the reference search looks in: ids and references, lower-case, one per line (no match spans two). */
function searchTextOf(c: ExceptionCase): string {
  let text = `${c.caseId}\n${c.statementLineId ?? ''}\n${c.bankReference ?? ''}`;
  for (const id of c.ledgerEntryIds) text += `\n${id}`;
  return text.toLowerCase();
}

/** 64-bit SQLite integers: a row whose amount does not fit is kept out of the amount index (still found by reference or case). */
const INT64_MAX = 9_223_372_036_854_775_807n;

export class SqliteWorkbenchStore implements WorkbenchStore, CandidateSource, CaseNavigator {
  private readonly nextCase;
  private readonly previousCase;
  private readonly dueOf;
  private readonly insertRow;
  private readonly insertRowRef;
  private readonly deleteRows;
  private readonly deleteRowRefs;
  private readonly rowsByReference;
  private readonly rowsAbove;
  private readonly rowsBelow;
  private readonly rowsOfCase;
  private readonly saveAllTransaction;
  private readonly getStatement;
  private readonly historyStatement;
  private readonly insertCase;
  private readonly updateCase;
  private readonly refreshCase;
  private readonly refreshGroupCase;
  private readonly insertEvent;
  private readonly claimRun;
  private readonly importedRun;
  private readonly anyCase;
  private readonly statusCounts;
  private readonly openReasonCounts;
  private readonly insertRunStats;
  private readonly allRunStats;
  private readonly openAges;
  private readonly saveTransaction;
  private readonly insertKey;
  private readonly insertSearch;
  private readonly deleteSearch;
  private readonly updateKey;
  private readonly refreshKey;
  private readonly searchTextNow;
  private readonly caseKeyId;
  /** A big first import fills the search tables after its inserts (FILL_SEARCH), not case by case. */
  private bulkImport = false;
  private readonly searchThreadFrom: number;
  private readonly importTransaction;

  constructor(
    private readonly db: StateDatabase,
    clock: Clock = systemClock,
    /** The SLA rules the list's urgency order follows (default config/recon/sla.json). */
    private readonly sla: SlaRules = defaultSlaRules(),
    /** From this many new cases a first import builds its search index on its own thread (default SEARCH_THREAD_FROM; never with LEDGERLINE_MAIN_THREAD=1). */
    options: { searchThreadFrom?: number; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.searchThreadFrom = (options.env ?? process.env).LEDGERLINE_MAIN_THREAD === '1' ? Number.POSITIVE_INFINITY : (options.searchThreadFrom ?? SEARCH_THREAD_FROM);
    db.exec(`CREATE TABLE IF NOT EXISTS cases (
      case_id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      reason TEXT NOT NULL,
      account_id TEXT NOT NULL,
      assignee TEXT,
      age_days INTEGER NOT NULL,
      -- YYYY-MM-DD: the case's SLA due date (sla.ts, the store's rules): the list's urgency order
      due_day TEXT NOT NULL DEFAULT '',
      version INTEGER NOT NULL,
      -- lower-case case id, statement line id, bank reference and ledger entry ids: the reference search
      search_text TEXT NOT NULL,
      case_json TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS case_events (
      case_id TEXT NOT NULL,
      version INTEGER NOT NULL,
      event_json TEXT NOT NULL,
      PRIMARY KEY (case_id, version)
    ) WITHOUT ROWID;
    -- The candidate search's open rows (candidates.ts): each unmatched row of an exception case,
    -- by exact amount (minor units) and by normalised reference / batch key
    CREATE TABLE IF NOT EXISTS open_rows (
      case_id TEXT NOT NULL,
      side TEXT NOT NULL,
      row_id TEXT NOT NULL,
      account_id TEXT NOT NULL,
      currency TEXT NOT NULL,
      amount_minor INTEGER,
      row_json TEXT NOT NULL,
      PRIMARY KEY (case_id, side, row_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS open_row_refs (
      account_id TEXT NOT NULL,
      currency TEXT NOT NULL,
      side TEXT NOT NULL,
      ref TEXT NOT NULL,
      case_id TEXT NOT NULL,
      row_id TEXT NOT NULL,
      PRIMARY KEY (account_id, currency, side, ref, case_id, row_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS imported_runs (
      run_id TEXT PRIMARY KEY,
      imported_at TEXT NOT NULL
    ) WITHOUT ROWID;
    -- REC-DASH-1: each imported run's statistics, written in the import's transaction
    CREATE TABLE IF NOT EXISTS run_stats (
      run_id TEXT PRIMARY KEY,
      stats_json TEXT NOT NULL
    ) WITHOUT ROWID`);
    // A store written before cases had a due date: the column is added and filled once.
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(cases)').all();
    if (!columns.some((column) => column.name === 'due_day')) {
      db.exec("ALTER TABLE cases ADD COLUMN due_day TEXT NOT NULL DEFAULT ''");
      const setDue = db.prepare<[string, string]>('UPDATE cases SET due_day = ? WHERE case_id = ?');
      db.transaction(() => {
        for (const row of db.prepare<[], { case_json: string }>('SELECT case_json FROM cases').all()) {
          const c = JSON.parse(row.case_json) as ExceptionCase;
          setDue.run(caseDueDate(c, this.sla), c.caseId);
        }
      })();
    }
    db.exec(RETIRED_CASE_INDEXES);
    db.exec(CASE_INDEXES);
    // A store written before the trigram search: its search tables are built once, here.
    const searchBuilt = db.prepare<[], { one: number }>("SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'case_keys'").get() !== undefined;
    db.transaction(() => {
      db.exec(SEARCH_TABLES);
      // (An empty store has nothing to fill: its search index stays untouched, see searchTouched.)
      if (!searchBuilt && db.prepare('SELECT 1 FROM cases LIMIT 1').get() !== undefined) {
        db.exec(FILL_SEARCH);
        searchTouched.add(db);
      }
    })();
    this.insertKey = db.prepare<[string, string, string, string, number]>('INSERT INTO case_keys (case_id, status, reason, due_day, age_days) VALUES (?, ?, ?, ?, ?)');
    this.insertSearch = db.prepare<[number | bigint, string]>('INSERT INTO case_search (rowid, search_text) VALUES (?, ?)');
    this.deleteSearch = db.prepare<[number | bigint]>('DELETE FROM case_search WHERE rowid = ?');
    this.updateKey = db.prepare<[string, string, string, number, string]>('UPDATE case_keys SET status = ?, reason = ?, due_day = ?, age_days = ? WHERE case_id = ?');
    this.caseKeyId = db.prepare<[string], { id: number }>('SELECT id FROM case_keys WHERE case_id = ?');
    this.refreshKey = db.prepare<[string, number, string]>('UPDATE case_keys SET due_day = ?, age_days = ? WHERE case_id = ?');
    this.searchTextNow = db.prepare<[string], { search_text: string }>('SELECT search_text FROM cases WHERE case_id = ?');
    // The urgency order's neighbours among OPEN and PENDING_APPROVAL cases (the list's default).
    const worked = "status IN ('OPEN', 'PENDING_APPROVAL')";
    this.nextCase = db.prepare<{ due: string; age: number; id: string }, { case_id: string }>(
      `SELECT case_id FROM cases WHERE ${worked} AND (due_day > @due OR (due_day = @due AND (age_days < @age OR (age_days = @age AND case_id > @id))))
       ORDER BY due_day, age_days DESC, case_id LIMIT 1`,
    );
    this.previousCase = db.prepare<{ due: string; age: number; id: string }, { case_id: string }>(
      `SELECT case_id FROM cases WHERE ${worked} AND (due_day < @due OR (due_day = @due AND (age_days > @age OR (age_days = @age AND case_id < @id))))
       ORDER BY due_day DESC, age_days, case_id DESC LIMIT 1`,
    );
    this.dueOf = db.prepare<[string], { due_day: string; age_days: number }>('SELECT due_day, age_days FROM cases WHERE case_id = ?');
    this.getStatement = db.prepare<[string], { case_json: string }>('SELECT case_json FROM cases WHERE case_id = ?');
    this.historyStatement = db.prepare<[string], { event_json: string }>('SELECT event_json FROM case_events WHERE case_id = ? ORDER BY version');
    // Anonymous parameters, in the same order for both (REC-PERF-1: no parameter object per case).
    this.insertCase = db.prepare<CaseRow>(
      `INSERT INTO cases (status, reason, account_id, assignee, age_days, due_day, version, search_text, case_json, case_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (case_id) DO NOTHING`,
    );
    this.updateCase = db.prepare<[...CaseRow, number]>(
      `UPDATE cases SET status = ?, reason = ?, account_id = ?, assignee = ?, age_days = ?, due_day = ?, version = ?, search_text = ?, case_json = ?
       WHERE case_id = ? AND version = ? - 1`,
    );
    // A refresh follows the latest run (run id, age) without a version change: applied to whatever
    // the stored case is now, so it can never undo a person's concurrent action.
    this.refreshCase = db.prepare(
      `UPDATE cases SET age_days = @ageDays, due_day = @dueDay, case_json = json_set(${WITH_AS_OF}, '$.runId', @runId, '$.ageDays', @ageDays)
       WHERE case_id = @caseId`,
    );
    // REC-CASE-1: a grouped case's members (and what follows from them) follow the latest run too.
    this.refreshGroupCase = db.prepare(
      `UPDATE cases SET age_days = @ageDays, due_day = @dueDay, search_text = @searchText,
         case_json = json_set(${WITH_AS_OF}, '$.runId', @runId, '$.ageDays', @ageDays, '$.members', json(@members), '$.totals', json(@totals),
           '$.amount', @amount, '$.ledgerEntryIds', json(@ledgerEntryIds), '$.detail', @detail)
       WHERE case_id = @caseId`,
    );
    this.insertEvent = db.prepare('INSERT INTO case_events (case_id, version, event_json) VALUES (?, ?, ?)');
    this.insertRow = db.prepare<[string, string, string, string, string, bigint | null, string]>(
      'INSERT OR REPLACE INTO open_rows (case_id, side, row_id, account_id, currency, amount_minor, row_json) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertRowRef = db.prepare<[string, string, string, string, string, string]>(
      'INSERT OR IGNORE INTO open_row_refs (account_id, currency, side, ref, case_id, row_id) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.deleteRows = db.prepare<[string]>('DELETE FROM open_rows WHERE case_id = ?');
    this.deleteRowRefs = db.prepare<[string]>('DELETE FROM open_row_refs WHERE case_id = ?');
    // Whether a row's case is OPEN, checked per row found (a correlated lookup by primary key): the
    // open rows' index stays the outer loop, never a scan of the cases by status.
    const open = "AND EXISTS (SELECT 1 FROM cases c WHERE c.case_id = r.case_id AND c.status = 'OPEN')";
    this.rowsByReference = db.prepare<[string, string, string, string, number], { row_json: string }>(
      `SELECT r.row_json FROM open_row_refs x JOIN open_rows r ON r.case_id = x.case_id AND r.side = x.side AND r.row_id = x.row_id
       WHERE x.account_id = ? AND x.currency = ? AND x.side = ? AND x.ref IN (SELECT value FROM json_each(?)) ${open} LIMIT ?`,
    );
    this.rowsAbove = db.prepare<[string, string, string, bigint, number], { row_json: string }>(
      `SELECT r.row_json FROM open_rows r WHERE r.account_id = ? AND r.currency = ? AND r.side = ? AND r.amount_minor >= ? ${open} ORDER BY r.amount_minor LIMIT ?`,
    );
    this.rowsBelow = db.prepare<[string, string, string, bigint, number], { row_json: string }>(
      `SELECT r.row_json FROM open_rows r WHERE r.account_id = ? AND r.currency = ? AND r.side = ? AND r.amount_minor < ? ${open} ORDER BY r.amount_minor DESC LIMIT ?`,
    );
    this.rowsOfCase = db.prepare<[string, string], { row_json: string }>(`SELECT r.row_json FROM open_rows r WHERE r.case_id = ? AND r.side = ? ${open}`);
    this.claimRun = db.prepare('INSERT INTO imported_runs (run_id, imported_at) VALUES (?, ?) ON CONFLICT (run_id) DO NOTHING');
    this.anyCase = db.prepare<[], { one: number }>('SELECT 1 AS one FROM cases LIMIT 1');
    this.importedRun = db.prepare<[string], { run_id: string }>('SELECT run_id FROM imported_runs WHERE run_id = ?');
    this.statusCounts = db.prepare<[], { status: CaseStatus; n: number }>('SELECT status, count(*) AS n FROM cases GROUP BY status');
    this.openReasonCounts = db.prepare<[], { reason: string; n: number }>("SELECT reason, count(*) AS n FROM cases WHERE status IN ('OPEN', 'PENDING_APPROVAL') GROUP BY reason ORDER BY reason");

    this.insertRunStats = db.prepare('INSERT INTO run_stats (run_id, stats_json) VALUES (?, ?) ON CONFLICT (run_id) DO NOTHING');
    this.allRunStats = db.prepare<[], { stats_json: string }>('SELECT stats_json FROM run_stats ORDER BY run_id');
    this.openAges = db.prepare<[], { age_days: number; n: number }>("SELECT age_days, count(*) AS n FROM cases WHERE status IN ('OPEN', 'PENDING_APPROVAL') GROUP BY age_days ORDER BY age_days");

    const write = (next: ExceptionCase, event: CaseEvent, text?: string): void => {
      if (event.caseId !== next.caseId || event.version !== next.version) {
        throw new Error(`event ${event.caseId} v${event.version} does not belong to case ${next.caseId} v${next.version}`);
      }
      const searchText = text ?? searchTextOf(next);
      const json = JSON.stringify(next);
      const dueDay = caseDueDate(next, this.sla);
      const before = next.version === 1 ? undefined : this.searchTextNow.get(next.caseId)?.search_text;
      const { changes } =
        next.version === 1
          ? this.insertCase.run(next.status, next.reason, next.accountId, next.assignee ?? null, next.ageDays, dueDay, next.version, searchText, json, next.caseId)
          : this.updateCase.run(next.status, next.reason, next.accountId, next.assignee ?? null, next.ageDays, dueDay, next.version, searchText, json, next.caseId, next.version);
      if (changes !== 1) throw new CaseVersionConflict(next.caseId, next.version - 1);
      if (next.version === 1) {
        if (!this.bulkImport) {
          searchTouched.add(db);
          this.insertSearch.run(this.insertKey.run(next.caseId, next.status, next.reason, dueDay, next.ageDays).lastInsertRowid, searchText);
        }
      } else this.rekey(next.caseId, next.status, next.reason, dueDay, next.ageDays, before, searchText);
      this.insertEvent.run(event.caseId, event.version, JSON.stringify(event));
      if (next.version === 1) this.writeRows(next, true);
    };
    this.saveTransaction = writeTransaction(db, write);
    this.saveAllTransaction = writeTransaction(db, (writes: readonly { next: ExceptionCase; event: CaseEvent }[]) => {
      for (const { next, event } of writes) write(next, event);
    });
    this.importTransaction = writeTransaction(db, (runId: string, plan: ImportPlan): boolean => {
      if (this.claimRun.run(runId, clock.now().toISOString()).changes === 0) return false;
      // A big first import (an empty case table) builds the list's indexes after its inserts, in
      // the same transaction (REC-PERF-1).
      const bulk = plan.raised.length >= BULK_FIRST_IMPORT && this.anyCase.get() === undefined;
      if (bulk) db.exec(DROP_CASE_INDEXES);
      this.bulkImport = bulk;
      // New cases in key order: the B-trees of both tables grow at their ends (REC-PERF-1).
      const raised = plan.raised.length > 1 ? [...plan.raised].sort((a, b) => (a.next.caseId < b.next.caseId ? -1 : a.next.caseId > b.next.caseId ? 1 : 0)) : plan.raised;
      // Their search index on its own thread meanwhile, when the import is big enough for it.
      const texts = bulk && raised.length >= this.searchThreadFrom && !searchTouched.has(db) ? raised.map(({ next }) => searchTextOf(next)) : undefined;
      const search = texts ? this.startSearchBuild(texts) : undefined;
      try {
        try {
          if (texts) for (let i = 0; i < raised.length; i += 1) write(raised[i]!.next, raised[i]!.event, texts[i]);
          else for (const { next, event } of raised) write(next, event);
        } finally {
          this.bulkImport = false;
        }
        if (bulk) {
          db.exec(`${CASE_INDEXES} ${FILL_KEYS}`);
          if (!(search && this.takeSearchBuild(search, raised))) db.exec(FILL_SEARCH_TEXT);
          searchTouched.add(db);
        }
      } finally {
        if (search) {
          search.port.close();
          void search.worker.terminate();
        }
      }
      for (const refreshed of plan.refreshed) {
        if (refreshed.members) {
          const before = this.searchTextNow.get(refreshed.caseId)?.search_text;
          this.refreshGroupCase.run({
            caseId: refreshed.caseId,
            runId: refreshed.runId,
            ageDays: refreshed.ageDays,
            asOf: refreshed.asOf ?? null,
            dueDay: caseDueDate(refreshed, this.sla),
            searchText: searchTextOf(refreshed),
            members: JSON.stringify(refreshed.members),
            totals: JSON.stringify(refreshed.totals ?? []),
            amount: refreshed.amount,
            ledgerEntryIds: JSON.stringify(refreshed.ledgerEntryIds),
            detail: refreshed.detail ?? null,
          });
          this.refreshKey.run(caseDueDate(refreshed, this.sla), refreshed.ageDays, refreshed.caseId);
          this.reindexText(refreshed.caseId, before, searchTextOf(refreshed));
          this.writeRows(refreshed);
        } else {
          const dueDay = caseDueDate(refreshed, this.sla);
          this.refreshCase.run({ caseId: refreshed.caseId, runId: refreshed.runId, ageDays: refreshed.ageDays, asOf: refreshed.asOf ?? null, dueDay });
          this.refreshKey.run(dueDay, refreshed.ageDays, refreshed.caseId);
        }
      }
      for (const { next, event } of plan.reopened) {
        write(next, event);
        this.writeRows(next);
      }
      for (const { next, event } of plan.cleared) write(next, event);
      if (plan.stats) this.insertRunStats.run(runId, JSON.stringify(plan.stats));
      return true;
    });
  }

  /**
   * Starts building the search index of a first import's new cases (`texts`, in case-id order) on
   * its own thread; undefined when the store's index is not empty (then the import fills it).
   */
  private startSearchBuild(texts: string[]): SearchBuild | undefined {
    if (this.db.prepare('SELECT 1 FROM case_search_docsize LIMIT 1').get() !== undefined) return undefined;
    const first = this.db.prepare<[], number>('SELECT coalesce(max(id), 0) + 1 FROM case_keys').pluck().get()!;
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    // A lean thread (REC-PERF-1: the import runs at the run's memory peak): little of what it allocates dies young.
    const worker = startThread(SEARCH_THREAD, { texts, first, port: port2, signal: signal.buffer }, { transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    // Its failures come back as signal 2 (or no answer in time): the import then fills the index itself.
    worker.on('error', () => undefined);
    worker.unref();
    return { worker, port: port1, signal, first };
  }

  /**
   * Writes the index the thread built into the store's (empty) one, once case_keys holds the new
   * cases (FILL_KEYS) under exactly the rowids the thread gave their texts; false (nothing written)
   * when they differ or the thread has no index: then the import fills it itself.
   */
  private takeSearchBuild(search: SearchBuild, raised: readonly { next: ExceptionCase }[]): boolean {
    const keys = this.db.prepare<[number], [number, string]>('SELECT id, case_id FROM case_keys WHERE id >= ? ORDER BY id').raw().all(search.first);
    if (keys.length !== raised.length) return false;
    for (let i = 0; i < keys.length; i += 1) if (keys[i]![0] !== search.first + i || keys[i]![1] !== raised[i]!.next.caseId) return false;
    Atomics.wait(search.signal, 0, 0, SEARCH_THREAD_WAIT_MS);
    const answer = receiveMessageOnPort(search.port)?.message as { rows?: SearchIndexRows } | undefined;
    if (!answer?.rows) return false;
    // The shadow tables are written as FTS5 itself would have: defensive mode keeps them read-only to SQL otherwise.
    this.db.unsafeMode(true);
    try {
      writeSearchIndexRows(this.db, answer.rows);
    } finally {
      this.db.unsafeMode(false);
    }
    return true;
  }

  /** A changed case's search keys, and its trigram entry when its search text changed (`before`: the stored text). */
  private rekey(caseId: string, status: string, reason: string, dueDay: string, ageDays: number, before: string | undefined, searchText: string): void {
    this.updateKey.run(status, reason, dueDay, ageDays, caseId);
    this.reindexText(caseId, before, searchText);
  }

  private reindexText(caseId: string, before: string | undefined, searchText: string): void {
    if (before === undefined || before === searchText) return;
    searchTouched.add(this.db);
    const id = this.caseKeyId.get(caseId)?.id;
    if (id === undefined) return;
    this.deleteSearch.run(id);
    this.insertSearch.run(id, searchText);
  }

  /** The case's open rows (candidates.ts), replacing any it had: a grouped case's members follow the latest run. */
  private writeRows(c: ExceptionCase, fresh = false): void {
    // A new case has no rows yet (and a big first import has dropped the index the delete would use).
    if (!fresh) {
      this.deleteRows.run(c.caseId);
      this.deleteRowRefs.run(c.caseId);
    }
    for (const row of openRowsOf(c)) {
      const minor = minorOf(row.amount, row.currency);
      const indexed = minor !== undefined && minor <= INT64_MAX && minor >= -INT64_MAX ? minor : null;
      this.insertRow.run(row.caseId, row.side, row.id, row.accountId, row.currency, indexed, JSON.stringify(row));
      for (const ref of referenceKeys(row)) this.insertRowRef.run(row.accountId, row.currency, row.side, ref, row.caseId, row.id);
    }
  }

  async candidateRows(query: CandidateQuery): Promise<OpenRow[]> {
    const { accountId, currency, side, limit } = query;
    const rows = new Map<string, OpenRow>();
    const add = (found: { row_json: string }[]): void => {
      for (const { row_json } of found) {
        const row = JSON.parse(row_json) as OpenRow;
        rows.set(`${row.caseId}\u0000${row.id}`, row);
      }
    };
    if (query.references.length) add(this.rowsByReference.all(accountId, currency, side, JSON.stringify(query.references), limit));
    if (query.amountMinor <= INT64_MAX && query.amountMinor >= -INT64_MAX) {
      add(this.rowsAbove.all(accountId, currency, side, query.amountMinor, limit));
      add(this.rowsBelow.all(accountId, currency, side, query.amountMinor, limit));
    }
    add(this.rowsOfCase.all(query.caseId, side));
    return [...rows.values()];
  }

  async neighbours(caseId: string): Promise<{ previous?: string; next?: string }> {
    const at = this.dueOf.get(caseId);
    if (!at) return {};
    const key = { due: at.due_day, age: at.age_days, id: caseId };
    const previous = this.previousCase.get(key)?.case_id;
    const next = this.nextCase.get(key)?.case_id;
    return { ...(previous ? { previous } : {}), ...(next ? { next } : {}) };
  }

  async saveAll(writes: readonly { next: ExceptionCase; event: CaseEvent }[]): Promise<void> {
    this.saveAllTransaction(writes);
  }

  /**
   * One page of the list by keyset (WB-1 at 1M cases): the cases strictly after the filter's
   * cursor in its order. For each status, the index of the filter yields its cases in order from
   * the cursor, cut into the ranges a seek can start (age: the rest of the cursor's age after its
   * case id, then the younger ages; urgency: the rest of the cursor's age, the rest of its due
   * day, the later days), each limited to the page; the ranges are merged and the page taken.
   * (An OR of the cuts in one range would not seek: it reads from the first page to the cursor.)
   * A search of 3 or more characters without an account or assignee reads the trigram index
   * (searchPage). One of 1–2 characters (no trigram: a substring that cannot seek) reads the
   * narrow search index of each status through, sorts its matches after the cursor and reads only
   * the page's cases: a page costs one pass over that index (every case of the statuses).
   */
  async list(filter: CaseFilter): Promise<ExceptionCase[]> {
    const statuses = filter.status ?? CASE_STATUSES;
    if (statuses.length === 0) return [];
    const sort = filter.sort === 'urgency' ? 'urgency' : 'age';
    const after = afterKey({ ...(filter.after !== undefined ? { after: filter.after } : {}), sort });
    const limit = Math.min(Math.max(filter.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const offset = Math.max(filter.offset ?? 0, 0);
    // The equalities besides status, and the index that leads with the most selective of them.
    const lead: 'account_id' | 'assignee' | 'search' | 'reason' | undefined = filter.accountId
      ? 'account_id'
      : filter.assignee
        ? 'assignee'
        : filter.search
          ? 'search'
          : filter.reason
            ? 'reason'
            : undefined;
    const equal: [column: string, value: string][] = [];
    if (filter.accountId) equal.push(['account_id', filter.accountId]);
    if (filter.assignee) equal.push(['assignee', filter.assignee]);
    if (filter.reason) equal.push(['reason', filter.reason]);
    const search = filter.search ? filter.search.toLowerCase() : undefined;
    if (search !== undefined && lead === 'search' && [...search].length >= TRIGRAM) return this.searchPage(statuses, filter.reason, search, sort, after, limit, offset);
    const order = sort === 'urgency' ? 'due_day, age_days DESC, case_id' : 'age_days DESC, case_id';
    const params: (string | number)[] = [];
    const conditions = (status: string, cut: string, cutParams: (string | number)[]): string => {
      const where: string[] = [];
      for (const [column, value] of equal) {
        where.push(`${column} = ?`);
        params.push(value);
      }
      where.push('status = ?');
      params.push(status);
      if (search !== undefined) {
        where.push('instr(search_text, ?) > 0');
        params.push(search);
      }
      if (cut) {
        where.push(cut);
        params.push(...cutParams);
      }
      return where.join(' AND ');
    };
    const byOrder = (age: string, due: string) => (sort === 'urgency' ? due : age);
    const index =
      lead === 'account_id'
        ? byOrder('cases_by_account_status', 'cases_by_account_due')
        : lead === 'assignee'
          ? byOrder('cases_by_assignee_status', 'cases_by_assignee_due')
          : lead === 'search'
            ? 'cases_by_search'
            : lead === 'reason'
              ? byOrder('cases_by_status_reason', 'cases_by_status_reason_due')
              : byOrder('cases_by_status', 'cases_by_due');
    // A deprecated OFFSET page reads every case before it: each range is limited to offset + limit.
    const rangeLimit = limit + offset;
    const ranges: string[] = [];
    // The search index is not in the list's order: each status is read through (the cursor's cut
    // as one condition), its matches sorted, and only the page's case ids go on to the cases.
    const columns = lead === 'search' ? 'case_id, due_day, age_days' : 'case_json, due_day, age_days, case_id';
    const range = (status: string, cut: string, cutParams: (string | number)[]): void => {
      ranges.push(`SELECT * FROM (SELECT ${columns} FROM cases INDEXED BY ${index} WHERE ${conditions(status, cut, cutParams)} ORDER BY ${order} LIMIT ?)`);
      params.push(rangeLimit);
    };
    for (const status of statuses) {
      if (!after) range(status, '', []);
      else if (lead === 'search') {
        if (after.sort === 'age') range(status, '(age_days < ? OR (age_days = ? AND case_id > ?))', [after.ageDays, after.ageDays, after.caseId]);
        else range(status, '(due_day > ? OR (due_day = ? AND (age_days < ? OR (age_days = ? AND case_id > ?))))', [after.dueDay, after.dueDay, after.ageDays, after.ageDays, after.caseId]);
      } else if (after.sort === 'age') {
        range(status, 'age_days = ? AND case_id > ?', [after.ageDays, after.caseId]);
        range(status, 'age_days < ?', [after.ageDays]);
      } else {
        range(status, 'due_day = ? AND age_days = ? AND case_id > ?', [after.dueDay, after.ageDays, after.caseId]);
        range(status, 'due_day = ? AND age_days < ?', [after.dueDay, after.ageDays]);
        range(status, 'due_day > ?', [after.dueDay]);
      }
    }
    let sql = `SELECT ${lead === 'search' ? 'case_id' : 'case_json'}, due_day, age_days FROM (${ranges.join(' UNION ALL ')}) ORDER BY ${order} LIMIT ? OFFSET ?`;
    params.push(limit, offset);
    if (lead === 'search') sql = `SELECT c.case_json FROM (${sql}) p JOIN cases c ON c.case_id = p.case_id ORDER BY ${order.replace(/(due_day|age_days|case_id)/g, 'p.$1')}`;
    return this.statement(sql)
      .all(...params)
      .map((row) => JSON.parse(row.case_json) as ExceptionCase);
  }

  /**
   * A page of a search of 3 or more characters (no account or assignee: those seek their own
   * index and filter): the trigram index yields the matching cases' rowids, their keys are
   * filtered by status, reason and the cursor's cut, sorted, and only the page's cases are read.
   * A page costs the matches, not every case: a rare reference reads a handful of rows; a common
   * term sorts its matches' keys (never their cases). Terms of 1–2 characters have no trigram:
   * list() reads the covering search index through for them.
   */
  private searchPage(
    statuses: readonly CaseStatus[],
    reason: string | undefined,
    search: string,
    sort: 'age' | 'urgency',
    after: ReturnType<typeof afterKey>,
    limit: number,
    offset: number,
  ): ExceptionCase[] {
    searchTouched.add(this.db);
    const order = sort === 'urgency' ? 'due_day, age_days DESC, case_id' : 'age_days DESC, case_id';
    const where = [`k.status IN (${statuses.map(() => '?').join(', ')})`];
    const params: (string | number)[] = [ftsLiteral(search), ...statuses];
    if (reason) {
      where.push('k.reason = ?');
      params.push(reason);
    }
    if (after?.sort === 'age') {
      where.push('(k.age_days < ? OR (k.age_days = ? AND k.case_id > ?))');
      params.push(after.ageDays, after.ageDays, after.caseId);
    } else if (after) {
      where.push('(k.due_day > ? OR (k.due_day = ? AND (k.age_days < ? OR (k.age_days = ? AND k.case_id > ?))))');
      params.push(after.dueDay, after.dueDay, after.ageDays, after.ageDays, after.caseId);
    }
    params.push(limit, offset);
    const keyed = order.replace(/(due_day|age_days|case_id)/g, 'k.$1');
    const sql = `SELECT c.case_json FROM (SELECT k.case_id, k.due_day, k.age_days FROM case_search s JOIN case_keys k ON k.id = s.rowid
       WHERE case_search MATCH ? AND ${where.join(' AND ')} ORDER BY ${keyed} LIMIT ? OFFSET ?) p
       JOIN cases c ON c.case_id = p.case_id ORDER BY ${order.replace(/(due_day|age_days|case_id)/g, 'p.$1')}`;
    return this.statement(sql)
      .all(...params)
      .map((row) => JSON.parse(row.case_json) as ExceptionCase);
  }

  /** The list's statements by their SQL (a few dozen shapes: statuses × filters × order × first or later page). */
  private readonly listStatements = new Map<string, Statement<(string | number)[], { case_json: string }>>();
  private statement(sql: string): Statement<(string | number)[], { case_json: string }> {
    let statement = this.listStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare<(string | number)[], { case_json: string }>(sql);
      if (this.listStatements.size >= 256) this.listStatements.clear();
      this.listStatements.set(sql, statement);
    }
    return statement;
  }

  async get(caseId: string): Promise<ExceptionCase | undefined> {
    const row = this.getStatement.get(caseId);
    return row ? (JSON.parse(row.case_json) as ExceptionCase) : undefined;
  }

  async history(caseId: string): Promise<CaseEvent[]> {
    return this.historyStatement.all(caseId).map((row) => JSON.parse(row.event_json) as CaseEvent);
  }

  async counts(): Promise<CaseCounts> {
    const byStatus: CaseCounts['byStatus'] = {};
    for (const row of this.statusCounts.all()) byStatus[row.status] = row.n;
    const openByReason: Record<string, number> = {};
    for (const row of this.openReasonCounts.all()) openByReason[row.reason] = row.n;
    return { byStatus, openByReason };
  }

  async save(next: ExceptionCase, event: CaseEvent): Promise<void> {
    this.saveTransaction(next, event);
  }

  async casesOfAccounts(accountIds: ReadonlySet<string>): Promise<ExceptionCase[]> {
    if (accountIds.size === 0) return [];
    const rows = this.db
      .prepare<[string], { case_json: string }>('SELECT case_json FROM cases WHERE account_id IN (SELECT value FROM json_each(?)) ORDER BY case_id')
      .all(JSON.stringify([...accountIds]));
    return rows.map((row) => JSON.parse(row.case_json) as ExceptionCase);
  }

  /** Whether `runId` was imported (a cheap check before reading a run's files). */
  hasImported(runId: string): boolean {
    return this.importedRun.get(runId) !== undefined;
  }

  async applyImport(runId: string, plan: ImportPlan): Promise<boolean> {
    return this.importTransaction(runId, plan);
  }

  async runStats(): Promise<RunStats[]> {
    return this.allRunStats.all().map((row) => JSON.parse(row.stats_json) as RunStats);
  }

  async openCaseAges(): Promise<OpenCaseAge[]> {
    return this.openAges.all().map((row) => ({ ageDays: row.age_days, cases: row.n }));
  }
}

/** The workbench's sign-in sessions and pending sign-ins, in workbench.db beside the cases. */
export class SqliteSessionStore implements SessionStore {
  constructor(private readonly db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS workbench_sessions (
      session_key TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      session_json TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS workbench_sign_ins (
      state TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      sign_in_json TEXT NOT NULL
    );`);
  }

  async createSession(record: SessionRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO workbench_sessions (session_key, created_at, last_seen_at, session_json) VALUES (?, ?, ?, ?)')
      .run(record.key, record.createdAt, record.lastSeenAt, JSON.stringify(record));
  }

  async session(key: string): Promise<SessionRecord | undefined> {
    const row = this.db.prepare<[string], { session_json: string; last_seen_at: number }>('SELECT session_json, last_seen_at FROM workbench_sessions WHERE session_key = ?').get(key);
    return row ? { ...(JSON.parse(row.session_json) as SessionRecord), lastSeenAt: row.last_seen_at } : undefined;
  }

  async touchSession(key: string, lastSeenAt: number): Promise<void> {
    // A replaced key keeps its last_seen_at (its replacedAt): purge's idle bound drops it.
    this.db.prepare("UPDATE workbench_sessions SET last_seen_at = ? WHERE session_key = ? AND json_extract(session_json, '$.replacedBy') IS NULL").run(lastSeenAt, key);
  }

  /**
   * WB-AUTH-1 rotation: in one transaction the old row is marked replaced (kept for the grace
   * window: purge's idle bound drops it later; `oldKeyUntil` is for stores with TTL) and the new
   * row inserted; an old row gone or replaced already writes nothing.
   */
  async replaceSession(oldKey: string, next: SessionRecord, _oldKeyUntil: number): Promise<boolean> {
    return writeTransaction(this.db, () => {
      const marked = this.db
        .prepare(
          "UPDATE workbench_sessions SET last_seen_at = ?, session_json = json_set(session_json, '$.replacedBy', ?, '$.replacedAt', ?, '$.lastSeenAt', ?) WHERE session_key = ? AND json_extract(session_json, '$.replacedBy') IS NULL",
        )
        .run(next.rotatedAt, next.key, next.rotatedAt, next.rotatedAt, oldKey);
      if (marked.changes === 0) return false;
      this.db.prepare('INSERT INTO workbench_sessions (session_key, created_at, last_seen_at, session_json) VALUES (?, ?, ?, ?)').run(next.key, next.createdAt, next.lastSeenAt, JSON.stringify(next));
      return true;
    })();
  }

  async deleteSession(key: string): Promise<void> {
    this.db.prepare('DELETE FROM workbench_sessions WHERE session_key = ?').run(key);
  }

  async purge(createdBefore: number, seenBefore: number, signInBefore: number): Promise<void> {
    this.db.prepare('DELETE FROM workbench_sessions WHERE created_at < ? OR last_seen_at < ?').run(createdBefore, seenBefore);
    this.db.prepare('DELETE FROM workbench_sign_ins WHERE created_at < ?').run(signInBefore);
  }

  async savePendingSignIn(pending: PendingSignIn): Promise<void> {
    this.db.prepare('INSERT INTO workbench_sign_ins (state, created_at, sign_in_json) VALUES (?, ?, ?)').run(pending.state, pending.createdAt, JSON.stringify(pending));
  }

  async takePendingSignIn(state: string): Promise<PendingSignIn | undefined> {
    const row = this.db.prepare<[string], { sign_in_json: string }>('DELETE FROM workbench_sign_ins WHERE state = ? RETURNING sign_in_json').get(state);
    return row ? (JSON.parse(row.sign_in_json) as PendingSignIn) : undefined;
  }
}
