/**
 * API-1..5, HOOK-1/2, AUDIT-1/2, MODE-4: the customer edge end to end, locally, through the
 * commands over real HTTP. `ledgerline serve` in its own process (with its background rounds:
 * notifications and, with --audit-database, the audit copy), a partner's webhook receiver on
 * loopback subscribed with `ledgerline webhooks subscribe`, a token from `ledgerline token`; then
 * an authorisation is posted, posted again with the same Idempotency-Key (the same bytes back),
 * its status read until posted, the signed webhook received and verified with the code partners
 * use (`ledgerline webhooks verify`, and its library), the audit rows found in PostgreSQL with
 * every chain verified (`ledgerline audit verify` exit 0), and the balance changed exactly once.
 * Without PostgreSQL only the audit step is skipped, with a message saying so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { acquireDirLock } from '../../src/adapters/embedded/dir-lock';
import { SIGNATURE_HEADER, verifyWebhook } from '../../src/notify/signing';
import { postgresAvailable, useThrowAwayPostgres, type ThrowAwayPostgres } from '../support/postgres';
import { postableAuthorisations } from './support/harness';

jest.setTimeout(600_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'ledgerline.js');
const ENV = { ...process.env, LEDGERLINE_FROM_SOURCE: '1' };
const SECRET = 'whsec_edge-e2e-0123456789abcdef';

const pg: ThrowAwayPostgres | undefined = postgresAvailable ? useThrowAwayPostgres() : undefined;
if (!pg) console.warn('edge-e2e: PostgreSQL server binaries (initdb, pg_ctl) are absent: the audit-trail step is SKIPPED; everything else runs.');

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let dir: string;
let state: string;
let server: ChildProcess;
let url: string;
let stdout = '';
let stderr = '';
let receiver: Server;
let hookUrl: string;
const received: Received[] = [];
let auditUrl: string | undefined;
let audit: Client | undefined;

function ledgerline(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, attempts = 300): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`edge-e2e: ${what} did not happen after ${attempts} tries; serve stderr: ${stderr}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledgerline-edge-e2e-'));
  state = join(dir, 'state');
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  if (pg) {
    auditUrl = await pg.freshDatabase();
    audit = await pg.client(auditUrl);
  }
  const args = ['serve', '--state', state, '--port', '0', '--background-interval', '1', ...(auditUrl ? ['--audit-database', auditUrl] : [])];
  server = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /"message":"listening".*?"url":"([^"]+)"/.exec(stdout);
      if (listening) resolve(listening[1]!);
    });
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

it('token → POST → the same again → status posted → signed webhook verified → audit rows chained → balance changed once', async () => {
  // The partner subscribes while the server runs (the notifier's lock is the server's only during a round).
  const subscribed = ledgerline(['webhooks', 'subscribe', '--state', state, '--id', 'acme', '--url', hookUrl, '--events', 'payment.posted', '--secret', SECRET]);
  expect(subscribed.stderr).toBe('');
  expect(subscribed.status).toBe(0);

  const tokenOf = (scope: string): string => {
    const issued = ledgerline(['token', '--state', state, '--scope', scope]);
    expect(issued.status).toBe(0);
    return issued.stdout.trim();
  };
  const write = tokenOf('ledgerline/payments.write');
  const read = tokenOf('ledgerline/payments.read ledgerline/balances.read');
  const [auth] = postableAuthorisations(1, 907);
  const post = () =>
    fetch(`${url}/v1/authorisations`, { method: 'POST', headers: { authorization: `Bearer ${write}`, 'content-type': 'application/json', 'idempotency-key': 'edge-1' }, body: JSON.stringify(auth) });
  const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${read}` } });

  const first = await post();
  const firstBody = await first.text();
  expect(first.status).toBe(201);
  const outcome = JSON.parse(firstBody) as {
    paymentId: string;
    authorizationId: string;
    sequenceId: string;
    legs: { accountId: string; direction: string; amount: { value: string; currency: string } }[];
  };
  expect(outcome.authorizationId).toBe(auth!.authorizationId);
  const again = await post();
  expect(again.status).toBe(201);
  expect(await again.text()).toBe(firstBody);

  const status = await until('the payment reads as posted', async () => {
    const response = await get(`/v1/payments/${outcome.paymentId}`);
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as { status: string };
    return body.status === 'posted' ? body.status : undefined;
  });
  expect(status).toBe('posted');

  // The signed webhook arrives at the partner's receiver, and verifies with the partners' code.
  const hook = await until('the payment.posted webhook', async () => received.find((r) => r.headers['ledgerline-event-type'] === 'payment.posted'));
  const signature = String(hook.headers[SIGNATURE_HEADER.toLowerCase()]);
  const payload = JSON.parse(hook.body.toString('utf8')) as { type: string; data: { reference?: string; amount: { value: string; currency: string } } };
  expect(payload.type).toBe('payment.posted');
  expect(hook.body.toString('utf8')).toContain(outcome.authorizationId);
  const debit = outcome.legs.find((leg) => leg.direction === 'DEBIT')!;
  expect(payload.data.amount).toEqual(debit.amount);
  expect(hook.body.toString('utf8')).not.toContain(String(auth!.panToken));
  const bodyFile = join(dir, 'webhook-body.json');
  writeFileSync(bodyFile, hook.body);
  const verified = ledgerline(['webhooks', 'verify', '--secret', SECRET, '--signature', signature, '--body-file', bodyFile]);
  expect(verified.stdout).toMatch(/^valid: signed at /);
  expect(verified.status).toBe(0);
  expect(verifyWebhook({ signature, body: hook.body, keys: SECRET, now: Math.floor(Date.now() / 1000) })).toMatchObject({ valid: true });
  // The same check refuses a body changed by one byte and another secret: it could fail.
  const tampered = Buffer.from(hook.body);
  tampered.writeUInt8(tampered.readUInt8(tampered.length - 2) ^ 1, tampered.length - 2);
  writeFileSync(bodyFile, tampered);
  expect(ledgerline(['webhooks', 'verify', '--secret', SECRET, '--signature', signature, '--body-file', bodyFile]).status).toBe(1);
  expect(verifyWebhook({ signature, body: hook.body, keys: 'whsec_another-secret-0123456789', now: Math.floor(Date.now() / 1000) }).valid).toBe(false);

  // The customer's account was debited exactly once (a fresh state): minus the amount, one update.
  const balance = (await (await get(`/v1/accounts/${debit.accountId}/balance`)).json()) as { balances: { value: string; currency: string; updates: number }[] };
  expect(balance.balances).toEqual([{ value: `-${debit.amount.value}`, currency: debit.amount.currency, updates: 1 }]);

  // The audit trail: the posting's ledger change is in PostgreSQL, once, and every chain verifies.
  if (audit && auditUrl) {
    const rows = await until('the ledger change in the audit trail', async () => {
      const found = await audit!.query('SELECT source_id FROM audit_rows WHERE source = $1 AND source_id = $2', ['ledger', `ledger:${outcome.sequenceId}`]);
      return found.rows.length > 0 ? found.rows : undefined;
    });
    expect(rows).toHaveLength(1);
    const lifecycle = await audit.query('SELECT count(*)::int AS n FROM audit_rows WHERE source = $1', ['lifecycle']);
    expect(lifecycle.rows[0].n).toBeGreaterThan(0);
    const chain = ledgerline(['audit', 'verify', '--database', auditUrl]);
    expect(chain.stdout).toMatch(/^audit verify: \d+ partition\(s\), \d+ row\(s\): intact\n$/);
    expect(chain.status).toBe(0);
  } else {
    console.warn('edge-e2e: audit-trail step SKIPPED: no PostgreSQL server binaries (initdb, pg_ctl).');
  }

  // SIGTERM: a last background round, then a clean stop; the state is free again.
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stdout).toContain('"message":"stopped"');
  expect(stdout).not.toMatch(/round failed/);
  // Nothing twice: one posted webhook for the payment (one delivery id, however often attempted).
  const deliveries = new Set(received.filter((r) => r.headers['ledgerline-event-type'] === 'payment.posted').map((r) => r.headers['ledgerline-delivery-id']));
  expect(deliveries.size).toBe(1);
  acquireDirLock(state, 'test').release();
});
