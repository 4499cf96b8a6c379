/**
 * SequenceStore on DynamoDB (TABLES.sequences): item (sequenceId, legId) per leg.
 * Legs are written with BatchWriteItem (a put of the same leg is idempotent: same key, same
 * content), then each touched sequence is read back with a strongly consistent Query.
 */
import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { PostingLeg } from '../../domain/events';
import type { SequenceStore } from '../../ports';
import { TransientStoreError } from '../../ports';
import { awsCall, backoffMs, sleep } from './errors';
import { TABLES } from './tables';

const PARTITION = TABLES.sequences.partitionKey.name;
const SORT = TABLES.sequences.sortKey.name;
const TTL = TABLES.sequences.ttlAttribute;
const BATCH_WRITE_LIMIT = 25;

export interface DynamoSequenceStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Items expire (TTL) this long after the leg's value date. Default 35 days. */
  retentionSeconds?: number;
  /** BatchWriteItem rounds for unprocessed items before TransientStoreError. */
  maxUnprocessedRetries?: number;
  retryBaseDelayMs?: number;
}

export class DynamoSequenceStore implements SequenceStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly maxUnprocessedRetries: number;
  private readonly retryBaseDelayMs: number;

  constructor(options: DynamoSequenceStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = options.retentionSeconds ?? 35 * 24 * 3600;
    this.maxUnprocessedRetries = options.maxUnprocessedRetries ?? 8;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 50;
  }

  async addLegs(legs: readonly PostingLeg[]): Promise<Map<string, PostingLeg[]>> {
    const unique = new Map<string, PostingLeg>();
    for (const leg of legs) if (!unique.has(`${leg.sequenceId}\u0000${leg.legId}`)) unique.set(`${leg.sequenceId}\u0000${leg.legId}`, leg);
    const requests: WriteRequest[] = [...unique.values()].map((leg) => ({ PutRequest: { Item: this.toItem(leg) } }));
    for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
      await this.batchWrite(requests.slice(start, start + BATCH_WRITE_LIMIT));
    }
    const sequenceIds = [...new Set([...unique.values()].map((leg) => leg.sequenceId))];
    const result = new Map<string, PostingLeg[]>();
    for (const sequenceId of sequenceIds) result.set(sequenceId, await this.legsOf(sequenceId));
    return result;
  }

  private toItem(leg: PostingLeg): Record<string, AttributeValue> {
    const item: Record<string, AttributeValue> = {
      [PARTITION]: { S: leg.sequenceId },
      [SORT]: { S: leg.legId },
      legIndex: { N: String(leg.legIndex) },
      leg: { M: marshall(leg, { removeUndefinedValues: true }) },
    };
    const valueDate = Date.parse(leg.valueDate);
    if (Number.isFinite(valueDate)) item[TTL] = { N: String(Math.floor(valueDate / 1000) + this.retentionSeconds) };
    return item;
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let round = 0; pending.length > 0; round += 1) {
      if (round > this.maxUnprocessedRetries) {
        throw new TransientStoreError(`sequences BatchWriteItem: ${pending.length} items still unprocessed after ${this.maxUnprocessedRetries} retries`);
      }
      if (round > 0) await sleep(backoffMs(round, this.retryBaseDelayMs));
      const output = await awsCall('sequences BatchWriteItem', () => this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } })));
      pending = output.UnprocessedItems?.[this.tableName] ?? [];
    }
  }

  private async legsOf(sequenceId: string): Promise<PostingLeg[]> {
    const legs: PostingLeg[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('sequences Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#sequence = :sequence',
            ExpressionAttributeNames: { '#sequence': PARTITION },
            ExpressionAttributeValues: { ':sequence': { S: sequenceId } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) if (item.leg?.M) legs.push(unmarshall(item.leg.M) as PostingLeg);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return legs.sort((a, b) => a.legIndex - b.legIndex || (a.legId < b.legId ? -1 : a.legId > b.legId ? 1 : 0));
  }
}
