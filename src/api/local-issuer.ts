/**
 * API-3 locally: an OAuth2 client-credentials issuer that signs real RS256 JWTs, shaped like
 * Cognito's access tokens (`client_id`, space-separated `scope`, `token_use: access`) plus an `aud`
 * naming the API, so the one verifier (src/api/jwt.ts) checks both. Pure: the keys and the clients
 * are handed in (src/cli/token-command.ts keeps them in the state directory).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { SignJWT, importJWK, type JWK } from 'jose';
import { jsonResponse, type ApiResponse } from './http';
import { API_SCOPES } from './routes';
import type { RateLimit } from './rate-limit';

export interface IssuerKeys {
  issuer: string;
  audience: string;
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface LocalClient {
  clientId: string;
  /** `scrypt:<salt b64>:<hash b64>` (the local clients file never holds a secret in the clear once written by us). */
  secretHash: string;
  scopes: readonly string[];
  rateLimit?: RateLimit;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
const CLIENT_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function hashSecret(secret: string, salt: Buffer = randomBytes(16)): string {
  return `scrypt:${salt.toString('base64')}:${scryptSync(secret, salt, 32).toString('base64')}`;
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const [kind, salt, hash] = secretHash.split(':');
  if (kind !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(secret, Buffer.from(salt, 'base64'), expected.length);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export class LocalIssuerError extends Error {
  override name = 'LocalIssuerError';
}

/** Checks a client entry: its id, its secret hash and that its scopes are the API's. */
export function assertClient(client: LocalClient, where: string): LocalClient {
  if (!CLIENT_ID.test(client.clientId ?? '')) throw new LocalIssuerError(`${where}: clientId must be 1-128 of A-Z a-z 0-9 . _ -`);
  if (typeof client.secretHash !== 'string' || !client.secretHash.startsWith('scrypt:')) throw new LocalIssuerError(`${where}: client ${client.clientId} has no secretHash (scrypt:...) or secret`);
  if (!Array.isArray(client.scopes) || client.scopes.length === 0) throw new LocalIssuerError(`${where}: client ${client.clientId} has no scopes`);
  for (const scope of client.scopes) {
    if (!(scope in API_SCOPES)) throw new LocalIssuerError(`${where}: client ${client.clientId}: unknown scope "${scope}" (known: ${Object.keys(API_SCOPES).join(', ')})`);
  }
  return client;
}

export async function signAccessToken(keys: IssuerKeys, clientId: string, scopes: readonly string[], nowSeconds: number, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS): Promise<string> {
  const key = await importJWK(keys.privateJwk, 'RS256');
  return new SignJWT({ client_id: clientId, scope: scopes.join(' '), token_use: 'access' })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setIssuer(keys.issuer)
    .setAudience(keys.audience)
    .setSubject(clientId)
    .setIssuedAt(nowSeconds)
    .setNotBefore(nowSeconds)
    .setExpirationTime(nowSeconds + ttlSeconds)
    .setJti(randomBytes(12).toString('hex'))
    .sign(key);
}

/** The scopes to grant: the requested ones (all of them allowed), or all the client's when none are asked for; undefined when one is not allowed. */
export function grantedScopes(client: LocalClient, requested: string | undefined): string[] | undefined {
  if (requested === undefined || requested.trim() === '') return [...client.scopes];
  const asked = requested.split(' ').filter((scope) => scope !== '');
  return asked.every((scope) => client.scopes.includes(scope)) ? asked : undefined;
}

function oauthError(status: number, error: string, description: string, headers: Record<string, string> = {}): ApiResponse {
  return jsonResponse(status, { error, error_description: description }, { 'cache-control': 'no-store', ...headers });
}

/**
 * POST /oauth2/token (RFC 6749 §4.4): grant_type=client_credentials, the client authenticated by
 * HTTP Basic or client_id/client_secret in the form, an optional space-separated scope.
 */
export async function tokenEndpoint(
  keys: IssuerKeys,
  clients: ReadonlyMap<string, LocalClient>,
  request: { contentType: string | undefined; authorization: string | undefined; body: string },
  nowSeconds: number,
): Promise<ApiResponse> {
  if (!(request.contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) return oauthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  const form = new URLSearchParams(request.body);
  if (form.get('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
  let clientId = form.get('client_id') ?? undefined;
  let secret = form.get('client_secret') ?? undefined;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      clientId = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  const client = clientId === undefined ? undefined : clients.get(clientId);
  if (!client || secret === undefined || !secretMatches(secret, client.secretHash)) {
    return oauthError(401, 'invalid_client', 'unknown client or wrong secret', { 'www-authenticate': 'Basic realm="ledgerline"' });
  }
  const scopes = grantedScopes(client, form.get('scope') ?? undefined);
  if (!scopes) return oauthError(400, 'invalid_scope', `client ${client.clientId} may ask for: ${client.scopes.join(' ')}`);
  const token = await signAccessToken(keys, client.clientId, scopes, nowSeconds);
  return jsonResponse(200, { access_token: token, token_type: 'Bearer', expires_in: DEFAULT_TOKEN_TTL_SECONDS, scope: scopes.join(' ') }, { 'cache-control': 'no-store' });
}
