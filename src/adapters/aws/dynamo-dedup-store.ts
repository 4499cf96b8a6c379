/**
 * DedupStore on DynamoDB (TABLES.dedup): one conditional PutItem per claim.
 * The claim succeeds when no item holds the business key or the holder's claim has expired
 * (`expiresAt < now`: DynamoDB TTL deletes expired items only eventually, so the condition
 * must not rely on them being gone).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DedupClaim, DedupClaimResult, DedupStore } from '../../ports';
import { TransientStoreError } from '../../ports';
import { awsCall, errorName } from './errors';
import { TABLES } from './tables';

const KEY = TABLES.dedup.partitionKey.name;
const TTL = TABLES.dedup.ttlAttribute;
const MAX_ATTEMPTS = 3;

export interface DynamoDedupStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

function claimFromItem(item: Record<string, AttributeValue>): DedupClaim {
  return {
    businessKey: item[KEY]?.S ?? '',
    eventId: item.eventId?.S ?? '',
    authorizationId: item.authorizationId?.S ?? '',
    expiresAt: Number(item[TTL]?.N ?? '0'),
  };
}

export class DynamoDedupStore implements DedupStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoDedupStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async claim(claim: DedupClaim, nowEpochSeconds: number): Promise<DedupClaimResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const existing = await this.tryClaim(claim, nowEpochSeconds);
      if (existing === undefined) return { claimed: true };
      if (existing !== null) return { claimed: false, existing };
      // The holder vanished between the failed put and the read (TTL deletion): claim again.
    }
    throw new TransientStoreError(`dedup claim of ${claim.businessKey}: the holder kept changing`);
  }

  /** undefined = claimed; a claim = held by it; null = held, but gone when read. */
  private async tryClaim(claim: DedupClaim, nowEpochSeconds: number): Promise<DedupClaim | null | undefined> {
    try {
      await awsCall('dedup PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              [KEY]: { S: claim.businessKey },
              eventId: { S: claim.eventId },
              authorizationId: { S: claim.authorizationId },
              [TTL]: { N: String(Math.trunc(claim.expiresAt)) },
            },
            ConditionExpression: 'attribute_not_exists(#key) OR #ttl < :now',
            ExpressionAttributeNames: { '#key': KEY, '#ttl': TTL },
            ExpressionAttributeValues: { ':now': { N: String(Math.trunc(nowEpochSeconds)) } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return undefined;
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      if (old && old[KEY]) return claimFromItem(old);
    }
    const read = await awsCall('dedup GetItem', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { [KEY]: { S: claim.businessKey } }, ConsistentRead: true })));
    return read.Item ? claimFromItem(read.Item) : null;
  }
}
