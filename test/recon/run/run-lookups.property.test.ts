/**
 * REC-PERF-1: runLookups answers every id exactly as a full index (one Map per side, the last row
 * of an id winning) would, whatever the ids look like and however the lines are ordered: the
 * parsers' `<hash>:<statement>:<line>` ids in order, shuffled, with gaps, with a prefix split in
 * two runs, other id shapes, duplicates; and ledger entries asked for whether expected or not.
 * Entries in strictly ascending id order (found by binary search) answer as the same entries in
 * any other order do, held as objects or as a ledger file's columns from its helper thread.
 */
import fc from 'fast-check';
import { encodeLedgerFile } from '../../support/ledger-columns';
import { columnLedgerRows, ledgerRowsOf, type LedgerRows } from '../../../src/recon/ledger-rows';
import { concatStatementRows, StatementColumnsBuilder, statementRowsOf, type StatementRows } from '../../../src/recon/statement-rows';
import { runLookups, unmatchedLedgerIds } from '../../../src/recon/run/run-lookups';
import type { LedgerEntry, MatchResult, StatementLine } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

const line = (statementLineId: string, n: number): StatementLine =>
  ({
    statementLineId,
    format: 'mt940',
    statementId: 's',
    accountId: `A${n % 3}`,
    currency: 'EUR',
    amount: `${n}.00`,
    bookingDate: null,
    valueDate: null,
    ...(n % 3 === 0 ? {} : { bankReference: `B${n}` }),
    position: {},
  }) as StatementLine;
const entry = (entryId: string, n: number): LedgerEntry => ({ entryId, accountId: `A${n % 3}`, currency: 'EUR', amount: `${n}.00`, bookingDate: '2025-01-01' }) as LedgerEntry;

/** A parser-shaped statement: `<hash>:<statement>:<first + i>` for i < count. */
const statementIds = fc
  .record({ hash: fc.constantFrom('0a1b2c3d4e5f', 'ffffffffffff', 'abc'), statement: fc.nat(5), first: fc.nat(3), count: fc.nat(12) })
  .map(({ hash, statement, first, count }) => Array.from({ length: count }, (_, i) => `${hash}:${statement}:${first + i}`));
const oddId = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('x', ':', '::', 'a:', ':7', 'a:b:', 'a:b:c', 'a:1:01', 'a:1:1e3', 'a:1:99999999999999999', '0a1b2c3d4e5f:0:0'));

const lineIdLists = fc
  .tuple(fc.array(statementIds, { maxLength: 5 }), fc.array(oddId, { maxLength: 4 }), fc.boolean(), fc.boolean(), fc.boolean())
  .chain(([statements, odd, shuffle, dropSome, duplicate]) =>
    fc.tuple(fc.constant(statements.flat()), fc.constant(odd), fc.constant(shuffle), fc.constant(dropSome), fc.constant(duplicate), fc.array(fc.nat(), { minLength: 64, maxLength: 64 })),
  )
  .map(([ids, odd, shuffle, dropSome, duplicate, noise]) => {
    let all = [...ids];
    // Odd ids anywhere in the list.
    odd.forEach((id, i) => all.splice(noise[i]! % (all.length + 1), 0, id));
    if (dropSome) all = all.filter((_, i) => noise[(i + 7) % 64]! % 5 !== 0);
    // Line ids are unique in a run (the matcher refuses a duplicate); a duplicate here is only a copy
    // of the list with one id repeated, checked by the test below.
    if (duplicate && all.length > 0) all.push(all[noise[11]! % all.length]!);
    if (shuffle) for (let i = all.length - 1; i > 0; i -= 1) [all[i], all[noise[i % 64]! % (i + 1)]] = [all[noise[i % 64]! % (i + 1)]!, all[i]!];
    return all;
  });

describe('runLookups', () => {
  it('property: answers every line id (and ids it does not hold) as a full index would', () => {
    fc.assert(
      fc.property(lineIdLists, fc.array(oddId, { maxLength: 6 }), (listed, probes) => {
        const ids = [...new Set(listed)];
        const lines = ids.map(line);
        const full = new Map<string, StatementLine>();
        for (const l of lines) full.set(l.statementLineId, l);
        const lookups = runLookups(statementRowsOf(lines), ledgerRowsOf([]), []);
        for (const id of [...ids, ...probes, ...ids.map((id) => `${id}0`), ...ids.map((id) => id.replace(/\d+$/, (d) => String(Number(d) + 1)))]) {
          expect(lookups.statementLine(id)).toBe(full.get(id));
          expect(lookups.statementBankReference(id)).toBe(full.get(id)?.bankReference);
          expect(lookups.statementAccountId(id)).toBe(full.get(id)?.accountId);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: lines held as columns (one file or several, ids prefixed, some rows left out) answer every id as the same lines held as objects', () => {
    // Lines as the parsers give them (finishLine: every field present, a position of a file and a line).
    const parsed = (statementLineId: string, n: number): StatementLine => ({
      statementLineId,
      format: 'mt940',
      statementId: 's',
      accountId: `A${n % 3}`,
      currency: 'EUR',
      amount: `${n}.00`,
      bookingDate: n % 4 === 0 ? null : '2025-01-02',
      valueDate: null,
      endToEndId: undefined,
      bankReference: n % 2 === 0 ? `REF${n}` : undefined,
      customerReference: undefined,
      remittanceInformation: undefined,
      counterparty: undefined,
      typeCode: undefined,
      status: undefined,
      batchItemCount: undefined,
      batchReference: undefined,
      batchItem: undefined,
      batchFault: undefined,
      otherFields: undefined,
      position: { file: `f${n % 2}.sta`, line: n + 1 },
    });
    const columnsOf = (lines: readonly StatementLine[], prefix: string): StatementRows => {
      const builder = new StatementColumnsBuilder();
      for (const l of lines) builder.push(prefix === '' ? l : { ...l, statementLineId: l.statementLineId.slice(prefix.length) });
      if (prefix !== '') builder.prefixIds(prefix);
      return builder.finish();
    };
    fc.assert(
      fc.property(lineIdLists, fc.array(oddId, { maxLength: 6 }), fc.nat(), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (listed, probes, cut, drop) => {
        const ids = [...new Set(listed)];
        const lines = ids.map(parsed);
        const at = ids.length === 0 ? 0 : cut % (ids.length + 1);
        const keep = (rows: StatementRows, row: number): boolean => !drop[rows.statementLineId(row).length % 8];
        const kept = lines.filter((l) => !drop[l.statementLineId.length % 8]);
        // Two files: the second's ids held without their first character, which prefixIds gives back.
        const second = lines.slice(at);
        const prefix = second.length > 0 && second.every((l) => l.statementLineId.startsWith(second[0]!.statementLineId.charAt(0))) ? second[0]!.statementLineId.charAt(0) : '';
        const rows = concatStatementRows([columnsOf(lines.slice(0, at), ''), columnsOf(second, prefix)]).filter(keep);
        const objects = runLookups(statementRowsOf(kept), ledgerRowsOf([]), []);
        const columns = runLookups(rows, ledgerRowsOf([]), []);
        expect(rows.length).toBe(kept.length);
        for (const id of [...ids, ...probes, ...ids.map((id) => `${id}0`), ...ids.map((id) => id.replace(/\d+$/, (d) => String(Number(d) + 1)))]) {
          expect({ id, found: columns.statementLine(id) }).toStrictEqual({ id, found: objects.statementLine(id) });
          const bankReference = objects.statementLine(id)?.bankReference;
          expect({ id, bankReference: columns.statementBankReference(id) }).toEqual({ id, bankReference });
          expect({ id, bankReference: objects.statementBankReference(id) }).toEqual({ id, bankReference });
          expect({ id, accountId: columns.statementAccountId(id) }).toEqual({ id, accountId: objects.statementLine(id)?.accountId });
          expect({ id, accountId: objects.statementAccountId(id) }).toEqual({ id, accountId: objects.statementLine(id)?.accountId });
        }
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(20261208) },
    );
  });

  it('property: answers every entry id as a full index would, whether it was expected or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('e1', 'e2', 'e3', 'E-0001', '', 'x:1', 'e10'), { maxLength: 12 }),
        fc.subarray(['e1', 'e2', 'e10', 'nope', '']),
        fc.boolean(),
        (entryIds, expected, expectedFirst) => {
          const entries = entryIds.map(entry);
          const full = new Map<string, LedgerEntry>();
          for (const e of entries) full.set(e.entryId, e);
          const lookups = runLookups(statementRowsOf([]), ledgerRowsOf(entries), expected);
          const probes = ['e1', 'e2', 'e3', 'E-0001', '', 'x:1', 'e10', 'nope'];
          // Ask in either order: expected ids first, or an unexpected id first (which builds the full index).
          for (const id of expectedFirst ? probes : [...probes].reverse()) expect(lookups.ledgerEntry(id)).toBe(full.get(id));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('property: entries in strictly ascending id order and the same entries shuffled, as objects and as columns, answer every id alike', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'B', '0', '9', '-', ':', ' ', '\u0000', 'é', '€', '\ud835\udfd8', '\uffff'), maxLength: 6 });
    const full = (entryId: string, n: number): LedgerEntry => ({
      entryId,
      accountId: `A${n % 3}`,
      currency: n % 2 === 0 ? 'EUR' : 'GBP',
      amount: `${n}.00`,
      bookingDate: '2025-01-01',
      valueDate: `2025-01-${String(1 + (n % 28)).padStart(2, '0')}`,
      reference: `R${n}`,
      description: n % 4 === 0 ? '' : `entry ${n}`,
    });
    const columnsOf = (entries: LedgerEntry[], pieceChars: number | undefined): LedgerRows => {
      const { message } = encodeLedgerFile({ path: 'ledger.csv', format: 'csv', contentHash: 'h', entries }, { pieceChars });
      return columnLedgerRows(message.rows, message.columns);
    };
    const ascending = (entries: readonly LedgerEntry[]): boolean => entries.every((e, i) => i === 0 || entries[i - 1]!.entryId < e.entryId);
    fc.assert(
      fc.property(
        fc.uniqueArray(text, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
        fc.array(text, { maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        (ids, noise, absentProbes, expectedFlags, pieceChars) => {
          const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(full);
          expect(ascending(sorted)).toBe(true);
          const shuffled = [...sorted];
          for (let i = shuffled.length - 1; i > 0; i -= 1) {
            const j = noise[i]! % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          // Not ascending: a shuffle that left the order as it was is turned by one.
          if (shuffled.length > 1 && ascending(shuffled)) shuffled.push(shuffled.shift()!);
          if (shuffled.length > 1) expect(ascending(shuffled)).toBe(false);
          const byId = new Map(sorted.map((e) => [e.entryId, e]));
          const absent = [...absentProbes, '', '\u0000', '\uffff\uffff\uffff\uffff\uffff\uffff\uffff', ...ids.map((id) => `${id}\u0000`), ...ids.map((id) => id.slice(0, -1))].filter(
            (id) => !byId.has(id),
          );
          const expected = ids.filter((_, i) => expectedFlags[i]);
          for (const [name, rows] of [
            ['ascending objects', ledgerRowsOf(sorted)],
            ['shuffled objects', ledgerRowsOf(shuffled)],
            ['ascending columns', columnsOf(sorted, pieceChars)],
            ['shuffled columns', columnsOf(shuffled, pieceChars)],
          ] as const) {
            const lookups = runLookups(statementRowsOf([]), rows, expected);
            for (const id of [...ids].reverse()) expect({ name, id, found: lookups.ledgerEntry(id) }).toStrictEqual({ name, id, found: byId.get(id) });
            for (const id of absent) expect({ name, id, found: lookups.ledgerEntry(id) }).toStrictEqual({ name, id, found: undefined });
          }
        },
      ),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(20261207) },
    );
  });

  it('property: with an id given twice (which the matcher refuses), the answer is a line of that id', () => {
    fc.assert(
      fc.property(lineIdLists, (ids) => {
        const lines = ids.map(line);
        const lookups = runLookups(statementRowsOf(lines), ledgerRowsOf([]), []);
        for (const id of ids) {
          const found = lookups.statementLine(id);
          expect(found?.statementLineId).toBe(id);
          expect(lookups.statementBankReference(id)).toBe(found?.bankReference);
          expect(lookups.statementAccountId(id)).toBe(found?.accountId);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a run of parser-shaped lines in order never builds the full line index', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => line(`0a1b2c3d4e5f:${Math.floor(i / 100)}:${(i % 100) + 1}`, i));
    const seen: string[] = [];
    // A Proxy over the list records which indexes are read: a full index reads all 2000 lines again.
    const recorded = new Proxy(lines, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) seen.push(key);
        return Reflect.get(target, key, receiver);
      },
    });
    const lookups = runLookups(statementRowsOf(recorded), ledgerRowsOf([]), []);
    seen.length = 0;
    for (const l of lines.slice(0, 500)) expect(lookups.statementLine(l.statementLineId)).toBe(l);
    expect(seen.length).toBe(500);
    // A bank reference alone: the row's id and its reference (two reads), no line and no index either.
    for (const l of lines.slice(500, 1000)) expect(lookups.statementBankReference(l.statementLineId)).toBe(l.bankReference);
    expect(seen.length).toBe(1500);
    // An account alone: the same two reads a line.
    for (const l of lines.slice(1000, 1500)) expect(lookups.statementAccountId(l.statementLineId)).toBe(l.accountId);
    expect(seen.length).toBe(2500);
  });

  it('unmatchedLedgerIds lists the unmatched ledger items only, in order', () => {
    const result = {
      matches: [],
      unmatched: [
        { side: 'statement', id: 's1' },
        { side: 'ledger', id: 'e2' },
        { side: 'ledger', id: 'e1' },
      ],
    } as unknown as MatchResult;
    expect(unmatchedLedgerIds(result)).toEqual(['e2', 'e1']);
  });
});
