/**
 * Maps AWS SDK failures to the ports' error model: throttling, 5xx, timeouts and network
 * errors become TransientStoreError (retried, never taken as an answer). Everything else
 * (conditional failures, validation errors, ...) is rethrown unchanged.
 */
import { createHash } from 'node:crypto';
import { TransientStoreError } from '../../ports';

/** Answers, not outages: never transient whatever their status code. */
const ANSWER_NAMES = new Set([
  'ConditionalCheckFailedException',
  'TransactionCanceledException',
  'ExecutionAlreadyExists',
  'PreconditionFailed',
  'ValidationException',
  'ResourceNotFoundException',
  'NoSuchBucket',
  'AccessDeniedException',
  'AccessDenied',
]);

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'ConditionalRequestConflict',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Node network failures, when only the message survives (e.g. wrapped across realms). */
const NETWORK_MESSAGE = /\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b|socket hang up/;

interface AwsLikeError {
  message?: unknown;
  name?: string;
  code?: string;
  errno?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  cause?: unknown;
}

export function errorName(error: unknown): string | undefined {
  return error !== null && typeof error === 'object' ? (error as AwsLikeError).name : undefined;
}

export function httpStatus(error: unknown): number | undefined {
  return error !== null && typeof error === 'object' ? (error as AwsLikeError).$metadata?.httpStatusCode : undefined;
}

export function isTransientAwsError(error: unknown, depth = 0): boolean {
  if (error instanceof TransientStoreError) return true;
  if (error === null || typeof error !== 'object' || depth > 3) return false;
  const candidate = error as AwsLikeError;
  if (candidate.name && ANSWER_NAMES.has(candidate.name)) return false;
  if (candidate.name && TRANSIENT_NAMES.has(candidate.name)) return true;
  if (typeof candidate.code === 'string' && NETWORK_CODES.has(candidate.code)) return true;
  if (typeof candidate.message === 'string' && NETWORK_MESSAGE.test(candidate.message)) return true;
  const status = candidate.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (candidate.$retryable) return true;
  return candidate.cause !== undefined && isTransientAwsError(candidate.cause, depth + 1);
}

/** The error to throw for `error`: a TransientStoreError when it is transient, else itself. */
export function toStoreError(error: unknown, operation: string): unknown {
  if (error instanceof TransientStoreError) return error;
  if (isTransientAwsError(error)) {
    const name = errorName(error) ?? 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return new TransientStoreError(`${operation}: ${name}: ${message}`, error);
  }
  return error;
}

/** Runs one AWS call, mapping transient failures to TransientStoreError. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStoreError(error, operation);
  }
}

/** A stable unsigned 32-bit hash of `text` (SHA-256 prefix): for buckets and shards. */
export function stableHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base·2^attempt)). */
export function backoffMs(attempt: number, baseMs: number, capMs = 2000): number {
  if (baseMs <= 0) return 0;
  return Math.floor(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}
