/**
 * CHAOS-1: store errors in the stores the embedded runtime gives no seam for (its `overrides`
 * take the dedup store, the ledger and reference data only): transaction state (SWEEP-1), rules
 * velocity, decisions and card history (FRAUD-1), parked duplicates, the posting outbox and the
 * re-driver. Injected at the database level instead: while armed, the SQLite statements these
 * ports' methods run fail a seeded share of executions with SQLITE_BUSY before they run, exactly
 * as a busy database refuses a statement. The runtime's own bookkeeping (ingest, dead letters,
 * outbox flush, counts) is left alone: those are not port calls.
 *
 * A fault is booked under its table and the statement's first argument (the id it is about: a
 * transaction, a correlation id, a record id …) and recovered when a later statement on the same
 * table about the same id succeeds.
 */
import Database from 'better-sqlite3';
import type { FaultBook, Injector } from './faults';
import { faultError } from './faults';

/** The statements of the port methods, by table (matched on the statement's SQL, whitespace folded). */
const PORT_STATEMENTS: readonly { table: string; pattern: RegExp }[] = [
  { table: 'transactions', pattern: /^(SELECT \* FROM transactions WHERE|INSERT INTO transactions|UPDATE transactions SET)/ },
  { table: 'rules_velocity', pattern: /^(INSERT OR IGNORE INTO rules_velocity|SELECT COUNT\(\*\) AS n FROM rules_velocity)/ },
  { table: 'rules_decisions', pattern: /rules_decisions/ },
  { table: 'rules_card_history', pattern: /^(INSERT OR IGNORE INTO rules_card_history|SELECT transaction_id, at_ms, amount_minor, country FROM rules_card_history)/ },
  { table: 'parked_duplicates', pattern: /^INSERT OR IGNORE INTO parked_duplicates/ },
  { table: 'posting_outbox', pattern: /^INSERT OR IGNORE INTO posting_outbox / },
  { table: 'redrive_executions', pattern: /redrive_executions/ },
];

type Method = 'run' | 'get' | 'all' | 'iterate';
const METHODS: readonly Method[] = ['run', 'get', 'all', 'iterate'];

interface StatementLike {
  source: string;
}

function tableOf(statement: StatementLike, cache: Map<string, string | null>): string | null {
  let table = cache.get(statement.source);
  if (table === undefined) {
    const sql = statement.source.replace(/\s+/g, ' ').trim();
    table = PORT_STATEMENTS.find((entry) => entry.pattern.test(sql))?.table ?? null;
    cache.set(statement.source, table);
  }
  return table;
}

/**
 * Runs `work` with the port statements failing as the injector draws. Process-wide while it
 * runs (statements of any database); the statements are restored afterwards, whatever happens.
 */
export async function withStatementFaults<T>(injector: Injector, book: FaultBook, work: () => Promise<T>): Promise<T> {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<Method, (...args: unknown[]) => unknown>;
  probe.close();
  const originals = new Map(METHODS.map((method) => [method, prototype[method]] as const));
  const tables = new Map<string, string | null>();
  for (const method of METHODS) {
    const original = originals.get(method)!;
    prototype[method] = function (this: StatementLike, ...args: unknown[]) {
      const table = tableOf(this, tables);
      if (table === null) return original.apply(this, args);
      const key = `${table}:${typeof args[0] === 'string' ? args[0] : this.source}`;
      if (injector.draw() !== undefined) {
        book.inject(table, 'SQLITE_BUSY', [key]);
        throw faultError('SQLITE_BUSY', table);
      }
      const result = original.apply(this, args);
      book.succeeded([key]);
      return result;
    };
  }
  try {
    return await work();
  } finally {
    for (const [method, original] of originals) prototype[method] = original;
  }
}
