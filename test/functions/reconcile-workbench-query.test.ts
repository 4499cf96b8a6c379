/**
 * The workbench's query parameters behave the same on AWS as locally (WB-1): one workbench app,
 * asked the same requests through the local server (`ledgerline workbench`: @hono/node-server over
 * HTTP) and through the reconcile-workbench Lambda's handler with the event its ALB target group
 * sends (multi-value headers on, so multi-value query parameters, still URL-encoded: the target
 * group's `lambda_multi_value_headers_enabled` is asserted on the synthesized stack by
 * test/infra/workbench.test.ts), answers each with the same status, headers that matter and body.
 * Generated over every signed-in route and mixes of read, unread, repeated, case-mistyped and
 * percent-encoded parameter names and of valid, bad-enum, percent-encoded, plus-encoded,
 * malformed-escape, control-character, too-long and card-number values.
 */
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import fc from 'fast-check';
import { createWorkbenchLambda } from '../../functions/reconcile-workbench/reconcile-workbench';
import { createWorkbenchApp, csrfToken } from '../../src/recon/workbench/app';
import { CASE_REASONS, CASE_STATUSES, type ExceptionCase } from '../../src/recon/workbench/cases';
import { pageCursor } from '../../src/recon/workbench/cursor';
import { CASE_SORTS, LIST_PARAMETERS } from '../../src/recon/workbench/query';
import { startWorkbenchServer, type WorkbenchServer } from '../../src/recon/workbench/server';
import { exceptionCase, memoryStore, proposedMatch, raisedEvent, reconciler } from '../recon/workbench/helpers';

const SECRET = 'contract-test-secret-of-32-characters';
const CONTEXT = { awsRequestId: 'req-contract' } as Context;
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench/6d0ecf831eec9f09';

function seededCases(): ExceptionCase[] {
  const cases: ExceptionCase[] = [];
  let n = 0;
  for (const status of CASE_STATUSES)
    for (const reason of CASE_REASONS) {
      n += 1;
      const line = `ln${String(n).padStart(3, '0')}x`;
      const fields = {
        status,
        accountId: n % 2 === 0 ? 'NL26VAYB8060476890' : 'ACC 1/2+3',
        ageDays: n % 9,
        statementLineId: line,
        bankReference: `REF/${n} A+B é`,
        ...(n % 3 === 0 ? {} : { assignee: 'rita@bank.example' }),
      };
      cases.push(reason === 'PROPOSED_MATCH' ? proposedMatch({ caseId: `match:${line}`, ...fields }) : exceptionCase({ caseId: `exception:statement:${line}`, reason, ...fields }));
    }
  return cases;
}
const CASES = seededCases();
const CASE_PATH = encodeURIComponent(CASES[0]!.caseId);

/** The signed-in routes, as method and path. A POST is only sent with a parameter (every POST route here reads none, so it is refused before it acts). */
const GETS = ['/', '/api/cases', '/cases', '/cases.csv', '/bulk', `/api/cases/${CASE_PATH}`, `/cases/${CASE_PATH}`, '/dashboard', '/api/dashboard', '/bulk/jobs/job-1'];
const POSTS = [`/api/cases/${CASE_PATH}/actions`, `/cases/${CASE_PATH}/actions`];

/** What is compared of an answer. */
interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}
const COMPARED_HEADERS = ['content-type', 'location', 'content-disposition', 'cache-control'];

describe('the workbench answers the same query through the Lambda behind its ALB as through the local server', () => {
  let server: WorkbenchServer;
  let lambda: ReturnType<typeof createWorkbenchLambda>;

  beforeAll(async () => {
    const store = memoryStore();
    await store.applyImport('run-contract', { raised: CASES.map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    const app = createWorkbenchApp({ store, authenticator: { authenticate: async () => reconciler }, clock: { now: () => new Date('2025-03-05T12:00:00.000Z') }, csrfSecret: SECRET });
    server = await startWorkbenchServer({ host: '127.0.0.1', port: 0, app });
    lambda = createWorkbenchLambda({ app });
  });
  afterAll(async () => server?.close());

  /** The query string as it goes on the wire (the URL parser's encoding, as a browser's or fetch's). */
  const wire = (path: string, search: string) => new URL(`${server.url}${path}${search === '' ? '' : `?${search}`}`).search.replace(/^\?/, '');

  async function local(method: string, path: string, search: string, body?: string): Promise<Answer> {
    const response = await fetch(`${server.url}${path}${search === '' ? '' : `?${search}`}`, {
      method,
      redirect: 'manual',
      headers: { accept: '*/*', ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers.get(name) ?? undefined])), body: await response.text() };
  }

  /**
   * The ALB's event for the same request: the query string as sent, split into its parameters, each
   * name's values (still encoded) in order under the name's first place, a name without `=` an empty
   * value; an object made as the event's JSON makes it (`__proto__` an own property).
   */
  function albEvent(method: string, path: string, search: string, body?: string): ALBEvent {
    const values = new Map<string, string[]>();
    for (const part of wire(path, search).split('&')) {
      if (part === '') continue;
      const at = part.indexOf('=');
      const name = at < 0 ? part : part.slice(0, at);
      values.set(name, [...(values.get(name) ?? []), at < 0 ? '' : part.slice(at + 1)]);
    }
    return {
      requestContext: { elb: { targetGroupArn: TARGET_GROUP } },
      httpMethod: method,
      path,
      multiValueQueryStringParameters: Object.fromEntries(values),
      multiValueHeaders: { host: [new URL(server.url).host], accept: ['*/*'], ...(body === undefined ? {} : { 'content-type': ['application/x-www-form-urlencoded'] }) },
      body: body ?? null,
      isBase64Encoded: false,
    };
  }

  async function onAws(method: string, path: string, search: string, body?: string): Promise<Answer> {
    const result: ALBResult = await lambda(albEvent(method, path, search, body), CONTEXT);
    const headers = result.multiValueHeaders ?? {};
    return { status: result.statusCode, headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, headers[name]?.map(String).join(', ')])), body: result.body ?? '' };
  }

  async function both(method: string, path: string, search: string, body?: string): Promise<Answer> {
    const [here, there] = [await local(method, path, search, body), await onAws(method, path, search, body)];
    expect({ request: `${method} ${path}?${search}`, ...there }).toEqual({ request: `${method} ${path}?${search}`, ...here });
    return here;
  }

  test.each([
    ['a parameter given twice', 'status=OPEN&status=RESOLVED', 400, 'parameter \\"status\\" is given 2 times'],
    ['a parameter given twice, apart', 'status=OPEN&reason=STALE&status=OPEN', 400, 'parameter \\"status\\" is given 2 times'],
    ['a parameter given twice under two encodings of its name', 'st%61tus=OPEN&status=OPEN', 400, 'parameter \\"status\\" is given 2 times'],
    ['an unread parameter', 'limit=5', 400, 'parameter \\"limit\\" is not read by /api/cases'],
    ['an unread parameter in another case', 'Status=OPEN', 400, '(did you mean status?)'],
    ['a bad status', 'status=OPEN,CLOSED', 400, '\\"CLOSED\\"'],
    ['a reason in another case', 'reason=stale', 400, '\\"stale\\" (did you mean STALE?)'],
    ['a bad sort', 'sort=newest', 400, 'parameter \\"sort\\" must be one of urgency, age'],
    ['a percent-encoded status list', 'status=OPEN%2CRESOLVED&reason=%53TALE', 200, '"cases":[{'],
    ['a plus-encoded and percent-encoded account', 'account=ACC+1%2F2%2B3&status=ALL', 200, '"accountId":"ACC 1/2+3"'],
    ['a search with an encoded non-ASCII letter', `q=${encodeURIComponent('A+B é')}&status=ALL`, 200, '"cases":[{'],
    ['a malformed escape', 'q=%E0%A4%A', 200, '"cases":[]'],
    ['a name without a value', 'q&status=ALL', 200, '"cases":[{'],
    ['a card number', 'q=4111111111111111', 422, 'field \\"q\\" contains what looks like a card number'],
  ])('GET /api/cases with %s: %s', async (_name, search, status, fragment) => {
    const answer = await both('GET', '/api/cases', search);
    expect(answer.status).toBe(status);
    expect(answer.body).toContain(fragment);
  });

  test('the list page, its CSV export and the bulk preview echo an encoded filter the same (the preview quotes the query string back)', async () => {
    const search = 'status=ALL&account=ACC+1%2F2%2B3&q=REF%2F1&sort=age';
    for (const path of ['/cases', '/cases.csv', '/bulk']) expect((await both('GET', path, search)).status).toBe(200);
    const next = pageCursor(CASES[4]!, 'age');
    expect((await both('GET', '/api/cases', `sort=age&after=${encodeURIComponent(next)}`)).status).toBe(200);
  });

  test('a POST with a parameter is refused the same, the form unread', async () => {
    const form = new URLSearchParams({ csrf: csrfToken(SECRET, reconciler.user), type: 'comment', note: 'never acted on', expectedVersion: '1' }).toString();
    for (const path of POSTS) expect((await both('POST', path, 'done=1', form)).status).toBe(400);
  });

  /** A parameter's name: one a route reads, one it does not, another case of one, an encoded one. */
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...LIST_PARAMETERS, 'done', 'case') },
    fc.constantFrom('limit', 'offset', 'Status', 'REASON', 'stauts', 'st%61tus', '%71', 'a%20b', 'token', '__proto__', ''),
  );
  /** A value: valid and bad members of the sets, encoded spellings, and the text classes the workbench refuses. */
  const value = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...CASE_STATUSES, ...CASE_REASONS, ...CASE_SORTS, 'ALL', 'OPEN,RESOLVED', '') },
    fc.constantFrom('open', 'Stale', 'OPEN,', 'ALL,OPEN', 'newest', 'OP%45N', '%4F%50%45%4E', 'ACC+1%2F2%2B3', 'REF%2F1+A%2BB', '%C3%A9', '%E0%A4%A', '%ZZ', '%07', '%2B', '+', 'a=b'),
    fc.constantFrom('4111111111111111', '4111+1111+1111+1111', 'x'.repeat(201), 'not-a-cursor'),
    fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/),
  );
  const pair = fc.tuple(name, fc.option(value, { nil: undefined }));
  /** The query string of the pairs; `bare`: a name without a value is written without `=` (the bulk preview excepted: see the test below). */
  const searchOf = (bare: boolean) => fc.array(pair, { maxLength: 4 }).map((pairs) => pairs.map(([n, v]) => (v === undefined ? (bare ? n : `${n}=`) : `${n}=${v}`)).join('&'));

  test('generated requests over every signed-in route: the same status, headers and body from both', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...GETS).chain((path) => fc.tuple(fc.constant(path), searchOf(path !== '/bulk'))),
        async ([path, query]) => {
          await both('GET', path, query);
        },
      ),
      { numRuns: 250 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POSTS),
        searchOf(true).filter((query) => query !== ''),
        async (path, query) => {
          const form = new URLSearchParams({ csrf: csrfToken(SECRET, reconciler.user), type: 'comment', note: 'never acted on', expectedVersion: '1' }).toString();
          expect((await both('POST', path, query, form)).status).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('where the event cannot tell: a name without "=" arrives as "name=" (the event has an empty value for both), so the bulk preview, which quotes the query string back, links with "=" on AWS', async () => {
    const here = await local('GET', '/bulk', 'status');
    const there = await onAws('GET', '/bulk', 'status');
    expect(there.status).toBe(here.status);
    expect(here.body).toContain('href="/cases?status"');
    expect(there.body).toContain('href="/cases?status="');
    expect(there.body.replace(/\?status=/g, '?status')).toBe(here.body);
    expect(await onAws('GET', '/bulk', 'status=')).toEqual(await local('GET', '/bulk', 'status='));
  });

  test('where the event cannot keep the order: a name that is a number comes first in it (an object), so with two unread parameters each side may name another; both refuse', async () => {
    const search = 'zz=1&7=1';
    const [here, there] = [await local('GET', '/api/cases', search), await onAws('GET', '/api/cases', search)];
    expect(here.status).toBe(400);
    expect(there.status).toBe(400);
    expect(here.body).toContain('parameter \\"zz\\" is not read');
    expect(there.body).toContain('parameter \\"7\\" is not read');
  });
});
