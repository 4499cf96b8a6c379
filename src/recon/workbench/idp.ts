/**
 * The local identity provider for the workbench: a real OpenID Connect provider (`oidc-provider`
 * 9, the maintained line; its only dependencies are koa, jose and debug) on loopback, with the
 * users and groups of a config file (config/workbench-users.json). The workbench signs in against
 * it exactly as it signs in against Okta on AWS (src/recon/workbench/oidc.ts).
 *
 * Its login form is the provider's development form: a person types a user id of the file (the
 * password is not checked), so it serves one machine only and refuses a non-loopback host.
 * Consent is granted for the workbench client (first party). Signing keys, cookie keys and the
 * client secret are random per start and never written to disk.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { containsPan } from '../../domain/pan';
import { type Role, ROLES } from './cases';

export interface IdpUser {
  sub: string;
  name: string;
  email: string;
  groups: string[];
}

export interface IdpUsersConfig {
  clientId: string;
  groupRoles: Record<string, Role>;
  users: IdpUser[];
}

export interface LocalIdpOptions {
  config: IdpUsersConfig;
  host: string;
  /** 0 = any free port. */
  port: number;
  /** The workbench callback URLs to allow (`<workbench>/callback`). */
  redirectUris: readonly string[];
  /** Where the provider may send a person after RP-initiated logout (`<workbench>/signed-out`). */
  postLogoutRedirectUris: readonly string[];
  /** Seconds an ID token is valid (default 300). */
  idTokenSeconds?: number;
}

export interface LocalIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const SUB = /^[A-Za-z0-9._@+-]{1,64}$/;

/** Reads and checks a users file; every fault names the file and the entry. */
export function readIdpUsers(file: string): IdpUsersConfig {
  if (!existsSync(file)) throw new Error(`users file "${file}" does not exist`);
  if (statSync(file).isDirectory()) throw new Error(`users file "${file}" is a directory, expected a JSON file`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`users file "${file}" is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseIdpUsers(parsed, file);
}

export function parseIdpUsers(parsed: unknown, file = 'users file'): IdpUsersConfig {
  const fail = (message: string): never => {
    throw new Error(`${file}: ${message}`);
  };
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail('must be a JSON object {clientId, groupRoles, users}');
  const { clientId, groupRoles, users } = parsed as Record<string, unknown>;
  if (typeof clientId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(clientId)) fail('clientId must be 1-64 letters, digits, . _ -');
  if (groupRoles === null || typeof groupRoles !== 'object' || Array.isArray(groupRoles)) fail('groupRoles must be an object {"<group>": "viewer" | "reconciler" | "approver"}');
  for (const [group, role] of Object.entries(groupRoles as Record<string, unknown>)) {
    if (!(ROLES as readonly unknown[]).includes(role)) fail(`group "${group}" maps to ${JSON.stringify(role)}; expected one of ${ROLES.join(', ')}`);
  }
  if (!Array.isArray(users) || users.length === 0) fail('users must be a non-empty list');
  const seen = new Set<string>();
  (users as unknown[]).forEach((user, index) => {
    const u = user as Partial<IdpUser> | null;
    if (u === null || typeof u !== 'object') return fail(`users[${index}] is not an object`);
    if (typeof u.sub !== 'string' || !SUB.test(u.sub)) return fail(`users[${index}].sub must be 1-64 letters, digits, . _ @ + -`);
    if (containsPan(u.sub) || (typeof u.name === 'string' && containsPan(u.name))) return fail(`users[${index}] carries what looks like a card number (PAN)`);
    if (seen.has(u.sub)) return fail(`users[${index}].sub "${u.sub}" appears twice`);
    seen.add(u.sub);
    if (typeof u.name !== 'string' || u.name.trim() === '') return fail(`users[${index}].name is missing`);
    if (typeof u.email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(u.email)) return fail(`users[${index}].email is not an email address`);
    if (!Array.isArray(u.groups) || u.groups.some((group) => typeof group !== 'string')) return fail(`users[${index}].groups must be a list of group names`);
    return undefined;
  });
  return parsed as IdpUsersConfig;
}

/** The part of oidc-provider's API used here (the package ships no type declarations). */
interface GrantLike {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface ProviderContext {
  oidc: {
    result?: { consent?: { grantId?: string } };
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    client?: { clientId: string };
    provider: { Grant: { new (init: { clientId: string; accountId: string }): GrantLike; find(id: string): Promise<GrantLike | undefined> } };
  };
}
interface ProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => { callback(): (request: IncomingMessage, response: ServerResponse) => void };
}

/** oidc-provider is an ES module: loaded with a real dynamic import (not rewritten to require). */
const importProvider = new Function('return import("oidc-provider")') as () => Promise<ProviderModule>;

export async function startLocalIdp(options: LocalIdpOptions): Promise<LocalIdp> {
  if (!LOOPBACK.has(options.host)) throw new Error(`the local identity provider checks no passwords: it listens on loopback only (127.0.0.1, ::1, localhost), not ${options.host}`);
  const { default: Provider } = await importProvider();
  const users = new Map(options.config.users.map((user) => [user.sub, user]));
  // The issuer names the port, so the provider is made once the server listens.
  const route: { handler?: (request: IncomingMessage, response: ServerResponse) => void } = {};
  const server = createServer((request, response) => {
    if (route.handler) route.handler(request, response);
    else response.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const issuer = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  const clientSecret = randomBytes(32).toString('base64url');
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const clientId = options.config.clientId;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [...options.redirectUris],
        post_logout_redirect_uris: [...options.postLogoutRedirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...signingKey, kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    // The workbench reads who signed in from the ID token alone (as from Okta's groups claim).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    ttl: { IdToken: options.idTokenSeconds ?? 300, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
    async findAccount(_ctx: ProviderContext, id: string) {
      const user = users.get(id);
      if (!user) return undefined;
      return { accountId: id, claims: async () => ({ sub: user.sub, name: user.name, email: user.email, email_verified: true, groups: [...user.groups] }) };
    },
    // The workbench is this provider's only, first-party client: its consent is given.
    async loadExistingGrant(ctx: ProviderContext) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
  });
  route.handler = provider.callback();
  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
