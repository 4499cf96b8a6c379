// Test oracle: src/recon/matching/partition.ts as of 0fe7d9a, kept unchanged (imports aside) so the differential tests hold the faster matcher to the same output (REC-PERF-1).
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
import type { LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../../../../src/recon/types';
import { asOfDayNumber, isCompiled, matchPartition, type PartitionInput } from './engine';
import { compileRuleSet, type CompiledRuleSet, type RuleSet } from '../../../../src/recon/matching/rules';
import { MatchInputError } from './rows';

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

/** Reconciles everything: every partition through matchPartition, merged deterministically. */
export function matchAll(statementLines: readonly StatementLine[], ledgerEntries: readonly LedgerEntry[], rules: RuleSet | CompiledRuleSet, asOf: string): MatchResult {
  const compiled = isCompiled(rules) ? rules : compileRuleSet(rules);
  asOfDayNumber(asOf);
  const results: MatchResult[] = [];
  for (const input of partitionInputs(statementLines, ledgerEntries).values()) results.push(matchPartition(input, compiled, asOf));
  return mergeResults(results);
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
