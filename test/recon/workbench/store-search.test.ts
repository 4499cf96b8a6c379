/**
 * WB-1 at 1M cases: the embedded store's reference search through its trigram index (FTS5).
 *   - Generated: for random cases (some changed after import: status, reference), random
 *     substrings of their ids and references in random letter case, random non-matching terms and
 *     FTS5 query syntax, every page by cursor equals the old scan (instr over the stored search
 *     text, in the list's order) and, joined, the whole scan: same cases, same order, case-blind.
 *   - FTS5 syntax in a term is matched literally: quotes, OR, NEAR(, *, ^, column filters.
 *   - A store written before the trigram index gets it built once when opened; a big first import
 *     fills it after its inserts, later writes case by case; the search reads the index, never every case.
 */
import fc from 'fast-check';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { type CaseStatus, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { type CaseSort, pageCursor } from '../../../src/recon/workbench/cursor';
import type { CaseFilter } from '../../../src/recon/workbench/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { exceptionCase, raisedEvent, steppingClock } from './helpers';
import { queryPlanOf } from './support/query-plan';

type Db = ReturnType<typeof openMemoryDatabase>;

/** Characters ids and references are made of: letters in both cases, FTS5 syntax, accents, an emoji, a newline. */
const CHARS = ['a', 'B', 'c', 'R', '4', '2', '-', ':', '"', '*', ' ', '(', ')', '^', 'é', 'É', '😀', '\n', 'O', 'r'];
const text = (min: number, max: number) => fc.array(fc.constantFrom(...CHARS), { minLength: min, maxLength: max }).map((chars) => chars.join(''));
const STATUSES: CaseStatus[] = ['OPEN', 'PENDING_APPROVAL', 'RESOLVED'];

const caseArb = fc.record({
  id: text(1, 10),
  line: fc.option(text(1, 12), { nil: undefined }),
  reference: fc.option(text(1, 12), { nil: undefined }),
  ledger: fc.array(text(1, 8), { maxLength: 2 }),
  ageDays: fc.integer({ min: 0, max: 4 }),
  reason: fc.constantFrom('UNMATCHED', 'STALE'),
  status: fc.constantFrom(...STATUSES),
  change: fc.option(fc.record({ status: fc.constantFrom(...STATUSES), reference: fc.option(text(1, 12), { nil: undefined }) }), { nil: undefined }),
});

type CaseGen = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** The old scan: every case of the filter whose stored search text holds the lower-case term, in the list's order. */
function scan(db: Db, filter: CaseFilter & { status: CaseStatus[]; search: string; sort: CaseSort }): string[] {
  const order = filter.sort === 'urgency' ? 'due_day, age_days DESC, case_id' : 'age_days DESC, case_id';
  return db
    .prepare<(string | number)[], { case_id: string }>(
      `SELECT case_id FROM cases WHERE status IN (${filter.status.map(() => '?').join(', ')}) ${filter.reason ? 'AND reason = ?' : ''} AND instr(search_text, ?) > 0 ORDER BY ${order}`,
    )
    .all(...filter.status, ...(filter.reason ? [filter.reason] : []), filter.search.toLowerCase())
    .map((row) => row.case_id);
}

/** Every page of the filter by cursor, pages of `limit`. */
async function pages(store: SqliteWorkbenchStore, filter: CaseFilter & { sort: CaseSort }, limit: number): Promise<string[][]> {
  const out: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list({ ...filter, limit, ...(after ? { after } : {}) });
    if (page.length === 0) return out;
    out.push(page.map((c) => c.caseId));
    if (page.length < limit) return out;
    after = pageCursor(page[page.length - 1]!, filter.sort);
  }
}

function flipCase(term: string, mask: number): string {
  return [...term].map((ch, i) => ((mask >> (i % 16)) & 1 ? ch.toUpperCase() : ch.toLowerCase())).join('');
}

async function storeOf(cases: CaseGen[]): Promise<{ store: SqliteWorkbenchStore; db: Db; made: ExceptionCase[] }> {
  const db = openMemoryDatabase();
  const store = new SqliteWorkbenchStore(db, steppingClock());
  const seen = new Set<string>();
  const made: ExceptionCase[] = [];
  for (const one of cases) {
    const caseId = `exception:${one.id}`;
    if (seen.has(caseId)) continue;
    seen.add(caseId);
    const c = exceptionCase({
      caseId,
      ageDays: one.ageDays,
      reason: one.reason as ExceptionCase['reason'],
      status: one.status,
      ledgerEntryIds: one.ledger,
      ...(one.line !== undefined ? { statementLineId: one.line } : { statementLineId: undefined }),
      ...(one.reference !== undefined ? { bankReference: one.reference } : {}),
    });
    made.push(c);
  }
  await store.applyImport('run-1', { raised: made.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
  // Some cases change after the import: their status, and their reference (the search text).
  const changed = made.map((c, i) => {
    const change = cases.find((one) => `exception:${one.id}` === c.caseId)?.change;
    if (!change || i % 2) return c;
    const next: ExceptionCase = { ...c, status: change.status, version: 2, ...(change.reference !== undefined ? { bankReference: change.reference } : {}) };
    return next;
  });
  await store.saveAll(changed.filter((c) => c.version === 2).map((c) => ({ next: c, event: { ...raisedEvent(c), version: 2, action: 'comment' } })));
  // A later run refreshes some cases' age (and so their due day): the keys the search orders by follow.
  // Some as a group's refresh (REC-CASE-1: its members and ledger entries follow the run, so its search text changes).
  const refreshed = changed
    .filter((_, i) => i % 3 === 0)
    .map((c, i) => ({ ...c, runId: 'run-2', ageDays: (c.ageDays + 3) % 6, ...(i % 2 ? { members: [], ledgerEntryIds: [`${c.bankReference ?? 'x'}-L${i}`] } : {}) }));
  await store.applyImport('run-2', { raised: [], refreshed, reopened: [], cleared: [] });
  const now = await Promise.all(changed.map(async (c) => (await store.get(c.caseId))!));
  return { store, db, made: now };
}

describe('SqliteWorkbenchStore search through the trigram index', () => {
  it('every page of a search equals the old scan of the search text, in order, across cursor pages (random cases, substrings, non-matches)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(caseArb, { minLength: 1, maxLength: 25 }),
        fc.array(
          fc.record({
            pick: fc.nat(),
            field: fc.nat(3),
            from: fc.nat(),
            length: fc.integer({ min: 1, max: 8 }),
            mask: fc.nat(),
            other: text(1, 6),
            literal: fc.constantFrom('a OR b', '"', '""', '*', 'NEAR(', 'NEAR(a b)', 'a*', '^a', 'search_text:a', 'a AND b', 'NOT a', '(a)', 'x"y', '"a"'),
            kind: fc.constantFrom('substring', 'other', 'literal'),
            statuses: fc.subarray(STATUSES, { minLength: 1 }),
            reason: fc.option(fc.constantFrom('UNMATCHED', 'STALE'), { nil: undefined }),
            sort: fc.constantFrom<CaseSort>('age', 'urgency'),
            limit: fc.integer({ min: 1, max: 6 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (cases, queries) => {
          const { store, db, made } = await storeOf(cases);
          for (const q of queries) {
            const c = made[q.pick % made.length]!;
            const fields = [c.caseId, c.statementLineId ?? '', c.bankReference ?? '', c.ledgerEntryIds[0] ?? ''];
            const source = [...fields[q.field]!];
            const from = source.length ? q.from % source.length : 0;
            const term = q.kind === 'substring' && source.length ? flipCase(source.slice(from, from + q.length).join(''), q.mask) : q.kind === 'literal' ? q.literal : q.other;
            const filter = { status: q.statuses, search: term, sort: q.sort, ...(q.reason ? { reason: q.reason } : {}) };
            const expected = scan(db, filter);
            const got = await pages(store, filter, q.limit);
            expect(got.flat()).toEqual(expected);
            for (const page of got.slice(0, -1)) expect(page).toHaveLength(q.limit);
            // The stored text is the ids and references: a case found holds the term, case-blind.
            for (const id of got.flat()) {
              const found = made.find((one) => one.caseId === id)!;
              const haystack = [found.caseId, found.statementLineId ?? '', found.bankReference ?? '', ...found.ledgerEntryIds].join('\n').toLowerCase();
              expect(haystack.includes(term.toLowerCase())).toBe(true);
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('FTS5 query syntax in a term is matched literally, never as a query', async () => {
    const refs = ['a OR b', 'say "hi" now', 'pre*fix', 'NEAR(a b)', 'col:umn', '^start', 'a AND b', 'plain-ref'];
    const made = refs.map((bankReference, i) => exceptionCase({ caseId: `exception:lit-${i}`, bankReference, ageDays: i }));
    const store = new SqliteWorkbenchStore(openMemoryDatabase(), steppingClock());
    await store.applyImport('run-1', { raised: made.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    const found = async (search: string) => (await store.list({ status: ['OPEN'], search })).map((c) => c.caseId).sort();
    expect(await found('a OR b')).toEqual(['exception:lit-0']);
    expect(await found('"hi"')).toEqual(['exception:lit-1']);
    expect(await found('y "h')).toEqual(['exception:lit-1']);
    expect(await found('pre*')).toEqual(['exception:lit-2']);
    expect(await found('re*f')).toEqual(['exception:lit-2']);
    expect(await found('NEAR(')).toEqual(['exception:lit-3']);
    expect(await found('near(a b)')).toEqual(['exception:lit-3']);
    expect(await found('col:umn')).toEqual(['exception:lit-4']);
    expect(await found('^st')).toEqual(['exception:lit-5']);
    expect(await found('A AND B')).toEqual(['exception:lit-6']);
    expect(await found('"')).toEqual(['exception:lit-1']);
    // Terms that as FTS5 syntax would match (or fail on) other cases match nothing here.
    for (const none of ['plain OR ref', 'plain*', '"plain-ref"', 'search_text:plain', 'NEAR(plain ref)', 'pla ref', '""""']) expect(await found(none)).toEqual([]);
  });

  const planOf = (db: Db, store: SqliteWorkbenchStore, filter: CaseFilter): Promise<string[]> => queryPlanOf(db, store, filter, '1');

  it.each(['age', 'urgency'] as const)('%s: a term of 3+ characters reads the trigram index, then the keys and the page by primary key, never a scan', async (sort) => {
    const db = openMemoryDatabase();
    const store = new SqliteWorkbenchStore(db, steppingClock());
    const c = exceptionCase();
    for (const [filter, limit] of [
      [{ status: ['OPEN', 'PENDING_APPROVAL'], search: 'br4', sort }, 11],
      [{ status: ['OPEN'], reason: 'STALE', search: 'br424242', sort, after: pageCursor(c, sort) }, 13],
    ] as [CaseFilter, number][]) {
      const plan = await planOf(db, store, { ...filter, limit });
      expect(plan.some((detail) => /^SCAN s VIRTUAL TABLE INDEX/.test(detail))).toBe(true);
      expect(plan).toContain('SEARCH k USING INTEGER PRIMARY KEY (rowid=?)');
      expect(plan).toContain('SEARCH c USING PRIMARY KEY (case_id=?)');
      expect(plan.filter((detail) => /^SCAN (cases|c|k)\b/.test(detail))).toEqual([]);
    }
  });

  it('opens a store written before the trigram index: builds it once from the cases, then keeps it with every write', async () => {
    const db = openMemoryDatabase();
    const first = new SqliteWorkbenchStore(db, steppingClock());
    const made = ['BR-4242', 'br-1111', 'BR-42zz'].map((bankReference, i) => exceptionCase({ caseId: `exception:old-${i}`, bankReference, ageDays: i }));
    await first.applyImport('run-1', { raised: made.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    db.exec('DROP TABLE case_search; DROP TABLE case_keys;');
    const reopened = new SqliteWorkbenchStore(db, steppingClock());
    expect((await reopened.list({ status: ['OPEN'], search: 'br-42' })).map((c) => c.caseId)).toEqual(['exception:old-2', 'exception:old-0']);
    // Built once: opening again does not add the cases a second time.
    const again = new SqliteWorkbenchStore(db, steppingClock());
    expect(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM case_keys').get()!.n).toBe(3);
    const changed = { ...made[1]!, bankReference: 'BR-4200', status: 'PENDING_APPROVAL' as const, version: 2 };
    await again.save(changed, { ...raisedEvent(changed), version: 2, action: 'comment' });
    expect((await again.list({ status: ['OPEN'], search: 'br-42' })).map((c) => c.caseId)).toEqual(['exception:old-2', 'exception:old-0']);
    expect((await again.list({ status: ['PENDING_APPROVAL'], search: 'br-42' })).map((c) => c.caseId)).toEqual(['exception:old-1']);
    expect(await again.list({ search: 'br-111' })).toEqual([]);
  });

  it('a big first import fills the trigram index after its inserts; later imports write it case by case', async () => {
    const db = openMemoryDatabase();
    const store = new SqliteWorkbenchStore(db, steppingClock());
    const many = Array.from({ length: 10_000 }, (_, i) => exceptionCase({ caseId: `exception:statement:b${String(i).padStart(5, '0')}`, bankReference: `BR${i}`, ageDays: i % 7 }));
    await store.applyImport('run-big', { raised: many.map((one) => ({ next: one, event: raisedEvent(one) })), refreshed: [], reopened: [], cleared: [] });
    expect((await store.list({ status: ['OPEN'], search: 'BR9999' })).map((c) => c.caseId)).toEqual(['exception:statement:b09999']);
    expect(await store.list({ status: ['OPEN'], search: 'br4242', limit: 1000 })).toHaveLength(1);
    const later = exceptionCase({ caseId: 'exception:statement:later', bankReference: 'BR99999' });
    await store.applyImport('run-later', { raised: [{ next: later, event: raisedEvent(later) }], refreshed: [], reopened: [], cleared: [] });
    expect((await store.list({ status: ['OPEN'], search: 'br99999' })).map((c) => c.caseId)).toEqual(['exception:statement:later']);
    expect(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM case_keys').get()!.n).toBe(10_001);
  });
});
