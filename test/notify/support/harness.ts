/** Notifier dependencies over the embedded adapters, with a clock the test moves. */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FetchWebhookTransport } from '../../../src/adapters/embedded/notify-http';
import { FileMessageSender } from '../../../src/adapters/embedded/notify-file-sinks';
import { SqliteDeliveryStore, SqliteSigningKeyStore, SqliteSubscriptionRegistry } from '../../../src/adapters/embedded/notify-sqlite';
import { FileTemplateStore } from '../../../src/adapters/embedded/notify-templates';
import type { Authorisation } from '../../../src/domain/events';
import type { DeliveryPolicy } from '../../../src/notify/delivery-policy';
import { DEFAULT_DELIVERY_POLICY } from '../../../src/notify/delivery-policy';
import type { CustomerRef } from '../../../src/notify/mapping';
import type { CustomerContact, DeliveryStore, PaymentFacts, RecipientDirectory, SigningKeyStore, SubscriptionRegistry } from '../../../src/ports/notify';
import type { NotifyDeps } from '../../../src/use-cases/notify/notify';

export class ManualClock {
  constructor(private at: number) {}
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

export class StaticRecipients implements RecipientDirectory {
  constructor(
    private readonly customers: (CustomerContact & { panTokens?: string[]; accountIds?: string[] })[] = [],
    private readonly ops: CustomerContact[] = [],
  ) {}
  async customer(ref: CustomerRef): Promise<CustomerContact | undefined> {
    return this.customers.find((c) => (ref.panToken && c.panTokens?.includes(ref.panToken)) || (ref.accountId && c.accountIds?.includes(ref.accountId)));
  }
  async operations(): Promise<readonly CustomerContact[]> {
    return this.ops;
  }
}

export class StaticPayments implements PaymentFacts {
  constructor(private readonly byId: Map<string, Authorisation> = new Map()) {}
  async authorisation(id: string): Promise<Authorisation | undefined> {
    return this.byId.get(id);
  }
}

export const TEST_POLICY: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, inlineAttempts: 2, maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000, maxInlineDelayMs: 5_000, timeoutMs: 1_500 };

export interface Harness {
  deps: NotifyDeps;
  clock: ManualClock;
  db: Database.Database;
  deliveries: DeliveryStore;
  subscriptions: SubscriptionRegistry;
  keys: SigningKeyStore;
  outboxDir: string;
}

export function harness(options: { policy?: DeliveryPolicy; recipients?: RecipientDirectory; payments?: PaymentFacts; db?: Database.Database; start?: number } = {}): Harness {
  const db = options.db ?? new Database(':memory:');
  const clock = new ManualClock(options.start ?? Date.parse('2026-12-06T10:00:00Z'));
  const deliveries = new SqliteDeliveryStore(db);
  const subscriptions = new SqliteSubscriptionRegistry(db);
  const keys = new SqliteSigningKeyStore(db);
  const outboxDir = mkdtempSync(join(tmpdir(), 'notify-outbox-'));
  const sender = new FileMessageSender(outboxDir, undefined, clock);
  let seed = 7;
  const deps: NotifyDeps = {
    deliveries,
    subscriptions,
    keys,
    transport: new FetchWebhookTransport(clock),
    senders: { email: sender, sms: sender, push: sender },
    clock,
    // A deterministic uniform source (LCG): the tests replay exactly.
    random: () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    },
    policy: options.policy ?? TEST_POLICY,
    sleep: async (ms) => clock.advance(ms),
    templates: new FileTemplateStore(),
    recipients: options.recipients ?? new StaticRecipients(),
    payments: options.payments ?? new StaticPayments(),
    defaultLanguage: 'en',
  };
  return { deps, clock, db, deliveries, subscriptions, keys, outboxDir };
}
