/**
 * API-5 end to end through the command, over real HTTP: `ledgerline serve` in its own process,
 * `ledgerline token` for a token, POST an authorisation, the same again (same bytes), GET its
 * status until posted, the balance changed once; then SIGTERM stops it cleanly and frees the state.
 * Runs bin/ledgerline.js once src/cli/main.ts registers `serve` and `token`; until then the same
 * two commands through test/api/support/api-cli.ts.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { acquireDirLock } from '../../src/adapters/embedded/dir-lock';
import { postableAuthorisations } from './support/harness';

const ROOT = join(__dirname, '..', '..');
const registered = buildProgram({ stdout: () => undefined, stderr: () => undefined }).commands.some((command) => command.name() === 'serve');
const COMMAND = registered ? [join(ROOT, 'bin', 'ledgerline.js')] : ['-r', 'tsx/cjs', join(ROOT, 'test', 'api', 'support', 'api-cli.ts')];
const ENV = { ...process.env, LEDGERLINE_FROM_SOURCE: '1' };

let state: string;
let server: ChildProcess;
let url: string;
let stdout = '';
let stderr = '';

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), 'ledgerline-serve-e2e-'));
  server = spawn(process.execPath, [...COMMAND, 'serve', '--state', state, '--port', '0'], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /"message":"listening".*?"url":"([^"]+)"/.exec(stdout);
      if (listening) resolve(listening[1]!);
    });
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}, 60_000);

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  rmSync(state, { recursive: true, force: true });
});

function token(scope: string): string {
  return execFileSync(process.execPath, [...COMMAND, 'token', '--state', state, '--scope', scope], { cwd: ROOT, env: ENV, encoding: 'utf8' }).trim();
}

it('token → POST → the same again → status until posted → the balance changed once → SIGTERM', async () => {
  const write = token('ledgerline/payments.write');
  const read = token('ledgerline/payments.read ledgerline/balances.read');
  const [auth] = postableAuthorisations(1, 501);
  const post = () =>
    fetch(`${url}/v1/authorisations`, { method: 'POST', headers: { authorization: `Bearer ${write}`, 'content-type': 'application/json', 'idempotency-key': 'e2e-1' }, body: JSON.stringify(auth) });
  const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${read}` } });

  const first = await post();
  const firstBody = await first.text();
  expect(first.status).toBe(201);
  const outcome = JSON.parse(firstBody) as { paymentId: string; legs: { accountId: string; direction: string; amount: { value: string; currency: string } }[] };
  const again = await post();
  expect(again.status).toBe(201);
  expect(await again.text()).toBe(firstBody);

  let status = '';
  for (let attempt = 0; attempt < 50 && status !== 'posted'; attempt += 1) {
    const response = await get(`/v1/payments/${outcome.paymentId}`);
    if (response.status === 200) status = ((await response.json()) as { status: string }).status;
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe('posted');

  // The customer's account was debited exactly once: its balance is minus the amount (a fresh state).
  const debit = outcome.legs.find((leg) => leg.direction === 'DEBIT')!;
  const balance = (await (await get(`/v1/accounts/${debit.accountId}/balance`)).json()) as { balances: { value: string; currency: string; updates: number }[] };
  expect(balance.balances).toEqual([{ value: `-${debit.amount.value}`, currency: debit.amount.currency, updates: 1 }]);

  // Access log: one JSON line per request, none with the body.
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { message: string; route?: string; status?: number });
  const accesses = lines.filter((line) => line.message === 'access');
  expect(accesses.length).toBeGreaterThanOrEqual(4);
  expect(stdout).not.toContain(auth!.panToken as string);

  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stdout).toContain('"message":"stopped"');
  // The state is free again.
  acquireDirLock(state, 'test').release();
});
