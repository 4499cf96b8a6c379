/**
 * API-3 locally: the local token issuer's keys and clients, kept in the state directory, and
 * `ledgerline token --state DIR --client ID --scope S` printing a signed access token for
 * scripts (the same token POST /oauth2/token on `ledgerline serve` gives that client).
 *
 * - `<state>/api/issuer.json` (mode 0600): the issuer name, the audience, the RS256 key pair; made
 *   once per state, so tokens outlive a restart of the server.
 * - `<state>/api/clients.json` (mode 0600): the OAuth clients, their scrypt-hashed secrets, their
 *   scopes and rate limits. Made on first use with one client, `local`, holding every scope; its
 *   secret is printed once, on stderr. `serve --clients FILE` reads another file instead, whose
 *   clients may give `secret` in the clear (a test or a demo).
 */
import type { Command } from 'commander';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { assertClient, DEFAULT_TOKEN_TTL_SECONDS, grantedScopes, hashSecret, LocalIssuerError, signAccessToken, type IssuerKeys, type LocalClient } from '../api/local-issuer';
import { API_SCOPES } from '../api/routes';
import { assertRateLimit, RateLimitError } from '../api/rate-limit';
import { CliError } from './errors';
import type { CliIo } from './io';
import { wholeNumber, directory } from './options';

export const API_DIR = 'api';
export const ISSUER_FILE = 'issuer.json';
export const CLIENTS_FILE = 'clients.json';
export const API_AUDIENCE = 'ledgerline-api';
export const DEFAULT_CLIENT = 'local';

function writePrivate(file: string, value: unknown): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

/** The state's issuer, made on first use. */
export async function loadIssuer(stateDir: string): Promise<IssuerKeys> {
  const dir = join(stateDir, API_DIR);
  const file = join(dir, ISSUER_FILE);
  if (existsSync(file)) {
    const keys = JSON.parse(readFileSync(file, 'utf8')) as IssuerKeys;
    if (typeof keys.issuer !== 'string' || !keys.privateJwk || !keys.publicJwk) throw new CliError(`${file} is not a Ledgerline issuer file`);
    return keys;
  }
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const kid = randomUUID();
  const keys: IssuerKeys = {
    issuer: `urn:ledgerline:local-issuer:${randomUUID()}`,
    audience: API_AUDIENCE,
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
  writePrivate(file, keys);
  return keys;
}

interface ClientsDocument {
  clients: (Partial<LocalClient> & { secret?: string })[];
}

/** Reads a clients file: each client's secret (hashed here when given in the clear), scopes and rate limit, checked. */
export function readClients(file: string): Map<string, LocalClient> {
  let document: ClientsDocument;
  try {
    document = JSON.parse(readFileSync(file, 'utf8')) as ClientsDocument;
  } catch (error) {
    throw new CliError(`clients file "${file}": ${(error as Error).message.replace(/, ".*" is not valid JSON$/s, '')}`);
  }
  if (!document || !Array.isArray(document.clients)) throw new CliError(`clients file "${file}": expected {"clients": [{"clientId", "secret" | "secretHash", "scopes", "rateLimit"?}]}`);
  const clients = new Map<string, LocalClient>();
  document.clients.forEach((entry, index) => {
    const where = `clients file "${file}", client ${index + 1}`;
    try {
      if (entry.secretHash === undefined && typeof entry.secret === 'string' && entry.secret.length < 8)
        throw new CliError(`${where}: client ${entry.clientId ?? '?'}: secret must be at least 8 characters`);
      const client: LocalClient = {
        clientId: entry.clientId ?? '',
        secretHash: entry.secretHash ?? (typeof entry.secret === 'string' && entry.secret.length >= 8 ? hashSecret(entry.secret) : ''),
        scopes: entry.scopes ?? [],
        ...(entry.rateLimit ? { rateLimit: assertRateLimit(entry.rateLimit, `${where}: rateLimit`) } : {}),
      };
      assertClient(client, where);
      if (clients.has(client.clientId)) throw new CliError(`${where}: client ${client.clientId} is listed twice`);
      clients.set(client.clientId, client);
    } catch (error) {
      if (error instanceof LocalIssuerError || error instanceof RateLimitError) throw new CliError(error.message);
      throw error;
    }
  });
  if (clients.size === 0) throw new CliError(`clients file "${file}" lists no client`);
  return clients;
}

/** The state's clients (made on first use with one client holding every scope; its secret goes to `announce` once). */
export function loadClients(stateDir: string, announce: (text: string) => void, clientsFile?: string): Map<string, LocalClient> {
  if (clientsFile !== undefined) {
    if (!existsSync(clientsFile)) throw new CliError(`clients file "${clientsFile}" does not exist`);
    return readClients(clientsFile);
  }
  const file = join(stateDir, API_DIR, CLIENTS_FILE);
  if (!existsSync(file)) {
    mkdirSync(join(stateDir, API_DIR), { recursive: true });
    const secret = randomBytes(24).toString('base64url');
    writePrivate(file, { clients: [{ clientId: DEFAULT_CLIENT, secretHash: hashSecret(secret), scopes: Object.keys(API_SCOPES) }] });
    announce(`made ${file}: client "${DEFAULT_CLIENT}" (every scope), secret ${secret} (shown once; or use \`ledgerline token\`)\n`);
  }
  return readClients(file);
}

export function addTokenCommand(program: Command, io: CliIo): void {
  program
    .command('token')
    .description("print a signed access token (JWT) of the state's local issuer for a client: what POST /oauth2/token on `ledgerline serve` gives it (API-3)")
    .requiredOption('--state <dir>', 'state directory (its api/ holds the issuer keys and the clients)', directory('--state'))
    .option('--client <id>', 'the OAuth client', DEFAULT_CLIENT)
    .option('--scope <scopes...>', `scopes to grant (default: all the client's): ${Object.keys(API_SCOPES).join(', ')}`)
    .option('--clients <file>', 'read the clients from this file instead of <state>/api/clients.json')
    .option('--ttl <seconds>', 'lifetime of the token', wholeNumber('--ttl', { min: 1, max: 86_400 }), DEFAULT_TOKEN_TTL_SECONDS)
    .addHelpText('after', '\nExample:\n  TOKEN=$(ledgerline token --state ./state --scope ledgerline/payments.write)\n  curl -H "Authorization: Bearer $TOKEN" ...')
    .action(async (options: { state: string; client: string; scope?: string[]; clients?: string; ttl: number }) => {
      const clients = loadClients(options.state, io.stderr, options.clients);
      const client = clients.get(options.client);
      if (!client) throw new CliError(`token: no client "${options.client}" (clients: ${[...clients.keys()].join(', ')})`);
      const requested = options.scope?.flatMap((scope) => scope.split(' ')).join(' ');
      const scopes = grantedScopes(client, requested);
      if (!scopes) throw new CliError(`token: client "${client.clientId}" may have only: ${client.scopes.join(' ')}`);
      const keys = await loadIssuer(options.state);
      io.stdout(`${await signAccessToken(keys, client.clientId, scopes, Math.floor(Date.now() / 1000), options.ttl)}\n`);
    });
}
