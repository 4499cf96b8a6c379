/**
 * `ledgerline notify` over a real posted state, `ledgerline webhooks subscribe|list|verify|
 * deliveries|redrive`, and nothing lost or processed twice when the notifier is killed (kill -9)
 * between a send and its log.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOTIFYING_EVENT_TYPES } from '../../src/notify/mapping';
import { computeSignature } from '../../src/notify/signing';
import type { WebhookBody } from '../../src/use-cases/notify/notify';
import { partitionDirs } from '../../src/runtime/state-layout';
import { BIN } from '../support/cli';
import { runCli } from '../support/cli-in-process';
import { SAMPLE_PANS, filesContainingDigitsOf } from '../support/pan-spellings';
import { runNotifyCli } from './support/notify-cli';
import { WebhookReceiver } from './support/receiver';

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

describe('ledgerline webhooks verify', () => {
  const dir = tempDir('verify-');
  const bodyFile = join(dir, 'body.json');
  writeFileSync(bodyFile, '{"id":"d-1","type":"payment.posted"}');
  const secret = 'whsec_0123456789abcdef';
  const t = 1_765_000_000;
  const v1 = computeSignature(secret, t, readFileSync(bodyFile));

  it('exit 0 for a valid signature (the header, or the hex with --timestamp)', async () => {
    const header = await runNotifyCli(['webhooks', 'verify', '--secret', secret, '--signature', `t=${t},v1=${v1}`, '--body-file', bodyFile, '--now', String(t + 10)]);
    expect(header).toMatchObject({ status: 0, stdout: expect.stringMatching(/^valid: signed at 1765000000/) });
    const hex = await runNotifyCli(['webhooks', 'verify', '--secret', secret, '--signature', v1, '--timestamp', String(t), '--body-file', bodyFile, '--now', String(t)]);
    expect(hex.status).toBe(0);
  });

  it.each([
    ['another secret', ['--secret', 'whsec_another_secret_x', '--signature', `t=${t},v1=${v1}`, '--now', String(t)], /invalid: no v1 signature matches/],
    ['an old timestamp', ['--secret', secret, '--signature', `t=${t},v1=${v1}`, '--now', String(t + 301)], /invalid: timestamp 1765000000 is 301 s old, outside the 300 s tolerance/],
    ['a wider tolerance is allowed', ['--secret', secret, '--signature', `t=${t},v1=${v1}`, '--now', String(t + 301), '--tolerance', '600'], null],
    ['a malformed header', ['--secret', secret, '--signature', `t=${t}`, '--now', String(t)], /invalid: Ledgerline-Signature is not/],
  ])('%s', async (_, args, reason) => {
    const result = await runNotifyCli(['webhooks', 'verify', '--body-file', bodyFile, ...args]);
    if (reason === null) return expect(result.status).toBe(0);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr).not.toContain(secret);
  });

  it('a changed body is invalid', async () => {
    const changed = join(dir, 'changed.json');
    writeFileSync(changed, '{"id":"d-1","type":"payment.posted" }');
    const result = await runNotifyCli(['webhooks', 'verify', '--secret', secret, '--signature', `t=${t},v1=${v1}`, '--body-file', changed, '--now', String(t)]);
    expect(result.status).toBe(1);
  });

  it('refuses bad arguments, naming them', async () => {
    expect((await runNotifyCli(['webhooks', 'verify', '--secret', secret, '--signature', v1, '--body-file', bodyFile])).stderr).toMatch(/give --timestamp too/);
    expect((await runNotifyCli(['webhooks', 'verify', '--secret', secret, '--signature', 'x', '--body-file', join(dir, 'none')])).stderr).toMatch(/no such file/);
    expect((await runNotifyCli(['webhooks', 'verify', '--secret', secret, '--signature', v1, '--timestamp', 'soon', '--body-file', bodyFile])).status).toBe(2);
  });
});

interface Archived {
  type: string;
  body: string;
}

/** Every partition's archived events. */
function archived(state: string): Archived[] {
  return partitionDirs(state).flatMap((dir) => {
    const db = new Database(join(dir, 'ledgerline.db'), { readonly: true });
    try {
      return db.prepare('SELECT event_type AS type, body FROM event_archive ORDER BY seq').all() as Archived[];
    } finally {
      db.close();
    }
  });
}

/** The webhook purposes the archived events cause (the mapping, computed independently). */
function expectedPurposes(events: Archived[]): string[] {
  return events.flatMap((event) => {
    const body = JSON.parse(event.body) as { data: { decision?: { outcome: string } } };
    if (event.type === 'posting.completed') return ['payment.posted'];
    if (event.type === 'payment.rules-decided') return body.data.decision!.outcome === 'decline' ? ['payment.declined'] : body.data.decision!.outcome === 'review' ? ['payment.held-for-review'] : [];
    if (event.type === 'payment.rejected') return ['payment.rejected'];
    if (event.type === 'posting.failed') return ['payment.failed'];
    return [];
  });
}

describe('ledgerline notify over a posted state', () => {
  let state: string;
  let receiver: WebhookReceiver;
  let secret: string;

  beforeAll(async () => {
    state = tempDir('notify-state-');
    const input = join(state, '..', `${state.split('/').pop()}-input.ndjson`);
    writeFileSync(input, (await runCli(['generate', 'authorizations', '--count', '400', '--seed', '11', '--duplicates', '0.02'])).stdout);
    expect((await runCli(['post', '--input', input, '--state', state])).status).toBe(0);
  }, 120_000);

  beforeEach(async () => {
    receiver = new WebhookReceiver({}, () => Date.now());
    await receiver.start();
  });
  afterEach(() => receiver.stop());

  it('subscribe → list → notify --once delivers each outward event once per subscription; a second run sends nothing', async () => {
    const subscribed = await runNotifyCli([
      'webhooks',
      'subscribe',
      '--state',
      state,
      '--id',
      'acme',
      '--url',
      receiver.url,
      '--events',
      'payment.posted,payment.declined,payment.held-for-review,payment.rejected,payment.failed',
    ]);
    expect(subscribed.status).toBe(0);
    secret = /secret \(shown once; give it to the partner\): (\S+)/.exec(subscribed.stdout)![1]!;
    receiver.addKey('acme-k1', secret);
    const listed = JSON.parse((await runNotifyCli(['webhooks', 'list', '--state', state, '--json'])).stdout) as { subscriptions: { id: string; keyIds: string[] }[] };
    expect(listed.subscriptions).toEqual([expect.objectContaining({ id: 'acme', keyIds: ['acme-k1'] })]);
    expect(JSON.stringify(listed)).not.toContain(secret);

    // A customer with email and SMS for the card of the first posted payment.
    const events = archived(state);
    const expected = expectedPurposes(events);
    expect(expected.length).toBeGreaterThan(100);
    const firstDecision = events.map((event) => JSON.parse(event.body) as { type: string; data: { authorisation?: { panToken: string } } }).find((event) => event.data.authorisation);
    writeFileSync(
      join(state, 'notify', 'recipients.json'),
      JSON.stringify({
        customers: [
          {
            recipientId: 'c1',
            name: 'Ada',
            language: 'fr',
            region: 'FR',
            email: 'ada@example.com',
            phone: '+33600000000',
            channels: ['email', 'sms'],
            panTokens: [firstDecision!.data.authorisation!.panToken],
          },
        ],
      }),
    );

    const run = await runNotifyCli(['notify', '--state', state, '--once', '--json']);
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as { events: number; deliveries: Record<string, number>; stopped: unknown[] };
    expect(summary.stopped).toEqual([]);
    expect(summary.events).toBe(events.filter((event) => NOTIFYING_EVENT_TYPES.includes(event.type)).length);
    const bodies = [...receiver.processed.values()].map((body) => JSON.parse(body) as WebhookBody);
    expect(bodies.map((body) => body.type).sort()).toEqual([...expected].sort());
    expect(receiver.requests.every((request) => request.valid && !request.duplicate)).toBe(true);
    expect(readdirSync(join(state, 'notify', 'outbox', 'email')).length).toBeGreaterThan(0);

    const again = JSON.parse((await runNotifyCli(['notify', '--state', state, '--once', '--json'])).stdout) as { events: number };
    expect(again.events).toBe(0);
    expect(receiver.requests).toHaveLength(expected.length);
    // PCI-3: nothing the notifier wrote holds a card number.
    expect(filesContainingDigitsOf(join(state, 'notify'), SAMPLE_PANS)).toEqual([]);
  }, 120_000);

  it('dead letters are listed with their log and can be redriven', async () => {
    const sub = await runNotifyCli([
      'webhooks',
      'subscribe',
      '--state',
      state,
      '--id',
      'gone',
      '--url',
      'http://127.0.0.1:9/hooks',
      '--events',
      'payment.posted',
      '--secret',
      'whsec_0123456789abcdef',
    ]);
    expect(sub.status).toBe(0);
    // Re-notify from the start for the new subscription: a fresh cursor is what a new notifier would have.
    const db = new Database(join(state, 'notify', 'notify.db'));
    expect(db.prepare('DELETE FROM cursors').run().changes).toBeGreaterThan(0);
    db.close();
    const run = await runNotifyCli(['notify', '--state', state, '--once', '--json']);
    expect(run.status).toBe(0);
    const retrying = JSON.parse((await runNotifyCli(['webhooks', 'deliveries', '--state', state, '--status', 'RETRYING', '--json'])).stdout) as {
      deliveries: { deliveryId: string; recipient: string; lastError: string; log: unknown[] }[];
    };
    expect(retrying.deliveries.length).toBeGreaterThan(0);
    expect(retrying.deliveries.every((delivery) => delivery.recipient === 'gone' && /connection failed/.test(delivery.lastError))).toBe(true);
    expect(retrying.deliveries.every((delivery) => delivery.log.length >= 1)).toBe(true);
    const text = (await runNotifyCli(['webhooks', 'deliveries', '--state', state, '--status', 'RETRYING'])).stdout;
    expect(text).toMatch(/#1 .* inline: retryable \(connection failed/);
    const redrive = await runNotifyCli(['webhooks', 'redrive', '--state', state, retrying.deliveries[0]!.deliveryId, 'no-such-id']);
    expect(redrive.status).toBe(1);
    expect(redrive.stderr).toMatch(/is RETRYING, not FAILED/);
    expect(redrive.stderr).toMatch(/no-such-id: no such delivery/);
    const unsub = await runNotifyCli(['webhooks', 'unsubscribe', '--state', state, '--id', 'gone']);
    expect(unsub.status).toBe(0);
    expect((await runNotifyCli(['webhooks', 'unsubscribe', '--state', state, '--id', 'gone'])).stderr).toMatch(/no subscription gone/);
  }, 120_000);

  it('refuses bad subscriptions, naming the fault', async () => {
    const bad = (args: string[]) => runNotifyCli(['webhooks', 'subscribe', '--state', state, '--id', 'x', ...args]);
    expect((await bad(['--url', 'ftp://example.com', '--events', 'payment.posted'])).stderr).toMatch(/--url must be https/);
    expect((await bad(['--url', 'http://example.com/hook', '--events', 'payment.posted'])).stderr).toMatch(/plain http only on loopback/);
    expect((await bad(['--url', 'https://example.com/hook', '--events', 'payment.lost'])).stderr).toMatch(/"payment.lost" is not one of/);
    expect((await bad(['--url', 'https://example.com/hook', '--events', 'payment.posted', '--secret', 'short'])).stderr).toMatch(/at least 16 bytes/);
    expect((await runNotifyCli(['webhooks', 'list', '--state', join(state, 'nope')])).stderr).toMatch(/does not exist/);
  });
});

describe('a notifier killed between a send and its log', () => {
  it('re-sends on the next run under the same delivery id: the receiver processes it once, the log shows the interrupted attempt', async () => {
    const state = tempDir('notify-kill-');
    const input = join(state, '..', `${state.split('/').pop()}-input.ndjson`);
    writeFileSync(input, (await runCli(['generate', 'authorizations', '--count', '60', '--seed', '5'])).stdout);
    expect((await runCli(['post', '--input', input, '--state', state])).status).toBe(0);
    const secret = 'whsec_kill_test_0123456789';
    const receiver = new WebhookReceiver({ 'k-kill': secret }, () => Date.now());
    await receiver.start();
    try {
      expect(
        (await runNotifyCli(['webhooks', 'subscribe', '--state', state, '--id', 'kill', '--url', receiver.url, '--events', 'payment.posted', '--key-id', 'k-kill', '--secret', secret])).status,
      ).toBe(0);
      // The child is killed (SIGKILL) the moment the receiver holds its first request, before it answers.
      receiver.failNext(1, { kind: 'slow', ms: 1500 });
      // The real command (bin/ledgerline.js: the prebuilt CLI while it is fresh, not a compile of the sources per spawn).
      const child = spawn(process.execPath, [BIN, 'notify', '--state', state, '--once'], { stdio: 'ignore', cwd: join(__dirname, '..', '..') });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));
      for (let waited = 0; receiver.arrived.length === 0 && waited < 60_000; waited += 20) {
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 1600));
      // The slow request was processed by the receiver after all (the sender never heard).
      const firstId = receiver.arrived[0];
      expect(firstId).toBeTruthy();
      const run = await runNotifyCli(['notify', '--state', state, '--once', '--json']);
      expect(run.status).toBe(0);
      const expected = expectedPurposes(archived(state)).filter((purpose) => purpose === 'payment.posted').length;
      expect(receiver.processed.size).toBe(expected);
      // The interrupted delivery came twice, under one id; processed once.
      expect(receiver.requests.filter((request) => request.deliveryId === firstId && request.valid).length).toBe(2);
      expect(receiver.requests.filter((request) => request.deliveryId === firstId && request.duplicate)).toHaveLength(1);
      const db = new Database(join(state, 'notify', 'notify.db'), { readonly: true });
      const log = (db.prepare('SELECT body FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt').all(firstId) as { body: string }[]).map(
        (row) => JSON.parse(row.body) as { attempt: number; outcome?: string },
      );
      db.close();
      expect(log).toEqual([expect.objectContaining({ attempt: 1 }), expect.objectContaining({ attempt: 2, outcome: 'delivered' })]);
      expect(log[0]!.outcome).toBeUndefined();
    } finally {
      await receiver.stop();
    }
  }, 120_000);
});
