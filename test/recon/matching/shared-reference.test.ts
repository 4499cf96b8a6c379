/**
 * REC-MATCH-1 (shared-reference batches, both ways) and REC-CASE-1 (case groups on the
 * exceptions of a batch or split that does not add up).
 */
import type { LedgerEntry, MatchResult, StatementLine, UnmatchedItem } from '../../../src/recon/types';
import { assertEachRowOnce, caseGroupKey, defaultRuleSet, matchAll, matchPartition } from '../../../src/recon/matching';
import { createHash } from 'node:crypto';
import { containsPan } from '../../../src/domain/pan';
import { seededRandom } from '../../support/random';
import { AS_OF, entry, expectEachRowOnce, line, reasonOf, summary } from './helpers';

const rules = defaultRuleSet();
const GROUP = /^grp-[0-9a-f]{16}$/;

function cents(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** The unmatched rows of a result as sets of ids per group key (groups compared as partitions of the rows). */
function groupsOf(result: MatchResult): string[][] {
  const byKey = new Map<string, string[]>();
  for (const item of result.unmatched) if (item.group !== undefined) byKey.set(item.group, [...(byKey.get(item.group) ?? []), `${item.side}:${item.id}`]);
  return [...byKey.values()].map((ids) => ids.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

function expectOneCase(result: MatchResult, lines: readonly StatementLine[], entries: readonly LedgerEntry[]): UnmatchedItem[] {
  expect(result.matches).toEqual([]);
  const items = result.unmatched;
  expect(items).toHaveLength(lines.length + entries.length);
  const key = caseGroupKey(
    lines.map((l) => l.statementLineId),
    entries.map((e) => e.entryId),
  );
  expect(key).toMatch(GROUP);
  for (const item of items) {
    if (item.reason !== 'SPLIT_INCOMPLETE' || item.group !== key) throw new Error(`${item.side} ${item.id}: expected SPLIT_INCOMPLETE in ${key}, got ${JSON.stringify(item)}`);
    // The candidate is a member of the same case, on the other side.
    const others = item.side === 'statement' ? entries.map((e) => e.entryId) : lines.map((l) => l.statementLineId);
    expect(others).toContain(item.candidateId);
  }
  return items;
}

describe('one-to-many: a batch booking against ledger items that all carry its own reference', () => {
  const batch = line({ id: 's1', amount: '-60.00', customerReference: 'PAYRUN-2025-06', batchItemCount: 3 });
  const items = [
    entry({ id: 'l1', amount: '-10.00', reference: 'PAYRUN-2025-06' }),
    entry({ id: 'l2', amount: '-20.00', reference: ' payrun-2025 -06', bookingDate: '2025-06-19', valueDate: '2025-06-19' }),
    entry({ id: 'l3', amount: '-30.00', reference: 'PAYRUN-2025-06' }),
  ];

  it('is one confirmed match, not one AMOUNT_MISMATCH per item', () => {
    const result = matchAll([batch], items, rules, AS_OF);
    expect(result.matches).toEqual([
      expect.objectContaining({ ruleId: 'batch-by-shared-reference', status: 'confirmed', confidence: 0.965, statementLineIds: ['s1'], ledgerEntryIds: ['l1', 'l2', 'l3'] }),
    ]);
    expect(result.unmatched).toEqual([]);
  });

  it('finds the reference in any statement field the rule names', () => {
    for (const field of ['endToEndId', 'bankReference', 'customerReference'] as const) {
      const head = line({ id: 's1', amount: '-60.00', [field]: 'PAYRUN-2025-06' });
      expect(summary(matchAll([head], items, rules, AS_OF))).toEqual(['batch-by-shared-reference:confirmed:s1=l1+l2+l3']);
    }
  });

  it('a declared item count that differs costs countMismatchPenalty', () => {
    const result = matchAll([{ ...batch, batchItemCount: 4 }], items, rules, AS_OF);
    expect(result.matches.map((m) => [m.ruleId, m.confidence])).toEqual([['batch-by-shared-reference', 0.915]]);
  });

  it('items of equal amounts (twins) all join the batch; none is a DUPLICATE', () => {
    const pay = [1, 2, 3, 4].map((n) => entry({ id: `l${n}`, amount: '-1500.00', reference: 'SALARIES-06' }));
    const result = matchAll([line({ id: 's1', amount: '-6000.00', endToEndId: 'SALARIES-06' })], pay, rules, AS_OF);
    expect(summary(result)).toEqual(['batch-by-shared-reference:confirmed:s1=l1+l2+l3+l4']);
    expect(result.unmatched).toEqual([]);
  });

  it('two bookings with the same reference and amount compete: one takes the items, only proposed (a tie); no item is used twice', () => {
    const lines = [batch, { ...batch, statementLineId: 's2', bookingDate: '2025-06-21', valueDate: '2025-06-21' }];
    const result = matchAll(lines, items, rules, AS_OF);
    expect(summary(result)).toEqual(['batch-by-shared-reference:proposed:s1=l1+l2+l3']);
    expect(reasonOf(result, 's2')?.reason).not.toBe('DUPLICATE');
    expectEachRowOnce(result, lines, items);
  });

  it('the same booking delivered twice: the copy is a DUPLICATE of the matched line, in no case group', () => {
    const lines = [batch, { ...batch, statementLineId: 's2' }];
    const result = matchAll(lines, items, rules, AS_OF);
    expect(summary(result)).toEqual(['batch-by-shared-reference:confirmed:s1=l1+l2+l3']);
    expect(result.unmatched).toEqual([expect.objectContaining({ id: 's2', reason: 'DUPLICATE' })]);
    expect(result.unmatched[0]!.group).toBeUndefined();
  });

  it('an item outside the date window is not taken; the rest do not add up: one case', () => {
    const late = entry({ id: 'l4', amount: '-5.00', reference: 'PAYRUN-2025-06', bookingDate: '2025-06-27', valueDate: '2025-06-27' });
    const lines = [{ ...batch, amount: '-65.00' }];
    const result = matchAll(lines, [...items, late], rules, AS_OF);
    expectOneCase(result, lines, [...items, late]);
  });
});

describe('many-to-one: statement lines sharing one reference against the one ledger entry with it', () => {
  it('the items of a split camt batch (bank reference + batchReference) against the entry booked for the whole batch', () => {
    const lines = ['10.00', '2.50', '0.50'].map((amount, i) =>
      line({ id: `s${i + 1}`, amount, endToEndId: `E2E-${i}`, bankReference: 'ACSV-9', batchReference: 'ACSV-9', batchItem: { index: i + 1, of: 3 } }),
    );
    const entries = [entry({ id: 'l1', amount: '13.00', reference: 'acsv-9' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.matches).toEqual([
      expect.objectContaining({ ruleId: 'split-by-shared-reference', status: 'confirmed', confidence: 0.96, statementLineIds: ['s1', 's2', 's3'], ledgerEntryIds: ['l1'] }),
    ]);
    expect(result.unmatched).toEqual([]);
  });

  it('batch items that look alike are still different items (never withheld as twins)', () => {
    const lines = [1, 2].map((i) => line({ id: `s${i}`, amount: '5.00', bankReference: 'ACSV-7', batchReference: 'ACSV-7', batchItem: { index: i, of: 2 } }));
    const result = matchAll(lines, [entry({ id: 'l1', amount: '10.00', reference: 'ACSV-7' })], rules, AS_OF);
    expect(summary(result)).toEqual(['split-by-shared-reference:confirmed:s1+s2=l1']);
  });

  it('lines carrying the reference only as their batchReference', () => {
    const lines = ['7.00', '3.00'].map((amount, i) => line({ id: `s${i + 1}`, amount, batchReference: 'MSG-44', batchItem: { index: i + 1, of: 2 } }));
    expect(summary(matchAll(lines, [entry({ id: 'l1', amount: '10.00', reference: 'MSG-44' })], rules, AS_OF))).toEqual(['split-by-shared-reference:confirmed:s1+s2=l1']);
  });
});

describe('near misses become one case (REC-CASE-1)', () => {
  it('a batch with a sum off by one cent: the booking and every item share one group', () => {
    const lines = [line({ id: 's1', amount: '60.01', endToEndId: 'RUN-1' })];
    const entries = ['10.00', '20.00', '30.00'].map((amount, i) => entry({ id: `l${i + 1}`, amount, reference: 'RUN-1' }));
    const items = expectOneCase(matchAll(lines, entries, rules, AS_OF), lines, entries);
    expect(items[0]!.detail).toBe('batch booking: 3 unmatched ledger item(s) found summing to 60.00, line amount 60.01');
    expect(items[1]!.detail).toBe('item of batch booking s1 whose items do not sum to it');
  });

  it('a split with one line missing: the lines and the entry share one group', () => {
    const lines = ['10.00', '20.00'].map((amount, i) => line({ id: `s${i + 1}`, amount, customerReference: 'REMIT-5' }));
    const entries = [entry({ id: 'l1', amount: '60.00', reference: 'REMIT-5' })];
    const items = expectOneCase(matchAll(lines, entries, rules, AS_OF), lines, entries);
    expect(items.map((item) => item.detail)).toEqual([
      'part of a split of ledger entry l1 whose parts do not sum to it',
      'part of a split of ledger entry l1 whose parts do not sum to it',
      '2 unmatched statement part(s) found summing to 30.00, entry amount 60.00',
    ]);
  });

  it('equal items of a batch that does not add up are items of the case, not DUPLICATEs', () => {
    const lines = [line({ id: 's1', amount: '-4500.01', endToEndId: 'SALARIES-07' })];
    const entries = [1, 2, 3].map((n) => entry({ id: `l${n}`, amount: '-1500.00', reference: 'SALARIES-07' }));
    expectOneCase(matchAll(lines, entries, rules, AS_OF), lines, entries);
  });

  it('a dominant part within tolerance of the whole is not taken 1:1 for it: the split is one case', () => {
    const lines = ['2440.83', '11.00', '5.07'].map((amount, i) => line({ id: `s${i + 1}`, amount, customerReference: 'REMIT-X' }));
    const entries = [entry({ id: 'l1', amount: '2451.83', reference: 'REMIT-X' })];
    expectOneCase(matchAll(lines, entries, rules, AS_OF), lines, entries);
    // Both ways: a batch booking whose largest item is within tolerance of it.
    const batchLines = [line({ id: 's1', amount: '-2451.83', endToEndId: 'RUN-Y' })];
    const items = ['-2440.83', '-11.00', '-5.07'].map((amount, i) => entry({ id: `l${i + 1}`, amount, reference: 'RUN-Y' }));
    expectOneCase(matchAll(batchLines, items, rules, AS_OF), batchLines, items);
  });

  it('the same line delivered twice is no split: reference-tolerance still matches it, the copy is a DUPLICATE', () => {
    const original = line({ id: 's1', amount: '100.00', endToEndId: 'E2E-T' });
    const result = matchAll([original, { ...original, statementLineId: 's2' }], [entry({ id: 'l1', amount: '100.20', reference: 'E2E-T' })], rules, AS_OF);
    expect(summary(result)).toEqual(['reference-tolerance:confirmed:s1=l1']);
    expect(result.unmatched).toEqual([expect.objectContaining({ id: 's2', reason: 'DUPLICATE' })]);
  });

  it('a plain pair with one shared reference and different amounts is an AMOUNT_MISMATCH, not a case', () => {
    const result = matchAll([line({ id: 's1', amount: '100.00', endToEndId: 'E-1' })], [entry({ id: 'l1', amount: '80.00', reference: 'E-1' })], rules, AS_OF);
    expect(result.unmatched.map((item) => [item.reason, item.group])).toEqual([
      ['AMOUNT_MISMATCH', undefined],
      ['AMOUNT_MISMATCH', undefined],
    ]);
  });

  it('rows that cannot be parts of one another (larger, or of the other sign) still share a group, with their own reasons', () => {
    const lines = [line({ id: 's1', amount: '10.00', endToEndId: 'INV-5' })];
    const entries = [entry({ id: 'l1', amount: '11.00', reference: 'INV-5' }), entry({ id: 'l2', amount: '-12.00', reference: 'INV-5' })];
    const result = matchAll(lines, entries, rules, AS_OF);
    expect(result.unmatched.map((item) => item.reason)).toEqual(['AMOUNT_MISMATCH', 'AMOUNT_MISMATCH', 'AMOUNT_MISMATCH']);
    expect(new Set(result.unmatched.map((item) => item.group)).size).toBe(1);
    expect(result.unmatched[0]!.group).toMatch(GROUP);
  });

  it('a lone exception has no group', () => {
    const result = matchAll([line({ id: 's1', amount: '1.00', endToEndId: 'ALONE' })], [entry({ id: 'l1', amount: '-7.00', reference: 'OTHER' })], rules, AS_OF);
    expect(result.unmatched.map((item) => item.group)).toEqual([undefined, undefined]);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated: random shared-reference batches and splits, whole and with near misses.

type Direction = 'batch' | 'split';
type Miss = 'none' | 'missing' | 'extra' | 'cent';

interface Scenario {
  lines: StatementLine[];
  entries: LedgerEntry[];
  direction: Direction;
  miss: Miss;
}

/** One scenario of `size` parts; ids carry `tag` so several can live in one partition. */
function scenario(random: () => number, tag: string, direction: Direction, miss: Miss): Scenario {
  const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  const size = int(miss === 'missing' ? 3 : 2, 14);
  const sign = random() < 0.5 ? 1 : -1;
  const equal = random() < 0.25 ? int(100, 90_000) : 0;
  const parts: number[] = [];
  for (let i = 0; i < size; i += 1) parts.push(sign * (equal || int(1, 900_000)));
  let whole = parts.reduce((sum, part) => sum + part, 0);
  if (miss === 'cent') whole += random() < 0.5 ? 1 : -1;
  if (miss === 'missing') parts.splice(int(0, parts.length - 1), 1);
  if (miss === 'extra') parts.push(sign * int(1, Math.min(...parts.map(Math.abs))));
  const reference = `${direction === 'batch' ? 'RUN' : 'SET'}-${tag}-${int(0, 1e9).toString(36)}`;
  const retyped = (): string => (random() < 0.3 ? reference.toLowerCase() : random() < 0.5 ? ` ${reference.slice(0, 3)} ${reference.slice(3)}` : reference);
  const day = (): string => `2025-06-${String(int(18, 20)).padStart(2, '0')}`;
  if (direction === 'batch') {
    const field = (['endToEndId', 'bankReference', 'customerReference'] as const)[int(0, 2)]!;
    const lines = [line({ id: `${tag}-s`, amount: cents(whole), [field]: reference, ...(random() < 0.5 ? { batchItemCount: size } : {}) })];
    const entries = parts.map((part, i) => {
      const date = day();
      return entry({ id: `${tag}-l${String(i).padStart(2, '0')}`, amount: cents(part), reference: retyped(), bookingDate: date, valueDate: date });
    });
    return { lines, entries, direction, miss };
  }
  const camt = random() < 0.5;
  const lines = parts.map((part, i) =>
    line({
      id: `${tag}-s${String(i).padStart(2, '0')}`,
      amount: cents(part),
      ...(camt ? { bankReference: reference, batchReference: reference, batchItem: { index: i + 1, of: parts.length }, endToEndId: `${tag}-E${i}` } : { customerReference: retyped() }),
    }),
  );
  const entries = [entry({ id: `${tag}-l`, amount: cents(whole), reference: retyped() })];
  return { lines, entries, direction, miss };
}

describe('generated shared-reference batches and splits (seeded)', () => {
  const random = seededRandom(20261206);
  const directions: Direction[] = ['batch', 'split'];
  const misses: Miss[] = ['none', 'missing', 'extra', 'cent'];
  const scenarios: Scenario[] = [];
  for (let i = 0; i < 240; i += 1) scenarios.push(scenario(random, `c${i}`, directions[i % 2]!, misses[Math.floor(i / 2) % 4]!));
  const lines = scenarios.flatMap((s) => s.lines);
  const entries = scenarios.flatMap((s) => s.entries);
  const result = matchAll(shuffle(lines, random), shuffle(entries, random), rules, AS_OF);

  it('every row is used once: never in two matches, never matched and unmatched', () => {
    expect(() => assertEachRowOnce(result)).not.toThrow();
    expectEachRowOnce(result, lines, entries);
  });

  it('every whole batch and split is exactly one match by the shared-reference rule', () => {
    const byFirstId = new Map(result.matches.map((m) => [`${m.statementLineIds[0]}|${m.ledgerEntryIds[0]}`, m]));
    for (const s of scenarios.filter((x) => x.miss === 'none')) {
      const ids = { s: s.lines.map((l) => l.statementLineId).sort(), l: s.entries.map((e) => e.entryId).sort() };
      const match = byFirstId.get(`${ids.s[0]}|${ids.l[0]}`);
      if (!match) throw new Error(`${s.direction} ${ids.s[0]}: not matched`);
      expect([match.ruleId, match.statementLineIds, match.ledgerEntryIds]).toEqual([s.direction === 'batch' ? 'batch-by-shared-reference' : 'split-by-shared-reference', ids.s, ids.l]);
    }
    expect(result.matches).toHaveLength(scenarios.filter((x) => x.miss === 'none').length);
  });

  it('every near miss is one case: all its rows SPLIT_INCOMPLETE under the key of its own rows', () => {
    const byId = new Map(result.unmatched.map((item) => [`${item.side}:${item.id}`, item]));
    for (const s of scenarios.filter((x) => x.miss !== 'none')) {
      const key = caseGroupKey(
        s.lines.map((l) => l.statementLineId),
        s.entries.map((e) => e.entryId),
      );
      for (const row of [...s.lines.map((l) => `statement:${l.statementLineId}`), ...s.entries.map((e) => `ledger:${e.entryId}`)]) {
        const item = byId.get(row);
        if (item?.reason !== 'SPLIT_INCOMPLETE' || item.group !== key) throw new Error(`${s.direction}/${s.miss} ${row}: ${JSON.stringify(item)} (expected group ${key})`);
      }
    }
  });

  it('metamorphic: shuffling, renaming ids and matching each scenario on its own give the same matches and the same cases', () => {
    const rename = (id: string): string => `z${id.split('').reverse().join('')}`;
    const back = (id: string): string => id.slice(1).split('').reverse().join('');
    const renamed = matchAll(
      shuffle(
        lines.map((l) => ({ ...l, statementLineId: rename(l.statementLineId) })),
        random,
      ),
      shuffle(
        entries.map((e) => ({ ...e, entryId: rename(e.entryId) })),
        random,
      ),
      rules,
      AS_OF,
    );
    const restore = (r: MatchResult): MatchResult => ({
      matches: r.matches.map((m) => ({ ...m, matchId: '', statementLineIds: m.statementLineIds.map(back).sort(), ledgerEntryIds: m.ledgerEntryIds.map(back).sort() })),
      unmatched: r.unmatched.map((u) => ({ ...u, id: back(u.id) })),
    });
    const plain = (r: MatchResult): MatchResult => ({ matches: r.matches.map((m) => ({ ...m, matchId: '' })), unmatched: r.unmatched });
    const view = (r: MatchResult) => ({
      matches: r.matches.map((m) => `${m.ruleId}:${m.status}:${m.statementLineIds.join('+')}=${m.ledgerEntryIds.join('+')}`).sort(),
      reasons: r.unmatched.map((u) => `${u.side}:${u.id}:${u.reason}`).sort(),
      groups: groupsOf(r),
    });
    expect(view(restore(renamed))).toEqual(view(plain(result)));
    // One scenario at a time (a different cut of the same rows): the same matches and cases.
    const separately = scenarios.map((s) => matchPartition({ statementLines: shuffle(s.lines, random), ledgerEntries: s.entries }, rules, AS_OF));
    expect(view({ matches: separately.flatMap((r) => r.matches), unmatched: separately.flatMap((r) => r.unmatched) })).toEqual(view(result));
    // Group keys depend on the member ids only, not on the company the rows keep.
    expect(separately.flatMap((r) => r.unmatched.map((u) => u.group)).sort()).toEqual(result.unmatched.map((u) => u.group).sort());
  });
});

describe('case group keys (REC-CASE-1, PCI-3)', () => {
  it('depend on the member ids only, in any order, and never read as a card number', () => {
    const random = seededRandom(4242);
    let panLike = 0;
    for (let n = 0; n < 20_000; n += 1) {
      const statementIds = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => `f${n}:0:${i}`);
      const ledgerIds = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => `LE${n}-${i}`);
      const key = caseGroupKey(statementIds, ledgerIds);
      expect(key).toMatch(GROUP);
      expect(caseGroupKey(shuffle(statementIds, random), shuffle(ledgerIds, random))).toBe(key);
      if (containsPan(key)) throw new Error(`${key} reads as a card number`);
      // The unsalted digest: when it reads as a card number, the key must be another one.
      const members = JSON.stringify([...statementIds.map((id) => `statement:${id}`), ...ledgerIds.map((id) => `ledger:${id}`)].sort());
      const raw = `grp-${createHash('sha256').update(members).digest('hex').slice(0, 16)}`;
      if (containsPan(raw)) {
        panLike += 1;
        expect(key).not.toBe(raw);
      } else expect(key).toBe(raw);
    }
    expect(panLike).toBeGreaterThan(0); // the salted path is exercised
    // A statement id and a ledger id that are equal are still different members.
    expect(caseGroupKey(['X'], [])).not.toBe(caseGroupKey([], ['X']));
  });
});
