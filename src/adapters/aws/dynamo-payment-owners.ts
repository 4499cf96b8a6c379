/**
 * API-3 on AWS: who submitted each payment, in the API's idempotency table (TABLES.apiIdempotency:
 * the api function already reads and writes it, so no table or grant of its own), one item per
 * payment keyed `PAYMENT#<paymentId>` (an idempotency record id is 64 hex digits: never a `#`).
 * Claimed with a conditional PutItem (first client wins); read back strongly consistent. Owner
 * items carry no TTL: a payment stays readable by its submitter as long as the ledger keeps it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { PaymentOwners } from '../../api/ownership';
import { checkOwnership } from '../../api/ownership';
import { awsCall, errorName } from './errors';
import { TABLES } from './tables';

const KEY = TABLES.apiIdempotency.partitionKey.name;

export const paymentOwnerKey = (paymentId: string): string => `PAYMENT#${paymentId}`;

export class DynamoPaymentOwners implements PaymentOwners {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async claim(paymentId: string, clientId: string): Promise<string> {
    checkOwnership(paymentId, clientId);
    const { client, tableName } = this.options;
    try {
      await awsCall('payment owner PutItem', () =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { [KEY]: { S: paymentOwnerKey(paymentId) }, ownerClientId: { S: clientId } },
            ConditionExpression: 'attribute_not_exists(#key)',
            ExpressionAttributeNames: { '#key': KEY },
          }),
        ),
      );
      return clientId;
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
    const owner = await this.ownerOf(paymentId);
    if (owner === undefined) throw new Error(`payment owners: ${paymentOwnerKey(paymentId)} refused a claim but holds no owner`);
    return owner;
  }

  async ownerOf(paymentId: string): Promise<string | undefined> {
    const { client, tableName } = this.options;
    const { Item } = await awsCall('payment owner GetItem', () => client.send(new GetItemCommand({ TableName: tableName, Key: { [KEY]: { S: paymentOwnerKey(paymentId) } }, ConsistentRead: true })));
    if (!Item) return undefined;
    const owner = Item.ownerClientId?.S;
    if (!owner) throw new Error(`payment owners: item ${paymentOwnerKey(paymentId)} is malformed (no ownerClientId)`);
    return owner;
  }
}
