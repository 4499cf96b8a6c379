/**
 * The exceptions workbench's ports. Two adapter sets implement them:
 *   - embedded: SQLite case and session stores in the reconcile `--out` directory, and a
 *     node:http server;
 *   - AWS: DynamoDB case and session stores (the session store: src/adapters/aws/dynamo-session-store.ts),
 *     and a Lambda behind the internal ALB, which only forwards.
 * The sign-in is one code on both (WB-AUTH-1: oidc.ts, OpenID Connect with the local provider or
 * Okta as the issuer, sessions through the SessionStore port); locally a single-user authenticator
 * (127.0.0.1 + a one-time access token) remains for `--insecure-dev-identity`.
 * The HTTP app (`createWorkbenchApp` in app.ts) is a Hono app; WorkbenchRequest / WorkbenchResponse
 * are its plain view for the authenticator, the Lambda and the tests.
 */
import type { Actor, CaseAction, CaseEvent, CaseStatus, ExceptionCase, ImportPlan, Role } from './cases';
import type { CandidateQuery, OpenRow } from './candidates';
import type { RunStats } from './dashboard';

export interface CaseFilter {
  status?: readonly CaseStatus[];
  reason?: string;
  accountId?: string;
  assignee?: string;
  /** Matches case id, statement line id, bank reference or ledger entry id (substring). */
  search?: string;
  /**
   * age (default): oldest first (ageDays descending, then case id); urgency: by SLA due date, the
   * most overdue first, then oldest, then case id (a store that cannot sort by urgency sorts by age).
   */
  sort?: 'age' | 'urgency';
  /** Default 200, at most 1000. */
  limit?: number;
  /**
   * Keyset paging (WB-1 at 1M cases): an opaque cursor (cursor.ts `pageCursor`), the sort key of
   * the previous page's last case in this filter's `sort`; the page holds the matching cases
   * strictly after it. A store reads it with `afterKey` (cursor.ts), which throws CursorError for
   * a cursor of another order or a damaged one. An urgency cursor's due day must come from the
   * store's own SLA rules; a store that sorts urgency by age uses its age and case id.
   */
  after?: string;
  /** @deprecated Rows to skip: O(offset) per page. Use `after`; kept only until every store pages by cursor. */
  offset?: number;
}

export interface CaseCounts {
  byStatus: Partial<Record<CaseStatus, number>>;
  /** OPEN and PENDING_APPROVAL cases by reason. */
  openByReason: Record<string, number>;
}

/** A conditional write lost: the stored case is not at the version the action started from. */
export class CaseVersionConflict extends Error {
  override name = 'CaseVersionConflict';
  constructor(
    readonly caseId: string,
    readonly expectedVersion: number,
  ) {
    super(`case ${caseId} is no longer at version ${expectedVersion}; reload it and try again`);
  }
}

export interface WorkbenchStore {
  /** Cases by the filter, in the filter's order (default oldest first: ageDays descending, then case id). */
  list(filter: CaseFilter): Promise<ExceptionCase[]>;
  get(caseId: string): Promise<ExceptionCase | undefined>;
  /** The case's history, oldest first. */
  history(caseId: string): Promise<CaseEvent[]>;
  counts(): Promise<CaseCounts>;
  /**
   * Writes `next` and appends `event` atomically, only if the stored case is at
   * `next.version - 1`; otherwise throws CaseVersionConflict and writes nothing.
   */
  save(next: ExceptionCase, event: CaseEvent): Promise<void>;
  /** Every case of these accounts (the import plan needs them). */
  casesOfAccounts(accountIds: ReadonlySet<string>): Promise<ExceptionCase[]>;
  /**
   * Applies an import plan atomically (all of it or none), with the run's statistics when the plan
   * carries them; returns false if the run was imported before.
   */
  applyImport(runId: string, plan: ImportPlan): Promise<boolean>;
  /** REC-DASH-1: the statistics of every imported run that carried them (any order). */
  runStats(): Promise<RunStats[]>;
  /** REC-DASH-1: OPEN and PENDING_APPROVAL cases counted per age in days (any order). */
  openCaseAges(): Promise<OpenCaseAge[]>;
}

/**
 * The open rows candidates are ranked from (candidates.ts): every unmatched row of an OPEN
 * exception case, indexed by account, currency, side, exact amount and reference, so a lookup
 * reads a few index ranges, never the whole table.
 */
export interface CandidateSource {
  /**
   * Rows of `query.side` in the query's account and currency whose case is OPEN: those carrying one
   * of `query.references`, the `query.limit` nearest by amount above and below `query.amountMinor`,
   * and the rows of `query.caseId` itself (a grouped case's items). Any order, no duplicates.
   */
  candidateRows(query: CandidateQuery): Promise<OpenRow[]>;
  /**
   * Writes several cases and their events in one transaction, each only if its stored version is
   * `next.version - 1`: all of them or none (CaseVersionConflict names the first that moved).
   */
  saveAll(writes: readonly { next: ExceptionCase; event: CaseEvent }[]): Promise<void>;
}

/** The cases before and after one in the list's default order (OPEN and PENDING_APPROVAL, by urgency): n / p on a case page. */
export interface CaseNavigator {
  neighbours(caseId: string): Promise<{ previous?: string; next?: string }>;
}

/** How many open cases (OPEN or PENDING_APPROVAL) have this age. */
export interface OpenCaseAge {
  ageDays: number;
  cases: number;
}

/** The workbench's view of one HTTP request (already decoded by the server adapter). */
export interface WorkbenchRequest {
  method: string;
  /** The path without the query string, e.g. `/cases/exception%3Astatement%3Aabc`. */
  path: string;
  /** Each query parameter's first value, decoded (what the sign-in reads of its callback). */
  query: Readonly<Record<string, string>>;
  /**
   * The query string exactly as sent, still percent-encoded, without the `?` ('' for none): every
   * parameter, a repeated one as often as it was given. The app reads its parameters from it with
   * URLSearchParams, as it reads a local request's URL, so a parameter given twice or not read by
   * the route is refused the same way behind either adapter (query.ts). Absent (a request built by
   * hand): the entries of `query`. Set both from one string with `requestQuery`.
   */
  search?: string;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw body (form-encoded or JSON), or '' for none. */
  body: string;
}

/**
 * A query string (as sent, with or without its `?`) as a WorkbenchRequest carries it: the string
 * itself and each name's first value, decoded as URLSearchParams decodes a URL's query ('+' is a
 * space; a malformed percent-escape is kept as written, as a local request's URL keeps it). Every
 * adapter builds its request's query with this, so the app reads the same parameters from each.
 */
export function requestQuery(search: string): Pick<WorkbenchRequest, 'query' | 'search'> {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(`?${raw}`)) if (!(name in query)) query[name] = value;
  return { query, search: raw };
}

/** The query string the app reads of a request: its `search`, or (a request built by hand) one of `query`'s entries. */
export function searchOf(request: Pick<WorkbenchRequest, 'query' | 'search'>): string {
  return request.search ?? new URLSearchParams(Object.entries(request.query)).toString();
}

export interface WorkbenchResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The HTTP app: one request in, one response out (the Lambda and the tests call it), and the
 * same app as a fetch handler (@hono/node-server serves it).
 */
export type WorkbenchHandler = (request: WorkbenchRequest) => Promise<WorkbenchResponse>;
export interface WorkbenchApp extends WorkbenchHandler {
  fetch(request: Request): Promise<Response>;
}

/** A signed-in request: who, what binds their CSRF tokens, and any cookie to set (a rotated session id). */
export interface Authentication {
  actor: Actor;
  /** What the CSRF token of their forms is bound to (the session id); default the user. */
  csrfSubject?: string;
  /** Set-Cookie values to send with the answer (a session id rotated while in use). */
  setCookies?: readonly string[];
}

/** One page of the sign-in itself (login, OIDC callback, logout), answered without a session. */
export interface SignInPage {
  methods: readonly ('GET' | 'POST')[];
  answer(request: WorkbenchRequest): Promise<WorkbenchResponse>;
}

/** Who is asking. Throws AuthenticationError when the request carries no valid identity. */
export interface Authenticator {
  authenticate(request: WorkbenchRequest): Promise<Actor | Authentication>;
  /** The sign-in's own pages by path (e.g. `/login`, `/callback`, `/logout`). */
  readonly pages?: Readonly<Record<string, SignInPage>>;
  /** Where a signed-out person starts signing in (shown on the 401 page). */
  readonly signInHref?: string;
  /** Origins a form may post to besides the workbench (the CSP's form-action: an identity provider's sign-out). */
  readonly formOrigins?: readonly string[];
}

export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

export type { Clock } from '../../ports';

/**
 * A signed-in browser's server-side session. The cookie holds a random id; the store keeps only
 * its SHA-256 (`key`), so a copy of the store signs nobody in.
 */
export interface SessionRecord {
  key: string;
  /** The ID token's `sub`: who acts (four eyes compares it). */
  sub: string;
  /** Display name (the `name` claim, else `email`, else `sub`). */
  name: string;
  roles: readonly Role[];
  /** Binds the CSRF token of this session's forms (stays the same when the id rotates). */
  csrfKey: string;
  /** For RP-initiated logout (`id_token_hint`). */
  idToken?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  lastSeenAt: number;
  rotatedAt: number;
  /**
   * WB-AUTH-1 rotation grace: the key this session's id replaced (the sign-in code sets it on the
   * new record), so sign-out within the grace window deletes the old key too.
   */
  previousKey?: string;
  /**
   * Set by `replaceSession` on the OLD record, which stays for the grace window instead of
   * vanishing: the key that replaced it. Such a record is no session of its own: the sign-in
   * code follows it once, within the window, to the new one.
   */
  replacedBy?: string;
  /** When it was replaced (epoch milliseconds; the new record's `rotatedAt`). */
  replacedAt?: number;
}

/** An authorization request on its way: what the callback must find again (one use). */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

export interface SessionStore {
  createSession(record: SessionRecord): Promise<void>;
  /**
   * A live session, or a replaced one (its `replacedBy` / `replacedAt` set, `lastSeenAt` its
   * `replacedAt`) until the store drops it.
   */
  session(key: string): Promise<SessionRecord | undefined>;
  /** Records activity (idle expiry counts from it); a replaced or missing key is left as it is. */
  touchSession(key: string, lastSeenAt: number): Promise<void>;
  /**
   * Rotation (WB-AUTH-1), in one atomic write: writes `next` (its key new) and marks the record of
   * `oldKey` replaced (`replacedBy` next.key, `replacedAt` and `lastSeenAt` next.rotatedAt),
   * keeping it at least until `oldKeyUntil` (epoch ms: the end of the grace window; DynamoDB's TTL).
   * False, writing nothing, if `oldKey` is gone or replaced already (another rotation won).
   */
  replaceSession(oldKey: string, next: SessionRecord, oldKeyUntil: number): Promise<boolean>;
  deleteSession(key: string): Promise<void>;
  /** Drops sessions created before `createdBefore` or idle since `seenBefore`, and sign-ins begun before `signInBefore`. */
  purge(createdBefore: number, seenBefore: number, signInBefore: number): Promise<void>;
  savePendingSignIn(pending: PendingSignIn): Promise<void>;
  /** Returns and deletes the pending sign-in of `state` (a second call finds nothing). */
  takePendingSignIn(state: string): Promise<PendingSignIn | undefined>;
}

/** One case's result in a bulk job (WB-BULK-1). */
export interface BulkItem {
  caseId: string;
  ok: boolean;
  /** The new version, or why the case did not take the action. */
  message: string;
}

/** A bulk job as created: every case the filter selected, the action, and who acts (the job acts as them). */
export interface NewBulkJob {
  jobId: string;
  actor: Actor;
  action: CaseAction;
  /** The filter as the person saw it (a query string). */
  filter: string;
  caseIds: readonly string[];
  startedAt: string;
}

/** A bulk job as stored: its results so far, in the order of its cases. */
export interface BulkJob extends NewBulkJob {
  items: BulkItem[];
  state: 'running' | 'done';
  finishedAt?: string;
}

/** A chunk of a job's cases leased to one advancer until `until` (epoch ms): only its items without a result. */
export interface BulkLease {
  jobId: string;
  chunk: number;
  owner: string;
  until: number;
  pending: { index: number; caseId: string }[];
}

/**
 * WB-BULK-1: durable, resumable bulk jobs. The cases of a job are split into chunks in order at
 * creation; an advancer leases one chunk at a time (conditional: two advancers never hold the same
 * chunk, a lease left by a crashed process expires and the chunk is taken again), records each
 * item's result (the first result of an item stays) and completes the chunk. The job is done when
 * every chunk is.
 */
export interface BulkJobStore {
  create(job: NewBulkJob, chunkSize: number): Promise<void>;
  get(jobId: string): Promise<BulkJob | undefined>;
  /** Leases the first chunk that is not complete and not under a live lease at `now` (epoch ms) to `owner` for `leaseMs`; undefined when none is free. */
  lease(jobId: string, owner: string, now: number, leaseMs: number): Promise<BulkLease | undefined>;
  /** Records the result of item `index` of the leased chunk unless it has one; true if this call recorded it. */
  record(lease: BulkLease, index: number, item: BulkItem): Promise<boolean>;
  /** Completes the chunk if every one of its items has a result (its lease ends); false otherwise. */
  complete(lease: BulkLease, at: string): Promise<boolean>;
  /**
   * Up to `limit` (default all) jobs not done, oldest first: a long-running process resumes them
   * when it starts; on AWS the scheduled advancer works them with no page open.
   */
  unfinished(limit?: number): Promise<string[]>;
}
