/**
 * `ledgerline notify` and `ledgerline webhooks` (NOTIFY-1/2, HOOK-1/2).
 *
 *   ledgerline notify --state DIR [--once] [--interval S] [--recipients FILE] [--templates DIR] [--json]
 *       drains the state's new outward events (each partition's event archive, past the notifier's
 *       own cursor), renders and delivers their notifications, and sweeps the deliveries that are
 *       due; without --once it keeps doing so every --interval seconds until interrupted.
 *   ledgerline webhooks verify --secret S --signature SIG [--timestamp T] --body-file F [--tolerance S] [--now T]
 *       checks a signature: exit 0 valid, 1 invalid with the reason.
 *   ledgerline webhooks subscribe --state DIR --id ID --url URL --events a,b [--partner P] [--key-id K] [--secret S]
 *   ledgerline webhooks unsubscribe --state DIR --id ID
 *   ledgerline webhooks list --state DIR [--json]
 *   ledgerline webhooks rotate-key --state DIR --id ID --key-id K [--secret S] [--retire OLD]
 *   ledgerline webhooks deliveries --state DIR [--status RETRYING|FAILED|RUNNING] [--json]
 *   ledgerline webhooks redrive --state DIR <deliveryId...>
 *
 * The notifier's own state is `<state>/notify/` (notify.db, the outbox of email/SMS/push files,
 * recipients.json), locked by one notifier at a time; the ledger's databases are only read.
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from './io';
import { CliError, EXIT_LOCKED } from './errors';
import { acquireDirLock, DirLockedError, type DirLock } from '../adapters/embedded/dir-lock';
import type { StateDatabase } from '../adapters/embedded/database';
import { FileMessageSender, NOTIFY_OUTBOX_DIR } from '../adapters/embedded/notify-file-sinks';
import { FetchWebhookTransport } from '../adapters/embedded/notify-http';
import { NOTIFY_DIR, openNotifyDatabase, SqliteDeliveryStore, SqliteNotifyCursors, SqliteSigningKeyStore, SqliteSubscriptionRegistry } from '../adapters/embedded/notify-sqlite';
import { ArchiveNotifyEventSource, FlowPaymentFacts, JsonRecipientDirectory, RECIPIENTS_FILE } from '../adapters/embedded/notify-sources';
import { defaultTemplatesDir, FileTemplateStore } from '../adapters/embedded/notify-templates';
import { isPurpose, PURPOSE_NAMES, type Purpose } from '../notify/catalogue';
import { checkPolicy, DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../notify/delivery-policy';
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhook } from '../notify/signing';
import type { DeliveryState, Subscription } from '../ports/notify';
import { sweepDeliveries, type DeliverySweepResult } from '../use-cases/deliver-webhook/sweep';
import { drainEvents, type DrainResult } from '../use-cases/notify/drain';
import type { NotifyDeps } from '../use-cases/notify/notify';
import { partitionDirs } from '../runtime/state-layout';
import { formatTable } from './table';
import { directory } from './options';

const systemClock = { now: () => new Date() };

function wholeNumber(name: string, min = 0) {
  return (text: string): number => {
    if (!/^\d{1,12}$/.test(text) || Number(text) < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}, got "${text}"`);
    return Number(text);
  };
}

function lockNotifier(state: string): DirLock {
  if (!existsSync(state) || partitionDirs(state).length === 0) throw new CliError(`state directory "${state}" does not exist (run \`ledgerline post --state ${state} ...\` first)`);
  try {
    return acquireDirLock(join(state, NOTIFY_DIR), 'notify');
  } catch (error) {
    if (error instanceof DirLockedError) throw new CliError(error.message, EXIT_LOCKED);
    throw error;
  }
}

/** The notifier's stores over `<state>/notify/notify.db` (created if absent), under its lock. */
async function withNotifyState<T>(state: string, work: (db: StateDatabase) => Promise<T>): Promise<T> {
  const lock = lockNotifier(state);
  const db = openNotifyDatabase(state);
  try {
    return await work(db);
  } finally {
    db.close();
    lock.release();
  }
}

function parsePurposes(text: string): Purpose[] {
  const purposes = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (purposes.length === 0) throw new InvalidArgumentError('--events names no event type');
  for (const purpose of purposes) if (!isPurpose(purpose)) throw new InvalidArgumentError(`--events: "${purpose}" is not one of ${PURPOSE_NAMES.join(', ')}`);
  return purposes as Purpose[];
}

function checkUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`--url "${text}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))) {
    throw new InvalidArgumentError(`--url must be https (plain http only on loopback), got ${url.protocol}//${url.host}`);
  }
  return url.toString();
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function checkSecret(secret: string): string {
  if (Buffer.byteLength(secret) < 16) throw new InvalidArgumentError('--secret must be at least 16 bytes');
  return secret;
}

function summarise(drain: DrainResult, sweep: DeliverySweepResult): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const result of drain.results) for (const delivery of result.deliveries) counts[delivery.status] = (counts[delivery.status] ?? 0) + 1;
  return { events: drain.events, deliveries: counts, sweep, stopped: drain.stopped };
}

function formatSummary(summary: Record<string, unknown>): string {
  const deliveries = Object.entries(summary.deliveries as Record<string, number>)
    .map(([status, count]) => `${count} ${status.toLowerCase()}`)
    .join(', ');
  const sweep = summary.sweep as DeliverySweepResult;
  const lines = [
    `events ${summary.events as number}; deliveries: ${deliveries || 'none'}; swept ${sweep.examined} (delivered ${sweep.delivered}, parked ${sweep.parked}, dead-lettered ${sweep.deadLettered})`,
  ];
  for (const stop of summary.stopped as DrainResult['stopped']) lines.push(`stopped ${stop.source} at ${stop.position} (event ${stop.eventId}): ${stop.error}`);
  return lines.join('\n');
}

/** The embedded notifier's dependencies: what `ledgerline notify` and `ledgerline serve`'s notify round both run. */
export type EmbeddedNotifyDeps = NotifyDeps & { source: ArchiveNotifyEventSource; cursors: SqliteNotifyCursors };

/**
 * The embedded notifier over `stateDir` and its open notification database `db` (NOTIFY-1/2,
 * HOOK-1/2): SQLite deliveries, subscriptions, keys and cursors; file senders under the state's
 * notify outbox; webhooks over fetch; the state's event archive and flow facts. ONE definition:
 * `ledgerline notify` and `ledgerline serve` both build it here. `close()` closes the event source
 * and the payment facts (the caller owns `db`).
 */
export function embeddedNotifyDeps(
  stateDir: string,
  db: StateDatabase,
  options: { policy?: DeliveryPolicy; templatesDir?: string; recipientsFile?: string } = {},
): { deps: EmbeddedNotifyDeps; close(): void } {
  const source = new ArchiveNotifyEventSource(stateDir);
  const payments = new FlowPaymentFacts(stateDir);
  const sender = new FileMessageSender(join(stateDir, NOTIFY_OUTBOX_DIR));
  const deps: EmbeddedNotifyDeps = {
    deliveries: new SqliteDeliveryStore(db),
    subscriptions: new SqliteSubscriptionRegistry(db),
    keys: new SqliteSigningKeyStore(db),
    transport: new FetchWebhookTransport(),
    senders: { email: sender, sms: sender, push: sender },
    clock: systemClock,
    random: Math.random,
    // One attempt in line by default: a down endpoint is parked for the sweep, never stalls the drain.
    policy: options.policy ?? checkPolicy({ ...DEFAULT_DELIVERY_POLICY, inlineAttempts: 1 }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    templates: new FileTemplateStore(options.templatesDir ?? defaultTemplatesDir()),
    recipients: new JsonRecipientDirectory(options.recipientsFile ?? join(stateDir, RECIPIENTS_FILE)),
    payments,
    defaultLanguage: 'en',
    source,
    cursors: new SqliteNotifyCursors(db),
  };
  return {
    deps,
    close: () => {
      source.close();
      payments.close();
    },
  };
}

export function addNotifyCommand(program: Command, io: CliIo): void {
  program
    .command('notify')
    .description('NOTIFY-1/2, HOOK-2: render and deliver the notifications of the state’s new outward events; sweep deliveries that are due')
    .requiredOption('--state <dir>', 'state directory (the ledger is read; <state>/notify/ is the notifier’s)', directory('--state'))
    .option('--once', 'one drain and one sweep, then exit')
    .option('--interval <seconds>', 'seconds between rounds without --once', wholeNumber('--interval', 1), 5)
    .option('--inline-attempts <n>', 'attempts per delivery before it is parked for the sweeper (1: a down endpoint never stalls the drain)', wholeNumber('--inline-attempts', 1), 1)
    .option('--recipients <file>', 'contacts (schemas/notification-recipients.schema.json); default <state>/notify/recipients.json')
    .option('--templates <dir>', 'template directory', defaultTemplatesDir())
    .option('--json', 'print the summary as JSON')
    .action(async (options: { state: string; once?: boolean; interval: number; inlineAttempts: number; recipients?: string; templates: string; json?: boolean }) => {
      const policy = checkPolicy({ ...DEFAULT_DELIVERY_POLICY, inlineAttempts: Math.min(options.inlineAttempts, DEFAULT_DELIVERY_POLICY.maxAttempts) });
      await withNotifyState(options.state, async (db) => {
        const { deps, close } = embeddedNotifyDeps(options.state, db, { policy, templatesDir: options.templates, recipientsFile: options.recipients });
        let stop = false;
        const interrupt = () => {
          stop = true;
        };
        process.once('SIGINT', interrupt);
        process.once('SIGTERM', interrupt);
        try {
          do {
            const drain = await drainEvents(deps);
            const sweep = await sweepDeliveries({ ...deps, clock: systemClock });
            const summary = summarise(drain, sweep);
            io.stdout(options.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
            if (drain.stopped.length > 0) process.exitCode = 1;
            if (options.once) break;
            for (let waited = 0; waited < options.interval * 1000 && !stop; waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));
          } while (!stop);
        } finally {
          process.removeListener('SIGINT', interrupt);
          process.removeListener('SIGTERM', interrupt);
          close();
        }
      });
    });

  const webhooks = program.command('webhooks').description('HOOK-1/2: partner webhook endpoints, signatures and deliveries');

  webhooks
    .command('verify')
    .description('check a webhook signature (exit 0 valid, 1 invalid with the reason)')
    .requiredOption('--secret <secret>', 'the shared secret')
    .requiredOption('--signature <value>', 'the Ledgerline-Signature header (t=…,v1=…), or the v1 hex with --timestamp')
    .option('--timestamp <unix>', 'the timestamp (when --signature is the v1 hex alone)', wholeNumber('--timestamp'))
    .requiredOption('--body-file <file>', 'the raw request body, byte for byte')
    .option('--tolerance <seconds>', 'largest accepted distance of the timestamp from now', wholeNumber('--tolerance'), DEFAULT_TOLERANCE_SECONDS)
    .option('--now <unix>', 'the time to check against (default: now)', wholeNumber('--now'))
    .action((options: { secret: string; signature: string; timestamp?: number; bodyFile: string; tolerance: number; now?: number }) => {
      if (!existsSync(options.bodyFile)) throw new CliError(`--body-file ${options.bodyFile}: no such file`);
      const header = options.signature.includes('=') ? options.signature : options.timestamp !== undefined ? `t=${options.timestamp},v1=${options.signature}` : undefined;
      if (!header) throw new CliError('--signature is the v1 hex alone: give --timestamp too (or pass the whole header t=…,v1=…)');
      if (options.timestamp !== undefined && !header.split(',').includes(`t=${options.timestamp}`)) throw new CliError(`--timestamp ${options.timestamp} is not the header's t=`);
      const result = verifyWebhook({
        body: readFileSync(options.bodyFile),
        signature: header,
        keys: options.secret,
        now: options.now ?? Math.floor(Date.now() / 1000),
        toleranceSeconds: options.tolerance,
      });
      if (result.valid) io.stdout(`valid: signed at ${result.timestamp} (${new Date(result.timestamp * 1000).toISOString()})\n`);
      else throw new CliError(`invalid: ${result.reason}`, 1);
    });

  webhooks
    .command('subscribe')
    .description('create or replace a partner endpoint; prints a generated secret once')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .requiredOption('--id <id>', 'subscription id')
    .requiredOption('--url <url>', 'the endpoint (https; http only on loopback)', checkUrl)
    .requiredOption('--events <types>', `comma-separated: ${PURPOSE_NAMES.join(', ')}`, parsePurposes)
    .option('--partner <name>', 'the partner (default: the id)')
    .option('--key-id <id>', 'signing key id (default: <id>-k1)')
    .option('--secret <secret>', 'signing secret (default: generated and printed once)', checkSecret)
    .action(async (options: { state: string; id: string; url: string; events: Purpose[]; partner?: string; keyId?: string; secret?: string }) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(options.id)) throw new CliError(`--id "${options.id}" must be 1-64 of A-Z a-z 0-9 . _ -`);
      await withNotifyState(options.state, async (db) => {
        const registry = new SqliteSubscriptionRegistry(db);
        const keys = new SqliteSigningKeyStore(db);
        const keyId = options.keyId ?? `${options.id}-k1`;
        const secret = options.secret ?? newSecret();
        await keys.put({ keyId, secret });
        const existing = await registry.get(options.id);
        const subscription: Subscription = {
          id: options.id,
          partner: options.partner ?? existing?.partner ?? options.id,
          url: options.url,
          purposes: options.events,
          keyIds: [keyId],
          createdAt: existing?.createdAt ?? new Date().toISOString(),
          enabled: true,
        };
        await registry.put(subscription);
        io.stdout(`${existing ? 'replaced' : 'subscribed'} ${subscription.id}: ${subscription.url} ← ${subscription.purposes.join(', ')} (key ${keyId})\n`);
        if (!options.secret) io.stdout(`secret (shown once; give it to the partner): ${secret}\n`);
      });
    });

  webhooks
    .command('rotate-key')
    .description('add a signing key to a subscription (both sign until --retire drops the old one)')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .requiredOption('--id <id>', 'subscription id')
    .requiredOption('--key-id <id>', 'the new key id (becomes the primary)')
    .option('--secret <secret>', 'its secret (default: generated and printed once)', checkSecret)
    .option('--retire <keyId>', 'drop this key id instead of adding one')
    .action(async (options: { state: string; id: string; keyId: string; secret?: string; retire?: string }) => {
      await withNotifyState(options.state, async (db) => {
        const registry = new SqliteSubscriptionRegistry(db);
        const subscription = await registry.get(options.id);
        if (!subscription) throw new CliError(`no subscription ${options.id} (see \`ledgerline webhooks list\`)`);
        if (options.retire) {
          if (!subscription.keyIds.includes(options.retire)) throw new CliError(`${options.id} has no key ${options.retire} (keys: ${subscription.keyIds.join(', ')})`);
          if (subscription.keyIds.length === 1) throw new CliError(`${options.retire} is the only key of ${options.id}: add its successor first`);
          await registry.put({ ...subscription, keyIds: subscription.keyIds.filter((id) => id !== options.retire) });
          io.stdout(`${options.id}: retired key ${options.retire}\n`);
          return;
        }
        const secret = options.secret ?? newSecret();
        await new SqliteSigningKeyStore(db).put({ keyId: options.keyId, secret });
        await registry.put({ ...subscription, keyIds: [options.keyId, ...subscription.keyIds.filter((id) => id !== options.keyId)] });
        io.stdout(`${options.id}: signing with ${[options.keyId, ...subscription.keyIds.filter((id) => id !== options.keyId)].join(', ')}\n`);
        if (!options.secret) io.stdout(`secret (shown once; give it to the partner): ${secret}\n`);
      });
    });

  webhooks
    .command('unsubscribe')
    .description('remove a partner endpoint (deliveries under way are dead-lettered with the reason)')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .requiredOption('--id <id>', 'subscription id')
    .action(async (options: { state: string; id: string }) => {
      await withNotifyState(options.state, async (db) => {
        if (!(await new SqliteSubscriptionRegistry(db).remove(options.id))) throw new CliError(`no subscription ${options.id} (see \`ledgerline webhooks list\`)`);
        io.stdout(`unsubscribed ${options.id}\n`);
      });
    });

  webhooks
    .command('list')
    .description('the partner endpoints')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .option('--json', 'JSON')
    .action(async (options: { state: string; json?: boolean }) => {
      await withNotifyState(options.state, async (db) => {
        const subscriptions = await new SqliteSubscriptionRegistry(db).list();
        if (options.json) io.stdout(`${JSON.stringify({ subscriptions })}\n`);
        else if (subscriptions.length === 0) io.stdout('no subscriptions\n');
        else
          io.stdout(
            `${formatTable([['ID', 'PARTNER', 'URL', 'EVENTS', 'KEYS', 'ENABLED'], ...subscriptions.map((s) => [s.id, s.partner, s.url, s.purposes.join(','), s.keyIds.join(','), String(s.enabled)])])}\n`,
          );
      });
    });

  webhooks
    .command('deliveries')
    .description('deliveries in a status, with their delivery log')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .addOption(new Option('--status <status>', 'which deliveries').choices(['RETRYING', 'FAILED', 'RUNNING']).default('FAILED'))
    .option('--json', 'JSON')
    .action(async (options: { state: string; status: 'RETRYING' | 'FAILED' | 'RUNNING'; json?: boolean }) => {
      await withNotifyState(options.state, async (db) => {
        const store = new SqliteDeliveryStore(db);
        const states = await store.listByStatus(options.status, 1000);
        const withLog = await Promise.all(states.map(async (state) => ({ ...state, payload: undefined, log: await store.attempts(state.deliveryId) })));
        if (options.json) {
          io.stdout(`${JSON.stringify({ deliveries: withLog })}\n`);
          return;
        }
        if (withLog.length === 0) io.stdout(`no ${options.status} deliveries\n`);
        for (const delivery of withLog) {
          io.stdout(
            `${delivery.deliveryId} ${delivery.channel} → ${delivery.recipient} (${delivery.purpose}, event ${delivery.eventId}) ${delivery.status} after ${delivery.attempts} attempt(s)${delivery.dueAt ? `, due ${delivery.dueAt}` : ''}${delivery.lastError ? `: ${delivery.lastError}` : ''}\n`,
          );
          for (const attempt of delivery.log)
            io.stdout(`  #${attempt.attempt} ${attempt.startedAt} ${attempt.by}: ${attempt.outcome ?? 'no outcome (interrupted)'}${attempt.reason ? ` (${attempt.reason})` : ''}\n`);
        }
      });
    });

  webhooks
    .command('redrive')
    .description('give dead-lettered deliveries one more attempt (due now, for the next sweep)')
    .requiredOption('--state <dir>', 'state directory', directory('--state'))
    .argument('<deliveryIds...>', 'delivery ids (see `ledgerline webhooks deliveries`)')
    .action(async (ids: string[], options: { state: string }) => {
      await withNotifyState(options.state, async (db) => {
        const store = new SqliteDeliveryStore(db);
        let refused = 0;
        for (const id of ids) {
          const state: DeliveryState | undefined = await store.get(id);
          if (!state || state.status !== 'FAILED' || state.payload === '') {
            refused += 1;
            io.stderr(`${id}: ${!state ? 'no such delivery' : state.status !== 'FAILED' ? `is ${state.status}, not FAILED` : 'was never rendered; fix its template and notify again'}\n`);
            continue;
          }
          const now = new Date().toISOString();
          // One more attempt beyond those made: the policy's limit counts from here.
          await store.put({ ...state, status: 'RETRYING', dueAt: now, updatedAt: now }, state.version);
          io.stdout(`${id}: RETRYING, due now (run \`ledgerline notify --state ${options.state} --once\`)\n`);
        }
        if (refused > 0) throw new CliError(`webhooks redrive: ${refused} of ${ids.length} delivery(ies) not redriven (see above)`, 1);
      });
    });
}
