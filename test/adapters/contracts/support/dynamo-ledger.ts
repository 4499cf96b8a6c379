/**
 * The ledger table on dynalite, with TransactWriteItems: the rehearsal's DynamoDB stand-in
 * (rehearsal/dynamo.ts: all-or-nothing transactions with one CancellationReason per item, ALL_OLD
 * items on condition failures) behind a local HTTP endpoint the real SDK client talks to.
 *
 * The endpoint can inject failures (`fail`) and meters what every successful TransactWriteItems
 * would cost on DynamoDB (`meter`): per item 2 WRU per started KB (Put: the new item; Update: the
 * larger of the item before and after, sized by dynalite's implementation of DynamoDB's item-size
 * rules), plus 1 WRU per KB for each write to the keys-only balances index (an item entering it, or
 * changing its index keys).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableDefinition as StandInTable } from '../../../../rehearsal/deployment';
import { DynamoStandIn, dynamoError, type AttributeMap, type DynamoResponse } from '../../../../rehearsal/dynamo';
import { attributeDefinitions, TABLES } from '../../../../src/adapters/aws/tables';
import { TEST_AWS } from '../../aws/support/dynalite';
import { serveDynamo, type DynamoFront } from '../../../support/dynamo-front';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { itemSize } = require('dynalite/db') as { itemSize: (item: AttributeMap) => number };

/** What DynamoDB would bill, as metered. */
export interface Meter {
  transactions: number;
  cancelled: number;
  /** Transactional write units of the committed transactions' items. */
  tableWru: number;
  /** Write units of balances-index writes. */
  indexWru: number;
  /** Strongly consistent read units of BatchGetItem (1 per item of ≤ 4 KB). */
  rru: number;
  items: number;
  /** The largest item written (bytes, DynamoDB rules). */
  largestItem: number;
}

export type Injection = (operation: string, input: Record<string, unknown>) => DynamoResponse | undefined | Promise<DynamoResponse | undefined>;

const ledger = TABLES.ledger;

function standInTable(name: string): StandInTable {
  return {
    address: `aws_dynamodb_table.${name}`,
    name,
    arn: `arn:aws:dynamodb:eu-west-2:111111111111:table/${name}`,
    hashKey: ledger.partitionKey.name,
    attributes: attributeDefinitions(ledger).map((key) => ({ name: key.name, type: key.type })),
    globalSecondaryIndexes: ledger.globalSecondaryIndexes.map((index) => ({
      name: index.indexName,
      hashKey: index.partitionKey.name,
      ...(index.sortKey ? { rangeKey: index.sortKey.name } : {}),
      projectionType: index.projection.type,
    })),
    localSecondaryIndexes: [],
    streamEnabled: false,
  };
}

const wru = (bytes: number, perKb: number) => Math.max(1, Math.ceil(bytes / 1024)) * perKb;
const indexKeys = ledger.globalSecondaryIndexes[0]!;
const indexKeyOf = (item: AttributeMap | undefined) =>
  item && item[indexKeys.partitionKey.name] ? JSON.stringify([item[indexKeys.partitionKey.name], indexKeys.sortKey ? item[indexKeys.sortKey.name] : null]) : undefined;

export class DynamoLedgerTable {
  readonly tableName = 'ledger';
  readonly standIn = new DynamoStandIn([standInTable('ledger')], 'eu-west-2');
  client!: DynamoDBClient;
  /** Set to answer a request instead of the stand-in (failure injection). */
  fail: Injection | undefined;
  metering = false;
  meter: Meter = DynamoLedgerTable.emptyMeter();
  private front?: DynamoFront;

  static emptyMeter(): Meter {
    return { transactions: 0, cancelled: 0, tableWru: 0, indexWru: 0, rru: 0, items: 0, largestItem: 0 };
  }

  async start(): Promise<void> {
    await this.standIn.start();
    this.front = await serveDynamo((operation, body) => this.handle(operation, body));
    this.client = new DynamoDBClient({ ...TEST_AWS, endpoint: this.front.endpoint, requestHandler: this.front.requestHandler, maxAttempts: 1 });
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await this.front?.close();
    await this.standIn.stop();
  }

  private async handle(operation: string, body: string): Promise<DynamoResponse> {
    const input = JSON.parse(body) as Record<string, unknown>;
    const injected = await this.fail?.(operation, input);
    if (injected) return injected;
    if (!this.metering || operation !== 'TransactWriteItems') {
      const response = await this.standIn.handle(operation, body, input);
      if (this.metering && operation === 'BatchGetItem' && response.status === 200) {
        const responses = (JSON.parse(response.body) as { Responses?: Record<string, AttributeMap[]> }).Responses ?? {};
        for (const items of Object.values(responses)) for (const item of items) this.meter.rru += Math.max(1, Math.ceil(itemSize(item) / 4096));
      }
      return response;
    }
    const entries = (input.TransactItems ?? []) as { Put?: { Item: AttributeMap }; Update?: { Key: AttributeMap } }[];
    const keys = entries.map((entry) => (entry.Put ? { pk: entry.Put.Item.pk! } : entry.Update!.Key));
    const before = await Promise.all(keys.map((key) => this.item(key)));
    const response = await this.standIn.handle(operation, body, input);
    this.meter.transactions += 1;
    if (response.status !== 200) {
      this.meter.cancelled += 1;
      return response;
    }
    const after = await Promise.all(keys.map((key) => this.item(key)));
    entries.forEach((entry, index) => {
      const old = before[index];
      const next = after[index];
      const size = Math.max(old ? itemSize(old) : 0, next ? itemSize(next) : 0);
      this.meter.items += 1;
      this.meter.largestItem = Math.max(this.meter.largestItem, size);
      this.meter.tableWru += wru(size, 2);
      const oldKey = indexKeyOf(old);
      const newKey = indexKeyOf(next);
      // Keys-only index: written when an item enters it (1 write) or its index keys change (delete + put).
      if (newKey !== undefined && newKey !== oldKey) this.meter.indexWru += oldKey === undefined ? 1 : 2;
    });
    return response;
  }

  /** The item under `key`, read directly from dynalite. */
  async item(key: AttributeMap): Promise<AttributeMap | undefined> {
    const response = await this.standIn.forward('GetItem', JSON.stringify({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return (JSON.parse(response.body) as { Item?: AttributeMap }).Item;
  }

  /** Every item of the table. */
  async items(): Promise<Record<string, AttributeValue>[]> {
    return (await this.standIn.scanAll(this.tableName)) as unknown as Record<string, AttributeValue>[];
  }

  /** Deletes every item (a fresh ledger for the next property run). */
  async clear(): Promise<void> {
    for (const item of await this.standIn.scanAll(this.tableName)) {
      await this.standIn.forward('DeleteItem', JSON.stringify({ TableName: this.tableName, Key: { pk: item.pk } }));
    }
  }
}

/** An injected transient outage of one request. */
export function internalServerError(): DynamoResponse {
  return { status: 500, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected outage' }) };
}

export { dynamoError };
