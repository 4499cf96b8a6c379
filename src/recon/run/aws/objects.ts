/**
 * S3 object-created notifications → the objects to reconcile, and the deterministic Step
 * Functions execution name of each (bucket + key + version id), so a repeated notification
 * of the same object version can never start a second execution.
 */
import { createHash } from 'node:crypto';

/** An S3 object version. */
export interface ObjectRef {
  bucket: string;
  key: string;
  versionId?: string | null;
}

/** EventBridge "Object Created" (S3 → default bus). The key is not URL-encoded. */
interface EventBridgeObjectCreated {
  source?: string;
  'detail-type'?: string;
  detail?: { bucket?: { name?: string }; object?: { key?: string; 'version-id'?: string; size?: number } };
}

/** Classic S3 event notification (S3 → Lambda / SQS / SNS). Keys are URL-encoded ("+" = space). */
interface S3NotificationRecord {
  eventSource?: string;
  eventName?: string;
  s3?: { bucket?: { name?: string }; object?: { key?: string; versionId?: string; size?: number } };
}

export interface CreatedObject extends ObjectRef {
  size?: number;
}

export class UnrecognisedEventError extends Error {
  override name = 'UnrecognisedEventError';
}

/** The created objects an event names (EventBridge event, or a `Records` notification). */
export function createdObjects(event: unknown): CreatedObject[] {
  const candidate = event as EventBridgeObjectCreated & { Records?: S3NotificationRecord[] };
  if (candidate && Array.isArray(candidate.Records)) {
    return candidate.Records.filter((record) => record.eventSource === 'aws:s3' && (record.eventName ?? '').startsWith('ObjectCreated')).map((record) => {
      const bucket = record.s3?.bucket?.name;
      const rawKey = record.s3?.object?.key;
      if (!bucket || rawKey === undefined) throw new UnrecognisedEventError('S3 notification record without bucket name or object key');
      return { bucket, key: decodeURIComponent(rawKey.replace(/\+/g, ' ')), versionId: record.s3?.object?.versionId ?? null, size: record.s3?.object?.size };
    });
  }
  if (candidate && candidate.source === 'aws.s3' && candidate['detail-type'] === 'Object Created') {
    const bucket = candidate.detail?.bucket?.name;
    const key = candidate.detail?.object?.key;
    if (!bucket || key === undefined) throw new UnrecognisedEventError('"Object Created" event without detail.bucket.name or detail.object.key');
    return [{ bucket, key, versionId: candidate.detail?.object?.['version-id'] ?? null, size: candidate.detail?.object?.size }];
  }
  throw new UnrecognisedEventError('expected an EventBridge "Object Created" event from aws.s3 or an S3 notification with Records');
}

const NAME_LIMIT = 80;
const HASH_CHARS = 40;

/**
 * `recon-<readable part of the file name>-<40 hex of SHA-256(bucket, key, version)>`: at most
 * 80 characters of [A-Za-z0-9-_]. The same object version always gets the same name.
 */
export function reconciliationExecutionName(object: ObjectRef): string {
  const hash = createHash('sha256')
    .update(`${object.bucket}\u0000${object.key}\u0000${object.versionId ?? 'null'}`)
    .digest('hex')
    .slice(0, HASH_CHARS);
  const file = object.key.slice(object.key.lastIndexOf('/') + 1);
  const readable = file
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .replace(/_+/g, '_')
    .slice(0, NAME_LIMIT - 'recon-'.length - 1 - HASH_CHARS - 1);
  return readable ? `recon-${readable}-${hash}` : `recon-${hash}`;
}

/** Keys the trigger ignores: "folders" and empty objects. */
export function isReconcilable(object: CreatedObject): boolean {
  return !object.key.endsWith('/') && object.size !== 0;
}
