/**
 * The workbench table (tables.ts, with every GSI) on dynalite, with TransactWriteItems: the
 * rehearsal's DynamoDB stand-in (rehearsal/dynamo.ts: all-or-nothing transactions with one
 * CancellationReason per item, isolated from every other request) behind a local HTTP endpoint the
 * real SDK client talks to. dynalite checks the real expression and key-condition syntax.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableDefinition as StandInTable } from '../../../../rehearsal/deployment';
import { DynamoStandIn, type AttributeMap } from '../../../../rehearsal/dynamo';
import { attributeDefinitions, TABLES } from '../../../../src/adapters/aws/tables';
import { TEST_AWS } from './dynalite';
import { DynamoWorkbenchStore } from '../../../../src/adapters/aws/dynamo-workbench-store';
import { serveDynamo, type DynamoFront } from '../../../support/dynamo-front';

const workbench = TABLES.workbench;

function standInTable(name: string): StandInTable {
  return {
    address: `aws_dynamodb_table.${name}`,
    name,
    arn: `arn:aws:dynamodb:eu-west-2:111111111111:table/${name}`,
    hashKey: workbench.partitionKey.name,
    rangeKey: workbench.sortKey.name,
    attributes: attributeDefinitions(workbench).map((key) => ({ name: key.name, type: key.type })),
    globalSecondaryIndexes: workbench.globalSecondaryIndexes.map((index) => ({
      name: index.indexName,
      hashKey: index.partitionKey.name,
      ...(index.sortKey ? { rangeKey: index.sortKey.name } : {}),
      projectionType: index.projection.type,
      ...(index.projection.type === 'INCLUDE' ? { nonKeyAttributes: [...index.projection.attributes] } : {}),
    })),
    localSecondaryIndexes: [],
    streamEnabled: false,
  };
}

function itemsReadBy(operation: string, body: string): number {
  if (operation !== 'Query' && operation !== 'Scan' && operation !== 'GetItem' && operation !== 'BatchGetItem') return 0;
  const output = JSON.parse(body) as { ScannedCount?: number; Item?: unknown; Responses?: Record<string, unknown[]> };
  if (operation === 'GetItem') return output.Item ? 1 : 0;
  if (operation === 'BatchGetItem') return Object.values(output.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
  return output.ScannedCount ?? 0;
}

export class WorkbenchStandIn {
  readonly tableName = 'workbench';
  readonly standIn = new DynamoStandIn([standInTable('workbench')], 'eu-west-2');
  client!: DynamoDBClient;
  /** Operations the client sent, in order (what a store call costs). */
  readonly operations: string[] = [];
  /** Items read so far: a Query's ScannedCount, a GetItem's item, a BatchGetItem's items (what DynamoDB bills reads by). */
  itemsRead = 0;
  private front?: DynamoFront;

  async start(): Promise<void> {
    await this.standIn.start();
    this.front = await serveDynamo(async (operation, body) => {
      this.operations.push(operation);
      const response = await this.standIn.handle(operation, body, JSON.parse(body) as Record<string, unknown>);
      if (response.status === 200) this.itemsRead += itemsReadBy(operation, response.body);
      return response;
    });
    this.client = new DynamoDBClient({ ...TEST_AWS, endpoint: this.front.endpoint, requestHandler: this.front.requestHandler, maxAttempts: 1 });
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await this.front?.close();
    await this.standIn.stop();
  }

  /** Every item of the table. */
  async items(): Promise<AttributeMap[]> {
    return this.standIn.scanAll(this.tableName);
  }

  /** Deletes every item (a fresh table for the next case). */
  async clear(): Promise<void> {
    for (const item of await this.standIn.scanAll(this.tableName)) {
      await this.standIn.forward('DeleteItem', JSON.stringify({ TableName: this.tableName, Key: { pk: item.pk, sk: item.sk } }));
    }
  }
}

/**
 * One workbench table for a test file: started before its tests, stopped after them; `freshStore()`
 * empties it and gives the DynamoDB store over it (a contract's `open`).
 */
export function useWorkbenchTable(): { table: WorkbenchStandIn; freshStore(): Promise<DynamoWorkbenchStore> } {
  const table = new WorkbenchStandIn();
  beforeAll(() => table.start(), 60_000);
  afterAll(() => table.stop());
  return {
    table,
    async freshStore() {
      await table.clear();
      return new DynamoWorkbenchStore({ client: table.client, tableName: table.tableName });
    },
  };
}
