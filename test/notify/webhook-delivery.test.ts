/**
 * HOOK-1/2, NOTIFY-2 end to end over real HTTP: a receiver on loopback verifies every signature
 * and fails on demand; the notifier delivers in line, parks what fails for the sweeper, and the
 * sweeper re-drives it when due until it is delivered exactly once (as the idempotent receiver
 * sees it) or dead-lettered with its reason. The delivery log shows every attempt.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerEvent, RulesDecidedData } from '../../src/domain/events';
import type { Subscription } from '../../src/ports/notify';
import { sweepDeliveries } from '../../src/use-cases/deliver-webhook/sweep';
import { notifyEvent, type WebhookBody } from '../../src/use-cases/notify/notify';
import { authorisation, enrichedData, envelope } from '../support/builders';
import { SAMPLE_PANS } from '../support/pan-spellings';
import type { Harness } from './support/harness';
import { harness, StaticPayments, StaticRecipients } from './support/harness';
import type { Failure } from './support/receiver';
import { WebhookReceiver } from './support/receiver';

const SECRET = 'whsec_test_0123456789abcdef';

function declined(authorizationId = 'AUTH-1', token = 'tok_ABCDEFGH12345678'): LedgerEvent {
  const data: RulesDecidedData = {
    ...enrichedData({ authorisation: { authorizationId, panToken: token } }),
    decision: { outcome: 'decline', firedRules: ['VELOCITY_LIMIT'], ruleSetId: 'card-posting', ruleSetVersion: '1.0.0', velocityCount: 11 },
  };
  return envelope('payment.rules-decided', data, authorizationId);
}

let h: Harness;
let receiver: WebhookReceiver;

async function subscribe(overrides: Partial<Subscription> = {}): Promise<Subscription> {
  const subscription: Subscription = {
    id: 'sub-acme',
    partner: 'acme',
    url: receiver.url,
    purposes: ['payment.declined', 'payment.posted', 'payment.held-for-review'],
    keyIds: ['k1'],
    createdAt: '2026-12-01T00:00:00Z',
    enabled: true,
    ...overrides,
  };
  await h.subscriptions.put(subscription);
  return subscription;
}

beforeEach(async () => {
  h = harness();
  receiver = new WebhookReceiver({ k1: SECRET }, () => h.clock.now().getTime());
  await receiver.start();
  await h.keys.put({ keyId: 'k1', secret: SECRET });
});

afterEach(async () => {
  await receiver.stop();
  h.db.close();
});

/** Sweeps as the schedule would: move the clock to the next due time, sweep, until nothing is RETRYING. */
async function sweepUntilSettled(maxRounds = 20, onRound?: (round: number) => Promise<void>): Promise<number> {
  for (let round = 0; round < maxRounds; round += 1) {
    const retrying = await h.deliveries.listByStatus('RETRYING', 100);
    if (retrying.length === 0) return round;
    const due = Math.min(...retrying.map((state) => Date.parse(state.dueAt!)));
    // Not due yet: a sweep now re-drives nothing.
    if (due > h.clock.now().getTime()) expect((await sweepDeliveries(h.deps)).examined).toBe(0);
    h.clock.advance(Math.max(0, due - h.clock.now().getTime()));
    await onRound?.(round);
    await sweepDeliveries(h.deps);
  }
  throw new Error('deliveries still RETRYING after the rounds allowed');
}

describe('webhook delivery', () => {
  it('delivers a signed webhook once; seeing the event again sends nothing', async () => {
    await subscribe();
    const event = declined();
    const first = await notifyEvent(h.deps, event);
    expect(first.deliveries).toEqual([expect.objectContaining({ channel: 'webhook', recipient: 'sub-acme', status: 'COMPLETED', created: true })]);
    expect(receiver.processed.size).toBe(1);
    const body = JSON.parse([...receiver.processed.values()][0]!) as WebhookBody;
    expect(body).toMatchObject({
      id: first.deliveries[0]!.deliveryId,
      type: 'payment.declined',
      event: { id: event.id, type: 'payment.rules-decided' },
      summary: 'Payment AUTH-1 of £25.00 at Corner Shop declined: VELOCITY_LIMIT',
      data: { amount: { value: '25.00', currency: 'GBP' }, card: { last4: '5678' }, merchant: 'Corner Shop', reference: 'AUTH-1' },
    });
    expect(JSON.stringify(body)).not.toContain('tok_ABCDEFGH');
    const again = await notifyEvent(h.deps, event);
    expect(again.deliveries).toEqual([expect.objectContaining({ status: 'COMPLETED', created: false })]);
    expect(receiver.requests).toHaveLength(1);
    expect(await h.deliveries.attempts(first.deliveries[0]!.deliveryId)).toEqual([expect.objectContaining({ attempt: 1, by: 'inline', outcome: 'delivered', status: 200 })]);
  });

  const failures: [string, Failure | 'down', RegExp][] = [
    ['down (connection refused)', 'down', /connection failed/],
    ['resetting connections', { kind: 'reset' }, /connection failed/],
    ['answering 500', { kind: 'status', status: 500 }, /HTTP 500/],
    ['answering 503 with Retry-After', { kind: 'status', status: 503, retryAfter: '30' }, /HTTP 503/],
    ['answering 429', { kind: 'status', status: 429 }, /HTTP 429/],
  ];
  it.each(failures)('an endpoint %s for 4 attempts: parked, re-driven by the sweeper when due, delivered exactly once when back', async (_, failure, reason) => {
    await subscribe();
    if (failure === 'down') await receiver.stop();
    else receiver.failNext(4, failure);
    const result = await notifyEvent(h.deps, declined());
    const deliveryId = result.deliveries[0]!.deliveryId;
    expect(result.deliveries[0]!.status).toBe('RETRYING');
    const parked = (await h.deliveries.get(deliveryId))!;
    // Two attempts in line (the policy), unless the receiver asked for a wait longer than an in-line one.
    const inline = failure !== 'down' && failure.kind === 'status' && failure.retryAfter ? 1 : 2;
    expect(parked).toMatchObject({ status: 'RETRYING', attempts: inline, lastError: expect.stringMatching(reason) });
    expect(Date.parse(parked.dueAt!)).toBeGreaterThanOrEqual(h.clock.now().getTime());
    await sweepUntilSettled(20, async (round) => {
      if (failure === 'down' && round === 1) await receiver.start();
    });
    const state = (await h.deliveries.get(deliveryId))!;
    expect(state.status).toBe('COMPLETED');
    expect(receiver.processed.size).toBe(1);
    const log = await h.deliveries.attempts(deliveryId);
    expect(log.map((attempt) => attempt.attempt)).toEqual(log.map((_, i) => i + 1));
    expect(log.at(-1)).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(log.slice(0, -1).every((attempt) => attempt.outcome === 'retryable' && reason.test(attempt.reason ?? ''))).toBe(true);
    expect(log.slice(0, inline).every((attempt) => attempt.by === 'inline')).toBe(true);
    expect(log.slice(inline).every((attempt) => attempt.by === `sweeper:${deliveryId}-a${attempt.attempt}`)).toBe(true);
    if (failure !== 'down' && failure.kind === 'status' && failure.retryAfter) {
      // Retry-After 30 s is the least wait between attempts.
      for (let i = 1; i < log.length; i += 1) expect(Date.parse(log[i]!.startedAt) - Date.parse(log[i - 1]!.finishedAt!)).toBeGreaterThanOrEqual(30_000);
    }
  });

  it('a slow endpoint times out; the late first request and the retry reach the receiver, which processes the delivery once', async () => {
    await subscribe();
    receiver.failNext(1, { kind: 'slow', ms: h.deps.policy.timeoutMs + 700 });
    const result = await notifyEvent(h.deps, declined());
    const deliveryId = result.deliveries[0]!.deliveryId;
    // Let the slow request finish at the receiver.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await sweepUntilSettled();
    const log = await h.deliveries.attempts(deliveryId);
    expect(log[0]).toMatchObject({ outcome: 'retryable', reason: expect.stringMatching(/timed out after 1500 ms/) });
    expect((await h.deliveries.get(deliveryId))!.status).toBe('COMPLETED');
    expect(receiver.processed.size).toBe(1);
    expect(receiver.requests.filter((request) => request.valid).length).toBeGreaterThanOrEqual(2);
    expect(receiver.requests.filter((request) => request.valid && !request.duplicate)).toHaveLength(1);
  });

  it.each([
    [410, /HTTP 410 \(the receiver refused the delivery\)/],
    [400, /HTTP 400/],
  ])('a %i is a refusal: dead-lettered at once with the reason, kept and listed', async (status, reason) => {
    await subscribe();
    receiver.failNext(1, { kind: 'status', status });
    const result = await notifyEvent(h.deps, declined());
    const state = (await h.deliveries.get(result.deliveries[0]!.deliveryId))!;
    expect(state).toMatchObject({ status: 'FAILED', attempts: 1, lastError: expect.stringMatching(reason) });
    expect((await h.deliveries.listByStatus('FAILED', 10)).map((s) => s.deliveryId)).toEqual([state.deliveryId]);
  });

  it('a receiver with another secret refuses the signature (401): dead-lettered, never processed', async () => {
    await subscribe();
    await h.keys.put({ keyId: 'k1', secret: 'another-secret-entirely' });
    const result = await notifyEvent(h.deps, declined());
    expect(result.deliveries[0]).toMatchObject({ status: 'FAILED', lastError: expect.stringMatching(/HTTP 401/) });
    expect(receiver.requests[0]).toMatchObject({ valid: false, reason: expect.stringMatching(/no v1 signature matches/) });
    expect(receiver.processed.size).toBe(0);
  });

  it('rotation: signed with the new and the old key, a receiver still on the old one accepts', async () => {
    await h.keys.put({ keyId: 'k2', secret: 'the-next-secret-0123456789' });
    await subscribe({ keyIds: ['k2', 'k1'] });
    const result = await notifyEvent(h.deps, declined());
    expect(result.deliveries[0]!.status).toBe('COMPLETED');
  });

  it('an endpoint that never comes back: retried until the policy ends, then dead-lettered with the reason and every attempt logged', async () => {
    await subscribe();
    receiver.failNext(100, { kind: 'status', status: 500 });
    const result = await notifyEvent(h.deps, declined());
    await sweepUntilSettled();
    const state = (await h.deliveries.get(result.deliveries[0]!.deliveryId))!;
    expect(state).toMatchObject({ status: 'FAILED', attempts: 8, lastError: 'attempts exhausted (8 of 8); last: HTTP 500' });
    expect(await h.deliveries.attempts(state.deliveryId)).toHaveLength(8);
    expect(receiver.processed.size).toBe(0);
  });

  it('two sweepers racing on one due delivery: one re-drive per attempt number, one request', async () => {
    await subscribe();
    receiver.failNext(2, { kind: 'status', status: 503 });
    const result = await notifyEvent(h.deps, declined());
    const parked = (await h.deliveries.get(result.deliveries[0]!.deliveryId))!;
    h.clock.advance(Date.parse(parked.dueAt!) - h.clock.now().getTime());
    const [a, b] = await Promise.all([sweepDeliveries(h.deps), sweepDeliveries(h.deps)]);
    expect(a.delivered + b.delivered).toBe(1);
    expect(a.alreadyRedriven + b.alreadyRedriven).toBe(1);
    expect(receiver.requests.filter((request) => request.valid)).toHaveLength(1);
    expect(await h.deliveries.attempts(parked.deliveryId)).toHaveLength(3);
  });

  it('a subscription removed while its delivery waits: dead-lettered with that reason, not dropped', async () => {
    await subscribe();
    receiver.failNext(2, { kind: 'status', status: 503 });
    const result = await notifyEvent(h.deps, declined());
    await h.subscriptions.remove('sub-acme');
    await sweepUntilSettled();
    expect(await h.deliveries.get(result.deliveries[0]!.deliveryId)).toMatchObject({ status: 'FAILED', lastError: expect.stringMatching(/subscription sub-acme no longer exists/) });
  });

  it('one delivery per subscription, each with its own deterministic id', async () => {
    await subscribe();
    await subscribe({ id: 'sub-other', partner: 'other' });
    await subscribe({ id: 'sub-disabled', enabled: false });
    await subscribe({ id: 'sub-elsewhere', purposes: ['payment.posted'] });
    const result = await notifyEvent(h.deps, declined());
    expect(result.deliveries.map((d) => d.recipient).sort()).toEqual(['sub-acme', 'sub-other']);
    expect(new Set(result.deliveries.map((d) => d.deliveryId)).size).toBe(2);
    expect(receiver.processed.size).toBe(2);
  });
});

describe('notifications to people (file sinks)', () => {
  const contact = {
    recipientId: 'cust-1',
    name: 'Ada Lovelace',
    language: 'de',
    region: 'CH',
    timeZone: 'Europe/Zurich',
    email: 'ada@example.com',
    phone: '+41790000000',
    pushTarget: 'device-1',
    channels: ['email', 'sms', 'push'] as const,
    panTokens: ['tok_ABCDEFGH12345678'],
  };

  it('renders each channel in the customer language and region, writes each message once', async () => {
    const auth = authorisation({ amount: { value: '1234.5', currency: 'CHF' } });
    h = { ...h, deps: { ...h.deps, recipients: new StaticRecipients([{ ...contact, channels: [...contact.channels] }]), payments: new StaticPayments(new Map([[auth.authorizationId, auth]])) } };
    const posted = envelope('posting.completed', { sequenceId: 'SEQ-1', authorizationId: auth.authorizationId, legCount: 2, postingRecordId: 'REC-1' });
    const result = await notifyEvent(h.deps, posted);
    expect(result.deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['email', 'COMPLETED'],
      ['sms', 'COMPLETED'],
      ['push', 'COMPLETED'],
    ]);
    expect(result.unaddressed).toEqual(['partners: no subscription to payment.posted']);
    const emails = readdirSync(join(h.outboxDir, 'email'));
    expect(emails).toHaveLength(1);
    const eml = readFileSync(join(h.outboxDir, 'email', emails[0]!), 'utf8');
    expect(eml).toMatch(/^From: Ledgerline/);
    expect(eml).toContain('X-Ledgerline-Template: payment.posted/email/de v1');
    const text = Buffer.from(eml.split('\r\n\r\n')[2]!.split('\r\n--')[0]!.replace(/\r\n/g, ''), 'base64').toString('utf8');
    expect(text.replace(/[\u00a0\u202f]/g, ' ')).toContain("CHF 1'234.50");
    expect(text).toContain('•••• 5678');
    const sms = JSON.parse(readFileSync(join(h.outboxDir, 'sms', readdirSync(join(h.outboxDir, 'sms'))[0]!), 'utf8'));
    expect(sms).toMatchObject({ to: '+41790000000', template: 'payment.posted/sms/de v1' });
    await notifyEvent(h.deps, posted);
    expect(readdirSync(join(h.outboxDir, 'email'))).toHaveLength(1);
  });

  it('a notification that cannot be rendered is dead-lettered with the reason, never sent and never dropped', async () => {
    const pan = SAMPLE_PANS[4]!;
    const auth = authorisation({ panToken: `tok_${pan}` });
    h = {
      ...h,
      deps: { ...h.deps, recipients: new StaticRecipients([{ ...contact, channels: ['email'], panTokens: [auth.panToken] }]), payments: new StaticPayments(new Map([[auth.authorizationId, auth]])) },
    };
    const posted = envelope('posting.completed', { sequenceId: 'SEQ-2', authorizationId: auth.authorizationId, legCount: 2, postingRecordId: 'REC-2' });
    const result = await notifyEvent(h.deps, posted);
    expect(result.deliveries).toEqual([expect.objectContaining({ channel: 'email', status: 'FAILED', lastError: expect.stringMatching(/not rendered: RenderError: .*variable card/) })]);
    expect(result.deliveries[0]!.lastError).not.toContain(pan);
    expect(existsSync(join(h.outboxDir, 'email'))).toBe(false);
    const stored = (await h.deliveries.get(result.deliveries[0]!.deliveryId))!;
    expect(JSON.stringify(stored)).not.toContain(pan);
  });

  it('a completed posting whose authorisation is unknown is an error for the caller to retry (nothing recorded)', async () => {
    const posted = envelope('posting.completed', { sequenceId: 'SEQ-3', authorizationId: 'AUTH-404', legCount: 2, postingRecordId: 'REC-3' });
    await expect(notifyEvent(h.deps, posted)).rejects.toThrow(/authorisation AUTH-404 not found/);
    expect(await h.deliveries.listByStatus('FAILED', 10)).toEqual([]);
  });
});
