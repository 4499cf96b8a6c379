/**
 * The IAM contract of every deployed function, from its REAL code: each handler
 * (functions/<name>/index.ts) runs in-process with exactly its synthesized environment, fed a
 * representative event; every AWS call it makes is recorded and authorised against the
 * synthesized role policy, permissions boundary and resource/key policies. A denial fails naming
 * the function, the action, the resource and the policy (NFR3, NFR5: a deployed flow must not
 * stop on a permission it was never granted).
 *
 * Both topologies (FUSE-1): dev runs the fused `hot-path` (a batch as the Pipe delivers it, then
 * re-driven events as the rule delivers them); the staged variant (`ledgerline-staged`, dev's
 * configuration with every edge on the bus) runs the six stage functions chained, what each
 * publishes feeding the next.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { ALBEvent, DynamoDBRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { stacksDir } from './support/stacks';
import { formatGrants, loadIamContract, type Grant, type IamContractImpl } from '../../../rehearsal/iam';
import { authorisation, approvedData, enrichedData, envelope, sqsEvent } from '../../support/builders';
import { authorisedEvent } from '../../../src/domain/ingest';
import type { LedgerEvent } from '../../../src/domain/events';
import { crossesBus } from '../../../src/routes';
import { DynamoTransactionStateStore } from '../../../src/adapters/aws/dynamo-transaction-state-store';
import { markRetrying } from '../../../src/domain/transaction-state';
import { loadReferenceSet, prepareReferenceSet } from '../../../src/adapters/aws/reference-data-loader';
import { loadReferenceData } from '../../../src/adapters/embedded/reference-data';
import { reconciliationExecutionName } from '../../../src/recon/run/aws/objects';
import { CAMT053, LEDGER_HEADER, LEDGER_ROWS, MT940 } from '../../recon/run/helpers';
import { parseStatement } from '../../../src/recon/run/statements';
import { caseItem, DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { keys } from '../../../src/recon/run/aws/result-sink';
import type { RunCasesFile } from '../../../src/recon/run/aws/run-cases';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoSessionStore } from '../../../src/adapters/aws/dynamo-session-store';
import { applyCaseAction, type ExceptionCase } from '../../../src/recon/workbench/cases';
import { DynamoBulkJobStore } from '../../../src/adapters/aws/dynamo-bulk-job-store';
import { WORKBENCH_INDEXES } from '../../../src/adapters/aws/tables';
import { BulkJobs, type BulkAdvanceSummary } from '../../../src/recon/workbench/bulk';
import { BULK_ADVANCE_EVENT } from '../../../functions/reconcile-workbench/schedule';
import { FakeAws, denials, invokeDeployed, sent, startSynthesizedTables, type Invocation, type LocalDynamo } from './support/harness';

/** One synthesized scope the functions run in: its IAM contract, its tables, its fake AWS. */
interface Scope {
  env: string;
  contract: IamContractImpl;
  dynamo: LocalDynamo;
  fake: FakeAws;
  invocations: Map<string, Invocation<unknown>>;
}

const FUSED = 'dev';
const STAGED = 'staged';
const scopes = new Map<string, Scope>();

function scope(env: string): Scope {
  const found = scopes.get(env);
  if (!found) throw new Error(`scope ${env} did not start`);
  return found;
}

async function run<R = unknown>(env: string, name: string, event: unknown): Promise<Invocation<R>> {
  const { contract, dynamo, fake, invocations } = scope(env);
  const invocation = await invokeDeployed<R>(contract, name, event, { dynamoEndpoint: dynamo.endpoint, fake });
  const previous = invocations.get(name);
  invocations.set(name, previous ? { ...invocation, requests: [...previous.requests, ...invocation.requests], calls: [...previous.calls, ...invocation.calls] } : invocation);
  return invocation;
}

/** Fails listing every denied call (function, action, resource, the policy at fault). */
function expectAllAllowed(invocation: Pick<Invocation<unknown>, 'calls'>): void {
  const denied = denials(invocation);
  if (denied.length > 0) throw new Error(`${denied.length} call(s) denied by the synthesized IAM:\n- ${denied.join('\n- ')}`);
}

/** The SQS batch Lambda receives for ledger events a rule delivered (EventBridge-shaped bodies). */
function delivered(events: readonly LedgerEvent[]): SQSEvent {
  return sqsEvent(events);
}

/** The SQS batch Lambda receives for envelopes the Pipe sent straight to the hot path's queue (bare envelopes, FUSE-1). */
function fromPipe(events: readonly LedgerEvent[]): SQSEvent {
  const batch = sqsEvent(events);
  return { Records: batch.Records.map((record, index) => ({ ...record, body: JSON.stringify(events[index]) })) };
}

function published(env: string, type: string): LedgerEvent[] {
  return scope(env)
    .fake.events<LedgerEvent>()
    .filter((event) => event.type === type);
}

const tableName = (env: string, table: string) => `ledgerline-${env}-${table}`;
const bucketName = (env: string, suffix: string) => `ledgerline-${env}-${suffix}-${scope(env).contract.model.account}`;

/** The shipped reference set as the deployment's loader prepares it, cut to what the flow's card needs: prepared once for both scopes (it validates every record of the set). */
let flowReferenceSet: ReturnType<typeof prepareReferenceSet> | undefined;
function flowReference(): ReturnType<typeof prepareReferenceSet> {
  if (flowReferenceSet) return flowReferenceSet;
  const prepared = prepareReferenceSet('reference-data');
  const reference = loadReferenceData();
  const card = reference.cards.find((candidate) => candidate.status === 'ACTIVE')!;
  const needed = [`CARD#${card.panToken}`, `ACCOUNT#${card.accountId}`, `MERCHANT#${reference.merchants[0]!.id}`, 'PRODUCT#', 'FX#', 'ACCOUNT#SETTLE'];
  flowReferenceSet = { ...prepared, items: prepared.items.filter((item) => needed.some((key) => item.key.includes(key))) };
  return flowReferenceSet;
}

async function startScope(env: string): Promise<Scope> {
  const contract = loadIamContract(stacksDir(), env);
  const dynamo = await startSynthesizedTables(contract);
  // The reference data the flow's card needs, loaded by the deployment's own loader (`ledgerline load-reference-data`).
  await loadReferenceSet(flowReference(), { client: dynamo.client, tableName: tableName(env, 'reference') }).catch((error: unknown) => {
    console.warn(`reference data not loaded in ${env} (enrich will see none): ${(error as Error).message}`);
  });
  return { env, contract, dynamo, fake: new FakeAws(), invocations: new Map() };
}

beforeAll(async () => {
  for (const env of [FUSED, STAGED]) scopes.set(env, await startScope(env));
}, 120_000);

afterAll(async () => {
  for (const { dynamo } of scopes.values()) await dynamo.stop();
});

/** An authorisation of the first active card of the reference data, at its first merchant. */
function knownCardAuthorisation(authorizationId: string) {
  const reference = loadReferenceData();
  const card = reference.cards.find((candidate) => candidate.status === 'ACTIVE')!;
  const merchant = reference.merchants[0]!;
  return authorisation({ authorizationId, panToken: card.panToken, merchant: { id: merchant.id, name: merchant.name, mcc: merchant.mcc, country: merchant.country } });
}

/** A declined payment (over its product's limit), re-driven: its transaction is tracked RETRYING, so ending it writes transaction state. */
async function trackedDecline(env: string, authorizationId: string): Promise<LedgerEvent> {
  const declined = envelope('payment.enriched', enrichedData({ authorisation: { authorizationId, amount: { value: '999999.00', currency: 'GBP' } } }), authorizationId);
  const store = new DynamoTransactionStateStore({ client: scope(env).dynamo.client, tableName: tableName(env, 'transactions') });
  await markRetrying(store, declined, 'rules', new Error('rules-state throttled'), new Date('2026-11-01T09:00:00.000Z'));
  return declined;
}

/** An open statement-side case of the IAM bulk scenarios: the i-th, of -(i + 1).00 GBP. */
function openIamCase(caseId: string, reason: string, i: number, accountId = 'SETTLE-GBP-001'): ExceptionCase {
  return {
    caseId,
    kind: 'exception',
    runId: 'run-iam',
    side: 'statement',
    reason,
    accountId,
    currency: 'GBP',
    amount: `-${i + 1}.00`,
    ageDays: 1,
    ledgerEntryIds: [],
    status: 'OPEN',
    version: 1,
    updatedAt: '2026-11-06T08:00:00.000Z',
  };
}

describe(`IAM contract: the fused hot path (${FUSED}, FUSE-1)`, () => {
  it('ingest (Pipe enrichment, FR1): no AWS call of its own', async () => {
    const record: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: '1', NewImage: marshall(authorisation({ authorizationId: 'IAM-INGEST-1' }), { removeUndefinedValues: true }) as never },
    };
    const invocation = await run<LedgerEvent[]>(FUSED, 'ingest', [record]);
    expect(invocation.result.map((event) => event.type)).toEqual(['payment.authorised']);
    expect(invocation.requests).toEqual([]);
  });

  it('hot-path, a batch from the Pipe: dedup, standardise, enrich, rules, posting and assembly in one invocation; a duplicate parks; only outward events cross the bus', async () => {
    const unique = authorisedEvent(knownCardAuthorisation('IAM-AUTH-1'), '2026-11-01T10:00:01.000Z');
    // Same business key, another authorisation id: a duplicate (FR3).
    const duplicate = authorisedEvent(knownCardAuthorisation('IAM-AUTH-2'), '2026-11-01T10:00:02.000Z');
    const invocation = await run<SQSBatchResponse>(FUSED, 'hot-path', fromPipe([unique, duplicate]));
    expect(invocation.result.batchItemFailures).toEqual([]);
    expect(sent(invocation, 'dynamodb', 'PutItem').map((request) => request.input.TableName)).toContain(tableName(FUSED, 'dedup'));
    expect(sent(invocation, 'dynamodb', 'GetItem').some((request) => request.input.TableName === tableName(FUSED, 'reference'))).toBe(true);
    expect(sent(invocation, 'dynamodb', 'Query').some((request) => request.input.TableName === tableName(FUSED, 'rules-state'))).toBe(true);
    expect(sent(invocation, 'dynamodb', 'TransactWriteItems')).not.toHaveLength(0);
    expect(sent(invocation, 's3', 'PutObject').map((request) => [request.input.Bucket, String(request.input.Key).split('/')[0]])).toEqual(
      expect.arrayContaining([
        [bucketName(FUSED, 'ingest'), 'parked'],
        [bucketName(FUSED, 'ingest'), 'outbox'],
      ]),
    );
    const types = scope(FUSED)
      .fake.events<LedgerEvent>()
      .map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['payment.duplicate-parked', 'posting.completed']));
    // FUSE-2: nothing that feeds a later stage was put on the bus.
    for (const event of scope(FUSED).fake.events<LedgerEvent>()) expect([event.type, crossesBus(event)]).toEqual([event.type, true]);
    expectAllAllowed(invocation);
  });

  it('hot-path, re-driven events from the rule: each enters at its stage; a decline and an approval end their tracked transactions', async () => {
    const declined = await trackedDecline(FUSED, 'IAM-DECLINE-1');
    const approved = envelope('payment.rules-decided', approvedData({ authorisation: { authorizationId: 'IAM-POST-1' } }), 'IAM-POST-1');
    const invocation = await run<SQSBatchResponse>(FUSED, 'hot-path', delivered([declined, approved]));
    expect(invocation.result.batchItemFailures).toEqual([]);
    expect(sent(invocation, 'dynamodb', 'TransactWriteItems')).not.toHaveLength(0);
    const completions = sent(invocation, 'dynamodb', 'PutItem').filter((request) => request.input.TableName === tableName(FUSED, 'transactions'));
    expect(completions).not.toHaveLength(0);
    expect(published(FUSED, 'payment.rules-decided').map((event) => (event.data as { decision: { outcome: string } }).decision.outcome)).toEqual(['decline']);
    expectAllAllowed(invocation);
  });

  it('sweeper (SWEEP-2): a RETRYING transaction is re-driven through the redrive state machine', async () => {
    const store = new DynamoTransactionStateStore({ client: scope(FUSED).dynamo.client, tableName: tableName(FUSED, 'transactions') });
    const stuck = authorisedEvent(authorisation({ authorizationId: 'IAM-SWEEP-1' }), '2026-11-01T09:00:00.000Z');
    await markRetrying(store, stuck, 'hot-path', new Error('reference table throttled'), new Date('2026-11-01T09:00:00.000Z'));
    const invocation = await run(FUSED, 'sweeper', { version: '0', id: 'sweep-1', 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} });
    expect(sent(invocation, 'states', 'StartExecution').map((request) => request.input.stateMachineArn)).toEqual([expect.stringContaining(`:stateMachine:ledgerline-${FUSED}-posting-redrive`)]);
    expectAllAllowed(invocation);
  });
});

describe(`IAM contract: the operating modes and the flow auditor (${FUSED}, MODE-2, MODE-4, FLOW-1..3)`, () => {
  it('authorise (MODE-4): one authorisation through the fused hot path, answered synchronously; its ingestion journaled', async () => {
    // Its own business key (another STAN): not a duplicate of the hot path's payments above.
    const invocation = await run<{ outcome: string }>(FUSED, 'authorise', { ...knownCardAuthorisation('IAM-RT-1'), stan: '700001' });
    expect(invocation.result.outcome).toBe('posted');
    // FLOW-1: the ingestion is in the journal (rules-state table) before the hot path runs.
    const puts = sent(invocation, 'dynamodb', 'PutItem').map((request) => [request.input.TableName, JSON.stringify(request.input.Item).includes('FLOW#INGESTED#')]);
    expect(puts).toContainEqual([tableName(FUSED, 'rules-state'), true]);
    expect(sent(invocation, 's3', 'PutObject').map((request) => String(request.input.Key).split('/')[0])).toContain('outbox');
    expectAllAllowed(invocation);
  });

  it('ingest-batch (MODE-2): a file dropped under incoming/authorisations/ (the EventBridge event) is read, posted and recorded once', async () => {
    const bucket = bucketName(FUSED, 'ingest');
    const key = 'incoming/authorisations/card-files-iam.ndjson';
    scope(FUSED).fake.put(bucket, key, `${JSON.stringify({ ...knownCardAuthorisation('IAM-BATCH-1'), stan: '700002' })}\n`);
    const event = { version: '0', id: 'batch-1', 'detail-type': 'Object Created', source: 'aws.s3', detail: { bucket: { name: bucket }, object: { key } } };
    const invocation = await run<{ files: { outcome: string }[] }>(FUSED, 'ingest-batch', event);
    expect(invocation.result.files.map((file) => file.outcome)).toEqual(['posted']);
    expect(sent(invocation, 's3', 'PutObject').map((request) => String(request.input.Key).split('/').slice(0, 2).join('/'))).toEqual(expect.arrayContaining(['results/batches', 'outbox/postings']));
    expectAllAllowed(invocation);
    // The same file again: its registry record says posted, nothing is posted.
    const again = await run<{ files: { outcome: string }[] }>(FUSED, 'ingest-batch', event);
    expect(again.result.files.map((file) => file.outcome)).toEqual(['already-posted']);
    expect(sent(again, 'dynamodb', 'PutItem')).toEqual([]);
    expectAllAllowed(again);
  });

  it('flow-auditor (FLOW-1..3): reads every stage table and the parked duplicates, re-emits a stuck payment onto the bus', async () => {
    // An approved authorisation in the intake table that never reached dedup: stuck (it is older than the threshold).
    const stuck = { ...knownCardAuthorisation('IAM-FLOW-1'), transmittedAt: new Date(Date.now() - 2 * 3_600_000).toISOString() };
    await scope(FUSED).dynamo.client.send(new PutItemCommand({ TableName: tableName(FUSED, 'authorisations'), Item: marshall(stuck, { removeUndefinedValues: true }) }));
    const before = scope(FUSED).fake.events<LedgerEvent>().length;
    const invocation = await run<{ stuck: number; repaired: number }>(FUSED, 'flow-auditor', { version: '0', id: 'audit-1', 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} });
    expect(invocation.result.repaired).toBeGreaterThanOrEqual(1);
    const reemitted = scope(FUSED).fake.events<LedgerEvent>().slice(before);
    expect(reemitted.filter((event) => event.type === 'payment.authorised').map((event) => event.id)).toContain(authorisedEvent(stuck, stuck.transmittedAt).id);
    for (const operation of ['Scan', 'BatchGetItem', 'Query']) expect([operation, sent(invocation, 'dynamodb', operation).length > 0]).toEqual([operation, true]);
    expect(sent(invocation, 's3', 'ListObjectsV2')).not.toHaveLength(0);
    expectAllAllowed(invocation);
  });
});

describe(`IAM contract: the staged chain (${STAGED}: dev's configuration, every edge on the bus)`, () => {
  it('dedup (FR2, FR3): dedup table, the bus; a duplicate parks in the ingest bucket', async () => {
    const unique = authorisedEvent(knownCardAuthorisation('IAM-AUTH-1'), '2026-11-01T10:00:01.000Z');
    const invocation = await run(STAGED, 'dedup', delivered([unique]));
    expect(sent(invocation, 'dynamodb', 'PutItem').map((request) => request.input.TableName)).toContain(tableName(STAGED, 'dedup'));
    expect(sent(invocation, 'events', 'PutEvents')).not.toHaveLength(0);
    const duplicate = authorisedEvent(knownCardAuthorisation('IAM-AUTH-2'), '2026-11-01T10:00:02.000Z');
    const again = await run(STAGED, 'dedup', delivered([duplicate]));
    expect(sent(again, 's3', 'PutObject').map((request) => [request.input.Bucket, String(request.input.Key).split('/')[0]])).toEqual([[bucketName(STAGED, 'ingest'), 'parked']]);
    expectAllAllowed(scope(STAGED).invocations.get('dedup')!);
  });

  it('standardise (FR5): the deduplicated payment → pacs.008', async () => {
    const input = published(STAGED, 'payment.deduplicated');
    expect(input).not.toHaveLength(0);
    expectAllAllowed(await run(STAGED, 'standardise', delivered(input)));
  });

  it('enrich (FR6): the reference table, the bus', async () => {
    const input = published(STAGED, 'payment.standardised');
    expect(input).not.toHaveLength(0);
    const invocation = await run(STAGED, 'enrich', delivered(input));
    expect(sent(invocation, 'dynamodb', 'GetItem').some((request) => request.input.TableName === tableName(STAGED, 'reference'))).toBe(true);
    expectAllAllowed(invocation);
  });

  it('rules: rules state; a re-driven decline ends its tracked transaction', async () => {
    const approved = published(STAGED, 'payment.enriched');
    expect(approved).not.toHaveLength(0);
    const declined = await trackedDecline(STAGED, 'IAM-DECLINE-1');
    const invocation = await run(STAGED, 'rules', delivered([...approved, declined]));
    expect(sent(invocation, 'dynamodb', 'Query').some((request) => request.input.TableName === tableName(STAGED, 'rules-state'))).toBe(true);
    expect(sent(invocation, 'dynamodb', 'PutItem').some((request) => request.input.TableName === tableName(STAGED, 'transactions'))).toBe(true);
    expectAllAllowed(invocation);
  });

  it('posting (FR7, LEDGER-1) → assembler (FR8, LEDGER-2): the ledger, one posting.recorded per payment, one outbox object per batch', async () => {
    const approved = [
      ...published(STAGED, 'payment.rules-decided').filter((event) => (event.data as { decision?: { outcome?: string } }).decision?.outcome === 'approve'),
      envelope('payment.rules-decided', approvedData({ authorisation: { authorizationId: 'IAM-POST-1' } }), 'IAM-POST-1'),
    ];
    const posting = await run(STAGED, 'posting', delivered(approved));
    expect(sent(posting, 'dynamodb', 'TransactWriteItems')).not.toHaveLength(0);
    const recorded = published(STAGED, 'posting.recorded');
    expect(recorded).toHaveLength(approved.length);
    const assembler = await run(STAGED, 'assembler', delivered(recorded));
    expect(sent(assembler, 's3', 'PutObject').map((request) => String(request.input.Key))).toEqual([expect.stringMatching(/^outbox\/postings\//)]);
    expect(published(STAGED, 'posting.completed')).toHaveLength(approved.length);
    expectAllAllowed({ calls: [...posting.calls, ...assembler.calls] });
  });
});

describe(`IAM contract: the reconciliation functions (${FUSED}, REC-2, WB-1)`, () => {
  const ENV = FUSED;
  /** A workbench session as the sign-in callback writes it (WB-AUTH-1): the cookie carries `sessionId`, the table only its hash. */
  async function signedIn(who: { sessionId: string; sub: string; name: string; roles: Parameters<DynamoSessionStore['createSession']>[0]['roles']; csrfKey: string }, now: number): Promise<void> {
    await new DynamoSessionStore({ client: scope(ENV).dynamo.client, tableName: tableName(ENV, 'workbench-sessions') }).createSession({
      key: createHash('sha256').update(who.sessionId).digest('base64url'),
      sub: who.sub,
      name: who.name,
      roles: who.roles,
      csrfKey: who.csrfKey,
      createdAt: now,
      lastSeenAt: now,
      rotatedAt: now,
    });
  }
  const contract = () => scope(ENV).contract;
  const fake = () => scope(ENV).fake;
  const runId = () => reconciliationExecutionName({ bucket: bucketName(ENV, 'ingest'), key: 'incoming/statements/camt053.xml', versionId: 'v1' });

  it('reconcile-trigger: an uploaded statement starts the reconciliation state machine', async () => {
    const invocation = await run(ENV, 'reconcile-trigger', {
      version: '0',
      id: 'evt-1',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: contract().model.account,
      time: '2026-11-01T03:04:05Z',
      region: contract().model.region,
      resources: [`arn:aws:s3:::${bucketName(ENV, 'ingest')}`],
      detail: {
        version: '0',
        bucket: { name: bucketName(ENV, 'ingest') },
        object: { key: 'incoming/statements/camt053.xml', size: 2048, etag: 'abc', 'version-id': 'v1', sequencer: '00' },
        reason: 'PutObject',
      },
    });
    expect(sent(invocation, 'states', 'StartExecution').map((request) => request.input.stateMachineArn)).toEqual([expect.stringContaining(':stateMachine:ledgerline-dev-reconciliation')]);
    expectAllAllowed(invocation);
  });

  it('reconcile-normalise → match → summarise → cases: the statement through the real steps', async () => {
    fake().put(bucketName(ENV, 'ingest'), 'incoming/statements/camt053.xml', readFileSync(CAMT053));
    fake().put(bucketName(ENV, 'ingest'), 'incoming/ledger/ledger-export.csv', `${LEDGER_HEADER}\n${LEDGER_ROWS.join('\n')}\n`);
    const config = {
      ruleSet: 'default',
      confirmThreshold: '0.90',
      staleAfterDays: 30,
      matchConcurrency: 2,
      ledger: { bucket: bucketName(ENV, 'ingest'), key: 'incoming/ledger/ledger-export.csv' },
      partitionRows: 2,
      maxPartitions: 10,
      redshift: { schema: 'reconciliation' },
    };
    const normalise = await run<Record<string, unknown>>(ENV, 'reconcile-normalise', {
      bucket: bucketName(ENV, 'ingest'),
      key: 'incoming/statements/camt053.xml',
      versionId: 'v1',
      runId: runId(),
      analyticsBucket: bucketName(ENV, 'analytics'),
      config,
    });
    expect(sent(normalise, 's3', 'GetObject').map((request) => request.input.Bucket)).toContain(bucketName(ENV, 'ingest'));
    const partitions = normalise.result.partitions as unknown[];
    expect(partitions.length).toBeGreaterThan(0);
    const calls = [...normalise.calls];
    // The Distributed Map's ItemSelector: { runId, analyticsBucket, config, partition }.
    for (const partition of partitions) calls.push(...(await run(ENV, 'reconcile-match', { runId: runId(), analyticsBucket: bucketName(ENV, 'analytics'), config, partition })).calls);
    const summarise = await run(ENV, 'reconcile-summarise', { runId: runId(), analyticsBucket: bucketName(ENV, 'analytics'), config });
    const cases = await run(ENV, 'reconcile-cases', { runId: runId(), analyticsBucket: bucketName(ENV, 'analytics') });
    expect(sent(cases, 'dynamodb', 'GetItem').some((request) => request.input.TableName === tableName(ENV, 'workbench'))).toBe(true);
    // REC-RUN-1: normalise reads the chains of ledger entries earlier runs matched; summarise records the run's, then its commit object (ingest bucket registry).
    const registryKeys = (invocation: Invocation<unknown>, operation: string, under: string) =>
      sent(invocation, 's3', operation)
        .filter((request) => request.input.Bucket === bucketName(ENV, 'ingest') && String(request.input.Key).startsWith(`results/registry/${under}`))
        .map((request) => String(request.input.Key));
    expect(registryKeys(normalise, 'GetObject', 'ledger/').length).toBeGreaterThan(0);
    expect(registryKeys(summarise, 'PutObject', 'ledger/').length).toBeGreaterThan(0);
    expect(registryKeys(summarise, 'PutObject', 'runs/')).toEqual([`results/registry/runs/${runId()}.json`]);
    expectAllAllowed({ calls: [...calls, ...summarise.calls, ...cases.calls] });
  });

  it('reconcile-normalise against the posting journal (config.ledger {journal: true}): Scans the ledger table, accounts declared', async () => {
    // Another statement than the test above's (its content and statement identities are claimed by then).
    fake().put(bucketName(ENV, 'ingest'), 'incoming/statements/mt940-journal.sta', readFileSync(MT940));
    // REC-ACC-1: the statement's accounts are declared, so an account the journal has no legs for yet reconciles as all unmatched.
    const accounts = [...new Set((await parseStatement(MT940)).statements.map((statement) => statement.accountId))];
    const config = { ruleSet: 'default', staleAfterDays: 30, ledger: { journal: true }, accounts, partitionRows: 50, maxPartitions: 10, redshift: { schema: 'reconciliation' } };
    const journalRunId = reconciliationExecutionName({ bucket: bucketName(ENV, 'ingest'), key: 'incoming/statements/mt940-journal.sta', versionId: 'v1' });
    const normalise = await run<Record<string, unknown>>(ENV, 'reconcile-normalise', {
      bucket: bucketName(ENV, 'ingest'),
      key: 'incoming/statements/mt940-journal.sta',
      versionId: 'v1',
      runId: journalRunId,
      analyticsBucket: bucketName(ENV, 'analytics'),
      config,
    });
    expect(sent(normalise, 'dynamodb', 'Scan').map((request) => request.input.TableName)).toContain(tableName(ENV, 'ledger'));
    expect((normalise.result.partitions as unknown[]).length).toBeGreaterThan(0);
    expectAllAllowed(normalise);
  });

  it('reconcile-workbench (WB-AUTH-1): reads both secrets, starts a sign-in, takes it once at the callback, serves, touches, rotates and signs out a session, every call allowed', async () => {
    const fn = contract().model.functions.get(`ledgerline-${ENV}-reconcile-workbench`)!;
    const env = fn.environment;
    fake().secrets.set(env.WORKBENCH_CSRF_SECRET_ARN!, 'c'.repeat(48));
    fake().secrets.set(env.WORKBENCH_OIDC_CLIENT_SECRET_ARN!, 'okta-client-secret');
    const issuer = env.WORKBENCH_OIDC_ISSUER!;
    // Okta, as the function reaches it through the NAT: the discovery document; the token endpoint refuses the code.
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === `${issuer}/.well-known/openid-configuration`)
        return Response.json({
          issuer,
          authorization_endpoint: `${issuer}/v1/authorize`,
          token_endpoint: `${issuer}/v1/token`,
          jwks_uri: `${issuer}/v1/keys`,
          end_session_endpoint: `${issuer}/v1/logout`,
        });
      if (url === `${issuer}/v1/token`) return Response.json({ error: 'invalid_grant' }, { status: 400 });
      return new Response('not found', { status: 404 });
    });
    const albEvent = (method: string, path: string, query: Record<string, string[]>, cookie?: string, body: string | null = null): ALBEvent => ({
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench-fn/0123456789abcdef' } },
      httpMethod: method,
      path,
      multiValueQueryStringParameters: query,
      multiValueHeaders: { accept: ['text/html'], ...(cookie ? { cookie: [cookie] } : {}), ...(body ? { 'content-type': ['application/x-www-form-urlencoded'] } : {}) },
      body,
      isBase64Encoded: false,
    });
    type Result = { statusCode: number; body: string; multiValueHeaders: Record<string, string[]> };
    const sessionsTable = tableName(ENV, 'workbench-sessions');
    try {
      // GET /login: the pending sign-in is put (PutItem), the browser sent to Okta.
      const login = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', '/login', {}));
      expect(login.result.statusCode).toBe(303);
      const location = new URL(login.result.multiValueHeaders.location![0]!);
      expect(`${location.origin}${location.pathname}`).toBe(`${issuer}/v1/authorize`);
      expect(location.searchParams.get('redirect_uri')).toBe(`${env.WORKBENCH_BASE_URL}/callback`);
      const state = location.searchParams.get('state')!;
      expect(
        sent(login, 'secretsmanager', 'GetSecretValue')
          .map((request) => request.input.SecretId)
          .sort(),
      ).toEqual([env.WORKBENCH_CSRF_SECRET_ARN, env.WORKBENCH_OIDC_CLIENT_SECRET_ARN].sort());
      expect(sent(login, 'dynamodb', 'PutItem').map((request) => request.input.TableName)).toEqual([sessionsTable]);
      expectAllAllowed(login);

      // The callback takes the sign-in once (DeleteItem, ALL_OLD); Okta refuses the code, so nobody is signed in.
      const callback = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', '/callback', { state: [encodeURIComponent(state)], code: ['c-1'] }, `ledgerline_sign_in=${state}`));
      expect(callback.result.statusCode).toBe(401);
      expect(sent(callback, 'dynamodb', 'DeleteItem').map((request) => [request.input.TableName, request.input.ReturnValues])).toEqual([[sessionsTable, 'ALL_OLD']]);
      expectAllAllowed(callback);
      const replay = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', '/callback', { state: [encodeURIComponent(state)], code: ['c-1'] }, `ledgerline_sign_in=${state}`));
      expect([replay.result.statusCode, replay.result.body]).toEqual([400, expect.stringContaining('not waiting for')]);

      // A session as a successful callback writes it, last seen 20 minutes ago: the request touches it (UpdateItem) and rotates it (one TransactWriteItems).
      const id = 'iam-session-id';
      const now = Date.now();
      const store = new DynamoSessionStore({ client: scope(ENV).dynamo.client, tableName: sessionsTable });
      await store.createSession({
        key: createHash('sha256').update(id).digest('base64url'),
        sub: '00u1',
        name: 'Ana',
        roles: ['reconciler'],
        csrfKey: 'csrf-1',
        createdAt: now - 1_200_000,
        lastSeenAt: now - 60_000,
        rotatedAt: now - 60_000,
      });
      const cookie = `__Host-ledgerline_session=${id}`;
      const cases = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', '/cases', {}, cookie));
      expect(cases.result.statusCode).toBe(200);
      expect(sent(cases, 'dynamodb', 'GetItem').some((request) => request.input.TableName === sessionsTable && request.input.ConsistentRead === true)).toBe(true);
      expect(sent(cases, 'dynamodb', 'UpdateItem').map((request) => request.input.TableName)).toEqual([sessionsTable]);
      expect(sent(cases, 'dynamodb', 'Query').some((request) => request.input.TableName === tableName(ENV, 'workbench'))).toBe(true);
      expectAllAllowed(cases);
      await store.createSession({
        key: createHash('sha256').update(`${id}-old`).digest('base64url'),
        sub: '00u1',
        name: 'Ana',
        roles: ['reconciler'],
        csrfKey: 'csrf-2',
        createdAt: now - 1_200_000,
        lastSeenAt: now,
        rotatedAt: now - 1_000_000,
      });
      const rotated = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', '/cases', {}, `${cookie}-old`));
      expect(rotated.result.statusCode).toBe(200);
      expect(sent(rotated, 'dynamodb', 'TransactWriteItems')).toHaveLength(1);
      expectAllAllowed(rotated);

      // Sign-out: the form's CSRF token, then DeleteItem of the session.
      const form = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', '/logout', {}, cookie));
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.result.body)![1]!;
      const signOut = await run<Result>(ENV, 'reconcile-workbench', albEvent('POST', '/logout', {}, cookie, `csrf=${encodeURIComponent(csrf)}`));
      expect(signOut.result.statusCode).toBe(303);
      expect(sent(signOut, 'dynamodb', 'DeleteItem').map((request) => request.input.TableName)).toEqual([sessionsTable]);
      expectAllAllowed(signOut);
      expect(await store.session(createHash('sha256').update(id).digest('base64url'))).toBeUndefined();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('reconcile-workbench: an approval posts one ledger sequence and its posting record, every call allowed', async () => {
    const fn = contract().model.functions.get(`ledgerline-${ENV}-reconcile-workbench`)!;
    fake().secrets.set(fn.environment.WORKBENCH_CSRF_SECRET_ARN!, 'c'.repeat(48));
    const cases = new DynamoWorkbenchStore({ client: scope(ENV).dynamo.client, tableName: tableName(ENV, 'workbench') });
    const raised: ExceptionCase = {
      caseId: 'exception:statement:iam-fee-1',
      kind: 'exception',
      runId: 'run-iam',
      side: 'statement',
      reason: 'UNMATCHED',
      accountId: 'SETTLE-GBP-001',
      currency: 'GBP',
      amount: '-3.00',
      ageDays: 1,
      ledgerEntryIds: [],
      status: 'OPEN',
      version: 1,
      updatedAt: '2026-11-06T08:00:00.000Z',
    };
    // The case as a reconciler proposed its write-off (dynalite has no TransactWriteItems: the item is put directly).
    const proposed = applyCaseAction(raised, { type: 'propose-write-off', note: 'bank charge' }, { user: 'rita@bank.example', roles: ['reconciler'] }, '2026-11-06T08:01:00.000Z', 1);
    await scope(ENV).dynamo.client.send(new PutItemCommand({ TableName: tableName(ENV, 'workbench'), Item: caseItem(proposed.next) }));
    expect(await cases.get(raised.caseId)).toMatchObject({ status: 'PENDING_APPROVAL' });
    // Anna, signed in (WB-AUTH-1: her session as the callback writes it), approves.
    fake().secrets.set(fn.environment.WORKBENCH_OIDC_CLIENT_SECRET_ARN!, 'okta-client-secret');
    const now = Date.now();
    await signedIn({ sessionId: 'anna-session', sub: '00u2', name: 'Anna', roles: ['approver'], csrfKey: 'csrf-anna' }, now);
    {
      const event: ALBEvent = {
        requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench-fn/0123456789abcdef' } },
        httpMethod: 'POST',
        path: `/api/cases/${encodeURIComponent(raised.caseId)}/actions`,
        queryStringParameters: {},
        headers: { cookie: '__Host-ledgerline_session=anna-session', 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'approve-write-off', expectedVersion: 2 }),
        isBase64Encoded: false,
      };
      const invocation = await run<{ statusCode: number; body: string }>(ENV, 'reconcile-workbench', event);
      expect([invocation.result.statusCode, invocation.result.body]).toEqual([200, expect.stringContaining('"adjustmentId":"ADJ-')]);
      expect(sent(invocation, 'dynamodb', 'TransactWriteItems')).toHaveLength(2);
      expect(sent(invocation, 's3', 'PutObject').map((request) => `${request.input.Bucket}/${String(request.input.Key).split('/').slice(0, 2).join('/')}`)).toEqual([
        `${bucketName(ENV, 'ingest')}/outbox/postings`,
      ]);
      // The ledger's transaction (the journal Put and both balance Updates) and the case's, both answered in memory.
      const ledgerWrite = sent(invocation, 'dynamodb', 'TransactWriteItems').find((request) => JSON.stringify(request.input).includes(tableName(ENV, 'ledger')))!;
      expect(JSON.stringify(ledgerWrite.input)).toContain('WRITEOFF-GBP');
      expectAllAllowed(invocation);

      // A rejection first asks the ledger whether an unfinished approval booked the proposal (GetItem of its journal item).
      const other = applyCaseAction(
        { ...raised, caseId: 'exception:statement:iam-fee-2' },
        { type: 'propose-write-off', note: 'maybe' },
        { user: 'rita@bank.example', roles: ['reconciler'] },
        '2026-11-06T08:02:00.000Z',
        1,
      );
      await scope(ENV).dynamo.client.send(new PutItemCommand({ TableName: tableName(ENV, 'workbench'), Item: caseItem(other.next) }));
      const rejection = await run<{ statusCode: number }>(ENV, 'reconcile-workbench', {
        ...event,
        path: `/api/cases/${encodeURIComponent(other.next.caseId)}/actions`,
        body: JSON.stringify({ type: 'reject-write-off', note: 'not ours to write off', expectedVersion: 2 }),
      });
      expect(rejection.result.statusCode).toBe(200);
      expect(sent(rejection, 'dynamodb', 'GetItem').some((request) => request.input.TableName === tableName(ENV, 'ledger'))).toBe(true);
      expectAllAllowed(rejection);
    }
  });

  it('reconcile-workbench (WB-BULK-1): a bulk job is created by the POST and advanced by its page, every call allowed', async () => {
    // Its three cases are the only ones of their account: the filter selects exactly them among the other tests' cases.
    const BULK_ACCOUNT = 'IAM-BULK-ACCOUNT';
    const fn = contract().model.functions.get(`ledgerline-${ENV}-reconcile-workbench`)!;
    fake().secrets.set(fn.environment.WORKBENCH_CSRF_SECRET_ARN!, 'c'.repeat(48));
    fake().secrets.set(fn.environment.WORKBENCH_OIDC_CLIENT_SECRET_ARN!, 'okta-client-secret');
    for (let i = 0; i < 3; i += 1)
      await scope(ENV).dynamo.client.send(
        new PutItemCommand({ TableName: tableName(ENV, 'workbench'), Item: caseItem(openIamCase(`exception:statement:iam-bulk-${i}`, 'UNMATCHED', i, BULK_ACCOUNT)) }),
      );
    const now = Date.now();
    await signedIn({ sessionId: 'rita-bulk-session', sub: '00u3', name: 'Rita', roles: ['reconciler'], csrfKey: 'csrf-rita' }, now);
    const albEvent = (method: string, path: string, query: Record<string, string>, body: string | null = null): ALBEvent => ({
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench-fn/0123456789abcdef' } },
      httpMethod: method,
      path,
      queryStringParameters: query,
      headers: { cookie: '__Host-ledgerline_session=rita-bulk-session', accept: 'text/html', ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
      isBase64Encoded: false,
    });
    type Result = { statusCode: number; body: string; headers?: Record<string, string>; multiValueHeaders?: Record<string, string[]> };
    const preview = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', '/bulk', { reason: 'UNMATCHED', account: BULK_ACCOUNT }));
    expect(preview.result.body).toContain('Run on 3 cases');
    const csrf = /name="csrf" value="([^"]+)"/.exec(preview.result.body)![1]!;
    const started = await run<Result>(
      ENV,
      'reconcile-workbench',
      albEvent('POST', '/bulk', { reason: 'UNMATCHED', account: BULK_ACCOUNT }, new URLSearchParams({ csrf, type: 'comment', note: 'bulk' }).toString()),
    );
    expect(started.result.statusCode).toBe(303);
    expect(sent(started, 'dynamodb', 'PutItem').filter((request) => request.input.TableName === tableName(ENV, 'workbench'))).toHaveLength(2);
    expectAllAllowed(started);
    const location = started.result.multiValueHeaders?.location?.[0] ?? started.result.headers?.location;
    expect(location).toMatch(/^\/bulk\/jobs\/[0-9a-f]{24}$/);
    // The page works the job's one chunk (lease, each case read and saved, results, completion) before rendering it.
    const page = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', location!, {}));
    expect(page.result.body).toContain('data-state="done"');
    expect(sent(page, 'dynamodb', 'UpdateItem').filter((request) => request.input.TableName === tableName(ENV, 'workbench')).length).toBeGreaterThanOrEqual(5);
    expectAllAllowed(page);
  });
  it("reconcile-workbench (WB-BULK-1): the schedule's event works a job no page viewed (the running jobs from their index, lease, cases read and saved, results, completion), reads no secret, every call allowed", async () => {
    const table = tableName(ENV, 'workbench');
    const cases = new DynamoWorkbenchStore({ client: scope(ENV).dynamo.client, tableName: table });
    const ids = Array.from({ length: 3 }, (_, i) => `exception:statement:iam-scheduled-${i}`);
    for (const [i, caseId] of ids.entries()) await scope(ENV).dynamo.client.send(new PutItemCommand({ TableName: table, Item: caseItem(openIamCase(caseId, 'IAM_SCHEDULED', i)) }));
    // Started as POST /bulk starts it; its page is never opened.
    const jobs = new DynamoBulkJobStore({ client: scope(ENV).dynamo.client, tableName: table });
    const jobId = await new BulkJobs(cases, jobs, () => new Date()).start({ user: '00u3', roles: ['reconciler'] }, { type: 'comment', note: 'scheduled' }, ids, 'reason=IAM_SCHEDULED');
    const advanced = await run<BulkAdvanceSummary>(ENV, 'reconcile-workbench', BULK_ADVANCE_EVENT);
    expect(advanced.result).toMatchObject({ chunksWorked: 1, casesDone: 3, casesFailed: 0 });
    expect((await jobs.get(jobId))!.state).toBe('done');
    expect(sent(advanced, 'dynamodb', 'Query').some((request) => request.input.IndexName === WORKBENCH_INDEXES.bulkRunning.indexName)).toBe(true);
    expect(sent(advanced, 'dynamodb', 'TransactWriteItems').length + sent(advanced, 'dynamodb', 'UpdateItem').length).toBeGreaterThanOrEqual(5);
    expect(advanced.requests.filter((request) => request.service !== 'dynamodb')).toEqual([]);
    expectAllAllowed(advanced);
    // The next run finds the job done and takes it off the index (a conditional UpdateItem), still allowed.
    const next = await run<BulkAdvanceSummary>(ENV, 'reconcile-workbench', BULK_ADVANCE_EVENT);
    expect(next.result).toMatchObject({ jobsSeen: 0, chunksWorked: 0 });
    expectAllAllowed(next);
  });
  it('reconcile-workbench (REC-1): the Upload page presigns a PUT the function role may make (the browser makes it: s3:PutObject under incoming/statements/ only, with the bucket key), then the upload page reads its object, the registry and the quarantine prefix, every call allowed', async () => {
    const fn = contract().model.functions.get(`ledgerline-${ENV}-reconcile-workbench`)!;
    fake().secrets.set(fn.environment.WORKBENCH_CSRF_SECRET_ARN!, 'c'.repeat(48));
    fake().secrets.set(fn.environment.WORKBENCH_OIDC_CLIENT_SECRET_ARN!, 'okta-client-secret');
    const now = Date.now();
    await signedIn({ sessionId: 'rita-upload-session', sub: '00u4', name: 'Rita', roles: ['reconciler'], csrfKey: 'csrf-rita-upload' }, now);
    const albEvent = (method: string, path: string, body: string | null = null): ALBEvent => ({
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench-fn/0123456789abcdef' } },
      httpMethod: method,
      path,
      queryStringParameters: {},
      headers: { cookie: '__Host-ledgerline_session=rita-upload-session', accept: 'text/html', ...(body ? { 'content-type': 'application/json' } : {}) },
      body,
      isBase64Encoded: false,
    });
    type Result = { statusCode: number; body: string; headers?: Record<string, string>; multiValueHeaders?: Record<string, string[]> };
    const ingest = bucketName(ENV, 'ingest');
    const storage = `https://${ingest}.s3.${contract().model.region}.amazonaws.com`;
    const form = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', '/uploads'));
    expect(form.result.statusCode).toBe(200);
    expect(form.result.multiValueHeaders?.['content-security-policy']?.[0]).toContain(`connect-src 'self' ${storage};`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.result.body)![1]!;
    // Bytes no run has claimed yet (the normalise scenario above claimed the fixture's own).
    const bytes = Buffer.concat([readFileSync(CAMT053), Buffer.from('\n<!-- uploaded from the workbench -->\n')]);
    const presign = await run<Result>(
      ENV,
      'reconcile-workbench',
      albEvent('POST', '/uploads/presign', JSON.stringify({ csrf, name: 'camt053.xml', size: bytes.length, contentType: 'application/xml' })),
    );
    expect(presign.result.statusCode).toBe(200);
    expectAllAllowed(presign);
    const presigned = JSON.parse(presign.result.body) as { uploadId: string; url: string };
    const url = new URL(presigned.url);
    expect(url.origin).toBe(storage);
    const key = decodeURIComponent(url.pathname.slice(1));
    expect(key).toBe(`incoming/statements/${presigned.uploadId}--camt053.xml`);
    // The browser's PUT is signed with the function role's credentials: S3 authorises it as that role.
    const role = { kind: 'role' as const, roleName: contract().functionRole('reconcile-workbench') };
    const put = contract().authorizeRequest(role, { service: 's3', operation: 'PutObject', input: { Bucket: ingest, Key: key } }, "the browser's presigned PUT");
    expect(put.map(({ call, decision }) => [call.action, decision.allowed])).toEqual([
      ['s3:PutObject', true],
      ['kms:GenerateDataKey', true],
    ]);
    // Under any other prefix it would be refused.
    for (const other of ['incoming/authorisations/x.ndjson', 'incoming/ledger/ledger-export.ndjson', 'results/registry/x.json', 'quarantine/x'])
      expect([other, contract().authorizeRequest(role, { service: 's3', operation: 'PutObject', input: { Bucket: ingest, Key: other } })[0]!.decision.allowed]).toEqual([other, false]);
    fake().put(ingest, key, bytes);
    const queued = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', `/uploads/${presigned.uploadId}`));
    expect([queued.result.statusCode, queued.result.body]).toEqual([200, expect.stringContaining('<strong>Queued.</strong>')]);
    expect(sent(queued, 's3', 'ListObjectsV2').map((request) => request.input.Prefix)).toEqual([`quarantine/recon-${presigned.uploadId}--`, `incoming/statements/${presigned.uploadId}--`]);
    expect(sent(queued, 's3', 'GetObject').map((request) => request.input.Key)).toEqual([key, expect.stringMatching(/^results\/registry\/[0-9a-f]{64}\.json$/)]);
    expectAllAllowed(queued);
    // The workflow quarantined it: the file moved with its reason object, under the run the trigger named.
    const quarantinedRun = reconciliationExecutionName({ bucket: ingest, key, versionId: null });
    fake().put(
      ingest,
      `quarantine/${quarantinedRun}/${presigned.uploadId}--camt053.xml.reason.json`,
      JSON.stringify({ problem: 'parse', reason: `s3://${ingest}/${key}: line 3: not a camt document` }),
    );
    const quarantined = await run<Result>(ENV, 'reconcile-workbench', albEvent('GET', `/uploads/${presigned.uploadId}`));
    expect(quarantined.result.body).toContain('<strong>Quarantined.</strong>');
    expect(quarantined.result.body).toContain('parse: camt053.xml: line 3: not a camt document');
    expectAllAllowed(quarantined);
  });
  it('reconcile-cases, a later run of the same accounts, then the workbench over it: cases refreshed, cleared and raised with their open rows; a list page, a case page with its candidates, a match that closes both cases, every call allowed', async () => {
    const analytics = bucketName(ENV, 'analytics');
    const account = 'GB29LEDG00000000IAMCASES';
    const runOf = (version: string) => reconciliationExecutionName({ bucket: bucketName(ENV, 'ingest'), key: 'incoming/statements/iam-cases.xml', versionId: version });
    const raised = (runIdOf: string, at: string, side: 'statement' | 'ledger', id: string, amount: string): ExceptionCase => ({
      caseId: `exception:${side}:${id}`,
      kind: 'exception',
      runId: runIdOf,
      side,
      reason: 'UNMATCHED',
      accountId: account,
      currency: 'GBP',
      amount,
      ageDays: 0,
      ...(side === 'statement' ? { statementLineId: id, bankReference: `IAM-${id}` } : {}),
      ledgerEntryIds: side === 'ledger' ? [id] : [],
      status: 'OPEN',
      version: 1,
      updatedAt: at,
    });
    const importRun = async (runIdOf: string, at: string, cases: ExceptionCase[]) => {
      const file: RunCasesFile = { runId: runIdOf, at, coveredAccounts: [account], cases };
      fake().put(analytics, keys.runCases(runIdOf), JSON.stringify(file));
      const invocation = await run<{ raised: number; cleared: number }>(ENV, 'reconcile-cases', { runId: runIdOf, analyticsBucket: analytics });
      expectAllAllowed(invocation);
      return invocation;
    };
    // A first run raises four exceptions of the account, each with its open row.
    const earlier = runOf('v1');
    const earlierAt = '2026-11-06T06:00:00.000Z';
    const first = await importRun(earlier, earlierAt, [
      raised(earlier, earlierAt, 'statement', 'iam-line-7', '4321.09'),
      raised(earlier, earlierAt, 'ledger', 'IAM-LE-7', '4321.09'),
      raised(earlier, earlierAt, 'statement', 'iam-line-8', '-12.00'),
      raised(earlier, earlierAt, 'statement', 'iam-line-9', '-99.00'),
    ]);
    expect(first.result).toMatchObject({ raised: 4, cleared: 0 });
    // A later run of the account reports three of them again (refreshed: run, as-of, age) and no longer line 9 (cleared, its open row gone).
    const later = runOf('v2');
    const laterAt = '2026-11-07T06:00:00.000Z';
    const second = await importRun(later, laterAt, [
      { ...raised(later, laterAt, 'statement', 'iam-line-7', '4321.09'), ageDays: 1 },
      { ...raised(later, laterAt, 'ledger', 'IAM-LE-7', '4321.09'), ageDays: 1 },
      { ...raised(later, laterAt, 'statement', 'iam-line-8', '-12.00'), ageDays: 1 },
    ]);
    expect(second.result).toMatchObject({ raised: 0, cleared: 1 });
    const onWorkbench = (invocation: Invocation<unknown>, operation: string) =>
      sent(invocation, 'dynamodb', operation).filter((request) => JSON.stringify(request.input).includes(tableName(ENV, 'workbench')));
    expect(onWorkbench(first, 'BatchWriteItem').length + onWorkbench(first, 'TransactWriteItems').length).toBeGreaterThan(0);
    expect(onWorkbench(second, 'UpdateItem').length + onWorkbench(second, 'TransactWriteItems').length).toBeGreaterThan(0);

    const fn = contract().model.functions.get(`ledgerline-${ENV}-reconcile-workbench`)!;
    fake().secrets.set(fn.environment.WORKBENCH_CSRF_SECRET_ARN!, 'c'.repeat(48));
    fake().secrets.set(fn.environment.WORKBENCH_OIDC_CLIENT_SECRET_ARN!, 'okta-client-secret');
    const now = Date.now();
    await signedIn({ sessionId: 'rita-candidates-session', sub: '00u4', name: 'Rita', roles: ['reconciler'], csrfKey: 'csrf-rita-candidates' }, now);
    const request = (method: string, path: string, query: Record<string, string>, body: string | null = null, accept = 'text/html'): ALBEvent => ({
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench-fn/0123456789abcdef' } },
      httpMethod: method,
      path,
      queryStringParameters: query,
      headers: { cookie: '__Host-ledgerline_session=rita-candidates-session', accept, ...(body ? { 'content-type': 'application/json' } : {}) },
      body,
      isBase64Encoded: false,
    });
    type Result = { statusCode: number; body: string };
    const list = await run<Result>(ENV, 'reconcile-workbench', request('GET', '/cases', {}));
    expect(list.result.statusCode).toBe(200);
    expect(list.result.body).toContain('iam-line-7');
    expectAllAllowed(list);
    // Oldest first reads the status index (urgency, the default, its own).
    const byAge = await run<Result>(ENV, 'reconcile-workbench', request('GET', '/cases', { sort: 'age' }));
    expect([byAge.result.statusCode, byAge.result.body]).toEqual([200, expect.stringContaining('iam-line-8')]);
    expectAllAllowed(byAge);
    // Filtered by the scenario's account, each order reads its account-and-status index (byAccountUrgency, byAccountStatus).
    for (const sort of ['urgency', 'age']) {
      const ofAccount = await run<Result>(ENV, 'reconcile-workbench', request('GET', '/cases', { account, sort }));
      expect([sort, ofAccount.result.statusCode, ofAccount.result.body]).toEqual([sort, 200, expect.stringContaining('iam-line-8')]);
      expectAllAllowed(ofAccount);
    }
    const subject = 'exception:statement:iam-line-7';
    const page = await run<Result>(ENV, 'reconcile-workbench', request('GET', `/cases/${encodeURIComponent(subject)}`, {}));
    expect(page.result.statusCode).toBe(200);
    expect(page.result.body).toContain('IAM-LE-7');
    expectAllAllowed(page);
    const matched = await run<Result>(
      ENV,
      'reconcile-workbench',
      request('POST', `/api/cases/${encodeURIComponent(subject)}/actions`, {}, JSON.stringify({ type: 'match-candidate', candidate: 'ledger:IAM-LE-7', expectedVersion: 1 }), 'application/json'),
    );
    expect([matched.result.statusCode, matched.result.body]).toEqual([200, expect.stringContaining('RESOLVED')]);
    expectAllAllowed(matched);
    const store = new DynamoWorkbenchStore({ client: scope(ENV).dynamo.client, tableName: tableName(ENV, 'workbench') });
    expect((await store.get('exception:ledger:IAM-LE-7'))?.status).toBe('RESOLVED');
  });
});

describe('IAM contract: least privilege the other way (both topologies)', () => {
  it('prints the grants of the invoked functions that no call used; the list does not grow past the committed one', () => {
    const unused: string[] = [];
    for (const { env, contract, invocations } of scopes.values()) {
      // The Lambda service's own calls with each role (event-source polling, environment key, logs, X-Ray, ENIs) count as use.
      contract.serviceViolations();
      const roles = [...invocations.keys()].map((name) => contract.functionRole(name));
      const grants = contract.unusedGrants(roles);
      console.log(`Grants no recorded call used in ${env} (${grants.length}):\n${formatGrants(grants)}`);
      // dev's keys as before; the staged variant's prefixed with its scope.
      const keyOf = (grant: Grant) =>
        `${env === FUSED ? '' : `${env}:`}${grant.role.replace(`ledgerline-${env}-`, '')} ${grant.action} ${grant.resource.split(contract.model.account).join('<account>')}`;
      unused.push(...grants.map(keyOf));
    }
    expect(scope(FUSED).invocations.size).toBeGreaterThanOrEqual(12);
    expect(scope(STAGED).invocations.size).toBe(6);
    const file = join(__dirname, 'unused-grants.json');
    // After removing grants (or accepting new ones deliberately): LEDGERLINE_IAM_WRITE_UNUSED=1 rewrites the committed list.
    if (process.env.LEDGERLINE_IAM_WRITE_UNUSED === '1') writeFileSync(file, `${JSON.stringify([...new Set(unused)].sort(), null, 2)}\n`);
    const known = new Set(JSON.parse(readFileSync(file, 'utf8')) as string[]);
    const grown = unused.filter((key) => !known.has(key));
    expect(grown).toEqual([]);
  });
});
