/**
 * API-1, API-5: latency of POST /v1/authorisations against `ledgerline serve` (its own process,
 * real HTTP on loopback, JWT verified, idempotency claimed and stored, the real-time poster
 * committing each authorisation before the answer) at 200 concurrent requests, with the
 * calibration of bench/calibrate.ts in the same run (figures compare across machines only
 * through it).
 *
 *   npm run bench:api            # = npx tsx bench/api.bench.ts [count=4000] [concurrency=200] [max-wave=256]
 *
 * max-wave is serve's --max-wave: the most authorisations group-committed in one wave (1 = one
 * authorisation per wave, serially, as before group commit).
 */
import { spawn, execFileSync } from 'node:child_process';
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
const ROOT = join(__dirname, '..');
const registered = buildProgram({ stdout: () => undefined, stderr: () => undefined }).commands.some((command) => command.name() === 'serve');
const COMMAND = registered ? [join(ROOT, 'bin', 'ledgerline.js')] : ['-r', 'tsx/cjs', join(ROOT, 'test', 'api', 'support', 'api-cli.ts')];

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
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (;;) {
          const index = next;
          next += 1;
          if (index >= bodies.length) return;
          const t0 = performance.now();
          try {
            const response = await fetch(`${url}/v1/authorisations`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `bench-${index}` },
              body: bodies[index],
            });
            await response.arrayBuffer();
            latencies.push(performance.now() - t0);
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          } catch (error) {
            const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
            errors.set(cause, (errors.get(cause) ?? 0) + 1);
            errorAtMs.push(performance.now() - t0);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const sorted = latencies.sort((a, b) => a - b);
    console.log(
      `POST /v1/authorisations against ledgerline serve: ${count} requests, ${concurrency} concurrent, waves of at most ${maxWave}, ${seconds.toFixed(1)} s = ${Math.round(count / seconds)} req/s`,
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
