/**
 * The exceptions workbench's HTTP app on Hono: routing, body limit, cookies and secure headers by
 * Hono's middleware; the same app (its `fetch`) is served by @hono/node-server locally (server.ts)
 * and by the Lambda behind the ALB on AWS. Server-rendered HTML pages (no script, no inline style)
 * with form POSTs protected by a CSRF token bound to the session, and a JSON API over the same use
 * cases. Every response carries the security headers; every error is answered before anything is
 * written. The sign-in's own pages (login, OIDC callback, logout) come from the authenticator.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { secureHeaders } from 'hono/secure-headers';
import {
  type Actor,
  allowedActions,
  applyCaseAction,
  CASE_ACTION_TYPES,
  type CaseAction,
  type CaseEvent,
  type ExceptionCase,
  parseCaseAction,
  parseExpectedVersion,
  refuseCardNumbers,
  WorkbenchError,
} from './cases';
import { candidateQuery, type CaseCandidates, chosenCandidate, matchCandidateWrites, matchPartners, rankCandidates, subjectOf, undoMatchWrites } from './candidates';
import { createLogger } from '../../lambda/logger';
import { containsPan } from '../../domain/pan';
import { dashboardData } from './dashboard';
import { renderDashboard } from './dashboard-html';
import { type DirectStatementInbox, isDirectInbox, registerUploadRoutes, type StatementInbox, UPLOAD_PATH } from './upload';
import { csvTable } from '../run/csv-writer';
import { actOnLedger, movesMoney, type WorkbenchLedgerDeps } from '../../use-cases/post-adjustment/post-adjustment';
import { caseHref, type CaseSla, pageActor, renderCaseDetail, renderCaseList, renderMessagePage, renderSignInPage, STYLESHEET_PATH, WORKBENCH_CSS } from './html';
import { SCRIPT_PATH, WORKBENCH_JS } from './keys';
import { BulkJobs, type BulkJobsOptions, parseBulkAction, renderBulkJob, renderBulkPreview, selectCases } from './bulk';
import { caseDueDate, daysUntilDue, defaultSlaRules, slaBucket, type SlaRules } from './sla';
import { CursorError, pageCursor } from './cursor';
import { checkParameters, readListQuery } from './query';
import {
  type Authentication,
  AuthenticationError,
  type Authenticator,
  type BulkJobStore,
  type CandidateSource,
  type CaseNavigator,
  CaseVersionConflict,
  type Clock,
  type WorkbenchApp,
  type WorkbenchRequest,
  type WorkbenchResponse,
  type WorkbenchStore,
  requestQuery,
  searchOf,
} from './ports';

export const MAX_BODY_BYTES = 64 * 1024;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
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
  /**
   * REC-RUN-1: where a statement uploaded from the page goes (embedded: the inbox folder; on AWS the
   * direct variant, a presigned PUT to the ingest bucket); without it there is no upload page.
   */
  inbox?: StatementInbox | DirectStatementInbox;
  /** The size limit of an uploaded statement file (default upload.ts's DEFAULT_MAX_UPLOAD_BYTES). */
  maxUploadBytes?: number;
  /** Where a case's candidates come from (default: the store, when it is one). Without one, a case shows none. */
  candidates?: CandidateSource;
  /**
   * The accounting periods: the last closed month ("YYYY-MM"), if any. A resolution in a closed
   * period is not undone. Without it every period is open.
   */
  periods?: { closedThrough(): Promise<string | undefined> };
  /** The list's urgency order and due markers (default config/recon/sla.json). */
  sla?: SlaRules;
  /** A case's neighbours for n / p and for going on after an action (default: the store, when it is one). */
  navigator?: CaseNavigator;
  /** WB-BULK-1: where bulk jobs are kept (without one, bulk jobs are refused with 503); `background` in a long-running server only. */
  bulk?: { store: BulkJobStore } & BulkJobsOptions;
}

function isNavigator(value: unknown): value is CaseNavigator {
  return typeof (value as Partial<CaseNavigator>).neighbours === 'function';
}

function isCandidateSource(value: unknown): value is CandidateSource {
  return typeof (value as Partial<CandidateSource>).candidateRows === 'function' && typeof (value as Partial<CandidateSource>).saveAll === 'function';
}

/** The action that matches a case with one of its candidates (the line and all its items at once). */
export const MATCH_CANDIDATE = 'match-candidate';

const log = createLogger({ component: 'workbench' }, (line) => process.stderr.write(`${line}\n`));

const LIST_LIMIT = 200;

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

interface Env {
  Variables: { actor: Actor; csrfSubject: string };
}

function problemResponse(api: boolean, status: number, message: string, actor?: Actor, headers?: Record<string, string>): WorkbenchResponse {
  if (api) return jsonResponse(status, { error: { code: ERROR_CODES[status] ?? 'ERROR', message } }, headers);
  return htmlResponse(status, renderMessagePage({ title: ERROR_TITLES[status] ?? 'Error', message, ...(actor ? { actor } : {}) }), headers);
}

/** The path as it came (still percent-encoded). */
function rawPath(c: Context<Env>): string {
  return new URL(c.req.url).pathname;
}

function problem(c: Context<Env>, status: number, message: string, headers?: Record<string, string>, actor: Actor | undefined = c.get('actor')): Response {
  return toResponse(problemResponse(rawPath(c).startsWith('/api/'), status, message, actor, headers));
}

/** The case id of a case path: one percent-encoded path segment; a malformed escape is no page (404). */
function caseIdOf(c: Context<Env>): string | undefined {
  const path = rawPath(c);
  const match = /^(?:\/api)?\/cases\/([^/]+)(?:\/actions)?$/.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    throw new HttpProblem(404, `there is no page at ${path}`);
  }
}

/** The query's parameters as URLSearchParams reads them (each name once: checkParameters refuses a repeated one). */
function queryOf(c: Context<Env>): Readonly<Record<string, string>> {
  return requestQuery(new URL(c.req.url).search).query;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const ORIGIN = 'http://workbench.invalid';

/** A plain request as a fetch Request (the Lambda and the tests call the app this way): its query string as sent (searchOf), every parameter kept. */
export function toRequest(request: WorkbenchRequest): Request {
  const search = searchOf(request);
  const url = new URL(`${request.path}${search === '' ? '' : `?${search}`}`, ORIGIN);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers.set(name, value);
  const withBody = request.method !== 'GET' && request.method !== 'HEAD';
  return new Request(url.origin === ORIGIN ? `${ORIGIN}${request.path}${url.search}` : url, { method: request.method, headers, ...(withBody ? { body: request.body } : {}) });
}

/** A fetch Request's plain view (the body read only when asked for: the authenticator never needs it). */
export async function workbenchRequest(request: Request, path: string, withBody = true): Promise<WorkbenchRequest> {
  const url = new URL(request.url);
  const { query, search } = requestQuery(url.search);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = withBody && request.method !== 'GET' && request.method !== 'HEAD' ? await request.text() : '';
  return { method: request.method, path: url.pathname || path, query, search, headers, body };
}

export function toResponse(response: WorkbenchResponse): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (name === 'set-cookie') for (const cookie of value.split('\n')) headers.append(name, cookie);
    else headers.set(name, value);
  }
  return new Response(response.status === 204 || response.status === 304 ? null : response.body, { status: response.status, headers });
}

export async function fromResponse(response: Response): Promise<WorkbenchResponse> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies.join('\n');
  return { status: response.status, headers, body: await response.text() };
}

/** The cases the export reads per store call: it walks every matching case by cursor, a page in memory at a time. */
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

/** The filtered cases as CSV, one row per case, the columns of CASES_CSV_COLUMNS (with the header line unless `header: false`). */
export function casesCsv(cases: readonly ExceptionCase[], options: { header?: boolean } = {}): string {
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
    options,
  );
}

export function createWorkbenchApp(deps: WorkbenchAppDeps): WorkbenchApp {
  const { store, authenticator, clock, csrfSecret } = deps;
  const candidateSource = deps.candidates ?? (isCandidateSource(store) ? store : undefined);
  const navigator = deps.navigator ?? (isNavigator(store) ? store : undefined);
  const slaRules = deps.sla ?? defaultSlaRules();
  // WB-BULK-1: durable jobs, advanced in the background by a long-running server and a chunk per job-page GET everywhere.
  const bulkJobs = deps.bulk ? new BulkJobs(store, deps.bulk.store, () => clock.now(), deps.bulk) : undefined;
  if (bulkJobs) void bulkJobs.resume().catch((error: unknown) => log.error('bulk.resume-failed', { error: String(error) }));
  const bulkJobsOrRefuse = (): BulkJobs => {
    if (!bulkJobs) throw new WorkbenchError('UNAVAILABLE', 'this workbench has no bulk job store; act on the cases one by one');
    return bulkJobs;
  };

  function slaOf(c: ExceptionCase, now: Date): CaseSla {
    const due = caseDueDate(c, slaRules);
    return { due, bucket: slaBucket(due, now, slaRules.soonDays), daysLeft: daysUntilDue(due, now) };
  }

  /** The ranked candidates of an OPEN exception case (none without a source or a row to match). */
  async function candidatesOf(found: ExceptionCase): Promise<CaseCandidates | undefined> {
    if (!candidateSource || found.status !== 'OPEN' || found.kind !== 'exception') return undefined;
    const subject = subjectOf(found);
    if (!subject) return undefined;
    return { subject, candidates: rankCandidates(subject, await candidateSource.candidateRows(candidateQuery(subject))) };
  }

  /** REC-MATCH-1 by hand: one action matches the case's row with a whole candidate (every case it touches, atomically). */
  async function matchCandidate(caseId: string, fields: Record<string, unknown>, actor: Actor): Promise<{ case: ExceptionCase; event: CaseEvent }> {
    const current = await existingCase(caseId);
    const expectedVersion = parseExpectedVersion(fields.expectedVersion);
    const note = typeof fields.note === 'string' && fields.note.trim() !== '' ? fields.note.trim() : undefined;
    if (!candidateSource) throw new WorkbenchError('UNAVAILABLE', 'this workbench has no candidate search; resolve the case with the ledger entries instead');
    const found = await candidatesOf(current);
    if (!found)
      throw new WorkbenchError(
        'CONFLICT',
        `case ${caseId} is ${current.status}${current.kind === 'exception' ? '' : ' (a proposed match: confirm or reject it)'}; only an OPEN exception is matched with a candidate`,
      );
    const candidate = chosenCandidate(caseId, found.candidates, fields.candidate);
    const others = new Map<string, ExceptionCase>();
    for (const id of candidate.caseIds) if (id !== caseId) others.set(id, await existingCase(id));
    const writes = matchCandidateWrites({ subjectCase: current, subject: found.subject, candidate, cases: others, actor, at: clock.now().toISOString(), expectedVersion, ...(note ? { note } : {}) });
    try {
      await candidateSource.saveAll(writes);
    } catch (error) {
      if (error instanceof CaseVersionConflict)
        throw new WorkbenchError('CONFLICT', `case ${error.caseId} was changed by someone else a moment ago; nothing was matched. Reload the case and try again`);
      throw error;
    }
    return { case: writes[0]!.next, event: writes[0]!.event };
  }

  async function existingCase(caseId: string): Promise<ExceptionCase> {
    const found = await store.get(caseId);
    if (!found) throw new WorkbenchError('NOT_FOUND', `case ${caseId} does not exist`);
    return found;
  }

  /** Decides and saves one action; a lost conditional write is a CONFLICT and nothing is written. */
  async function act(caseId: string, fields: Record<string, unknown>, actor: Actor): Promise<{ case: ExceptionCase; event: CaseEvent }> {
    // PCI-3 first: no field carrying a card number is read, quoted or stored.
    refuseCardNumbers(fields, ['csrf']);
    if (fields.type === MATCH_CANDIDATE) return matchCandidate(caseId, fields, actor);
    const current = await existingCase(caseId);
    const expectedVersion = parseExpectedVersion(fields.expectedVersion);
    const parsed = parseCaseAction(fields);
    if (parsed.type === 'undo') {
      const closedThrough = await deps.periods?.closedThrough();
      return undo(current, { ...parsed, ...(closedThrough ? { closedThrough } : {}) }, actor, expectedVersion);
    }
    const action = parsed;
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

  /**
   * Undoes a resolution while its period is open: the case and its history event are decided by
   * applyCaseAction (role, status, period, version); a booked adjustment is reversed through the
   * adjustment path (ADJ-1: the reopen's balanced reversing entry, once), its event recorded as the undo.
   */
  async function undo(current: ExceptionCase, action: Extract<CaseAction, { type: 'undo' }>, actor: Actor, expectedVersion: number): Promise<{ case: ExceptionCase; event: CaseEvent }> {
    if (matchPartners(current).length > 0) return undoMatch(current, action, actor, expectedVersion);
    const at = clock.now().toISOString();
    const decided = applyCaseAction(current, action, actor, at, expectedVersion);
    const conflict = () => new WorkbenchError('CONFLICT', `case ${current.caseId} was changed by someone else a moment ago; reload it to see the change and try again`);
    if (!current.resolution?.adjustment) {
      try {
        await store.save(decided.next, decided.event);
      } catch (error) {
        if (error instanceof CaseVersionConflict) throw conflict();
        throw error;
      }
      return { case: decided.next, event: decided.event };
    }
    if (!deps.ledger) {
      throw new WorkbenchError(
        'UNAVAILABLE',
        `this workbench has no ledger configured, so reversing the booking of case ${current.caseId} would post nothing; nothing was changed. Start it with --state DIR (the posting state directory)`,
      );
    }
    // The reopen's reversal, saved as this undo (its event names the reversal).
    const asUndo: Pick<WorkbenchStore, 'get' | 'save'> = {
      get: (caseId) => store.get(caseId),
      save: (next, event) =>
        store.save(
          { ...next, ...(decided.next.undone ? { undone: decided.next.undone } : {}) },
          { ...event, action: 'undo', note: action.note, detail: `${decided.event.detail ?? 'undo'}; ${event.detail ?? ''}` },
        ),
    };
    try {
      const done = await actOnLedger(deps.ledger, asUndo, current, { type: 'reopen', note: action.note }, actor, at, expectedVersion);
      const saved = (await store.get(current.caseId)) ?? done.case;
      const history = await store.history(current.caseId);
      return { case: saved, event: history[history.length - 1] ?? done.event };
    } catch (error) {
      if (error instanceof CaseVersionConflict) throw conflict();
      throw error;
    }
  }

  /**
   * WB-1: a match that resolved several cases is undone as one action: every case of it OPEN again
   * in one conditional write of them all (saveAll), or none when any refuses or moved a moment ago.
   */
  async function undoMatch(current: ExceptionCase, action: Extract<CaseAction, { type: 'undo' }>, actor: Actor, expectedVersion: number): Promise<{ case: ExceptionCase; event: CaseEvent }> {
    const partners = new Map<string, ExceptionCase | undefined>();
    for (const id of matchPartners(current)) partners.set(id, await store.get(id));
    const writes = undoMatchWrites({ subjectCase: current, partners, action, actor, at: clock.now().toISOString(), expectedVersion });
    if (!candidateSource)
      throw new WorkbenchError('UNAVAILABLE', `this workbench cannot write several cases at once, so the match of case ${current.caseId} cannot be undone here; nothing was changed`);
    try {
      await candidateSource.saveAll(writes);
    } catch (error) {
      if (error instanceof CaseVersionConflict)
        throw new WorkbenchError('CONFLICT', `case ${error.caseId} was changed by someone else a moment ago; nothing was undone. Reload the case and try again`);
      throw error;
    }
    return { case: writes[0]!.next, event: writes[0]!.event };
  }

  async function detailPage(caseId: string, actor: Actor, csrfSubject: string, status: number, flash?: { kind: 'ok' | 'error'; message: string }): Promise<WorkbenchResponse> {
    const found = await existingCase(caseId);
    const history = await store.history(caseId);
    const candidates = await candidatesOf(found);
    const nav = navigator ? await navigator.neighbours(caseId) : undefined;
    const body = renderCaseDetail({
      nav: nav ?? {},
      sla: slaOf(found, clock.now()),
      actor,
      case: found,
      history,
      allowed: allowedActions(found, actor),
      csrf: csrfToken(csrfSecret, csrfSubject),
      ...(flash ? { flash } : {}),
      ...(candidates ? { candidates } : {}),
    });
    return htmlResponse(status, body);
  }

  const app = new Hono<Env>();
  const formOrigins = authenticator.formOrigins ?? [];
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        formAction: ["'self'", ...formOrigins],
        // A direct upload's page PUTs the file to storage itself: that one origin, and nothing wider.
        ...(deps.inbox && isDirectInbox(deps.inbox) ? { connectSrc: ["'self'", deps.inbox.connectOrigin] } : {}),
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: SECURITY_HEADERS['referrer-policy'],
      crossOriginResourcePolicy: 'same-origin',
    }),
  );
  app.use(async (c, next) => {
    await next();
    c.header('cache-control', SECURITY_HEADERS['cache-control']);
  });
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => problem(c, 405, `${c.req.path} accepts ${methods.filter((m) => m !== 'HEAD').join(', ')} only`, { allow: methods.filter((m) => m !== 'HEAD').join(', ') }),
    }),
  );
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => problem(c, 413, `the request body is larger than ${MAX_BODY_BYTES / 1024} KiB`),
  });
  // A statement upload has its own (larger) limit, in upload.ts.
  app.use((c, next) => (deps.inbox && c.req.method === 'POST' && c.req.path === UPLOAD_PATH ? next() : limitBody(c, next)));
  app.notFound((c) => problem(c, 404, `there is no page at ${c.req.path}`));
  app.onError((error, c) => {
    const actor = c.get('actor');
    if (error instanceof WorkbenchError) return problem(c, error.httpStatus, error.message);
    if (error instanceof HttpProblem) return problem(c, error.status, error.message);
    if (error instanceof CursorError) return problem(c, 400, error.message);
    log.error('workbench request failed', { method: c.req.method, path: c.req.path, error });
    return problem(c, 500, 'the workbench could not answer this request; nothing was changed', undefined, actor);
  });

  app.get('/healthz', () => toResponse(respond(200, 'text/plain; charset=utf-8', 'ok')));
  app.get(STYLESHEET_PATH, () => toResponse(respond(200, 'text/css; charset=utf-8', WORKBENCH_CSS)));
  app.get(SCRIPT_PATH, () => toResponse(respond(200, 'text/javascript; charset=utf-8', WORKBENCH_JS)));
  for (const [path, signInPage] of Object.entries(authenticator.pages ?? {})) {
    const answer = async (c: Context<Env>) => toResponse(await signInPage.answer(await workbenchRequest(c.req.raw, c.req.path)));
    for (const method of signInPage.methods) app.on(method, path, answer);
  }

  /** Everything below needs a signed-in user; a case id in the path is checked for a card number first (PCI-3). */
  const signedIn: MiddlewareHandler<Env> = async (c, next) => {
    let authentication: Actor | Authentication;
    try {
      authentication = await authenticator.authenticate(await workbenchRequest(c.req.raw, c.req.path, false));
    } catch (error) {
      if (error instanceof AuthenticationError) {
        if (authenticator.signInHref && !rawPath(c).startsWith('/api/')) {
          return toResponse(htmlResponse(401, renderSignInPage({ title: ERROR_TITLES[401]!, message: error.message, signInHref: authenticator.signInHref })));
        }
        return problem(c, 401, error.message);
      }
      throw error;
    }
    const signedInAs = 'actor' in authentication ? authentication : { actor: authentication };
    // The pages link the upload page only when this workbench has one (an inbox).
    c.set('actor', pageActor(signedInAs.actor, { uploads: deps.inbox !== undefined }));
    c.set('csrfSubject', signedInAs.csrfSubject ?? signedInAs.actor.user);
    const caseId = caseIdOf(c);
    // A case id in the path is typed (or pasted) too: one carrying a card number is refused, never echoed (PCI-3).
    if (caseId !== undefined) refuseCardNumbers({ 'case id': caseId }, [], 'identifier');
    // Every parameter of the query is one this route reads, given once (query.ts); its values are read by the route.
    checkParameters(new URL(c.req.url).searchParams, c.req.routePath);
    await next();
    for (const cookie of signedInAs.setCookies ?? []) c.res.headers.append('set-cookie', cookie);
  };
  for (const path of [
    '/',
    '/cases',
    '/cases.csv',
    '/api/cases',
    '/dashboard',
    '/api/dashboard',
    '/cases/:id',
    '/cases/:id/actions',
    '/api/cases/:id',
    '/api/cases/:id/actions',
    '/bulk',
    '/bulk/jobs/:id',
  ]) {
    app.use(path, signedIn);
  }
  if (deps.inbox)
    registerUploadRoutes(app, { inbox: deps.inbox, signedIn, csrfToken: (subject) => csrfToken(csrfSecret, subject), sameSecret, ...(deps.maxUploadBytes ? { maxBytes: deps.maxUploadBytes } : {}) });

  app.get('/', () => toResponse(redirect('/cases')));
  /**
   * One page of the list (WB-1 at 1M cases): the cases after the query's cursor, and the cursor of
   * the next page when there is one (one case more than the page is read to know).
   */
  const listPage = async (query: Readonly<Record<string, string>>) => {
    const { filter, form, after } = readListQuery(query, LIST_LIMIT);
    const sort = filter.sort;
    const [found, counts] = await Promise.all([store.list({ ...filter, limit: LIST_LIMIT + 1, ...(after ? { after } : {}) }), store.counts()]);
    const cases = found.slice(0, LIST_LIMIT);
    const next = found.length > LIST_LIMIT ? pageCursor(cases[cases.length - 1]!, sort, slaRules) : undefined;
    return { cases, counts, form, after, next };
  };
  app.get('/cases', async (c) => {
    const { cases, counts, form, after, next } = await listPage(queryOf(c));
    const now = clock.now();
    const sla = new Map(cases.filter((one) => one.status === 'OPEN' || one.status === 'PENDING_APPROVAL').map((one) => [one.caseId, slaOf(one, now)]));
    return toResponse(htmlResponse(200, renderCaseList({ actor: c.get('actor'), cases, counts, form, limit: LIST_LIMIT, sla, page: { later: after !== undefined, ...(next ? { next } : {}) } })));
  });
  // Every matching case (any cursor in the query is ignored), walked by cursor a page at a time and
  // streamed as it is read: at 1M cases neither the cases nor the text are ever all in memory. The
  // first page is read before answering, so a bad filter or a failing store is still an error page;
  // a store failing later cuts the download short (logged). Cases that change while it runs are
  // exported at most once each (their sort key does not change with their status).
  app.get('/cases.csv', async (c) => {
    // The cursor is checked like the list's, and not used: the export is every matching case.
    const { filter } = readListQuery(queryOf(c), EXPORT_PAGE);
    const sort = filter.sort;
    let page = await store.list({ ...filter, limit: EXPORT_PAGE });
    let first = true;
    const encoder = new TextEncoder();
    // highWaterMark 0: a page is read from the store only when the reader asks for more.
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            if (!first) {
              if (page.length < EXPORT_PAGE) return controller.close();
              page = await store.list({ ...filter, limit: EXPORT_PAGE, after: pageCursor(page[page.length - 1]!, sort, slaRules) });
              if (page.length === 0) return controller.close();
            }
            controller.enqueue(encoder.encode(page.length > 0 ? casesCsv(page, { header: first }) : CASES_CSV.header()));
            first = false;
          } catch (error) {
            log.error('workbench export failed part way', { error });
            controller.error(error);
          }
        },
      },
      { highWaterMark: 0 },
    );
    const stamp = clock.now().toISOString().slice(0, 10);
    const headers = new Headers({ ...SECURITY_HEADERS, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="workbench-cases-${stamp}.csv"` });
    return new Response(body, { status: 200, headers });
  });
  // Bulk: the list's filter selects the cases; a preview, then a background job with a result per case.
  const bulkQuery = (c: Context<Env>) => new URL(c.req.url).search.replace(/^\?/, '');
  app.get('/bulk', async (c) => {
    const { filter } = readListQuery(queryOf(c), LIST_LIMIT);
    const actor = c.get('actor');
    const cases = await selectCases(store, filter);
    return toResponse(htmlResponse(200, renderBulkPreview({ actor, cases, query: bulkQuery(c), csrf: csrfToken(csrfSecret, c.get('csrfSubject')) })));
  });
  app.post('/bulk', async (c) => {
    const actor = c.get('actor');
    if (mediaType(c.req.header('content-type')) !== 'application/x-www-form-urlencoded') throw new HttpProblem(415, 'send the form as application/x-www-form-urlencoded');
    const fields = Object.fromEntries(new URLSearchParams(await c.req.text()));
    if (typeof fields.csrf !== 'string' || !sameSecret(fields.csrf, csrfToken(csrfSecret, c.get('csrfSubject')))) {
      throw new HttpProblem(403, 'This form has expired or did not come from the workbench (CSRF check failed); nothing was changed. Try again from the preview.');
    }
    refuseCardNumbers(fields, ['csrf']);
    if (!actor.roles.includes('reconciler') && !actor.roles.includes('approver')) {
      throw new WorkbenchError('FORBIDDEN', `${actor.user} may not act on cases: it needs the reconciler role (you have ${actor.roles.join(', ') || 'no role'})`);
    }
    const action = parseBulkAction(fields);
    const { filter } = readListQuery(queryOf(c), LIST_LIMIT);
    const jobs = bulkJobsOrRefuse();
    const cases = await selectCases(store, filter);
    const jobId = await jobs.start(
      actor,
      action,
      cases.map((one) => one.caseId),
      bulkQuery(c),
    );
    return toResponse(redirect(`/bulk/jobs/${jobId}`));
  });
  // Each GET advances the job by a chunk before rendering, whichever container answers (on AWS a schedule also advances running jobs with no page open).
  app.get('/bulk/jobs/:id', async (c) => {
    const jobs = bulkJobsOrRefuse();
    // A chunk that fails part way stays leased until its lease expires; the page still shows where the job is.
    await jobs.advance(c.req.param('id')).catch((error: unknown) => log.error('workbench bulk job could not advance', { jobId: c.req.param('id'), error }));
    const job = await jobs.get(c.req.param('id'));
    if (!job) throw new WorkbenchError('NOT_FOUND', `there is no bulk job ${c.req.param('id')}`);
    return toResponse(htmlResponse(200, renderBulkJob({ actor: c.get('actor'), job })));
  });
  // `next`: the cursor of the next page (pass it as `after`), absent on the last page.
  app.get('/api/cases', async (c) => {
    const { cases, counts, next } = await listPage(queryOf(c));
    return toResponse(jsonResponse(200, { cases, counts, ...(next ? { next } : {}) }));
  });
  // REC-DASH-1: from the workbench store, behind the same sign-in as every page.
  const dashboard = async () => {
    const [runs, ages] = await Promise.all([store.runStats(), store.openCaseAges()]);
    return dashboardData(runs, ages);
  };
  app.get('/dashboard', async (c) => toResponse(htmlResponse(200, renderDashboard({ actor: c.get('actor'), data: await dashboard() }))));
  app.get('/api/dashboard', async () => toResponse(jsonResponse(200, await dashboard())));
  app.get('/cases/:id', async (c) => {
    const done = c.req.query('done');
    const on = c.req.query('case');
    const flash =
      done && (CASE_ACTION_TYPES as readonly string[]).includes(done)
        ? { kind: 'ok' as const, message: on && on.length <= 400 && !containsPan(on, 'identifier') ? `Done: ${done} on case ${on}. This is the next case.` : `Done: ${done}.` }
        : undefined;
    return toResponse(await detailPage(caseIdOf(c)!, c.get('actor'), c.get('csrfSubject'), 200, flash));
  });
  app.get('/api/cases/:id', async (c) => {
    const found = await existingCase(caseIdOf(c)!);
    const actor = c.get('actor');
    const candidates = await candidatesOf(found);
    return toResponse(jsonResponse(200, { case: found, history: await store.history(found.caseId), allowedActions: allowedActions(found, actor), ...(candidates ? { candidates } : {}) }));
  });
  app.post('/cases/:id/actions', async (c) => {
    const caseId = caseIdOf(c)!;
    const actor = c.get('actor');
    const csrfSubject = c.get('csrfSubject');
    if (mediaType(c.req.header('content-type')) !== 'application/x-www-form-urlencoded') throw new HttpProblem(415, 'send the form as application/x-www-form-urlencoded');
    const fields = Object.fromEntries(new URLSearchParams(await c.req.text()));
    if (typeof fields.csrf !== 'string' || !sameSecret(fields.csrf, csrfToken(csrfSecret, csrfSubject))) {
      await existingCase(caseId);
      return toResponse(
        await detailPage(caseId, actor, csrfSubject, 403, {
          kind: 'error',
          message: 'This form has expired or did not come from the workbench (CSRF check failed); nothing was changed. Try again from this page.',
        }),
      );
    }
    try {
      const { event } = await act(caseId, fields, actor);
      // Confirmed: on to the next case the page named (n), with what was done.
      const next = typeof fields.next === 'string' && fields.next !== '' && fields.next !== caseId && fields.next.length <= 400 ? fields.next : undefined;
      const doneHere = `done=${encodeURIComponent(event.action)}&case=${encodeURIComponent(caseId)}`;
      return toResponse(redirect(next ? `${caseHref(next)}?${doneHere}` : `${caseHref(caseId)}?done=${encodeURIComponent(event.action)}`));
    } catch (error) {
      if (error instanceof WorkbenchError && error.code !== 'NOT_FOUND') {
        return toResponse(await detailPage(caseId, actor, csrfSubject, error.httpStatus, { kind: 'error', message: `Nothing was changed: ${error.message}` }));
      }
      throw error;
    }
  });
  app.post('/api/cases/:id/actions', async (c) => {
    if (mediaType(c.req.header('content-type')) !== 'application/json') throw new HttpProblem(415, 'send the action as application/json');
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw new WorkbenchError('INVALID', 'the request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new WorkbenchError('INVALID', 'the request body must be a JSON object of fields');
    return toResponse(jsonResponse(200, await act(caseIdOf(c)!, body as Record<string, unknown>, c.get('actor'))));
  });

  const fetch = async (request: Request): Promise<Response> => app.fetch(request);
  const call = async (request: WorkbenchRequest): Promise<WorkbenchResponse> => fromResponse(await fetch(toRequest(request)));
  return Object.assign(call, { fetch });
}
