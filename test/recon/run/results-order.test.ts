/**
 * The canonical order of a run's results (matches.csv, exceptions.csv byte-identical for the same
 * inputs): the in-place comparators and the keyed sort decide exactly as the rules written with
 * regular expressions and chunk arrays (the reference below), on generated ids, and the order
 * does not depend on the order the matcher returned.
 */
import fc from 'fast-check';
import { canonicalResult, idCompare, naturalCompare } from '../../../src/recon/run/results';
import type { Match, MatchResult, UnmatchedItem } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

const CHUNKS = /(\d+)|(\D+)/g;
function referenceNatural(a: string, b: string): number {
  if (a === b) return 0;
  const left = a.match(CHUNKS) ?? [];
  const right = b.match(CHUNKS) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const xn = x.replace(/^0+/, '') || '0';
      const yn = y.replace(/^0+/, '') || '0';
      if (xn.length !== yn.length) return xn.length - yn.length;
      if (xn !== yn) return xn < yn ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (left.length !== right.length) return left.length - right.length;
  return a < b ? -1 : 1;
}
const LINE_ID = /^([0-9a-f]+):(\d+):(\d+)$/;
function referenceId(a: string, b: string): number {
  const x = LINE_ID.exec(a);
  const y = LINE_ID.exec(b);
  if (x && y) {
    if (x[1] !== y[1]) return x[1]! < y[1]! ? -1 : 1;
    return Number(x[2]) - Number(y[2]) || Number(x[3]) - Number(y[3]);
  }
  return referenceNatural(a, b);
}

const sign = (n: number): number => Math.sign(n);
/** Ids close to each other: shared prefixes, leading zeros, hex and non-hex, colons, non-ASCII. */
const piece = fc.constantFrom('0', '00', '1', '01', '9', '10', '007', 'a', 'ab', 'f', 'g', 'Z', ':', '-', 'é', '𝄞', ' ', 'LE', '123456789012345678');
const anyId = fc.oneof(
  fc.array(piece, { maxLength: 6 }).map((parts) => parts.join('')),
  fc
    .tuple(fc.constantFrom('0a1b', 'ffff', '0a1c', '0A1B', ''), fc.constantFrom('0', '1', '01', '10', '2', ''), fc.constantFrom('0', '9', '10', '010', '99999999999999999', 'x'))
    .map(([h, s, l]) => `${h}:${s}:${l}`),
  fc.string({ maxLength: 8 }),
);

describe('the canonical order of results', () => {
  it('naturalCompare and idCompare order every pair as the reference rules (generated ids)', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        expect(sign(naturalCompare(a, b))).toBe(sign(referenceNatural(a, b)));
        expect(sign(idCompare(a, b))).toBe(sign(referenceId(a, b)));
        expect(sign(naturalCompare(a, a))).toBe(0);
      }),
      { numRuns: fuzzRuns(20_000), seed: fuzzSeed(4410) },
    );
  });

  const result = fc
    .record({
      matches: fc.array(fc.record({ matchId: anyId, lines: fc.array(anyId, { minLength: 1, maxLength: 3 }), entries: fc.array(anyId, { minLength: 1, maxLength: 3 }) }), { maxLength: 40 }),
      unmatched: fc.array(fc.record({ side: fc.constantFrom<'statement' | 'ledger'>('statement', 'ledger'), id: anyId }), { maxLength: 20 }),
    })
    .map(({ matches, unmatched }): MatchResult => ({
      // Match ids are unique in a run (the suffix): the order is then total.
      matches: matches.map((m, i): Match => ({ matchId: `${m.matchId}#${i}`, ruleId: 'r', confidence: 1, status: 'confirmed', statementLineIds: m.lines, ledgerEntryIds: m.entries })),
      unmatched: unmatched.map((u): UnmatchedItem => ({ side: u.side, id: u.id, reason: 'UNMATCHED', ageDays: 0 })),
    }));

  it('canonicalResult orders as the reference sort, whatever order the matches came in (generated results, shuffled)', () => {
    const byReference = (list: readonly string[]): string[] => [...list].sort(referenceId);
    fc.assert(
      fc.property(result, fc.integer(), (input, seed) => {
        const expectedMatches = input.matches
          .map((m) => ({ ...m, statementLineIds: byReference(m.statementLineIds), ledgerEntryIds: byReference(m.ledgerEntryIds) }))
          .sort((a, b) => referenceId(a.statementLineIds[0]!, b.statementLineIds[0]!) || referenceId(a.ledgerEntryIds[0]!, b.ledgerEntryIds[0]!) || referenceNatural(a.matchId, b.matchId));
        const key = (m: Match): string => JSON.stringify([m.matchId, m.statementLineIds, m.ledgerEntryIds]);
        const canonical = canonicalResult(input);
        expect(canonical.matches.map(key)).toEqual(expectedMatches.map(key));
        let state = seed;
        const shuffled = [...input.matches].sort(() => ((state = (state * 1103515245 + 12345) | 0) & 1 ? 1 : -1));
        expect(canonicalResult({ ...input, matches: shuffled }).matches.map(key)).toEqual(canonical.matches.map(key));
        // Given in canonical order (the run's usual case: no sort), and then with one neighbouring pair out of it.
        expect(canonicalResult(canonical).matches.map(key)).toEqual(canonical.matches.map(key));
        if (canonical.matches.length > 1) {
          const at = Math.abs(seed) % (canonical.matches.length - 1);
          const swapped = [...canonical.matches];
          [swapped[at], swapped[at + 1]] = [swapped[at + 1]!, swapped[at]!];
          expect(canonicalResult({ ...canonical, matches: swapped }).matches.map(key)).toEqual(canonical.matches.map(key));
        }
        expect(canonical.unmatched.map((u) => [u.side, u.id])).toEqual(
          [...input.unmatched].sort((a, b) => (a.side === b.side ? referenceId(a.id, b.id) : a.side === 'statement' ? -1 : 1)).map((u) => [u.side, u.id]),
        );
      }),
      { numRuns: fuzzRuns(500), seed: fuzzSeed(4411) },
    );
  });
});
