/**
 * API-4: a token bucket per client id. Pure: the caller passes the time. A client may burst up
 * to `burst` requests, then `perSecond` more each second; a refused request is told when the next
 * token is there (Retry-After, whole seconds, at least 1). Tokens are kept in thousandths, in
 * integers, so refills are exact.
 */

export interface RateLimit {
  /** Bucket size: requests allowed at once. */
  burst: number;
  /** Steady rate: tokens added per second. */
  perSecond: number;
}

export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  /** Tokens × 1000. */
  milli: number;
  atMs: number;
}

const MILLI = 1000;

export class RateLimitError extends Error {
  override name = 'RateLimitError';
}

export function assertRateLimit(limit: RateLimit, where: string): RateLimit {
  if (!Number.isInteger(limit.burst) || limit.burst < 1 || limit.burst > 1_000_000) throw new RateLimitError(`${where}: burst must be a whole number from 1 to 1000000, got ${String(limit.burst)}`);
  if (!Number.isInteger(limit.perSecond) || limit.perSecond < 1 || limit.perSecond > 1_000_000)
    throw new RateLimitError(`${where}: perSecond must be a whole number from 1 to 1000000, got ${String(limit.perSecond)}`);
  return limit;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `limitFor` gives each client's limit (a client's own, or the default). */
  constructor(private readonly limitFor: (clientId: string) => RateLimit) {}

  /** Takes one token for `clientId` at `nowMs`. A clock that goes backwards refills nothing. */
  take(clientId: string, nowMs: number): RateDecision {
    const limit = this.limitFor(clientId);
    const capacity = limit.burst * MILLI;
    const bucket = this.buckets.get(clientId) ?? { milli: capacity, atMs: nowMs };
    const elapsed = Math.max(0, nowMs - bucket.atMs);
    // perSecond tokens per 1000 ms = perSecond milli-tokens per ms.
    bucket.milli = Math.min(capacity, bucket.milli + elapsed * limit.perSecond);
    bucket.atMs = Math.max(bucket.atMs, nowMs);
    this.buckets.set(clientId, bucket);
    if (bucket.milli >= MILLI) {
      bucket.milli -= MILLI;
      return { allowed: true, remaining: Math.floor(bucket.milli / MILLI) };
    }
    const missingMs = Math.ceil((MILLI - bucket.milli) / limit.perSecond);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(missingMs / 1000)) };
  }

  /** Forgets clients whose buckets are full again (nothing to remember): keeps memory bounded by active clients. */
  prune(nowMs: number): void {
    for (const [clientId, bucket] of this.buckets) {
      const limit = this.limitFor(clientId);
      if (bucket.milli + Math.max(0, nowMs - bucket.atMs) * limit.perSecond >= limit.burst * MILLI) this.buckets.delete(clientId);
    }
  }
}
