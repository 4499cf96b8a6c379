/**
 * The delivery state and log and the webhook subscriptions in DynamoDB (NOTIFY-2, HOOK-2): the
 * notifications table of ./notify-tables.ts. Same contract as the embedded SQLite adapter
 * (src/adapters/embedded/notify-sqlite.ts; test/notify/contracts).
 *
 * A delivery state is one item whose write is conditional on its version (optimistic locking,
 * SWEEP-1); its status indexes are sparse GSIs over bucket attributes present only in that status.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { Purpose } from '../../notify/catalogue';
import type { DeliveryAttempt, DeliveryState, DeliveryStore, Subscription, SubscriptionRegistry } from '../../ports/notify';
import { VersionConflictError } from '../../ports/notify';
import { awsCall, errorName, stableHash } from './errors';
import { COMPLETED_RETENTION_SECONDS, NOTIFY_KEYS, NOTIFY_STATUS_INDEXES } from './notify-tables';

export interface DynamoNotifyOptions {
  client?: DynamoDBClient;
  tableName: string;
}

type Item = Record<string, AttributeValue>;

function bucketOf(status: keyof typeof NOTIFY_STATUS_INDEXES, deliveryId: string): string {
  return `${status}#${String(stableHash(deliveryId) % NOTIFY_STATUS_INDEXES[status].buckets).padStart(2, '0')}`;
}

function stateItem(state: DeliveryState): Item {
  const stored: Partial<DeliveryState> = { ...state };
  delete stored.version;
  for (const key of Object.keys(stored) as (keyof DeliveryState)[]) if (stored[key] === undefined) delete stored[key];
  const item: Item = {
    pk: { S: NOTIFY_KEYS.delivery(state.deliveryId) },
    sk: { S: NOTIFY_KEYS.state },
    version: { N: String(state.version) },
    status: { S: state.status },
    updatedAt: { S: state.updatedAt },
    body: { S: JSON.stringify(stored) },
  };
  if (state.status === 'RETRYING') {
    item.retryBucket = { S: bucketOf('RETRYING', state.deliveryId) };
    item.dueAt = { S: state.dueAt ?? state.updatedAt };
  }
  if (state.status === 'RUNNING') item.runningBucket = { S: bucketOf('RUNNING', state.deliveryId) };
  if (state.status === 'FAILED') item.failedBucket = { S: bucketOf('FAILED', state.deliveryId) };
  if (state.status === 'COMPLETED') item.expiresAt = { N: String(Math.floor(Date.parse(state.updatedAt) / 1000) + COMPLETED_RETENTION_SECONDS) };
  return item;
}

function fromItem(item: Item): DeliveryState {
  return { ...(JSON.parse(item.body!.S!) as DeliveryState), version: Number(item.version!.N) };
}

export class DynamoDeliveryStore implements DeliveryStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoNotifyOptions) {
    this.client = options.client ?? new DynamoDBClient({});
    this.tableName = options.tableName;
  }

  async create(state: Omit<DeliveryState, 'version'>): Promise<boolean> {
    try {
      await awsCall('DynamoDB PutItem (delivery)', () =>
        this.client.send(new PutItemCommand({ TableName: this.tableName, Item: stateItem({ ...state, version: 1 }), ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async get(deliveryId: string): Promise<DeliveryState | undefined> {
    const response = await awsCall('DynamoDB GetItem (delivery)', () =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: NOTIFY_KEYS.delivery(deliveryId) }, sk: { S: NOTIFY_KEYS.state } }, ConsistentRead: true })),
    );
    return response.Item ? fromItem(response.Item) : undefined;
  }

  async put(next: DeliveryState, expectedVersion: number): Promise<DeliveryState> {
    const stored: DeliveryState = { ...next, version: expectedVersion + 1 };
    try {
      await awsCall('DynamoDB PutItem (delivery)', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: stateItem(stored),
            ConditionExpression: '#v = :expected',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
          }),
        ),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') throw new VersionConflictError(`delivery ${next.deliveryId}: version ${expectedVersion} is stale`);
      throw error;
    }
    return stored;
  }

  private async queryIndex(status: keyof typeof NOTIFY_STATUS_INDEXES, limit: number, upTo?: string): Promise<DeliveryState[]> {
    const index = NOTIFY_STATUS_INDEXES[status];
    const found: { sort: string; state: DeliveryState }[] = [];
    for (let bucket = 0; bucket < index.buckets; bucket += 1) {
      const key = `${status}#${String(bucket).padStart(2, '0')}`;
      let startKey: Item | undefined;
      let taken = 0;
      do {
        const response = await awsCall(`DynamoDB Query (${index.indexName})`, () =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: index.indexName,
              KeyConditionExpression: upTo === undefined ? '#b = :b' : '#b = :b AND #s <= :upTo',
              ExpressionAttributeNames: { '#b': index.attribute, ...(upTo === undefined ? {} : { '#s': index.sortKey }) },
              ExpressionAttributeValues: { ':b': { S: key }, ...(upTo === undefined ? {} : { ':upTo': { S: upTo } }) },
              ScanIndexForward: true,
              Limit: limit,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of response.Items ?? []) {
          found.push({ sort: item[index.sortKey]!.S!, state: fromItem(item) });
          taken += 1;
        }
        startKey = response.LastEvaluatedKey;
      } while (startKey && taken < limit);
    }
    return found
      .sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0))
      .slice(0, limit)
      .map((entry) => entry.state);
  }

  async listDue(now: Date, limit: number): Promise<DeliveryState[]> {
    return this.queryIndex('RETRYING', limit, now.toISOString());
  }

  async listByStatus(status: 'RUNNING' | 'RETRYING' | 'FAILED', limit: number): Promise<DeliveryState[]> {
    return this.queryIndex(status, limit);
  }

  private attemptItem(attempt: DeliveryAttempt): Item {
    return { pk: { S: NOTIFY_KEYS.delivery(attempt.deliveryId) }, sk: { S: NOTIFY_KEYS.attempt(attempt.attempt) }, body: { S: JSON.stringify(attempt) } };
  }

  async startAttempt(attempt: DeliveryAttempt): Promise<boolean> {
    try {
      await awsCall('DynamoDB PutItem (attempt)', () =>
        this.client.send(new PutItemCommand({ TableName: this.tableName, Item: this.attemptItem(attempt), ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async finishAttempt(attempt: DeliveryAttempt): Promise<void> {
    await awsCall('DynamoDB PutItem (attempt)', () => this.client.send(new PutItemCommand({ TableName: this.tableName, Item: this.attemptItem(attempt) })));
  }

  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    const attempts: DeliveryAttempt[] = [];
    let startKey: Item | undefined;
    do {
      const response = await awsCall('DynamoDB Query (attempts)', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': { S: NOTIFY_KEYS.delivery(deliveryId) }, ':prefix': { S: NOTIFY_KEYS.attemptPrefix } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of response.Items ?? []) attempts.push(JSON.parse(item.body!.S!) as DeliveryAttempt);
      startKey = response.LastEvaluatedKey;
    } while (startKey);
    return attempts;
  }
}

export class DynamoSubscriptionRegistry implements SubscriptionRegistry {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoNotifyOptions) {
    this.client = options.client ?? new DynamoDBClient({});
    this.tableName = options.tableName;
  }

  private key(id: string): Item {
    return { pk: { S: NOTIFY_KEYS.subscriptions }, sk: { S: id } };
  }

  async subscriptionsFor(purpose: Purpose): Promise<readonly Subscription[]> {
    return (await this.list()).filter((subscription) => subscription.purposes.includes(purpose));
  }

  async get(id: string): Promise<Subscription | undefined> {
    const response = await awsCall('DynamoDB GetItem (subscription)', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(id), ConsistentRead: true })));
    return response.Item ? (JSON.parse(response.Item.body!.S!) as Subscription) : undefined;
  }

  async list(): Promise<readonly Subscription[]> {
    const subscriptions: Subscription[] = [];
    let startKey: Item | undefined;
    do {
      const response = await awsCall('DynamoDB Query (subscriptions)', () =>
        this.client.send(
          new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: NOTIFY_KEYS.subscriptions } }, ExclusiveStartKey: startKey }),
        ),
      );
      for (const item of response.Items ?? []) subscriptions.push(JSON.parse(item.body!.S!) as Subscription);
      startKey = response.LastEvaluatedKey;
    } while (startKey);
    return subscriptions;
  }

  async put(subscription: Subscription): Promise<void> {
    await awsCall('DynamoDB PutItem (subscription)', () =>
      this.client.send(new PutItemCommand({ TableName: this.tableName, Item: { ...this.key(subscription.id), body: { S: JSON.stringify(subscription) } } })),
    );
  }

  async remove(id: string): Promise<boolean> {
    const response = await awsCall('DynamoDB DeleteItem (subscription)', () => this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: this.key(id), ReturnValues: 'ALL_OLD' })));
    return response.Attributes !== undefined;
  }
}
