/**
 * The list's pages in the app (WB-1 at 1M cases): next and first page links carrying the cursor
 * with the filter kept, the JSON API's `next`, a bad cursor answered 400 naming the parameter, and
 * the CSV export walking every matching case by cursor, a page read only as the download is read.
 */
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import type { ExceptionCase } from '../../../src/recon/workbench/cases';
import { pageCursor } from '../../../src/recon/workbench/cursor';
import type { CaseFilter, WorkbenchRequest, WorkbenchStore } from '../../../src/recon/workbench/ports';
import { exceptionCase, memoryStore, raisedEvent, steppingClock, viewer } from './helpers';

const LIST_LIMIT = 200;

/** n cases over two reasons, ages 0..29 (ties), due days spread by age and as-of date. */
function manyCases(n: number): ExceptionCase[] {
  return Array.from({ length: n }, (_, i) =>
    exceptionCase({
      caseId: `exception:statement:p${String(i).padStart(4, '0')}`,
      statementLineId: `p${i}`,
      reason: i % 3 === 0 ? 'DUPLICATE' : 'UNMATCHED',
      ageDays: (i * 7) % 30,
      asOf: i % 2 === 0 ? '2026-03-10' : '2026-03-12',
      status: i % 10 === 0 ? 'RESOLVED' : 'OPEN',
    }),
  );
}

async function setUp(n: number) {
  const store = memoryStore();
  const cases = manyCases(n);
  await store.applyImport('run-p', { raised: cases.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
  const calls: CaseFilter[] = [];
  // The store as the app sees it, recording each list call.
  const counted: WorkbenchStore = Object.assign(Object.create(store) as WorkbenchStore, {
    list: (filter: CaseFilter) => {
      calls.push(filter);
      return store.list(filter);
    },
  });
  const app = createWorkbenchApp({ store: counted, authenticator: { authenticate: async () => viewer }, clock: steppingClock('2026-03-12T09:00:00.000Z'), csrfSecret: 's' });
  const get = (path: string, query: Record<string, string> = {}) => app({ method: 'GET', path, query, headers: {}, body: '' } satisfies WorkbenchRequest);
  return { store, cases, calls, app, get };
}

const ids = (body: string) => [...body.matchAll(/<td class="id"><a href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]!);
/** The query of the page link with this rel, decoded. */
function link(body: string, rel: 'next' | 'first'): Record<string, string> | undefined {
  const found = new RegExp(`<a href="/cases(\\?[^"]*)?" rel="${rel}">`).exec(body);
  return found ? Object.fromEntries(new URLSearchParams((found[1] ?? '').replace(/&amp;/g, '&'))) : undefined;
}

describe('the case list by pages', () => {
  it('links the next page by cursor with the filter kept, and the first page; the pages hold every matching case once, in order', async () => {
    const { store, get } = await setUp(450);
    for (const query of [{}, { sort: 'age' }, { reason: 'UNMATCHED', sort: 'age' }, { status: 'ALL', reason: 'UNMATCHED' }] as Record<string, string>[]) {
      const expected = (await store.list({ ...listFilterOf(query), limit: 1000 })).map((c) => c.caseId);
      expect(expected.length).toBeGreaterThan(LIST_LIMIT);
      const seen: string[] = [];
      let next: Record<string, string> | undefined = query;
      for (let page = 0; next; page += 1) {
        const response = await get('/cases', next);
        expect(response.status).toBe(200);
        const shown = ids(response.body);
        seen.push(...shown);
        // The first page has no first-page link; later pages do, with the filter and no cursor.
        expect(link(response.body, 'first')).toEqual(page === 0 ? undefined : query);
        next = link(response.body, 'next');
        if (next) {
          expect(shown).toHaveLength(LIST_LIMIT);
          const { after, ...kept } = next;
          expect(kept).toEqual(query);
          expect(after).toMatch(/^(age|urgency)\.[A-Za-z0-9._-]+$/);
        }
        expect(page).toBeLessThan(5);
      }
      expect(seen).toEqual(expected);
    }
  });

  it('the JSON API gives the next cursor; walking it covers the filter', async () => {
    const { store, get } = await setUp(450);
    const expected = (await store.list({ status: ['OPEN', 'PENDING_APPROVAL'], sort: 'urgency', limit: 1000 })).map((c) => c.caseId);
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const response = await get('/api/cases', after ? { after } : {});
      expect(response.status).toBe(200);
      const body = JSON.parse(response.body) as { cases: ExceptionCase[]; next?: string };
      seen.push(...body.cases.map((c) => c.caseId));
      after = body.next;
    } while (after);
    expect(seen).toEqual(expected);
  });

  it('a bad, damaged or foreign cursor is a 400 naming the parameter, never a 500 or a page', async () => {
    const { cases, get } = await setUp(5);
    const age = pageCursor(cases[1]!, 'age');
    const damaged = `${age.slice(0, -1)}${age.endsWith('0') ? '1' : '0'}`;
    for (const [path, query] of [
      ['/cases', { after: 'page-2' }],
      ['/cases', { after: damaged, sort: 'age' }],
      ['/cases', { after: age }], // the default order is urgency
      ['/api/cases', { after: 'x'.repeat(5000) }],
      ['/api/cases', { after: age, sort: 'urgency' }],
    ] as [string, Record<string, string>][]) {
      const response = await get(path, query);
      expect(response.status).toBe(400);
      expect(response.body).toMatch(/parameter (&quot;|\\?")after(&quot;|\\?") is not a page cursor of this list/);
    }
    expect((await get('/cases', { after: age, sort: 'age' })).status).toBe(200);
    // An empty cursor is the first page.
    expect(ids((await get('/cases', { after: '' })).body)).toEqual(ids((await get('/cases')).body));
  });
});

describe('the CSV export by cursor', () => {
  it('exports every matching case across several store pages, in the list order, ignoring any cursor in the query', async () => {
    const { store, calls, get } = await setUp(2345);
    const first = await store.list({ sort: 'age', limit: 1000 });
    const all = first.map((c) => c.caseId);
    for (let after = pageCursor(first.at(-1)!, 'age'); ;) {
      const page = await store.list({ sort: 'age', limit: 1000, after });
      all.push(...page.map((c) => c.caseId));
      if (page.length < 1000) break;
      after = pageCursor(page.at(-1)!, 'age');
    }
    expect(all).toHaveLength(2345);
    calls.length = 0;
    const csv = await get('/cases.csv', { status: 'ALL', sort: 'age', after: pageCursor((await store.get(all[1500]!))!, 'age') });
    expect(csv.status).toBe(200);
    const lines = csv.body.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^caseId,kind,status,/);
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(all);
    // Three store pages of 1000 (the third short), each after the previous page's last case.
    expect(calls.map((call) => [call.limit, call.after === undefined])).toEqual([
      [1000, true],
      [1000, false],
      [1000, false],
    ]);
  });

  it('reads a page from the store only as the download is read (streamed, never all in memory)', async () => {
    const { calls, app } = await setUp(2345);
    calls.length = 0;
    const response = await app.fetch(new Request('http://workbench.test/cases.csv?status=ALL'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // Answered after the first page; the rest is read as the body is.
    expect(calls).toHaveLength(1);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += decoder.decode(chunk.value, { stream: true });
      // Each piece is one store page: read from the store only when the download asked for it.
      expect(calls.length).toBe(Math.ceil((text.split('\n').length - 2) / 1000));
    }
    expect(calls).toHaveLength(3);
    expect(text.trimEnd().split('\n')).toHaveLength(1 + 2345);
  });

  it('an empty selection is the header alone', async () => {
    const { get } = await setUp(3);
    // No case of the three has this reason (a reason outside the domain's set is refused: query.test.ts).
    const csv = await get('/cases.csv', { reason: 'STALE' });
    expect(csv.status).toBe(200);
    expect(csv.body.trimEnd().split('\n')).toHaveLength(1);
  });
});

/** The store filter the app makes of a list query (its defaults: open + pending approval, urgency). */
function listFilterOf(query: Record<string, string>): CaseFilter {
  return {
    ...(query.status === 'ALL' ? {} : { status: ['OPEN', 'PENDING_APPROVAL'] }),
    ...(query.reason ? { reason: query.reason } : {}),
    sort: query.sort === 'age' ? 'age' : 'urgency',
  };
}
