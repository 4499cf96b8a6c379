/**
 * The workbench's query parameters, generated over every route, every parameter it reads and
 * every class of bad value (query.ts): each answered 400 with a message naming the parameter (an
 * enumerated one with its allowed values, a value quoted only when it is a word), a parameter the
 * route does not read or one given twice refused on every route; and the valid values still
 * filtering exactly as a model of the filter says, on the JSON API, the list page and the CSV
 * export alike. The list page's own links and form never send a value the API refuses.
 */
import fc from 'fast-check';
import { createWorkbenchApp, csrfToken } from '../../../src/recon/workbench/app';
import { CASE_REASONS, CASE_STATUSES, type CaseStatus, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { pageCursor } from '../../../src/recon/workbench/cursor';
import { CASE_SORTS, FILTER_PARAMETERS, LIST_PARAMETERS, MAX_FILTER_LENGTH, parametersOf, ROUTE_PARAMETERS } from '../../../src/recon/workbench/query';
import { EXCEPTION_REASONS } from '../../../src/recon/types';
import { exceptionCase, memoryStore, proposedMatch, raisedEvent, reconciler, steppingClock } from './helpers';

const SECRET = 'query-test-secret';
const ACCOUNTS = ['NL26VAYB8060476890', '10200123456', 'DE89370400440532013000'];
const ASSIGNEES = ['rita@bank.example', 'anna@bank.example'];

/** Every combination of status and reason, over three accounts, some assigned: 90 cases (one list page). */
function seededCases(): ExceptionCase[] {
  const cases: ExceptionCase[] = [];
  let n = 0;
  for (const status of CASE_STATUSES)
    for (const reason of CASE_REASONS)
      for (const accountId of ACCOUNTS) {
        n += 1;
        const line = `ln${String(n).padStart(4, '0')}x`;
        const fields = { status, accountId, ageDays: (n * 7) % 40, statementLineId: line, ...(n % 3 === 0 ? {} : { assignee: ASSIGNEES[n % 2]! }) };
        cases.push(reason === 'PROPOSED_MATCH' ? proposedMatch({ caseId: `match:${line}`, ...fields }) : exceptionCase({ caseId: `exception:statement:${line}`, reason, ...fields }));
      }
  return cases;
}

const CASES = seededCases();
const CASE_ID = CASES[0]!.caseId;

async function setUp() {
  const store = memoryStore();
  await store.applyImport('run-q', { raised: CASES.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
  const app = createWorkbenchApp({
    store,
    authenticator: { authenticate: async () => reconciler },
    clock: steppingClock('2025-03-05T12:00:00.000Z'),
    csrfSecret: SECRET,
    // An inbox, so the upload pages are routes too (nothing is submitted: every request here is refused first).
    inbox: { submit: async () => Promise.reject(new Error('not submitted here')), status: async () => undefined },
  });
  const csrf = csrfToken(SECRET, reconciler.user);
  /** A request with the query string exactly as given (a name may repeat). */
  const request = async (method: string, path: string, search: string, form?: Record<string, string>) => {
    const response = await app.fetch(
      new Request(`http://workbench.test${path}${search ? `?${search}` : ''}`, {
        method,
        ...(form ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() } : {}),
      }),
    );
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  };
  return { store, csrf, request };
}

/** Each signed-in route of the app, with a request that it answers (a route pattern's `:id` filled in). */
const ROUTES: { route: string; method: string; path: string; form?: (csrf: string) => Record<string, string> }[] = [
  { route: '/', method: 'GET', path: '/' },
  { route: '/api/cases', method: 'GET', path: '/api/cases' },
  { route: '/cases', method: 'GET', path: '/cases' },
  { route: '/cases.csv', method: 'GET', path: '/cases.csv' },
  { route: '/bulk', method: 'GET', path: '/bulk' },
  { route: '/bulk', method: 'POST', path: '/bulk', form: (csrf) => ({ csrf, type: 'comment', note: 'checked by query.test' }) },
  { route: '/api/cases/:id', method: 'GET', path: `/api/cases/${encodeURIComponent(CASE_ID)}` },
  { route: '/api/cases/:id/actions', method: 'POST', path: `/api/cases/${encodeURIComponent(CASE_ID)}/actions` },
  { route: '/api/dashboard', method: 'GET', path: '/api/dashboard' },
  { route: '/dashboard', method: 'GET', path: '/dashboard' },
  { route: '/cases/:id', method: 'GET', path: `/cases/${encodeURIComponent(CASE_ID)}` },
  { route: '/cases/:id/actions', method: 'POST', path: `/cases/${encodeURIComponent(CASE_ID)}/actions`, form: (csrf) => ({ csrf, type: 'comment', note: 'x', expectedVersion: '1' }) },
  { route: '/bulk/jobs/:id', method: 'GET', path: '/bulk/jobs/job-1' },
  { route: '/uploads', method: 'GET', path: '/uploads' },
  { route: '/uploads', method: 'POST', path: '/uploads' },
  { route: '/uploads/:id', method: 'GET', path: '/uploads/u-1' },
];

/** The refusal's message: the JSON error's under /api/, else the HTML page's panel, unescaped. */
function refusal(response: { status: number; type: string; body: string }): string {
  if (response.type.startsWith('application/json')) return (JSON.parse(response.body) as { error: { message: string } }).error.message;
  const panel = /<div class="panel">([^<]*)<\/div>/.exec(response.body);
  if (!panel) throw new Error(`no message in ${response.body.slice(0, 200)}`);
  return panel[1]!
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const query = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** A word that is none of `allowed` (a message may quote it). */
const wordNotIn = (allowed: readonly string[]) => fc.stringMatching(/^[A-Za-z][A-Za-z_-]{0,20}$/).filter((word) => !allowed.includes(word));
/** A member of `allowed` in another case (quoted, with the member it means). */
const otherCase = (allowed: readonly string[]) =>
  fc
    .constantFrom(...allowed)
    .chain((one) => fc.constantFrom(one.toLowerCase(), one.toUpperCase(), one[0]!.toLowerCase() + one.slice(1)))
    .filter((variant) => !allowed.includes(variant));
/** Values that could be an amount, a reference or an account: never quoted back. */
const notAWord = fc.oneof(
  fc.stringMatching(/^-?[1-9][0-9]{0,6}\.[0-9]{2}$/),
  fc.stringMatching(/^INV-20[0-9]{2}-[0-9]{4,6}$/),
  fc.constantFrom(...ACCOUNTS),
  fc.stringMatching(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,20}$/),
);

type Bad = { value: string; quoted?: string; hint?: string; hidden?: boolean };

/** A word outside `allowed` as a message quotes it, with the member it differs from only in case, if any. */
function word(value: string, allowed: readonly string[], bad = value): Bad {
  const hint = allowed.find((one) => one.toLowerCase() === bad.toLowerCase());
  return { value, quoted: bad, ...(hint ? { hint } : {}) };
}

/** Every class of bad value of a parameter, with what its message must (and must not) show. */
function badValues(parameter: string): fc.Arbitrary<Bad> {
  const enumerated = (allowed: readonly string[]) =>
    fc.oneof(
      fc.oneof(wordNotIn(allowed), otherCase(allowed)).map((value) => word(value, allowed)),
      notAWord.map((value) => ({ value, hidden: true })),
    );
  switch (parameter) {
    case 'status':
      return fc.oneof(
        enumerated([...CASE_STATUSES, 'ALL']),
        // One bad item among good ones; an empty item; ALL in a list.
        fc.tuple(fc.subarray([...CASE_STATUSES]), wordNotIn([...CASE_STATUSES, 'ALL'])).map(([good, bad]) => word([...good, bad].join(','), [...CASE_STATUSES, 'ALL'], bad)),
        fc.tuple(fc.subarray([...CASE_STATUSES], { minLength: 1 }), notAWord).map(([good, bad]) => ({ value: [bad, ...good].join(','), hidden: true })),
        fc.subarray([...CASE_STATUSES], { minLength: 1 }).map((good) => ({ value: `${good.join(',')},` })),
        fc.subarray([...CASE_STATUSES], { minLength: 1 }).map((good) => ({ value: ['ALL', ...good].join(','), quoted: 'ALL' })),
      );
    case 'reason':
      return fc.oneof(
        enumerated(CASE_REASONS),
        // Several reasons are not one (the filter takes one).
        fc.subarray([...CASE_REASONS], { minLength: 2 }).map((several) => ({ value: several.join(','), hidden: true })),
      );
    case 'sort':
      return enumerated(CASE_SORTS);
    case 'after':
      return fc.oneof(
        // Any text (too short to tell whether a message quotes it), a damaged cursor, one of the other order (the default is urgency), an overlong one.
        fc
          .string({ minLength: 1, maxLength: 60 })
          .filter((text) => text.trim() !== '')
          .map((value) => ({ value })),
        fc.constantFrom(...CASES.slice(0, 20)).map((c) => {
          const cursor = pageCursor(c, 'urgency');
          return { value: `${cursor.slice(0, -1)}${cursor.endsWith('0') ? '1' : '0'}`, hidden: true };
        }),
        fc.constantFrom(...CASES.slice(0, 20)).map((c) => ({ value: pageCursor(c, 'age'), hidden: true })),
        fc.integer({ min: 2049, max: 4000 }).map((n) => ({ value: 'a'.repeat(n), hidden: true })),
      );
    default:
      // Text: an account, an assignee, a search.
      return fc.oneof(
        fc.integer({ min: MAX_FILTER_LENGTH + 1, max: 3 * MAX_FILTER_LENGTH }).map((n) => ({ value: 'ab1'.repeat(n).slice(0, n), hidden: true })),
        fc
          .tuple(
            fc.stringMatching(/^[A-Za-z0-9]{1,10}$/),
            fc.integer({ min: 0, max: 31 }).filter((code) => ![9, 10, 11, 12, 13].includes(code)),
            fc.stringMatching(/^[A-Za-z0-9]{1,10}$/),
          )
          .map(([head, code, tail]) => ({ value: `${head}${String.fromCharCode(code)}${tail}`, hidden: true })),
      );
  }
}

const ALLOWED: Record<string, readonly string[]> = { status: ['ALL', ...CASE_STATUSES], reason: CASE_REASONS, sort: CASE_SORTS };

describe('the workbench query parameters', () => {
  it('the sets are the domain’s: every exception reason and PROPOSED_MATCH; each signed-in route reads the parameters the table names', () => {
    expect(CASE_REASONS).toEqual([...EXCEPTION_REASONS, 'PROPOSED_MATCH']);
    expect(LIST_PARAMETERS).toEqual([...FILTER_PARAMETERS, 'after']);
    for (const route of Object.keys(ROUTE_PARAMETERS)) expect(ROUTES.map((r) => r.route)).toContain(route);
  });

  it('every bad value of every parameter of every route is a 400 naming the parameter (the allowed values of an enumerated one; a value quoted only when it is a word)', async () => {
    const { csrf, request } = await setUp();
    const withParameters = ROUTES.filter((r) => parametersOf(r.route).some((p) => p !== 'done' && p !== 'case'));
    const cases = withParameters.flatMap((r) => parametersOf(r.route).map((parameter) => ({ ...r, parameter })));
    expect(new Set(cases.map((c) => `${c.method} ${c.route} ${c.parameter}`)).size).toBe(3 * LIST_PARAMETERS.length + 2 * FILTER_PARAMETERS.length);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...cases).chain((target) => badValues(target.parameter).map((bad) => ({ target, bad }))),
        async ({ target, bad }) => {
          const response = await request(target.method, target.path, query({ [target.parameter]: bad.value }), target.form?.(csrf));
          expect([target.method, target.route, target.parameter, bad.value, response.status]).toEqual([target.method, target.route, target.parameter, bad.value, 400]);
          const message = refusal(response);
          expect(message).toContain(`parameter "${target.parameter}"`);
          if (target.route.startsWith('/api/')) expect(JSON.parse(response.body).error.code).toBe('INVALID');
          for (const allowed of ALLOWED[target.parameter] ?? []) expect(message).toContain(allowed);
          if (bad.quoted !== undefined) expect(message).toContain(`"${bad.quoted}"`);
          if (bad.hint !== undefined) expect(message).toContain(`(did you mean ${bad.hint}?)`);
          else expect(message).not.toContain('did you mean');
          if (bad.hidden) expect(message).not.toContain(bad.value);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a parameter a route does not read is a 400 naming it and the ones the route reads, on every route; so is a parameter given twice', async () => {
    const { csrf, request } = await setUp();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.oneof(
          fc.stringMatching(/^[a-z][A-Za-z_]{0,15}$/),
          fc.constantFrom('limit', 'offset', 'page', 'from', 'to', 'amount', 'min', 'max', 'open', 'Status', 'REASON', 'Sort', 'accountId', 'search', 'cursor', 'status[]'),
        ),
        fc.oneof(fc.constant(''), fc.constantFrom('OPEN', 'STALE', '12.50', 'true', '2025-03-01')),
        async (target, name, value) => {
          const reads = parametersOf(target.route);
          fc.pre(!reads.includes(name));
          const response = await request(target.method, target.path, query({ [name]: value }), target.form?.(csrf));
          expect([target.method, target.route, name, response.status]).toEqual([target.method, target.route, name, 400]);
          const message = refusal(response);
          expect(message).toContain(`parameter "${name}"`);
          expect(message).toContain(reads.length > 0 ? `it reads ${reads.join(', ')}` : 'it reads no parameters');
          const like = reads.find((one) => one.toLowerCase() === name.toLowerCase());
          if (like) expect(message).toContain(`(did you mean ${like}?)`);
        },
      ),
      { numRuns: 300 },
    );
    for (const target of ROUTES) {
      for (const parameter of parametersOf(target.route)) {
        const response = await request(target.method, target.path, `${parameter}=&${parameter}=`, target.form?.(csrf));
        expect([target.method, target.route, parameter, response.status]).toEqual([target.method, target.route, parameter, 400]);
        expect(refusal(response)).toContain(`parameter "${parameter}" is given 2 times; give it once`);
      }
    }
  });

  it('a card number in a parameter name or value is a 422, never echoed', async () => {
    const { request } = await setUp();
    for (const [path, search] of [
      ['/api/cases', 'account=4111111111111111'],
      ['/api/cases', 'q=4111111111111111'],
      ['/api/cases', '4111111111111111=x'],
      ['/api/dashboard', '4111111111111111=x'],
    ] as const) {
      const response = await request('GET', path, search);
      expect([path, search, response.status]).toEqual([path, search, 422]);
      expect(response.body).not.toContain('4111111111111111');
    }
  });

  it('valid values filter exactly as the model says, on the API, the list page and the CSV export alike', async () => {
    const { request } = await setUp();
    const statusArb = fc.oneof(
      fc.constant(''),
      fc.constant('ALL'),
      fc.tuple(fc.subarray([...CASE_STATUSES], { minLength: 1 }), fc.boolean()).map(([some, spaced]) => some.join(spaced ? ', ' : ',')),
    );
    const arb = fc.record({
      status: statusArb,
      reason: fc.constantFrom('', ...CASE_REASONS),
      account: fc.constantFrom('', ...ACCOUNTS, 'NO-SUCH-ACCOUNT'),
      assignee: fc.constantFrom('', ...ASSIGNEES),
      q: fc.oneof(
        fc.constant(''),
        fc.constantFrom(...CASES).map((c) => c.statementLineId!),
      ),
      sort: fc.constantFrom('', ...CASE_SORTS),
    });
    await fc.assert(
      fc.asyncProperty(arb, fc.boolean(), async (fields, blanks) => {
        // The HTML form sends every field, the empty ones too; a script sends only what it sets.
        const sent = blanks ? fields : Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ''));
        const statuses: readonly string[] = fields.status === '' ? ['OPEN', 'PENDING_APPROVAL'] : fields.status === 'ALL' ? CASE_STATUSES : fields.status.split(',').map((s) => s.trim());
        const expected = CASES.filter(
          (c) =>
            statuses.includes(c.status as CaseStatus) &&
            (fields.reason === '' || c.reason === fields.reason) &&
            (fields.account === '' || c.accountId === fields.account) &&
            (fields.assignee === '' || c.assignee === fields.assignee) &&
            (fields.q === '' || c.statementLineId === fields.q),
        )
          .map((c) => c.caseId)
          .sort();
        const api = await request('GET', '/api/cases', query(sent));
        expect(api.status).toBe(200);
        expect((JSON.parse(api.body) as { cases: ExceptionCase[] }).cases.map((c) => c.caseId).sort()).toEqual(expected);
        const page = await request('GET', '/cases', query(sent));
        expect(page.status).toBe(200);
        expect([...page.body.matchAll(/<td class="id"><a href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]!).sort()).toEqual(expected);
        const csv = await request('GET', '/cases.csv', query(sent));
        expect(csv.status).toBe(200);
        expect(
          csv.body
            .trimEnd()
            .split('\n')
            .slice(1)
            .map((line) => line.split(',')[0]!)
            .sort(),
        ).toEqual(expected);
      }),
      { numRuns: 120 },
    );
  });

  it('the list page never sends a value the API refuses: its links, its filter form’s every option, and the reason field’s pattern', async () => {
    const { request } = await setUp();
    const page = await request('GET', '/cases', query({ status: 'ALL', reason: 'STALE', sort: 'age', account: ACCOUNTS[0]! }));
    expect(page.status).toBe(200);
    const hrefs = [...page.body.matchAll(/href="(\/(?:cases|cases\.csv|bulk|api\/[^"?]*)(?:\?[^"]*)?)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    const listLinks = hrefs.filter((href) => /^\/(cases|cases\.csv|bulk)(\?|$)/.test(href));
    // The status and reason counts, reset, export and bulk.
    expect(listLinks.length).toBeGreaterThanOrEqual(CASE_STATUSES.length + 4);
    for (const href of listLinks) {
      const [path, search] = href.split('?') as [string, string | undefined];
      expect([href, (await request('GET', path, search ?? '')).status]).toEqual([href, 200]);
    }
    const form = /<form class="panel filters" method="get" action="\/cases">([\s\S]*?)<\/form>/.exec(page.body)![1]!;
    const names = [...form.matchAll(/name="([^"]+)"/g)].map((m) => m[1]!);
    expect(names).toEqual([...FILTER_PARAMETERS]);
    const values = (inner: string) => [...inner.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]!);
    const options = (name: string) => values(new RegExp(`<select name="${name}">([\\s\\S]*?)</select>`).exec(form)![1]!);
    const datalist = values(/<datalist id="reasons">([\s\S]*?)<\/datalist>/.exec(form)![1]!);
    expect(options('status')).toEqual(['', ...CASE_STATUSES, 'ALL']);
    expect(options('sort')).toEqual([...CASE_SORTS]);
    expect(datalist).toEqual([...CASE_REASONS]);
    for (const status of options('status'))
      for (const sort of options('sort'))
        for (const reason of ['', ...datalist]) {
          const sent = query({ status, reason, account: '', assignee: '', q: '', sort });
          expect([sent, (await request('GET', '/cases', sent)).status]).toEqual([sent, 200]);
        }
    // The browser submits the reason field only when its pattern (anchored, as HTML does) takes it: exactly the reasons the API takes.
    const pattern = new RegExp(`^(?:${/<input name="reason"[^>]* pattern="([^"]+)"/.exec(form)![1]!})$`, 'v');
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...CASE_REASONS), wordNotIn([]), notAWord, otherCase(CASE_REASONS)), (reason) => {
        expect(pattern.test(reason)).toBe(CASE_REASONS.includes(reason));
      }),
    );
    for (const name of ['account', 'assignee', 'q']) expect(form).toMatch(new RegExp(`<input name="${name}"[^>]* maxlength="${MAX_FILTER_LENGTH}"`));
  });
});
