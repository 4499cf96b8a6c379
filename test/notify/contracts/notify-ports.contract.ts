/**
 * ONE contract per notification port (NOTIFY-2, HOOK-2), run against the embedded adapters
 * (SQLite, file sinks) and the AWS adapters (DynamoDB on dynalite, SES and SNS on a fake endpoint).
 */
import * as fc from 'fast-check';
import type { CustomerContact, DeliveryState, DeliveryStore, MessageSender, OutboundMessage, RecipientDirectory, SigningKeyStore, Subscription, SubscriptionRegistry } from '../../../src/ports/notify';
import { VersionConflictError } from '../../../src/ports/notify';

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${(counter += 1)}`;

export function delivery(overrides: Partial<DeliveryState> = {}): Omit<DeliveryState, 'version'> {
  return {
    deliveryId: uniqueId('d'),
    eventId: 'evt-1',
    eventType: 'posting.completed',
    purpose: 'payment.posted',
    channel: 'webhook',
    recipient: 'sub-1',
    destination: 'https://partner.example/hooks',
    status: 'RUNNING',
    attempts: 0,
    payload: '{"id":"x"}',
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:00:00.000Z',
    ...overrides,
  };
}

export function deliveryStoreContract(name: string, make: () => Promise<DeliveryStore> | DeliveryStore): void {
  describe(`DeliveryStore contract: ${name}`, () => {
    let store: DeliveryStore;
    beforeEach(async () => {
      store = await make();
    });

    it('creates a delivery once (version 1); a second create of the id is refused and changes nothing', async () => {
      const first = delivery();
      expect(await store.create(first)).toBe(true);
      expect(await store.create({ ...first, payload: 'other' })).toBe(false);
      expect(await store.get(first.deliveryId)).toEqual({ ...first, version: 1 });
      expect(await store.get('no-such-delivery')).toBeUndefined();
    });

    it('writes on the expected version only (optimistic locking) and keeps every field', async () => {
      const created = delivery({ templateId: 'payment.posted/webhook/en', templateVersion: 2, firstAttemptAt: '2026-12-06T10:00:00.000Z' });
      await store.create(created);
      const next = await store.put({ ...created, version: 1, status: 'RETRYING', attempts: 1, dueAt: '2026-12-06T10:05:00.000Z', lastError: 'HTTP 503' }, 1);
      expect(next.version).toBe(2);
      expect(await store.get(created.deliveryId)).toEqual(next);
      await expect(store.put({ ...next, status: 'COMPLETED' }, 1)).rejects.toBeInstanceOf(VersionConflictError);
      await expect(store.put({ ...delivery(), version: 0 }, 1)).rejects.toBeInstanceOf(VersionConflictError);
      // An optional field written as undefined is absent when read back.
      await store.put({ ...next, status: 'RUNNING', dueAt: undefined, lastError: undefined }, 2);
      const read = (await store.get(created.deliveryId))!;
      expect('dueAt' in read).toBe(false);
      expect('lastError' in read).toBe(false);
    });

    it('lists RETRYING deliveries that are due, earliest first, and never one not due or in another status', async () => {
      const base = Date.parse('2030-01-01T00:00:00.000Z');
      const created: DeliveryState[] = [];
      for (let i = 0; i < 8; i += 1) {
        const state = delivery();
        await store.create(state);
        created.push(await store.put({ ...state, version: 1, status: 'RETRYING', attempts: 1, dueAt: new Date(base + (7 - i) * 60_000).toISOString() }, 1));
      }
      const due = await store.listDue(new Date(base + 3 * 60_000), 100);
      const mine = due.filter((state) => created.some((c) => c.deliveryId === state.deliveryId));
      expect(mine.map((state) => state.dueAt)).toEqual([0, 1, 2, 3].map((m) => new Date(base + m * 60_000).toISOString()));
      // Leaving RETRYING leaves the index.
      const first = mine[0]!;
      await store.put({ ...first, status: 'COMPLETED', dueAt: undefined }, first.version);
      expect((await store.listDue(new Date(base + 3 * 60_000), 100)).some((state) => state.deliveryId === first.deliveryId)).toBe(false);
      expect((await store.listDue(new Date(base + 3 * 60_000), 2)).length).toBeLessThanOrEqual(2);
    });

    it('property: a delivery is listed under exactly the status it has (sparse indexes), through any sequence of transitions', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom('RUNNING', 'RETRYING', 'COMPLETED', 'FAILED') as fc.Arbitrary<DeliveryState['status']>, { minLength: 1, maxLength: 6 }), async (statuses) => {
          const created = delivery();
          await store.create(created);
          let state: DeliveryState = { ...created, version: 1 };
          for (const status of statuses) {
            state = await store.put(
              { ...state, status, updatedAt: new Date(Date.parse(state.updatedAt) + 1000).toISOString(), dueAt: status === 'RETRYING' ? '2000-01-01T00:00:00.000Z' : undefined },
              state.version,
            );
          }
          for (const listed of ['RUNNING', 'RETRYING', 'FAILED'] as const) {
            const ids = (await store.listByStatus(listed, 10_000)).map((s) => s.deliveryId);
            expect(ids.includes(created.deliveryId)).toBe(state.status === listed);
          }
          expect((await store.listDue(new Date('2000-01-01T00:00:01.000Z'), 10_000)).some((s) => s.deliveryId === created.deliveryId)).toBe(state.status === 'RETRYING');
        }),
        { numRuns: 15 },
      );
    });

    it('starts an attempt number once (its name is used), records its end, and lists the log in order', async () => {
      const created = delivery();
      await store.create(created);
      const start = { deliveryId: created.deliveryId, attempt: 1, by: 'inline', startedAt: '2026-12-06T10:00:00.000Z' };
      expect(await store.startAttempt(start)).toBe(true);
      expect(await store.startAttempt({ ...start, by: 'sweeper:x' })).toBe(false);
      await store.finishAttempt({ ...start, finishedAt: '2026-12-06T10:00:01.000Z', outcome: 'retryable', reason: 'HTTP 503', status: 503 });
      for (const attempt of [3, 2, 10]) expect(await store.startAttempt({ ...start, attempt, by: `sweeper:${attempt}` })).toBe(true);
      const log = await store.attempts(created.deliveryId);
      expect(log.map((a) => a.attempt)).toEqual([1, 2, 3, 10]);
      expect(log[0]).toEqual({ ...start, finishedAt: '2026-12-06T10:00:01.000Z', outcome: 'retryable', reason: 'HTTP 503', status: 503 });
      expect(await store.attempts('no-such-delivery')).toEqual([]);
    });

    it('lets one of two concurrent claims of a version win', async () => {
      const created = delivery({ status: 'RETRYING', dueAt: '2026-12-06T10:00:00.000Z' });
      await store.create(created);
      const results = await Promise.allSettled([1, 2, 3].map((n) => store.put({ ...created, version: 1, status: 'RUNNING', attempts: n, dueAt: undefined }, 1)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof VersionConflictError)).toBe(true);
    });
  });
}

export function subscriptionRegistryContract(name: string, make: () => Promise<SubscriptionRegistry> | SubscriptionRegistry): void {
  describe(`SubscriptionRegistry contract: ${name}`, () => {
    let registry: SubscriptionRegistry;
    beforeEach(async () => {
      registry = await make();
      for (const subscription of await registry.list()) await registry.remove(subscription.id);
    });
    const subscription = (id: string, purposes: Subscription['purposes']): Subscription => ({
      id,
      partner: `partner-${id}`,
      url: `https://${id}.example/hooks`,
      purposes,
      keyIds: [`${id}-k1`],
      createdAt: '2026-12-06T10:00:00.000Z',
      enabled: true,
    });

    it('puts, gets, lists, replaces and removes subscriptions; finds them by purpose', async () => {
      await registry.put(subscription('a', ['payment.posted', 'payment.declined']));
      await registry.put(subscription('b', ['payment.declined']));
      expect(await registry.get('a')).toEqual(subscription('a', ['payment.posted', 'payment.declined']));
      expect((await registry.list()).map((s) => s.id)).toEqual(['a', 'b']);
      expect((await registry.subscriptionsFor('payment.declined')).map((s) => s.id)).toEqual(['a', 'b']);
      expect((await registry.subscriptionsFor('payment.posted')).map((s) => s.id)).toEqual(['a']);
      expect(await registry.subscriptionsFor('write-off.approved')).toEqual([]);
      await registry.put({ ...subscription('a', ['write-off.approved']), keyIds: ['a-k2', 'a-k1'] });
      expect(await registry.get('a')).toMatchObject({ purposes: ['write-off.approved'], keyIds: ['a-k2', 'a-k1'] });
      expect(await registry.remove('a')).toBe(true);
      expect(await registry.remove('a')).toBe(false);
      expect(await registry.get('a')).toBeUndefined();
    });
  });
}

/** A sender and a probe that reads back what it delivered for a delivery id. */
export interface SenderUnderTest {
  sender: MessageSender;
  delivered(deliveryId: string): Promise<{ to: string; text: string; subject?: string; html?: string }[]>;
  /** A sender whose provider is down. */
  down: MessageSender;
}

export function messageSenderContract(name: string, channel: OutboundMessage['channel'], make: () => Promise<SenderUnderTest>): void {
  describe(`MessageSender contract: ${name} (${channel})`, () => {
    const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
      deliveryId: uniqueId('m'),
      channel,
      to: channel === 'email' ? 'ada@example.com' : channel === 'sms' ? '+447700900123' : 'arn:aws:sns:eu-west-2:123456789012:endpoint/APNS/app/device-1',
      ...(channel === 'sms' ? {} : { subject: 'Payment posted: £25.00 – Café' }),
      text: 'A payment of £25.00 at Café Müller was posted.\nReference: AUTH-1',
      ...(channel === 'email' ? { html: '<p>A payment of <strong>£25.00</strong> at Café Müller</p>' } : {}),
      templateId: `payment.posted/${channel}/en`,
      templateVersion: 1,
      ...overrides,
    });

    it('sends the message whole (UTF-8 intact) and answers with a provider message id', async () => {
      const { sender, delivered } = await make();
      const sent = message();
      const result = await sender.send(sent);
      expect(result.providerMessageId).toEqual(expect.any(String));
      const received = await delivered(sent.deliveryId);
      expect(received.length).toBeGreaterThanOrEqual(1);
      expect(received[0]).toMatchObject({
        to: sent.to,
        text: sent.text,
        ...(sent.subject !== undefined && channel !== 'sms' ? { subject: sent.subject } : {}),
        ...(sent.html ? { html: sent.html } : {}),
      });
    });

    it('fails (throws) when the provider cannot be reached, for the notifier to retry', async () => {
      const { down } = await make();
      await expect(down.send(message())).rejects.toThrow();
    });
  });
}

export function signingKeyStoreContract(name: string, make: () => Promise<SigningKeyStore> | SigningKeyStore): void {
  describe(`SigningKeyStore contract: ${name}`, () => {
    it('returns the keys asked for, in that order; a put replaces; an unknown id is an error naming it', async () => {
      const store = await make();
      const a = uniqueId('key');
      const b = uniqueId('key');
      await store.put({ keyId: a, secret: 'secret-a-0123456789' });
      await store.put({ keyId: b, secret: 'secret-b-0123456789' });
      expect(await store.keys([b, a])).toEqual([
        { keyId: b, secret: 'secret-b-0123456789' },
        { keyId: a, secret: 'secret-a-0123456789' },
      ]);
      await store.put({ keyId: a, secret: 'secret-a-rotated-0123' });
      expect(await store.keys([a])).toEqual([{ keyId: a, secret: 'secret-a-rotated-0123' }]);
      await expect(store.keys([a, 'no-such-key'])).rejects.toThrow(/signing key no-such-key is not known/);
    });
  });
}

export interface DirectorySeed {
  customers: { contact: CustomerContact; panTokens?: string[]; accountIds?: string[] }[];
  operations: CustomerContact[];
}

export function recipientDirectoryContract(name: string, make: (seed: DirectorySeed) => Promise<RecipientDirectory>): void {
  describe(`RecipientDirectory contract: ${name}`, () => {
    const ada: CustomerContact = { recipientId: 'c-ada', name: 'Ada', language: 'en', region: 'GB', email: 'ada@example.com', channels: ['email'] };
    const bob: CustomerContact = { recipientId: 'c-bob', name: 'Bob', language: 'de', phone: '+491700000000', channels: ['sms'] };
    const ops: CustomerContact = { recipientId: 'ops-1', name: 'Payments operations', language: 'en', email: 'ops@bank.example', channels: ['email'] };

    it('finds a customer by card token first, then by account; nobody for unknown references', async () => {
      const directory = await make({
        customers: [
          { contact: ada, panTokens: ['tok_ADA0000001'], accountIds: ['ACC-1'] },
          { contact: bob, accountIds: ['ACC-2'] },
        ],
        operations: [ops],
      });
      expect(await directory.customer({ panToken: 'tok_ADA0000001' })).toEqual(ada);
      expect(await directory.customer({ accountId: 'ACC-2' })).toEqual(bob);
      expect(await directory.customer({ panToken: 'tok_UNKNOWN001', accountId: 'ACC-2' })).toEqual(bob);
      expect(await directory.customer({ panToken: 'tok_ADA0000001', accountId: 'ACC-2' })).toEqual(ada);
      expect(await directory.customer({ panToken: 'tok_UNKNOWN001' })).toBeUndefined();
      expect(await directory.customer({})).toBeUndefined();
      expect(await directory.operations()).toEqual([ops]);
    });
  });
}
