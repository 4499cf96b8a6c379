/**
 * VelocityStore and DecisionStore on DynamoDB (TABLES.rulesState).
 *
 * Velocity: one item per (card, transaction): pk `VEL#<panToken>`, sk `T#<at>#<transactionId>`
 * (`RULES_STATE_KEYS.velocitySort`: time-ordered), put idempotently (`attribute_not_exists`, so
 * a re-delivery keeps the original item); the count is a strongly consistent COUNT Query of the
 * table's own sort-key range over (at - windowMs, at]: no index is written beside each item
 * (1 write unit per payment, not 2). Items expire (TTL) a day after they leave the window.
 *
 * Decisions: pk `DECISION#<correlationId>`, sk `DECISION`; first writer wins.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { RulesDecision } from '../../domain/events';
import type { DecisionStore, VelocityStore } from '../../ports';
import { TransientStoreError } from '../../ports';
import { awsCall, errorName } from './errors';
import { RULES_STATE_KEYS, TABLES } from './tables';

const PK = TABLES.rulesState.partitionKey.name;
const SK = TABLES.rulesState.sortKey.name;
const TTL = TABLES.rulesState.ttlAttribute;
const EXPIRY_SLACK_SECONDS = 24 * 3600;

export interface DynamoRulesStateOptions {
  client: DynamoDBClient;
  tableName: string;
}

export class DynamoVelocityStore implements VelocityStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoRulesStateOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async record(panToken: string, transactionId: string, atEpochMs: number, windowMs: number): Promise<number> {
    const at = Math.trunc(atEpochMs);
    const partition = RULES_STATE_KEYS.velocityPartition(panToken);
    try {
      await awsCall('velocity PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              [PK]: { S: partition },
              [SK]: { S: RULES_STATE_KEYS.velocitySort(at, transactionId) },
              [TTL]: { N: String(Math.ceil((at + windowMs) / 1000) + EXPIRY_SLACK_SECONDS) },
            },
            ConditionExpression: 'attribute_not_exists(#sk)',
            ExpressionAttributeNames: { '#sk': SK },
          }),
        ),
      );
    } catch (error) {
      // Already recorded: a re-delivery counts once.
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
    const range = RULES_STATE_KEYS.velocityRange(at - Math.trunc(windowMs) + 1, at);
    let count = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('velocity Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues: {
              ':pk': { S: partition },
              ':from': { S: range.from },
              ':to': { S: range.to },
            },
            Select: 'COUNT',
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }
}

export class DynamoDecisionStore implements DecisionStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoRulesStateOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  private key(correlationId: string): Record<string, AttributeValue> {
    return { [PK]: { S: RULES_STATE_KEYS.decisionPartition(correlationId) }, [SK]: { S: RULES_STATE_KEYS.decisionSort } };
  }

  async putIfAbsent(correlationId: string, decision: RulesDecision): Promise<RulesDecision> {
    try {
      await awsCall('decision PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: { ...this.key(correlationId), decision: { M: marshall(decision, { removeUndefinedValues: true }) } },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return decision;
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      if (old?.decision?.M) return unmarshall(old.decision.M) as RulesDecision;
    }
    const stored = await this.get(correlationId);
    if (!stored) throw new TransientStoreError(`decision ${correlationId}: conditional put failed but nothing is stored`);
    return stored;
  }

  async get(correlationId: string): Promise<RulesDecision | undefined> {
    const result = await awsCall('decision GetItem', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(correlationId), ConsistentRead: true })));
    const map = result.Item?.decision?.M;
    return map ? (unmarshall(map) as RulesDecision) : undefined;
  }
}
