/**
 * The results files' fast paths are the same text as the one CSV writer's (REC-OUT-1, REC-PERF-1):
 * matchesCsvBytes / exceptionsCsvBytes (cell by cell into bytes) against MATCHES_CSV /
 * EXCEPTIONS_CSV over matchRows / exceptionRows, on generated results with hostile text
 * (formula starts, quotes, commas, line breaks, card-like references, other scripts' digits); and
 * the PAN guard's pre-check (mayHoldPan) never skips a text the guard would change (REC-PAN-1).
 */
import { numberCell, textCell } from '../../../src/recon/run/csv-writer';
import { runLookups } from '../../../src/recon/run/run-lookups';
import { statementRowsOf } from '../../../src/recon/statement-rows';
import { ledgerRowsOf } from '../../../src/recon/ledger-rows';
import fc from 'fast-check';
import { redactPans } from '../../../src/domain/pan';
import { EXCEPTIONS_CSV, exceptionRows, exceptionsCsvBytes, MATCHES_CSV, matchesCsvBytes, matchRows, mayHoldPan } from '../../../src/recon/run/results';
import type { LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

const hostile = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '=1+1',
    '+SUM(A1)',
    '-2',
    '@x',
    "'quoted",
    'a,b',
    'say "hi"',
    'two\nlines',
    ' padded ',
    '\uFF1D1',
    '4111111111111111',
    '4111 1111 1111 1111',
    'card 5500-0000-0000-0004',
    '\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661',
    '\\u0034111111111111111',
  ),
  fc.stringMatching(/^[0-9 -]{10,24}$/),
);

const run = fc
  .record({
    lines: fc.array(fc.record({ ref: fc.option(hostile, { nil: undefined }), amount: fc.constantFrom('1.00', '-12.50', '0') }), { minLength: 1, maxLength: 12 }),
    entries: fc.array(fc.record({ id: hostile, amount: fc.constantFrom('1.00', '-2.5') }), { minLength: 1, maxLength: 12 }),
    shapes: fc.array(
      fc.record({
        matchId: hostile,
        ruleId: hostile,
        confidence: fc.double({ min: 0, max: 1, noNaN: true }),
        lines: fc.nat(),
        entries: fc.nat(),
        n: fc.integer({ min: 1, max: 3 }),
        m: fc.integer({ min: 1, max: 3 }),
      }),
      {
        maxLength: 10,
      },
    ),
    groups: fc.array(fc.option(fc.constantFrom('grp-0123456789abcdef', 'grp-fedcba9876543210'), { nil: undefined }), { maxLength: 12 }),
  })
  .map(({ lines: lineSpecs, entries: entrySpecs, shapes, groups }) => {
    const lines: StatementLine[] = lineSpecs.map((spec, i) => ({
      statementLineId: `abc:0:${i}`,
      format: 'mt940',
      statementId: 'S',
      accountId: 'A',
      currency: 'EUR',
      amount: spec.amount,
      bookingDate: '2026-01-01',
      valueDate: '2026-01-01',
      ...(spec.ref !== undefined ? { bankReference: spec.ref } : {}),
      position: { file: 'f' },
    }));
    const entries: LedgerEntry[] = entrySpecs.map((spec, i) => ({
      entryId: `${spec.id}#${i}`,
      accountId: 'A',
      currency: 'EUR',
      amount: spec.amount,
      bookingDate: '2026-01-01',
      valueDate: '2026-01-01',
      reference: '',
      description: '',
    }));
    const matches: Match[] = shapes.map((shape) => ({
      matchId: shape.matchId,
      ruleId: shape.ruleId,
      confidence: shape.confidence,
      status: 'confirmed',
      statementLineIds: Array.from({ length: shape.n }, (_, k) => lines[(shape.lines + k) % lines.length]!.statementLineId),
      ledgerEntryIds: Array.from({ length: shape.m }, (_, k) => entries[(shape.entries + k) % entries.length]!.entryId),
    }));
    const unmatched: UnmatchedItem[] = [
      ...lines.map((line, i): UnmatchedItem => ({ side: 'statement', id: line.statementLineId, reason: 'UNMATCHED', ageDays: i - 3, ...(groups[i] ? { group: groups[i] } : {}) })),
      ...entries.map((entry, i): UnmatchedItem => ({ side: 'ledger', id: entry.entryId, reason: 'UNMATCHED', ageDays: i, detail: entry.entryId, candidateId: lines[0]!.statementLineId })),
    ];
    return { lines, entries, result: { matches, unmatched } as MatchResult };
  });

describe('results files rendered fast, the same text', () => {
  it('matchesCsvBytes and exceptionsCsvBytes are the UTF-8 of the one writer’s rendering of matchRows / exceptionRows (generated hostile runs)', () => {
    fc.assert(
      fc.property(run, ({ lines, entries, result }) => {
        const lookups = runLookups(statementRowsOf(lines), ledgerRowsOf(entries), []);
        const matchesDecoded: boolean[] = [];
        const exceptionsDecoded: boolean[] = [];
        expect(Buffer.concat([...matchesCsvBytes(result, lookups, matchesDecoded)]).toString('utf8')).toBe(MATCHES_CSV.render(matchRows(result, lookups)));
        expect(Buffer.concat([...exceptionsCsvBytes(result, lookups, exceptionsDecoded)]).toString('utf8')).toBe(EXCEPTIONS_CSV.render(exceptionRows(result, lookups)));
        // A column is flagged exactly when one of its cells, as the writer writes it, starts with an apostrophe (bare or inside quotes).
        const flags = (table: typeof MATCHES_CSV | typeof EXCEPTIONS_CSV, rows: string[][], numeric: readonly number[]): boolean[] =>
          table.columns.map((_, k) => rows.some((row) => /^"?'/.test(numeric.includes(k) ? numberCell(row[k]) : textCell(row[k]))));
        expect(MATCHES_CSV.columns.map((_, k) => matchesDecoded[k] === true)).toEqual(flags(MATCHES_CSV, [...matchRows(result, lookups)], [5]));
        expect(EXCEPTIONS_CSV.columns.map((_, k) => exceptionsDecoded[k] === true)).toEqual(flags(EXCEPTIONS_CSV, [...exceptionRows(result, lookups)], [3, 9]));
        // The case group is the last cell of every exception row (REC-CASE-1), '' when it stands alone.
        const groups = [...exceptionRows(result, lookups)].map((row) => row[row.length - 1]);
        expect(groups).toEqual(result.unmatched.map((item) => item.group ?? ''));
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(2026) },
    );
  });

  it('matchesCsvBytes cuts a large file into ~1 MB pieces, every piece whole rows', () => {
    const lines: StatementLine[] = Array.from({ length: 30_000 }, (_, i) => ({
      statementLineId: `abc:0:${i}`,
      format: 'mt940',
      statementId: 'S',
      accountId: 'A',
      currency: 'EUR',
      amount: '1.00',
      bookingDate: '2026-01-01',
      valueDate: '2026-01-01',
      bankReference: `REF-${i}`,
      position: { file: 'f' },
    }));
    const result: MatchResult = {
      matches: lines.map((line, i) => ({ matchId: `m-${i}`, ruleId: 'exact', confidence: 1, status: 'confirmed', statementLineIds: [line.statementLineId], ledgerEntryIds: [`L-${i}`] })),
      unmatched: [],
    };
    const pieces = [...matchesCsvBytes(result, runLookups(statementRowsOf(lines), ledgerRowsOf([]), []))];
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece[piece.length - 1]).toBe(0x0a);
    for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeGreaterThanOrEqual(1 << 20);
    expect(Buffer.concat(pieces).toString('utf8')).toBe(MATCHES_CSV.render(matchRows(result, runLookups(statementRowsOf(lines), ledgerRowsOf([]), []))));
  });
});

describe('mayHoldPan (REC-PAN-1)', () => {
  it('a text it clears is one the PAN guard leaves unchanged, under every evidence (generated text)', () => {
    const text = fc.oneof(hostile, fc.stringMatching(/^[A-Za-z0-9 \-./:]{0,40}$/), fc.string({ unit: 'binary', maxLength: 30 }));
    fc.assert(
      fc.property(text, (value) => {
        if (mayHoldPan(value)) return;
        expect(redactPans(value)).toBe(value);
        expect(redactPans(value, 'identifier')).toBe(value);
        expect(redactPans(value, 'narrative')).toBe(value);
      }),
      { numRuns: fuzzRuns(2000), seed: fuzzSeed(2026) },
    );
  });

  it('holds for every text with 13 or more ASCII digits, any non-ASCII character or a backslash', () => {
    for (const value of ['4111111111111111', '4111 1111 1111 1111', 'ref 1234567890123', '\u0664', 'caf\u00e9', '\\u0034', 'x\\y']) expect(mayHoldPan(value)).toBe(true);
    for (const value of ['', 'REF-123456789012', 'abc', '2026-01-01 12:00']) expect(mayHoldPan(value)).toBe(false);
  });
});
