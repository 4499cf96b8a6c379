/**
 * Webhook signatures (HOOK-1).
 *
 *   Ledgerline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]
 *   Ledgerline-Key-Id:    <key id>[,<key id>…]
 *
 * One `v1=` per active key of the subscription, in the order of the key ids (key rotation: while
 * a new key is rolled out both sign, and a receiver that knows either accepts). A receiver
 * recomputes the HMAC over the timestamp, a dot and the body bytes exactly as received, compares
 * in constant time, and refuses a timestamp further than the tolerance from its clock (replay
 * protection; the delivery id in `Ledgerline-Delivery-Id` is the idempotency key for the rest).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Ledgerline-Signature';
export const KEY_ID_HEADER = 'Ledgerline-Key-Id';
export const DELIVERY_ID_HEADER = 'Ledgerline-Delivery-Id';
export const EVENT_TYPE_HEADER = 'Ledgerline-Event-Type';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface SigningKey {
  keyId: string;
  /** The shared secret (at least 16 bytes once encoded; UTF-8). */
  secret: string;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class SigningError extends Error {
  override name = 'SigningError';
}

function checkKey(key: SigningKey): void {
  if (!KEY_ID.test(key.keyId)) throw new SigningError(`key id "${key.keyId}" must be 1-64 of A-Z a-z 0-9 . _ -`);
  if (Buffer.byteLength(key.secret) < 16) throw new SigningError(`key ${key.keyId}: the secret must be at least 16 bytes`);
}

/** hex HMAC-SHA256 over `<timestamp>.<body>`. */
export function computeSignature(secret: string, timestamp: number, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return hmac.digest('hex');
}

/** The signature headers for `body` at `timestamp` (unix seconds) with every key in `keys` (the first is the primary). */
export function signWebhook(body: string | Uint8Array, timestamp: number, keys: readonly SigningKey[]): Record<string, string> {
  if (keys.length === 0) throw new SigningError('no signing key');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new SigningError(`timestamp ${timestamp} must be unix seconds`);
  for (const key of keys) checkKey(key);
  const signatures = keys.map((key) => `v1=${computeSignature(key.secret, timestamp, body)}`);
  return { [SIGNATURE_HEADER]: [`t=${timestamp}`, ...signatures].join(','), [KEY_ID_HEADER]: keys.map((key) => key.keyId).join(',') };
}

export interface ParsedSignature {
  timestamp: number;
  signatures: string[];
}

/** Parses `t=…,v1=…[,v1=…]`; undefined when it is not that shape (unknown schemes are ignored). */
export function parseSignatureHeader(header: string): ParsedSignature | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) return undefined;
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (name === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
      signatures.push(value);
    }
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

export type VerifyResult = { valid: true; keyId: string; timestamp: number } | { valid: false; reason: string };

export interface VerifyInput {
  body: string | Uint8Array;
  /** The Ledgerline-Signature header. */
  signature: string;
  /** The Ledgerline-Key-Id header (optional: without it every known key is tried). */
  keyIds?: string;
  /** Known keys by id (rotation: several), or one secret. */
  keys: Readonly<Record<string, string>> | string;
  /** The receiver's clock, unix seconds. */
  now: number;
  toleranceSeconds?: number;
}

/** Constant-time equality of two hex digests of the same length. */
function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Verifies a webhook: a well-formed header, a timestamp within the tolerance of `now` (either
 * side, inclusive), and a `v1` signature made with one of the known keys the key-id header
 * names. The reason names the fault, never a secret.
 */
export function verifyWebhook(input: VerifyInput): VerifyResult {
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isSafeInteger(tolerance) || tolerance < 0) return { valid: false, reason: `tolerance ${tolerance} must be a non-negative whole number of seconds` };
  const parsed = parseSignatureHeader(input.signature);
  if (!parsed) return { valid: false, reason: `${SIGNATURE_HEADER} is not "t=<unix seconds>,v1=<64 hex>"` };
  const skew = input.now - parsed.timestamp;
  if (Math.abs(skew) > tolerance) {
    return { valid: false, reason: `timestamp ${parsed.timestamp} is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}, outside the ${tolerance} s tolerance (replay protection)` };
  }
  const known: [string, string][] = typeof input.keys === 'string' ? [['', input.keys]] : Object.entries(input.keys);
  const named = input.keyIds
    ?.split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const candidates = typeof input.keys === 'string' || !named ? known : known.filter(([id]) => named.includes(id));
  if (candidates.length === 0) return { valid: false, reason: `no known key among ${KEY_ID_HEADER} "${input.keyIds ?? ''}"` };
  for (const [keyId, secret] of candidates) {
    const expected = computeSignature(secret, parsed.timestamp, input.body);
    // Every presented signature is compared (no early exit on the first byte).
    let match = false;
    for (const presented of parsed.signatures) match = sameDigest(expected, presented) || match;
    if (match) return { valid: true, keyId: keyId || (named?.[0] ?? ''), timestamp: parsed.timestamp };
  }
  return { valid: false, reason: 'no v1 signature matches the body and timestamp with a known key' };
}
