/**
 * expectEqualData (test/support/equal-data.ts) passes exactly where toEqual passes: equal rows at
 * once, and every kind of difference a table's rows can show fails, with toEqual's verdict.
 */
import fc from 'fast-check';
import { expectEqualData } from './equal-data';

const cell = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
);
const rows = fc.array(fc.array(cell, { maxLength: 5 }), { maxLength: 20 });

function verdict(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe('expectEqualData', () => {
  it('agrees with toEqual on generated rows and on a copy with one cell changed', () => {
    fc.assert(
      fc.property(rows, fc.nat(), cell, (a, at, replacement) => {
        const copy = a.map((row) => row.map((value) => (Buffer.isBuffer(value) ? Buffer.from(value) : value)));
        expect(verdict(() => expectEqualData(copy, a))).toBe(true);
        const flat = copy.flatMap((row, r) => row.map((_, c) => [r, c] as const));
        if (flat.length === 0) return;
        const [r, c] = flat[at % flat.length]!;
        copy[r]![c] = replacement;
        expect(verdict(() => expectEqualData(copy, a))).toBe(verdict(() => expect(copy).toEqual(a)));
      }),
    );
  });

  it('fails on a missing row, an extra cell, another type, other bytes and -0 against 0, as toEqual does', () => {
    const base = [[1, 'a', Buffer.from('xy'), null]];
    for (const other of [[], [[1, 'a', Buffer.from('xy'), null, 2]], [['1', 'a', Buffer.from('xy'), null]], [[1, 'a', Buffer.from('xz'), null]], [[1, 'a', Buffer.from('xy'), undefined]]]) {
      expect(() => expectEqualData(other, base)).toThrow();
    }
    expect(() => expectEqualData([[-0]], [[0]])).toThrow();
    expect(() => expectEqualData([[1, 'a', Buffer.from('xy'), null]], base)).not.toThrow();
  });
});
