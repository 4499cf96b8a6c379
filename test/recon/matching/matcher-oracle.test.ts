/**
 * REC-PERF-1: the matcher was restructured for speed (the ledger sides of all partitions read in
 * one pass over the entries, partitions grouped without a key text per row, match ids from one
 * joined seed). Its output must not move by a byte: these tests hold matchAll, matchPartition,
 * partitionInputs and matchIdFor to the matcher as it was (./oracle, kept unchanged), on generated
 * runs and on generated faulty input, where the same error must come out.
 */
import fc from 'fast-check';
import { deterministicId, deterministicIdOfSeed } from '../../../src/domain/events';
import { defaultRuleSet, generateLabelledSet } from '../../../src/recon/matching';
import { matchIdFor, matchPartition } from '../../../src/recon/matching/engine';
import { matchAll, matchAllInLineOrder, partitionInputs } from '../../../src/recon/matching/partition';
import { encodeLedgerFile } from '../../support/ledger-columns';
import { columnLedgerRows, ledgerRowsOf } from '../../../src/recon/ledger-rows';
import { concatStatementRows, StatementColumnsBuilder, statementRowsOf, type StatementRows } from '../../../src/recon/statement-rows';
import { canonicalResult } from '../../../src/recon/run/results';
import { match } from '../../../src/use-cases/reconcile-run/reconcile-run';
import type { LedgerEntry, MatchResult, StatementLine } from '../../../src/recon/types';
import { matchIdFor as oracleMatchIdFor, matchPartition as oracleMatchPartition } from './oracle/engine';
import { matchAll as oracleMatchAll, partitionInputs as oraclePartitionInputs } from './oracle/partition';
import { AS_OF, entry, line } from './helpers';

const RULES = defaultRuleSet();

/** A result, or the error thrown (its class and message): both must agree. */
function outcome<T>(run: () => T): T | { error: string } {
  try {
    return run();
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

const byEntryId = (a: LedgerEntry, b: LedgerEntry): number => (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0);

/**
 * Lines as a file's columns (StatementColumnsBuilder, each line pushed as a reader pushes it),
 * `parts` files one after another; with `prefix`, each id's first `prefix.length` characters come
 * from the builder's prefixIds, as a file's content hash does.
 */
function statementColumns(lines: readonly StatementLine[], parts = 1, prefix = ''): StatementRows {
  const files: StatementRows[] = [];
  const size = Math.max(1, Math.ceil(lines.length / parts));
  for (let start = 0; start === 0 || start < lines.length; start += size) {
    const builder = new StatementColumnsBuilder();
    for (const one of lines.slice(start, start + size)) {
      expect(one.statementLineId.startsWith(prefix)).toBe(true);
      builder.push({ ...one, statementLineId: one.statementLineId.slice(prefix.length) });
    }
    builder.prefixIds(prefix);
    files.push(builder.finish());
  }
  return concatStatementRows(files);
}

/** A deterministic shuffle (the input order must not matter, and the entries' order picks the reading path). */
function shuffled<T>(rows: readonly T[], seed: number): T[] {
  const copy = [...rows];
  let state = seed >>> 0 || 1;
  for (let i = copy.length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('the matcher against its oracle (REC-PERF-1)', () => {
  it.each([1, 2, 3, 4, 5, 6])('matchAll gives the oracle result on generated run %i, ledger in id order, as generated and shuffled', (seed) => {
    const set = generateLabelledSet({ seed, statementLines: 1500, ledgerEntries: 1500, accounts: 4 });
    const expected = oracleMatchAll(set.statementLines, set.ledgerEntries, RULES, set.asOf);
    expect(expected.matches.length).toBeGreaterThan(500);
    const sorted = [...set.ledgerEntries].sort(byEntryId);
    expect(matchAll(set.statementLines, sorted, RULES, set.asOf)).toEqual(expected);
    expect(matchAll(set.statementLines, set.ledgerEntries, RULES, set.asOf)).toEqual(expected);
    expect(matchAll(shuffled(set.statementLines, seed), shuffled(set.ledgerEntries, seed + 1), RULES, set.asOf)).toEqual(expected);
  });

  it.each([7, 8, 9])('a run matches as the oracle matchAll in canonical order (match, matchAllInLineOrder), run %i, lines as generated, shuffled and in canonical order', (seed) => {
    const set = generateLabelledSet({ seed, statementLines: 1200, accounts: 3 });
    const oracle = oracleMatchAll(set.statementLines, set.ledgerEntries, RULES, set.asOf);
    const expected = canonicalResult(oracle);
    const canonicalLines = [...set.statementLines].sort((a, b) => (a.statementLineId < b.statementLineId ? -1 : 1));
    // The entries as a ledger file's columns from its helper thread (REC-PERF-1) are matched as the objects are.
    const { message } = encodeLedgerFile({ path: 'ledger.csv', format: 'csv', contentHash: 'h', entries: set.ledgerEntries });
    const columns = columnLedgerRows(message.rows, message.columns);
    for (const lines of [set.statementLines, shuffled(set.statementLines, seed), canonicalLines]) {
      const inLineOrder = matchAllInLineOrder(statementRowsOf(lines), ledgerRowsOf(set.ledgerEntries), RULES, set.asOf);
      expect(matchAllInLineOrder(statementRowsOf(lines), columns, RULES, set.asOf)).toEqual(inLineOrder);
      expect(matchAllInLineOrder(statementColumns(lines), columns, RULES, set.asOf)).toEqual(inLineOrder);
      // The same matches (in the lines' order) and the same unmatched items in the same order.
      expect(inLineOrder.unmatched).toEqual(oracle.unmatched);
      expect([...inLineOrder.matches].sort((a, b) => (a.statementLineIds[0]! < b.statementLineIds[0]! ? -1 : 1))).toEqual(oracle.matches);
      const place = new Map(lines.map((line, index) => [line.statementLineId, index]));
      const places = inLineOrder.matches.map((m) => place.get(m.statementLineIds[0]!)!);
      expect(places).toEqual([...places].sort((a, b) => a - b));
      expect(canonicalResult(inLineOrder)).toEqual(expected);
      expect(match({ bookable: statementRowsOf(lines), ledgerEntries: ledgerRowsOf(set.ledgerEntries), asOf: set.asOf }, RULES)).toEqual(expected);
      expect(match({ bookable: statementColumns(lines), ledgerEntries: columns, asOf: set.asOf }, RULES)).toEqual(expected);
    }
  });

  it('matchPartition and partitionInputs give the oracle answers partition by partition', () => {
    const set = generateLabelledSet({ seed: 11, statementLines: 2000, accounts: 5 });
    const partitions = partitionInputs(set.statementLines, set.ledgerEntries);
    const expected = oraclePartitionInputs(set.statementLines, set.ledgerEntries);
    expect([...partitions.keys()]).toEqual([...expected.keys()]);
    expect([...partitions.entries()]).toEqual([...expected.entries()]);
    for (const input of partitions.values()) expect(matchPartition(input, RULES, set.asOf)).toEqual(oracleMatchPartition(input, RULES, set.asOf));
  });

  // Rows over a few partitions, some of them faulty or oddly keyed: a bad amount or date, a missing
  // or repeated id, an account or currency that is not a string, and two (account, currency) pairs
  // whose key texts collide ("A|EUR" + "USD" and "A" + "EUR|USD").
  const ACCOUNTS = ['GB33LEDG000001', 'GB33LEDG000002', 'A|EUR', 'A'];
  const aRow = fc.record({
    account: fc.constantFrom(0, 0, 0, 1, 1, 2, 3),
    currency: fc.constantFrom('EUR', 'EUR', 'EUR', 'USD', 'JPY', 'EUR|USD'),
    id: fc.integer({ min: 1, max: 60 }),
    minor: fc.integer({ min: -50_000, max: 50_000 }),
    day: fc.integer({ min: 1, max: 28 }),
    reference: fc.constantFrom('', 'NONREF', 'INV-1', 'INV-1/2', 'PAYRUN7', ' e2e 9 '),
    fault: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'amount', 'date', 'id', 'account'),
  });
  // Few amounts, days and references in one partition: equally ranked pairs, ties and twins.
  const aLookalike = fc.record({
    account: fc.constant(0),
    currency: fc.constant('EUR'),
    id: fc.integer({ min: 1, max: 400 }),
    minor: fc.constantFrom(1000, 1000, 1004, 2000, 3000, -1000, 500, 250),
    day: fc.integer({ min: 1, max: 3 }),
    reference: fc.constantFrom('', '', 'INV-1', 'INV-1/1', 'INV-1/2', 'PAYRUN7', 'E2E9'),
    fault: fc.constant('none'),
  });
  const amountText = (minor: number, currency: string): string => {
    const digits = currency === 'JPY' ? 0 : 2;
    const whole = Math.floor(Math.abs(minor) / 10 ** digits);
    const fraction = digits ? `.${String(Math.abs(minor) % 100).padStart(2, '0')}` : '';
    return `${minor < 0 ? '-' : ''}${whole}${fraction}`;
  };
  type Row = { account: number; currency: string; id: number; minor: number; day: number; reference: string; fault: string };
  const toEntry = (row: Row): LedgerEntry =>
    entry({
      id: row.fault === 'id' ? '' : `LE${String(row.id).padStart(4, '0')}`,
      accountId: (row.fault === 'account' ? 7 : ACCOUNTS[row.account]!) as string,
      currency: row.currency,
      amount: row.fault === 'amount' ? '1.234' : amountText(row.minor, row.currency),
      bookingDate: row.fault === 'date' ? '2025-02-30' : `2025-06-${String(row.day).padStart(2, '0')}`,
      valueDate: `2025-06-${String(row.day).padStart(2, '0')}`,
      reference: row.reference,
    });
  const toLine = (row: Row, index: number): StatementLine =>
    line({
      id: `f00d:1:${index + 1}`,
      accountId: ACCOUNTS[row.account]!,
      currency: row.currency,
      amount: amountText(row.minor, row.currency),
      bookingDate: `2025-06-${String(row.day).padStart(2, '0')}`,
      valueDate: `2025-06-${String(row.day).padStart(2, '0')}`,
      endToEndId: row.reference,
    });

  it('matchAll answers as the oracle on generated rows, faulty or not, in id order or not (the same result or the same error)', () => {
    fc.assert(
      fc.property(fc.array(aRow, { maxLength: 40 }), fc.array(aRow, { maxLength: 40 }), fc.boolean(), fc.boolean(), (lineRows, entryRows, sortEntries, faultless) => {
        const clean = (row: Row): Row => (faultless ? { ...row, fault: 'none', currency: row.currency === 'EUR|USD' ? 'EUR' : row.currency } : row);
        const lines = lineRows.map((row, index) => toLine(clean(row), index));
        let entries = entryRows.map((row) => toEntry(clean(row)));
        if (sortEntries) entries = entries.sort(byEntryId);
        const expected = outcome(() => oracleMatchAll(lines, entries, RULES, AS_OF));
        expect(outcome(() => matchAll(lines, entries, RULES, AS_OF))).toEqual(expected);
        expect(outcome(() => canonicalResult(matchAllInLineOrder(statementRowsOf(lines), ledgerRowsOf(entries), RULES, AS_OF)))).toEqual(
          outcome(() => canonicalResult(oracleMatchAll(lines, entries, RULES, AS_OF))),
        );
        expect(outcome(() => [...partitionInputs(lines, entries)])).toEqual(outcome(() => [...oraclePartitionInputs(lines, entries)]));
      }),
      { numRuns: 400 },
    );
  });

  it('matchAll answers as the oracle on look-alike rows (ties, twins, batches and splits)', () => {
    fc.assert(
      fc.property(fc.array(aLookalike, { maxLength: 60 }), fc.array(aLookalike, { maxLength: 60 }), (lineRows, entryRows) => {
        const lines = lineRows.map((row, index) => toLine(row, index));
        const seen = new Set<number>();
        const entries = entryRows.filter((row) => !seen.has(row.id) && seen.add(row.id)).map((row) => toEntry(row));
        const expected = oracleMatchAll(lines, entries, RULES, AS_OF);
        expect(matchAll(lines, entries, RULES, AS_OF)).toEqual(expected);
        expect(canonicalResult(matchAllInLineOrder(statementRowsOf(shuffled(lines, lines.length)), ledgerRowsOf(entries), RULES, AS_OF))).toEqual(canonicalResult(expected));
      }),
      { numRuns: 500 },
    );
  });

  it("matchAllInLineOrder over lines as columns gives its result over the lines as objects, and matchAll's result (the same result or the same error)", () => {
    const byFirstLineId = (result: MatchResult | { error: string }): MatchResult | { error: string } =>
      'error' in result ? result : { matches: [...result.matches].sort((a, b) => (a.statementLineIds[0]! < b.statementLineIds[0]! ? -1 : 1)), unmatched: result.unmatched };
    const faulty = fc.record({ lineRows: fc.array(aRow, { maxLength: 40 }), entryRows: fc.array(aRow, { maxLength: 40 }), unique: fc.constant(false) });
    const lookalike = fc.record({ lineRows: fc.array(aLookalike, { maxLength: 60 }), entryRows: fc.array(aLookalike, { maxLength: 60 }), unique: fc.constant(true) });
    fc.assert(
      fc.property(fc.oneof(faulty, lookalike), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.nat(), ({ lineRows, entryRows, unique }, files, prefixed, seed) => {
        const lines = shuffled(
          lineRows.map((row, index) => toLine(row, index)),
          seed,
        );
        const seen = new Set<number>();
        const entries = entryRows.filter((row) => !unique || (!seen.has(row.id) && seen.add(row.id))).map((row) => toEntry(row));
        const expected = outcome(() => matchAllInLineOrder(statementRowsOf(lines), ledgerRowsOf(entries), RULES, AS_OF));
        const columns = statementColumns(lines, files, prefixed ? 'f00d:' : '');
        expect(columns.length).toBe(lines.length);
        expect(outcome(() => matchAllInLineOrder(columns, ledgerRowsOf(entries), RULES, AS_OF))).toEqual(expected);
        expect(byFirstLineId(expected)).toEqual(outcome(() => matchAll(lines, entries, RULES, AS_OF)));
      }),
      { numRuns: 400 },
    );
  });

  it('matchAll fails as the oracle does on a row that is not an object', () => {
    const lines = [line({ id: 'f00d:1:1', amount: '1.00' })];
    const entries = [entry({ id: 'LE1', amount: '1.00' }), null as unknown as LedgerEntry];
    expect(outcome(() => matchAll(lines, entries, RULES, AS_OF))).toEqual(outcome(() => oracleMatchAll(lines, entries, RULES, AS_OF)));
  });
});

describe('match ids (REC-PERF-1)', () => {
  const id = fc.stringMatching(/^[0-9a-f]{12}:[0-9]{1,3}:[0-9]{1,7}$|^LE[0-9]{9}$|^[A-Za-z0-9\u00e9\u4e2d:_-]{0,20}$/);
  it('matchIdFor gives the oracle id, from deterministicId, for any rule and ids', () => {
    fc.assert(
      fc.property(fc.constantFrom('e2e-exact', 'bankref-exact', 'batch-by-reference', ''), fc.array(id, { minLength: 1, maxLength: 4 }), fc.array(id, { minLength: 1, maxLength: 4 }), (rule, s, l) => {
        const expected = oracleMatchIdFor(rule, s, l);
        expect(matchIdFor(rule, s, l)).toBe(expected);
        expect(expected).toBe(deterministicId('ledgerline.recon.match', rule, s.join('\u001e'), l.join('\u001e')));
      }),
      { numRuns: 2000 },
    );
  });

  it('deterministicIdOfSeed(parts joined) is deterministicId(...parts)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }), (parts) => {
        expect(deterministicIdOfSeed(parts.join('\u001f'))).toBe(deterministicId(...parts));
      }),
      { numRuns: 5000 },
    );
  });
});
