/**
 * TransactionStateStore on DynamoDB (TABLES.transactions).
 *
 * - Optimistic locking: `put` is a conditional PutItem (`attribute_not_exists` when the
 *   expected version is 0, else `version = :expected`) storing version + 1; a failed
 *   condition is a VersionConflictError.
 * - Sparse status indexes: the item carries `retryJob` / `failedJob` / `runningJob` only while
 *   in that status, holding a bucket key `<STATUS>#<nn>`. A put replaces the whole item, so the
 *   attributes of the other statuses are removed by the same write.
 * - `listByStatus` queries every bucket of the status index (oldest `updatedAt` first) and
 *   merges. Index reads are eventually consistent: callers re-read + conditionally write.
 */
import type { AttributeValue, DynamoDBClient, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { LedgerEvent } from '../../domain/events';
import type { TransactionState, TransactionStateStore, TransactionStatus } from '../../ports';
import { VersionConflictError } from '../../ports';
import { awsCall, errorName, stableHash } from './errors';
import type { ListedStatus } from './tables';
import { TABLES, TRANSACTION_STATUS_INDEXES, TRANSACTION_STATUS_SORT_KEY } from './tables';

const KEY = TABLES.transactions.partitionKey.name;

export interface DynamoTransactionStateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

/** The bucket key of `transactionId` in the index of `status`. */
export function statusBucket(status: ListedStatus, transactionId: string): string {
  const { buckets } = TRANSACTION_STATUS_INDEXES[status];
  return `${status}#${String(stableHash(transactionId) % buckets).padStart(2, '0')}`;
}

function isListed(status: TransactionStatus): status is ListedStatus {
  return Object.prototype.hasOwnProperty.call(TRANSACTION_STATUS_INDEXES, status);
}

function toItem(state: TransactionState): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    [KEY]: { S: state.transactionId },
    authorizationId: { S: state.authorizationId },
    status: { S: state.status },
    attempts: { N: String(state.attempts) },
    version: { N: String(state.version) },
    [TRANSACTION_STATUS_SORT_KEY]: { S: state.updatedAt },
  };
  if (state.stage !== undefined) item.stage = { S: state.stage };
  if (state.lastError !== undefined) item.lastError = { S: state.lastError };
  if (state.pendingEvent !== undefined) item.pendingEvent = { S: JSON.stringify(state.pendingEvent) };
  if (isListed(state.status)) {
    item[TRANSACTION_STATUS_INDEXES[state.status].attribute] = { S: statusBucket(state.status, state.transactionId) };
  }
  return item;
}

function fromItem(item: Record<string, AttributeValue>): TransactionState {
  const state: TransactionState = {
    transactionId: item[KEY]?.S ?? '',
    authorizationId: item.authorizationId?.S ?? '',
    status: (item.status?.S ?? 'RUNNING') as TransactionStatus,
    attempts: Number(item.attempts?.N ?? '0'),
    version: Number(item.version?.N ?? '0'),
    updatedAt: item[TRANSACTION_STATUS_SORT_KEY]?.S ?? '',
  };
  if (item.stage?.S !== undefined) state.stage = item.stage.S;
  if (item.lastError?.S !== undefined) state.lastError = item.lastError.S;
  if (item.pendingEvent?.S !== undefined) state.pendingEvent = JSON.parse(item.pendingEvent.S) as LedgerEvent;
  return state;
}

export class DynamoTransactionStateStore implements TransactionStateStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoTransactionStateStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async get(transactionId: string): Promise<TransactionState | undefined> {
    const result = await awsCall('transactions GetItem', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { [KEY]: { S: transactionId } }, ConsistentRead: true })));
    return result.Item ? fromItem(result.Item) : undefined;
  }

  async put(next: TransactionState, expectedVersion: number): Promise<TransactionState> {
    const stored: TransactionState = { ...next, version: expectedVersion + 1 };
    const condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': KEY } }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
          };
    try {
      await awsCall('transactions PutItem', () => this.client.send(new PutItemCommand({ TableName: this.tableName, Item: toItem(stored), ...condition })));
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        throw new VersionConflictError(`transaction ${next.transactionId}: version is not ${expectedVersion}`);
      }
      throw error;
    }
    return stored;
  }

  /** One UpdateItem: COMPLETED, version + 1, every sparse status attribute removed; a no-op if it already ended. */
  async complete(transactionId: string, authorizationId: string, now: Date): Promise<void> {
    const sparse = Object.values(TRANSACTION_STATUS_INDEXES).map((index) => index.attribute);
    try {
      await awsCall('transactions UpdateItem', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [KEY]: { S: transactionId } },
            UpdateExpression: `SET #status = :completed, #version = if_not_exists(#version, :zero) + :one, #updated = :now, authorizationId = if_not_exists(authorizationId, :auth), attempts = if_not_exists(attempts, :zero) REMOVE ${sparse.map((_, i) => `#sparse${i}`).join(', ')}, pendingEvent, stage, lastError`,
            ConditionExpression: 'attribute_not_exists(#key) OR NOT (#status IN (:completed, :failed))',
            ExpressionAttributeNames: {
              '#key': KEY,
              '#status': 'status',
              '#version': 'version',
              '#updated': TRANSACTION_STATUS_SORT_KEY,
              ...Object.fromEntries(sparse.map((name, i) => [`#sparse${i}`, name])),
            },
            ExpressionAttributeValues: {
              ':completed': { S: 'COMPLETED' },
              ':failed': { S: 'FAILED' },
              ':zero': { N: '0' },
              ':one': { N: '1' },
              ':now': { S: now.toISOString() },
              ':auth': { S: authorizationId },
            },
          }),
        ),
      );
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async listByStatus(status: ListedStatus, limit: number): Promise<TransactionState[]> {
    if (limit <= 0) return [];
    const index = TRANSACTION_STATUS_INDEXES[status];
    const buckets = Array.from({ length: index.buckets }, (_, n) => `${status}#${String(n).padStart(2, '0')}`);
    const perBucket = await Promise.all(buckets.map((bucket) => this.queryBucket(index.indexName, index.attribute, bucket, limit)));
    return perBucket
      .flat()
      .filter((state) => state.status === status)
      .sort((a, b) => (a.updatedAt === b.updatedAt ? cmp(a.transactionId, b.transactionId) : cmp(a.updatedAt, b.updatedAt)))
      .slice(0, limit);
  }

  private async queryBucket(indexName: string, attribute: string, bucket: string, limit: number): Promise<TransactionState[]> {
    const states: TransactionState[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('transactions Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: indexName,
            KeyConditionExpression: '#bucket = :bucket',
            ExpressionAttributeNames: { '#bucket': attribute },
            ExpressionAttributeValues: { ':bucket': { S: bucket } },
            ScanIndexForward: true,
            Limit: limit - states.length,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) states.push(fromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey && states.length < limit);
    return states;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
