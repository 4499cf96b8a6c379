/**
 * The case list's page cursor (cursor.ts): every key round-trips through its text, and every
 * damaged, cut, foreign-order or made-up text is refused with a CursorError naming the parameter.
 */
import fc from 'fast-check';
import { afterKey, type CaseSortKey, CursorError, cursorOf, MAX_CURSOR_LENGTH, pageCursor, readCursor } from '../../../src/recon/workbench/cursor';
import { caseDueDate } from '../../../src/recon/workbench/sla';
import { exceptionCase } from './helpers';

const day = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const key: fc.Arbitrary<CaseSortKey> = fc.oneof(
  fc.record({ sort: fc.constant('age' as const), ageDays: fc.integer({ min: -5, max: 100_000 }), caseId: fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }) }),
  fc.record({ sort: fc.constant('urgency' as const), dueDay: day, ageDays: fc.integer({ min: -5, max: 100_000 }), caseId: fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }) }),
);

describe('page cursor', () => {
  it('reads back every key it writes, in its own order only', () => {
    fc.assert(
      fc.property(key, (k) => {
        const text = cursorOf(k);
        expect(text.length).toBeLessThan(MAX_CURSOR_LENGTH);
        expect(text).toMatch(/^[A-Za-z0-9._-]+$/); // safe in a URL without escaping
        expect(readCursor(text, k.sort)).toEqual(k);
        const other = readCursor(text, k.sort === 'age' ? 'urgency' : 'age');
        expect(other).toBeInstanceOf(CursorError);
        expect((other as CursorError).message).toContain(`belongs to the ${k.sort} order`);
      }),
    );
  });

  it('refuses any single-character change, cut or extension of a cursor', () => {
    fc.assert(
      fc.property(key, fc.nat(), fc.constantFrom(...'abcXYZ019._-~%'.split('')), fc.constantFrom('replace', 'cut', 'insert'), (k, at, ch, how) => {
        const text = cursorOf(k);
        const i = at % text.length;
        const changed = how === 'replace' ? text.slice(0, i) + ch + text.slice(i + 1) : how === 'cut' ? text.slice(0, i) : text.slice(0, i) + ch + text.slice(i);
        fc.pre(changed !== text);
        const read = readCursor(changed, k.sort);
        expect(read).toBeInstanceOf(CursorError);
        expect((read as CursorError).message).toMatch(/^parameter "after" is not a page cursor of this list: /);
      }),
    );
  });

  it('refuses made-up texts without echoing them (PCI-3)', () => {
    const pan = '4111111111111111';
    for (const text of ['', 'x', pan, `age.${pan}.YQ.00000000`, 'age.1.YQ', 'age.01.YQ.' + '0'.repeat(8), 'a'.repeat(MAX_CURSOR_LENGTH + 1), 'urgency.2026-02-30.1.YQ.00000000']) {
      const read = readCursor(text, 'age');
      expect(read).toBeInstanceOf(CursorError);
      expect((read as CursorError).message).not.toContain(pan);
    }
    // A well-formed body with a correct check but a bad field is still refused, field by field.
    const forge = (body: string) => {
      let hash = 0x811c9dc5;
      for (let i = 0; i < body.length; i += 1) hash = Math.imul(hash ^ body.charCodeAt(i), 0x01000193) >>> 0;
      return `${body}.${hash.toString(16).padStart(8, '0')}`;
    };
    expect(readCursor(forge('age.1.YQ'), 'age')).toEqual({ sort: 'age', ageDays: 1, caseId: 'a' });
    expect((readCursor(forge('age.01.YQ'), 'age') as CursorError).fault).toBe('its age is not an integer');
    expect((readCursor(forge('age.1.5'), 'age') as CursorError).fault).toBe('its case id is not encoded');
    expect((readCursor(forge('age.1.YR'), 'age') as CursorError).fault).toBe('its case id is not encoded'); // not canonical base64url
    expect((readCursor(forge('age.1.gA'), 'age') as CursorError).fault).toBe('its case id is not UTF-8');
    expect((readCursor(forge('urgency.2026-02-30.1.YQ'), 'urgency') as CursorError).fault).toBe('its due day is not a date');
    expect((readCursor(forge('age.99999999999999999.YQ'), 'age') as CursorError).fault).toBe('its age is not an integer');
  });

  it("a page's cursor is its last case's key; the urgency key carries the case's due day", () => {
    const c = exceptionCase({ caseId: 'exception:statement:x:0:1', ageDays: 4, asOf: '2026-03-10', reason: 'DUPLICATE' });
    expect(readCursor(pageCursor(c, 'age'), 'age')).toEqual({ sort: 'age', ageDays: 4, caseId: c.caseId });
    expect(readCursor(pageCursor(c, 'urgency'), 'urgency')).toEqual({ sort: 'urgency', dueDay: caseDueDate(c), ageDays: 4, caseId: c.caseId });
  });

  it('afterKey: none on the first page, the key after, a thrown CursorError for a bad one', () => {
    expect(afterKey({})).toBeUndefined();
    const text = cursorOf({ sort: 'age', ageDays: 2, caseId: 'c' });
    expect(afterKey({ after: text })).toEqual({ sort: 'age', ageDays: 2, caseId: 'c' });
    expect(() => afterKey({ after: text, sort: 'urgency' })).toThrow(CursorError);
    expect(() => afterKey({ after: 'nope', sort: 'age' })).toThrow('parameter "after"');
  });
});
