/**
 * API-1: idempotency of POST /v1/authorisations. A client's Idempotency-Key is claimed with the
 * fingerprint of the request (SHA-256 of its canonical JSON body); the first response is stored
 * and every later request with the same key and the same body gets those bytes again.
 *
 * - same key, same body, answered before → the stored response, byte-identical;
 * - same key, different body → 409 (the key stays bound to its first body, for its lifetime);
 * - same key, same body, while the first is still running → 409 `request-in-progress` with
 *   Retry-After (we do not hold the connection open waiting: the client retries, and gets the
 *   stored response once there is one);
 * - a claim whose holder crashed is taken over after its lease: the takeover runs the use case
 *   again, which posts nothing twice (posting is idempotent by the authorisation id).
 * Keys are per client: two clients may use the same key.
 */
import { createHash } from 'node:crypto';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ClaimRequest {
  clientId: string;
  key: string;
  fingerprint: string;
  nowMs: number;
  /** How long the claim holds before another request may take it over. */
  leaseMs: number;
  /** How long the record (and its response) is kept. */
  retentionMs: number;
}

export type ClaimResult = { kind: 'claimed'; takenOver: boolean } | { kind: 'completed'; response: StoredResponse } | { kind: 'fingerprint-mismatch' } | { kind: 'in-flight'; leaseUntilMs: number };

export interface CompleteRequest {
  clientId: string;
  key: string;
  fingerprint: string;
  response: StoredResponse;
  nowMs: number;
  retentionMs: number;
}

export interface IdempotencyStore {
  /**
   * Claims the key for a request: atomically creates the record (in flight), or takes over an
   * in-flight one whose lease ended with the SAME fingerprint, or reports what is there. A record
   * past its retention counts as absent.
   */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Stores the response of the claimed request unless a response is stored already (a takeover
   * raced it); returns the response that IS stored, which every caller answers with.
   */
  complete(request: CompleteRequest): Promise<StoredResponse>;
  /** Ends the lease now (the use case failed): a retry with the same body may take over at once. */
  release(clientId: string, key: string, fingerprint: string, nowMs: number): Promise<void>;
}

/** Idempotency keys: 1–255 visible ASCII characters (no spaces). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** The JSON text of a value with object members sorted by name, no insignificant whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${canonicalJson((value as Record<string, unknown>)[name])}`);
  return `{${entries.join(',')}}`;
}

/** The request fingerprint: SHA-256 of the method, route and canonical body (the same value however it was spelled). */
export function requestFingerprint(method: string, routePath: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${routePath}\n${canonicalJson(body)}`)
    .digest('hex');
}

/** The storage key of a client's idempotency key: neither is stored in the clear as the key. */
export function idempotencyRecordId(clientId: string, key: string): string {
  return createHash('sha256').update(`${clientId}\u0000${key}`).digest('hex');
}
