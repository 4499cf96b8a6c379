/**
 * An in-process `ledgerline serve` (the same startServer the command runs) on a fresh state and a
 * free port, with two clients (one with a tight rate limit), its access log captured, and tokens
 * signed every way a caller could get them wrong.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT, importJWK } from 'jose';
import { API_SCOPES } from '../../../src/api/routes';
import { startServer, type RunningServer } from '../../../src/cli/serve-command';
import { loadIssuer } from '../../../src/cli/token-command';
import type { IssuerKeys } from '../../../src/api/local-issuer';
import { authorisationLines, HIGH_RISK_MCCS } from '../../../src/generator/authorisations';
import { loadReferenceData } from '../../../src/adapters/embedded/reference-data';

/** A random id with no digits: a random UUID's digits can line up as a Luhn-valid card number, which the PAN guard refuses (API-4). */
export function digitFreeId(prefix: string): string {
  return `${prefix}-${randomUUID().replace(/[0-9]/g, (digit) => 'ghijklmnop'[Number(digit)]!)}`;
}

/** A fresh Idempotency-Key (digit-free, see digitFreeId). */
function freshKey(): string {
  return digitFreeId('key');
}

export const ALL_SCOPES = Object.keys(API_SCOPES);
export const SECRET = 'a-test-secret-of-some-length';

export interface Harness {
  state: string;
  url: string;
  log: string[];
  keys: IssuerKeys;
  token(overrides?: TokenSpec): Promise<string>;
  post(body: unknown, options?: { key?: string; token?: string; contentType?: string; raw?: string | Uint8Array }): Promise<Response>;
  get(path: string, token?: string): Promise<Response>;
  stop(): Promise<void>;
}

export interface TokenSpec {
  clientId?: string;
  scopes?: string[];
  issuer?: string;
  audience?: string | null;
  expiresIn?: number;
  notBeforeIn?: number;
  tokenUse?: string;
  /** Sign with a key of our own (a forged token). */
  foreignKey?: boolean;
  alg?: 'RS256' | 'HS256';
}

let foreign: Awaited<ReturnType<typeof generateKeyPair>> | undefined;

export async function startHarness(options: { bodyLimit?: number } = {}): Promise<Harness> {
  const state = mkdtempSync(join(tmpdir(), 'ledgerline-api-'));
  const clientsFile = join(state, 'test-clients.json');
  writeFileSync(
    clientsFile,
    JSON.stringify({
      clients: [
        { clientId: 'partner-a', secret: SECRET, scopes: ALL_SCOPES, rateLimit: { burst: 10_000, perSecond: 10_000 } },
        { clientId: 'slow-partner', secret: SECRET, scopes: ALL_SCOPES, rateLimit: { burst: 3, perSecond: 1 } },
        { clientId: 'reader', secret: SECRET, scopes: ['ledgerline/payments.read'] },
      ],
    }),
  );
  const log: string[] = [];
  const server: RunningServer = await startServer({
    state,
    port: 0,
    host: '127.0.0.1',
    clients: clientsFile,
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    rateLimit: { burst: 1000, perSecond: 1000 },
    log: (line) => log.push(line),
    announce: (text) => log.push(text),
  });
  const keys = await loadIssuer(state);
  const token = async (spec: TokenSpec = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT({ client_id: spec.clientId ?? 'partner-a', scope: (spec.scopes ?? ALL_SCOPES).join(' '), token_use: spec.tokenUse ?? 'access' })
      .setProtectedHeader({ alg: spec.alg ?? 'RS256', kid: keys.kid })
      .setIssuer(spec.issuer ?? keys.issuer)
      .setIssuedAt(now)
      .setNotBefore(now + (spec.notBeforeIn ?? 0))
      .setExpirationTime(now + (spec.expiresIn ?? 600));
    if (spec.audience !== null) jwt = jwt.setAudience(spec.audience ?? keys.audience);
    if (spec.alg === 'HS256') return jwt.sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough-for-hs256'));
    if (spec.foreignKey) {
      foreign ??= await generateKeyPair('RS256');
      return jwt.sign(foreign.privateKey);
    }
    return jwt.sign(await importJWK(keys.privateJwk, 'RS256'));
  };
  const bearer = async (given?: string) => ({ authorization: `Bearer ${given ?? (await token())}` });
  return {
    state,
    url: server.url,
    log,
    keys,
    token,
    post: async (body, opts = {}) =>
      fetch(`${server.url}/v1/authorisations`, {
        method: 'POST',
        headers: { ...(await bearer(opts.token)), 'content-type': opts.contentType ?? 'application/json', ...(opts.key === '' ? {} : { 'idempotency-key': opts.key ?? freshKey() }) },
        body: opts.raw ?? JSON.stringify(body),
      }),
    get: async (path, given) => fetch(`${server.url}${path}`, { headers: await bearer(given) }),
    stop: async () => {
      await server.close();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** Generated authorisations that post (the shipped reference data), one per seed and index. */
export function sampleAuthorisations(count: number, seed: number): Record<string, unknown>[] {
  return [...authorisationLines({ count, seed, duplicateRate: 0, referenceData: loadReferenceData() })].map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Authorisations the shipped rule set posts: approved, domestic GBP, no high-risk merchant, no over-limit amount. */
export function postableAuthorisations(count: number, seed: number): Record<string, unknown>[] {
  const all = sampleAuthorisations(count * 6 + 20, seed);
  const postable = all.filter((a) => {
    const amount = a.amount as { value: string; currency: string };
    const merchant = a.merchant as { country: string; mcc: string };
    return a.responseCode === '00' && amount.currency === 'GBP' && merchant.country === 'GB' && !HIGH_RISK_MCCS.has(merchant.mcc) && Number(amount.value) < 500;
  });
  if (postable.length < count) throw new Error(`seed ${seed}: only ${postable.length} postable authorisations of ${all.length}`);
  return postable.slice(0, count);
}
