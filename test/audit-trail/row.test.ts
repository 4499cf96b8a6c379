/**
 * The audit row, pure (AUDIT-1, PCI-3): no card number survives into a record, whatever field or
 * spelling carries it; the canonical form does not depend on how the source encoded the record;
 * every class of bad input is refused naming the record and the field, never quoting the value.
 */
import * as fc from 'fast-check';
import { chainRows, GENESIS_HASH, hashRow, partitionOf } from '../../src/audit-trail/chain';
import { AuditRecordError, auditRecord, canonicalJson, canonicalRow, type JsonValue } from '../../src/audit-trail/row';
import { findPan, PAN_REDACTION } from '../../src/domain/pan';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { cardPanArb, containsDigitsOf, panSpellingArb, panSpellingList, SAMPLE_PANS } from '../support/pan-spellings';
import { jsonArb } from './arbitraries';

const base = {
  source: 'workbench' as const,
  sourceId: 'workbench:case-1:v2',
  sourcePosition: 'v2',
  eventType: 'workbench.comment',
  occurredAt: '2026-12-01T10:00:00Z',
  actor: 'ana@bank.example',
  subjectIds: ['case-1'],
  payload: { note: 'ok' } as unknown,
};

/** `value` placed at a random path of `payload` (a new member of some object, or a new element of some array). */
function placeAt(payload: unknown, value: unknown, key: string, choice: number): unknown {
  const containers: Array<Record<string, unknown> | unknown[]> = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      containers.push(node);
      node.forEach(walk);
    } else if (node !== null && typeof node === 'object') {
      containers.push(node as Record<string, unknown>);
      Object.values(node).forEach(walk);
    }
  };
  const root = { wrapped: structuredClone(payload) };
  walk(root);
  const target = containers[choice % containers.length]!;
  if (Array.isArray(target)) target.push({ [key]: value });
  else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return root;
}

describe('PCI-3: no card number reaches an audit record', () => {
  it('a PAN in any spelling, in any free-text field at any depth, is redacted: no digits of it remain anywhere in the record', () => {
    fc.assert(
      fc.property(jsonArb, panSpellingArb(), fc.nat(), fc.constantFrom('note', 'narrative', 'detail', 'lastError', 'comment'), (payload, spelling, choice, key) => {
        const record = auditRecord({ ...base, payload: placeAt(payload, spelling.text, key, choice) });
        const stored = canonicalRow({ ...record, partition: 'p', seq: 1, recordedAt: '2026-12-01T10:00:00.000Z' });
        expect({ form: spelling.form, leaked: containsDigitsOf(stored, spelling.pan) }).toEqual({ form: spelling.form, leaked: false });
        expect(stored).toContain(PAN_REDACTION);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(61) },
    );
  });

  it.each(panSpellingList(SAMPLE_PANS.slice(0, 3)).map((s) => [s.form, s] as const))('the fixed spelling %s, as a note and as a member name', (_form, spelling) => {
    const record = auditRecord({ ...base, payload: { note: spelling.text, [spelling.text]: 'x' } });
    expect(containsDigitsOf(JSON.stringify(record), spelling.pan)).toBe(false);
  });

  it('a PAN as an identifier (id, reference, account), a number, a subject id, the actor or the source id is redacted too', () => {
    fc.assert(
      fc.property(cardPanArb(), fc.constantFrom('', ' ', '-'), (pan, joiner) => {
        const grouped = joiner === '' ? pan : pan.replace(/(\d{4})(?=\d)/g, `$1${joiner}`);
        const record = auditRecord({
          ...base,
          sourceId: `workbench:${grouped}:v1`,
          actor: `user ${grouped}`,
          subjectIds: [grouped, 'case-1'],
          payload: { accountId: grouped, bankReference: grouped, ledgerEntryIds: [grouped], amountMinor: Number(pan.slice(0, 15)) },
        });
        expect(findPan(record, '$', 'identifier')).toBeUndefined();
        expect(JSON.stringify(record)).not.toContain(pan);
        expect(containsDigitsOf(JSON.stringify(record), pan)).toBe(false);
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(62) },
    );
  });

  it('keeps what is not a card number: IBANs, references and amounts stay visible', () => {
    const payload = { accountId: 'GB29NWBK60161331926819', bankReference: '151823456789012345', amount: '-1250.00', minor: 125000 };
    expect(auditRecord({ ...base, payload }).payload).toEqual(payload);
  });
});

describe('canonical form', () => {
  it('does not depend on member order, at any depth (a re-encoded record hashes the same)', () => {
    const shuffle = (value: unknown, rnd: () => number): unknown => {
      if (Array.isArray(value)) return value.map((v) => shuffle(v, rnd));
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value).sort(() => rnd() - 0.5);
      const out = {};
      for (const [k, v] of entries) Object.defineProperty(out, k, { value: shuffle(v, rnd), enumerable: true, writable: true, configurable: true });
      return out;
    };
    fc.assert(
      fc.property(jsonArb, fc.integer(), (payload, seed) => {
        let state = seed;
        const rnd = (): number => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
        const a = auditRecord({ ...base, payload });
        const b = auditRecord({ ...base, payload: shuffle(payload, rnd), occurredAt: '2026-12-01T11:00:00+01:00' });
        expect(canonicalJson(b.payload)).toBe(canonicalJson(a.payload));
        expect(b.occurredAt).toBe(a.occurredAt);
        const at = { partition: 'p', seq: 3, recordedAt: '2026-12-02T00:00:00.000Z' };
        expect(hashRow(GENESIS_HASH, { ...b, ...at })).toBe(hashRow(GENESIS_HASH, { ...a, ...at }));
      }),
      { numRuns: fuzzRuns(200), seed: fuzzSeed(63) },
    );
  });

  it('a member named __proto__ is kept as data', () => {
    const payload = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as unknown;
    const record = auditRecord({ ...base, payload });
    expect(canonicalJson(record.payload)).toBe('{"__proto__":{"x":1},"a":2}');
    expect(Object.getPrototypeOf(record.payload)).toBe(Object.prototype);
  });

  it('every field counts: changing any one changes the hash', () => {
    const record = auditRecord(base);
    const row = { ...record, partition: 'workbench/2026-12-01/00', seq: 1, recordedAt: '2026-12-01T10:00:01.000Z' };
    const hash = hashRow(GENESIS_HASH, row);
    const variants: Array<Partial<typeof row>> = [
      { partition: 'workbench/2026-12-01/01' },
      { seq: 2 },
      { source: 'ledger' },
      { sourceId: 'workbench:case-1:v3' },
      { sourcePosition: 'v3' },
      { eventType: 'workbench.assign' },
      { occurredAt: '2026-12-01T10:00:00.001Z' },
      { recordedAt: '2026-12-01T10:00:01.001Z' },
      { actor: 'ben@bank.example' },
      { subjectIds: ['case-1', 'case-2'] },
      { payload: { note: 'ok ' } },
    ];
    for (const variant of variants) expect([Object.keys(variant)[0], hashRow(GENESIS_HASH, { ...row, ...variant })]).not.toEqual([Object.keys(variant)[0], hash]);
    expect(hashRow('1'.repeat(64), row)).not.toBe(hash);
  });

  it('chains: each row hashes the previous one, and the head is the last', () => {
    const records = [auditRecord(base), auditRecord({ ...base, sourceId: 'workbench:case-1:v3' })];
    const { rows, head } = chainRows({ partition: 'p', lastSeq: 7, lastHash: 'a'.repeat(64) }, records, '2026-12-01T10:00:01.000Z');
    expect(rows.map((r) => [r.seq, r.prevHash])).toEqual([
      [8, 'a'.repeat(64)],
      [9, rows[0]!.rowHash],
    ]);
    expect(head).toEqual({ partition: 'p', lastSeq: 9, lastHash: rows[1]!.rowHash });
    expect(rows[1]!.rowHash).toBe(hashRow(rows[0]!.rowHash, rows[1]!));
  });

  it('partitions by source, UTC day and entity bucket: one entity always in one chain per day', () => {
    const record = auditRecord(base);
    expect(partitionOf(record, 'case-1')).toMatch(/^workbench\/2026-12-01\/0[0-3]$/);
    expect(partitionOf(record, 'case-1')).toBe(partitionOf(auditRecord({ ...base, sourceId: 'other' }), 'case-1'));
  });
});

describe('bad input is refused, naming the record and the field, never the value', () => {
  const refused = (change: Partial<typeof base>, message: string): void => {
    expect(() => auditRecord({ ...base, ...change })).toThrow(new AuditRecordError(message));
  };
  it.each([
    [{ payload: { amount: 12.5 } }, 'audit record workbench:case-1:v2 $.amount: a number that is not a safe integer (money is a decimal string)'],
    [{ payload: { big: 2 ** 60 } }, 'audit record workbench:case-1:v2 $.big: a number that is not a safe integer (money is a decimal string)'],
    [{ payload: { n: [1, Number.NaN] } }, 'audit record workbench:case-1:v2 $.n[1]: not a finite number'],
    [{ payload: { n: Number.POSITIVE_INFINITY } }, 'audit record workbench:case-1:v2 $.n: not a finite number'],
    [{ payload: { note: 'a\u0000b' } }, 'audit record workbench:case-1:v2 $.note: holds U+0000, which the audit store cannot keep'],
    [{ payload: { ['k\u0000']: 1 } }, 'audit record workbench:case-1:v2 $ (a member name): holds U+0000, which the audit store cannot keep'],
    [{ payload: { note: 'x\ud800y' } }, 'audit record workbench:case-1:v2 $.note: holds a lone UTF-16 surrogate (not well-formed Unicode)'],
    [{ payload: { f: () => 1 } }, 'audit record workbench:case-1:v2 $.f: a function is not JSON'],
    [{ payload: { s: Symbol('x') } }, 'audit record workbench:case-1:v2 $.s: a symbol is not JSON'],
    [{ sourceId: '  ' }, 'a workbench audit record has no source id'],
    [{ actor: '' }, 'audit record workbench:case-1:v2: actor is empty'],
    [{ eventType: '' }, 'audit record workbench:case-1:v2: eventType is empty'],
    [{ occurredAt: 'yesterday' }, 'audit record workbench:case-1:v2 occurredAt: "yesterday" is not a time'],
    [{ actor: 'a\u0000' }, 'audit record workbench:case-1:v2 actor: holds U+0000, which the audit store cannot keep'],
    [{ source: 'elsewhere' as never }, 'audit record workbench:case-1:v2: source "elsewhere" is not one of ledger, lifecycle, transaction-state, workbench'],
  ])('%j', (change, message) => refused(change as Partial<typeof base>, message));

  it('a refusal for a PAN-shaped field quotes none of it', () => {
    const pan = SAMPLE_PANS[3]!;
    const error = (() => {
      try {
        auditRecord({ ...base, payload: { [`${pan}`]: 1.5 } });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toContain(PAN_REDACTION);
    expect(containsDigitsOf(error!.message, pan)).toBe(false);
  });

  it('keeps null, booleans, nested arrays and unicode exactly', () => {
    const payload: JsonValue = { a: null, b: [true, false, [0, -1, 9007199254740991]], ключ: 'значение 🙂', '': '' };
    expect(auditRecord({ ...base, payload }).payload).toEqual(payload);
  });
});
