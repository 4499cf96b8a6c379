/**
 * Workbench session tables (TABLES.workbenchSessions) on dynalite with TransactWriteItems: the
 * rehearsal's DynamoDB stand-in (rehearsal/dynamo.ts: all-or-nothing transactions with one
 * CancellationReason per item, as DynamoDB answers) behind a local HTTP endpoint the real SDK
 * client talks to. dynalite alone has no TransactWriteItems, which session rotation uses.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableDefinition as StandInTable } from '../../../../rehearsal/deployment';
import { DynamoStandIn, type AttributeMap } from '../../../../rehearsal/dynamo';
import { attributeDefinitions, TABLES } from '../../../../src/adapters/aws/tables';
import { TEST_AWS } from '../../../adapters/aws/support/dynalite';
import { serveDynamo, type DynamoFront } from '../../../support/dynamo-front';

const definition = TABLES.workbenchSessions;

function standInTable(name: string): StandInTable {
  return {
    address: `aws_dynamodb_table.${name}`,
    name,
    arn: `arn:aws:dynamodb:${TEST_AWS.region}:111111111111:table/${name}`,
    hashKey: definition.partitionKey.name,
    attributes: attributeDefinitions(definition).map((key) => ({ name: key.name, type: key.type })),
    globalSecondaryIndexes: [],
    localSecondaryIndexes: [],
    ttlAttribute: definition.ttlAttribute,
    streamEnabled: false,
  };
}

export class SessionTables {
  readonly standIn: DynamoStandIn;
  client!: DynamoDBClient;
  private front?: DynamoFront;

  constructor(readonly tableNames: readonly string[]) {
    this.standIn = new DynamoStandIn(tableNames.map(standInTable), TEST_AWS.region);
  }

  async start(): Promise<void> {
    await this.standIn.start();
    this.front = await serveDynamo((operation, body) => this.standIn.handle(operation, body, JSON.parse(body) as Record<string, unknown>));
    this.client = new DynamoDBClient({ ...TEST_AWS, endpoint: this.front.endpoint, requestHandler: this.front.requestHandler, maxAttempts: 1 });
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await this.front?.close();
    await this.standIn.stop();
  }

  /** Every item of `tableName`, as stored. */
  items(tableName: string): Promise<AttributeMap[]> {
    return this.standIn.scanAll(tableName);
  }

  /** Deletes every item of `tableName`. */
  async clear(tableName: string): Promise<void> {
    for (const item of await this.standIn.scanAll(tableName)) {
      await this.standIn.forward('DeleteItem', JSON.stringify({ TableName: tableName, Key: { [definition.partitionKey.name]: item[definition.partitionKey.name] } }));
    }
  }
}
