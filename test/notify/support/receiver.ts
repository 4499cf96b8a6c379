/**
 * A partner's webhook receiver on loopback, as docs/notifications.md tells partners to write one:
 * it verifies the signature over the raw body (refusing a bad one with 401), drops a repeat by its
 * delivery id (idempotent: 200, not processed again), and fails on demand: down (connection
 * refused), reset, slow (past the sender's timeout), or a given HTTP status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DELIVERY_ID_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER, verifyWebhook } from '../../../src/notify/signing';

export type Failure = { kind: 'status'; status: number; retryAfter?: string } | { kind: 'reset' } | { kind: 'slow'; ms: number };

export interface ReceivedRequest {
  deliveryId: string;
  valid: boolean;
  reason?: string;
  status: number;
  duplicate: boolean;
}

export class WebhookReceiver {
  private server: Server | undefined;
  private port = 0;
  private readonly failures: (Failure | undefined)[] = [];
  readonly requests: ReceivedRequest[] = [];
  /** Delivery ids as requests arrive, before the receiver does anything with them. */
  readonly arrived: string[] = [];
  /** Processed deliveries: id → body (each once). */
  readonly processed = new Map<string, string>();

  constructor(
    private readonly keys: Record<string, string>,
    private readonly now: () => number,
    private readonly toleranceSeconds = 300,
  ) {}

  /** The receiver learns a key (a partner given a new secret). */
  addKey(keyId: string, secret: string): void {
    this.keys[keyId] = secret;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** The next `count` requests fail with `failure`. */
  failNext(count: number, failure: Failure): void {
    for (let i = 0; i < count; i += 1) this.failures.push(failure);
  }

  /** The next requests, in order: each fails with its entry, or succeeds for an undefined one. */
  script(outcomes: readonly (Failure | undefined)[]): void {
    this.failures.push(...outcomes);
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Down: nothing listens on the port (connection refused) until start() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const deliveryId = String(request.headers[DELIVERY_ID_HEADER.toLowerCase()] ?? '');
    this.arrived.push(deliveryId);
    const failure = this.failures.shift();
    if (failure?.kind === 'reset') {
      request.socket.destroy();
      this.requests.push({ deliveryId, valid: false, reason: 'reset', status: 0, duplicate: false });
      return;
    }
    if (failure?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, failure.ms));
    if (failure?.kind === 'status') {
      this.requests.push({ deliveryId, valid: false, reason: `failing with ${failure.status}`, status: failure.status, duplicate: false });
      response.writeHead(failure.status, failure.retryAfter ? { 'Retry-After': failure.retryAfter } : {}).end();
      return;
    }
    const verdict = verifyWebhook({
      body,
      signature: String(request.headers[SIGNATURE_HEADER.toLowerCase()] ?? ''),
      keyIds: String(request.headers[KEY_ID_HEADER.toLowerCase()] ?? ''),
      keys: this.keys,
      now: Math.floor(this.now() / 1000),
      toleranceSeconds: this.toleranceSeconds,
    });
    if (!verdict.valid) {
      this.requests.push({ deliveryId, valid: false, reason: verdict.reason, status: 401, duplicate: false });
      response.writeHead(401).end(verdict.reason);
      return;
    }
    const duplicate = this.processed.has(deliveryId);
    if (!duplicate) this.processed.set(deliveryId, body.toString('utf8'));
    this.requests.push({ deliveryId, valid: true, status: 200, duplicate });
    if (!response.destroyed) response.writeHead(200).end();
  }
}
