/**
 * The webhook delivery policy (HOOK-2): exponential backoff with full jitter, a few attempts in
 * line, then the sweeper pattern (SWEEP-1/2): the delivery is parked RETRYING with a due time and
 * the webhook sweeper re-drives it when due, until it is delivered or the policy ends; then it is
 * dead-lettered with its reason, never dropped.
 *
 * Pure: the random source and the clock are arguments.
 */

export interface DeliveryPolicy {
  /** Attempts made in line by the notifier before parking the delivery for the sweeper. */
  inlineAttempts: number;
  /** Attempts in all (in line + re-drives) before the delivery is dead-lettered. */
  maxAttempts: number;
  /** Backoff base: the cap of the jitter window doubles from this after every attempt. */
  baseDelayMs: number;
  /** The jitter window never exceeds this. */
  maxDelayMs: number;
  /** An in-line retry waits at most this long; a longer wait parks the delivery instead. */
  maxInlineDelayMs: number;
  /** A delivery older than this (since its first attempt) is dead-lettered rather than retried. */
  maxAgeMs: number;
  /** One HTTP attempt's timeout. */
  timeoutMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = Object.freeze({
  inlineAttempts: 3,
  maxAttempts: 15,
  baseDelayMs: 1_000,
  maxDelayMs: 6 * 60 * 60 * 1000,
  maxInlineDelayMs: 2_000,
  maxAgeMs: 3 * 24 * 60 * 60 * 1000,
  timeoutMs: 10_000,
});

export class PolicyError extends Error {
  override name = 'PolicyError';
}

export function checkPolicy(policy: DeliveryPolicy): DeliveryPolicy {
  const whole = (name: keyof DeliveryPolicy, min: number) => {
    const value = policy[name];
    if (!Number.isSafeInteger(value) || value < min) throw new PolicyError(`delivery policy ${name} = ${value}: a whole number ≥ ${min}`);
  };
  whole('inlineAttempts', 1);
  whole('maxAttempts', 1);
  whole('baseDelayMs', 0);
  whole('maxDelayMs', 0);
  whole('maxInlineDelayMs', 0);
  whole('maxAgeMs', 0);
  whole('timeoutMs', 1);
  if (policy.inlineAttempts > policy.maxAttempts) throw new PolicyError(`delivery policy: inlineAttempts ${policy.inlineAttempts} > maxAttempts ${policy.maxAttempts}`);
  return policy;
}

/** A uniform random number in [0, 1). */
export type RandomSource = () => number;

/** The jitter window after `attempt` failed attempts (1-based): min(max, base × 2^(attempt−1)). */
export function backoffCeilingMs(attempt: number, policy: Pick<DeliveryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
}

/** Full jitter: a uniform delay in [0, ceiling] (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function backoffDelayMs(attempt: number, policy: Pick<DeliveryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: RandomSource): number {
  const r = random();
  if (!(r >= 0 && r < 1)) throw new PolicyError(`random source gave ${r}, not a number in [0, 1)`);
  return Math.floor(r * (backoffCeilingMs(attempt, policy) + 1));
}

/** How one HTTP attempt went, as the policy sees it. */
export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  /** Worth another try: a timeout, a connection error, 5xx, 408, 425, 429. */
  | { kind: 'retryable'; reason: string; status?: number; retryAfterMs?: number }
  /** The receiver refused it for good (another 4xx, e.g. 400, 404, 410): retrying will not help. */
  | { kind: 'refused'; reason: string; status: number };

/** Classifies an HTTP status (or a failure to get one). */
export function outcomeOfStatus(status: number, retryAfterMs?: number): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 500 || status === 408 || status === 425 || status === 429) {
    return { kind: 'retryable', reason: `HTTP ${status}`, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { kind: 'refused', reason: `HTTP ${status} (the receiver refused the delivery)`, status };
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds from `now`, if readable. */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d{1,9}$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export type NextStep = { kind: 'done' } | { kind: 'retry-inline'; delayMs: number } | { kind: 'park'; dueAt: string; delayMs: number } | { kind: 'dead-letter'; reason: string };

/**
 * What follows attempt number `attempt` (1-based) of a delivery first tried at `firstAttemptAt`.
 * `inline` says whether the attempt was made in line (the notifier) or by a re-drive (the sweeper).
 */
export function nextStep(args: { attempt: number; outcome: AttemptOutcome; firstAttemptAt: Date; now: Date; inline: boolean; policy: DeliveryPolicy; random: RandomSource }): NextStep {
  const { attempt, outcome, policy, now } = args;
  if (outcome.kind === 'delivered') return { kind: 'done' };
  if (outcome.kind === 'refused') return { kind: 'dead-letter', reason: `attempt ${attempt}: ${outcome.reason}` };
  if (attempt >= policy.maxAttempts) return { kind: 'dead-letter', reason: `attempts exhausted (${attempt} of ${policy.maxAttempts}); last: ${outcome.reason}` };
  const delayMs = Math.max(backoffDelayMs(attempt, policy, args.random), outcome.retryAfterMs ?? 0);
  const age = now.getTime() + delayMs - args.firstAttemptAt.getTime();
  if (age > policy.maxAgeMs) return { kind: 'dead-letter', reason: `delivery older than ${policy.maxAgeMs} ms before its next attempt (${attempt} made); last: ${outcome.reason}` };
  if (args.inline && attempt < policy.inlineAttempts && delayMs <= policy.maxInlineDelayMs) return { kind: 'retry-inline', delayMs };
  return { kind: 'park', dueAt: new Date(now.getTime() + delayMs).toISOString(), delayMs };
}
