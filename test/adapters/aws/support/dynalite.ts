/** An in-process dynalite (DynamoDB emulator) on a random port, with every table of tables.ts. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, type CreateTableCommandInput, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableName } from '../../../../src/adapters/aws/tables';
import { createTableInput, TABLE_NAMES, TABLES } from '../../../../src/adapters/aws/tables';

export const TEST_AWS = { region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

export interface Dynalite {
  client: DynamoDBClient;
  endpoint: string;
  tableNames: Record<TableName, string>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...TEST_AWS, endpoint });
  const tableNames = Object.fromEntries(TABLE_NAMES.map((name) => [name, `test-${name}`])) as Record<TableName, string>;
  for (const name of TABLE_NAMES) await createActiveTable(client, createTableInput(TABLES[name], tableNames[name]));
  return {
    client,
    endpoint,
    tableNames,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * Creates a table and waits until it is ACTIVE. dynalite answers CreateTable with the table
 * CREATING and makes it ACTIVE on a timer: a first call that beats the timer (a loaded machine) is
 * refused ResourceNotFoundException, as DynamoDB would refuse it.
 */
export async function createActiveTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  await client.send(new CreateTableCommand(input));
  while ((await client.send(new DescribeTableCommand({ TableName: input.TableName }))).Table?.TableStatus !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A client whose endpoint is a closed port: every call fails with a network error. */
export async function closedPortClient(): Promise<DynamoDBClient> {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return new DynamoDBClient({ ...TEST_AWS, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
}
