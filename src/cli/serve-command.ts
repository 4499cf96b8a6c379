/**
 * `ledgerline serve --state DIR [--port N] [--host 127.0.0.1]`: the payments API locally (API-5)
 * over HTTP with Hono, the same handler as the Lambda (src/api/app.ts): a Hono request becomes the
 * core ApiRequest exactly as functions/api turns an API Gateway v2 event into one. Rate limits,
 * idempotency, the body limit and the card-number guard all apply; tokens come from the state's
 * local issuer (POST /oauth2/token, GET /.well-known/jwks.json; `ledgerline token`).
 *
 * The server is the state's writer (LOCK-1) for its lifetime: POST /v1/authorisations posts
 * through the real-time poster (MODE-4, src/modes/real-time.ts), reads go to read-only views of
 * the same partitions. Access-log lines (JSON, one per request, no body, no header values, the
 * route's template instead of the path: PCI-3) go to stdout; SIGTERM / SIGINT stop it gracefully:
 * no new connections, the requests in flight answered, then the stores closed and the lock freed.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Hono, type Context } from 'hono';
import { serve } from '@hono/node-server';
import { createLocalJWKSet } from 'jose';
import { acquireDirLock, DirLockedError, type DirLock } from '../adapters/embedded/dir-lock';
import { openStateDatabase, type StateDatabase } from '../adapters/embedded/database';
import { SqliteIdempotencyStore } from '../adapters/embedded/idempotency-store';
import { SqlitePaymentOwners } from '../adapters/embedded/payment-owners';
import { SqliteLedgerStore } from '../adapters/embedded/ledger-store';
import { SqliteDecisionStore } from '../adapters/embedded/rules-state';
import { SqliteTransactionStateStore } from '../adapters/embedded/transaction-state-store';
import { createApi, type AccessRecord } from '../api/app';
import { jsonResponse, type ApiRequest, type ApiResponse } from '../api/http';
import { compileRequestValidators, DEFAULT_BODY_LIMIT_BYTES } from '../api/input';
import { createTokenVerifier } from '../api/jwt';
import { tokenEndpoint, type LocalClient } from '../api/local-issuer';
import { TokenBucketLimiter, type RateLimit } from '../api/rate-limit';
import { createLogger, type Logger, type LogSink } from '../lambda/logger';
import { DEFAULT_MAX_WAVE, RealTimePoster } from '../modes/real-time';
import { sourceConfig, SourceConfigError } from '../modes/source-config';
import type { BalanceView } from '../ports';
import { partitionDirs } from '../runtime/state-layout';
import { createAccountBalance } from '../use-cases/api-account-balance/account-balance';
import { createPaymentStatus } from '../use-cases/api-payment-status/payment-status';
import { createSubmitAuthorisation } from '../use-cases/api-submit-authorisation/submit-authorisation';
import { NOTIFY_DB_FILE, NOTIFY_DIR, openNotifyDatabase } from '../adapters/embedded/notify-sqlite';
import { embeddedStateFeeds } from '../adapters/embedded/audit-source';
import { migrateAuditStore } from '../adapters/postgres/audit-migrations';
import { PostgresAuditStore } from '../adapters/postgres/audit-store';
import { poolFromUrl, type Pool } from '../adapters/postgres/connect';
import { sweepDeliveries } from '../use-cases/deliver-webhook/sweep';
import { drainEvents } from '../use-cases/notify/drain';
import { copyAudit } from '../use-cases/copy-audit/copy-audit';
import { safeUrl } from './audit-command';
import { CliError, EXIT_LOCKED } from './errors';
import { portInUse, untilStopped } from './server-lifecycle';
import type { CliIo } from './io';
import { directory, wholeNumber } from './options';
import { loadClients, loadIssuer } from './token-command';
import { embeddedNotifyDeps } from './notify-command';

export const DEFAULT_RATE_LIMIT: RateLimit = { burst: 200, perSecond: 100 };
const SOURCE = 'payments-api';
/** Seconds between rounds of the edge's background work by default. */
export const DEFAULT_BACKGROUND_INTERVAL = 2;
/** The token endpoint's form is a few hundred bytes. */
const TOKEN_FORM_LIMIT = 4096;

export interface ServeOptions {
  state: string;
  port: number;
  host: string;
  clients?: string;
  bodyLimit: number;
  rateLimit: RateLimit;
  /** The most authorisations one group-committed wave of the real-time poster carries (default 256). */
  maxWave?: number;
  /** Seconds between rounds of the edge's background work (notifications, the audit copy); 0 = none. */
  backgroundInterval?: number;
  /** PostgreSQL URL of the audit trail (AUDIT-1): each round copies the state's audit feed there. */
  auditDatabase?: string;
  /** Where access-log lines go (default: stdout). */
  log?: LogSink;
  announce?: (text: string) => void;
}

export interface RunningServer {
  url: string;
  /** Stops accepting, answers what is in flight, closes the stores and frees the lock. */
  close(): Promise<void>;
}

/** The core request of a Hono request: the body read up to limit + 1 bytes (anything longer is refused whole with 413). */
export async function coreRequest(c: Context, limit: number): Promise<ApiRequest> {
  const url = new URL(c.req.url);
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (!(name in query)) query[name] = value;
  return { method: c.req.method, path: url.pathname, headers, query, body: await readBody(c.req.raw, headers['content-length'], limit), requestId: randomUUID() };
}

async function readBody(request: Request, contentLength: string | undefined, limit: number): Promise<Uint8Array | undefined> {
  if (request.body === null) return undefined;
  // A declared length over the limit is refused unread: the core sees limit + 1 bytes and answers 413.
  if (contentLength !== undefined && /^[0-9]+$/.test(contentLength) && Number(contentLength) > limit) {
    await request.body.cancel().catch(() => undefined);
    return new Uint8Array(limit + 1);
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

function toResponse(response: ApiResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers });
}

/** Read-only views of every partition of the state, opened after the poster made its tables. */
function readViews(stateDir: string): { dbs: StateDatabase[]; ledgers: SqliteLedgerStore[]; transactions: SqliteTransactionStateStore[]; decisions: SqliteDecisionStore[] } {
  const dbs = partitionDirs(stateDir).map((dir) => openStateDatabase(dir));
  return { dbs, ledgers: dbs.map((db) => new SqliteLedgerStore(db)), transactions: dbs.map((db) => new SqliteTransactionStateStore(db)), decisions: dbs.map((db) => new SqliteDecisionStore(db)) };
}

async function firstOf<T>(stores: readonly T[], read: (store: T) => Promise<unknown>): Promise<never | undefined> {
  for (const store of stores) {
    const found = await read(store);
    if (found !== undefined) return found as never;
  }
  return undefined;
}

/**
 * One round of notifications (NOTIFY-2, HOOK-1/2): the notify use case's drain and its delivery
 * sweep, as `ledgerline notify --once` runs them, under the notifier's own lock (taken for the
 * round only, so `ledgerline webhooks …` works while the server runs). Skipped while the state has
 * no notification state (nothing subscribed) or another notifier holds the lock.
 */
async function notifyRound(stateDir: string): Promise<{ events: number; notifications: number; stopped: number; swept: number; delivered: number; deadLettered: number } | undefined> {
  if (!existsSync(join(stateDir, NOTIFY_DIR, NOTIFY_DB_FILE))) return undefined;
  let lock: DirLock;
  try {
    lock = acquireDirLock(join(stateDir, NOTIFY_DIR), 'ledgerline serve (notify)');
  } catch (error) {
    if (error instanceof DirLockedError) return undefined;
    throw error;
  }
  const db = openNotifyDatabase(stateDir);
  // The notifier's own wiring, as `ledgerline notify --once` builds it (one attempt in line).
  const { deps, close } = embeddedNotifyDeps(stateDir, db);
  try {
    const drained = await drainEvents(deps);
    const swept = await sweepDeliveries(deps);
    return { events: drained.events, notifications: drained.results.length, stopped: drained.stopped.length, swept: swept.examined, delivered: swept.delivered, deadLettered: swept.deadLettered };
  } finally {
    close();
    db.close();
    lock.release();
  }
}

/** One round of the audit copy (AUDIT-1): every partition's feed appended after its cursor, as `ledgerline audit sync` does. */
async function auditRound(stateDir: string, pool: Pool, migrated: { done: boolean }): Promise<{ appended: number; duplicates: number }> {
  if (!migrated.done) {
    const client = await pool.connect();
    try {
      await migrateAuditStore(client);
    } finally {
      client.release();
    }
    migrated.done = true;
  }
  const result = await copyAudit({ store: new PostgresAuditStore(pool), feeds: partitionDirs(stateDir).flatMap((dir) => embeddedStateFeeds(dir)) });
  return { appended: result.appended, duplicates: result.duplicates };
}

/** Runs the background rounds every `intervalMs` until stopped; a failing round is logged and the next round tries again. */
function startBackground(stateDir: string, intervalMs: number, auditDatabase: string | undefined, logger: Logger): { stop(): Promise<void> } {
  const pool = auditDatabase !== undefined ? poolFromUrl(auditDatabase) : undefined;
  pool?.on('error', (error) => logger.warn('audit database connection dropped', { error }));
  const migrated = { done: false };
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const round = async (): Promise<void> => {
    try {
      const notified = await notifyRound(stateDir);
      if (notified && (notified.events > 0 || notified.swept > 0)) logger.info('notify round', notified);
    } catch (error) {
      logger.error('notify round failed', { error });
    }
    if (pool) {
      try {
        const copied = await auditRound(stateDir, pool, migrated);
        if (copied.appended > 0) logger.info('audit copy round', { ...copied, database: safeUrl(auditDatabase!) });
      } catch (error) {
        logger.error('audit copy round failed', { database: safeUrl(auditDatabase!), error });
      }
    }
  };
  const loop = (async () => {
    while (!stopping) {
      await round();
      if (stopping) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, intervalMs);
      });
    }
  })();
  return {
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
      // One last round after the last answer: what was posted is notified and copied before the stores close.
      await round();
      await pool?.end().catch(() => undefined);
    },
  };
}

/** Starts the server (the state's lock taken first). */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const announce = options.announce ?? ((text: string) => process.stderr.write(text));
  try {
    const source = sourceConfig().sources.find((candidate) => candidate.name === SOURCE);
    if (!source || source.mode !== 'real-time') throw new CliError(`serve: config/sources.json has no real-time source "${SOURCE}"`);
  } catch (error) {
    if (error instanceof SourceConfigError) throw new CliError(`serve: ${error.message}`);
    throw error;
  }
  let lock: DirLock;
  try {
    lock = acquireDirLock(options.state, 'ledgerline serve');
  } catch (error) {
    if (error instanceof DirLockedError) throw new CliError(error.message, EXIT_LOCKED);
    throw error;
  }
  const closers: (() => void)[] = [() => lock.release()];
  const closeAll = (): void => {
    for (const close of closers.reverse()) {
      try {
        close();
      } catch {
        // keep closing the rest
      }
    }
  };
  try {
    const clients: Map<string, LocalClient> = loadClients(options.state, announce, options.clients);
    const keys = await loadIssuer(options.state);
    const poster = new RealTimePoster({ stateDir: options.state, source: SOURCE, maxWave: options.maxWave });
    closers.push(() => poster.close());
    const views = readViews(options.state);
    closers.push(() => views.dbs.forEach((db) => db.close()));
    const idempotency = SqliteIdempotencyStore.open(options.state);
    closers.push(() => idempotency.close());
    const owners = SqlitePaymentOwners.open(options.state);
    closers.push(() => owners.close());
    const logger: Logger = createLogger({ service: 'ledgerline-api' }, options.log ?? ((line) => process.stdout.write(`${line}\n`)));
    const api = createApi({
      verifyToken: createTokenVerifier({ issuer: keys.issuer, audiences: [keys.audience], keys: createLocalJWKSet({ keys: [keys.publicJwk] }) }),
      limiter: new TokenBucketLimiter((clientId) => clients.get(clientId)?.rateLimit ?? options.rateLimit),
      idempotency,
      now: () => Date.now(),
      bodyLimitBytes: options.bodyLimit,
      useCases: {
        submitAuthorisation: createSubmitAuthorisation((authorisation) => poster.postOne(authorisation), owners),
        paymentStatus: createPaymentStatus({
          ledger: { hasSequence: async (id) => (await firstOf(views.ledgers, async (l) => ((await l.hasSequence(id)) ? true : undefined))) === true },
          transactions: { get: (id) => firstOf(views.transactions, (t) => t.get(id)) },
          decisions: { get: (id) => firstOf(views.decisions, (d) => d.get(id)) },
          owners,
        }),
        accountBalance: createAccountBalance({
          rowsOf: async (accountId) => {
            const rows: BalanceView[] = [];
            for (const ledger of views.ledgers) rows.push(...(await ledger.balances()).filter((row) => row.accountId === accountId));
            return rows;
          },
        }),
      },
      onError: (error, record) => logger.error('request failed', { requestId: record.requestId, route: record.route, error }),
    });
    const access = (record: AccessRecord): void => logger.info('access', { ...record });

    let inFlight = 0;
    let idle: (() => void) | undefined;
    const app = new Hono();
    app.post('/oauth2/token', async (c) => {
      const form = await readBody(c.req.raw, c.req.header('content-length'), TOKEN_FORM_LIMIT);
      const response =
        form && form.length > TOKEN_FORM_LIMIT
          ? jsonResponse(413, { error: 'invalid_request', error_description: `the form is over ${TOKEN_FORM_LIMIT} bytes` })
          : await tokenEndpoint(
              keys,
              clients,
              { contentType: c.req.header('content-type'), authorization: c.req.header('authorization'), body: new TextDecoder().decode(form ?? new Uint8Array()) },
              Math.floor(Date.now() / 1000),
            );
      access({ requestId: randomUUID(), method: 'POST', route: '/oauth2/token', status: response.status, bytesIn: form?.length ?? 0, bytesOut: response.body.length, durationMs: 0 });
      return toResponse(response);
    });
    app.get('/.well-known/jwks.json', (c) => c.json({ keys: [keys.publicJwk] }));
    app.all('*', async (c) => {
      inFlight += 1;
      try {
        const { response, access: record } = await api(await coreRequest(c, options.bodyLimit));
        access(record);
        return toResponse(response);
      } finally {
        inFlight -= 1;
        if (inFlight === 0) idle?.();
      }
    });

    // Before the first request: the validators compile once here, not under the opening burst (API-5).
    compileRequestValidators();
    const server = await new Promise<Server>((resolve, reject) => {
      const started = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(started as Server)) as Server;
      started.once('error', reject);
    });
    // Keep-alive longer than any client's idle reuse (undici reuses for up to the server's hint minus 1 s): a
    // connection closed by the server just as the client reuses it is a reset request under load.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    const { port } = server.address() as AddressInfo;
    const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
    const background = (options.backgroundInterval ?? 0) > 0 ? startBackground(options.state, options.backgroundInterval! * 1000, options.auditDatabase, logger) : undefined;
    logger.info('listening', { url, issuer: keys.issuer, audience: keys.audience, tokenEndpoint: `${url}/oauth2/token`, jwks: `${url}/.well-known/jwks.json` });
    let closing: Promise<void> | undefined;
    return {
      url,
      close: () =>
        (closing ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
          if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
          await background?.stop();
          logger.info('stopped', { url });
          closeAll();
        })()),
    };
  } catch (error) {
    closeAll();
    throw error;
  }
}

function rateLimitOption(text: string): RateLimit {
  const match = /^([1-9][0-9]{0,5})\/([1-9][0-9]{0,5})$/.exec(text);
  if (!match) throw new InvalidArgumentError(`--rate-limit expects BURST/PER_SECOND (e.g. 200/100), got "${text}"`);
  return { burst: Number(match[1]), perSecond: Number(match[2]) };
}

function auditUrl(text: string): string {
  if (!/^postgres(ql)?:\/\//.test(text)) throw new InvalidArgumentError(`--audit-database must be a postgres:// URL, got "${safeUrl(text)}"`);
  return text;
}

export function addServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('serve the payments API over HTTP on loopback (API-5): POST /v1/authorisations, GET /v1/payments/{id}, GET /v1/accounts/{id}/balance, behind JWTs of the local issuer')
    .requiredOption('--state <dir>', 'state directory (created if absent); the server is its writer while it runs', directory('--state'))
    .option('--port <n>', 'port (0 = any free port)', wholeNumber('--port', { max: 65_535, hint: '0 = any free port' }), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--clients <file>', 'OAuth clients file ({"clients": [{"clientId", "secret", "scopes", "rateLimit"?}]}) instead of <state>/api/clients.json')
    .option('--body-limit <bytes>', 'largest request body', wholeNumber('--body-limit', { min: 256, max: 1_048_576 }), DEFAULT_BODY_LIMIT_BYTES)
    .option('--rate-limit <burst/perSecond>', "each client's token bucket unless its clients entry sets one", rateLimitOption, DEFAULT_RATE_LIMIT)
    .option(
      '--max-wave <n>',
      'the most authorisations committed together: requests arriving while a wave commits are posted as the next wave (1 = one at a time)',
      wholeNumber('--max-wave', { min: 1, max: 10_000 }),
      DEFAULT_MAX_WAVE,
    )
    .option(
      '--background-interval <seconds>',
      'seconds between rounds of background work: notifications and webhooks (once anything is subscribed) and, with --audit-database, the audit copy; 0 = none',
      wholeNumber('--background-interval', { max: 3_600 }),
      DEFAULT_BACKGROUND_INTERVAL,
    )
    .option(
      '--audit-database <url>',
      "PostgreSQL URL of the audit trail: each round copies the state's ledger changes, lifecycle events and transaction states there (as `ledgerline audit sync`)",
      auditUrl,
    )
    .addHelpText(
      'after',
      '\nExample:\n  ledgerline serve --state ./state --port 8080 &\n  TOKEN=$(ledgerline token --state ./state)\n  curl -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: k1" -H "Content-Type: application/json" \\\n       --data @auth.json http://127.0.0.1:8080/v1/authorisations\n\nAccess-log lines (JSON) go to stdout; SIGTERM or SIGINT stops the server after the requests in flight.',
    )
    .action(
      async (options: {
        state: string;
        port: number;
        host: string;
        clients?: string;
        bodyLimit: number;
        rateLimit: RateLimit;
        maxWave: number;
        backgroundInterval: number;
        auditDatabase?: string;
      }) => {
        const running = await startServer({ ...options, announce: io.stderr }).catch((error: NodeJS.ErrnoException) => Promise.reject(portInUse(error, 'serve', options.host, options.port)));
        // SIGINT / SIGTERM are ours before "listening" is announced: a stop sent as soon as it is read is a graceful stop.
        const stopped = untilStopped();
        io.stderr(`ledgerline serve: listening on ${running.url} (state ${options.state})\n`);
        const signal = await stopped;
        io.stderr(`${signal}: stopping after the requests in flight\n`);
        await running.close();
      },
    );
}
