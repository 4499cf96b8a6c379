/**
 * The workbench's Authenticator on AWS. The internal ALB runs the OIDC flow with Okta and
 * forwards the signed-in user to the Lambda in `x-amzn-oidc-data`: a JWT signed by the ALB
 * (ES256, header `kid` + `signer` = the ALB ARN). Nothing else in the request is trusted:
 * - 3 base64url parts, `alg` ES256, `signer` exactly the configured ALB ARN;
 * - the ECDSA P-256 signature, against the ALB's public key for `kid`
 *   (https://public-keys.auth.elb.<region>.amazonaws.com/<kid>, fetched once per kid);
 * - `exp` in the future (injected clock), `iss` exactly the configured Okta issuer;
 * - user = the `email` claim; roles = the `groups` claim mapped through the configured
 *   group → role map. A signed-in user with no mapped group has no Ledgerline role: refused.
 * Every failure is an AuthenticationError with the reason; the token itself is never echoed.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Actor, Role } from '../../recon/workbench/cases';
import { ROLES } from '../../recon/workbench/cases';
import type { Authenticator, Clock, WorkbenchRequest } from '../../recon/workbench/ports';
import { AuthenticationError } from '../../recon/workbench/ports';

export const ALB_IDENTITY_HEADER = 'x-amzn-oidc-data';
const KEY_ID_PATTERN = /^[A-Za-z0-9-]+$/;
/** The ALB pads its base64url segments ('='), unlike most JWT issuers. */
const SEGMENT_PATTERN = /^[A-Za-z0-9_-]+={0,2}$/;

export interface AlbOidcAuthenticatorOptions {
  /** The internal ALB that signs the identity header (its `signer`). */
  loadBalancerArn: string;
  /** The Okta issuer the ALB authenticates against (`iss`). */
  issuer: string;
  /** Okta group → workbench role. */
  groupRoles: Readonly<Record<string, Role>>;
  /** The PEM public key the ALB signs with under `kid`. */
  fetchPublicKey(kid: string): Promise<string>;
  clock: Clock;
}

/** The ALB public-key endpoint of `region` (the key of `kid` is at `<endpoint>/<kid>`). */
export function albPublicKeyUrl(region: string, kid: string): string {
  return `https://public-keys.auth.elb.${region}.amazonaws.com/${kid}`;
}

const PUBLIC_KEY_FETCH_TIMEOUT_MS = 5000;

/** Fetches the ALB public key of `kid` with global fetch (bounded: a hung fetch must not hold the request). */
export function fetchAlbPublicKey(region: string): (kid: string) => Promise<string> {
  return async (kid) => {
    const response = await fetch(albPublicKeyUrl(region, kid), { signal: AbortSignal.timeout(PUBLIC_KEY_FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`ALB public key ${kid}: HTTP ${response.status}`);
    return response.text();
  };
}

/** Reads a group → role map (JSON object), refusing unknown roles. */
export function parseGroupRoles(json: string): Record<string, Role> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('group → role map is not JSON (expected {"<Okta group>": "viewer" | "reconciler" | "approver"})');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('group → role map must be a JSON object');
  const map: Record<string, Role> = {};
  for (const [group, role] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new Error(`group "${group}" maps to ${JSON.stringify(role)}; expected one of ${ROLES.join(', ')}`);
    map[group] = role as Role;
  }
  return map;
}

type Claims = Record<string, unknown>;

function decodeJson(segment: string, what: string): Claims {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new AuthenticationError(`identity token ${what} is not base64url JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AuthenticationError(`identity token ${what} is not a JSON object`);
  return value as Claims;
}

export class AlbOidcAuthenticator implements Authenticator {
  private readonly keys = new Map<string, Promise<KeyObject>>();

  constructor(private readonly options: AlbOidcAuthenticatorOptions) {}

  async authenticate(request: WorkbenchRequest): Promise<Actor> {
    const token = request.headers[ALB_IDENTITY_HEADER];
    if (!token) throw new AuthenticationError(`no ${ALB_IDENTITY_HEADER} header: the request did not come through the workbench load balancer`);
    const parts = token.split('.');
    if (parts.length !== 3 || parts.some((part) => !SEGMENT_PATTERN.test(part))) throw new AuthenticationError('identity token is not three base64url parts');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart, 'header');
    if (header.alg !== 'ES256') throw new AuthenticationError(`identity token algorithm ${JSON.stringify(header.alg ?? null)} is not ES256`);
    if (header.signer !== this.options.loadBalancerArn) throw new AuthenticationError('identity token was not signed by the workbench load balancer');
    const kid = header.kid;
    if (typeof kid !== 'string' || !KEY_ID_PATTERN.test(kid)) throw new AuthenticationError('identity token has no valid key id');

    const key = await this.publicKey(kid);
    const signature = Buffer.from(signaturePart, 'base64url');
    const signed = verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (!signed) throw new AuthenticationError('identity token signature is invalid');

    const claims = decodeJson(payloadPart, 'payload');
    this.checkExpiry(header, claims);
    const issuer = claims.iss ?? header.iss;
    if (issuer !== this.options.issuer) throw new AuthenticationError('identity token was issued by another identity provider');
    const email = claims.email;
    if (typeof email !== 'string' || email.trim() === '') throw new AuthenticationError('identity token has no email claim');
    const roles = this.rolesOf(claims.groups);
    if (roles.length === 0) throw new AuthenticationError(`${email} has no Ledgerline role (no Okta group of theirs maps to one)`);
    return { user: email.trim(), roles };
  }

  private checkExpiry(header: Claims, claims: Claims): void {
    const expiries = [header.exp, claims.exp].filter((exp) => exp !== undefined);
    if (expiries.length === 0) throw new AuthenticationError('identity token has no expiry');
    const nowSeconds = this.options.clock.now().getTime() / 1000;
    for (const exp of expiries) {
      if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new AuthenticationError('identity token expiry is not a number');
      if (exp <= nowSeconds) throw new AuthenticationError('identity token has expired; sign in again');
    }
  }

  private rolesOf(groups: unknown): Role[] {
    if (groups === undefined) return [];
    if (!Array.isArray(groups) || groups.some((group) => typeof group !== 'string')) throw new AuthenticationError('identity token groups claim is not a list of group names');
    const roles = new Set<Role>();
    for (const group of groups as string[]) {
      if (Object.hasOwn(this.options.groupRoles, group)) roles.add(this.options.groupRoles[group]!);
    }
    return ROLES.filter((role) => roles.has(role));
  }

  /** The ALB key of `kid`, fetched once (a failed fetch is not cached, so the next request retries). */
  private publicKey(kid: string): Promise<KeyObject> {
    let key = this.keys.get(kid);
    if (!key) {
      key = this.options
        .fetchPublicKey(kid)
        .then((pem) => createPublicKey(pem))
        .catch((error: unknown) => {
          this.keys.delete(kid);
          throw new AuthenticationError(`no public key for identity token key id ${kid}: ${error instanceof Error ? error.message : String(error)}`);
        });
      this.keys.set(kid, key);
    }
    return key;
  }
}
