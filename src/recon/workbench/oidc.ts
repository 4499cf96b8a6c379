/**
 * The workbench's own OpenID Connect sign-in (one code path for any issuer: the local
 * `ledgerline idp`, Okta on AWS): the authorization-code flow with PKCE (S256), `state` and
 * `nonce`, and server-side sessions.
 *
 * - `GET /login` makes a state, a nonce and a PKCE verifier, keeps them as a pending sign-in (one
 *   use, 10 minutes), binds the state to this browser in an HttpOnly cookie and redirects to the
 *   issuer's authorization endpoint.
 * - `GET /callback` takes the pending sign-in of `state` (so a replayed callback finds nothing),
 *   checks the browser's cookie names the same state, exchanges the code (with the verifier) at the
 *   token endpoint and verifies the ID token: signature by the issuer's JWKS, `iss` exactly the
 *   issuer, `aud` the client id (`azp` when there are several), `exp`/`iat`, `nonce` exactly the
 *   pending one. Who acts is `sub`; roles come from the `groups` claim through the group → role
 *   map; nobody without a mapped group signs in. A new random session id goes in an HttpOnly,
 *   SameSite=Lax cookie (Secure under https); the store keeps only its SHA-256.
 * - Each request: the session must exist, be used within the idle limit and be younger than the
 *   absolute limit; its id rotates every `rotateSeconds`. Parallel requests of one browser (a page
 *   and its CSS, two tabs) present the old id at the rotation moment: the old id stays valid for
 *   ROTATION_GRACE_SECONDS, answered as the new session (its user, roles and expiry) with no
 *   further rotation and no cookie (the winner's answer sets the new one); after that it is refused.
 * - `POST /logout` (CSRF-checked) deletes the session (both ids within the grace window) and, when
 *   the issuer advertises an `end_session_endpoint`, continues to it (RP-initiated logout) with
 *   the ID token as hint.
 * Every refusal names the reason, never the token or the code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { containsPan } from '../../domain/pan';
import { type Actor, type Role, ROLES } from './cases';
import { renderMessagePage, renderSignInPage, renderSignOutPage, SIGN_OUT_PATH } from './html';
import {
  type Authentication,
  AuthenticationError,
  type Authenticator,
  type Clock,
  type SessionRecord,
  type SessionStore,
  type SignInPage,
  type WorkbenchRequest,
  type WorkbenchResponse,
} from './ports';
import { csrfToken, respond, sameSecret } from './app';

export const SIGN_IN_PATH = '/login';
export const CALLBACK_PATH = '/callback';
export const SIGNED_OUT_PATH = '/signed-out';
export const SESSION_COOKIE_NAME = 'ledgerline_session';
export const SIGN_IN_COOKIE_NAME = 'ledgerline_sign_in';

export interface OidcSignInOptions {
  /** The issuer exactly as its discovery document and ID tokens name it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The workbench's own base URL as the browser sees it (the callback is `<baseUrl>/callback`). */
  baseUrl: string;
  /** Identity-provider group → workbench role. */
  groupRoles: Readonly<Record<string, Role>>;
  sessions: SessionStore;
  clock: Clock;
  /** Signed out after this long without a request (default 30 minutes). */
  idleSeconds?: number;
  /** Signed out this long after signing in, however active (default 8 hours). */
  absoluteSeconds?: number;
  /** The session id is replaced this often while in use (default 15 minutes). */
  rotateSeconds?: number;
  /** Extra scopes beside `openid profile email` (default `groups`). */
  scopes?: readonly string[];
  fetch?: typeof globalThis.fetch;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
}

const PENDING_SECONDS = 600;
/**
 * WB-AUTH-1: how long a rotated-away session id still answers, as the session that replaced it
 * (never rotating it, never extending it: the old id is followed once, only within this window).
 */
export const ROTATION_GRACE_SECONDS = 30;
const GRACE_MS = ROTATION_GRACE_SECONDS * 1000;
const TOUCH_EVERY_MS = 30_000;
const HTTP_TIMEOUT_MS = 10_000;
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$/;

function randomId(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** A refusal of a sign-in step: an HTTP status and the reason the person reads. */
export class SignInError extends Error {
  override name = 'SignInError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The session a presented key stands for: its own (live), or the one that replaced it within the grace window. */
interface Resolved {
  session: SessionRecord;
  /** The key the answer is about (the live one). */
  key: string;
  /** The presented key when it was replaced (within the window), else undefined. */
  replacedKey?: string;
}

export class OidcSignIn implements Authenticator {
  readonly pages: Readonly<Record<string, SignInPage>>;
  readonly formOrigins: readonly string[];
  readonly signInHref = SIGN_IN_PATH;
  private readonly secure: boolean;
  private readonly sessionCookie: string;
  private readonly redirectUri: string;
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly rotateMs: number;
  private readonly fetch: typeof globalThis.fetch;
  private discovery?: Promise<Discovery>;
  private jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly options: OidcSignInOptions) {
    const base = new URL(options.baseUrl);
    this.secure = base.protocol === 'https:';
    // __Host-: only set by this origin over https, for the whole site, never by a sub-domain.
    this.sessionCookie = this.secure ? `__Host-${SESSION_COOKIE_NAME}` : SESSION_COOKIE_NAME;
    this.redirectUri = new URL(CALLBACK_PATH, base).toString();
    this.idleMs = (options.idleSeconds ?? 1800) * 1000;
    this.absoluteMs = (options.absoluteSeconds ?? 8 * 3600) * 1000;
    this.rotateMs = (options.rotateSeconds ?? 900) * 1000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.formOrigins = [new URL(options.issuer).origin];
    this.pages = {
      [SIGN_IN_PATH]: { methods: ['GET'], answer: () => this.answer(() => this.signIn()) },
      [CALLBACK_PATH]: { methods: ['GET'], answer: (request) => this.answer(() => this.callback(request)) },
      [SIGN_OUT_PATH]: { methods: ['GET', 'POST'], answer: (request) => this.answer(() => this.signOut(request)) },
      [SIGNED_OUT_PATH]: {
        methods: ['GET'],
        answer: async () => this.page(200, renderSignInPage({ title: 'Signed out', message: 'You have signed out of the workbench.', signInHref: SIGN_IN_PATH })),
      },
    };
  }

  /** The callback URL to register with the identity provider. */
  get callbackUrl(): string {
    return this.redirectUri;
  }

  async authenticate(request: WorkbenchRequest): Promise<Authentication> {
    const id = cookieValue(request.headers.cookie, this.sessionCookie);
    if (!id) throw new AuthenticationError(`you are not signed in: sign in at ${SIGN_IN_PATH}`);
    const presented = sha256(id);
    const now = this.options.clock.now().getTime();
    let resolved = await this.resolve(presented, now);
    if (!resolved) throw new AuthenticationError(`your session is not valid any more (signed out, expired or replaced): sign in again at ${SIGN_IN_PATH}`);
    const { session } = resolved;
    if (now - session.createdAt >= this.absoluteMs || now - session.lastSeenAt >= this.idleMs) {
      await this.deleteResolved(resolved);
      throw new AuthenticationError(`your session has expired: sign in again at ${SIGN_IN_PATH}`);
    }
    const actor: Actor = { user: session.sub, name: session.name, roles: session.roles };
    // Only the live key rotates: an old key within the grace window never mints another id.
    if (!resolved.replacedKey && now - session.rotatedAt >= this.rotateMs) {
      const nextId = randomId();
      const next: SessionRecord = { ...session, key: sha256(nextId), previousKey: presented, lastSeenAt: now, rotatedAt: now };
      if (await this.options.sessions.replaceSession(presented, next, now + GRACE_MS)) {
        return { actor, csrfSubject: session.csrfKey, setCookies: [this.sessionCookieHeader(nextId)] };
      }
      // A parallel request rotated it first: this one is answered as the winner's session, without a cookie.
      resolved = await this.resolve(presented, now);
      if (!resolved?.replacedKey) throw new AuthenticationError(`your session is not valid any more (signed out, expired or replaced): sign in again at ${SIGN_IN_PATH}`);
      const winner = resolved.session;
      return { actor: { user: winner.sub, name: winner.name, roles: winner.roles }, csrfSubject: winner.csrfKey };
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await this.options.sessions.touchSession(resolved.key, now);
    return { actor, csrfSubject: session.csrfKey };
  }

  /**
   * WB-AUTH-1: the session a presented key stands for. A live key is its own session; a replaced
   * key is followed once to the session that replaced it, only within ROTATION_GRACE_SECONDS of the
   * replacement and only if that one is live itself (never a chain, never after the window).
   */
  private async resolve(key: string, now: number): Promise<Resolved | undefined> {
    const record = await this.options.sessions.session(key);
    if (!record) return undefined;
    if (record.replacedBy === undefined) return { session: record, key };
    if (record.replacedAt === undefined || now - record.replacedAt >= GRACE_MS) return undefined;
    const next = await this.options.sessions.session(record.replacedBy);
    if (!next || next.replacedBy !== undefined || next.sub !== record.sub || next.csrfKey !== record.csrfKey) return undefined;
    return { session: next, key: next.key, replacedKey: key };
  }

  /** Deletes the session and the key it replaced (which may still be within its grace window). */
  private async deleteResolved(resolved: Resolved): Promise<void> {
    await this.options.sessions.deleteSession(resolved.key);
    const older = resolved.replacedKey ?? resolved.session.previousKey;
    if (older !== undefined) await this.options.sessions.deleteSession(older);
  }

  private async answer(step: () => Promise<WorkbenchResponse>): Promise<WorkbenchResponse> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof SignInError) {
        return this.page(error.status, renderSignInPage({ title: 'Sign-in failed', message: `${error.message}. Nothing was signed in; start again.`, signInHref: SIGN_IN_PATH }), {
          'set-cookie': this.clearCookie(SIGN_IN_COOKIE_NAME, CALLBACK_PATH),
        });
      }
      throw error;
    }
  }

  private page(status: number, body: string, headers: Record<string, string> = {}): WorkbenchResponse {
    return respond(status, 'text/html; charset=utf-8', body, headers);
  }

  private cookieAttributes(path: string): string {
    return `Path=${path}; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`;
  }

  private sessionCookieHeader(id: string): string {
    return `${this.sessionCookie}=${id}; ${this.cookieAttributes('/')}`;
  }

  private clearCookie(name: string, path: string): string {
    return `${name}=; ${this.cookieAttributes(path)}; Max-Age=0`;
  }

  private metadata(): Promise<Discovery> {
    this.discovery ??= this.discover().catch((error: unknown) => {
      this.discovery = undefined;
      throw error;
    });
    return this.discovery;
  }

  private async discover(): Promise<Discovery> {
    const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let document: Partial<Discovery>;
    try {
      const response = await this.fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      document = (await response.json()) as Partial<Discovery>;
    } catch (error) {
      throw new SignInError(503, `the identity provider ${this.options.issuer} did not answer its discovery document (${(error as Error).message})`);
    }
    if (document.issuer !== this.options.issuer)
      throw new SignInError(503, `the identity provider at ${this.options.issuer} names itself ${JSON.stringify(document.issuer)}: not the configured issuer`);
    for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      if (typeof document[field] !== 'string') throw new SignInError(503, `the identity provider's discovery document has no ${field}`);
    }
    this.jwks = createRemoteJWKSet(new URL(document.jwks_uri!), { timeoutDuration: HTTP_TIMEOUT_MS });
    return document as Discovery;
  }

  private async signIn(): Promise<WorkbenchResponse> {
    const metadata = await this.metadata();
    const now = this.options.clock.now().getTime();
    await this.options.sessions.purge(now - this.absoluteMs, now - this.idleMs, now - PENDING_SECONDS * 1000);
    const state = randomId();
    const nonce = randomId();
    const codeVerifier = randomId();
    await this.options.sessions.savePendingSignIn({ state, nonce, codeVerifier, createdAt: now });
    const url = new URL(metadata.authorization_endpoint);
    const scopes = ['openid', 'profile', 'email', ...(this.options.scopes ?? ['groups'])];
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.options.clientId);
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('scope', scopes.join(' '));
    url.searchParams.set('state', state);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    return respond(303, 'text/plain; charset=utf-8', 'See the identity provider', {
      location: url.toString(),
      'set-cookie': `${SIGN_IN_COOKIE_NAME}=${state}; ${this.cookieAttributes(CALLBACK_PATH)}; Max-Age=${PENDING_SECONDS}`,
    });
  }

  private async callback(request: WorkbenchRequest): Promise<WorkbenchResponse> {
    const { state, code, error } = request.query;
    if (!state) throw new SignInError(400, 'the sign-in answer carries no state');
    // One use: whatever happens next, this state is spent (a replayed callback finds nothing).
    const pending = await this.options.sessions.takePendingSignIn(state);
    if (!pending) throw new SignInError(400, 'the sign-in answer names a state this workbench is not waiting for (used already, expired, or never issued)');
    const bound = cookieValue(request.headers.cookie, SIGN_IN_COOKIE_NAME);
    if (!bound || !sameSecret(bound, state)) throw new SignInError(400, 'the sign-in answer was not started in this browser (its state does not match the sign-in cookie)');
    const now = this.options.clock.now().getTime();
    if (now - pending.createdAt > PENDING_SECONDS * 1000) throw new SignInError(400, 'the sign-in took longer than 10 minutes');
    if (error) throw new SignInError(401, `the identity provider refused the sign-in (${error.slice(0, 100).replace(/[^\w .-]/g, '?')})`);
    if (!code) throw new SignInError(400, 'the sign-in answer carries no authorization code');
    const metadata = await this.metadata();
    const idToken = await this.exchange(metadata, code, pending.codeVerifier);
    const claims = await this.verifyIdToken(metadata, idToken, pending.nonce);
    const sub = claims.sub!;
    if (containsPan(sub)) throw new SignInError(403, 'the identity provider names the user with what looks like a card number (PAN)');
    const display = [claims.name, claims.email].find((value): value is string => typeof value === 'string' && value.trim() !== '' && !containsPan(value));
    const roles = this.rolesOf(claims.groups);
    if (roles.length === 0) throw new SignInError(403, `${display ?? sub} signed in, but none of their groups maps to a workbench role`);
    const id = randomId();
    await this.options.sessions.createSession({
      key: sha256(id),
      sub,
      name: (display ?? sub).trim().slice(0, 200),
      roles,
      csrfKey: randomId(),
      idToken,
      createdAt: now,
      lastSeenAt: now,
      rotatedAt: now,
    });
    const response = respond(303, 'text/plain; charset=utf-8', 'See /cases', { location: '/cases' });
    response.headers['set-cookie'] = [this.sessionCookieHeader(id), this.clearCookie(SIGN_IN_COOKIE_NAME, CALLBACK_PATH)].join('\n');
    return response;
  }

  private async exchange(metadata: Discovery, code: string, codeVerifier: string): Promise<string> {
    const credentials = Buffer.from(`${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`).toString('base64');
    let answer: { id_token?: unknown; error?: unknown };
    let status: number;
    try {
      const response = await this.fetch(metadata.token_endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: this.redirectUri, code_verifier: codeVerifier }).toString(),
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      status = response.status;
      answer = (await response.json()) as typeof answer;
    } catch (error) {
      throw new SignInError(502, `the identity provider's token endpoint did not answer (${(error as Error).message})`);
    }
    if (status !== 200) throw new SignInError(401, `the identity provider refused the authorization code (${typeof answer.error === 'string' ? answer.error.slice(0, 60) : `HTTP ${status}`})`);
    if (typeof answer.id_token !== 'string') throw new SignInError(502, 'the identity provider answered without an ID token');
    return answer.id_token;
  }

  /** Verifies the ID token; every fault is a SignInError naming it. */
  private async verifyIdToken(metadata: Discovery, idToken: string, nonce: string): Promise<JWTPayload> {
    const algorithms = (metadata.id_token_signing_alg_values_supported ?? ['RS256']).filter((alg) => ASYMMETRIC.test(alg));
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(idToken, this.jwks!, {
        issuer: this.options.issuer,
        audience: this.options.clientId,
        algorithms,
        currentDate: this.options.clock.now(),
        requiredClaims: ['sub', 'iat', 'exp'],
      }));
    } catch (error) {
      const reason = (error as { code?: string }).code ?? 'ERR_JWT_INVALID';
      throw new SignInError(401, `the ID token was refused (${reason}: ${(error as Error).message.slice(0, 120)})`);
    }
    if (typeof claims.nonce !== 'string' || !sameSecret(claims.nonce, nonce)) throw new SignInError(401, 'the ID token was refused (its nonce is not the one this sign-in sent)');
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== this.options.clientId)
      throw new SignInError(401, 'the ID token was refused (several audiences and azp is not this workbench)');
    if (typeof claims.sub !== 'string' || claims.sub.trim() === '' || claims.sub.length > 255) throw new SignInError(401, 'the ID token was refused (no usable sub)');
    return claims;
  }

  private rolesOf(groups: unknown): Role[] {
    if (!Array.isArray(groups)) return [];
    const roles = new Set<Role>();
    for (const group of groups) {
      if (typeof group === 'string' && Object.hasOwn(this.options.groupRoles, group)) roles.add(this.options.groupRoles[group]!);
    }
    return ROLES.filter((role) => roles.has(role));
  }

  private async signOut(request: WorkbenchRequest): Promise<WorkbenchResponse> {
    const id = cookieValue(request.headers.cookie, this.sessionCookie);
    const resolved = id ? await this.resolve(sha256(id), this.options.clock.now().getTime()) : undefined;
    if (!resolved)
      return this.page(200, renderSignInPage({ title: 'Signed out', message: 'You are not signed in.', signInHref: SIGN_IN_PATH }), { 'set-cookie': this.clearCookie(this.sessionCookie, '/') });
    const { session } = resolved;
    const actor: Actor = { user: session.sub, name: session.name, roles: session.roles };
    const token = csrfToken(session.csrfKey, 'sign-out');
    if (request.method === 'GET') return this.page(200, renderSignOutPage({ actor, csrf: token }));
    const fields = new URLSearchParams(request.body);
    if (!sameSecret(fields.get('csrf') ?? '', token)) {
      return this.page(403, renderMessagePage({ title: 'Not allowed', message: 'This sign-out form did not come from the workbench (CSRF check failed); you are still signed in.', actor }));
    }
    await this.deleteResolved(resolved);
    const headers = { 'set-cookie': this.clearCookie(this.sessionCookie, '/') };
    const metadata = await this.metadata().catch(() => undefined);
    if (metadata?.end_session_endpoint) {
      const url = new URL(metadata.end_session_endpoint);
      if (session.idToken) url.searchParams.set('id_token_hint', session.idToken);
      url.searchParams.set('client_id', this.options.clientId);
      url.searchParams.set('post_logout_redirect_uri', new URL(SIGNED_OUT_PATH, this.redirectUri).toString());
      return respond(303, 'text/plain; charset=utf-8', 'See the identity provider', { ...headers, location: url.toString() });
    }
    return respond(303, 'text/plain; charset=utf-8', `See ${SIGNED_OUT_PATH}`, { ...headers, location: SIGNED_OUT_PATH });
  }
}
