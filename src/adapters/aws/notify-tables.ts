/**
 * The notifications table (NOTIFY-2, HOOK-2), defined in the conventions of tables.ts (plain data
 * that the adapters, the infrastructure and the tests read). Not yet in TABLES: the stacks add it
 * when the notifier is deployed.
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

export const NOTIFY_STATUS_INDEXES = Object.freeze({
  RETRYING: { indexName: 'deliveriesRetrying', attribute: 'retryBucket', sortKey: 'dueAt', buckets: 4 },
  RUNNING: { indexName: 'deliveriesRunning', attribute: 'runningBucket', sortKey: 'updatedAt', buckets: 4 },
  FAILED: { indexName: 'deliveriesFailed', attribute: 'failedBucket', sortKey: 'updatedAt', buckets: 4 },
});

export const NOTIFY_KEYS = Object.freeze({
  delivery: (deliveryId: string) => `DELIVERY#${deliveryId}`,
  state: 'STATE',
  attemptPrefix: 'ATTEMPT#',
  attempt: (attempt: number) => `ATTEMPT#${String(attempt).padStart(6, '0')}`,
  subscriptions: 'SUBSCRIPTIONS',
});

/** How long a COMPLETED delivery (and its log) is kept. */
export const COMPLETED_RETENTION_SECONDS = 30 * 24 * 3600;

const S = (name: string) => ({ name, type: 'S' as const });

export const NOTIFICATIONS_TABLE: TableDefinition = {
  envVar: 'NOTIFICATIONS_TABLE',
  description: 'Notification and webhook deliveries (state + log, the sweeper pattern) and partner webhook subscriptions',
  partitionKey: S('pk'),
  sortKey: S('sk'),
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: Object.values(NOTIFY_STATUS_INDEXES).map((index) => ({
    indexName: index.indexName,
    partitionKey: S(index.attribute),
    sortKey: S(index.sortKey),
    projection: { type: 'ALL' as const },
    description: `Sparse: deliveries while ${index.attribute.replace('Bucket', '').toUpperCase()}, by ${index.sortKey}`,
  })),
  localSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST',
  pointInTimeRecovery: true,
  itemKinds: {
    'DELIVERY#<deliveryId> / STATE': 'a delivery: status, attempts, due time, version, payload',
    'DELIVERY#<deliveryId> / ATTEMPT#<nnnnnn>': 'one attempt of the delivery log',
    'SUBSCRIPTIONS / <subscriptionId>': 'a partner webhook endpoint and its key ids',
  },
  attributes: {
    version: 'N: optimistic lock of a delivery state',
    status: 'S: RUNNING | RETRYING | COMPLETED | FAILED',
    dueAt: 'S: ISO instant a RETRYING delivery is due',
    updatedAt: 'S: ISO instant of the last write',
    retryBucket: 'S: RETRYING#nn while RETRYING (sparse)',
    runningBucket: 'S: RUNNING#nn while RUNNING (sparse)',
    failedBucket: 'S: FAILED#nn while FAILED (sparse)',
    body: 'S: the JSON of the delivery state, the attempt or the subscription',
    expiresAt: 'N: TTL, epoch seconds (ended deliveries)',
  },
};
