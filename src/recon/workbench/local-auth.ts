/**
 * The embedded workbench's sign-in: one person on their own machine, no SSO offline. A random
 * access token is made once per server start and printed in the login URL; `/login?token=…` turns
 * it into an HttpOnly, SameSite=Strict session cookie (an HMAC of the token, so the cookie never
 * holds the token itself). Scripts may send `Authorization: Bearer <token>` instead.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Actor } from './cases';
import { respond, sameSecret } from './app';
import { renderMessagePage, SIGN_OUT_PATH } from './html';
import { AuthenticationError, type Authenticator, type SignInPage, type WorkbenchRequest, type WorkbenchResponse } from './ports';

export const SESSION_COOKIE = 'ledgerline_workbench_session';
export const LOGIN_PATH = '/login';

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

export class LocalAuthenticator implements Authenticator {
  /** The access token in the login URL (32 random bytes, hex). */
  readonly token: string;
  private readonly session: string;
  /** `GET /login?token=…` (the login link). */
  readonly pages: Readonly<Record<string, SignInPage>> = {
    [LOGIN_PATH]: { methods: ['GET'], answer: async (request) => this.login(request) },
    // Forgets the cookie in this browser (the login link keeps working until the server stops).
    [SIGN_OUT_PATH]: {
      methods: ['GET', 'POST'],
      answer: async () =>
        respond(200, 'text/html; charset=utf-8', renderMessagePage({ title: 'Signed out', message: 'This browser is signed out; the login link printed at start signs it in again.' }), {
          'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
        }),
    },
  };

  constructor(
    private readonly actor: Actor,
    token: string = randomBytes(32).toString('hex'),
  ) {
    this.token = token;
    this.session = createHmac('sha256', token).update('ledgerline workbench session').digest('hex');
  }

  /** The URL to open: the server's base URL plus the login path and token. */
  loginUrl(baseUrl: string): string {
    return `${baseUrl}${LOGIN_PATH}?token=${this.token}`;
  }

  async authenticate(request: WorkbenchRequest): Promise<Actor> {
    const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (cookie !== undefined && sameSecret(cookie, this.session)) return this.actor;
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (bearer && sameSecret(bearer[1]!, this.token)) return this.actor;
    throw new AuthenticationError('you are not signed in: open the login link that `ledgerline workbench` printed when it started');
  }

  /** `GET /login?token=…`: a valid token sets the session cookie and goes to the case list. */
  login(request: WorkbenchRequest): WorkbenchResponse {
    if (request.method !== 'GET') return respond(405, 'text/plain; charset=utf-8', `${LOGIN_PATH} accepts GET only`, { allow: 'GET' });
    if (!sameSecret(request.query.token ?? '', this.token)) {
      return respond(
        401,
        'text/html; charset=utf-8',
        renderMessagePage({ title: 'Sign-in required', message: 'This login link is not valid for this workbench: use the link `ledgerline workbench` printed when it started.' }),
      );
    }
    return respond(303, 'text/plain; charset=utf-8', 'See /cases', {
      location: '/cases',
      'set-cookie': `${SESSION_COOKIE}=${this.session}; Path=/; HttpOnly; SameSite=Strict`,
    });
  }
}
