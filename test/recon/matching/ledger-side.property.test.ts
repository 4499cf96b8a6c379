/**
 * REC-PERF-1: ledgerSide reads a partition's entries as they come when they are in id order, and
 * sorts them only otherwise. Whatever the order and whatever the faults, it must answer exactly as
 * reading them sorted does: the same side (ids, amounts, days, references) or the same error.
 */
import fc from 'fast-check';
import { MatchInputError } from '../../../src/recon/matching';
import { ledgerSide } from '../../../src/recon/matching/rows';
import type { LedgerEntry } from '../../../src/recon/types';
import { ACCOUNT, entry } from './helpers';

const IGNORED = new Set(['NONREF']);

/** What reading the entries sorted answers: the reference the fast path is held to. */
function sortedReading(entries: readonly LedgerEntry[]): unknown {
  const sorted = [...entries].sort((a, b) => (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0));
  return outcome(() => ledgerSide(sorted, ACCOUNT, 'EUR', IGNORED));
}

function outcome(read: () => ReturnType<typeof ledgerSide>): unknown {
  try {
    const side = read();
    return { ...side, amt: [...side.amt], book: [...side.book], val: [...side.val], used: [...side.used] };
  } catch (error) {
    if (!(error instanceof MatchInputError)) throw error;
    return { error: error.message };
  }
}

/** An entry that is sound, or has one fault the matcher reports. */
const anEntry = (index: number): fc.Arbitrary<LedgerEntry> =>
  fc
    .record({
      id: fc.constantFrom(`LE${String(index).padStart(6, '0')}`, `LE${String(index % 5).padStart(6, '0')}`, `X${index}`, ''),
      minor: fc.integer({ min: -1_000_000, max: 1_000_000 }),
      fault: fc.constantFrom('none', 'none', 'none', 'none', 'amount', 'date', 'account', 'currency'),
      reference: fc.constantFrom('', 'NONREF', ' inv-1 ', 'E2E-7'),
    })
    .map(({ id, minor, fault, reference }) =>
      entry({
        id,
        amount: fault === 'amount' ? '1.234' : `${minor < 0 ? '-' : ''}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, '0')}`,
        reference,
        ...(fault === 'date' ? { bookingDate: '2025-02-30' } : {}),
        ...(fault === 'account' ? { accountId: 'GB00OTHER' } : {}),
        ...(fault === 'currency' ? { currency: 'USD' } : {}),
      }),
    );

const entries = fc.integer({ min: 0, max: 40 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => anEntry(i + 1))));

describe('ledgerSide (REC-PERF-1)', () => {
  it('answers as the sorted reading does, for entries in any order and with any fault', () => {
    fc.assert(
      fc.property(entries, fc.boolean(), (list, presort) => {
        // Half the cases in id order (the fast path's case), half as generated.
        const given = presort ? [...list].sort((a, b) => (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0)) : list;
        expect(outcome(() => ledgerSide(given, ACCOUNT, 'EUR', IGNORED))).toEqual(sortedReading(list));
      }),
      { numRuns: 600 },
    );
  });

  it('reads entries in id order as they are, and the same entries shuffled to the same side', () => {
    const ordered = Array.from({ length: 50 }, (_, i) => entry({ id: `LE${String(i).padStart(4, '0')}`, amount: `${i}.00`, reference: `R${i}` }));
    const side = ledgerSide(ordered, ACCOUNT, 'EUR', IGNORED);
    expect(side.ids).toEqual(ordered.map((e) => e.entryId));
    expect(outcome(() => ledgerSide([...ordered].reverse(), ACCOUNT, 'EUR', IGNORED))).toEqual(outcome(() => side));
    // The input is never reordered in place.
    const reversed = [...ordered].reverse();
    ledgerSide(reversed, ACCOUNT, 'EUR', IGNORED);
    expect(reversed[0]!.entryId).toBe('LE0049');
  });

  it('reports a duplicate or a fault by the sorted order, whatever the given order', () => {
    const a = entry({ id: 'LE2', amount: '1.00' });
    const b = entry({ id: 'LE1', amount: 'x' });
    const c = entry({ id: 'LE2', amount: '2.00' });
    // In id order LE1 (bad amount) comes first: its fault is the one reported, not the later duplicate.
    expect(() => ledgerSide([a, b, c], ACCOUNT, 'EUR', IGNORED)).toThrow('ledger entry "LE1"');
    expect(() => ledgerSide([a, c], ACCOUNT, 'EUR', IGNORED)).toThrow('"LE2": duplicate entryId');
  });
});
