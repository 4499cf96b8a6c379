/**
 * The partition contract shared by the embedded path and the scale path.
 *
 *   partitionKey(row)                 "<accountId>|<currency>" (the currency is the 3 letters after the LAST "|")
 *   partitionInputs(lines, entries)   Map<key, PartitionInput>, keys in ascending code-unit order
 *   matchPartition(input, rules, asOf)   one partition (engine.ts); what a Lambda per partition runs
 *   mergeResults(results)             order-independent merge: matches by first statementLineId,
 *                                     unmatched statement side first, each by id
 *   matchAll(lines, entries, rules, asOf) = mergeResults(partitions.map(matchPartition))
 *
 * Partitions and results are plain JSON: serialisePartition / deserialisePartition carry a
 * partition to and from a Distributed Map item (or an S3 object); a MatchResult is JSON as is.
 */
import type { LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../types';
import { asOfDayNumber, isCompiled, matchPartition, matchSides, type PartitionInput } from './engine';
import { compileRuleSet, type CompiledRuleSet, type RuleSet } from './rules';
import { ledgerRowsOf, type LedgerRows } from '../ledger-rows';
import { statementRowsOf, type StatementRows } from '../statement-rows';
import { ledgerSide, ledgerSidesInOrder, MatchInputError, statementSideOfRows } from './rows';

export function partitionKey(row: { accountId: string; currency: string }): string {
  return `${row.accountId}|${row.currency}`;
}

/** Splits a partition key back into account and currency. */
export function parsePartitionKey(key: string): { accountId: string; currency: string } {
  const cut = key.lastIndexOf('|');
  if (cut < 0) throw new MatchInputError(`partition key "${key}" has no "|"`);
  return { accountId: key.slice(0, cut), currency: key.slice(cut + 1) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Groups rows by (accountId, currency). The map's iteration order is the keys' ascending
 * code-unit order, whatever the input order. Rows keep their input order inside a partition
 * (the matcher sorts them canonically itself).
 */
export function partitionInputs(statementLines: readonly StatementLine[], ledgerEntries: readonly LedgerEntry[]): Map<string, PartitionInput> {
  const rows = ledgerRowsOf(ledgerEntries);
  const grouped = groupRows(statementRowsOf(statementLines), rows, null);
  if (grouped === null) return partitionInputsByKey(statementLines, ledgerEntries);
  const sorted = new Map<string, PartitionInput>();
  for (const group of grouped) sorted.set(group.key, { statementLines: group.linePlaces.map((place) => statementLines[place]!), ledgerEntries: groupEntries(rows, group) });
  return sorted;
}

/** partitionInputs by the key text of every row: the definition groupRows agrees with. */
function partitionInputsByKey(statementLines: readonly StatementLine[], ledgerEntries: readonly LedgerEntry[]): Map<string, PartitionInput> {
  const groups = new Map<string, PartitionInput>();
  const get = (key: string): PartitionInput => {
    let group = groups.get(key);
    if (group === undefined) {
      group = { statementLines: [], ledgerEntries: [] };
      groups.set(key, group);
    }
    return group;
  };
  for (const line of statementLines) get(partitionKey(line)).statementLines.push(line);
  for (const entry of ledgerEntries) get(partitionKey(entry)).ledgerEntries.push(entry);
  const sorted = new Map<string, PartitionInput>();
  for (const key of [...groups.keys()].sort(compare)) sorted.set(key, groups.get(key)!);
  return sorted;
}

interface RowGroup {
  key: string;
  accountId: string;
  currency: string;
  /** Where each of the group's statement lines is in the run's lines, in the lines' order. */
  linePlaces: number[];
  /** Where each of the group's ledger entries is in the run's entries. */
  entryRows: number[];
}

/**
 * The partitions of partitionInputs, in key order, found without building a key text per row
 * (REC-PERF-1): rows are grouped by their account, then currency (texts a run shares, their hashes
 * kept), and a row with the same account and currency as the row before needs no lookup at all.
 * With `entryPartition`, entryPartition[i] gets the place (in key order) of ledgerEntries[i]'s
 * partition. Null when that grouping could differ from partitionInputsByKey's: an account or
 * currency that is not a string, or two (account, currency) pairs giving the same key text.
 */
function groupRows(statementLines: StatementRows, ledgerEntries: LedgerRows, entryPartition: Int32Array | null): RowGroup[] | null {
  const groups: RowGroup[] = [];
  const byAccount = new Map<string, Map<string, number>>();
  let lastAccount: string | undefined;
  let lastCurrency: string | undefined;
  let last = -1;
  const groupOf = (accountId: string, currency: string): number => {
    if (accountId === lastAccount && currency === lastCurrency) return last;
    if (typeof accountId !== 'string' || typeof currency !== 'string') return -1;
    let byCurrency = byAccount.get(accountId);
    if (byCurrency === undefined) byAccount.set(accountId, (byCurrency = new Map()));
    let group = byCurrency.get(currency);
    if (group === undefined) {
      group = groups.length;
      byCurrency.set(currency, group);
      groups.push({ key: `${accountId}|${currency}`, accountId, currency, linePlaces: [], entryRows: [] });
    }
    lastAccount = accountId;
    lastCurrency = currency;
    return (last = group);
  };
  for (let i = 0; i < statementLines.length; i += 1) {
    // Read as partitionKey reads them (a line that is not an object fails the same way).
    const group = groupOf(statementLines.accountId(i), statementLines.currency(i));
    if (group < 0) return null;
    groups[group]!.linePlaces.push(i);
  }
  for (let i = 0; i < ledgerEntries.length; i += 1) {
    const group = groupOf(ledgerEntries.accountId(i), ledgerEntries.currency(i));
    if (group < 0) return null;
    groups[group]!.entryRows.push(i);
    if (entryPartition !== null) entryPartition[i] = group;
  }
  const order = groups.map((_, g) => g).sort((a, b) => compare(groups[a]!.key, groups[b]!.key));
  for (let k = 1; k < order.length; k += 1) if (groups[order[k - 1]!]!.key === groups[order[k]!]!.key) return null;
  if (entryPartition !== null) {
    const place = new Int32Array(groups.length);
    for (let k = 0; k < order.length; k += 1) place[order[k]!] = k;
    for (let i = 0; i < entryPartition.length; i += 1) entryPartition[i] = place[entryPartition[i]!]!;
  }
  return order.map((g) => groups[g]!);
}

/** A group's ledger entries as objects (the rows' own objects, for entries held as objects). */
function groupEntries(ledgerEntries: LedgerRows, group: RowGroup): LedgerEntry[] {
  return group.entryRows.map((row) => ledgerEntries.entry(row));
}

function matchOrder(a: Match, b: Match): number {
  return compare(a.statementLineIds[0]!, b.statementLineIds[0]!);
}

function unmatchedOrder(a: UnmatchedItem, b: UnmatchedItem): number {
  if (a.side !== b.side) return a.side === 'statement' ? -1 : 1;
  return compare(a.id, b.id);
}

/**
 * Merges partition results into one canonical result, whatever order they arrive in (the
 * Distributed Map returns them in any order). Statement line ids are unique across partitions,
 * so the order is total.
 */
export function mergeResults(results: Iterable<MatchResult>): MatchResult {
  const matches: Match[] = [];
  const statementSide: UnmatchedItem[] = [];
  const ledgerSide: UnmatchedItem[] = [];
  for (const result of results) {
    for (const match of result.matches) matches.push(match);
    for (const item of result.unmatched) (item.side === 'statement' ? statementSide : ledgerSide).push(item);
  }
  // Partition results are each already sorted: TimSort merges the runs cheaply.
  matches.sort(matchOrder);
  statementSide.sort(unmatchedOrder);
  ledgerSide.sort(unmatchedOrder);
  for (const item of ledgerSide) statementSide.push(item);
  return { matches, unmatched: statementSide };
}

/**
 * Reconciles everything: every partition through the matcher, merged deterministically. The
 * result is mergeResults(partitions.map(matchPartition)); the ledger sides of all partitions are
 * read in one pass over the entries (ledgerSidesInOrder), a partition that pass cannot read by
 * ledgerSide as matchPartition reads it.
 */
export function matchAll(statementLines: readonly StatementLine[], ledgerEntries: readonly LedgerEntry[], rules: RuleSet | CompiledRuleSet, asOf: string): MatchResult {
  return matchRun(statementRowsOf(statementLines), ledgerRowsOf(ledgerEntries), rules, asOf, false);
}

/**
 * matchAll's matches and unmatched items, the matches in the order of their first statement line
 * in `statementLines` rather than by id (by id where partitionInputs cannot group rows by their
 * account and currency texts): for a caller that puts them in its own order anyway
 * (a run's canonicalResult, whose order does not depend on the order it is given), where the
 * lines' own order is usually that order already (REC-PERF-1). The lines are read as rows, field
 * by field, as the entries are.
 */
export function matchAllInLineOrder(statementLines: StatementRows, ledgerEntries: LedgerRows, rules: RuleSet | CompiledRuleSet, asOf: string): MatchResult {
  return matchRun(statementLines, ledgerEntries, rules, asOf, true);
}

function matchRun(statementLines: StatementRows, ledgerEntries: LedgerRows, rules: RuleSet | CompiledRuleSet, asOf: string, inLineOrder: boolean): MatchResult {
  const compiled = isCompiled(rules) ? rules : compileRuleSet(rules);
  const asOfDay = asOfDayNumber(asOf);
  const entryPartition = new Int32Array(ledgerEntries.length);
  const groups = groupRows(statementLines, ledgerEntries, entryPartition);
  const results: MatchResult[] = [];
  if (groups === null) {
    // Odd keys only (an account or currency that is not a string, key texts that collide): read as objects.
    for (const input of partitionInputsByKey(statementLines.toArray(), ledgerEntries.toArray()).values()) results.push(matchPartition(input, compiled, asOf));
    return mergeResults(results);
  }
  const ignored = compiled.ignoreReferences;
  const counts = new Int32Array(groups.length);
  for (let p = 0; p < groups.length; p += 1) counts[p] = groups[p]!.entryRows.length;
  const sides = ledgerSidesInOrder(ledgerEntries, entryPartition, counts, groups, ignored);
  // inLineOrder: each match at the place of its first statement line in the run's lines.
  const byLine: Array<Match | undefined> | null = inLineOrder ? new Array<Match | undefined>(statementLines.length) : null;
  const firstRows: number[] = [];
  for (let p = 0; p < groups.length; p += 1) {
    const group = groups[p]!;
    // The partition's account and currency are its first row's (a line's, else an entry's: the
    // group was made for it), as matchPartition takes them; every row of the group has them.
    const { accountId, currency } = group;
    const order = byLine ? new Int32Array(group.linePlaces.length) : undefined;
    const S = statementSideOfRows(statementLines, group.linePlaces, accountId, currency, ignored, false, order);
    const L = sides[p] ?? ledgerSide(groupEntries(ledgerEntries, group), accountId, currency, ignored);
    sides[p] = undefined;
    firstRows.length = 0;
    const result = matchSides(S, L, compiled, currency, asOfDay, byLine ? firstRows : undefined);
    if (byLine) {
      for (let j = 0; j < result.matches.length; j += 1) byLine[order![firstRows[j]!]!] = result.matches[j]!;
      result.matches = [];
    }
    results.push(result);
  }
  const merged = mergeResults(results);
  if (byLine) for (const match of byLine) if (match !== undefined) merged.matches.push(match);
  return merged;
}

/** JSON for one partition (a Distributed Map item or an S3 object); the key travels with it. */
export function serialisePartition(input: PartitionInput): string {
  const first = input.statementLines[0] ?? input.ledgerEntries[0];
  return JSON.stringify({
    partitionKey: first ? partitionKey(first) : '',
    statementLines: input.statementLines,
    ledgerEntries: input.ledgerEntries,
  });
}

const STATEMENT_REQUIRED: ReadonlyArray<keyof StatementLine> = ['statementLineId', 'accountId', 'currency', 'amount'];
const LEDGER_REQUIRED: ReadonlyArray<keyof LedgerEntry> = ['entryId', 'accountId', 'currency', 'amount', 'bookingDate'];

/** Parses serialisePartition's JSON (or an equivalent object), checking its shape and key. */
export function deserialisePartition(json: string | unknown): PartitionInput & { partitionKey: string } {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new MatchInputError(`partition: not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const object = value as { partitionKey?: unknown; statementLines?: unknown; ledgerEntries?: unknown } | null;
  if (!object || typeof object !== 'object' || !Array.isArray(object.statementLines) || !Array.isArray(object.ledgerEntries)) {
    throw new MatchInputError('partition: expected { partitionKey, statementLines: [], ledgerEntries: [] }');
  }
  const key = typeof object.partitionKey === 'string' ? object.partitionKey : '';
  const check = (rows: unknown[], required: ReadonlyArray<string>, what: string): void => {
    rows.forEach((row, index) => {
      if (!row || typeof row !== 'object') throw new MatchInputError(`partition "${key}": ${what}[${index}] is not an object`);
      for (const field of required) {
        if (typeof (row as Record<string, unknown>)[field] !== 'string') {
          throw new MatchInputError(`partition "${key}": ${what}[${index}].${field} must be a string`);
        }
      }
      if (key && partitionKey(row as StatementLine) !== key) {
        throw new MatchInputError(`partition "${key}": ${what}[${index}] belongs to partition "${partitionKey(row as StatementLine)}"`);
      }
    });
  };
  check(object.statementLines, STATEMENT_REQUIRED, 'statementLines');
  check(object.ledgerEntries, LEDGER_REQUIRED, 'ledgerEntries');
  return { partitionKey: key, statementLines: object.statementLines as StatementLine[], ledgerEntries: object.ledgerEntries as LedgerEntry[] };
}
