/**
 * The notifications table (NOTIFY-2, HOOK-2): its definition is TABLES.notifications in tables.ts
 * (plain data that the adapters, the infrastructure and the tests read); this module names it for
 * the notification adapters.
 *
 * Items (partition key `pk`, sort key `sk`):
 * - `DELIVERY#<deliveryId>` / `STATE`: a delivery's state (SWEEP-1 pattern): status, version,
 *   due time, the exact payload. Its sparse bucket attributes put it in one status index while it
 *   has that status: `retryBucket` (RETRYING, sorted by `dueAt`), `runningBucket` and
 *   `failedBucket` (sorted by `updatedAt`). Each holds `<STATUS>#<nn>`, nn = hash(id) mod buckets.
 * - `DELIVERY#<deliveryId>` / `ATTEMPT#<nnnnnn>`: the delivery log, one item per attempt; created
 *   once per attempt number (its start), then completed with the outcome.
 * - `SUBSCRIPTIONS` / `<subscriptionId>`: the partner endpoints (one partition: a handful of
 *   partners, read whole by a Query). Signing secrets are never here (Secrets Manager).
 *
 * Time to live: delivery items carry `expiresAt` (epoch seconds) once they end (COMPLETED: 30 days;
 * FAILED stays until it is redriven or purged by an operator).
 */
import type { TableDefinition } from './tables';
import { NOTIFY_KEYS, NOTIFY_STATUS_INDEXES, TABLES } from './tables';

export { NOTIFY_KEYS, NOTIFY_STATUS_INDEXES };

/** How long a COMPLETED delivery (and its log) is kept. */
export const COMPLETED_RETENTION_SECONDS = 30 * 24 * 3600;

export const NOTIFICATIONS_TABLE: TableDefinition = TABLES.notifications;
