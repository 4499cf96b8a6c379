/** API-1: the idempotency contract against the embedded store (SQLite) and the DynamoDB store (dynalite). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { SqliteIdempotencyStore } from '../../src/adapters/embedded/idempotency-store';
import { DynamoIdempotencyStore, IDEMPOTENCY_TABLE } from '../../src/adapters/aws/dynamo-idempotency-store';
import { createTableInput } from '../../src/adapters/aws/tables';
import { createActiveTable, startDynalite, type Dynalite } from '../adapters/aws/support/dynalite';
import { idempotencyStoreContract } from './idempotency-store.contract';

const dirs: string[] = [];
const opened: SqliteIdempotencyStore[] = [];
afterAll(() => {
  for (const store of opened) store.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

idempotencyStoreContract('SQLite (state directory)', {
  fresh: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerline-idem-'));
    dirs.push(dir);
    const store = SqliteIdempotencyStore.open(dir);
    opened.push(store);
    return store;
  },
});

let dynalite: Dynalite;
let tables = 0;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.stop();
});

idempotencyStoreContract('DynamoDB (dynalite)', {
  fresh: async () => {
    tables += 1;
    const tableName = `api-idempotency-${tables}`;
    if (tables > 1) await dynalite.client.send(new DeleteTableCommand({ TableName: `api-idempotency-${tables - 1}` })).catch(() => undefined);
    await createActiveTable(dynalite.client, createTableInput(IDEMPOTENCY_TABLE, tableName));
    return new DynamoIdempotencyStore({ client: dynalite.client, tableName });
  },
});
