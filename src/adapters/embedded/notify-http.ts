/**
 * Real HTTP delivery of webhooks (NOTIFY-2, HOOK-2), locally and in the Lambda alike (Node's
 * fetch): a POST with a timeout, no redirects followed (a 3xx is the receiver's refusal), the
 * response classified by the policy (src/notify/delivery-policy.ts). Never throws for an HTTP or
 * network failure: it is an outcome.
 */
import type { AttemptOutcome } from '../../notify/delivery-policy';
import { outcomeOfStatus, parseRetryAfter } from '../../notify/delivery-policy';
import type { WebhookRequest, WebhookTransport } from '../../ports/notify';

function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${(error.cause as Error & { code?: string }).code ?? error.cause.message})` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`.slice(0, 300);
}

export class FetchWebhookTransport implements WebhookTransport {
  constructor(private readonly clock: { now(): Date } = { now: () => new Date() }) {}

  async post(request: WebhookRequest): Promise<AttemptOutcome> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return { kind: 'refused', reason: 'the subscription URL is not a URL', status: 0 };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { kind: 'refused', reason: `the subscription URL scheme ${url.protocol} is not http(s)`, status: 0 };
    const signal = AbortSignal.timeout(request.timeoutMs);
    try {
      const response = await fetch(url, { method: 'POST', body: request.body, headers: request.headers, redirect: 'manual', signal });
      // Drain (bounded by the same timeout): the connection is reused, the body is not needed.
      await response.arrayBuffer().catch(() => undefined);
      return outcomeOfStatus(response.status, parseRetryAfter(response.headers.get('retry-after') ?? undefined, this.clock.now()));
    } catch (error) {
      if (signal.aborted) return { kind: 'retryable', reason: `timed out after ${request.timeoutMs} ms` };
      return { kind: 'retryable', reason: `connection failed: ${describe(error)}` };
    }
  }
}
