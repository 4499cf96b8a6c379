/**
 * The WorkbenchStore port's paging contract (WB-1 at 1M cases: keyset paging by cursor.ts), shared
 * by both adapters: a runner calls `workbenchStoreCursorContract` with a factory of empty stores
 * (the embedded one: store-cursor.test.ts; DynamoWorkbenchStore can run the same suite against its
 * fake table).
 *
 * What is checked, for random cases (ties of age and due day on purpose), random filters (status
 * set, reason, account, assignee, search, any mix) and random page sizes, in both orders:
 *   - a walk page by page, each page after the cursor of the previous page's last case, visits
 *     exactly the matching cases, each once, in the order of a model sort (cursor.ts's keys);
 *   - the same while cases change status between pages. The guarantee then: no case is visited
 *     twice; the walk's keys only increase; every case that matched the filter the whole time is
 *     visited; every visited case matched the filter when its page was read. (A status change keeps
 *     the case's sort key: it moves in or out of the filter, never along the order.) A case that
 *     joins or leaves the filter mid-walk is visited iff it matches when the walk passes its key;
 *   - a cursor of the other order, or a damaged one, is a CursorError (the app's 400), never a page.
 */
import fc from 'fast-check';
import { CASE_STATUSES, type CaseEvent, type CaseStatus, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { type CaseSort, CursorError, pageCursor, sortKeyOf } from '../../../src/recon/workbench/cursor';
import type { CaseFilter, WorkbenchStore } from '../../../src/recon/workbench/ports';
import { exceptionCase, raisedEvent } from './helpers';

export interface CursorContractOptions {
  /** A store that sorts urgency by age (the port allows it) is checked in the age order for both. */
  sortsByUrgency?: boolean;
  /** Runs of each property (default 40). */
  runs?: number;
}

const REASONS = ['UNMATCHED', 'DUPLICATE', 'STALE'];
const ACCOUNTS = ['acc-1', 'acc-2', 'acc-3'];
const ASSIGNEES = [undefined, 'rita@bank.example', 'anna@bank.example'];
const REFERENCES = ['br-alpha', 'br-beta', 'ref-gamma', undefined];
const SEARCHES = ['br-', 'alpha', 'gamma', ':c1', 'nothing-matches'];
const AS_OF = ['2026-03-10', '2026-03-11', '2026-03-12'];
const AMOUNTS = ['-7.00', '25000.00', '3.10'];

/** One generated case: every field the list filters or sorts on drawn from a few values (ties on purpose). */
const caseShape = fc.record({
  ageDays: fc.integer({ min: 0, max: 4 }),
  reason: fc.constantFrom(...REASONS),
  accountId: fc.constantFrom(...ACCOUNTS),
  assignee: fc.constantFrom(...ASSIGNEES),
  bankReference: fc.constantFrom(...REFERENCES),
  // Mostly OPEN: pages filled from one status's ranges, as well as merged from several.
  status: fc.constantFrom<CaseStatus>('OPEN', 'OPEN', 'OPEN', ...CASE_STATUSES),
  asOf: fc.constantFrom(...AS_OF),
  amount: fc.constantFrom(...AMOUNTS),
});
type CaseShape = typeof caseShape extends fc.Arbitrary<infer T> ? T : never;

const filterShape = fc.record(
  {
    status: fc.subarray([...CASE_STATUSES], { minLength: 1 }),
    reason: fc.constantFrom(...REASONS),
    accountId: fc.constantFrom(...ACCOUNTS),
    assignee: fc.constantFrom(...ASSIGNEES.filter((a) => a !== undefined)),
    search: fc.constantFrom(...SEARCHES),
  },
  { requiredKeys: [] },
);

function casesOf(shapes: readonly CaseShape[]): ExceptionCase[] {
  return shapes.map((shape, i) => {
    const { assignee, bankReference, ...rest } = shape;
    return exceptionCase({
      ...rest,
      caseId: `exception:statement:c${i}`,
      statementLineId: `sl-${i}`,
      ...(assignee ? { assignee } : {}),
      ...(bankReference ? { bankReference: `${bankReference}-${i}` } : {}),
    });
  });
}

/** The model of the list's filter (ports.ts CaseFilter). */
function matches(c: ExceptionCase, filter: CaseFilter): boolean {
  if (filter.status && !filter.status.includes(c.status)) return false;
  if (filter.reason && c.reason !== filter.reason) return false;
  if (filter.accountId && c.accountId !== filter.accountId) return false;
  if (filter.assignee && c.assignee !== filter.assignee) return false;
  if (filter.search) {
    const q = filter.search.toLowerCase();
    if (![c.caseId, c.statementLineId ?? '', c.bankReference ?? '', ...c.ledgerEntryIds].some((text) => text.toLowerCase().includes(q))) return false;
  }
  return true;
}

/** The model of the list's order: cursor.ts's sort key, compared field by field. */
function compare(a: ExceptionCase, b: ExceptionCase, sort: CaseSort): number {
  const x = sortKeyOf(a, sort);
  const y = sortKeyOf(b, sort);
  if (x.sort === 'urgency' && y.sort === 'urgency' && x.dueDay !== y.dueDay) return x.dueDay < y.dueDay ? -1 : 1;
  if (x.ageDays !== y.ageDays) return y.ageDays - x.ageDays;
  return x.caseId < y.caseId ? -1 : x.caseId > y.caseId ? 1 : 0;
}

async function seed(store: WorkbenchStore, cases: readonly ExceptionCase[]): Promise<void> {
  for (const c of cases) await store.save(c, raisedEvent(c));
}

/** The case at its next version with another status (its sort key unchanged: asOf, age, reason and amount stay). */
function moved(c: ExceptionCase, status: CaseStatus, at: string): { next: ExceptionCase; event: CaseEvent } {
  const next = { ...c, status, version: c.version + 1, updatedAt: at };
  return { next, event: { caseId: c.caseId, version: next.version, action: 'comment', actor: 'rita@bank.example', at, from: c.status, to: status, note: 'moved' } };
}

export function workbenchStoreCursorContract(name: string, emptyStore: () => Promise<WorkbenchStore>, options: CursorContractOptions = {}): void {
  const runs = options.runs ?? 40;
  const orders: CaseSort[] = ['age', 'urgency'];
  /** The order a store lists `sort` in. */
  const effective = (sort: CaseSort): CaseSort => (options.sortsByUrgency === false ? 'age' : sort);

  describe(`${name}: paging by cursor (WorkbenchStore contract)`, () => {
    it('a walk by cursor visits every matching case exactly once, in the sort order, for any filter and page size', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(caseShape, { maxLength: 40, size: 'max' }), filterShape, fc.constantFrom(...orders), fc.integer({ min: 1, max: 9 }), async (shapes, filter, sort, limit) => {
          const store = await emptyStore();
          const cases = casesOf(shapes);
          await seed(store, cases);
          const expected = cases
            .filter((c) => matches(c, filter))
            .sort((a, b) => compare(a, b, effective(sort)))
            .map((c) => c.caseId);
          const visited: string[] = [];
          let after: string | undefined;
          for (let pages = 0; pages <= cases.length + 1; pages += 1) {
            const page = await store.list({ ...filter, sort, limit, ...(after ? { after } : {}) });
            expect(page.length).toBeLessThanOrEqual(limit);
            visited.push(...page.map((c) => c.caseId));
            if (page.length < limit) break;
            after = pageCursor(page[page.length - 1]!, sort);
          }
          expect(visited).toEqual(expected);
        }),
        { numRuns: runs },
      );
    });

    it('while cases change status between pages: none twice, in order, every case that matched throughout is visited, each matched when read', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(caseShape, { minLength: 1, maxLength: 40, size: 'max' }),
          filterShape,
          fc.constantFrom(...orders),
          fc.integer({ min: 1, max: 6 }),
          // After each page: which cases move (by index, modulo the count) and to which status.
          fc.array(fc.array(fc.record({ index: fc.nat(), status: fc.constantFrom(...CASE_STATUSES) }), { maxLength: 4 }), { maxLength: 30 }),
          async (shapes, filter, sort, limit, moves) => {
            const store = await emptyStore();
            const cases = casesOf(shapes);
            await seed(store, cases);
            const current = new Map(cases.map((c) => [c.caseId, c]));
            const leftFilter = new Set<string>(cases.filter((c) => !matches(c, filter)).map((c) => c.caseId));
            const visited: ExceptionCase[] = [];
            let after: string | undefined;
            for (let pages = 0; ; pages += 1) {
              expect(pages).toBeLessThanOrEqual(cases.length + 1);
              const page = await store.list({ ...filter, sort, limit, ...(after ? { after } : {}) });
              for (const c of page) {
                // What the page shows is the case as it is now, and it matches the filter now.
                expect(c).toEqual(current.get(c.caseId));
                expect(matches(c, filter)).toBe(true);
              }
              visited.push(...page);
              if (page.length < limit) break;
              after = pageCursor(page[page.length - 1]!, sort);
              let stamp = 0;
              for (const move of moves[pages] ?? []) {
                const c = [...current.values()][move.index % cases.length]!;
                if (c.status === move.status) continue;
                stamp += 1;
                const { next, event } = moved(c, move.status, `2026-03-13T00:00:${String(stamp).padStart(2, '0')}.000Z`);
                await store.save(next, event);
                current.set(c.caseId, next);
                if (!matches(next, filter)) leftFilter.add(c.caseId);
              }
            }
            const ids = visited.map((c) => c.caseId);
            expect(new Set(ids).size).toBe(ids.length);
            for (let i = 1; i < visited.length; i += 1) expect(compare(visited[i - 1]!, visited[i]!, effective(sort))).toBeLessThan(0);
            const throughout = cases.filter((c) => !leftFilter.has(c.caseId)).map((c) => c.caseId);
            expect(ids).toEqual(expect.arrayContaining(throughout));
          },
        ),
        { numRuns: runs },
      );
    });

    it('walks ties page by page through every index: one due day, four ages; a page after the last case is empty; a cursor of a case that left the filter still pages on', async () => {
      const store = await emptyStore();
      // Opened the same day (asOf - age), so one due day: the urgency order falls back on age, then id.
      const cases = [0, 1, 2, 3].map((i) =>
        exceptionCase({ caseId: `exception:statement:c${i}`, ageDays: i, asOf: `2026-03-1${i}`, reason: 'UNMATCHED', accountId: 'acc-1', assignee: 'rita@bank.example', status: 'OPEN' }),
      );
      await seed(store, cases);
      const newestLast = ['exception:statement:c3', 'exception:statement:c2', 'exception:statement:c1', 'exception:statement:c0'];
      const walk = async (filter: CaseFilter, limit: number): Promise<string[][]> => {
        const pages: string[][] = [];
        let after: string | undefined;
        while (pages.length <= cases.length) {
          const page = await store.list({ ...filter, limit, ...(after ? { after } : {}) });
          pages.push(page.map((c) => c.caseId));
          if (page.length < limit) return pages;
          after = pageCursor(page[page.length - 1]!, filter.sort ?? 'age');
        }
        return pages; // more pages than cases: a cursor that does not move on
      };
      for (const sort of orders) {
        for (const filter of [
          { status: ['OPEN'] },
          {},
          { status: ['OPEN'], reason: 'UNMATCHED' },
          { accountId: 'acc-1' },
          { status: ['OPEN', 'RESOLVED'], assignee: 'rita@bank.example' },
          { status: ['OPEN'], search: 'statement:c' },
          { reason: 'UNMATCHED', search: 'STATEMENT' },
        ] as CaseFilter[]) {
          expect(await walk({ ...filter, sort }, 1)).toEqual([...newestLast.map((id) => [id]), []]);
          expect(await walk({ ...filter, sort }, 2)).toEqual([newestLast.slice(0, 2), newestLast.slice(2), []]);
          expect(await walk({ ...filter, sort }, 3)).toEqual([newestLast.slice(0, 3), newestLast.slice(3)]);
        }
      }
      // c2 is resolved: a cursor made at c2 still starts just after it.
      const cursor = pageCursor(cases[2]!, 'age');
      const { next, event } = moved(cases[2]!, 'RESOLVED', '2026-03-13T00:00:00.000Z');
      await store.save(next, event);
      expect((await store.list({ status: ['OPEN'], sort: 'age', after: cursor })).map((c) => c.caseId)).toEqual(['exception:statement:c1', 'exception:statement:c0']);
    });

    it('a cursor of the other order or a damaged one is a CursorError naming the parameter, never a page', async () => {
      const store = await emptyStore();
      const [c] = casesOf([{ ageDays: 1, reason: 'UNMATCHED', accountId: 'acc-1', assignee: undefined, bankReference: undefined, status: 'OPEN', asOf: AS_OF[0]!, amount: '-7.00' }]);
      await seed(store, [c!]);
      const age = pageCursor(c!, 'age');
      await expect(store.list({ sort: 'urgency', after: age })).rejects.toThrow(CursorError);
      await expect(store.list({ sort: 'age', after: `${age.slice(0, -1)}${age.endsWith('0') ? '1' : '0'}` })).rejects.toThrow('parameter "after"');
      await expect(store.list({ after: 'page-2' })).rejects.toThrow(CursorError);
    });
  });
}
