/**
 * REC-PERF-1: the partition loop shared by two threads (partition.ts matchAllShared: the lower
 * range of partitions here, the upper range encoded and matched elsewhere by matchEncoded) must
 * answer exactly as the one-thread path (matchAllInLineOrder, matchAll): the same matches, ids,
 * exceptions, their order and their objects' field order, or the same first fault (class and
 * message), whichever range holds it. "Elsewhere" here is this thread, through a structured clone
 * with the buffers transferred (what postMessage does) and a fault carried as the helper thread
 * carries it; test/adapters/embedded/recon-match-thread.test.ts runs the real thread.
 */
import fc from 'fast-check';
import { defaultRuleSet, generateLabelledSet, MatchInputError } from '../../../src/recon/matching';
import { compileRuleSet } from '../../../src/recon/matching/rules';
import { matchAll, matchAllInLineOrder, matchAllShared, matchEncoded, piecesOf, splitPlan, type MatchElsewhere } from '../../../src/recon/matching/partition';
import {
  decodeResults,
  encodePartitions,
  PartitionReader,
  ResultsWriter,
  resultsTransferOf,
  transferOf,
  type EncodedPartitions,
  type PartitionRows,
} from '../../../src/recon/matching/partition-codec';

/** Every partition's rows, in order. */
function decodePartitions(encoded: EncodedPartitions): PartitionRows[] {
  const reader = new PartitionReader(encoded);
  return Array.from({ length: reader.count }, () => reader.next());
}
import { faultAnswer, faultOf } from '../../../src/adapters/embedded/recon-match';
import type { LedgerEntry, MatchResult, StatementLine } from '../../../src/recon/types';

let calls = 0;

/** Matches elsewhere as the helper thread does: the partitions cloned over, the results (or the fault) cloned back. */
const elsewhere: MatchElsewhere = async (partitions, transfer) => {
  calls += 1;
  const received = structuredClone(partitions, { transfer });
  let answer;
  try {
    const results = matchEncoded(received, compileRuleSet(JSON.parse(received.ruleSet)));
    answer = structuredClone({ type: 'match-results' as const, results }, { transfer: resultsTransferOf(results) });
  } catch (error) {
    answer = structuredClone(faultAnswer(error));
  }
  await Promise.resolve();
  if (answer.type === 'match-fault') throw faultOf(answer);
  return answer.results;
};

type Outcome = { result: string } | { error: string; name: string; matchInput: boolean };

/** The result as JSON (field order included), or the fault. */
function outcomeOf(run: () => MatchResult): Outcome {
  try {
    return { result: JSON.stringify(run()) };
  } catch (error) {
    return { error: (error as Error).message, name: (error as Error).name, matchInput: error instanceof MatchInputError };
  }
}

async function sharedOutcome(run: () => Promise<MatchResult>): Promise<Outcome> {
  try {
    return { result: JSON.stringify(await run()) };
  } catch (error) {
    return { error: (error as Error).message, name: (error as Error).name, matchInput: error instanceof MatchInputError };
  }
}

const FAULTS = ['amount', 'date', 'duplicate', 'emptyId', 'entryDate', 'entryAmount', 'entryDuplicate', 'currencyPrecision'] as const;
type Fault = (typeof FAULTS)[number];

/** A generated run (many partitions, twins, batches, groups, ties) with rows out of id order and faults where asked (a place in 0..1 of the rows). */
function generatedRun(seed: number, lines: number, accounts: number, shuffle: number, faults: Array<{ kind: Fault; at: number }>): { lines: StatementLine[]; entries: LedgerEntry[]; asOf: string } {
  const set = generateLabelledSet({ seed, statementLines: lines, accounts });
  const statementLines = set.statementLines.map((line) => ({ ...line }));
  const ledgerEntries = set.ledgerEntries.map((entry) => ({ ...entry }));
  // Some rows swapped with a neighbour or a far row: out of id order.
  let state = seed >>> 0;
  const next = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return n > 0 ? state % n : 0;
  };
  for (let i = 0; i < shuffle; i += 1) {
    const rows: unknown[] = next(2) === 0 ? statementLines : ledgerEntries;
    if (rows.length === 0) continue;
    const a = next(rows.length);
    const b = next(3) === 0 ? next(rows.length) : Math.min(rows.length - 1, a + 1);
    [rows[a], rows[b]] = [rows[b], rows[a]];
  }
  for (const { kind, at } of faults) {
    const l = statementLines[Math.min(statementLines.length - 1, Math.floor(at * statementLines.length))];
    const e = ledgerEntries[Math.min(ledgerEntries.length - 1, Math.floor(at * ledgerEntries.length))];
    if (!l || !e) continue;
    switch (kind) {
      case 'amount':
        l.amount = '12,50';
        break;
      case 'date':
        l.valueDate = '2025-02-30';
        break;
      case 'duplicate': {
        const twin = statementLines.find((other) => other !== l && other.accountId === l.accountId && other.currency === l.currency);
        if (twin) l.statementLineId = twin.statementLineId;
        break;
      }
      case 'emptyId':
        l.statementLineId = '';
        break;
      case 'entryDate':
        e.bookingDate = '';
        break;
      case 'entryAmount':
        e.amount = '-';
        break;
      case 'entryDuplicate': {
        const twin = ledgerEntries.find((other) => other !== e && other.accountId === e.accountId && other.currency === e.currency);
        if (twin) e.entryId = twin.entryId;
        break;
      }
      case 'currencyPrecision':
        e.amount = `${e.amount}1`;
        break;
    }
  }
  return { lines: statementLines, entries: ledgerEntries, asOf: set.asOf };
}

const aRun = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  lines: fc.integer({ min: 0, max: 500 }),
  accounts: fc.integer({ min: 1, max: 40 }),
  shuffle: fc.integer({ min: 0, max: 30 }),
  faults: fc.array(fc.record({ kind: fc.constantFrom(...FAULTS), at: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 2 }),
  share: fc.constantFrom(0.05, 0.3, 0.5, 0.7, 0.95, 1),
  pieces: fc.integer({ min: 1, max: 5 }),
  inLineOrder: fc.boolean(),
});

describe('the partition loop on two threads (REC-PERF-1)', () => {
  it('answers as the one-thread path does: the same result, order and field order, or the same first fault', async () => {
    const rules = defaultRuleSet();
    calls = 0;
    let faulted = 0;
    let results = 0;
    await fc.assert(
      fc.asyncProperty(aRun, async ({ seed, lines, accounts, shuffle, faults, share, pieces, inLineOrder }) => {
        const run = generatedRun(seed, lines, accounts, shuffle, faults);
        const one = outcomeOf(() => (inLineOrder ? matchAllInLineOrder : matchAll)(run.lines, run.entries, rules, run.asOf));
        const two = await sharedOutcome(() => matchAllShared(run.lines, run.entries, rules, run.asOf, { elsewhere, minRows: 0, share, pieces }, inLineOrder));
        expect(two).toEqual(one);
        if ('error' in one) faulted += 1;
        else results += 1;
      }),
      { numRuns: 150 },
    );
    // Both outcomes were exercised, and the upper range went elsewhere.
    expect(faulted).toBeGreaterThan(10);
    expect(results).toBeGreaterThan(10);
    expect(calls).toBeGreaterThan(50);
  });

  it("a fault in the lower range is the one reported, even with one in the upper range too; else the upper range's first", async () => {
    const rules = defaultRuleSet();
    const base = generatedRun(7, 600, 20, 0, []);
    const keys = [...new Set(base.lines.map((l) => `${l.accountId}|${l.currency}`))].sort();
    const firstOf = (key: string): StatementLine => base.lines.find((l) => `${l.accountId}|${l.currency}` === key)!;
    const lower = firstOf(keys[0]!);
    const upper = firstOf(keys[keys.length - 1]!);
    const upperToo = firstOf(keys[keys.length - 2]!);
    upper.amount = 'x1';
    upperToo.bookingDate = '2025-13-01';
    const sharing = { elsewhere, minRows: 0, share: 0.5 };
    // Upper range only: the lowest faulty partition there (upperToo's) is the one-thread path's first.
    const one = outcomeOf(() => matchAllInLineOrder(base.lines, base.entries, rules, base.asOf));
    expect(one).toMatchObject({ matchInput: true, error: expect.stringContaining(upperToo.statementLineId) });
    expect(await sharedOutcome(() => matchAllShared(base.lines, base.entries, rules, base.asOf, sharing))).toEqual(one);
    lower.valueDate = 'soon';
    const oneLower = outcomeOf(() => matchAllInLineOrder(base.lines, base.entries, rules, base.asOf));
    expect(oneLower).toMatchObject({ matchInput: true, error: expect.stringContaining(lower.statementLineId) });
    expect(await sharedOutcome(() => matchAllShared(base.lines, base.entries, rules, base.asOf, sharing))).toEqual(oneLower);
  });

  it('stays on this thread below minRows; rows the codec cannot carry are matched here, in key order', async () => {
    const rules = defaultRuleSet();
    const run = generatedRun(3, 200, 10, 5, []);
    const expected = outcomeOf(() => matchAllInLineOrder(run.lines, run.entries, rules, run.asOf));
    calls = 0;
    expect(await sharedOutcome(() => matchAllShared(run.lines, run.entries, rules, run.asOf, { elsewhere, minRows: run.lines.length + run.entries.length + 1 }))).toEqual(expected);
    expect(calls).toBe(0);
    // An amount that is a number: not encoded, but matched here (where it fails as it always has),
    // after the pieces sent before it; faults before it and after it in key order as on one thread.
    const odd = run.lines.map((l) => ({ ...l }));
    const last = odd.reduce((a, b) => (`${b.accountId}|${b.currency}` > `${a.accountId}|${a.currency}` ? b : a));
    (last as unknown as { amount: number }).amount = 12.5;
    expect(encodePartitions([{ accountId: last.accountId, currency: last.currency, statementLines: [last], ledgerEntries: [] }], '{}', run.asOf)).toBeNull();
    for (const pieces of [1, 3]) {
      calls = 0;
      const oddOne = outcomeOf(() => matchAllInLineOrder(odd, run.entries, rules, run.asOf));
      expect(oddOne).toMatchObject({ matchInput: true, error: expect.stringContaining(last.statementLineId) });
      expect(await sharedOutcome(() => matchAllShared(odd, run.entries, rules, run.asOf, { elsewhere, minRows: 0, pieces }))).toEqual(oddOne);
      expect(calls).toBe(pieces - 1);
      // A fault in an earlier piece comes first.
      const earlier = odd.map((l) => ({ ...l }));
      const target = earlier.find((l) => l.accountId !== last.accountId && `${l.accountId}|${l.currency}` > `${odd[0]!.accountId}`)!;
      target.bookingDate = '2025-00-01';
      expect(await sharedOutcome(() => matchAllShared(earlier, run.entries, rules, run.asOf, { elsewhere, minRows: 0, pieces }))).toEqual(
        outcomeOf(() => matchAllInLineOrder(earlier, run.entries, rules, run.asOf)),
      );
    }
  });

  it('splitPlan cuts the partitions in key order where the lower range reaches its share of the rows', () => {
    const rows = (n: number): { statementLines: unknown[]; ledgerEntries: unknown[] } => ({ statementLines: new Array(n).fill(0), ledgerEntries: new Array(n).fill(0) });
    expect(splitPlan([rows(10), rows(10), rows(10), rows(10)], 0.5)).toBe(2);
    expect(splitPlan([rows(30), rows(1), rows(1), rows(1)], 0.5)).toBe(1);
    expect(splitPlan([rows(1), rows(1), rows(1), rows(30)], 0.5)).toBe(3);
    expect(splitPlan([rows(10), rows(10)], 0)).toBe(2);
    expect(splitPlan([rows(10), rows(10)], 1)).toBe(0);
    expect(splitPlan([rows(10), rows(10), rows(10)], 0.5)).toBe(1);
    expect(splitPlan([], 0.5)).toBe(0);
  });

  it('piecesOf cuts the upper range into contiguous pieces of about equal rows, in key order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }), fc.nat(40), fc.integer({ min: 1, max: 9 }), (sizes, at, pieces) => {
        const rows = sizes.map((n) => ({ statementLines: new Array(n).fill(0), ledgerEntries: [] }));
        const cut = Math.min(at, rows.length);
        const ranges = piecesOf(rows, cut, pieces);
        // Contiguous, covering [cut, rows.length), no more than asked.
        expect(ranges.flatMap(([from, to]) => [from, to]).filter((_, i, all) => i === 0 || i === all.length - 1)).toEqual(cut < rows.length ? [cut, rows.length] : []);
        ranges.forEach(([from, to], i) => {
          expect(to).toBeGreaterThan(from);
          if (i > 0) expect(from).toBe(ranges[i - 1]![1]);
        });
        expect(ranges.length).toBeLessThanOrEqual(Math.max(pieces, 0));
      }),
    );
    const rows = Array.from({ length: 8 }, () => ({ statementLines: new Array(10).fill(0), ledgerEntries: new Array(10).fill(0) }));
    expect(piecesOf(rows, 0, 4)).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
    ]);
    expect(piecesOf(rows, 6, 4)).toEqual([
      [6, 7],
      [7, 8],
    ]);
  });
});

describe('partition codec', () => {
  it('carries rows so the matcher reads them alike, and results back to equal objects (field order too)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 300 }), (seed, lines) => {
        const run = generatedRun(seed, lines, 8, 10, []);
        const byKey = new Map<string, { accountId: string; currency: string; statementLines: StatementLine[]; ledgerEntries: LedgerEntry[] }>();
        const get = (row: { accountId: string; currency: string }) => {
          const key = `${row.accountId}|${row.currency}`;
          if (!byKey.has(key)) byKey.set(key, { accountId: row.accountId, currency: row.currency, statementLines: [], ledgerEntries: [] });
          return byKey.get(key)!;
        };
        for (const l of run.lines) get(l).statementLines.push(l);
        for (const e of run.entries) get(e).ledgerEntries.push(e);
        const partitions = [...byKey.values()];
        const encoded = encodePartitions(partitions, JSON.stringify(defaultRuleSet()), run.asOf)!;
        const decoded = decodePartitions(structuredClone(encoded, { transfer: transferOf(encoded) }));
        expect(decoded.map((p) => [p.accountId, p.currency, p.statementLines.length, p.ledgerEntries.length])).toEqual(
          partitions.map((p) => [p.accountId, p.currency, p.statementLines.length, p.ledgerEntries.length]),
        );
        decoded.forEach((p, i) => {
          p.statementLines.forEach((l, j) => {
            const original = partitions[i]!.statementLines[j]!;
            for (const field of ['statementLineId', 'accountId', 'currency', 'amount', 'endToEndId', 'bankReference', 'customerReference', 'batchReference'] as const)
              expect(l[field]).toBe(original[field]);
            expect(l.bookingDate ?? null).toBe(original.bookingDate ?? null);
            expect(l.valueDate ?? null).toBe(original.valueDate ?? null);
            expect(l.batchItemCount ?? 0).toBe(original.batchItemCount ?? 0);
            expect(l.batchItem?.index ?? 0).toBe(original.batchItem?.index ?? 0);
          });
          p.ledgerEntries.forEach((e, j) => {
            const original = partitions[i]!.ledgerEntries[j]!;
            for (const field of ['entryId', 'accountId', 'currency', 'amount', 'bookingDate', 'valueDate', 'reference'] as const) expect(e[field]).toBe(original[field]);
          });
        });
        const results = partitions.map((p) => matchAll(p.statementLines, p.ledgerEntries, defaultRuleSet(), run.asOf));
        const writer = new ResultsWriter();
        results.forEach((result, p) => writer.add(partitions[p]!, result));
        const encodedResults = writer.done();
        const back = decodeResults(structuredClone(encodedResults, { transfer: resultsTransferOf(encodedResults) }), partitions);
        expect(JSON.stringify(back.results)).toBe(JSON.stringify(results));
        expect([...back.firstLinePlaces]).toEqual(results.flatMap((r, p) => r.matches.map((m) => partitions[p]!.statementLines.findIndex((l) => l.statementLineId === m.statementLineIds[0]))));
      }),
      { numRuns: 60 },
    );
  });

  it('carries any text exactly, absent values as absent', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ unit: 'binary' }), { nil: undefined }), { maxLength: 30 }), (references) => {
        const entries = references.map(
          (reference, i) => ({ entryId: `E${i}`, accountId: 'A|B', currency: 'EUR', amount: '1.00', bookingDate: '2025-01-01', valueDate: '', reference }) as unknown as LedgerEntry,
        );
        const encoded = encodePartitions([{ accountId: 'A|B', currency: 'EUR', statementLines: [], ledgerEntries: entries }], 'x', '2025-01-01')!;
        const [partition] = decodePartitions(encoded);
        expect(partition!.ledgerEntries.map((e) => e.reference)).toEqual(references);
        expect(partition!.ledgerEntries.map((e) => e.valueDate)).toEqual(entries.map(() => ''));
      }),
    );
  });
});
