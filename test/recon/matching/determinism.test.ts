import fc from 'fast-check';
import type { LedgerEntry, MatchResult, StatementLine } from '../../../src/recon/types';
import {
  caseGroupKey,
  defaultRuleSet,
  deserialisePartition,
  generateLabelledSet,
  matchAll,
  matchPartition,
  mergeResults,
  parsePartitionKey,
  partitionInputs,
  partitionKey,
  prng,
  serialisePartition,
} from '../../../src/recon/matching';
import { expectEachRowOnce } from './helpers';

const rules = defaultRuleSet();

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

// Small pools so that collisions, ties, twins, batches and splits are frequent.
const ACCOUNTS = ['GB11LEDG000001', 'GB22LEDG000002'];
const CURRENCIES = ['EUR', 'USD'];
const AMOUNTS = ['10.00', '20.00', '30.00', '-10.00', '10.40', '60.00', '100.00', '99.60', '0.00'];
const DATES = ['2025-06-01', '2025-06-02', '2025-06-04', '2025-06-20', null];
const REFS = [undefined, 'A', 'a ', 'B-1', 'B', 'B-2', 'NOTPROVIDED', 'INV-9', 'INV-9/1'];

const statementArb = fc.record({
  account: fc.constantFrom(...ACCOUNTS),
  currency: fc.constantFrom(...CURRENCIES),
  amount: fc.constantFrom(...AMOUNTS),
  booking: fc.constantFrom(...DATES),
  value: fc.constantFrom(...DATES),
  e2e: fc.constantFrom(...REFS),
  bank: fc.constantFrom(...REFS),
  customer: fc.constantFrom(...REFS),
  batch: fc.constantFrom(undefined, 2, 3),
  // REC-IN-6: the item lines of a split batch carry the batch's reference and their place in it.
  batchRef: fc.constantFrom(undefined, 'A', 'B', 'INV-9'),
  batchItem: fc.constantFrom(undefined, 1, 2),
});
const ledgerArb = fc.record({
  account: fc.constantFrom(...ACCOUNTS),
  currency: fc.constantFrom(...CURRENCIES),
  amount: fc.constantFrom(...AMOUNTS),
  booking: fc.constantFrom(...DATES.filter((d): d is string => d !== null)),
  ref: fc.constantFrom('', 'A', 'B-1', 'B-2', 'B', 'INV-9', 'inv-9/1', 'X'),
});

type StatementSpec = typeof statementArb extends fc.Arbitrary<infer T> ? T : never;
type LedgerSpec = typeof ledgerArb extends fc.Arbitrary<infer T> ? T : never;

function build(statements: StatementSpec[], ledgers: LedgerSpec[]): { lines: StatementLine[]; entries: LedgerEntry[] } {
  const lines = statements.map((s, i): StatementLine => {
    const line: StatementLine = {
      statementLineId: `f00d:0:${i}`,
      format: 'camt.053',
      statementId: 'S',
      accountId: s.account,
      currency: s.currency,
      amount: s.amount,
      bookingDate: s.booking,
      valueDate: s.value,
      position: { file: 'prop.xml', line: i + 1 },
    };
    if (s.e2e !== undefined) line.endToEndId = s.e2e;
    if (s.bank !== undefined) line.bankReference = s.bank;
    if (s.customer !== undefined) line.customerReference = s.customer;
    if (s.batch !== undefined) line.batchItemCount = s.batch;
    if (s.batchRef !== undefined) line.batchReference = s.batchRef;
    if (s.batchItem !== undefined) line.batchItem = { index: s.batchItem, of: 2 };
    return line;
  });
  const entries = ledgers.map((l, i): LedgerEntry => ({
    entryId: `LE${i}`,
    accountId: l.account,
    currency: l.currency,
    amount: l.amount,
    bookingDate: l.booking,
    valueDate: l.booking,
    reference: l.ref,
    description: '',
  }));
  return { lines, entries };
}

describe('determinism', () => {
  it('property: shuffled inputs give byte-identical JSON, and every row is used exactly once', () => {
    fc.assert(
      fc.property(fc.array(statementArb, { maxLength: 30 }), fc.array(ledgerArb, { maxLength: 30 }), fc.integer(), (statements, ledgers, seed) => {
        const { lines, entries } = build(statements, ledgers);
        const reference = JSON.stringify(matchAll(lines, entries, rules, '2025-06-30'));
        const again = JSON.stringify(matchAll(shuffled(lines, seed), shuffled(entries, seed ^ 0x5bd1e995), rules, '2025-06-30'));
        expect(again).toBe(reference);
        expectEachRowOnce(JSON.parse(reference), lines, entries);
        // REC-CASE-1: a group holds at least two rows, and its key is derived from exactly those rows.
        const members = new Map<string, { s: string[]; l: string[] }>();
        for (const item of (JSON.parse(reference) as MatchResult).unmatched) {
          if (item.group === undefined) continue;
          const entry = members.get(item.group) ?? { s: [], l: [] };
          (item.side === 'statement' ? entry.s : entry.l).push(item.id);
          members.set(item.group, entry);
        }
        for (const [key, { s, l }] of members) {
          expect(s.length + l.length).toBeGreaterThan(1);
          expect(caseGroupKey(s, l)).toBe(key);
        }
      }),
      { numRuns: 150, seed: 20250630 },
    );
  });

  it('a labelled set of 10k + 10k, shuffled, gives byte-identical output', () => {
    const set = generateLabelledSet({ seed: 99, statementLines: 10_000, accounts: 5 });
    const first = JSON.stringify(matchAll(set.statementLines, set.ledgerEntries, rules, set.asOf));
    const second = JSON.stringify(matchAll(shuffled(set.statementLines, 1), shuffled(set.ledgerEntries, 2), rules, set.asOf));
    expect(second).toBe(first);
    expect(first.length).toBeGreaterThan(1_000_000);
  });

  it('the generator is deterministic in its seed', () => {
    const a = generateLabelledSet({ seed: 5, statementLines: 2000 });
    const b = generateLabelledSet({ seed: 5, statementLines: 2000 });
    const c = generateLabelledSet({ seed: 6, statementLines: 2000 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    expect(a.statementLines).toHaveLength(2000);
    expect(a.ledgerEntries).toHaveLength(2000);
  });
});

describe('partition contract (the scale path)', () => {
  const set = generateLabelledSet({ seed: 1, statementLines: 12_000, accounts: 20 });

  it('partitions by (accountId, currency) with keys in ascending order whatever the input order', () => {
    const partitions = partitionInputs(shuffled(set.statementLines, 3), shuffled(set.ledgerEntries, 4));
    const keys = [...partitions.keys()];
    expect(keys).toEqual([...keys].sort());
    expect(keys.length).toBeGreaterThan(20); // some accounts hold two currencies
    expect([...partitionInputs(set.statementLines, set.ledgerEntries).keys()]).toEqual(keys);
    for (const [key, input] of partitions) {
      for (const row of [...input.statementLines, ...input.ledgerEntries]) expect(partitionKey(row)).toBe(key);
    }
    expect(parsePartitionKey('GB|weird|account|EUR')).toEqual({ accountId: 'GB|weird|account', currency: 'EUR' });
  });

  it('matchAll equals the merge of matchPartition over serialised, deserialised partitions, in any order', () => {
    const embedded = JSON.stringify(matchAll(set.statementLines, set.ledgerEntries, rules, set.asOf));
    // What a Distributed Map does: each partition as a JSON item, a Lambda per item, results as JSON, any completion order.
    const items = [...partitionInputs(set.statementLines, set.ledgerEntries).values()].map((input) => serialisePartition(input));
    const results = shuffled(items, 7).map((item) => {
      const partition = deserialisePartition(item);
      const ruleSet = JSON.parse(JSON.stringify(rules)); // the rule set travels as JSON too
      return JSON.parse(JSON.stringify(matchPartition(partition, ruleSet, set.asOf)));
    });
    expect(JSON.stringify(mergeResults(results))).toBe(embedded);
  });

  it('a partition serialises to plain JSON carrying its key, and bad partition JSON is refused clearly', () => {
    const [key, input] = [...partitionInputs(set.statementLines, set.ledgerEntries)][0]!;
    const text = serialisePartition(input);
    const back = deserialisePartition(text);
    expect(back.partitionKey).toBe(key);
    expect(back.statementLines).toEqual(input.statementLines);
    expect(() => deserialisePartition('{')).toThrow(/^partition: not valid JSON/);
    expect(() => deserialisePartition({ statementLines: [] })).toThrow('partition: expected { partitionKey, statementLines: [], ledgerEntries: [] }');
    const foreign = { ...input.ledgerEntries[0]!, currency: 'CHF' };
    expect(() => deserialisePartition({ partitionKey: key, statementLines: [], ledgerEntries: [foreign] })).toThrow(
      `partition "${key}": ledgerEntries[0] belongs to partition "${foreign.accountId}|CHF"`,
    );
  });
});
