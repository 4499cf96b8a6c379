/**
 * API-1, API-5: latency of POST /v1/authorisations against `ledgerline serve` (its own process,
 * real HTTP on loopback, JWT verified, idempotency claimed and stored, the real-time poster
 * committing each authorisation before the answer) at 200 concurrent requests, with the
 * calibration of bench/calibrate.ts in the same run (figures compare across machines only
 * through it).
 *
 *   npm run bench:api            # = npx tsx bench/api.bench.ts [count=4000] [concurrency=200] [max-wave=256] [client=fetch]
 *
 * max-wave is serve's --max-wave: the most authorisations group-committed in one wave (1 = one
 * authorisation per wave, serially, as before group commit).
 *
 * client is how connections are made: `fetch` (Node's fetch, whose pool opens a new connection
 * whenever none is idle at the moment of a request: after a wave answers 200 requests at once,
 * dozens are opened mid-run) or `pool` (node:http with a keep-alive agent of at most `concurrency`
 * connections, as a load generator with fixed virtual users holds them). A connection opened while
 * the server is busy waits in the kernel's accept queue: libuv (1.45+, Node 20) accepts one
 * connection per event-loop turn, and a turn of a loaded server carries a wave's worth of requests.
 */
import { spawn, execFileSync } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import { authorisationLines } from '../src/generator/authorisations';
import { buildProgram } from '../src/cli/main';
import { calibrate, calibrationLine } from './calibrate';

const count = Number(process.argv[2] ?? 4_000);
const concurrency = Number(process.argv[3] ?? 200);
const maxWave = Number(process.argv[4] ?? 256);
const client = process.argv[5] ?? 'fetch';
if (client !== 'fetch' && client !== 'pool') throw new Error(`client must be fetch or pool, got ${client}`);
const ROOT = join(__dirname, '..');
const registered = buildProgram({ stdout: () => undefined, stderr: () => undefined }).commands.some((command) => command.name() === 'serve');
const COMMAND = registered ? [join(ROOT, 'bin', 'ledgerline.js')] : ['-r', 'tsx/cjs', join(ROOT, 'test', 'api', 'support', 'api-cli.ts')];

/** One POST over a keep-alive agent: its status, once the body is read. */
function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'ledgerline-api-bench-'));
  const clients = join(state, 'bench-clients.json');
  writeFileSync(
    clients,
    JSON.stringify({ clients: [{ clientId: 'bench', secret: 'bench-secret-1234', scopes: ['ledgerline/payments.write'], rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } }] }),
  );
  const server = spawn(process.execPath, [...COMMAND, 'serve', '--state', state, '--port', '0', '--clients', clients, '--max-wave', String(maxWave)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The access log is read until the listening line, then drained unread: scanning it per chunk would load the client.
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const listen = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /"message":"listening".*?"url":"([^"]+)"/.exec(out);
      if (!match) return;
      server.stdout!.off('data', listen);
      server.stdout!.resume();
      resolve(match[1]!);
    };
    server.stdout!.on('data', listen);
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  try {
    const token = execFileSync(process.execPath, [...COMMAND, 'token', '--state', state, '--client', 'bench', '--clients', clients], { cwd: ROOT, encoding: 'utf8' }).trim();
    const bodies = [...authorisationLines({ count, seed: 42, duplicateRate: 0.01, referenceData: loadReferenceData() })];
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const errors = new Map<string, number>();
    const errorAtMs: number[] = [];
    let next = 0;
    const agent = client === 'pool' ? new Agent({ keepAlive: true, maxSockets: concurrency }) : undefined;
    let connections = 0;
    const createConnection = agent?.createConnection.bind(agent);
    if (agent && createConnection) {
      agent.createConnection = (...args: Parameters<typeof createConnection>) => {
        connections += 1;
        return createConnection(...args);
      };
    }
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (;;) {
          const index = next;
          next += 1;
          if (index >= bodies.length) return;
          const t0 = performance.now();
          try {
            const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `bench-${index}` };
            let status: number;
            if (agent) status = await post(agent, `${url}/v1/authorisations`, headers, bodies[index]!);
            else {
              const response = await fetch(`${url}/v1/authorisations`, { method: 'POST', headers, body: bodies[index] });
              await response.arrayBuffer();
              status = response.status;
            }
            latencies.push(performance.now() - t0);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          } catch (error) {
            const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
            errors.set(cause, (errors.get(cause) ?? 0) + 1);
            errorAtMs.push(performance.now() - t0);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    agent?.destroy();
    const sorted = latencies.sort((a, b) => a - b);
    console.log(
      `POST /v1/authorisations against ledgerline serve: ${count} requests, ${concurrency} concurrent, waves of at most ${maxWave}, client ${client}${agent ? ` (${connections} connections)` : ''}, ${seconds.toFixed(1)} s = ${Math.round(count / seconds)} req/s`,
    );
    console.log(
      `latency ms: p50 ${percentile(sorted, 50).toFixed(1)}  p90 ${percentile(sorted, 90).toFixed(1)}  p99 ${percentile(sorted, 99).toFixed(1)}  max ${sorted[sorted.length - 1]!.toFixed(1)}`,
    );
    if (errors.size > 0) {
      const after = errorAtMs.sort((a, b) => a - b);
      console.log(`connection errors: ${[...errors].map(([code, n]) => `${code} × ${n}`).join(', ')} (after ${after[0]!.toFixed(0)}-${after[after.length - 1]!.toFixed(0)} ms waiting)`);
    }
    console.log(
      `statuses: ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status} × ${n}`)
        .join(', ')}`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(state, { recursive: true, force: true });
  }
  console.log(calibrationLine(calibrate()));
}

void main();
