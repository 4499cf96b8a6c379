/**
 * REH-1: the customer edge's notifier and webhook sweeper as deployed (NOTIFY-2, HOOK-1, HOOK-2),
 * on the booted deployment:
 * - a partner: a local HTTPS-less webhook receiver on loopback (real HTTP, as locally), its
 *   signing key created in Secrets Manager by the product's own key store under the synthesized
 *   NOTIFY_SIGNING_KEY_PREFIX, and its subscription to `payment.posted` put in the synthesized
 *   notifications table by the product's own registry, both as an operator outside the deployment;
 * - notify: every payment the operating modes post (batch, real-time: MODE-2, MODE-4, whose
 *   authorisations are only in the flow journal) is told to the partner: one delivered webhook per
 *   payment (a repeat carries the same Ledgerline-Delivery-Id), signed, verified with the product's
 *   verifier (src/notify/signing.ts verifyWebhook);
 * - webhook-sweeper: the receiver refuses (503) the real-time payment's webhook until it recovers:
 *   the notifier parks the delivery RETRYING with a due time; once due, the sweeper fired by its
 *   schedule's target delivers it, once, signed; a second sweep finds nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerSigningKeyStore } from '../src/adapters/aws/notify-directory';
import { DynamoDeliveryStore, DynamoSubscriptionRegistry } from '../src/adapters/aws/notify-dynamo';
import { DELIVERY_ID_HEADER, EVENT_TYPE_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER, verifyWebhook, type VerifyResult } from '../src/notify/signing';
import type { DeliveryAttempt, DeliveryState } from '../src/ports/notify';
import type { RehearsalCloud } from './cloud';
import { settingOf } from './deployment';

type Credentials = { accessKeyId: string; secretAccessKey: string };

/** The purpose the rehearsal's partner subscribes to (every posted payment notifies it). */
export const PARTNER_PURPOSE = 'payment.posted';
const PARTNER_ID = 'rehearsal-partner';
const PARTNER_KEY_ID = 'rehearsal-partner-k1';

export interface ReceivedWebhook {
  deliveryId: string;
  eventType: string;
  /** The payment the webhook is about (`data.reference` of payment.posted). */
  reference?: string;
  status: number;
  verified: VerifyResult;
  receivedAt: string;
}

export interface Partner {
  url: string;
  subscriptionId: string;
  keyId: string;
  received: ReceivedWebhook[];
  /** While true for a webhook's payment, the receiver answers 503. */
  refuse: (reference: string | undefined) => boolean;
  close(): Promise<void>;
}

/** Starts the receiver, then creates its signing key and subscription as an operator would. */
export async function setUpPartner(cloud: RehearsalCloud, outside: (who: string) => Credentials): Promise<Partner> {
  const secret = randomBytes(32).toString('hex');
  const received: ReceivedWebhook[] = [];
  const partner: Partner = { url: '', subscriptionId: PARTNER_ID, keyId: PARTNER_KEY_ID, received, refuse: () => false, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => {
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(',') : (value ?? '');
      };
      let reference: string | undefined;
      try {
        const data = (JSON.parse(body) as { data?: { reference?: unknown } }).data;
        if (typeof data?.reference === 'string') reference = data.reference;
      } catch {
        // not JSON: verified (or not) as it is, answered 400 below
      }
      const verified = verifyWebhook({ body, signature: header(SIGNATURE_HEADER), keyIds: header(KEY_ID_HEADER), keys: { [PARTNER_KEY_ID]: secret }, now: Math.floor(Date.now() / 1000) });
      const status = !verified.valid ? 401 : reference === undefined ? 400 : partner.refuse(reference) ? 503 : 200;
      received.push({ deliveryId: header(DELIVERY_ID_HEADER), eventType: header(EVENT_TYPE_HEADER), ...(reference ? { reference } : {}), status, verified, receivedAt: new Date().toISOString() });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  partner.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ledgerline/webhooks`;
  partner.close = () => new Promise<void>((resolve) => server.close(() => resolve()));

  const { endpoint } = cloud.gateway;
  const region = cloud.deployment.region;
  const operator = outside('webhook-operator');
  const keys = new SecretsManagerSigningKeyStore({ client: new SecretsManagerClient({ endpoint, region, credentials: operator }), prefix: settingOf(cloud.deployment, 'NOTIFY_SIGNING_KEY_PREFIX') });
  await keys.put({ keyId: PARTNER_KEY_ID, secret });
  const subscriptions = new DynamoSubscriptionRegistry({ client: new DynamoDBClient({ endpoint, region, credentials: operator }), tableName: settingOf(cloud.deployment, 'NOTIFICATIONS_TABLE') });
  await subscriptions.put({
    id: PARTNER_ID,
    partner: 'Rehearsal partner',
    url: partner.url,
    purposes: [PARTNER_PURPOSE],
    keyIds: [PARTNER_KEY_ID],
    createdAt: new Date().toISOString(),
    enabled: true,
  });
  return partner;
}

/** The notifications table's view of one delivery (its state and attempt log), read as an outside observer. */
export async function deliveryOf(cloud: RehearsalCloud, outside: (who: string) => Credentials, deliveryId: string): Promise<{ state?: DeliveryState; attempts: DeliveryAttempt[] }> {
  const store = new DynamoDeliveryStore({
    client: new DynamoDBClient({ endpoint: cloud.gateway.endpoint, region: cloud.deployment.region, credentials: outside('report') }),
    tableName: settingOf(cloud.deployment, 'NOTIFICATIONS_TABLE'),
  });
  const state = await store.get(deliveryId);
  return { ...(state ? { state } : {}), attempts: await store.attempts(deliveryId) };
}

export interface NotificationsReport {
  partner: { url: string; purpose: string; subscriptionId: string };
  /** Payments the modes posted (new ledger legs), by mode. */
  posted: { batch: number; realTime: number; other: number };
  /** Webhooks the receiver answered 2xx, distinct by delivery id. */
  delivered: number;
  /** Posted payments with no delivered webhook. */
  missing: string[];
  /** Payments with more than one delivery id (a second notification, not a repeat). */
  twice: string[];
  /** Requests whose signature the product's verifier refused. */
  unverified: { deliveryId: string; reason: string }[];
  requests: number;
  sweeper?: SweeperCase;
}

export interface SweeperCase {
  /** The refused delivery (the real-time payment's webhook). */
  deliveryId?: string;
  reference?: string;
  /** Its state after the notifier gave up in line (RETRYING expected) and its due time. */
  parked?: { status: string; attempts: number; dueAt?: string };
  refusedRequests: number;
  /** The schedule's sweep results: the first delivers, the second finds nothing. */
  sweeps: unknown[];
  /** 2xx answers for that delivery after the recovery (1 expected), each verified. */
  deliveredAfterRecovery: number;
  verified: boolean;
  final?: { status: string; attempts: number; lastBy?: string };
}

/** Waits until `dueAt` (real time: the deployed sweeper reads the wall clock), at most `limitMs`. */
export async function waitUntil(dueAt: string | undefined, limitMs: number): Promise<void> {
  const wait = dueAt ? Math.min(limitMs, Date.parse(dueAt) - Date.now() + 250) : 0;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
