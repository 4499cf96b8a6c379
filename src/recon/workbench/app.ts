/**
 * The exceptions workbench's HTTP app, framework-free: one function from WorkbenchRequest to
 * WorkbenchResponse, served by node:http locally (server.ts) and by a Lambda behind the ALB on
 * AWS. Server-rendered HTML pages (no script) with form POSTs protected by a CSRF token, and a
 * JSON API over the same use cases. Every response carries the security headers; every error is
 * answered before anything is written.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type Actor,
  allowedActions,
  applyCaseAction,
  CASE_ACTION_TYPES,
  CASE_STATUSES,
  type CaseEvent,
  type CaseStatus,
  type ExceptionCase,
  parseCaseAction,
  parseExpectedVersion,
  refuseCardNumbers,
  WorkbenchError,
} from './cases';
import { createLogger } from '../../lambda/logger';
import { dashboardData } from './dashboard';
import { renderDashboard } from './dashboard-html';
import { csvTable } from '../run/csv-writer';
import { actOnLedger, movesMoney, type WorkbenchLedgerDeps } from '../../use-cases/post-adjustment/post-adjustment';
import { caseHref, type ListFilterForm, renderCaseDetail, renderCaseList, renderMessagePage, STYLESHEET_PATH, WORKBENCH_CSS } from './html';
import {
  AuthenticationError,
  type Authenticator,
  type CaseFilter,
  CaseVersionConflict,
  type Clock,
  type WorkbenchApp,
  type WorkbenchRequest,
  type WorkbenchResponse,
  type WorkbenchStore,
} from './ports';

export const MAX_BODY_BYTES = 64 * 1024;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
});

export interface WorkbenchAppDeps {
  store: WorkbenchStore;
  authenticator: Authenticator;
  clock: Clock;
  /** Keys the CSRF token of the HTML forms (HMAC-SHA256 of the signed-in user). */
  csrfSecret: string;
  /**
   * ADJ-1: the ledger approved write-offs (and suspense bookings) post to. Without it, an action
   * that would move money is refused (503) rather than resolving the case with nothing booked.
   */
  ledger?: WorkbenchLedgerDeps;
}

const log = createLogger({ component: 'workbench' }, (line) => process.stderr.write(`${line}\n`));

const DEFAULT_STATUSES: readonly CaseStatus[] = ['OPEN', 'PENDING_APPROVAL'];
const LIST_LIMIT = 200;
const MAX_FILTER_LENGTH = 200;

/** The CSRF token of a user's forms: HMAC-SHA256(secret, user), hex. */
export function csrfToken(csrfSecret: string, user: string): string {
  return createHmac('sha256', csrfSecret).update(user).digest('hex');
}

/** Constant-time comparison of a presented secret (token, cookie, CSRF field) with the expected one. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function respond(status: number, contentType: string, body: string, headers: Record<string, string> = {}): WorkbenchResponse {
  return { status, headers: { ...SECURITY_HEADERS, 'content-type': contentType, ...headers }, body };
}

const htmlResponse = (status: number, body: string, headers?: Record<string, string>) => respond(status, 'text/html; charset=utf-8', body, headers);
const jsonResponse = (status: number, value: unknown, headers?: Record<string, string>) => respond(status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
const redirect = (location: string) => respond(303, 'text/plain; charset=utf-8', `See ${location}`, { location });

const ERROR_CODES: Record<number, string> = {
  400: 'INVALID',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'CARD_NUMBER',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
const ERROR_TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Sign-in required',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request too large',
  415: 'Unsupported content type',
  422: 'Card number refused',
  500: 'Something went wrong',
  503: 'Not available here',
};

/** A refusal answered as a JSON error under /api/, else as an HTML page. */
class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function problemResponse(api: boolean, status: number, message: string, actor?: Actor, headers?: Record<string, string>): WorkbenchResponse {
  if (api) return jsonResponse(status, { error: { code: ERROR_CODES[status] ?? 'ERROR', message } }, headers);
  return htmlResponse(status, renderMessagePage({ title: ERROR_TITLES[status] ?? 'Error', message, ...(actor ? { actor } : {}) }), headers);
}

type RouteName = 'healthz' | 'stylesheet' | 'root' | 'list' | 'export' | 'detail' | 'act' | 'apiList' | 'apiDetail' | 'apiAct' | 'dashboard' | 'apiDashboard';
interface Route {
  name: RouteName;
  method: 'GET' | 'POST';
  caseId?: string;
  api: boolean;
}

/** Matches the raw (percent-encoded) path; the case id is one encoded path segment. */
function matchRoute(path: string): Route | undefined {
  const fixed: Record<string, Route> = {
    '/healthz': { name: 'healthz', method: 'GET', api: false },
    [STYLESHEET_PATH]: { name: 'stylesheet', method: 'GET', api: false },
    '/': { name: 'root', method: 'GET', api: false },
    '/cases': { name: 'list', method: 'GET', api: false },
    '/cases.csv': { name: 'export', method: 'GET', api: false },
    '/api/cases': { name: 'apiList', method: 'GET', api: true },
    '/dashboard': { name: 'dashboard', method: 'GET', api: false },
    '/api/dashboard': { name: 'apiDashboard', method: 'GET', api: true },
  };
  if (Object.prototype.hasOwnProperty.call(fixed, path)) return fixed[path];
  const match = /^(\/api)?\/cases\/([^/]+)(\/actions)?$/.exec(path);
  if (!match) return undefined;
  let caseId: string;
  try {
    caseId = decodeURIComponent(match[2]!);
  } catch {
    return undefined;
  }
  const api = match[1] !== undefined;
  const acting = match[3] !== undefined;
  const name: RouteName = api ? (acting ? 'apiAct' : 'apiDetail') : acting ? 'act' : 'detail';
  return { name, method: acting ? 'POST' : 'GET', caseId, api };
}

function filterText(query: Readonly<Record<string, string>>, name: string): string {
  const value = (query[name] ?? '').trim();
  // PCI-3: a filter is typed too (and shown back in the form): one with a card number is refused, not
  // echoed. Filters name identifiers (accounts, references), so identifier evidence (PCI-2).
  refuseCardNumbers({ [name]: value }, [], 'identifier');
  if (value.length > MAX_FILTER_LENGTH) throw new WorkbenchError('INVALID', `filter "${name}" is longer than ${MAX_FILTER_LENGTH} characters`);
  return value;
}

/** Reads the list filter from the query: status is a comma list, ALL, or empty (= OPEN + PENDING_APPROVAL). */
function listFilter(query: Readonly<Record<string, string>>): { filter: CaseFilter; form: ListFilterForm } {
  const form: ListFilterForm = {
    status: filterText(query, 'status'),
    reason: filterText(query, 'reason'),
    account: filterText(query, 'account'),
    assignee: filterText(query, 'assignee'),
    q: filterText(query, 'q'),
  };
  let status: readonly CaseStatus[] | undefined = DEFAULT_STATUSES;
  if (form.status === 'ALL') status = undefined;
  else if (form.status !== '') {
    const wanted = form.status.split(',').map((s) => s.trim());
    const unknown = wanted.filter((s) => !(CASE_STATUSES as readonly string[]).includes(s));
    if (unknown.length) throw new WorkbenchError('INVALID', `filter "status" must be ALL or a comma list of ${CASE_STATUSES.join(', ')}; got "${unknown.join(', ')}"`);
    status = wanted as CaseStatus[];
  }
  const filter: CaseFilter = {
    ...(status ? { status } : {}),
    ...(form.reason ? { reason: form.reason } : {}),
    ...(form.account ? { accountId: form.account } : {}),
    ...(form.assignee ? { assignee: form.assignee } : {}),
    ...(form.q ? { search: form.q } : {}),
    limit: LIST_LIMIT,
  };
  return { filter, form };
}

const EXPORT_PAGE = 1000;

export const CASES_CSV_COLUMNS = [
  'caseId',
  'kind',
  'status',
  'reason',
  'accountId',
  'currency',
  'amount',
  'ageDays',
  'statementLineId',
  'bankReference',
  'ledgerEntryIds',
  'ruleId',
  'confidence',
  'assignee',
  'resolution',
  'resolutionNote',
  'resolvedBy',
  'resolvedAt',
  'runId',
  'version',
  'updatedAt',
] as const;

/** The export through the one formula-safe CSV writer (REC-OUT-1): every text cell neutralised, the numbers stay numbers. */
export const CASES_CSV = csvTable(CASES_CSV_COLUMNS, { numeric: ['amount', 'ageDays', 'confidence', 'version'] });

/** The filtered cases as CSV, one row per case, the columns of CASES_CSV_COLUMNS. */
export function casesCsv(cases: readonly ExceptionCase[]): string {
  return CASES_CSV.render(
    cases.map((c) => [
      c.caseId,
      c.kind,
      c.status,
      c.reason,
      c.accountId,
      c.currency,
      c.amount,
      c.ageDays,
      c.statementLineId,
      c.bankReference,
      c.ledgerEntryIds.join(' '),
      c.ruleId,
      c.confidence,
      c.assignee,
      c.resolution?.kind,
      c.resolution?.note,
      c.resolution?.by,
      c.resolution?.at,
      c.runId,
      c.version,
      c.updatedAt,
    ]),
  );
}

function mediaType(request: WorkbenchRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function createWorkbenchApp(deps: WorkbenchAppDeps): WorkbenchApp {
  const { store, authenticator, clock, csrfSecret } = deps;

  async function existingCase(caseId: string): Promise<ExceptionCase> {
    const found = await store.get(caseId);
    if (!found) throw new WorkbenchError('NOT_FOUND', `case ${caseId} does not exist`);
    return found;
  }

  /** Decides and saves one action; a lost conditional write is a CONFLICT and nothing is written. */
  async function act(caseId: string, fields: Record<string, unknown>, actor: Actor): Promise<{ case: ExceptionCase; event: CaseEvent }> {
    // PCI-3 first: no field carrying a card number is read, quoted or stored.
    refuseCardNumbers(fields, ['csrf']);
    const current = await existingCase(caseId);
    const expectedVersion = parseExpectedVersion(fields.expectedVersion);
    const action = parseCaseAction(fields);
    if (movesMoney(current, action)) {
      const at = clock.now().toISOString();
      if (deps.ledger) {
        try {
          return await actOnLedger(deps.ledger, store, current, action, actor, at, expectedVersion);
        } catch (error) {
          if (error instanceof CaseVersionConflict) throw new WorkbenchError('CONFLICT', `case ${caseId} was changed by someone else a moment ago; reload it to see the change and try again`);
          throw error;
        }
      }
      if (action.type !== 'reject-write-off') {
        // Decide first (role, four eyes, version), so a refusal names the real fault; then refuse to resolve with nothing booked.
        applyCaseAction(current, action, actor, at, expectedVersion);
        throw new WorkbenchError(
          'UNAVAILABLE',
          `this workbench has no ledger configured, so ${action.type === 'reopen' ? `reversing the booking of case ${caseId}` : `booking the write-off of case ${caseId}`} would post nothing; nothing was changed. Start it with --state DIR (the posting state directory)`,
        );
      }
    }
    const { next, event } = applyCaseAction(current, action, actor, clock.now().toISOString(), expectedVersion);
    try {
      await store.save(next, event);
    } catch (error) {
      if (error instanceof CaseVersionConflict) throw new WorkbenchError('CONFLICT', `case ${caseId} was changed by someone else a moment ago; reload it to see the change and try again`);
      throw error;
    }
    return { case: next, event };
  }

  async function detailPage(caseId: string, actor: Actor, status: number, flash?: { kind: 'ok' | 'error'; message: string }): Promise<WorkbenchResponse> {
    const found = await existingCase(caseId);
    const history = await store.history(caseId);
    const body = renderCaseDetail({ actor, case: found, history, allowed: allowedActions(found, actor), csrf: csrfToken(csrfSecret, actor.user), ...(flash ? { flash } : {}) });
    return htmlResponse(status, body);
  }

  async function handle(route: Route, request: WorkbenchRequest, actor: Actor): Promise<WorkbenchResponse> {
    switch (route.name) {
      case 'root':
        return redirect('/cases');
      case 'list': {
        const { filter, form } = listFilter(request.query);
        const [cases, counts] = await Promise.all([store.list(filter), store.counts()]);
        return htmlResponse(200, renderCaseList({ actor, cases, counts, form, limit: LIST_LIMIT }));
      }
      case 'export': {
        const { filter } = listFilter(request.query);
        const cases: ExceptionCase[] = [];
        for (let offset = 0; ; offset += EXPORT_PAGE) {
          const page = await store.list({ ...filter, limit: EXPORT_PAGE, offset });
          cases.push(...page);
          if (page.length < EXPORT_PAGE) break;
        }
        const stamp = clock.now().toISOString().slice(0, 10);
        return respond(200, 'text/csv; charset=utf-8', casesCsv(cases), { 'content-disposition': `attachment; filename="workbench-cases-${stamp}.csv"` });
      }
      case 'apiList': {
        const { filter } = listFilter(request.query);
        const [cases, counts] = await Promise.all([store.list(filter), store.counts()]);
        return jsonResponse(200, { cases, counts });
      }
      case 'dashboard':
      case 'apiDashboard': {
        // REC-DASH-1: from the workbench store, behind the same sign-in as every page.
        const [runs, ages] = await Promise.all([store.runStats(), store.openCaseAges()]);
        const data = dashboardData(runs, ages);
        return route.name === 'dashboard' ? htmlResponse(200, renderDashboard({ actor, data })) : jsonResponse(200, data);
      }
      case 'detail': {
        const done = request.query.done;
        const flash = done && (CASE_ACTION_TYPES as readonly string[]).includes(done) ? { kind: 'ok' as const, message: `Done: ${done}.` } : undefined;
        return detailPage(route.caseId!, actor, 200, flash);
      }
      case 'apiDetail': {
        const found = await existingCase(route.caseId!);
        return jsonResponse(200, { case: found, history: await store.history(found.caseId), allowedActions: allowedActions(found, actor) });
      }
      case 'act': {
        if (mediaType(request) !== 'application/x-www-form-urlencoded') throw new HttpProblem(415, 'send the form as application/x-www-form-urlencoded');
        const fields = Object.fromEntries(new URLSearchParams(request.body));
        if (typeof fields.csrf !== 'string' || !sameSecret(fields.csrf, csrfToken(csrfSecret, actor.user))) {
          await existingCase(route.caseId!);
          return detailPage(route.caseId!, actor, 403, {
            kind: 'error',
            message: 'This form has expired or did not come from the workbench (CSRF check failed); nothing was changed. Try again from this page.',
          });
        }
        try {
          const { event } = await act(route.caseId!, fields, actor);
          return redirect(`${caseHref(route.caseId!)}?done=${encodeURIComponent(event.action)}`);
        } catch (error) {
          if (error instanceof WorkbenchError && error.code !== 'NOT_FOUND') {
            return detailPage(route.caseId!, actor, error.httpStatus, { kind: 'error', message: `Nothing was changed: ${error.message}` });
          }
          throw error;
        }
      }
      case 'apiAct': {
        if (mediaType(request) !== 'application/json') throw new HttpProblem(415, 'send the action as application/json');
        let body: unknown;
        try {
          body = JSON.parse(request.body);
        } catch {
          throw new WorkbenchError('INVALID', 'the request body is not valid JSON');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new WorkbenchError('INVALID', 'the request body must be a JSON object of fields');
        return jsonResponse(200, await act(route.caseId!, body as Record<string, unknown>, actor));
      }
      default:
        throw new Error(`unrouted ${route.name}`);
    }
  }

  return async (request: WorkbenchRequest): Promise<WorkbenchResponse> => {
    const route = matchRoute(request.path);
    const api = route?.api ?? request.path.startsWith('/api/');
    if (!route) return problemResponse(api, 404, `there is no page at ${request.path}`);
    if (request.method !== route.method) return problemResponse(api, 405, `${request.path} accepts ${route.method} only`, undefined, { allow: route.method });
    if (Buffer.byteLength(request.body) > MAX_BODY_BYTES) return problemResponse(api, 413, `the request body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
    if (route.name === 'healthz') return respond(200, 'text/plain; charset=utf-8', 'ok');
    if (route.name === 'stylesheet') return respond(200, 'text/css; charset=utf-8', WORKBENCH_CSS);
    let actor: Actor;
    try {
      actor = await authenticator.authenticate(request);
    } catch (error) {
      if (error instanceof AuthenticationError) return problemResponse(api, 401, error.message);
      throw error;
    }
    try {
      // A case id in the path is typed (or pasted) too: one carrying a card number is refused, never echoed (PCI-3).
      if (route.caseId !== undefined) refuseCardNumbers({ 'case id': route.caseId }, [], 'identifier');
      return await handle(route, request, actor);
    } catch (error) {
      if (error instanceof WorkbenchError) return problemResponse(api, error.httpStatus, error.message, actor);
      if (error instanceof HttpProblem) return problemResponse(api, error.status, error.message, actor);
      log.error('workbench request failed', { method: request.method, path: request.path, error });
      return problemResponse(api, 500, 'the workbench could not answer this request; nothing was changed', actor);
    }
  };
}
