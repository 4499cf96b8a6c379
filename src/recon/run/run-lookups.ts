/**
 * A run's statement lines and ledger entries by id, for the sinks that render and record a run
 * (REC-PERF-1), without a million-entry `Map` for each side: building and probing those two maps
 * took about 3 s of a 1M × 1M run.
 *
 * - A statement line is found from its id's own shape, `<prefix>:<line number>` (the parsers'
 *   `<hash 12>:<statement>:<line>`): the lines of one prefix sit together in the run's rows,
 *   numbered in order, so the id names its row. The line read there is checked against the id.
 *   The rows are read by field (StatementRows); a line object is built only for a row asked for
 *   (the lines a run reports).
 * - A ledger entry is looked up for an unmatched ledger item (the results and the cases report
 *   those). Entries in strictly ascending id order (as ledger exports list them, and as the ledger
 *   file reader checks) are found by binary search, with no index at all; otherwise the index
 *   holds the entries of the ids it is told to expect.
 *
 * Any id these miss (another id shape, lines out of order, an entry not expected) is answered by a
 * full index of that side, built once on the first miss: the answers are always those of a full
 * index (the last row of an id winning). Line ids are unique in a run: the matcher refuses a
 * duplicate; given one anyway, a lookup answers one of the lines holding the id.
 */
import type { LedgerEntry, MatchResult, StatementLine } from '../types';
import type { LedgerRows } from '../ledger-rows';
import type { StatementRows } from '../statement-rows';

export interface RunLookups {
  statementLine(statementLineId: string): StatementLine | undefined;
  /** The bank reference of the line `statementLineId`, read from its row: no line built (matches.csv reads one per matched line). */
  statementBankReference(statementLineId: string): string | undefined;
  /** The account of the line `statementLineId`, read from its row: no line built (the registry reads one per match). */
  statementAccountId(statementLineId: string): string | undefined;
  /** The row of the line `statementLineId` among the run's lines, or -1 (the dashboard statistics read the row's fields). */
  statementRow(statementLineId: string): number;
  ledgerEntry(entryId: string): LedgerEntry | undefined;
}

/** The number after the id's last ':' (digits only, at most 15), or -1. */
function lineNumber(id: string, from: number): number {
  if (from >= id.length || id.length - from > 15) return -1;
  let n = 0;
  for (let i = from; i < id.length; i += 1) {
    const c = id.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Lookups over `lines` (the run's statement rows, in its order) and `entries`; `expectedEntryIds`
 * are the ledger ids the sinks will ask for (the unmatched ledger items).
 */
export function runLookups(lines: StatementRows, entries: LedgerRows, expectedEntryIds: Iterable<string>): RunLookups {
  // Runs of rows sharing an id prefix: the prefix → where its run starts and the first line's number.
  const runs = new Map<string, { start: number; first: number }>();
  let prefix = '';
  for (let i = 0; i < lines.length; i += 1) {
    const id = lines.statementLineId(i);
    if (prefix !== '' && id.length > prefix.length && id.startsWith(prefix) && id.indexOf(':', prefix.length) < 0) continue;
    const cut = id.lastIndexOf(':');
    if (cut < 0) {
      prefix = '';
      continue;
    }
    prefix = id.slice(0, cut + 1);
    const first = lineNumber(id, cut + 1);
    if (first < 0) prefix = '';
    else runs.set(prefix, { start: i, first });
  }
  /** The row the id's place names (not checked against the id), or -1. */
  let lastPrefix = '';
  let lastRun: { start: number; first: number } | undefined;
  const placed = (id: string): number => {
    const cut = id.lastIndexOf(':');
    if (cut < 0) return -1;
    // The run of the last id asked for, when this id has its prefix (the sinks ask mostly in line order): no substring to hash.
    let run = cut + 1 === lastPrefix.length && id.startsWith(lastPrefix) ? lastRun : undefined;
    if (!run) {
      lastPrefix = id.slice(0, cut + 1);
      run = lastRun = runs.get(lastPrefix);
    }
    if (!run) return -1;
    const n = lineNumber(id, cut + 1);
    return n >= run.first && run.start + (n - run.first) < lines.length ? run.start + (n - run.first) : -1;
  };
  // id → row (the last row of an id winning).
  let allLines: Map<string, number> | undefined;
  const rowByFullIndex = (id: string): number => {
    if (!allLines) {
      allLines = new Map();
      for (let row = 0; row < lines.length; row += 1) allLines.set(lines.statementLineId(row), row);
    }
    return allLines.get(id) ?? -1;
  };

  // Entries in strictly ascending id order: looked up by binary search (decided at the first lookup).
  let ascending: boolean | undefined;
  const isAscending = (): boolean => {
    let previous = entries.length > 0 ? entries.entryId(0) : '';
    for (let row = 1; row < entries.length; row += 1) {
      const entryId = entries.entryId(row);
      if (!(previous < entryId)) return false;
      previous = entryId;
    }
    return true;
  };
  const rowOf = (id: string): number => {
    let low = 0;
    let high = entries.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = entries.entryId(middle);
      if (at === id) return middle;
      if (at < id) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  };
  let expected: Map<string, LedgerEntry> | undefined;
  let allEntries: Map<string, number> | undefined;

  // The row of a line id: its place checked against the row's id, else the full index (the methods below are taken apart from the object: no `this`).
  const statementRow = (id: string): number => {
    const row = placed(id);
    return row >= 0 && lines.statementLineId(row) === id ? row : rowByFullIndex(id);
  };

  return {
    statementLine(id) {
      let row = placed(id);
      if (row >= 0) {
        // One read of the row: its line, checked against the id (a miss, rare, goes to the full index).
        const line = lines.line(row);
        if (line.statementLineId === id) return line;
      }
      row = rowByFullIndex(id);
      return row < 0 ? undefined : lines.line(row);
    },
    statementBankReference(id) {
      const row = statementRow(id);
      return row < 0 ? undefined : lines.bankReference(row);
    },
    statementAccountId(id) {
      const row = statementRow(id);
      return row < 0 ? undefined : lines.accountId(row);
    },
    statementRow,
    ledgerEntry(id) {
      ascending ??= isAscending();
      if (ascending) {
        const row = rowOf(id);
        return row < 0 ? undefined : entries.entry(row);
      }
      if (!expected) {
        expected = new Map();
        // The last entry of an id wins, as in a full index.
        // Only where the ids are out of order (the sorted case needs no index).
        const wanted = new Set(expectedEntryIds);
        if (wanted.size > 0)
          for (let row = 0; row < entries.length; row += 1) {
            const entryId = entries.entryId(row);
            if (wanted.has(entryId)) expected.set(entryId, entries.entry(row));
          }
      }
      const found = expected.get(id);
      if (found !== undefined) return found;
      if (!allEntries) {
        allEntries = new Map();
        for (let row = 0; row < entries.length; row += 1) allEntries.set(entries.entryId(row), row);
      }
      const row = allEntries.get(id);
      return row === undefined ? undefined : entries.entry(row);
    },
  };
}

/** The ids of a result's unmatched ledger items: the entries the sinks look up. */
export function unmatchedLedgerIds(result: Pick<MatchResult, 'unmatched'>): string[] {
  const ids: string[] = [];
  for (const item of result.unmatched) if (item.side === 'ledger') ids.push(item.id);
  return ids;
}
