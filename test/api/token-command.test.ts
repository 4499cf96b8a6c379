/**
 * API-3 locally: the state's issuer and clients, and `ledgerline token`: a default client made once
 * (its secret announced once, stored only hashed, files 0600), every bad clients file refused
 * naming the file, the client and the fault, and a printed token that the API's verifier accepts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createLocalJWKSet } from 'jose';
import { createTokenVerifier } from '../../src/api/jwt';
import { CliError } from '../../src/cli/errors';
import { addTokenCommand, loadClients, loadIssuer, readClients } from '../../src/cli/token-command';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledgerline-token-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('makes one default client with every scope; its secret is announced once and stored only hashed, in 0600 files', async () => {
  const said: string[] = [];
  const clients = loadClients(dir, (text) => said.push(text));
  expect([...clients.keys()]).toEqual(['local']);
  const secret = /secret (\S+)/.exec(said.join(''))![1]!;
  const file = join(dir, 'api', 'clients.json');
  expect(readFileSync(file, 'utf8')).not.toContain(secret);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  loadClients(dir, (text) => said.push(text));
  expect(said).toHaveLength(1);
  await loadIssuer(dir);
  expect(statSync(join(dir, 'api', 'issuer.json')).mode & 0o777).toBe(0o600);
  // The same issuer on the next start.
  expect((await loadIssuer(dir)).kid).toBe((await loadIssuer(dir)).kid);
});

it.each([
  ['not JSON', '{"clients": [', /clients file ".*": /],
  ['no clients array', '{"clients": 3}', /expected \{"clients"/],
  ['no client', '{"clients": []}', /lists no client/],
  ['a bad client id', '{"clients": [{"clientId": "a b", "secret": "12345678", "scopes": ["ledgerline/payments.read"]}]}', /client 1: clientId must be/],
  ['a short secret', '{"clients": [{"clientId": "a", "secret": "short", "scopes": ["ledgerline/payments.read"]}]}', /client 1: client a: secret must be at least 8 characters/],
  ['an unknown scope', '{"clients": [{"clientId": "a", "secret": "12345678", "scopes": ["admin"]}]}', /client 1: client a: unknown scope "admin"/],
  ['no scopes', '{"clients": [{"clientId": "a", "secret": "12345678", "scopes": []}]}', /client a has no scopes/],
  [
    'a bad rate limit',
    '{"clients": [{"clientId": "a", "secret": "12345678", "scopes": ["ledgerline/payments.read"], "rateLimit": {"burst": 0, "perSecond": 1}}]}',
    /client 1: rateLimit: burst must be/,
  ],
  [
    'a client twice',
    '{"clients": [{"clientId": "a", "secret": "12345678", "scopes": ["ledgerline/payments.read"]}, {"clientId": "a", "secret": "12345678", "scopes": ["ledgerline/payments.read"]}]}',
    /client 2: client a is listed twice/,
  ],
])('refuses a clients file with %s, naming the file and the fault', (_case, text, message) => {
  const file = join(dir, 'clients.json');
  writeFileSync(file, text);
  expect(() => readClients(file)).toThrow(CliError);
  expect(() => readClients(file)).toThrow(message);
});

async function runToken(args: string[]): Promise<{ out: string; error?: unknown }> {
  let out = '';
  const program = new Command('ledgerline').exitOverride();
  addTokenCommand(program, { stdout: (text) => (out += text), stderr: () => undefined });
  try {
    await program.parseAsync(['node', 'ledgerline', 'token', '--state', dir, ...args]);
    return { out };
  } catch (error) {
    return { out, error };
  }
}

it('prints a token the API verifier accepts with exactly the scopes asked for; refuses an unknown client or a scope the client may not have', async () => {
  const { out } = await runToken(['--scope', 'ledgerline/payments.read', 'ledgerline/balances.read']);
  const keys = await loadIssuer(dir);
  const verified = await createTokenVerifier({ issuer: keys.issuer, audiences: [keys.audience], keys: createLocalJWKSet({ keys: [keys.publicJwk] }) })(out.trim());
  expect(verified).toEqual({ ok: true, principal: { clientId: 'local', scopes: new Set(['ledgerline/payments.read', 'ledgerline/balances.read']) } });
  const file = join(dir, 'few.json');
  writeFileSync(file, JSON.stringify({ clients: [{ clientId: 'reader', secret: '12345678', scopes: ['ledgerline/payments.read'] }] }));
  expect((await runToken(['--clients', file, '--client', 'nobody'])).error).toEqual(new CliError('token: no client "nobody" (clients: reader)'));
  expect(String((await runToken(['--clients', file, '--client', 'reader', '--scope', 'ledgerline/payments.write'])).error)).toContain('may have only: ledgerline/payments.read');
});
