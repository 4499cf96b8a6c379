/**
 * API-3: bearer-token verification, the same code locally and on AWS. A token is accepted when its
 * RS256 signature checks against the issuer's JWKS (Cognito's remote key set on AWS, the local
 * issuer's locally), its `iss` is the issuer, it is inside exp/nbf (with a small clock tolerance),
 * and it is meant for this API: `aud` names one of the audiences, or, for a Cognito access token
 * (no `aud`), its `client_id` is one of them, as API Gateway's JWT authorizer checks it. An id
 * token (token_use "id") is refused. Scopes are the space-separated `scope` claim.
 */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface Principal {
  /** The OAuth client (Cognito app client id): rate limits and idempotency keys are per client. */
  clientId: string;
  scopes: ReadonlySet<string>;
}

export type Verification = { ok: true; principal: Principal } | { ok: false; reason: string };

export interface JwtVerifierOptions {
  issuer: string;
  /** Accepted audiences (Cognito: the app client ids; locally: the API's audience). */
  audiences: readonly string[];
  /** The issuer's key set: jose's createRemoteJWKSet (Cognito) or createLocalJWKSet (local issuer). */
  keys: JWTVerifyGetKey;
  clockToleranceSeconds?: number;
  /** The time to verify at (seconds since the epoch); default: now. */
  currentDate?: () => Date;
}

export type TokenVerifier = (token: string) => Promise<Verification>;

const MAX_TOKEN_LENGTH = 8192;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'the token was not issued by the expected issuer';
    if (error.claim === 'nbf') return 'the token is not valid yet (nbf)';
    if (error.claim === 'aud') return 'the token is not meant for this API (aud)';
    return `the token's ${error.claim} claim is not valid (${error.reason})`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey) return "the token's key is not in the issuer's key set";
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed (RS256 only)";
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return "the issuer's key set could not be read";
  if (error instanceof errors.JOSEError) return `the token is not a valid JWT (${error.code})`;
  return 'the token could not be verified';
}

/** Tokens whose verification is remembered (each one client's bearer token, reused across its requests). */
const VERIFIED_TOKENS = 1024;

interface Remembered {
  principal: Principal;
  exp: number;
  nbf?: number;
}

export function createTokenVerifier(options: JwtVerifierOptions): TokenVerifier {
  const audiences = new Set(options.audiences);
  const tolerance = options.clockToleranceSeconds ?? 30;
  // A client sends one token with every request until it expires: its signature (an RS256 check,
  // the largest CPU cost of a small request) is verified once. A remembered token is accepted only
  // while inside its exp/nbf as jose checks them; outside, it is verified anew, which names the fault.
  // (A key withdrawn from the key set refuses new tokens; one remembered stays good to its exp.)
  const verified = new Map<string, Remembered>();
  return async (token) => {
    if (token.length > MAX_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) return { ok: false, reason: 'the bearer token is not a compact JWT' };
    const currentDate = options.currentDate?.();
    const remembered = verified.get(token);
    if (remembered) {
      const now = Math.floor((currentDate ?? new Date()).getTime() / 1000);
      if (remembered.exp > now - tolerance && !(remembered.nbf !== undefined && remembered.nbf > now + tolerance)) return { ok: true, principal: remembered.principal };
      verified.delete(token);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, options.keys, {
        issuer: options.issuer,
        algorithms: ['RS256'],
        clockTolerance: tolerance,
        requiredClaims: ['exp'],
        ...(currentDate ? { currentDate } : {}),
      }));
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
    const verification = principalOf(payload, audiences);
    if (verification.ok) {
      if (verified.size >= VERIFIED_TOKENS) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal: verification.principal, exp: payload.exp!, ...(payload.nbf !== undefined ? { nbf: payload.nbf } : {}) });
    }
    return verification;
  };
}

/** The client and scopes of a verified token's claims, if it is an access token meant for this API. */
function principalOf(payload: JWTPayload, audiences: ReadonlySet<string>): Verification {
  if (payload.token_use !== undefined && payload.token_use !== 'access') return { ok: false, reason: 'an id token is not an access token' };
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
  const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const meant = aud.length > 0 ? aud.some((value) => audiences.has(value)) : clientId !== undefined && audiences.has(clientId);
  if (!meant) return { ok: false, reason: 'the token is not meant for this API (aud / client_id)' };
  if (clientId === undefined || clientId === '') return { ok: false, reason: 'the token names no client (client_id)' };
  const scope = typeof payload.scope === 'string' ? payload.scope : '';
  return { ok: true, principal: { clientId, scopes: new Set(scope.split(' ').filter((s) => s !== '')) } };
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization);
  return match ? match[1] : undefined;
}
