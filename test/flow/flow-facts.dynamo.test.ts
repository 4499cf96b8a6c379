/**
 * The flow facts contract on the AWS adapter set (dynalite + s3rver): the flow journal
 * (src/adapters/aws/flow-facts.ts) and the stores the deployed stages use, wired as
 * src/adapters/aws/wiring.ts wires them (the outbox object, then the journal's record markers).
 * Then what only the AWS reader does: the near-real-time intake (the authorisations table) and
 * the repair onto the bus.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Authorisation, LedgerEvent } from '../../src/domain/events';
import { authorisedEvent } from '../../src/domain/ingest';
import { authorisedEventId } from '../../src/domain/flow-audit';
import { attributeDefinitions, TABLE_NAMES, TABLES, type TableName } from '../../src/adapters/aws/tables';
import type { TableDefinition as StandInTable } from '../../rehearsal/deployment';
import { DynamoStandIn } from '../../rehearsal/dynamo';
import { DynamoFlowFacts, DynamoFlowJournal } from '../../src/adapters/aws/flow-facts';
import { DynamoDedupStore } from '../../src/adapters/aws/dynamo-dedup-store';
import { DynamoLedgerStore } from '../../src/adapters/aws/dynamo-ledger-store';
import { DynamoDecisionStore } from '../../src/adapters/aws/dynamo-rules-state';
import { DynamoTransactionStateStore } from '../../src/adapters/aws/dynamo-transaction-state-store';
import { S3ParkedDuplicateStore, S3PostingOutbox } from '../../src/adapters/aws/s3-stores';
import { authorisationLines } from '../../src/generator/authorisations';
import { referenceData } from '../support/runtime';
import { TEST_AWS } from '../adapters/aws/support/dynalite';
import { serveDynamo, type DynamoFront } from '../support/dynamo-front';
import { flowFactsContract } from './flow-facts.contract';

const BUCKET = 'ledgerline-ingest';
/** The tables the flow facts read, one set per state (dynalite has no TransactWriteItems: the rehearsal's stand-in adds it). */
const FLOW_TABLES = ['transactions', 'rulesState', 'dedup', 'ledger', 'authorisations'] as const;
const STATES = 8;
let standIn: DynamoStandIn;
let front: DynamoFront;
let dynamo: { client: DynamoDBClient };
let s3: S3Client;
let s3rver: { run(): Promise<AddressInfo>; close(): Promise<void> };
let s3dir: string;
let opened = 0;

const tableName = (state: number, table: TableName) => `flow-${state}-${table}`;

function standInTable(name: string, table: TableName): StandInTable {
  const definition = TABLES[table];
  return {
    address: `aws_dynamodb_table.${name}`,
    name,
    arn: `arn:aws:dynamodb:eu-west-2:111111111111:table/${name}`,
    hashKey: definition.partitionKey.name,
    ...('sortKey' in definition && definition.sortKey ? { rangeKey: definition.sortKey.name } : {}),
    attributes: attributeDefinitions(definition).map((key) => ({ name: key.name, type: key.type })),
    globalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
      name: index.indexName,
      hashKey: index.partitionKey.name,
      ...(index.sortKey ? { rangeKey: index.sortKey.name } : {}),
      projectionType: index.projection.type,
    })),
    localSecondaryIndexes: [],
    streamEnabled: false,
  };
}

beforeAll(async () => {
  standIn = new DynamoStandIn(Array.from({ length: STATES }, (_, state) => FLOW_TABLES.map((table) => standInTable(tableName(state + 1, table), table))).flat(), TEST_AWS.region);
  await standIn.start();
  front = await serveDynamo((operation, body) => standIn.handle(operation, body, JSON.parse(body) as Record<string, unknown>));
  dynamo = { client: new DynamoDBClient({ ...TEST_AWS, endpoint: front.endpoint, requestHandler: front.requestHandler }) };
  s3dir = mkdtempSync(join(tmpdir(), 'ledgerline-flow-s3rver-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => typeof s3rver;
  s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  s3 = new S3Client({ region: TEST_AWS.region, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });
});

afterAll(async () => {
  s3.destroy();
  dynamo.client.destroy();
  await s3rver.close();
  await front.close();
  await standIn.stop();
  rmSync(s3dir, { recursive: true, force: true });
});

/** A fresh set of tables (and S3 prefixes) per state. */
async function freshState(now: Date, published: LedgerEvent[] = []) {
  opened += 1;
  // The table sets are reused in turn (a shrinking property opens many states): emptied first.
  const state = ((opened - 1) % STATES) + 1;
  const tables = Object.fromEntries(TABLE_NAMES.map((name) => [name, tableName(state, name)])) as Record<TableName, string>;
  for (const table of FLOW_TABLES) {
    const definition = TABLES[table];
    const keys = [definition.partitionKey.name, ...('sortKey' in definition && definition.sortKey ? [definition.sortKey.name] : [])];
    for (const item of await standIn.scanAll(tables[table])) {
      await standIn.forward('DeleteItem', JSON.stringify({ TableName: tables[table], Key: Object.fromEntries(keys.map((key) => [key, item[key]])) }));
    }
  }
  const prefix = `state-${opened}/`;
  const client = dynamo.client;
  const journal = new DynamoFlowJournal({ client, transactionsTable: tables.transactions, rulesStateTable: tables.rulesState });
  const s3Outbox = new S3PostingOutbox({ client: s3, bucket: BUCKET, prefix: `${prefix}outbox/postings/` });
  const reader = new DynamoFlowFacts({
    client,
    s3,
    transactionsTable: tables.transactions,
    rulesStateTable: tables.rulesState,
    authorisationsTable: tables.authorisations,
    dedupTable: tables.dedup,
    ledgerTable: tables.ledger,
    ingestBucket: BUCKET,
    parkedPrefix: `${prefix}parked/`,
    now: () => now,
    publisher: { publish: async (events) => void published.push(...events) },
  });
  return { tables, journal, reader, s3Outbox, prefix };
}

flowFactsContract({
  name: 'AWS (DynamoDB flow journal and stores, S3 parked duplicates and outbox)',
  runs: 12,
  open: async (now) => {
    const { tables, journal, reader, s3Outbox, prefix } = await freshState(now);
    const client = dynamo.client;
    return {
      ingest: (authorisation, ingestedAt) => journal.recordIngested(authorisation, ingestedAt),
      reject: (event) => journal.recordRejected(event),
      dedup: new DynamoDedupStore({ client, tableName: tables.dedup }),
      parking: new S3ParkedDuplicateStore({ client: s3, bucket: BUCKET, prefix: `${prefix}parked/` }),
      decisions: new DynamoDecisionStore({ client, tableName: tables.rulesState }),
      ledger: new DynamoLedgerStore({ client, tableName: tables.ledger }),
      // As wiring.ts assemblerAdapters: the outbox object first, then the journal's record markers.
      outbox: {
        writeBatch: async (records) => {
          await s3Outbox.writeBatch(records);
          await journal.recordPosted(records);
        },
      },
      transactions: new DynamoTransactionStateStore({ client, tableName: tables.transactions }),
      reader,
      close: async () => undefined,
    };
  },
});

describe('AWS flow facts: the near-real-time intake and the repair', () => {
  const now = new Date('2026-11-02T14:00:00.000Z');
  const pool = [...authorisationLines({ count: 12, seed: 4242, duplicateRate: 0, referenceData: referenceData() })].map((line) => JSON.parse(line) as Authorisation);
  const at = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();

  it('an authorisation in the authorisations table is ingested at its transmission time; one with no dedup verdict is reported, in its window only', async () => {
    const { tables, reader } = await freshState(now);
    const approved = pool.slice(0, 6).map((authorisation, i): Authorisation => ({ ...authorisation, responseCode: '00', transmittedAt: at(10 + i * 30) }));
    for (const authorisation of approved) await dynamo.client.send(new PutItemCommand({ TableName: tables.authorisations, Item: marshall(authorisation, { removeUndefinedValues: true }) }));
    const all = await reader.read({});
    expect(all.payments.map((payment) => [payment.authorizationId, payment.ingestedAt, payment.approved, payment.dedup]).sort()).toEqual(
      approved.map((authorisation) => [authorisation.authorizationId, new Date(authorisation.transmittedAt).toISOString(), true, undefined]).sort(),
    );
    // The last hour holds the first two (10 and 40 minutes old).
    const lastHour = await reader.read({ from: new Date(now.getTime() - 3_600_000), to: now });
    expect(lastHour.payments.map((payment) => payment.authorizationId).sort()).toEqual(
      approved
        .slice(0, 2)
        .map((authorisation) => authorisation.authorizationId)
        .sort(),
    );
  });

  it('the repair re-emits each stuck payment once, under its own id, rebuilt from its ingestion (journal or intake); what it cannot rebuild it says why', async () => {
    const published: LedgerEvent[] = [];
    const { tables, journal, reader } = await freshState(now, published);
    const viaJournal = { ...pool[6]!, responseCode: '00' };
    const viaIntake = { ...pool[7]!, responseCode: '00', transmittedAt: at(90) };
    const declined = { ...pool[8]!, responseCode: '05' };
    await journal.recordIngested(viaJournal, at(120));
    await journal.recordIngested(declined, at(120));
    await dynamo.client.send(new PutItemCommand({ TableName: tables.authorisations, Item: marshall(viaIntake, { removeUndefinedValues: true }) }));
    const facts = await reader.read({ from: new Date(now.getTime() - 86_400_000), to: now });
    expect(facts.payments).toHaveLength(3);
    const request = (authorisation: Authorisation) => {
      const payment = facts.payments.find((candidate) => candidate.authorizationId === authorisation.authorizationId)!;
      return { location: payment.location, authorizationId: authorisation.authorizationId, transactionId: payment.transactionId, eventId: authorisedEventId(authorisation.authorizationId) };
    };
    const outcomes = await reader.reemit([request(viaJournal), request(viaIntake), request(declined), { ...request(viaJournal), authorizationId: 'NEVER-SEEN' }]);
    expect(outcomes.map((outcome) => [outcome.authorizationId, outcome.outcome])).toEqual([
      [viaJournal.authorizationId, 'reemitted'],
      [viaIntake.authorizationId, 'reemitted'],
      [declined.authorizationId, 'unrepairable'],
      ['NEVER-SEEN', 'unrepairable'],
    ]);
    expect(outcomes[2]!.reason).toMatch(/not approved/);
    expect(outcomes[3]!.reason).toMatch(/NEVER-SEEN/);
    // The same events ingestion built: same ids, same correlation, same content (journal: same time too).
    expect(published.map((event) => event.id)).toEqual([authorisedEventId(viaJournal.authorizationId), authorisedEventId(viaIntake.authorizationId)]);
    expect(published[0]).toEqual(authorisedEvent(viaJournal, at(120)));
    expect(published[1]!.correlationId).toBe(authorisedEvent(viaIntake, at(90)).correlationId);
    expect(JSON.stringify(published)).not.toMatch(/"pan"/);
  });

  it('claims one answer per authorisation id (MODE-4): the first claim of each id wins, every later or racing one is a repeat; the time must be ISO 8601', async () => {
    const { journal } = await freshState(now);
    const ids = pool.slice(0, 12).map((authorisation) => authorisation.authorizationId);
    // Each id claimed by 1..4 racing calls, then once more after they settle.
    const racing = await Promise.all(ids.map((id, index) => Promise.all(Array.from({ length: 1 + (index % 4) }, () => journal.claimAnswer(id, at(5))))));
    for (const claims of racing) expect(claims.filter(Boolean)).toHaveLength(1);
    for (const id of ids) expect(await journal.claimAnswer(id, at(1))).toBe(false);
    await expect(journal.claimAnswer('A-NEW-ONE', 'not a time')).rejects.toThrow(/answer time "not a time" of authorisation A-NEW-ONE/);
    expect(await journal.claimAnswer('A-NEW-ONE', at(1))).toBe(true);
  });
});
