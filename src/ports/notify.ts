/**
 * Ports of notifications and webhooks (NOTIFY-1/2, HOOK-1/2). One embedded adapter set
 * (src/adapters/embedded/notify-*.ts) and one AWS set (src/adapters/aws/notify-*.ts) implement
 * them; one contract suite per port runs against both (test/notify/contracts).
 */
import type { Authorisation } from '../domain/events';
import type { Channel, Purpose } from '../notify/catalogue';
import type { AttemptOutcome } from '../notify/delivery-policy';
import type { CustomerRef, NotifiableEvent } from '../notify/mapping';
import type { SigningKey } from '../notify/signing';
import type { Template } from '../notify/template';

export { VersionConflictError } from './index';

/** The templates in force (every version; selection picks by the fallback chain). */
export interface TemplateStore {
  all(): Promise<readonly Template[]>;
}

/** A customer's contact record: where and how they are told. */
export interface CustomerContact {
  /** A stable id of the recipient (never an address): part of the delivery id. */
  recipientId: string;
  /** How the recipient is addressed ({{customerName}} when the event does not name the holder). */
  name: string;
  language: string;
  region?: string;
  timeZone?: string;
  email?: string;
  phone?: string;
  /** An SNS platform endpoint ARN on AWS; a device id locally. */
  pushTarget?: string;
  /** The channels the customer opted into, in preference order. */
  channels: readonly Exclude<Channel, 'webhook'>[];
}

export interface RecipientDirectory {
  customer(ref: CustomerRef): Promise<CustomerContact | undefined>;
  /** Operations recipients (reconciliation summaries, write-offs, failed postings): email. */
  operations(): Promise<readonly CustomerContact[]>;
}

/** The authorisation behind a payment, for notifications whose event does not carry it (a completed posting). */
export interface PaymentFacts {
  authorisation(authorizationId: string): Promise<Authorisation | undefined>;
}

/** One message for a person (email, SMS, push), rendered. */
export interface OutboundMessage {
  deliveryId: string;
  channel: Exclude<Channel, 'webhook'>;
  /** The address: an email address, an E.164 phone number, a push target. */
  to: string;
  subject?: string;
  text: string;
  html?: string;
  templateId: string;
  templateVersion: number;
}

/** A sender's failure that retrying cannot fix (an address the provider refuses for good): dead-lettered at once. */
export class PermanentSendError extends Error {
  override name = 'PermanentSendError';
}

export interface MessageSender {
  /**
   * Sends `message`; resolves with the provider's message id. Throws on failure (the notifier
   * records it and retries by the policy). Senders with an idempotency key of their own (the file
   * sink: the delivery id names the file) send a repeated delivery id once.
   */
  send(message: OutboundMessage): Promise<{ providerMessageId: string }>;
}

export type MessageSenders = Readonly<Partial<Record<Exclude<Channel, 'webhook'>, MessageSender>>>;

/** A partner endpoint subscribed to webhook event types (= purposes). */
export interface Subscription {
  id: string;
  partner: string;
  url: string;
  purposes: readonly Purpose[];
  /** Active signing keys, the primary first (rotation: more than one signs). */
  keyIds: readonly string[];
  createdAt: string;
  /** A disabled subscription gets no new deliveries (those under way go on). */
  enabled: boolean;
}

export interface SubscriptionRegistry {
  subscriptionsFor(purpose: Purpose): Promise<readonly Subscription[]>;
  get(id: string): Promise<Subscription | undefined>;
  list(): Promise<readonly Subscription[]>;
  /** Creates or replaces the subscription `subscription.id`. */
  put(subscription: Subscription): Promise<void>;
  remove(id: string): Promise<boolean>;
}

/** The webhook signing secrets by key id (Secrets Manager on AWS). */
export interface SigningKeyStore {
  /** The keys of these ids, in that order; throws naming an id it does not hold. */
  keys(keyIds: readonly string[]): Promise<SigningKey[]>;
  put(key: SigningKey): Promise<void>;
}

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
}

/** Real HTTP: POSTs the body and classifies the answer (never throws for an HTTP or network failure). */
export interface WebhookTransport {
  post(request: WebhookRequest): Promise<AttemptOutcome>;
}

// --- Delivery state (the sweeper pattern, SWEEP-1) and the delivery log ------------------------

export type DeliveryStatus = 'RUNNING' | 'RETRYING' | 'COMPLETED' | 'FAILED';

export interface DeliveryState {
  deliveryId: string;
  eventId: string;
  eventType: string;
  purpose: Purpose;
  channel: Channel;
  /** The subscription id (webhook) or the contact's recipient id. */
  recipient: string;
  /** The URL, address or number it goes to. */
  destination: string;
  status: DeliveryStatus;
  /** Attempts made (started) so far. */
  attempts: number;
  /** RETRYING: when the sweeper may re-drive it. */
  dueAt?: string;
  firstAttemptAt?: string;
  lastError?: string;
  /**
   * What is sent, exactly: the webhook body (JSON) or the rendered message (JSON of its parts). Kept
   * so every attempt sends the same bytes; never holds a card number (PCI-3: rendered and checked).
   */
  payload: string;
  templateId?: string;
  templateVersion?: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryAttempt {
  deliveryId: string;
  attempt: number;
  /** `inline` (the notifier) or `sweeper:<re-drive name>`. */
  by: string;
  startedAt: string;
  finishedAt?: string;
  outcome?: AttemptOutcome['kind'];
  status?: number;
  reason?: string;
}

export interface DeliveryStore {
  /** Creates the delivery if its id is new (version 1); `false` when it exists already (idempotent). */
  create(state: Omit<DeliveryState, 'version'>): Promise<boolean>;
  get(deliveryId: string): Promise<DeliveryState | undefined>;
  /** Writes `next` if the stored version is `expectedVersion`, storing version + 1; else VersionConflictError. */
  put(next: DeliveryState, expectedVersion: number): Promise<DeliveryState>;
  /** RETRYING deliveries due at `now` (dueAt ≤ now), earliest first (a sparse index on dueAt). */
  listDue(now: Date, limit: number): Promise<DeliveryState[]>;
  /** Deliveries in a non-final status or FAILED (the dead letters), oldest update first (sparse indexes). */
  listByStatus(status: 'RUNNING' | 'RETRYING' | 'FAILED', limit: number): Promise<DeliveryState[]>;
  /**
   * Records the start of attempt `attempt.attempt`: `false` when that attempt number was started
   * already (its name is used: it starts nothing, SWEEP-2).
   */
  startAttempt(attempt: DeliveryAttempt): Promise<boolean>;
  /** Records how attempt `attempt.attempt` ended. */
  finishAttempt(attempt: DeliveryAttempt): Promise<void>;
  /** The delivery log of one delivery, by attempt number. */
  attempts(deliveryId: string): Promise<DeliveryAttempt[]>;
}

// --- The notifier's input: outward events from a source, read past a cursor ------------------

export interface SourcedEvent {
  /** The position of the event in its source (strictly increasing). */
  position: number;
  event: NotifiableEvent;
}

/** Where the notifier reads events from (locally: each state partition's event archive). */
export interface NotifyEventSource {
  sources(): Promise<readonly string[]>;
  /** Up to `limit` events of `source` after `position`, in order. */
  read(source: string, position: number, limit: number): Promise<SourcedEvent[]>;
}

export interface NotifyCursorStore {
  position(source: string): Promise<number>;
  advance(source: string, position: number): Promise<void>;
}
