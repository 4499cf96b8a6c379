/**
 * FRAUD-1 card history on DynamoDB (the rules-state table, TABLES.rulesState): one item per
 * (card, transaction), pk `CARDHIST#<panToken>`, sk as velocity's (`T#<epoch ms, 15 digits>#<id>`,
 * time-ordered), with the amount (minor units, a decimal string) and the merchant country; no
 * card number beyond the token (PCI-3). Put idempotently (`attribute_not_exists`: a re-delivery
 * keeps the original item); the window read is a strongly consistent Query of the table's own
 * sort-key range over (at - windowMs, at]. Items expire (TTL) a day after they leave the window.
 * No new attribute or index: the table's pk, sk and TTL attribute only.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { CardHistoryEntry } from '../../domain/fraud';
import { checkCardHistoryInput } from '../../domain/fraud';
import type { CardHistoryStore } from '../../ports/fraud';
import { awsCall, errorName } from './errors';
import { RULES_STATE_KEYS, TABLES } from './tables';

const PK = TABLES.rulesState.partitionKey.name;
const SK = TABLES.rulesState.sortKey.name;
const TTL = TABLES.rulesState.ttlAttribute;
const EXPIRY_SLACK_SECONDS = 24 * 3600;

export const cardHistoryPartition = (panToken: string): string => `CARDHIST#${panToken}`;

export class DynamoCardHistoryStore implements CardHistoryStore {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async recordAndRead(panToken: string, entry: CardHistoryEntry, windowMs: number): Promise<CardHistoryEntry[]> {
    checkCardHistoryInput(panToken, entry, windowMs);
    const { client, tableName } = this.options;
    const partition = cardHistoryPartition(panToken);
    const at = entry.atEpochMs;
    try {
      await awsCall('card history PutItem', () =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              [PK]: { S: partition },
              [SK]: { S: RULES_STATE_KEYS.velocitySort(at, entry.transactionId) },
              tx: { S: entry.transactionId },
              amountMinor: { S: entry.amountMinor.toString() },
              country: { S: entry.merchantCountry },
              [TTL]: { N: String(Math.ceil((at + windowMs) / 1000) + EXPIRY_SLACK_SECONDS) },
            },
            ConditionExpression: 'attribute_not_exists(#sk)',
            ExpressionAttributeNames: { '#sk': SK },
          }),
        ),
      );
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
    const range = RULES_STATE_KEYS.velocityRange(at - windowMs + 1, at);
    const entries: CardHistoryEntry[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('card history Query', () =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues: { ':pk': { S: partition }, ':from': { S: range.from }, ':to': { S: range.to } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const sk = item[SK]?.S ?? '';
        const time = Number(/^T#(\d+)#/.exec(sk)?.[1]);
        const tx = item.tx?.S;
        const amount = item.amountMinor?.S;
        const country = item.country?.S;
        if (!tx || amount === undefined || !/^\d+$/.test(amount) || !country || !Number.isSafeInteger(time)) {
          throw new Error(`card history item ${partition} ${sk} is malformed`);
        }
        entries.push({ transactionId: tx, atEpochMs: time, amountMinor: BigInt(amount), merchantCountry: country });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return entries;
  }
}
