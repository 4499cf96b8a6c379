/**
 * The verifier, pure (AUDIT-2): on rows as a store would hold them, every kind of tampering is
 * named at its seq, and an intact chain gives no fault whatever it holds.
 */
import * as fc from 'fast-check';
import { chainRows, GENESIS_HASH, hashRow, type ChainHead } from '../../src/audit-trail/chain';
import type { AuditRow } from '../../src/audit-trail/row';
import { describeFault, verifyPartition } from '../../src/audit-trail/verify';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { recordOf, recordSpecArb } from './arbitraries';

const P = 'ledger/2026-12-01/02';

function chain(n: number, seed: number): { rows: AuditRow[]; head: ChainHead } {
  const records = fc.sample(recordSpecArb, { numRuns: n, seed }).map((spec, i) => recordOf(spec, `s:${i}`).record);
  return chainRows({ partition: P, lastSeq: 0, lastHash: GENESIS_HASH }, records, '2026-12-01T12:00:00.000Z');
}
const named = (rows: readonly AuditRow[], head: ChainHead | undefined): string[] =>
  verifyPartition(P, rows, head).faults.map((f) => `${f.seq} ${f.kind}${f.belongsAt !== undefined ? `→${f.belongsAt}` : ''}`);

describe('verifyPartition', () => {
  it('an intact chain, in any stored order, has no fault', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.integer(), (n, seed) => {
        const { rows, head } = chain(n, seed);
        expect(named([...rows].reverse(), head)).toEqual([]);
      }),
      { numRuns: fuzzRuns(50), seed: fuzzSeed(71) },
    );
  });

  it('a row renumbered to a free seq is reordered (its old place is not reported deleted)', () => {
    const { rows, head } = chain(6, 1);
    const moved = rows.map((r) => (r.seq === 3 ? { ...r, seq: 40 } : r));
    expect(named(moved, head)).toEqual(['40 reordered→3']);
  });

  it('the last rows deleted: the head names them', () => {
    const { rows, head } = chain(6, 2);
    expect(named(rows.slice(0, 4), head)).toEqual(['5 deleted', '6 deleted']);
  });

  it('a forged row appended past the head is named twice: it does not verify, and it lies past the head', () => {
    const { rows, head } = chain(4, 3);
    const forged = { ...rows[3]!, seq: 5, sourceId: 'forged', prevHash: rows[3]!.rowHash };
    expect(named([...rows, forged], head)).toEqual(['5 changed', '5 head']);
  });

  it('a row rewritten with a recomputed hash breaks the link to the next row (named there)', () => {
    const { rows, head } = chain(5, 4);
    const rewritten = { ...rows[1]!, actor: 'someone else' };
    rewritten.rowHash = hashRow(rewritten.prevHash, rewritten);
    const stored = rows.map((r) => (r.seq === 2 ? rewritten : r));
    expect(named(stored, head)).toEqual(['3 broken-link']);
    expect(describeFault(verifyPartition(P, stored, head).faults[0]!)).toBe(
      `${P} seq 3: broken-link (s:2): its prev hash is not the row hash of seq 2 (one of the two was rewritten with a recomputed hash)`,
    );
  });

  it('the whole tail rewritten with recomputed hashes is caught by the head', () => {
    const { rows, head } = chain(4, 5);
    const [a, b, c, d] = rows as [AuditRow, AuditRow, AuditRow, AuditRow];
    const c2 = { ...c, actor: 'x' };
    c2.rowHash = hashRow(b.rowHash, c2);
    const d2 = { ...d, prevHash: c2.rowHash };
    d2.rowHash = hashRow(c2.rowHash, d2);
    expect(named([a, b, c2, d2], head)).toEqual(['4 head']);
  });

  it('a missing head, or a head that lost its hash, is named', () => {
    const { rows, head } = chain(3, 6);
    expect(named(rows, undefined)).toEqual(['3 head']);
    expect(named(rows, { ...head, lastHash: 'f'.repeat(64) })).toEqual(['3 head']);
    expect(named([], { partition: P, lastSeq: 0, lastHash: 'f'.repeat(64) })).toEqual(['0 head']);
  });

  it('a row stored under another partition is named changed', () => {
    const { rows, head } = chain(3, 7);
    expect(
      named(
        rows.map((r) => (r.seq === 2 ? { ...r, partition: 'ledger/2026-12-01/03' } : r)),
        head,
      ),
    ).toEqual(['2 changed']);
  });

  it('random swaps, deletions and edits on distinct rows are each named, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i + 1),
              { minLength: 1 },
            ),
            fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 40, maxLength: 40 }),
            fc.integer(),
          ),
        ),
        ([n, seqs, kinds, seed]) => {
          const { rows, head } = chain(n, seed);
          const bySeq = new Map(rows.map((r) => [r.seq, r]));
          const expected: string[] = [];
          const pool = [...seqs];
          for (const kind of kinds) {
            if (pool.length === 0) break;
            if (kind === 0 && pool.length >= 2) {
              const [a, b] = [pool.shift()!, pool.shift()!];
              const ra = bySeq.get(a)!;
              const rb = bySeq.get(b)!;
              bySeq.set(a, { ...rb, seq: a });
              bySeq.set(b, { ...ra, seq: b });
              expected.push(`${a} reordered→${b}`, `${b} reordered→${a}`);
            } else if (kind === 1) {
              const s = pool.shift()!;
              bySeq.delete(s);
              expected.push(`${s} deleted`);
            } else {
              const s = pool.shift()!;
              bySeq.set(s, { ...bySeq.get(s)!, payload: { edited: true } });
              expected.push(`${s} changed`);
            }
          }
          expect(named([...bySeq.values()], head).sort()).toEqual(expected.sort());
        },
      ),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(72) },
    );
  });
});
